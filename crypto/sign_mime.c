/*
 * sign_mime.c - a whole message made into a detached multipart/signed
 * (RFC 8551 section 3.5) that survives transport.
 *
 * The signed entity is built from the message: the top-level Content-*
 * fields become its header; the body is copied with every line end made
 * CRLF, except that leaves which would not survive a 7bit hop (declared
 * 8bit or binary, holding 8-bit bytes or NULs, or a line over 998
 * octets) are re-encoded, quoted-printable for text and base64 for the
 * rest, and a multipart declared 8bit or binary is declared 7bit.  The
 * entity is signed as built, so the signed bytes are exactly the bytes
 * the recipient finds between the boundaries.
 *
 * Promises: nothing is written to the edit list before the signature is
 * made; the boundary is random and checked against the entity; header
 * values use libmilter folding ("\n\t").
 */
#include "keys_internal.h"

#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 998
#define BOUNDARY_PREFIX "----=_smime_"

/* A piece of the body replaced by rewritten bytes. */
typedef struct splice {
	size_t start, end;
	smime_buf text;
} splice;

typedef struct splices {
	splice *v;
	size_t n, cap;
	const char *spill_dir; /* the message's copies may spill there */
} splices;

static void splices_free(splices *s)
{
	for (size_t i = 0; i < s->n; i++)
		smime_buf_free(&s->v[i].text);
	free(s->v);
}

static splice *splices_add(splices *s, size_t start, size_t end)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		splice *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = (splice){start, end, SMIME_BUF_INIT};
	smime_buf_spill(&s->v[s->n].text, s->spill_dir);
	return &s->v[s->n++];
}

bool smime_is_content_field(const char *name)
{
	return smime_ascii_ncasecmp(name, "Content-", 8) == 0;
}

int smime_put_field(smime_buf *out, const char *name, const char *value)
{
	int ret = smime_buf_printf(out, "%s: ", name);

	if (ret == 0)
		ret = smime_canon_crlf((const unsigned char *)value,
				       strlen(value), out);
	if (ret == 0)
		ret = smime_buf_puts(out, "\r\n");
	return ret;
}

/* Whether a leaf's body would be changed or refused by a 7bit hop. */
static bool leaf_needs_encoding(const unsigned char *buf, const smime_part *p)
{
	size_t col = 0;

	if (p->cte == SMIME_CTE_8BIT || p->cte == SMIME_CTE_BINARY)
		return true;
	for (size_t i = p->body_start; i < p->end; i++) {
		if (buf[i] == '\r' || buf[i] == '\n') {
			col = 0;
			continue;
		}
		if (buf[i] >= 0x80 || buf[i] == 0 || ++col > MAX_LINE)
			return true;
	}
	return false;
}

/* The leaf's content, then encoded for a 7bit hop into out. */
static int encode_leaf(const unsigned char *buf, const smime_part *p, bool top,
		       const char *spill_dir, smime_buf *out, const char **cte)
{
	smime_buf raw = SMIME_BUF_INIT, canon = SMIME_BUF_INIT;
	const smime_buf *content = &raw;
	bool text = strcmp(p->type, "text") == 0;
	int ret;

	smime_buf_spill(&raw, spill_dir);
	smime_buf_spill(&canon, spill_dir);
	ret = smime_part_decode(buf, p, &raw);
	if (ret < 0)
		goto cleanup;
	/* 7bit and 8bit data is lines: its line ends are CRLF on the wire.
	 * Binary data keeps its bytes; text is lines whatever it says. */
	if (!text && p->cte != SMIME_CTE_BINARY && p->cte != SMIME_CTE_BASE64 &&
	    p->cte != SMIME_CTE_QP) {
		ret = smime_canon_crlf(raw.data, raw.len, &canon);
		content = &canon;
	}
	if (ret < 0)
		goto cleanup;
	if (text) {
		*cte = "quoted-printable";
		ret = smime_qp_encode(content->data, content->len, out);
	} else {
		*cte = "base64";
		ret = smime_base64_encode(content->data, content->len, 76, out);
		/* Inside a multipart the line end before the boundary is the
		 * boundary's: the last CRLF would add nothing. */
		if (ret == 0 && !top && out->len >= 2)
			out->len -= 2;
	}
cleanup:
	smime_buf_free(&raw);
	smime_buf_free(&canon);
	return ret;
}

/* The fields of a part (not the top), its CTE replaced by cte. */
static int put_part_header(smime_buf *out, const smime_part *p, const char *cte)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < p->headers.n; i++)
		if (smime_ascii_casecmp(p->headers.v[i].name,
					"Content-Transfer-Encoding") != 0)
			ret = smime_put_field(out, p->headers.v[i].name,
					      p->headers.v[i].value);
	if (ret == 0)
		ret = smime_put_field(out, "Content-Transfer-Encoding", cte);
	return ret;
}

