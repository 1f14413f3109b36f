/*
 * test_codec.c - base64, quoted-printable and line-end canonicalisation.
 */
#include "smime.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

typedef int (*codec_fn)(const unsigned char *, size_t, smime_buf *);

/* Runs fn on the C string in and compares with want (wlen bytes). */
static void check(codec_fn fn, const char *in, const char *want, size_t wlen,
		  const char *name)
{
	smime_buf out = SMIME_BUF_INIT;
	int ret = fn((const unsigned char *)in, strlen(in), &out);

	if (ret != 0) {
		ok(0, "%s (returned %d)", name, ret);
	} else {
		is_mem(out.data, out.len, want, wlen, "%s", name);
	}
	smime_buf_free(&out);
}

static void check_err(codec_fn fn, const char *in, int want, const char *name)
{
	smime_buf out = SMIME_BUF_INIT;

	is_long(fn((const unsigned char *)in, strlen(in), &out), want, "%s",
		name);
	smime_buf_free(&out);
}

#define CHECK(fn, in, want, name) check(fn, in, want, sizeof(want) - 1, name)

static void test_base64(void)
{
	static const char *vec[][2] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};
	smime_buf out = SMIME_BUF_INIT, back = SMIME_BUF_INIT;
	unsigned char bin[1000];
	size_t i, n, bad = 0, longest = 0, a;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		smime_buf_reset(&out);
		smime_base64_encode((const unsigned char *)vec[i][0],
				    strlen(vec[i][0]), 0, &out);
		is_str(out.data ? (char *)out.data : "", vec[i][1],
		       "base64 encodes RFC 4648 vector '%s'", vec[i][0]);
		check(smime_base64_decode, vec[i][1], vec[i][0],
		      strlen(vec[i][0]), "base64 decodes RFC 4648 vector");
	}
	CHECK(smime_base64_decode, "Zm9v\r\nYmFy\r\n", "foobar",
	      "base64 decode skips CRLF line breaks");
	CHECK(smime_base64_decode, " Zm 9v\tYm\nFy ", "foobar",
	      "base64 decode skips blanks and LF anywhere");
	CHECK(smime_base64_decode, "Zm8", "fo",
	      "base64 decode accepts missing padding (3 chars)");
	CHECK(smime_base64_decode, "Zg", "f",
	      "base64 decode accepts missing padding (2 chars)");
	CHECK(smime_base64_decode, "Zg==Zm9v", "f",
	      "base64 decode stops at the first pad");
	CHECK(smime_base64_decode, "Zg=", "f",
	      "base64 decode accepts one pad of two");
	check_err(smime_base64_decode, "Zm9v*YmFy", SMIME_E_PARSE,
		  "base64 decode rejects a character outside the alphabet");
	check_err(smime_base64_decode, "Zm9v-", SMIME_E_PARSE,
		  "base64 decode rejects the URL-safe alphabet");
	check_err(smime_base64_decode, "Zm9vY", SMIME_E_PARSE,
		  "base64 decode rejects a lone final character");
	check_err(smime_base64_decode, "Zm9v\x80", SMIME_E_PARSE,
		  "base64 decode rejects 8-bit bytes");

	smime_buf_reset(&out);
	smime_base64_encode((const unsigned char *)"foobar", 6, 4, &out);
	is_str((char *)out.data, "Zm9v\r\nYmFy\r\n",
	       "base64 encode breaks lines with CRLF, the last line too");
	smime_buf_reset(&out);
	smime_base64_encode((const unsigned char *)"fooba", 5, 4, &out);
	is_str((char *)out.data, "Zm9v\r\nYmE=\r\n",
	       "base64 encode line break counts the pad characters");

	/* Round trips of every length up to 1000 with 76-char lines. */
	for (n = 0; n <= sizeof(bin); n++) {
		for (i = 0; i < n; i++)
			bin[i] = (unsigned char)(i * 131 + n);
		smime_buf_reset(&out);
		smime_buf_reset(&back);
		if (smime_base64_encode(bin, n, 76, &out) != 0 ||
		    smime_base64_decode(out.data, out.len, &back) != 0 ||
		    back.len != n || (n > 0 && memcmp(back.data, bin, n) != 0))
			bad++;
		for (a = 0; a < out.len;) {
			char *crlf = strstr((char *)out.data + a, "\r\n");

			if (crlf == NULL)
				break;
			if ((size_t)(crlf - (char *)out.data) - a > longest)
				longest = (size_t)(crlf - (char *)out.data) - a;
			a = (size_t)(crlf - (char *)out.data) + 2;
		}
	}
	is_long((long)bad, 0, "base64 round trip of lengths 0..1000");
	is_long((long)longest, 76, "base64 lines are at most 76 characters");
	smime_buf_free(&out);
	smime_buf_free(&back);
}

