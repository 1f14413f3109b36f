/*
 * util.c - the string helpers of rules/: a growable string (rstr) and
 * ASCII-only case folding.
 *
 * Promises: an rstr's s is NUL-terminated whenever it is not NULL; growth
 * is geometric and never loses the old contents on failure.  Case folding
 * touches ASCII letters only, so the meaning of a rules file never
 * depends on the locale the daemon runs in.
 */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rstr_reserve(rstr *b, size_t need)
{
	size_t want, cap;
	char *p;

	if (need > SIZE_MAX - 1 - b->len)
		return RULES_E_NOMEM;
	want = b->len + need + 1;
	if (b->s != NULL && want <= b->cap)
		return 0;
	cap = b->cap < 32 ? 32 : b->cap;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(b->s, cap);
	if (p == NULL)
		return RULES_E_NOMEM;
	if (b->s == NULL)
		p[0] = '\0';
	b->s = p;
	b->cap = cap;
	return 0;
}

int rstr_putn(rstr *b, const char *p, size_t n)
{
	int ret = rstr_reserve(b, n);

	if (ret < 0)
		return ret;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int rstr_putc(rstr *b, int c)
{
	char ch = (char)c;

	return rstr_putn(b, &ch, 1);
}

int rstr_vprintf(rstr *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, ret;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return RULES_E_ARG;
	ret = rstr_reserve(b, (size_t)n);
	if (ret < 0)
		return ret;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int rstr_printf(rstr *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = rstr_vprintf(b, fmt, ap);
	va_end(ap);
	return ret;
}

void rstr_free(rstr *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

char *rules_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *rules_strdup(const char *s)
{
	return rules_strndup(s, strlen(s));
}

int rules_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

bool rules_strcaseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (rules_lower((unsigned char)*a) !=
		    rules_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

void rules_strlower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)rules_lower((unsigned char)*s);
}