/*
 * Collects the rewrites of the tree under p (document order).  For the
 * top entity (its header is the message's) *top_cte gets the new CTE,
 * or stays NULL.
 */
static int plan_rewrites(const unsigned char *buf, const smime_part *p,
			 bool top, splices *s, const char **top_cte)
{
	splice *sp;
	const char *cte;
	int ret = 0;

	if (p->nchildren > 0) {
		if (p->cte == SMIME_CTE_8BIT || p->cte == SMIME_CTE_BINARY) {
			if (top) {
				*top_cte = "7bit";
			} else {
				sp = splices_add(s, p->start, p->body_start);
				if (sp == NULL)
					return SMIME_E_NOMEM;
				ret = put_part_header(&sp->text, p, "7bit");
				if (ret == 0)
					ret = smime_buf_puts(&sp->text, "\r\n");
			}
		}
		for (size_t i = 0; ret == 0 && i < p->nchildren; i++)
			ret = plan_rewrites(buf, &p->children[i], false, s,
					    top_cte);
		return ret;
	}
	if (!leaf_needs_encoding(buf, p))
		return 0;
	/* A multipart we could not split may not be base64 (RFC 2046
	 * 5.1): we cannot make it survive, so we do not sign it. */
	if (strcmp(p->type, "multipart") == 0)
		return SMIME_E_PARSE;
	sp = splices_add(s, top ? p->body_start : p->start, p->end);
	if (sp == NULL)
		return SMIME_E_NOMEM;
	if (top) {
		ret = encode_leaf(buf, p, true, s->spill_dir, &sp->text, &cte);
		*top_cte = cte;
		return ret;
	}
	{
		smime_buf body = SMIME_BUF_INIT;

		smime_buf_spill(&body, s->spill_dir);
		ret = encode_leaf(buf, p, false, s->spill_dir, &body, &cte);
		if (ret == 0)
			ret = put_part_header(&sp->text, p, cte);
		if (ret == 0)
			ret = smime_buf_puts(&sp->text, "\r\n");
		if (ret == 0)
			ret = smime_buf_append(&sp->text, body.data, body.len);
		smime_buf_free(&body);
	}
	return ret;
}

/* The signed entity: moved Content-* fields, blank line, the body with
 * the rewrites applied and all other bytes CRLF-canonical. */
static int build_entity(const smime_headers *hdrs, const unsigned char *body,
			size_t len, const smime_part *root,
			const char *spill_dir, smime_buf *out)
{
	splices s = {NULL, 0, 0, spill_dir};
	const char *top_cte = NULL;
	size_t at = root->body_start;
	int ret;

	ret = plan_rewrites(body, root, true, &s, &top_cte);
	for (size_t i = 0; ret == 0 && i < hdrs->n; i++) {
		const smime_header *h = &hdrs->v[i];

		if (!smime_is_content_field(h->name) ||
		    (top_cte != NULL &&
		     smime_ascii_casecmp(h->name,
					 "Content-Transfer-Encoding") == 0))
			continue;
		ret = smime_put_field(out, h->name, h->value);
	}
	if (ret == 0 && top_cte != NULL)
		ret = smime_put_field(out, "Content-Transfer-Encoding",
				      top_cte);
	if (ret == 0)
		ret = smime_buf_puts(out, "\r\n");
	if (ret == 0)
		ret = smime_canon_crlf(body, at, out); /* none with a header */
	for (size_t i = 0; ret == 0 && i < s.n; i++) {
		ret = smime_canon_crlf(body + at, s.v[i].start - at, out);
		if (ret == 0)
			ret = smime_buf_append(out, s.v[i].text.data,
					       s.v[i].text.len);
		at = s.v[i].end;
	}
	if (ret == 0 && at < len)
		ret = smime_canon_crlf(body + at, len - at, out);
	splices_free(&s);
	return ret;
}

/* A random boundary whose delimiter does not occur in the entity. */
static int make_boundary(const smime_buf *entity, char *out, size_t size)
{
	unsigned char rnd[16];
	char delim[80];

	for (int tries = 0; tries < 16; tries++) {
		size_t n = (size_t)snprintf(out, size, "%s", BOUNDARY_PREFIX);

		if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
			return SMIME_E_CRYPTO;
		for (size_t i = 0; i < sizeof(rnd) && n + 3 <= size; i++)
			n += (size_t)snprintf(out + n, size - n, "%02x",
					      rnd[i]);
		snprintf(delim, sizeof(delim), "--%s", out);
		if (memmem(entity->data, entity->len, delim, strlen(delim)) ==
		    NULL)
			return SMIME_OK;
	}
	return SMIME_E_CRYPTO; /* the random source repeats itself */
}

