/*
 * fuzz_mime.c - fuzz harness for the MIME layer of crypto/: header
 * splitting (smime_message_split), address and unfold helpers
 * (smime_address_first, smime_address_list), the MIME
 * tree (smime_mime_parse) both ways the product calls it (whole message,
 * and body plus the milter's separate header list), with default and
 * with tiny limits, smime_part_decode over every entity, and the
 * `encrypt` action's "already encrypted" (smime_message_is_encrypted).
 *
 * Beyond "no crash, no leak" it checks the promises of smime.h that the
 * signature code relies on: every offset lies inside the input, children
 * lie inside their parent in order, part numbers and depths are
 * consistent, and type/subtype are set and lowercase.  The codecs get a
 * round trip on a prefix of the input: decode(encode(x)) == x.
 */
#include "fuzz.h"
#include "smime.h"

#include <stdbool.h>

static void check_part(const uint8_t *buf, size_t len, const smime_part *p,
		       const smime_part *parent);

/* smime_address_list: every address readable and non-empty, and the
 * first one what smime_address_first found (first: NULL when it found
 * none). */
static void check_address_list(const char *value, const char *first)
{
	char **addrs = NULL;
	size_t n = 0;
	int rc = smime_address_list(value, &addrs, &n);

	fuzz_check(rc == 0 || rc == SMIME_E_PARSE || rc == SMIME_E_NOMEM);
	fuzz_check(n == 0 || addrs != NULL);
	for (size_t i = 0; i < n; i++)
		fuzz_check(addrs[i] != NULL && fuzz_touch_str(addrs[i]) > 0);
	if (rc == 0 && first != NULL)
		fuzz_check(n > 0 && strcmp(addrs[0], first) == 0);
	if (rc == 0 && first == NULL)
		fuzz_check(n == 0);
	smime_address_list_free(addrs, n);
}

static void check_headers(const smime_headers *h)
{
	for (size_t i = 0; i < h->n; i++) {
		char *unfolded = NULL, *addr = NULL;
		int rc;

		fuzz_check(h->v[i].name != NULL && h->v[i].value != NULL);
		fuzz_touch_str(h->v[i].name);
		rc = smime_header_unfold(h->v[i].value, &unfolded);
		fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
		if (rc == 0)
			fuzz_check(strchr(unfolded, '\n') == NULL);
		free(unfolded);
		rc = smime_address_first(h->v[i].value, &addr);
		fuzz_check(rc == 0 || rc == SMIME_E_PARSE ||
			   rc == SMIME_E_NOMEM);
		if (rc == 0) {
			fuzz_check(addr != NULL);
			fuzz_touch_str(addr);
		} else {
			fuzz_check(addr == NULL);
		}
		if (rc != SMIME_E_NOMEM)
			check_address_list(h->v[i].value, addr);
		free(addr);
		/* The lookup must find the instance it was given. */
		fuzz_check(smime_headers_get(h, h->v[i].name, 0) != NULL);
		fuzz_check(smime_headers_count(h, h->v[i].name) >= 1);
	}
}

static bool is_lower(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return false;
	return true;
}

static void check_children(const uint8_t *buf, size_t len, const smime_part *p)
{
	size_t prev_end = p->body_start;

	fuzz_check(p->nchildren == 0 || p->children != NULL);
	for (size_t i = 0; i < p->nchildren; i++) {
		const smime_part *k = &p->children[i];

		fuzz_check(k->start >= prev_end);
		fuzz_check(k->end <= p->end);
		fuzz_check(k->depth == p->depth + 1);
		prev_end = k->end;
		check_part(buf, len, k, p);
	}
	fuzz_check(p->preamble_start <= p->preamble_end);
	fuzz_check(p->preamble_start >= p->body_start);
	fuzz_check(p->preamble_end <= p->end);
	fuzz_check(p->epilogue_start >= p->preamble_end);
	fuzz_check(p->epilogue_start <= p->epilogue_end);
	fuzz_check(p->epilogue_end <= p->end);
	if (p->nchildren > 0)
		fuzz_check(p->epilogue_start >= prev_end);
	/* truncated propagates to every ancestor. */
	for (size_t i = 0; i < p->nchildren; i++)
		if (p->children[i].truncated)
			fuzz_check(p->truncated);
}

static void check_part(const uint8_t *buf, size_t len, const smime_part *p,
		       const smime_part *parent)
{
	smime_buf out = SMIME_BUF_INIT;
	int rc;

	fuzz_check(p->start <= p->body_start);
	fuzz_check(p->body_start <= p->end);
	fuzz_check(p->end <= len);
	fuzz_check(p->type != NULL && p->subtype != NULL);
	fuzz_check(is_lower(p->type) && is_lower(p->subtype));
	fuzz_check(memchr(p->partnum, '\0', sizeof(p->partnum)) != NULL);
	fuzz_check(parent != NULL || p->depth == 0);
	fuzz_check(p->depth <= 32);
	if (parent != NULL)
		fuzz_check(strncmp(p->partnum, parent->partnum,
				   strlen(parent->partnum)) == 0);
	for (size_t i = 0; i < p->nparams; i++) {
		fuzz_check(p->params[i].name != NULL &&
			   p->params[i].value != NULL);
		fuzz_check(is_lower(p->params[i].name));
		fuzz_touch_str(p->params[i].value);
		fuzz_check(smime_part_param(p, p->params[i].name) != NULL);
	}
	check_headers(&p->headers);
	rc = smime_part_decode(buf, p, &out);
	fuzz_check(rc == 0 || rc == SMIME_E_PARSE || rc == SMIME_E_NOMEM);
	fuzz_touch_mem(out.data, out.len);
	if (out.data != NULL)
		fuzz_check(out.data[out.len] == '\0');
	/* Decoding never makes a body larger than it was. */
	if (rc == 0)
		fuzz_check(out.len <= p->end - p->body_start);
	smime_buf_free(&out);
	check_children(buf, len, p);
}

