/*
 * test_mime.c - header lists, message split, addresses, Content-Type
 * parameters (RFC 2231) and the MIME tree: exact offsets and real-mail
 * tolerance.  Limits and hostile input are test_mime_hostile.c's.
 */
#include "mime_fixtures.h"
#include "smime.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- header lists and message split ---------------------------------- */

static void test_headers(void)
{
	smime_headers h = SMIME_HEADERS_INIT;
	size_t off = 99;
	char *u = NULL;
	static const char crlf[] = "Received: one\r\nSubject: a\r\n  folded\r\n"
				   "received: two\r\nX-Empty:\r\n\r\nbody\r\n";
	static const char lf[] = "From \"mbox\" Mon Jan  1 00:00:00 2024\n"
				 " stray continuation\nA: 1\nB :  2\n\nbody";

	ok(smime_message_split((const unsigned char *)crlf, strlen(crlf), &h,
			       &off) == 0,
	   "split a CRLF message");
	is_long((long)h.n, 4, "four header fields");
	is_long((long)off, (long)(strstr(crlf, "body") - crlf),
		"body offset is the byte after the blank line");
	is_str(smime_headers_get(&h, "SUBJECT", 0), "a\r\n  folded",
	       "value is raw: folding kept, leading blank dropped");
	is_str(smime_headers_get(&h, "Received", 1), "two",
	       "get nth instance, name case-insensitive");
	is_str(smime_headers_get(&h, "Received", 2), NULL,
	       "get past the last instance is NULL");
	is_long((long)smime_headers_count(&h, "RECEIVED"), 2,
		"count instances case-insensitively");
	is_str(smime_headers_get(&h, "X-Empty", 0), "", "empty value is \"\"");
	is_str(h.v[0].name, "Received", "names are kept as received");
	ok(smime_header_unfold(smime_headers_get(&h, "Subject", 0), &u) == 0,
	   "unfold succeeds");
	is_str(u, "a  folded", "unfold removes line ends, keeps the blanks");
	free(u);
	smime_header_unfold(" \tx\n\ty \r\n", &u);
	is_str(u, "x\ty", "unfold trims and handles LF folding");
	free(u);
	smime_headers_free(&h);

	ok(smime_message_split((const unsigned char *)lf, strlen(lf), &h,
			       &off) == 0,
	   "split an LF message with an mbox From line");
	is_long((long)h.n, 2,
		"mbox From line and a leading continuation are skipped");
	is_str(h.v[1].name, "B", "blanks before the colon are not in the name");
	is_str(smime_headers_get(&h, "b", 0), "2", "value of a spaced field");
	is_long((long)off, (long)(strstr(lf, "body") - lf),
		"LF blank line ends the header");
	smime_headers_free(&h);

	ok(smime_message_split((const unsigned char *)"A: 1\r\nB: 2", 11, &h,
			       &off) == 0 &&
		   off == 11 && h.n == 2,
	   "no blank line: no body, last field kept");
	smime_headers_free(&h);
	ok(smime_message_split(
		   (const unsigned char *)"A: 1\nnot a header\nB: 2\n\nx", 26,
		   &h, &off) == 0 &&
		   off == 5 && h.n == 1,
	   "a line that is not a field ends the header; the body starts there");
	smime_headers_free(&h);
	ok(smime_message_split((const unsigned char *)"", 0, &h, &off) == 0 &&
		   off == 0 && h.n == 0,
	   "empty message: no fields, body at 0");
	ok(smime_headers_add(&h, "X", 1, "v\0w", 3) == 0 && h.n == 1,
	   "headers_add takes explicit lengths");
	smime_headers_free(&h);
}

static void test_address_list(void);

