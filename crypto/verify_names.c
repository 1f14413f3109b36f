/*
 * verify_names.c - the e-mail addresses a certificate vouches for, and
 * how they are compared with From and Sender (RFC 8550 section 3).
 *
 * Promises: every rfc822Name of the subjectAltName and every
 * emailAddress of the subject DN is returned, in that order, except
 * values with bytes outside printable ASCII (they would end up in
 * headers); the local part compares exactly and the domain
 * case-insensitively.
 */
#include "verify_internal.h"

#include <gnutls/x509-ext.h>
#include <stdlib.h>
#include <string.h>

/* A certificate has a handful of names; this bounds a hostile one. */
#define MAX_NAMES 1024
#define OID_SUBJECT_ALT_NAME "2.5.29.17"

void smime_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static bool printable_address(const char *s, size_t n)
{
	if (n == 0 || memchr(s, '@', n) == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static int push(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv;

	if (!printable_address(s, len) || *n >= MAX_NAMES)
		return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL)
		return SMIME_E_NOMEM;
	*v = nv;
	nv[*n] = smime_strndup(s, len);
	if (nv[*n] == NULL)
		return SMIME_E_NOMEM;
	(*n)++;
	return 0;
}

static int san_addresses(gnutls_x509_crt_t crt, char ***v, size_t *n)
{
	gnutls_datum_t ext = {NULL, 0};
	gnutls_subject_alt_names_t sans = NULL;
	unsigned critical;
	int r, ret = 0;

	r = gnutls_x509_crt_get_extension_by_oid2(crt, OID_SUBJECT_ALT_NAME, 0,
						  &ext, &critical);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return SMIME_E_NOMEM;
	if (r < 0)
		return 0; /* no subjectAltName */
	if (gnutls_subject_alt_names_init(&sans) < 0) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	r = gnutls_x509_ext_import_subject_alt_names(&ext, sans, 0);
	if (r == GNUTLS_E_MEMORY_ERROR)
		ret = SMIME_E_NOMEM;
	for (unsigned seq = 0; r >= 0 && ret == 0 && seq < MAX_NAMES; seq++) {
		gnutls_datum_t san;
		unsigned type;

		if (gnutls_subject_alt_names_get(sans, seq, &type, &san, NULL) < 0)
			break;
		if (type == GNUTLS_SAN_RFC822NAME)
			ret = push(v, n, (const char *)san.data, san.size);
	}
cleanup:
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	gnutls_free(ext.data);
	return ret;
}

static int dn_addresses(gnutls_x509_crt_t crt, char ***v, size_t *n)
{
	for (unsigned seq = 0; seq < MAX_NAMES; seq++) {
		char probe, *buf;
		size_t size = 0;
		int r, ret;

		r = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_PKCS9_EMAIL,
						  seq, 0, &probe, &size);
		if (r != GNUTLS_E_SHORT_MEMORY_BUFFER)
			return r == GNUTLS_E_MEMORY_ERROR ? SMIME_E_NOMEM : 0;
		buf = malloc(size + 1);
		if (buf == NULL)
			return SMIME_E_NOMEM;
		r = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_PKCS9_EMAIL,
						  seq, 0, buf, &size);
		ret = r >= 0 ? push(v, n, buf, strnlen(buf, size)) : 0;
		free(buf);
		if (ret < 0)
			return ret;
		if (r < 0)
			return 0;
	}
	return 0;
}

int smime_cert_addresses(gnutls_x509_crt_t crt, char ***out, size_t *n)
{
	char **v = NULL;
	size_t nv = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = san_addresses(crt, &v, &nv);
	if (ret == 0)
		ret = dn_addresses(crt, &v, &nv);
	if (ret < 0) {
		smime_strv_free(v, nv);
		return ret;
	}
	*out = v;
	*n = nv;
	return 0;
}

bool smime_address_equal(const char *a, const char *b)
{
	const char *at_a, *at_b;

	if (a == NULL || b == NULL)
		return false;
	at_a = strrchr(a, '@');
	at_b = strrchr(b, '@');
	if (at_a == NULL || at_b == NULL || at_a - a != at_b - b)
		return false;
	return memcmp(a, b, (size_t)(at_a - a)) == 0 &&
	       smime_ascii_casecmp(at_a + 1, at_b + 1) == 0;
}
