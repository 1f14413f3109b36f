/*
 * pkcs11_uri.c - the PIN attributes of a KeyStore NAME.uri (RFC 7512,
 * SPEC section 9 "Keys in PKCS#11 tokens").
 *
 * GnuTLS 3.7.9 reads pin-source only as a plain path and takes the
 * whole file, trailing newline included, as the PIN (NOTES.md), so the
 * milter reads the PIN itself: pin-source (a path or a file: URI) and
 * pin-value are taken out of the query, percent-decoded, and the rest of
 * the URI goes to GnuTLS.  The PIN is held in libgcrypt secure memory
 * and wiped when freed.
 */
#include "keys_internal.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

/* n bytes of s percent-decoded into secure memory; NUL-terminated. */
static int decode(const char *s, size_t n, char **out, size_t *outlen)
{
	char *d = gcry_malloc_secure(n + 1);
	size_t k = 0;

	*out = NULL;
	if (d == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] != '%') {
			d[k++] = s[i];
			continue;
		}
		if (i + 2 >= n ||
		    (hi = smime_hexval((unsigned char)s[i + 1])) < 0 ||
		    (lo = smime_hexval((unsigned char)s[i + 2])) < 0 ||
		    (hi == 0 && lo == 0)) {
			smime_wipe(d, n + 1);
			gcry_free(d);
			return SMIME_E_PARSE;
		}
		d[k++] = (char)(hi * 16 + lo);
		i += 2;
	}
	d[k] = '\0';
	*out = d;
	if (outlen != NULL)
		*outlen = k;
	return 0;
}

void smime_p11_uri_free(smime_p11_uri *u)
{
	if (u->pin_value != NULL)
		smime_wipe(u->pin_value, u->pin_value_len + 1);
	gcry_free(u->pin_value);
	if (u->pin_source != NULL)
		smime_wipe(u->pin_source, strlen(u->pin_source));
	gcry_free(u->pin_source);
	free(u->uri);
	memset(u, 0, sizeof *u);
}

/* One query attribute "name=value" (n bytes at a): a PIN attribute
 * taken into u, or 0 when it belongs to the URI GnuTLS gets. */
static int take_attr(const char *a, size_t n, smime_p11_uri *u, bool *taken)
{
	static const char src[] = "pin-source=", val[] = "pin-value=";
	int ret = 0;

	*taken = true;
	if (n >= sizeof(val) - 1 && strncmp(a, val, sizeof(val) - 1) == 0) {
		if (u->pin_value != NULL)
			return SMIME_E_PARSE;
		ret = decode(a + sizeof(val) - 1, n - (sizeof(val) - 1),
			     &u->pin_value, &u->pin_value_len);
	} else if (n >= sizeof(src) - 1 &&
		   strncmp(a, src, sizeof(src) - 1) == 0) {
		if (u->pin_source != NULL)
			return SMIME_E_PARSE;
		ret = decode(a + sizeof(src) - 1, n - (sizeof(src) - 1),
			     &u->pin_source, NULL);
	} else {
		*taken = false;
	}
	return ret;
}

/* "file:///p" and "file:/p" are the path /p (RFC 8089, local only). */
static int source_path(smime_p11_uri *u)
{
	char *s = u->pin_source;
	size_t skip = 0;

	if (s == NULL || strncmp(s, "file:", 5) != 0)
		return 0;
	if (strncmp(s + 5, "///", 3) == 0)
		skip = 7;
	else if (strncmp(s + 5, "//", 2) == 0)
		return SMIME_E_PARSE; /* a host: not a local file */
	else
		skip = 5;
	memmove(s, s + skip, strlen(s + skip) + 1);
	return 0;
}

int smime_p11_uri_parse(const char *text, size_t len, smime_p11_uri *out)
{
	const char *q, *end = text + len;
	smime_buf rest = SMIME_BUF_INIT;
	int ret = 0;

	memset(out, 0, sizeof *out);
	if (len < 7 || smime_ascii_ncasecmp(text, "pkcs11:", 7) != 0 ||
	    memchr(text, '\0', len) != NULL)
		return SMIME_E_PARSE;
	q = memchr(text, '?', len);
	ret = smime_buf_append(&rest, text, (size_t)((q ? q : end) - text));
	for (const char *a = q ? q + 1 : end; ret == 0 && a < end;) {
		const char *amp = memchr(a, '&', (size_t)(end - a));
		size_t n = (size_t)((amp ? amp : end) - a);
		bool taken = false;

		ret = take_attr(a, n, out, &taken);
		if (ret == 0 && !taken)
			ret = smime_buf_printf(
				&rest, "%c%.*s",
				strchr((char *)rest.data, '?') ? '&' : '?',
				(int)n, a);
		a += n + (amp ? 1 : 0);
	}
	if (ret == 0)
		ret = source_path(out);
	if (ret == 0)
		ret = smime_buf_steal(&rest, &out->uri);
	smime_buf_free(&rest);
	if (ret < 0)
		smime_p11_uri_free(out);
	return ret;
}

int smime_p11_pin_new(const char *pin, size_t len, smime_p11_pin **out)
{
	smime_p11_pin *p = gcry_calloc_secure(1, sizeof *p + len + 1);

	*out = NULL;
	if (p == NULL)
		return SMIME_E_NOMEM;
	p->len = len;
	memcpy(p->value, pin, len);
	p->value[len] = '\0';
	*out = p;
	return 0;
}

void smime_p11_pin_free(smime_p11_pin *p)
{
	if (p == NULL)
		return;
	smime_wipe(p, sizeof *p + p->len + 1);
	gcry_free(p);
}

/* GnuTLS asks for the PIN when it logs in to the token: the first
 * attempt gets it, a retry (the PIN was wrong) gets nothing, so a wrong
 * PIN costs the token one try, never a series (tokens lock after a few;
 * SPEC 9). */
int smime_p11_pin_callback(void *userdata, int attempt, const char *token_url,
			   const char *token_label, unsigned int flags,
			   char *pin, size_t pin_max)
{
	const smime_p11_pin *p = userdata;

	(void)token_url;
	(void)token_label;
	if (p == NULL || attempt > 0 || (flags & GNUTLS_PIN_WRONG) ||
	    p->len + 1 > pin_max)
		return GNUTLS_E_PKCS11_PIN_ERROR;
	memcpy(pin, p->value, p->len + 1);
	return 0;
}
