/*
 * mime.c - the MIME tree of a message (RFC 2045, 2046), with the exact
 * byte offsets of every entity, because signatures cover bytes.
 *
 * Promises:
 * - Never fails on malformed MIME: what cannot be split is a leaf.  Only
 *   memory exhaustion is an error.
 * - The limits of smime_mime_limits (and the 64-byte IMAP part number)
 *   stop descent and set `truncated` on the entity where parsing stopped
 *   and on all its ancestors; they are never errors.
 * - Recursion is bounded by max_depth and by the part number size (at
 *   most 32 levels).  Each nesting level scans its own body once, line by
 *   line with memchr, so the cost is O(len x depth).
 *
 * Splitting (RFC 2046 5.1.1, with what real mail does):
 * - A delimiter is a line that is exactly "--" boundary, optionally "--"
 *   (the close delimiter), optional blanks (transport padding) and a line
 *   end (LF, CRLF, or the end of the range).  Anything else, such as a
 *   longer boundary-like line inside base64, is content.
 * - The line end before a delimiter belongs to the delimiter, so an
 *   entity's `end` excludes it.
 * - The outer multipart is split first, so an outer delimiter also ends
 *   an inner multipart whose close delimiter is missing.
 * - No close delimiter: the last part runs to the end of the range and
 *   missing_close is set; no delimiter at all: no children, the whole
 *   body is preamble.  A multipart without a boundary parameter is a
 *   leaf.  Lines after the close delimiter are the epilogue.
 */
#include "mime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Recursion bound independent of the caller's limits: part numbers of
 * 64 bytes hold at most 32 levels anyway. */
#define HARD_MAX_DEPTH 32

void smime_mime_limits_default(smime_mime_limits *l)
{
	if (l == NULL)
		return;
	l->max_depth = SMIME_MIME_MAX_DEPTH;
	l->max_headers = SMIME_MIME_MAX_HEADERS;
	l->max_parts = SMIME_MIME_MAX_PARTS;
	l->max_line = SMIME_MIME_MAX_LINE;
}

struct ctx {
	const unsigned char *buf;
	smime_mime_limits lim;
	size_t nparts; /* entities created so far, the root included */
};

struct range {
	size_t start, end;
};

struct ranges {
	struct range *v;
	size_t n, cap;
};

static int ranges_push(struct ranges *r, size_t start, size_t end)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct range *v = realloc(r->v, cap * sizeof(*v));

		if (v == NULL)
			return SMIME_E_NOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].start = start;
	r->v[r->n].end = end;
	r->n++;
	return 0;
}

/* If the line at pos is a delimiter of boundary (bl bytes), returns true
 * and sets *close for "--boundary--". */
static bool is_delimiter(const unsigned char *buf, size_t pos, size_t e,
			 const char *boundary, size_t bl, bool *close)
{
	size_t q;

	if (e - pos < 2 + bl || buf[pos] != '-' || buf[pos + 1] != '-' ||
	    memcmp(buf + pos + 2, boundary, bl) != 0)
		return false;
	q = pos + 2 + bl;
	*close = false;
	if (e - q >= 2 && buf[q] == '-' && buf[q + 1] == '-') {
		*close = true;
		q += 2;
	}
	while (q < e && (buf[q] == ' ' || buf[q] == '\t'))
		q++;
	return q == e || buf[q] == '\n' ||
	       (buf[q] == '\r' && (q + 1 == e || buf[q + 1] == '\n'));
}

/* The end of the content before a delimiter at pos: the line end before
 * pos belongs to the delimiter, but never reaches before from. */
static size_t before_delimiter(const unsigned char *buf, size_t from,
			       size_t pos)
{
	if (pos > from && buf[pos - 1] == '\n') {
		pos--;
		if (pos > from && buf[pos - 1] == '\r')
			pos--;
	}
	return pos;
}

/*
 * Finds the children of multipart p: fills kids with their ranges (at
 * most max_kids) and p's preamble, epilogue, missing_close, truncated.
 */
