/*
 * test_mime_hostile.c - the MIME parser (crypto/mime.c) at its limits and
 * against hostile input: nesting, part and header counts, long lines,
 * broken boundaries; every case gives a defined result in time linear in
 * the input, never a crash (this runs under ASan/UBSan in CI).
 */
#include "mime_fixtures.h"
#include "smime.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- limits and hostile input ---------------------------------------- */

/* levels nested multiparts (boundaries b0, b1, ...) around a text part. */
static char *nest(unsigned levels)
{
	smime_buf b = SMIME_BUF_INIT;
	unsigned i;
	char *s = NULL;

	for (i = 0; i < levels; i++)
		smime_buf_printf(
			&b,
			"Content-Type: multipart/mixed; boundary=b%u\r\n"
			"\r\n--b%u\r\n",
			i, i);
	smime_buf_puts(&b, "Content-Type: text/plain\r\n\r\ncore\r\n");
	for (i = levels; i-- > 0;)
		smime_buf_printf(&b, "--b%u--\r\n", i);
	smime_buf_steal(&b, &s);
	return s;
}

static const smime_part *deepest(const smime_part *p)
{
	while (p->nchildren > 0)
		p = &p->children[0];
	return p;
}

static void test_limits(void)
{
	char *m = nest(16);
	smime_part *r = parse(m);
	const smime_part *d;
	smime_buf b = SMIME_BUF_INIT;
	smime_mime_limits lim;
	unsigned i;

	d = r != NULL ? deepest(r) : NULL;
	ok(d != NULL && d->depth == 16 && strcmp(d->type, "text") == 0 &&
		   !r->truncated,
	   "16 nested multiparts parse fully (leaf at depth 16)");
	if (d != NULL)
		is_str(d->partnum, "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1",
		       "part number of a depth-16 leaf");
	smime_mime_free(r);
	free(m);

	m = nest(17);
	r = parse(m);
	d = r != NULL ? deepest(r) : NULL;
	ok(d != NULL && d->depth == 16 && strcmp(d->type, "multipart") == 0 &&
		   d->truncated && d->nchildren == 0,
	   "17th nested multipart (depth 16) is truncated, not descended");
	ok(r != NULL && r->truncated && r->children[0].truncated,
	   "truncated is propagated to every ancestor");
	smime_mime_free(r);
	free(m);

	smime_buf_puts(
		&b, "Content-Type: multipart/mixed; boundary=h\r\n\r\n--h\r\n");
	for (i = 0; i < SMIME_MIME_MAX_HEADERS + 1; i++)
		smime_buf_printf(&b, "X-H%u: %u\r\n", i, i);
	smime_buf_puts(&b, "\r\nbody\r\n--h\r\n\r\nsecond\r\n--h--\r\n");
	r = parse((char *)b.data);
	if (ok(r != NULL && r->nchildren == 2,
	       "entity with 1001 fields parsed")) {
		is_long((long)r->children[0].headers.n, SMIME_MIME_MAX_HEADERS,
			"only 1000 fields are kept");
		ok(r->children[0].truncated && r->truncated,
		   "header-count limit sets truncated");
		range_is((char *)b.data, r->children[0].body_start,
			 r->children[0].end, "body",
			 "body still found after the limit");
		ok(!r->children[1].truncated, "sibling is not truncated");
	}
	smime_mime_free(r);

	smime_buf_reset(&b);
	smime_buf_puts(&b,
		       "Content-Type: multipart/mixed; boundary=l\r\nX-Long: ");
	for (i = 0; i < SMIME_MIME_MAX_LINE; i++)
		smime_buf_putc(&b, 'a');
	smime_buf_puts(&b, "\r\n\r\n--l\r\n\r\nx\r\n--l--\r\n");
	r = parse((char *)b.data);
	ok(r != NULL && r->truncated && r->nchildren == 0 &&
		   smime_headers_get(&r->headers, "X-Long", 0) == NULL &&
		   smime_headers_get(&r->headers, "Content-Type", 0) != NULL,
	   "over-long header line is dropped, truncates, stops descent");
	smime_mime_free(r);

	smime_buf_reset(&b);
	smime_buf_puts(&b, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (i = 0; i < 20; i++)
		smime_buf_printf(&b, "--p\r\n\r\n%u\r\n", i);
	smime_buf_puts(&b, "--p--\r\n");
	smime_mime_limits_default(&lim);
	lim.max_parts = 10;
	r = NULL;
	smime_mime_parse(b.data, b.len, NULL, &lim, &r);
	ok(r != NULL && r->nchildren == 9 && r->truncated,
	   "max_parts 10 keeps the top and 9 children, sets truncated");
	smime_mime_free(r);
	lim.max_parts = 10;
	lim.max_headers = 2;
	lim.max_depth = 1;
	m = nest(3);
	r = NULL;
	smime_mime_parse((const unsigned char *)m, strlen(m), NULL, &lim, &r);
	ok(r != NULL && r->nchildren == 1 && r->children[0].nchildren == 0 &&
		   r->children[0].truncated,
	   "custom max_depth 1: only the top multipart descends");
	smime_mime_free(r);
	free(m);
	smime_buf_free(&b);
}

static void test_hostile(void)
{
	smime_buf b = SMIME_BUF_INIT;
	smime_part *r;
	double t;
	unsigned i;

	/* 100k tiny parts. */
	smime_buf_puts(&b, "Content-Type: multipart/mixed; boundary=t\r\n\r\n");
	for (i = 0; i < 100000; i++)
		smime_buf_puts(&b, "--t\r\n\r\nx\r\n");
	smime_buf_puts(&b, "--t--\r\n");
	t = now();
	r = parse((char *)b.data);
	t = now() - t;
	ok(r != NULL && r->nchildren == SMIME_MIME_MAX_PARTS - 1 &&
		   r->truncated,
	   "100k tiny parts: capped at max_parts, truncated");
	ok(t < 3.0, "100k tiny parts parse quickly (%.2f s)", t);
	smime_mime_free(r);

	/* One 8 MB header line without a line end. */
	smime_buf_reset(&b);
	smime_buf_puts(&b, "Subject: ");
	for (i = 0; i < 8u * 1024 * 1024; i++)
		smime_buf_putc(&b, 'a');
	t = now();
	r = parse((char *)b.data);
	t = now() - t;
	ok(r != NULL && r->truncated && r->headers.n == 0,
	   "8 MB header line: dropped and truncated");
	ok(t < 3.0, "8 MB header line parses quickly (%.2f s)", t);
	smime_mime_free(r);

	/* 20k nested multiparts, each boundary line repeated. */
	smime_buf_reset(&b);
	for (i = 0; i < 20000; i++)
		smime_buf_printf(
			&b,
			"Content-Type: multipart/mixed; boundary=n%u\r\n"
			"\r\n--n%u\r\n",
			i, i);
	t = now();
	r = parse((char *)b.data);
	t = now() - t;
	ok(r != NULL && r->truncated &&
		   deepest(r)->depth == SMIME_MIME_MAX_DEPTH,
	   "20k nested multiparts stop at the depth limit");
	ok(t < 3.0, "20k nested multiparts parse quickly (%.2f s)", t);
	smime_mime_free(r);

	/* Content-Type made of 1M '(' and a million parameters. */
	smime_buf_reset(&b);
	smime_buf_puts(&b, "Content-Type: ");
	for (i = 0; i < 1000000; i++)
		smime_buf_putc(&b, '(');
	smime_buf_puts(&b, "\r\nX: y\r\n\r\n");
	t = now();
	r = parse((char *)b.data);
	t = now() - t;
	ok(r != NULL && strcmp(r->type, "text") == 0,
	   "1M open comments: text/plain default");
	ok(t < 3.0, "1M open comments parse quickly (%.2f s)", t);
	smime_mime_free(r);
	smime_buf_reset(&b);
	smime_buf_puts(&b, "Content-Type: multipart/mixed");
	for (i = 0; i < 5000; i++)
		smime_buf_printf(&b, "; p*%u*=%%41", 4999 - i);
	smime_buf_puts(&b, "\r\n\r\n");
	t = now();
	r = parse((char *)b.data);
	t = now() - t;
	ok(r != NULL && smime_part_param(r, "p") != NULL &&
		   strlen(smime_part_param(r, "p")) == 5000,
	   "5000 reversed RFC 2231 sections joined");
	ok(t < 3.0, "5000 RFC 2231 sections parse quickly (%.2f s)", t);
	smime_mime_free(r);

	/* Every prefix of a nested message parses without error. */
	{
		size_t n, fails = 0, len = strlen(nested);

		for (n = 0; n <= len; n++) {
			r = NULL;
			if (smime_mime_parse((const unsigned char *)nested, n,
					     NULL, NULL, &r) != 0 ||
			    r == NULL)
				fails++;
			smime_mime_free(r);
		}
		is_long((long)fails, 0, "every prefix of a message parses");
	}
	smime_buf_free(&b);
}

/* ---- real messages ---------------------------------------------------- */

int main(void)
{
	test_limits();
	test_hostile();
	return tap_done();
}