static int build_body(const smime_buf *entity, const char *boundary,
		      const smime_buf *der, smime_buf *out)
{
	int ret;

	ret = smime_buf_printf(out,
			       "This is a cryptographically signed message in "
			       "MIME format.\r\n\r\n--%s\r\n",
			       boundary);
	if (ret == 0)
		ret = smime_buf_append(out, entity->data, entity->len);
	if (ret == 0)
		ret = smime_buf_printf(
			out,
			"\r\n--%s\r\n"
			"Content-Type: application/pkcs7-signature; "
			"name=\"smime.p7s\"\r\n"
			"Content-Transfer-Encoding: base64\r\n"
			"Content-Disposition: attachment; "
			"filename=\"smime.p7s\"\r\n"
			"Content-Description: S/MIME Cryptographic "
			"Signature\r\n\r\n",
			boundary);
	if (ret == 0)
		ret = smime_base64_encode(der->data, der->len, 76, out);
	if (ret == 0)
		ret = smime_buf_printf(out, "--%s--\r\n", boundary);
	return ret;
}

int smime_content_header_edits(const smime_headers *hdrs, const char *ct,
			       smime_edits *e)
{
	size_t n;
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < hdrs->n; i++) {
		const char *name = hdrs->v[i].name;
		bool first = true, is_ct;

		if (!smime_is_content_field(name))
			continue;
		/* handle each name once, at its first instance */
		for (size_t j = 0; j < i && first; j++)
			if (smime_ascii_casecmp(hdrs->v[j].name, name) == 0)
				first = false;
		if (!first)
			continue;
		is_ct = smime_ascii_casecmp(name, "Content-Type") == 0;
		n = smime_headers_count(hdrs, name);
		for (size_t k = n; ret == 0 && k >= (is_ct ? 2 : 1); k--)
			ret = smime_edits_header(e, SMIME_EDIT_DELETE,
						 (unsigned)k, name, NULL);
		if (ret == 0 && is_ct)
			ret = smime_edits_header(e, SMIME_EDIT_CHANGE, 1, name,
						 ct);
	}
	n = smime_headers_count(hdrs, "MIME-Version");
	for (size_t k = n; ret == 0 && k >= 2; k--)
		ret = smime_edits_header(e, SMIME_EDIT_DELETE, (unsigned)k,
					 "MIME-Version", NULL);
	if (ret == 0 && n == 0)
		ret = smime_edits_header(e, SMIME_EDIT_INSERT, (unsigned)-1,
					 "MIME-Version", "1.0");
	if (ret == 0 && smime_headers_count(hdrs, "Content-Type") == 0)
		ret = smime_edits_header(e, SMIME_EDIT_INSERT, (unsigned)-1,
					 "Content-Type", ct);
	return ret;
}

int smime_sign_message(const smime_key *key, const smime_sign_opts *opts,
		       const smime_headers *hdrs, const unsigned char *body,
		       size_t len, const smime_mime_limits *limits,
		       smime_edits *edits)
{
	smime_buf entity = SMIME_BUF_INIT, der = SMIME_BUF_INIT;
	smime_buf newbody = SMIME_BUF_INIT, ct = SMIME_BUF_INIT;
	smime_part *root = NULL;
	const char *micalg;
	char boundary[64];
	int ret;

	const char *spill = opts != NULL ? opts->spill_dir : NULL;

	if (hdrs == NULL || (body == NULL && len > 0) || edits == NULL)
		return SMIME_E_ARG;
	/* Copies of the message, the signature and boundaries added */
	smime_buf_spill(&entity, spill);
	smime_buf_spill(&newbody, spill);
	ret = smime_sign_algorithms(key, opts, NULL, &micalg);
	if (ret == 0)
		ret = smime_mime_parse(body, len, hdrs, limits, &root);
	/* A tree we could not see whole may hide parts a hop would break */
	if (ret == 0 && root->truncated)
		ret = SMIME_E_LIMIT;
	if (ret == 0)
		ret = build_entity(hdrs, body, len, root, spill, &entity);
	if (ret == 0)
		ret = smime_sign_detached(key, opts, entity.data, entity.len,
					  &der);
	if (ret == 0)
		ret = make_boundary(&entity, boundary, sizeof(boundary));
	if (ret == 0)
		ret = build_body(&entity, boundary, &der, &newbody);
	if (ret == 0)
		ret = smime_buf_printf(
			&ct,
			"multipart/signed; "
			"protocol=\"application/pkcs7-signature\";\n\t"
			"micalg=%s; boundary=\"%s\"",
			micalg, boundary);
	/* Complete: only now does the edit list change. */
	if (ret == 0)
		ret = smime_content_header_edits(hdrs, (const char *)ct.data,
						 edits);
	if (ret == 0) {
		smime_buf_free(&edits->body);
		edits->body = newbody;
		newbody = (smime_buf)SMIME_BUF_INIT;
		edits->replace_body = true;
	}
	smime_mime_free(root);
	smime_buf_free(&entity);
	smime_buf_free(&der);
	smime_buf_free(&newbody);
	smime_buf_free(&ct);
	return ret;
}
