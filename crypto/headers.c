/*
 * headers.c - RFC 5322 header fields: the smime_headers list, unfolding,
 * splitting a message into header and body, and finding the first
 * address of an address header.
 *
 * Promises: every parser here takes any byte string and gives a defined
 * result in linear time; only memory exhaustion is an error (and
 * SMIME_E_PARSE from smime_address_first when there is no address).
 * Field values are kept raw (folding and all) so that what the milter
 * writes back is what it read.
 */
#include "mime_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- the list ---------------------------------------------------- */

int smime_headers_add(smime_headers *h, const char *name, size_t nlen,
		      const char *value, size_t vlen)
{
	smime_header *v;
	char *n = NULL, *val = NULL;

	if (h == NULL || name == NULL || (value == NULL && vlen > 0))
		return SMIME_E_ARG;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;

		if (cap > SIZE_MAX / sizeof(*v))
			return SMIME_E_NOMEM;
		v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return SMIME_E_NOMEM;
		h->v = v;
		h->cap = cap;
	}
	n = smime_strndup(name, nlen);
	val = smime_strndup(value != NULL ? value : "", vlen);
	if (n == NULL || val == NULL) {
		free(n);
		free(val);
		return SMIME_E_NOMEM;
	}
	h->v[h->n].name = n;
	h->v[h->n].value = val;
	h->n++;
	return 0;
}

const char *smime_headers_get(const smime_headers *h, const char *name,
			      size_t nth)
{
	size_t i;

	if (h == NULL || name == NULL)
		return NULL;
	for (i = 0; i < h->n; i++) {
		if (smime_ascii_casecmp(h->v[i].name, name) != 0)
			continue;
		if (nth == 0)
			return h->v[i].value;
		nth--;
	}
	return NULL;
}

size_t smime_headers_count(const smime_headers *h, const char *name)
{
	size_t i, n = 0;

	if (h == NULL || name == NULL)
		return 0;
	for (i = 0; i < h->n; i++)
		if (smime_ascii_casecmp(h->v[i].name, name) == 0)
			n++;
	return n;
}

void smime_headers_free(smime_headers *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++) {
		smime_str_free(h->v[i].name);
		smime_str_free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
	h->cap = 0;
}

