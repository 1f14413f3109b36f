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

/* Sextet value of c, -1 for a non-alphabet character. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int smime_base64_decode(const unsigned char *in, size_t n, smime_buf *out)
{
	unsigned char q[3];
	unsigned long acc = 0;
	size_t i, k = 0;
	int v, ret;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	for (i = 0; i < n; i++) {
		if (in[i] == '=')
			break; /* the pad ends the data */
		if (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' ||
		    in[i] == '\n' || in[i] == '\f' || in[i] == '\v')
			continue;
		v = b64_value(in[i]);
		if (v < 0)
			return SMIME_E_PARSE;
		acc = (acc << 6) | (unsigned long)v;
		if (++k == 4) {
			q[0] = (unsigned char)(acc >> 16);
			q[1] = (unsigned char)(acc >> 8);
			q[2] = (unsigned char)acc;
			ret = smime_buf_append(out, q, 3);
			if (ret < 0)
				return ret;
			acc = 0;
			k = 0;
		}
	}
	/* A final group of 2 or 3 characters carries 1 or 2 bytes, padded
	 * or not; a lone character carries no whole byte. */
	if (k == 1)
		return SMIME_E_PARSE;
	if (k == 2) {
		q[0] = (unsigned char)(acc >> 4);
		return smime_buf_append(out, q, 1);
	}
	if (k == 3) {
		q[0] = (unsigned char)(acc >> 10);
		q[1] = (unsigned char)(acc >> 2);
		return smime_buf_append(out, q, 2);
	}
	return 0;
}

int smime_base64_encode(const unsigned char *in, size_t n, size_t line_len,
			smime_buf *out)
{
	char q[4];
	size_t i, col = 0, k;
	unsigned long acc;
	int ret;

	if ((in == NULL && n > 0) || out == NULL)
		return SMIME_E_ARG;
	for (i = 0; i < n; i += 3) {
		acc = (unsigned long)in[i] << 16;
		if (i + 1 < n)
			acc |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			acc |= in[i + 2];
		q[0] = b64_alphabet[(acc >> 18) & 63];
		q[1] = b64_alphabet[(acc >> 12) & 63];
		q[2] = i + 1 < n ? b64_alphabet[(acc >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64_alphabet[acc & 63] : '=';
		for (k = 0; k < 4; k++) {
			ret = smime_buf_putc(out, q[k]);
			if (ret == 0 && line_len > 0 && ++col == line_len) {
				ret = smime_buf_append(out, "\r\n", 2);
				col = 0;
			}
			if (ret < 0)
				return ret;
		}
	}
	if (line_len > 0 && col > 0)
		return smime_buf_append(out, "\r\n", 2);
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
