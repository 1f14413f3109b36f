/*
 * buf.c - memory helpers of the engine: smime_wipe, the growable byte
 * string smime_buf (Postfix's vstring idea) and the small string helpers
 * of internal.h.
 *
 * Promises: a smime_buf's data is NUL-terminated after len bytes whenever
 * data is not NULL; growth never loses the old contents on failure; every
 * block a smime_buf gives back to malloc is wiped first, because buffers
 * carry decrypted content and key material.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A volatile function pointer: the compiler cannot prove it still points
 * at memset when called, so it cannot drop the store as dead.  Portable
 * to libcs without explicit_bzero.
 */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void smime_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		wipe_memset(p, 0, n);
}

void smime_str_free(char *s)
{
	if (s != NULL) {
		smime_wipe(s, strlen(s));
		free(s);
	}
}

/* Makes room for at least need more bytes plus the terminating NUL.
 * Growth is geometric so appending byte by byte stays linear; the old
 * block is wiped before it goes back to malloc. */
static int buf_reserve(smime_buf *b, size_t need)
{
	size_t want, cap;
	unsigned char *p;

	if (need > SIZE_MAX - 1 - b->len)
		return SMIME_E_NOMEM;
	want = b->len + need + 1;
	if (b->data != NULL && want <= b->cap)
		return 0;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = malloc(cap);
	if (p == NULL)
		return SMIME_E_NOMEM;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		smime_wipe(b->data, b->cap);
		free(b->data);
	}
	p[b->len] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int smime_buf_append(smime_buf *b, const void *p, size_t n)
{
	int ret;

	if (b == NULL || (p == NULL && n > 0))
		return SMIME_E_ARG;
	ret = buf_reserve(b, n);
	if (ret < 0)
		return ret;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int smime_buf_puts(smime_buf *b, const char *s)
{
	if (s == NULL)
		return SMIME_E_ARG;
	return smime_buf_append(b, s, strlen(s));
}

int smime_buf_putc(smime_buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return smime_buf_append(b, &ch, 1);
}

int smime_buf_printf(smime_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, ret;

	if (b == NULL || fmt == NULL)
		return SMIME_E_ARG;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SMIME_E_ARG;
	ret = buf_reserve(b, (size_t)n);
	if (ret < 0)
		return ret;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void smime_buf_reset(smime_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		smime_wipe(b->data, b->len);
		b->data[0] = '\0';
	}
	b->len = 0;
}

void smime_buf_free(smime_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		smime_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int smime_buf_steal(smime_buf *b, char **out)
{
	int ret;

	if (b == NULL || out == NULL)
		return SMIME_E_ARG;
	/* An empty buffer may have no block yet: make one so the caller
	 * always gets a C string. */
	ret = buf_reserve(b, 0);
	if (ret < 0)
		return ret;
	*out = (char *)b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return 0;
}

/* ---- internal.h string helpers ----------------------------------- */

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int smime_ascii_casecmp(const char *a, const char *b)
{
	return smime_ascii_ncasecmp(a, b, SIZE_MAX);
}

int smime_ascii_ncasecmp(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ca = ascii_lower((unsigned char)a[i]);
		int cb = ascii_lower((unsigned char)b[i]);

		if (ca != cb)
			return ca - cb;
		if (ca == '\0')
			break;
	}
	return 0;
}

char *smime_strndup(const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = malloc(n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