static int split_body(const struct ctx *c, smime_part *p, const char *boundary,
		      size_t max_kids, struct ranges *kids)
{
	const unsigned char *buf = c->buf, *lf;
	size_t bl = strlen(boundary), e = p->end, pos = p->body_start, next;
	size_t cur = p->body_start; /* start of the preamble or current part */
	bool in_part = false, close;
	int ret;

	p->preamble_start = p->preamble_end = p->body_start;
	p->epilogue_start = p->epilogue_end = e;
	for (; pos < e; pos = next) {
		lf = memchr(buf + pos, '\n', e - pos);
		next = lf != NULL ? (size_t)(lf - buf) + 1 : e;
		if (!is_delimiter(buf, pos, e, boundary, bl, &close))
			continue;
		if (!in_part) {
			p->preamble_end = before_delimiter(buf, cur, pos);
		} else {
			ret = ranges_push(kids, cur,
					  before_delimiter(buf, cur, pos));
			if (ret < 0)
				return ret;
		}
		if (close) {
			p->epilogue_start = next;
			return 0;
		}
		if (kids->n >= max_kids) {
			p->truncated = true; /* max_parts: stop here */
			return 0;
		}
		cur = next;
		in_part = true;
	}
	p->missing_close = true;
	if (in_part)
		return ranges_push(kids, cur, e);
	p->preamble_end = e;
	return 0;
}

static int parse_entity(struct ctx *c, smime_part *p, bool scan_headers,
			bool in_digest);

/* Splits multipart p on boundary and parses each child. */
static int parse_children(struct ctx *c, smime_part *p, const char *boundary)
{
	struct ranges kids = {NULL, 0, 0};
	size_t i, n, room;
	bool digest = strcmp(p->subtype, "digest") == 0;
	int ret, w;

	room = c->lim.max_parts > c->nparts ? c->lim.max_parts - c->nparts : 0;
	ret = split_body(c, p, boundary, room, &kids);
	if (ret < 0 || kids.n == 0)
		goto cleanup;
	ret = SMIME_E_NOMEM;
	p->children = calloc(kids.n, sizeof(*p->children));
	if (p->children == NULL)
		goto cleanup;
	for (n = 0; n < kids.n; n++) {
		smime_part *k = &p->children[n];

		w = p->depth == 0 ? snprintf(k->partnum, sizeof(k->partnum),
					     "%zu", n + 1)
				  : snprintf(k->partnum, sizeof(k->partnum),
					     "%s.%zu", p->partnum, n + 1);
		if (w < 0 || (size_t)w >= sizeof(k->partnum)) {
			p->truncated = true; /* part number does not fit */
			break;
		}
		k->start = kids.v[n].start;
		k->end = kids.v[n].end;
		k->depth = p->depth + 1;
	}
	p->nchildren = n;
	c->nparts += n;
	for (i = 0; i < p->nchildren; i++) {
		ret = parse_entity(c, &p->children[i], true, digest);
		if (ret < 0)
			goto cleanup;
		if (p->children[i].truncated)
			p->truncated = true;
	}
	ret = 0;
cleanup:
	free(kids.v);
	return ret;
}

/*
 * Parses the entity p whose start, end, depth and partnum are set: its
 * header (unless the caller filled headers and body_start), type, CTE,
 * and for a multipart its children.
 */