static void test_address(void)
{
	static const char *vec[][2] = {
		{"alice@example.org", "alice@example.org"},
		{"Alice <alice@example.org>", "alice@example.org"},
		{"\"Doe, John\" <john@example.org>, bob@example.org",
		 "john@example.org"},
		{"(comment) carol@example.org (Carol)", "carol@example.org"},
		{"=?utf-8?q?D=C3=A9?= <de@example.org>", "de@example.org"},
		{"friends: dave@example.org, erin@example.org;",
		 "dave@example.org"},
		{"undisclosed:;, frank@example.org", "frank@example.org"},
		{"<@relay.example:gina@example.org>", "gina@example.org"},
		{"hank . smith @ example.org", "hank.smith@example.org"},
		{"<>, ivan@example.org", "ivan@example.org"},
		{"\"quoted local\"@example.org",
		 "\"quoted local\"@example.org"},
		{"Jo <jo@example.org\r\n (x)>", "jo@example.org"},
		{"Name\n <folded@example.org>", "folded@example.org"},
		{"kim@example.org (unclosed comment", "kim@example.org"},
		{"\"Tricky <not@this.org>\" <real@example.org>",
		 "real@example.org"},
		/* RFC 6532: UTF-8 in angle brackets is kept whole (issue 13) */
		{"L\xc3\xb5ks <l\xc3\xb5ks@n\xc3\xa4ide.ee>",
		 "l\xc3\xb5ks@n\xc3\xa4ide.ee"},
		{"<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90."
		 "\xe5\xb9\xbf\xe5\x91\x8a>",
		 "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90."
		 "\xe5\xb9\xbf\xe5\x91\x8a"},
	};
	static const char *none[] = {"", "Just A Name",
				     "undisclosed-recipients:;", "<>",
				     "(only a comment)"};
	size_t i;
	char *a;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		a = NULL;
		if (smime_address_first(vec[i][0], &a) != 0)
			ok(0, "address of vector %zu (failed)", i);
		else
			is_str(a, vec[i][1], "address of vector %zu, %s", i,
			       vec[i][1]);
		free(a);
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		a = NULL;
		is_long(smime_address_first(none[i], &a), SMIME_E_PARSE,
			"no address in '%s' is SMIME_E_PARSE", none[i]);
		free(a);
	}
	test_address_list();
}

/* Every mailbox of a list, as the rules' `from` condition needs. */
static void test_address_list(void)
{
	char **v = NULL;
	size_t n = 0;

	is_long(smime_address_list(
			"\"Doe, John\" <john@example.org>, "
			"friends: dave@example.org, erin@example.org;"
			", <>, (c) frank@example.org",
			&v, &n),
		0, "an address list parses");
	if (is_long((long)n, 4,
		    "every mailbox of the list is found, groups included")) {
		is_str(v[0], "john@example.org", "first mailbox of the list");
		is_str(v[1], "dave@example.org", "group member one");
		is_str(v[2], "erin@example.org", "group member two");
		is_str(v[3], "frank@example.org", "mailbox after an empty <>");
	}
	smime_address_list_free(v, n);
	is_long(smime_address_list("Just A Name", &v, &n), 0,
		"a list without any address is not an error");
	is_long((long)n, 0, "and it is empty");
	smime_address_list_free(v, n);
}

/* ---- Content-Type parameters ----------------------------------------- */

static void test_params(void)
{
	smime_part *r;

	r = parse("Content-Type: Application/X-Stuff;\r\n"
		  " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
		  " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
		  " title*2=\"isn't it!\"\r\n\r\n");
	if (!ok(r != NULL, "parse an RFC 2231 continuation"))
		return;
	is_str(r->type, "application", "type is lowercased");
	is_str(r->subtype, "x-stuff", "subtype is lowercased");
	is_str(smime_part_param(r, "TITLE"),
	       "This is even more ***fun*** isn't it!",
	       "RFC 2231 sections joined, percent-decoded, charset dropped");
	smime_mime_free(r);

	r = parse("Content-Type: text/plain; name*1=\"b\"; name*0=\"a\";"
		  " name*3=\"d\"; name=\"plain\"; "
		  "fn*=utf-8''%E2%82%AC%zz\r\n\r\n");
	is_str(smime_part_param(r, "name"), "ab",
	       "sections sorted, joined up to the first gap, win over plain");
	is_str(smime_part_param(r, "fn"), "\xe2\x82\xac%zz",
	       "extended value decoded, a bad escape kept");
	smime_mime_free(r);

	r = parse(
		"Content-Type: multipart/mixed (a comment; with semicolon);\r\n"
		"\tBOUNDARY=\"a\\\"b;c d\" ; Name=\"x;y\" (c) ; junk ;"
		" charset=US-ASCII; x=\"unterminated\r\n\r\n");
	is_str(r->type, "multipart", "type read past a comment");
	is_str(smime_part_param(r, "boundary"), "a\"b;c d",
	       "quoted value: escaped quote and semicolon kept, case kept");
	is_str(smime_part_param(r, "name"), "x;y", "parameter name lowercased");
	is_str(smime_part_param(r, "charset"), "US-ASCII", "value case kept");
	is_str(smime_part_param(r, "x"), "unterminated",
	       "unterminated quoted string runs to the end");
	is_str(smime_part_param(r, "junk"), NULL,
	       "parameter without '=' ignored");
	smime_mime_free(r);

	r = parse(
		"Content-Type: multipart/related; boundary=----=_Part_0_1.2;"
		" type=text/html\r\nContent-Transfer-Encoding: Base64\r\n\r\n");
	is_str(smime_part_param(r, "boundary"), "----=_Part_0_1.2",
	       "unquoted value may hold '=' (JavaMail)");
	is_str(smime_part_param(r, "type"), "text/html",
	       "unquoted value with '/'");
	is_long(r->cte, SMIME_CTE_BASE64, "CTE is case-insensitive");
	smime_mime_free(r);

	r = parse("Content-Type: garbage\r\nContent-Transfer-Encoding: "
		  "x-uue\r\n\r\n");
	ok(strcmp(r->type, "text") == 0 && strcmp(r->subtype, "plain") == 0,
	   "malformed Content-Type defaults to text/plain");
	is_long(r->cte, SMIME_CTE_OTHER, "unknown CTE is OTHER");
	smime_mime_free(r);
	r = parse("Subject: none\r\n\r\nbody");
	ok(strcmp(r->type, "text") == 0 && r->cte == SMIME_CTE_7BIT &&
		   r->nparams == 0,
	   "missing Content-Type and CTE: text/plain, 7bit");
	smime_mime_free(r);
}

