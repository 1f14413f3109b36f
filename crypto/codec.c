/*
 * codec.c - transfer encodings and line-end canonicalisation: base64
 * (RFC 4648 alphabet, RFC 2045 line breaks), quoted-printable (RFC 2045
 * 6.7) and the CRLF / LF forms signatures are computed over.
 *
 * Promises: every function appends to out, runs in linear time and
 * accepts any input; decoders are lenient where real mail is sloppy and
 * say SMIME_E_PARSE only where the docs in smime.h say so.  On error out
 * may hold partial output (the caller frees it either way).
 */
#include "internal.h"

#include <string.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Sextet value + 1 of each byte (0 for a byte outside the alphabet), and
 * B64_SKIP for the blanks and line ends RFC 2045 tells decoders to
 * ignore. */
enum { B64_SKIP = 65 };

static const unsigned char b64_values[256] = {
	['A'] = 1,         ['B'] = 2,         ['C'] = 3,
	['D'] = 4,         ['E'] = 5,         ['F'] = 6,
	['G'] = 7,         ['H'] = 8,         ['I'] = 9,
	['J'] = 10,        ['K'] = 11,        ['L'] = 12,
	['M'] = 13,        ['N'] = 14,        ['O'] = 15,
	['P'] = 16,        ['Q'] = 17,        ['R'] = 18,
	['S'] = 19,        ['T'] = 20,        ['U'] = 21,
	['V'] = 22,        ['W'] = 23,        ['X'] = 24,
	['Y'] = 25,        ['Z'] = 26,        ['a'] = 27,
	['b'] = 28,        ['c'] = 29,        ['d'] = 30,
	['e'] = 31,        ['f'] = 32,        ['g'] = 33,
	['h'] = 34,        ['i'] = 35,        ['j'] = 36,
	['k'] = 37,        ['l'] = 38,        ['m'] = 39,
	['n'] = 40,        ['o'] = 41,        ['p'] = 42,
	['q'] = 43,        ['r'] = 44,        ['s'] = 45,
	['t'] = 46,        ['u'] = 47,        ['v'] = 48,
	['w'] = 49,        ['x'] = 50,        ['y'] = 51,
	['z'] = 52,        ['0'] = 53,        ['1'] = 54,
	['2'] = 55,        ['3'] = 56,        ['4'] = 57,
	['5'] = 58,        ['6'] = 59,        ['7'] = 60,
	['8'] = 61,        ['9'] = 62,        ['+'] = 63,
	['/'] = 64,        [' '] = B64_SKIP,  ['\t'] = B64_SKIP,
	['\r'] = B64_SKIP, ['\n'] = B64_SKIP, ['\f'] = B64_SKIP,
	['\v'] = B64_SKIP,
};

/* The output is reserved once and written in place: a body of many
 * megabytes costs one allocation, not a doubling (and a wipe of the old
 * block) every time it outgrows the last. */