static void parse_and_check(const uint8_t *buf, size_t len,
			    const smime_headers *top,
			    const smime_mime_limits *lim)
{
	smime_part *root = NULL;
	int rc = smime_mime_parse(buf, len, top, lim, &root);

	fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
	if (rc == 0) {
		fuzz_check(root != NULL);
		fuzz_check(root->start == 0 && root->end == len);
		fuzz_check(root->partnum[0] == '\0');
		check_part(buf, len, root, NULL);
	}
	smime_mime_free(root);
}

/* What quoted-printable text mode makes of x: a bare LF is a line end,
 * written as CRLF. */
static int lf_to_crlf(const uint8_t *x, size_t n, smime_buf *out)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (x[i] == '\n' && (i == 0 || x[i - 1] != '\r'))
			rc = smime_buf_putc(out, '\r');
		if (rc == 0)
			rc = smime_buf_putc(out, x[i]);
	}
	return rc;
}

/* Round trips on a prefix of the input: base64 decode(encode(x)) == x,
 * quoted-printable gives x back with its line ends as CRLF, and the
 * canonical forms are what their names say. */
static void codec_round_trips(const uint8_t *data, size_t size)
{
	smime_buf enc = SMIME_BUF_INIT, dec = SMIME_BUF_INIT;
	smime_buf crlf = SMIME_BUF_INIT, lf = SMIME_BUF_INIT;
	size_t n = size < 2048 ? size : 2048;

	if (smime_base64_encode(data, n, 76, &enc) == 0 &&
	    smime_base64_decode(enc.data, enc.len, &dec) == 0)
		fuzz_check(dec.len == n &&
			   (n == 0 || memcmp(dec.data, data, n) == 0));
	smime_buf_reset(&enc);
	smime_buf_reset(&dec);
	if (smime_qp_encode(data, n, &enc) == 0 &&
	    smime_qp_decode(enc.data, enc.len, &dec) == 0 &&
	    lf_to_crlf(data, n, &crlf) == 0) {
		fuzz_check(dec.len == crlf.len &&
			   (crlf.len == 0 ||
			    memcmp(dec.data, crlf.data, crlf.len) == 0));
		/* RFC 2045 6.7 rule 5: no encoded line over 76 characters. */
		for (size_t i = 0, col = 0; i < enc.len; i++) {
			col = enc.data[i] == '\n' ? 0 : col + 1;
			fuzz_check(col <= 77); /* 76 and the CR */
		}
	}
	smime_buf_reset(&crlf);
	if (smime_canon_crlf(data, n, &crlf) == 0 &&
	    smime_canon_lf(crlf.data, crlf.len, &lf) == 0) {
		/* In the CRLF form every CR starts a CRLF and every LF ends
		 * one, so the LF form of it holds no CR at all. */
		for (size_t i = 0; i < crlf.len; i++) {
			if (crlf.data[i] == '\r')
				fuzz_check(i + 1 < crlf.len &&
					   crlf.data[i + 1] == '\n');
			if (crlf.data[i] == '\n')
				fuzz_check(i > 0 && crlf.data[i - 1] == '\r');
		}
		fuzz_check(lf.len == 0 ||
			   memchr(lf.data, '\r', lf.len) == NULL);
	}
	smime_buf_free(&enc);
	smime_buf_free(&dec);
	smime_buf_free(&crlf);
	smime_buf_free(&lf);
}

int fuzz_mime(const uint8_t *data, size_t size)
{
	smime_headers hdrs = SMIME_HEADERS_INIT;
	smime_mime_limits tiny = {2, 4, 6, 80};
	size_t body_off = 0;
	int rc;

	/* The milter's view: header fields apart, then the body. */
	rc = smime_message_split(data, size, &hdrs, &body_off);
	fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
	if (rc == 0) {
		bool yes = false;

		fuzz_check(body_off <= size);
		check_headers(&hdrs);
		parse_and_check(data + body_off, size - body_off, &hdrs, NULL);
		/* `encrypt`'s "already encrypted" reads any message */
		rc = smime_message_is_encrypted(&hdrs, data + body_off,
						size - body_off, NULL, NULL,
						&yes);
		fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
	}
	smime_headers_free(&hdrs);

	/* The whole message in one buffer (smime-tool, opaque content). */
	parse_and_check(data, size, NULL, NULL);
	parse_and_check(data, size, NULL, &tiny);
	codec_round_trips(data, size);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_mime)