/* ---- the tree ------------------------------------------------------- */

static void expect_part(const smime_part *p, const char *num, size_t start,
			size_t body, size_t end)
{
	if (!ok(p != NULL, "part '%s' exists", num))
		return;
	ok(p->start == start && p->body_start == body && p->end == end,
	   "part '%s' offsets %zu/%zu/%zu (got %zu/%zu/%zu)", num, start, body,
	   end, p->start, p->body_start, p->end);
}

static void test_nested(void)
{
	smime_part *r = parse(nested);
	const smime_part *p;

	if (!ok(r != NULL, "parse nested multiparts"))
		return;
	ok(strcmp(r->partnum, "") == 0 && r->depth == 0,
	   "top entity has part number \"\" and depth 0");
	is_long((long)r->nchildren, 2, "top has two children");
	expect_part(r, "", 0, 72, 315);
	ok(r->preamble_start == 72 && r->preamble_end == 85,
	   "top preamble is 72..85");
	range_is(nested, r->preamble_start, r->preamble_end, "preamble text",
		 "preamble excludes the line end before the first boundary");
	ok(r->epilogue_start == 305 && r->epilogue_end == 315,
	   "top epilogue is 305..315");
	expect_part(find(r, "1"), "1", 96, 124, 129);
	range_is(nested, 96, 129, "Content-Type: text/plain\r\n\r\nfirst",
		 "part 1 bytes end before the CRLF of the next boundary");
	expect_part(find(r, "2"), "2", 140, 195, 292);
	expect_part(find(r, "2.1"), "2.1", 204, 206, 216);
	range_is(nested, 204, 216, "\r\nplain body",
		 "part 2.1 without header starts with its blank line");
	expect_part(find(r, "2.2"), "2.2", 227, 254, 265);
	p = find(r, "2");
	if (p != NULL) {
		ok(p->epilogue_start == 278 && p->epilogue_end == 292,
		   "inner epilogue is 278..292");
		ok(p->preamble_start == 195 && p->preamble_end == 195,
		   "inner preamble is empty");
		ok(p->depth == 1 && p->children[0].depth == 2,
		   "depths count nesting");
		is_str(p->subtype, "alternative", "inner subtype");
		ok(!p->missing_close && !p->truncated, "inner is complete");
	}
	p = find(r, "2.2");
	if (p != NULL)
		is_str(p->subtype, "html",
		       "part 2.2 type read from its header");
	p = find(r, "2.1");
	if (p != NULL)
		ok(strcmp(p->type, "text") == 0 && p->headers.n == 0,
		   "part 2.1 with no header is text/plain");
	ok(!r->missing_close && !r->truncated, "top is complete");
	smime_mime_free(r);
}