int smime_base64_decode(const unsigned char *in, size_t n, smime_buf *out)
{
	unsigned long acc = 0;
	unsigned char *w;
	size_t i, k = 0;
	int ret;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	ret = smime_buf_reserve(out, n / 4 * 3 + 3);
	if (ret < 0)
		return ret;
	w = out->data + out->len;
	for (i = 0; i < n && in[i] != '='; i++) { /* the pad ends the data */
		unsigned v = b64_values[in[i]];

		if (v == B64_SKIP)
			continue;
		if (v == 0)
			break;
		acc = (acc << 6) | (v - 1);
		if (++k == 4) {
			w[0] = (unsigned char)(acc >> 16);
			w[1] = (unsigned char)(acc >> 8);
			w[2] = (unsigned char)acc;
			w += 3;
			acc = 0;
			k = 0;
		}
	}
	/* A final group of 2 or 3 characters carries 1 or 2 bytes, padded
	 * or not; a lone character carries no whole byte. */
	if (k == 2)
		*w++ = (unsigned char)(acc >> 4);
	if (k == 3) {
		*w++ = (unsigned char)(acc >> 10);
		*w++ = (unsigned char)(acc >> 2);
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
	return (i < n && in[i] != '=') || k == 1 ? SMIME_E_PARSE : 0;
}

/* The length of the encoding of n bytes, CRLF every line_len characters
 * and after the last partial line; 0 when it would not fit a size_t. */
static size_t b64_encoded_len(size_t n, size_t line_len)
{
	size_t chars, lines;

	if (n / 3 >= SIZE_MAX / 4 - 1)
		return 0;
	chars = (n + 2) / 3 * 4;
	lines = line_len > 0 ? (chars + line_len - 1) / line_len : 0;
	return lines > (SIZE_MAX - chars) / 2 ? 0 : chars + 2 * lines;
}

int smime_base64_encode(const unsigned char *in, size_t n, size_t line_len,
			smime_buf *out)
{
	size_t i, col = 0, total = b64_encoded_len(n, line_len);
	unsigned long acc;
	unsigned char *w;
	int ret;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	if (total == 0 && n > 0)
		return SMIME_E_NOMEM;
	ret = smime_buf_reserve(out, total);
	if (ret < 0)
		return ret;
	w = out->data + out->len;
	for (i = 0; i < n; i += 3) {
		unsigned char q[4];

		acc = (unsigned long)in[i] << 16;
		if (i + 1 < n)
			acc |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			acc |= in[i + 2];
		q[0] = (unsigned char)b64_alphabet[(acc >> 18) & 63];
		q[1] = (unsigned char)b64_alphabet[(acc >> 12) & 63];
		q[2] = i + 1 < n ? (unsigned char)b64_alphabet[(acc >> 6) & 63]
				 : '=';
		q[3] = i + 2 < n ? (unsigned char)b64_alphabet[acc & 63] : '=';
		for (int k = 0; k < 4; k++) {
			*w++ = q[k];
			if (line_len > 0 && ++col == line_len) {
				*w++ = '\r';
				*w++ = '\n';
				col = 0;
			}
		}
	}
	if (line_len > 0 && col > 0) {
		*w++ = '\r';
		*w++ = '\n';
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int smime_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f') /* not RFC 2045, but seen in the wild */
		return c - 'a' + 10;
	return -1;
}

int smime_qp_decode(const unsigned char *in, size_t n, smime_buf *out)
{
	size_t i = 0, a, e, le, next;
	const unsigned char *lf;
	int ret = 0, h, l;
	bool soft;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	/* Line by line: trailing blanks were added in transport and go
	 * (RFC 2045 6.7 rule 3); a '=' ending a line is a soft break. */
	while (i < n && ret == 0) {
		lf = memchr(in + i, '\n', n - i);
		next = lf != NULL ? (size_t)(lf - in) + 1 : n;
		le = lf != NULL ? next - 1 : n; /* end of content */
		if (le > i && in[le - 1] == '\r')
			le--;
		e = le;
		while (e > i && (in[e - 1] == ' ' || in[e - 1] == '\t'))
			e--;
		soft = e > i && in[e - 1] == '=';
		if (soft)
			e--;
		for (a = i; a < e && ret == 0; a++) {
			if (in[a] == '=' && a + 2 < e &&
			    (h = smime_hexval(in[a + 1])) >= 0 &&
			    (l = smime_hexval(in[a + 2])) >= 0) {
				ret = smime_buf_putc(out, h * 16 + l);
				a += 2;
			} else {
				ret = smime_buf_putc(out, in[a]);
			}
		}
		if (ret == 0 && !soft && le < next)
			ret = smime_buf_append(out, in + le, next - le);
		i = next;
	}
	return ret;
}

/* Appends "=XX". */
static int qp_escape(smime_buf *out, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char q[3] = {'=', hex[c >> 4], hex[c & 15]};

	return smime_buf_append(out, q, 3);
}

int smime_qp_encode(const unsigned char *in, size_t n, smime_buf *out)
{
	size_t i, col = 0, w;
	bool at_eol, literal;
	int ret = 0;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	for (i = 0; i < n && ret == 0; i++) {
		/* Hard line break: CRLF or a bare LF becomes CRLF. */
		if (in[i] == '\n' ||
		    (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')) {
			if (in[i] == '\r')
				i++;
			ret = smime_buf_append(out, "\r\n", 2);
			col = 0;
			continue;
		}
		at_eol = i + 1 == n || in[i + 1] == '\n' ||
			 (in[i + 1] == '\r' && i + 2 < n && in[i + 2] == '\n');
		/* Blanks before a line end would be stripped in transport. */
		literal = (in[i] >= 33 && in[i] <= 126 && in[i] != '=') ||
			  ((in[i] == ' ' || in[i] == '\t') && !at_eol);
		w = literal ? 1 : 3;
		/* At most 76 characters a line, the soft break's '=' counted;
		 * the last character of a line needs no room for it. */
		if (col + w > (at_eol ? 76 : 75)) {
			ret = smime_buf_append(out, "=\r\n", 3);
			col = 0;
			if (ret < 0)
				break;
		}
		ret = literal ? smime_buf_putc(out, in[i])
			      : qp_escape(out, in[i]);
		col += w;
	}
	return ret;
}

int smime_canon_crlf(const unsigned char *in, size_t n, smime_buf *out)
{
	size_t i, a = 0;
	int ret = 0;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	/* Copy runs between line ends in one go. */
	for (i = 0; i < n && ret == 0; i++) {
		if (in[i] != '\r' && in[i] != '\n')
			continue;
		ret = smime_buf_append(out, in + a, i - a);
		if (ret == 0)
			ret = smime_buf_append(out, "\r\n", 2);
		if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
			i++;
		a = i + 1;
	}
	if (ret == 0)
		ret = smime_buf_append(out, in + a, n - a);
	return ret;
}

int smime_canon_lf(const unsigned char *in, size_t n, smime_buf *out)
{
	size_t i, a = 0;
	int ret = 0;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	for (i = 0; i + 1 < n && ret == 0; i++) {
		if (in[i] != '\r' || in[i + 1] != '\n')
			continue;
		ret = smime_buf_append(out, in + a, i - a);
		a = i + 1; /* the LF starts the next run */
	}
	if (ret == 0)
		ret = smime_buf_append(out, in + a, n - a);
	return ret;
}