static int parse_entity(struct ctx *c, smime_part *p, bool scan_headers,
			bool in_digest)
{
	const char *boundary;
	bool trunc = false;
	int ret;

	if (scan_headers) {
		ret = smime_headers_scan(c->buf, p->start, p->end,
					 p->depth == 0, c->lim.max_headers,
					 c->lim.max_line, &p->headers,
					 &p->body_start, &trunc);
		if (ret < 0)
			return ret;
	}
	/* RFC 2046 5.1.5: in a digest the default type is message/rfc822. */
	ret = smime_content_type_parse(
		smime_headers_get(&p->headers, "Content-Type", 0),
		in_digest ? "message" : "text", in_digest ? "rfc822" : "plain",
		&p->type, &p->subtype, &p->params, &p->nparams);
	if (ret < 0)
		return ret;
	p->cte = smime_cte_parse(
		smime_headers_get(&p->headers, "Content-Transfer-Encoding", 0));
	p->preamble_start = p->preamble_end = p->body_start;
	p->epilogue_start = p->epilogue_end = p->end;
	if (trunc || p->truncated) {
		/* Its own header was cut (or the caller's top headers were):
		 * the type may be wrong, so no descent. */
		p->truncated = true;
		return 0;
	}
	boundary = smime_part_param(p, "boundary");
	if (strcmp(p->type, "multipart") != 0 || boundary == NULL ||
	    boundary[0] == '\0')
		return 0;
	if (p->depth >= c->lim.max_depth || p->depth >= HARD_MAX_DEPTH) {
		p->truncated = true;
		return 0;
	}
	return parse_children(c, p, boundary);
}

int smime_mime_parse(const unsigned char *buf, size_t len,
		     const smime_headers *top_headers,
		     const smime_mime_limits *limits, smime_part **out)
{
	struct ctx c;
	smime_part *root = NULL;
	bool trunc = false;
	int ret;

	if ((buf == NULL && len > 0) || out == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	if (buf == NULL)
		buf = (const unsigned char *)"";
	c.buf = buf;
	c.nparts = 1;
	smime_mime_limits_default(&c.lim);
	if (limits != NULL) {
		/* A zero field keeps its default, never "unlimited". */
		if (limits->max_depth)
			c.lim.max_depth = limits->max_depth;
		if (limits->max_headers)
			c.lim.max_headers = limits->max_headers;
		if (limits->max_parts)
			c.lim.max_parts = limits->max_parts;
		if (limits->max_line)
			c.lim.max_line = limits->max_line;
	}
	root = calloc(1, sizeof(*root));
	if (root == NULL)
		return SMIME_E_NOMEM;
	root->end = len;
	if (top_headers != NULL) {
		/* The caller's list is whole and already in memory: max_headers
		 * bounds scanning header text in buf, and cutting this list
		 * would only hide the message's own Content-Type (or From)
		 * behind 1000 other fields. */
		ret = smime_headers_copy(top_headers, 0, &root->headers,
					 &trunc);
		if (ret < 0)
			goto cleanup;
	}
	root->truncated = trunc;
	ret = parse_entity(&c, root, top_headers == NULL, false);
	if (ret < 0)
		goto cleanup;
	*out = root;
	root = NULL;
cleanup:
	smime_mime_free(root);
	return ret;
}

static void part_free_fields(smime_part *p)
{
	size_t i;

	for (i = 0; i < p->nchildren; i++)
		part_free_fields(&p->children[i]);
	free(p->children);
	smime_headers_free(&p->headers);
	smime_str_free(p->type);
	smime_str_free(p->subtype);
	smime_params_free(p->params, p->nparams);
}

void smime_mime_free(smime_part *root)
{
	if (root == NULL)
		return;
	part_free_fields(root);
	free(root);
}

const char *smime_part_param(const smime_part *p, const char *name)
{
	size_t i;

	if (p == NULL || name == NULL)
		return NULL;
	for (i = 0; i < p->nparams; i++)
		if (smime_ascii_casecmp(p->params[i].name, name) == 0)
			return p->params[i].value;
	return NULL;
}

int smime_part_decode(const unsigned char *buf, const smime_part *p,
		      smime_buf *out)
{
	const unsigned char *body;
	size_t n;

	if (buf == NULL || p == NULL || out == NULL || p->end < p->body_start)
		return SMIME_E_ARG;
	body = buf + p->body_start;
	n = p->end - p->body_start;
	switch (p->cte) {
	case SMIME_CTE_BASE64:
		return smime_base64_decode(body, n, out);
	case SMIME_CTE_QP:
		return smime_qp_decode(body, n, out);
	default:
		return smime_buf_append(out, body, n);
	}
}