static void test_top_headers(void)
{
	static const char body[] = "--b\r\n\r\none\r\n--b--\r\n";
	smime_headers h = SMIME_HEADERS_INIT;
	smime_part *r = NULL;

	smime_headers_add(&h, "Content-Type", 12, "multipart/mixed; boundary=b",
			  27);
	ok(smime_mime_parse((const unsigned char *)body, strlen(body), &h, NULL,
			    &r) == 0 &&
		   r != NULL,
	   "parse a body with separate top headers");
	if (r != NULL) {
		ok(r->start == 0 && r->body_start == 0 &&
			   r->end == strlen(body),
		   "top entity covers the whole body buffer");
		is_long((long)r->nchildren, 1, "one child");
		if (r->nchildren == 1)
			range_is(body, r->children[0].start, r->children[0].end,
				 "\r\none", "child bytes from the body buffer");
		is_str(smime_headers_get(&r->headers, "content-type", 0),
		       "multipart/mixed; boundary=b", "top headers copied");
	}
	smime_mime_free(r);
	/* More top fields than max_headers: the caller's list is whole, so
	 * it is taken whole and a Content-Type behind the first max_headers
	 * fields still rules (max_headers bounds scanning buf only). */
	{
		smime_mime_limits lim;
		smime_headers many = SMIME_HEADERS_INIT;

		smime_mime_limits_default(&lim);
		lim.max_headers = 1;
		smime_headers_add(&many, "Subject", 7, "x", 1);
		smime_headers_add(&many, "Content-Type", 12,
				  "multipart/mixed; boundary=b", 27);
		r = NULL;
		smime_mime_parse((const unsigned char *)body, strlen(body),
				 &many, &lim, &r);
		ok(r != NULL && !r->truncated && r->nchildren == 1 &&
			   r->headers.n == 2,
		   "top headers past max_headers: all kept, the type found");
		smime_mime_free(r);
		smime_headers_free(&many);
	}
	smime_headers_free(&h);
	/* A non-multipart top entity has no children. */
	r = parse("Content-Type: text/plain\r\n\r\n--b\r\n");
	ok(r != NULL && r->nchildren == 0 && r->children == NULL,
	   "a leaf top entity has no children");
	smime_mime_free(r);
}

static void test_line_ends(void)
{
	static const char lf[] =
		"Content-Type: multipart/mixed; boundary=z\n\n"
		"--z\nContent-Type: text/plain\n\nA\n--z\n\nB\n--z--\n";
	static const char mixed[] =
		"Content-Type: multipart/mixed; boundary=z\n\n"
		"--z\r\n\r\nA\r\n--z\n\nB\n\r\n--z--";
	smime_part *r = parse(lf);

	if (ok(r != NULL && r->nchildren == 2,
	       "LF-only message has two parts")) {
		range_is(lf, r->children[0].body_start, r->children[0].end, "A",
			 "LF-only: body ends before the LF of the boundary");
		range_is(lf, r->children[1].start, r->children[1].end, "\nB",
			 "LF-only: headerless part keeps its blank line");
		ok(!r->missing_close, "LF-only close delimiter found");
	}
	smime_mime_free(r);
	r = parse(mixed);
	if (ok(r != NULL && r->nchildren == 2,
	       "mixed CRLF/LF message has two parts")) {
		range_is(mixed, r->children[0].body_start, r->children[0].end,
			 "A", "mixed: CRLF before a boundary is excluded");
		range_is(mixed, r->children[1].body_start, r->children[1].end,
			 "B\n",
			 "mixed: only the last line end before the boundary "
			 "goes");
		ok(!r->missing_close && r->epilogue_start == strlen(mixed),
		   "close delimiter at the end of input without line end");
	}
	smime_mime_free(r);
}