int smime_headers_copy(const smime_headers *src, size_t max, smime_headers *dst,
		       bool *truncated)
{
	size_t i;
	int ret;

	for (i = 0; i < src->n; i++) {
		if (max != 0 && i >= max) {
			*truncated = true;
			break;
		}
		ret = smime_headers_add(dst, src->v[i].name,
					strlen(src->v[i].name), src->v[i].value,
					strlen(src->v[i].value));
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- scanning a header section ------------------------------------- */

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the field name if line[0, n) starts a header field ("name"
 * of printable non-colon characters, optional blanks, ':'), else 0.
 * *colon gets the offset of the colon. */
static size_t field_name_len(const unsigned char *line, size_t n, size_t *colon)
{
	size_t i = 0, name_end;

	while (i < n && line[i] > 32 && line[i] < 127 && line[i] != ':')
		i++;
	name_end = i;
	while (i < n && is_wsp(line[i]))
		i++;
	if (name_end == 0 || i >= n || line[i] != ':')
		return 0;
	*colon = i;
	return name_end;
}

/* One field being collected: where its line starts, name, value. */
struct field {
	bool open;
	size_t line_start, name_len, value_start, value_end;
};

static int field_flush(const unsigned char *data, struct field *f,
		       size_t max_headers, size_t max_line, smime_headers *hdrs,
		       bool *truncated)
{
	int ret = 0;

	if (!f->open)
		return 0;
	f->open = false;
	if ((max_headers != 0 && hdrs->n >= max_headers) ||
	    (max_line != 0 && f->value_end - f->line_start > max_line)) {
		*truncated = true;
		return 0;
	}
	ret = smime_headers_add(hdrs, (const char *)data + f->line_start,
				f->name_len,
				(const char *)data + f->value_start,
				f->value_end - f->value_start);
	return ret;
}

int smime_headers_scan(const unsigned char *data, size_t start, size_t end,
		       bool allow_from_line, size_t max_headers,
		       size_t max_line, smime_headers *hdrs, size_t *body_off,
		       bool *truncated)
{
	struct field f = {false, 0, 0, 0, 0};
	size_t p = start, next, cend, colon, nlen;
	const unsigned char *lf;
	int ret;

	*body_off = end;
	while (p < end) {
		lf = memchr(data + p, '\n', end - p);
		next = lf != NULL ? (size_t)(lf - data) + 1 : end;
		cend = lf != NULL ? next - 1 : end;
		if (cend > p && data[cend - 1] == '\r')
			cend--;
		if (cend == p) { /* the blank line */
			*body_off = next;
			return field_flush(data, &f, max_headers, max_line,
					   hdrs, truncated);
		}
		if (is_wsp(data[p])) { /* continuation */
			if (f.open)
				f.value_end = cend;
			p = next;
			continue;
		}
		if (p == start && allow_from_line && end - p >= 5 &&
		    memcmp(data + p, "From ", 5) == 0) {
			p = next;
			continue;
		}
		ret = field_flush(data, &f, max_headers, max_line, hdrs,
				  truncated);
		if (ret < 0)
			return ret;
		nlen = field_name_len(data + p, cend - p, &colon);
		if (nlen == 0) { /* not a header: the body starts here */
			*body_off = p;
			return 0;
		}
		f.open = true;
		f.line_start = p;
		f.name_len = nlen;
		f.value_start = p + colon + 1;
		while (f.value_start < cend && is_wsp(data[f.value_start]))
			f.value_start++;
		f.value_end = cend;
		p = next;
	}
	return field_flush(data, &f, max_headers, max_line, hdrs, truncated);
}

int smime_message_split(const unsigned char *data, size_t len,
			smime_headers *hdrs, size_t *body_off)
{
	bool truncated = false;

	if ((data == NULL && len > 0) || hdrs == NULL || body_off == NULL)
		return SMIME_E_ARG;
	if (len == 0) {
		*body_off = 0;
		return 0;
	}
	return smime_headers_scan(data, 0, len, true, 0, 0, hdrs, body_off,
				  &truncated);
}

/* ---- unfolding ----------------------------------------------------- */

int smime_header_unfold(const char *value, char **out)
{
	size_t i, n, a, b;
	char *s;

	if (value == NULL || out == NULL)
		return SMIME_E_ARG;
	n = strlen(value);
	s = malloc(n + 1);
	if (s == NULL)
		return SMIME_E_NOMEM;
	/* Line ends go; the blank that follows each stays (RFC 5322
	 * 2.2.3).  A stray CR or LF goes as well. */
	for (i = 0, b = 0; i < n; i++)
		if (value[i] != '\r' && value[i] != '\n')
			s[b++] = value[i];
	s[b] = '\0';
	for (a = 0; a < b && is_wsp((unsigned char)s[a]); a++)
		;
	while (b > a && is_wsp((unsigned char)s[b - 1]))
		b--;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
	*out = s;
	return 0;
}

/* ---- the first address of an address header ----------------------- */

/* Skips an RFC 5322 comment starting at s[*i] == '(' (nested, with
 * quoted-pairs); an unclosed comment runs to the end. */
static void skip_comment(const char *s, size_t n, size_t *i)
{
	unsigned depth = 0;

	for (; *i < n; (*i)++) {
		if (s[*i] == '\\' && *i + 1 < n)
			(*i)++;
		else if (s[*i] == '(')
			depth++;
		else if (s[*i] == ')' && --depth == 0)
			return;
	}
}

/* Appends the quoted string at s[*i] == '"' to b, quotes and escapes
 * kept (a quoted local-part is part of the address). */
static int take_quoted(const char *s, size_t n, size_t *i, smime_buf *b)
{
	size_t a = *i;

	for ((*i)++; *i < n && s[*i] != '"'; (*i)++)
		if (s[*i] == '\\' && *i + 1 < n)
			(*i)++;
	if (*i >= n)
		*i = n - 1; /* unclosed: the rest of the value */
	return smime_buf_append(b, s + a, *i - a + 1);
}

/*
 * The address in a bare mailbox text (blanks from folding and comments
 * collapsed to single spaces): blanks next to '.' and '@' go (obsolete
 * "a . b @ c" syntax), then the first word with a local part and a
 * domain is it (a quoted local part is one word).  Returns the malloc'd address, NULL if none (*err 0) or
 * on NOMEM (*err set).
 */
static char *bare_address(const smime_buf *acc, int *err)
{
	const char *s = acc->data != NULL ? (const char *)acc->data : "";
	size_t i, n = acc->len, w = 0, a, at;
	bool q = false;
	char *t = malloc(n + 1);

	*err = 0;
	if (t == NULL) {
		*err = SMIME_E_NOMEM;
		return NULL;
	}
	/* Blanks inside quotes are content; outside, next to '.' or '@'
	 * they are obsolete syntax and go.  Unquoted blanks become NUL to
	 * mark word ends. */
	for (i = 0; i < n; i++) {
		if (s[i] == '"' && (i == 0 || s[i - 1] != '\\'))
			q = !q;
		if (!q && s[i] == ' ') {
			if ((w > 0 && (t[w - 1] == '.' || t[w - 1] == '@')) ||
			    (i + 1 < n && (s[i + 1] == '.' || s[i + 1] == '@')))
				continue;
			t[w++] = '\0';
			continue;
		}
		t[w++] = s[i];
	}
	/* The first word with something before and after its last '@'. */
	for (a = 0; a < w; a = i + 1) {
		for (i = a; i < w && t[i] != '\0'; i++)
			;
		for (at = i; at > a && t[at - 1] != '@'; at--)
			;
		if (at > a + 1 && at < i) {
			memmove(t, t + a, i - a);
			t[i - a] = '\0';
			return t;
		}
	}
	free(t);
	return NULL;
}

/* Reads an angle-addr at s[*i] == '<' into b: comments and blanks
 * dropped, quoted strings kept, an obsolete source route cut off. */
static int take_angle(const char *s, size_t n, size_t *i, smime_buf *b)
{
	const char *colon;
	int ret;

	for ((*i)++; *i < n && s[*i] != '>'; (*i)++) {
		if (s[*i] == '(') {
			skip_comment(s, n, i);
		} else if (s[*i] == '"') {
			ret = take_quoted(s, n, i, b);
			if (ret < 0)
				return ret;
		} else if ((unsigned char)s[*i] > ' ') {
			ret = smime_buf_putc(b, s[*i]);
			if (ret < 0)
				return ret;
		}
	}
	if (b->len > 0 && b->data[0] == '@' &&
	    (colon = memchr(b->data, ':', b->len)) != NULL) {
		size_t cut = (size_t)(colon - (const char *)b->data) + 1;

		memmove(b->data, b->data + cut, b->len - cut + 1);
		b->len -= cut;
	}
	return 0;
}

/* Appends addr (taken over) to the list. */
static int push_address(char ***v, size_t *n, char *addr)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL) {
		free(addr);
		return SMIME_E_NOMEM;
	}
	nv[(*n)++] = addr;
	*v = nv;
	return 0;
}

