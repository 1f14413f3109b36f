/*
 * apply_file.c - the file back end of the edit list: writes a message
 * with the edits applied, for `smime-tool process`.
 *
 * Header edits use milter semantics so both back ends agree, applied in
 * order to the header as the earlier edits left it: INSERT puts a field
 * before the index-th field (0 = top, past the end = bottom), DELETE and
 * CHANGE name the index-th (1-based) instance of a field name,
 * case-insensitive; CHANGE without a value deletes, as smfi_chgheader.  Fields the edits do not touch, and the
 * body unless it is replaced, are written as the exact original bytes.
 * Every edit is written: our fields are bounded so that an MTA takes them
 * too, and the milter leaves out only a finding field the MTA refuses
 * (callbacks.c), so both back ends give a message the same answer.
 */
#include "milter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct field {
	size_t start, end; /* raw bytes, including the final line end */
	size_t name_len;
} field;

/* One header line of the output: an original field or an edit's. */
typedef struct item {
	const field *orig; /* NULL for a field an edit wrote */
	const char *name;  /* for edit-written fields */
	const char *value;
} item;

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
static int split_fields(const unsigned char *msg, size_t hdr_end, field **out,
			size_t *nout)
{
	field *v = NULL;
	size_t n = 0, cap = 0, pos = 0;

	while (pos < hdr_end) {
		const unsigned char *nl =
			memchr(msg + pos, '\n', hdr_end - pos);
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
			v[n].name_len =
				colon ? (size_t)(colon - (msg + pos)) : 0;
			n++;
		}
		pos = next;
	}
	*out = v;
	*nout = n;
	return SMIME_OK;
}

static bool item_is(const unsigned char *msg, const item *it, const char *name)
{
	size_t len;

	if (it->orig == NULL)
		return strcasecmp(it->name, name) == 0;
	len = it->orig->name_len;
	while (len > 0 && (msg[it->orig->start + len - 1] == ' ' ||
			   msg[it->orig->start + len - 1] == '\t'))
		len--;
	return strlen(name) == len &&
	       strncasecmp((const char *)msg + it->orig->start, name, len) == 0;
}

static bool is_delete(const smime_edit *ed)
{
	return ed->op == SMIME_EDIT_DELETE ||
	       (ed->op == SMIME_EDIT_CHANGE && ed->value == NULL);
}

/* The end of the run of edits from i on that delete instances of one
 * field in strictly decreasing order (how the message path removes every
 * incoming X-SMIME-* or forged A-R field: last first). */
static size_t delete_run(const smime_edits *e, size_t i)
{
	size_t j = i + 1;

	while (j < e->n && is_delete(&e->v[j]) &&
	       strcasecmp(e->v[j].name, e->v[i].name) == 0 &&
	       e->v[j].index < e->v[j - 1].index)
		j++;
	return j;
}

/*
 * Applies a run of deletes in one pass over the list.  Deleting a later
 * instance leaves the numbers of the earlier ones as they were, so the
 * run deletes exactly the instances it names, counted in the list as it
 * was before the run: the same as one edit at a time, without n passes
 * over a header of 100,000 fields.  Instance 0 names nothing.
 */
static void apply_deletes(const unsigned char *msg, item *v, size_t *n,
			  const smime_edit *run, size_t nrun)
{
	size_t next = nrun, out = 0; /* run[next - 1]: the lowest to go */
	unsigned seen = 0;

	if (next > 0 && run[next - 1].index == 0)
		next--;
	for (size_t j = 0; j < *n; j++) {
		if (next > 0 && item_is(msg, &v[j], run[0].name) &&
		    ++seen == run[next - 1].index) {
			next--;
			continue;
		}
		v[out++] = v[j];
	}
	*n = out;
}

/*
 * Applies the edits in order to the list of items, as libmilter does to
 * the MTA's header list: an INSERT index and a CHANGE/DELETE instance
 * count refer to the list as the earlier edits left it.
 */
static void apply_edits(const unsigned char *msg, item *v, size_t *n,
			const smime_edits *e)
{
	for (size_t i = 0; i < e->n;) {
		const smime_edit *ed = &e->v[i];
		unsigned seen = 0;

		if (is_delete(ed)) {
			size_t end = delete_run(e, i);
			apply_deletes(msg, v, n, ed, end - i);
			i = end;
			continue;
		}
		i++;
		if (ed->op == SMIME_EDIT_INSERT) {
			size_t at = ed->index > *n ? *n : ed->index;
			memmove(v + at + 1, v + at, (*n - at) * sizeof(*v));
			v[at] = (item){NULL, ed->name, ed->value};
			(*n)++;
			continue;
		}
		for (size_t j = 0; j < *n; j++) {
			if (!item_is(msg, &v[j], ed->name) ||
			    ++seen != ed->index)
				continue;
			v[j] = (item){NULL, ed->name, ed->value};
			break;
		}
	}
}

static int write_item(int fd, const unsigned char *msg, const item *it,
		      const char *eol)
{
	int rc;

	if (it->orig != NULL)
		return write_all(fd, msg + it->orig->start,
				 it->orig->end - it->orig->start);
	rc = write_all(fd, it->name, strlen(it->name));
	if (rc == 0)
		rc = write_all(fd, ": ", 2);
	/* A folded value comes with "\n" line breaks (the libmilter
	 * convention); the file gets the message's own line ends. */
	for (const char *v = it->value; rc == 0 && v && *v;) {
		size_t span = strcspn(v, "\r\n");
		rc = write_all(fd, v, span);
		v += span;
		if (rc == 0 && *v) {
			rc = write_all(fd, eol, strlen(eol));
			v += (v[0] == '\r' && v[1] == '\n') ? 2 : 1;
		}
	}
	if (rc == 0)
		rc = write_all(fd, eol, strlen(eol));
	return rc;
}

int milter_apply_file(const unsigned char *msg, size_t len, size_t body_off,
		      const smime_edits *edits, int fd)
{
	field *f = NULL;
	item *items = NULL;
	size_t n = 0, nitems, hdr_end = body_off;
	const char *eol = "\n";
	int rc;

	/* The header block ends before the blank separator line. */
	if (hdr_end > 0 && hdr_end <= len) {
		if (hdr_end >= 2 && msg[hdr_end - 2] == '\r' &&
		    msg[hdr_end - 1] == '\n')
			hdr_end -= 2;
		else if (msg[hdr_end - 1] == '\n')
			hdr_end -= 1;
	}
	if (memmem(msg, body_off, "\r\n", 2) != NULL)
		eol = "\r\n";
	rc = split_fields(msg, hdr_end, &f, &n);
	if (rc < 0)
		return rc;
	items = calloc(n + edits->n + 1, sizeof(*items));
	if (items == NULL) {
		rc = SMIME_E_NOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		items[i].orig = &f[i];
	nitems = n;
	apply_edits(msg, items, &nitems, edits);
	for (size_t i = 0; i < nitems && rc == 0; i++)
		rc = write_item(fd, msg, &items[i], eol);
	/* The separator line and the body. */
	if (rc == 0 && body_off > hdr_end)
		rc = write_all(fd, msg + hdr_end, body_off - hdr_end);
	if (rc == 0) {
		if (edits->replace_body)
			rc = write_all(fd, edits->body.data, edits->body.len);
		else if (len > body_off)
			rc = write_all(fd, msg + body_off, len - body_off);
	}
cleanup:
	free(items);
	free(f);
	return rc;
}