static void test_tolerance(void)
{
	static const char noclose[] =
		"Content-Type: multipart/mixed; boundary=q\r\n\r\n"
		"--q\r\n\r\nfirst\r\n--q\r\n\r\nrest of the message\r\n";
	static const char padded[] =
		"Content-Type: multipart/mixed; boundary=q\r\n\r\n"
		"--q \t\r\n\r\nA\r\n--q\r\n\r\nB\r\n--q--  \r\nepi";
	static const char b64[] =
		"Content-Type: multipart/mixed; boundary=q\r\n\r\n"
		"--q\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		"aGVsbG8h\r\n--qx\r\n--q x\r\n- --q\r\n--q--x\r\n--Q\r\n"
		"--q\r\n\r\nB\r\n--q--\r\n";
	static const char inner_open[] =
		"Content-Type: multipart/mixed; boundary=o\r\n\r\n"
		"--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
		"--i\r\n\r\nX\r\n"
		"--o\r\n\r\nY\r\n--o--\r\n";
	static const char empty[] =
		"Content-Type: multipart/mixed; boundary=e\r\n\r\n"
		"--e\r\n--e\r\n\r\n--e\r\n\r\n\r\n--e--\r\n";
	smime_part *r;
	smime_buf out = SMIME_BUF_INIT;

	r = parse(noclose);
	if (ok(r != NULL && r->nchildren == 2,
	       "missing close: both parts found")) {
		ok(r->missing_close, "missing close is flagged");
		ok(r->children[1].end == strlen(noclose),
		   "last part runs to the end of the message");
		ok(r->epilogue_start == r->epilogue_end,
		   "no epilogue without close");
	}
	smime_mime_free(r);

	r = parse(padded);
	if (ok(r != NULL && r->nchildren == 2,
	       "blanks after boundaries (transport padding) accepted")) {
		ok(!r->missing_close, "padded close delimiter recognised");
		range_is(padded, r->epilogue_start, r->epilogue_end, "epi",
			 "epilogue after a padded close delimiter");
	}
	smime_mime_free(r);

	r = parse(b64);
	if (ok(r != NULL && r->nchildren == 2,
	       "boundary-like lines inside base64 do not split")) {
		ok(smime_part_decode((const unsigned char *)b64,
				     &r->children[0], &out) == SMIME_E_PARSE,
		   "the boundary-like lines stayed in part 1 (base64 rejects "
		   "them)");
		range_is(b64, r->children[0].body_start, r->children[0].end,
			 "aGVsbG8h\r\n--qx\r\n--q x\r\n- --q\r\n--q--x\r\n--Q",
			 "part 1 holds every near-miss line");
	}
	smime_mime_free(r);

	r = parse(inner_open);
	if (ok(r != NULL && r->nchildren == 2,
	       "outer boundary ends an inner multipart without close")) {
		ok(r->children[0].missing_close &&
			   r->children[0].nchildren == 1,
		   "inner multipart flagged missing_close with its one part");
		if (r->children[0].nchildren == 1)
			range_is(inner_open,
				 r->children[0].children[0].body_start,
				 r->children[0].children[0].end, "X",
				 "inner part ends at the outer boundary");
		ok(!r->missing_close, "outer is closed");
	}
	smime_mime_free(r);

	r = parse(empty);
	if (ok(r != NULL && r->nchildren == 3, "empty parts are parts")) {
		ok(r->children[0].start == r->children[0].end,
		   "adjacent boundaries give an empty part");
		ok(r->children[1].body_start == r->children[1].end,
		   "part with only a blank line has an empty body");
		range_is(empty, r->children[2].body_start, r->children[2].end,
			 "", "blank line before the boundary belongs to it");
	}
	smime_mime_free(r);

	r = parse("Content-Type: "
		  "multipart/mixed\r\n\r\n--x\r\n\r\nA\r\n--x--\r\n");
	ok(r != NULL && r->nchildren == 0 && !r->truncated,
	   "multipart without boundary is a leaf");
	smime_mime_free(r);
	r = parse("Content-Type: multipart/mixed; boundary=zz\r\n\r\nno "
		  "delimiter\r\n");
	ok(r != NULL && r->nchildren == 0 && r->missing_close &&
		   r->preamble_end == r->end,
	   "multipart with no delimiter: no children, all preamble");
	smime_mime_free(r);
	r = parse("Content-Type: multipart/digest; "
		  "boundary=d\r\n\r\n--d\r\n\r\nX\r\n--d--");
	ok(r != NULL && r->nchildren == 1 &&
		   strcmp(r->children[0].type, "message") == 0,
	   "digest children default to message/rfc822");
	smime_mime_free(r);
	r = parse("Content-Type: multipart/mixed; boundary=p\r\n\r\n--p\r\n"
		  "this line is not a header\r\n--p--\r\n");
	ok(r != NULL && r->nchildren == 1 &&
		   r->children[0].body_start == r->children[0].start,
	   "part starting with a non-header line: body starts at once");
	smime_mime_free(r);
	smime_buf_free(&out);
}

static void test_decode(void)
{
	static const char m[] =
		"Content-Type: multipart/mixed; boundary=q\r\n\r\n"
		"--q\r\nContent-Transfer-Encoding: "
		"base64\r\n\r\naGVs\r\nbG8=\r\n"
		"--q\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
		"caf=C3=A9 =\r\nok\r\n--q\r\n\r\nraw\r\n--q--\r\n";
	smime_part *r = parse(m);
	smime_buf out = SMIME_BUF_INIT;

	if (!ok(r != NULL && r->nchildren == 3, "parse encoded parts"))
		return;
	ok(smime_part_decode((const unsigned char *)m, &r->children[0], &out) ==
		   0,
	   "decode base64 part");
	is_mem(out.data, out.len, "hello", 5, "base64 part decoded");
	smime_buf_reset(&out);
	smime_part_decode((const unsigned char *)m, &r->children[1], &out);
	is_mem(out.data, out.len, "caf\xc3\xa9 ok", 8,
	       "quoted-printable part decoded");
	smime_buf_reset(&out);
	smime_part_decode((const unsigned char *)m, &r->children[2], &out);
	is_mem(out.data, out.len, "raw", 3, "7bit part copied");
	smime_buf_free(&out);
	smime_mime_free(r);
}

