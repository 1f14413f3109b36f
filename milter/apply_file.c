/*
 * apply_file.c - the file back end of the edit list: writes a message
 * with the edits applied, for `smime-tool process`.
 *
 * Header edits use milter semantics so both back ends agree: INSERT puts
 * a field before the index-th field of the header (0 = top, past the end =
 * bottom), DELETE and CHANGE name the index-th (1-based) instance of a
 * field name, case-insensitive.  Fields the edits do not touch, and the
 * body unless it is replaced, are written as the exact original bytes.
 */
#include "milter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct field {
	size_t start, end;   /* raw bytes, including the final line end */
	size_t name_len;
	unsigned instance;   /* 1-based instance of this name */
	const smime_edit *change; /* CHANGE or DELETE aimed at this field */
} field;

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return SMIME_E_IO;
		}
		c += w;
		n -= (size_t)w;
	}
	return SMIME_OK;
}

/* Splits the header block into fields: a line that does not start with a
 * blank starts a new field. */
static int split_fields(const unsigned char *msg, size_t hdr_end,
			field **out, size_t *nout)
{
	field *v = NULL;
	size_t n = 0, cap = 0, pos = 0;

	while (pos < hdr_end) {
		const unsigned char *nl = memchr(msg + pos, '\n', hdr_end - pos);
		size_t next = nl ? (size_t)(nl - msg) + 1 : hdr_end;
		bool cont = (msg[pos] == ' ' || msg[pos] == '\t') && n > 0;

		if (cont) {
			v[n - 1].end = next;
		} else {
			const unsigned char *colon;
			if (n == cap) {
				field *nv;
				cap = cap ? cap * 2 : 32;
				nv = realloc(v, cap * sizeof(*nv));
				if (nv == NULL) {
					free(v);
					return SMIME_E_NOMEM;
				}
				v = nv;
			}
			colon = memchr(msg + pos, ':', next - pos);
			v[n].start = pos;
			v[n].end = next;
			v[n].name_len = colon ? (size_t)(colon - (msg + pos)) : 0;
			v[n].instance = 0;
			v[n].change = NULL;
			n++;
		}
		pos = next;
	}
	*out = v;
	*nout = n;
	return SMIME_OK;
}

static bool same_name(const unsigned char *msg, const field *f,
		      const char *name)
{
	size_t len = f->name_len;

	while (len > 0 && (msg[f->start + len - 1] == ' ' ||
			   msg[f->start + len - 1] == '\t'))
		len--;
	return strlen(name) == len &&
	       strncasecmp((const char *)msg + f->start, name, len) == 0;
}

/* Marks the field each CHANGE or DELETE aims at. */
static void mark_changes(const unsigned char *msg, field *f, size_t n,
			 const smime_edits *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const smime_edit *ed = &e->v[i];
		unsigned seen = 0;
		if (ed->op == SMIME_EDIT_INSERT)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (!same_name(msg, &f[j], ed->name))
				continue;
			if (++seen == ed->index) {
				f[j].change = ed;
				break;
			}
		}
	}
}

static int write_field(int fd, const char *name, const char *value,
		       const char *eol)
{
	int rc = write_all(fd, name, strlen(name));
	if (rc == 0)
		rc = write_all(fd, ": ", 2);
	if (rc == 0 && value)
		rc = write_all(fd, value, strlen(value));
	if (rc == 0)
		rc = write_all(fd, eol, strlen(eol));
	return rc;
}

/* Writes the INSERT edits aimed at position pos. */
static int write_inserts(int fd, const smime_edits *e, size_t pos,
			 size_t nfields, const char *eol)
{
	for (size_t i = 0; i < e->n; i++) {
		const smime_edit *ed = &e->v[i];
		size_t at = ed->index > nfields ? nfields : ed->index;
		if (ed->op != SMIME_EDIT_INSERT || at != pos)
			continue;
		int rc = write_field(fd, ed->name, ed->value, eol);
		if (rc < 0)
			return rc;
	}
	return SMIME_OK;
}

int milter_apply_file(const unsigned char *msg, size_t len, size_t body_off,
		      const smime_edits *edits, int fd)
{
	field *f = NULL;
	size_t n = 0, hdr_end = body_off;
	const char *eol = "\n";
	int rc;

	/* The header block ends before the blank separator line. */
	if (hdr_end > 0 && hdr_end <= len) {
		if (hdr_end >= 2 && msg[hdr_end - 2] == '\r' && msg[hdr_end - 1] == '\n')
			hdr_end -= 2;
		else if (msg[hdr_end - 1] == '\n')
			hdr_end -= 1;
	}
	if (memmem(msg, body_off, "\r\n", 2) != NULL)
		eol = "\r\n";
	rc = split_fields(msg, hdr_end, &f, &n);
	if (rc < 0)
		return rc;
	mark_changes(msg, f, n, edits);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = write_inserts(fd, edits, i, n, eol);
		if (rc < 0)
			break;
		if (f[i].change == NULL)
			rc = write_all(fd, msg + f[i].start, f[i].end - f[i].start);
		else if (f[i].change->op == SMIME_EDIT_CHANGE &&
			 f[i].change->value != NULL)
			rc = write_field(fd, f[i].change->name, f[i].change->value, eol);
	}
	if (rc == 0)
		rc = write_inserts(fd, edits, n, n, eol);
	/* The separator line and the body. */
	if (rc == 0 && body_off > hdr_end)
		rc = write_all(fd, msg + hdr_end, body_off - hdr_end);
	if (rc == 0) {
		if (edits->replace_body)
			rc = write_all(fd, edits->body.data, edits->body.len);
		else if (len > body_off)
			rc = write_all(fd, msg + body_off, len - body_off);
	}
	free(f);
	return rc;
}
