/*
 * utf8.c - well-formed UTF-8 (RFC 3629) and the characters in it that
 * could split or disguise a line.
 *
 * Internationalised addresses (RFC 6532, RFC 8398) reach certificate
 * names, header values and log lines as UTF-8.  What may pass through
 * unescaped is well-formed UTF-8 without control characters; everything
 * else is escaped or refused by the caller.
 *
 * Promises: smime_utf8_len accepts exactly the sequences of RFC 3629
 * section 4 (no overlong forms, no surrogates, nothing past U+10FFFF);
 * smime_utf8_printable those that are no control character, which is C0 (below U+0020), DEL, C1 (U+0080 to U+009F,
 * NEL among them) or the line and paragraph separators U+2028 and
 * U+2029, which some readers also take for a line end.
 */
#include "internal.h"

/* The second byte's range after lead byte b (RFC 3629 section 4). */
static bool second_ok(unsigned char b, unsigned char c)
{
	switch (b) {
	case 0xe0:
		return c >= 0xa0 && c <= 0xbf; /* no overlong forms */
	case 0xed:
		return c >= 0x80 && c <= 0x9f; /* no surrogates */
	case 0xf0:
		return c >= 0x90 && c <= 0xbf;
	case 0xf4:
		return c >= 0x80 && c <= 0x8f; /* up to U+10FFFF */
	default:
		return c >= 0x80 && c <= 0xbf;
	}
}

size_t smime_utf8_len(const unsigned char *p, size_t n)
{
	size_t len;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0; /* a continuation byte, C0, C1 or F5..FF */
	if (n < len || !second_ok(p[0], p[1]))
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Whether the well-formed sequence of len bytes at p is a control
 * character. */
static bool is_control(const unsigned char *p, size_t len)
{
	if (len == 1)
		return p[0] < 0x20 || p[0] == 0x7f;
	if (len == 2)
		return p[0] == 0xc2 && p[1] <= 0x9f;
	return len == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	       (p[2] == 0xa8 || p[2] == 0xa9);
}

size_t smime_utf8_printable(const unsigned char *p, size_t n)
{
	size_t k = smime_utf8_len(p, n);

	return k > 0 && !is_control(p, k) ? k : 0;
}

bool smime_utf8_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, k; i < n; i += k) {
		k = smime_utf8_printable(p + i, n - i);
		if (k == 0)
			return false;
	}
	return true;
}