static char *slurp(const char *name, size_t *len)
{
	const char *dir = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	char *s = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/%s", dir ? dir : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
		*len = fread(s, 1, (size_t)n, f);
		s[*len] = '\0';
	}
	fclose(f);
	return s;
}

static void test_corpus(void)
{
	size_t len = 0;
	char *m = slurp("sig-sha512-detached-mixed.eml", &len);
	smime_part *r = NULL;
	const smime_part *p;
	smime_buf sig = SMIME_BUF_INIT;

	if (!ok(m != NULL, "read sig-sha512-detached-mixed.eml"))
		return;
	smime_mime_parse((unsigned char *)m, len, NULL, NULL, &r);
	if (ok(r != NULL && strcmp(r->subtype, "signed") == 0 &&
		       r->nchildren == 2,
	       "openssl mixed-line-end signed message: multipart/signed, 2 "
	       "parts")) {
		p = find(r, "1");
		ok(p && strcmp(p->subtype, "mixed") == 0 && p->nchildren == 2,
		   "part 1 is multipart/mixed with 2 parts");
		ok(find(r, "1.1") &&
			   strcmp(find(r, "1.1")->subtype, "plain") == 0,
		   "part 1.1 is text/plain");
		ok(find(r, "1.2") &&
			   strcmp(find(r, "1.2")->subtype, "octet-stream") == 0,
		   "part 1.2 is application/octet-stream");
		p = find(r, "2");
		ok(p && strcmp(p->subtype, "pkcs7-signature") == 0 &&
			   p->cte == SMIME_CTE_BASE64,
		   "part 2 is the base64 pkcs7-signature");
		if (p && smime_part_decode((unsigned char *)m, p, &sig) == 0)
			ok(sig.len > 100 && sig.data[0] == 0x30,
			   "signature decodes to DER (SEQUENCE)");
		else
			ok(0, "signature decodes");
		p = find(r, "1");
		ok(p && p->end == 952 && m[p->end] == '\n' &&
			   memcmp(m + p->end - 4, "--\r\n", 4) == 0,
		   "signed content ends with the inner close line, before the "
		   "LF");
		ok(!r->truncated && !r->missing_close, "no limits hit, closed");
	}
	smime_mime_free(r);
	smime_buf_free(&sig);
	free(m);

	m = slurp("smime-signed-apple.mbox", &len);
	r = NULL;
	if (!ok(m != NULL, "read smime-signed-apple.mbox"))
		return;
	smime_mime_parse((unsigned char *)m, len, NULL, NULL, &r);
	if (ok(r != NULL && r->nchildren == 2,
	       "LF-only Apple Mail message: 2 parts")) {
		ok(find(r, "1") &&
			   strcmp(find(r, "1")->subtype, "alternative") == 0,
		   "part 1 is multipart/alternative");
		ok(find(r, "1.2") && find(r, "1.2")->nchildren == 3,
		   "part 1.2 is a multipart with 3 parts");
		ok(find(r, "1.2.2") &&
			   strcmp(find(r, "1.2.2")->type, "image") == 0,
		   "part 1.2.2 is the image");
		ok(find(r, "2") && strcmp(find(r, "2")->subtype,
					  "pkcs7-signature") == 0,
		   "part 2 is the signature");
		p = find(r, "1");
		ok(p && p->end == 5670 && m[p->end] == '\n' &&
			   memcmp(m + p->end - 5, "AB--\n", 5) == 0 &&
			   strncmp(m + p->end + 1, "--Apple-Mail=_607FF8D2",
				   22) == 0,
		   "signed part keeps its close line, ends before the LF of "
		   "the boundary");
	}
	smime_mime_free(r);
	free(m);
}

int main(void)
{
	test_headers();
	test_address();
	test_params();
	test_nested();
	test_top_headers();
	test_line_ends();
	test_tolerance();
	test_decode();
	test_corpus();
	return tap_done();
}