static void test_qp(void)
{
	smime_buf out = SMIME_BUF_INIT, back = SMIME_BUF_INIT;
	unsigned char bin[600];
	size_t i, n, bad = 0, longest = 0, col = 0;

	CHECK(smime_qp_decode, "caf=C3=A9", "caf\xc3\xa9", "qp decodes =XX");
	CHECK(smime_qp_decode, "a=3db", "a=b",
	      "qp decodes lowercase hex leniently");
	CHECK(smime_qp_decode, "soft=\r\nbreak", "softbreak",
	      "qp removes a CRLF soft break");
	CHECK(smime_qp_decode, "soft=\nbreak", "softbreak",
	      "qp removes an LF soft break");
	CHECK(smime_qp_decode, "soft= \t\r\nbreak", "softbreak",
	      "qp soft break may have trailing blanks");
	CHECK(smime_qp_decode, "line  \r\nnext\t\nlast ", "line\r\nnext\nlast",
	      "qp drops trailing blanks and keeps hard line ends");
	CHECK(smime_qp_decode, "end=", "end",
	      "qp '=' at the very end is a soft break");
	CHECK(smime_qp_decode, "a=ZZb=4", "a=ZZb=4", "qp keeps bad escapes");
	CHECK(smime_qp_decode, "x=4\r\ny", "x=4\r\ny",
	      "qp keeps an escape cut by a line end");
	CHECK(smime_qp_decode, "=3D=\r\n=3D",
	      "==", "qp escape next to soft break");

	CHECK(smime_qp_encode, "a=b", "a=3Db", "qp encodes '='");
	CHECK(smime_qp_encode, "trail \r\nx\t", "trail=20\r\nx=09",
	      "qp encodes blanks at line ends");
	CHECK(smime_qp_encode, "in side", "in side", "qp keeps inner blanks");
	CHECK(smime_qp_encode, "a\nb", "a\r\nb",
	      "qp turns LF into a CRLF line break");
	CHECK(smime_qp_encode, "a\rb", "a=0Db", "qp encodes a lone CR");
	CHECK(smime_qp_encode, "\xff\x01", "=FF=01",
	      "qp encodes 8-bit and control bytes");

	/* Long lines: soft breaks keep lines at 76 characters or less. */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = i % 3 == 0 ? '=' : (unsigned char)('a' + i % 26);
	smime_qp_encode(bin, sizeof(bin), &out);
	for (i = 0; i < out.len; i++) {
		if (out.data[i] == '\r') {
			if (col > longest)
				longest = col;
			col = 0;
			i++;
		} else {
			col++;
		}
	}
	if (col > longest)
		longest = col;
	ok(longest <= 76 && longest >= 70,
	   "qp lines are at most 76 characters (longest %zu)", longest);
	smime_qp_decode(out.data, out.len, &back);
	is_mem(back.data, back.len, bin, sizeof(bin),
	       "qp round trip of a long line with soft breaks");

	/* Binary without line ends round-trips exactly at every length. */
	for (n = 0; n < 300; n++) {
		for (i = 0; i < n; i++) {
			bin[i] = (unsigned char)(i * 37 + n);
			if (bin[i] == '\r' || bin[i] == '\n')
				bin[i] = ' ';
		}
		smime_buf_reset(&out);
		smime_buf_reset(&back);
		if (smime_qp_encode(bin, n, &out) != 0 ||
		    smime_qp_decode(out.data, out.len, &back) != 0 ||
		    back.len != n || (n > 0 && memcmp(back.data, bin, n) != 0))
			bad++;
	}
	is_long((long)bad, 0, "qp round trip of binary lengths 0..299");
	smime_buf_reset(&out);
	smime_buf_reset(&back);
	smime_qp_encode((const unsigned char *)"one \r\ntwo\r\n", 11, &out);
	smime_qp_decode(out.data, out.len, &back);
	is_mem(back.data, back.len, "one \r\ntwo\r\n", 11,
	       "qp round trip keeps a blank before CRLF");
	smime_buf_free(&out);
	smime_buf_free(&back);
}

static void test_canon(void)
{
	CHECK(smime_canon_crlf, "a\nb\r\nc\rd\r", "a\r\nb\r\nc\r\nd\r\n",
	      "canon_crlf: LF, CRLF and lone CR all become CRLF");
	CHECK(smime_canon_crlf, "\r\r\n\n", "\r\n\r\n\r\n",
	      "canon_crlf: CR before CRLF is its own line end");
	CHECK(smime_canon_crlf, "no line end", "no line end",
	      "canon_crlf leaves text without line ends alone");
	CHECK(smime_canon_crlf, "", "", "canon_crlf of nothing is nothing");
	CHECK(smime_canon_lf, "a\r\nb\rc\nd\r\n", "a\nb\rc\nd\n",
	      "canon_lf: CRLF becomes LF, lone CR and LF stay");
	CHECK(smime_canon_lf, "\r\r\n", "\r\n",
	      "canon_lf: only the CR of CRLF goes");
}

int main(void)
{
	test_base64();
	test_qp();
	test_canon();
	return tap_done();
}
