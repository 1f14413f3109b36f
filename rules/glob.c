/*
 * glob.c - the glob patterns of the rules language: '*', '?' and "[...]",
 * case-insensitive everywhere (ASCII letters only, never the locale).
 *
 * Sets: "[abc]", ranges "[a-z]", negation "[!...]" (or "[^...]"); a ']'
 * right after the '[' (or after the '!') is a literal, and so is a '-'
 * at either end of the set.  There is no escape character; "[*]" and
 * "[?]" match the characters themselves.
 *
 * Promises: rules_glob_match() is iterative and remembers only the last
 * '*', which is enough for globs (a later '*' can absorb anything an
 * earlier one could), so it runs in O(len(pattern) * len(text)) even for
 * patterns such as "*a*a*a*a*b" that make naive recursion exponential.
 * A pattern that rules_glob_check() refuses matches nothing.
 */
#include "internal.h"

#include <string.h>

static const char MSG_UNCLOSED[] =
	"'[' without a closing ']': expected ']' to end the set";
static const char MSG_REVERSED[] =
	"reversed range in '[...]': expected the lower character first, "
	"as in a-z";

/* Where the set whose first byte (after '[' and any negation) is p
 * ends: the offset of its closing ']', or 0 when there is none. */
static size_t set_end(const char *p)
{
	size_t i = 0;

	if (p[0] == ']')
		i = 1;
	while (p[i] != '\0' && p[i] != ']')
		i++;
	return p[i] == ']' ? i : 0;
}

int rules_glob_check_why(const char *pattern, size_t *err_offset,
			 const char **why)
{
	size_t i = 0, end, j;
	const char *set;

	while (pattern[i] != '\0') {
		if (pattern[i] != '[') {
			i++;
			continue;
		}
		set = pattern + i + 1;
		if (*set == '!' || *set == '^')
			set++;
		end = set_end(set);
		if (end == 0) {
			*err_offset = i;
			*why = MSG_UNCLOSED;
			return RULES_E_PARSE;
		}
		for (j = 0; j < end; j++) {
			if (j + 2 < end && set[j + 1] == '-') {
				if ((unsigned char)set[j] >
				    (unsigned char)set[j + 2]) {
					*err_offset =
						(size_t)(set - pattern) + j;
					*why = MSG_REVERSED;
					return RULES_E_PARSE;
				}
				j += 2;
			}
		}
		i = (size_t)(set - pattern) + end + 1;
	}
	return 0;
}

int rules_glob_check(const char *pattern, size_t *err_offset)
{
	const char *why;
	size_t off = 0;

	if (pattern == NULL) {
		if (err_offset != NULL)
			*err_offset = 0;
		return RULES_E_PARSE;
	}
	if (rules_glob_check_why(pattern, &off, &why) < 0) {
		if (err_offset != NULL)
			*err_offset = off;
		return RULES_E_PARSE;
	}
	return 0;
}

static bool in_range(unsigned char c, unsigned char lo, unsigned char hi)
{
	unsigned char lc = (unsigned char)rules_lower(c);
	unsigned char uc = lc >= 'a' && lc <= 'z' ? lc - 'a' + 'A' : lc;

	return (lo <= lc && lc <= hi) || (lo <= uc && uc <= hi);
}

/* Matches c against the set after a '[' (the pattern is well-formed);
 * returns the byte after the closing ']'. */
static const char *set_match(const char *p, unsigned char c, bool *hit)
{
	bool neg = false, found = false;
	size_t end, j;

	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	end = set_end(p);
	for (j = 0; j < end; j++) {
		unsigned char lo = (unsigned char)p[j], hi = lo;
		if (j + 2 < end && p[j + 1] == '-') {
			hi = (unsigned char)p[j + 2];
			j += 2;
		}
		if (in_range(c, lo, hi))
			found = true;
	}
	*hit = found != neg;
	return p + end + 1;
}

bool rules_glob_match(const char *pattern, const char *text)
{
	const char *p = pattern, *t = text;
	const char *star_p = NULL, *star_t = NULL;
	size_t off;

	if (pattern == NULL || text == NULL ||
	    rules_glob_check(pattern, &off) < 0)
		return false;
	while (*t != '\0') {
		const char *next = p + 1;
		bool hit = false;

		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return true;
			star_p = p;
			star_t = t;
			continue;
		}
		if (*p == '?')
			hit = true;
		else if (*p == '[')
			next = set_match(p + 1, (unsigned char)*t, &hit);
		else if (*p != '\0')
			hit = rules_lower((unsigned char)*p) ==
			      rules_lower((unsigned char)*t);
		if (hit) {
			p = next;
			t++;
			continue;
		}
		if (star_p == NULL)
			return false;
		/* Let the last '*' swallow one more byte and retry. */
		p = star_p;
		t = ++star_t;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}