/* Collects up to max mailbox addresses of an address-list value. */
static int scan_addresses(const char *value, size_t max, char ***out,
			  size_t *nout)
{
	smime_buf acc = SMIME_BUF_INIT, angle = SMIME_BUF_INIT;
	size_t i, n = strlen(value);
	int ret = 0;
	char *found;

	for (i = 0; i <= n && *nout < max; i++) {
		char c = i < n ? value[i] : ',';

		found = NULL;
		if (c == '(' || c == ' ' || c == '\t' || c == '\r' ||
		    c == '\n') {
			if (c == '(')
				skip_comment(value, n, &i);
			if (acc.len > 0 && acc.data[acc.len - 1] != ' ')
				ret = smime_buf_putc(&acc, ' ');
		} else if (c == '"') {
			ret = take_quoted(value, n, &i, &acc);
		} else if (c == '<') {
			smime_buf_reset(&angle);
			ret = take_angle(value, n, &i, &angle);
			if (ret == 0 && angle.len > 0 &&
			    (found = smime_strndup((char *)angle.data,
						   angle.len)) == NULL)
				ret = SMIME_E_NOMEM;
			smime_buf_reset(&acc);
		} else if (c == ':') {
			smime_buf_reset(&acc); /* a group's display name */
		} else if (c == ',' || c == ';') {
			found = bare_address(&acc, &ret);
			smime_buf_reset(&acc);
		} else {
			ret = smime_buf_putc(&acc, c);
		}
		if (ret == 0 && found != NULL)
			ret = push_address(out, nout, found);
		if (ret < 0)
			goto cleanup;
	}
	/* An unclosed comment or angle bracket ends the loop early. */
	if (*nout < max && acc.len > 0 &&
	    (found = bare_address(&acc, &ret)) != NULL)
		ret = push_address(out, nout, found);
cleanup:
	smime_buf_free(&acc);
	smime_buf_free(&angle);
	return ret;
}

int smime_address_first(const char *value, char **addr)
{
	char **v = NULL;
	size_t n = 0;
	int ret;

	if (value == NULL || addr == NULL)
		return SMIME_E_ARG;
	*addr = NULL;
	ret = scan_addresses(value, 1, &v, &n);
	if (ret == 0 && n == 0)
		ret = SMIME_E_PARSE;
	if (ret == 0)
		*addr = v[0];
	else
		smime_address_list_free(v, n);
	free(ret == 0 ? v : NULL);
	return ret;
}

int smime_address_list(const char *value, char ***addrs, size_t *naddrs)
{
	int ret;

	if (value == NULL || addrs == NULL || naddrs == NULL)
		return SMIME_E_ARG;
	*addrs = NULL;
	*naddrs = 0;
	ret = scan_addresses(value, SIZE_MAX, addrs, naddrs);
	if (ret < 0) {
		smime_address_list_free(*addrs, *naddrs);
		*addrs = NULL;
		*naddrs = 0;
	}
	return ret;
}

void smime_address_list_free(char **addrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(addrs[i]);
	free(addrs);
}
