/*
 * verify_names.c - the e-mail addresses a certificate vouches for, and
 * how they are compared with From and Sender (RFC 8550 section 3, RFC
 * 8398 section 5).
 *
 * Promises: every rfc822Name and SmtpUTF8Mailbox (otherName
 * id-on-SmtpUTF8Mailbox, a UTF8String) of the subjectAltName and every
 * emailAddress of the subject DN is returned, in certificate order, SAN
 * first.  rfc822Name and emailAddress are IA5Strings: a value with bytes
 * outside printable ASCII is refused.  An SmtpUTF8Mailbox is refused
 * unless it is well-formed UTF-8 without blanks or control characters,
 * since it ends up in log lines.  The local part compares exactly (as
 * octets); the domain case-insensitively, with IDNA A-labels and
 * U-labels alike: a domain with non-ASCII bytes is mapped to A-labels
 * (IDNA2008 with the UTS #46 mapping, so a U-label in capitals is its
 * lower-case form) before the comparison.
 *
 * The mapping is GnuTLS's gnutls_idna_map(), which is libidn2 underneath
 * (Debian builds GnuTLS with it): no dependency beyond GnuTLS and no
 * Punycode code of our own.  A GnuTLS built without libidn2 cannot map;
 * such domains then compare as bytes only, so a U-label From never
 * equals an A-label certificate name there (smime-milter(8)).
 */
#include "verify_internal.h"
#include "oid.h"

#include <gnutls/x509-ext.h>
#include <stdlib.h>
#include <string.h>

/* A certificate has a handful of names; this bounds a hostile one. */
#define MAX_NAMES 1024
/* A domain name has at most 253 octets as A-labels; its U-labels in
 * UTF-8 take at most four bytes a character. */
#define MAX_DOMAIN 1024

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

/* An SmtpUTF8Mailbox: UTF-8 without blanks or control characters. */
static bool utf8_address(const char *s, size_t n)
{
	return n > 0 && memchr(s, '@', n) != NULL &&
	       memchr(s, ' ', n) == NULL && smime_utf8_text(s, n);
}

static int push(char ***v, size_t *n, const char *s, size_t len, bool utf8)
{
	char **nv;

	if (!(utf8 ? utf8_address(s, len) : printable_address(s, len)) ||
	    *n >= MAX_NAMES)
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

/* One subjectAltName entry, when it is an address. */
static int push_san(unsigned type, const gnutls_datum_t *san,
		    const gnutls_datum_t *oid, char ***v, size_t *n)
{
	const unsigned char *str;
	unsigned int len;

	if (type == GNUTLS_SAN_RFC822NAME)
		return push(v, n, (const char *)san->data, san->size, false);
	if (type != GNUTLS_SAN_OTHERNAME || oid->data == NULL ||
	    strlen(OID_SMTP_UTF8_MAILBOX) != oid->size ||
	    memcmp(oid->data, OID_SMTP_UTF8_MAILBOX, oid->size) != 0)
		return 0;
	/* The value GnuTLS hands out is the DER of the UTF8String. */
	if (asn1_decode_simple_der(ASN1_ETYPE_UTF8_STRING, san->data, san->size,
				   &str, &len) != ASN1_SUCCESS)
		return 0;
	return push(v, n, (const char *)str, len, true);
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
		gnutls_datum_t san, oid = {NULL, 0};
		unsigned type;

		if (gnutls_subject_alt_names_get(sans, seq, &type, &san, &oid) <
		    0)
			break;
		ret = push_san(type, &san, &oid, v, n);
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
		ret = r >= 0 ? push(v, n, buf, strnlen(buf, size), false) : 0;
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

static bool ascii_only(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* The domain as A-labels (malloc'd, NUL-terminated): a copy when it is
 * ASCII, else gnutls_idna_map()'s.  NULL in *out when it cannot be
 * mapped; fails only when out of memory. */
int smime_domain_alabels(const char *d, char **out)
{
	gnutls_datum_t m = {NULL, 0};
	int r;

	*out = NULL;
	if (ascii_only(d)) {
		*out = strdup(d);
		return *out != NULL ? 0 : SMIME_E_NOMEM;
	}
	if (strlen(d) > MAX_DOMAIN)
		return 0; /* no domain name: it cannot equal one */
	r = gnutls_idna_map(d, (unsigned)strlen(d), &m, GNUTLS_IDNA_FORCE_2008);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return SMIME_E_NOMEM;
	if (r >= 0)
		*out = smime_strndup((const char *)m.data, m.size);
	gnutls_free(m.data);
	return r < 0 || *out != NULL ? 0 : SMIME_E_NOMEM;
}

int smime_address_key(const char *addr, char **out)
{
	const char *at = strrchr(addr, '@');
	char *domain = NULL, *k;
	size_t n;
	int ret;

	*out = NULL;
	if (at != NULL) {
		ret = smime_domain_alabels(at + 1, &domain);
		if (ret < 0)
			return ret;
	}
	if (domain == NULL) { /* no domain to map: the address as it is */
		k = strdup(addr);
	} else {
		n = (size_t)(at - addr);
		k = malloc(n + 1 + strlen(domain) + 1);
		if (k != NULL) {
			memcpy(k, addr, n);
			k[n] = '@';
			strcpy(k + n + 1, domain);
		}
	}
	free(domain);
	if (k == NULL)
		return SMIME_E_NOMEM;
	for (char *p = k; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	*out = k;
	return 0;
}

static int domain_equal(const char *a, const char *b)
{
	char *ma = NULL, *mb = NULL;
	int ret;

	if (smime_ascii_casecmp(a, b) == 0)
		return 1;
	if (ascii_only(a) && ascii_only(b))
		return 0;
	ret = smime_domain_alabels(a, &ma);
	if (ret == 0)
		ret = smime_domain_alabels(b, &mb);
	if (ret == 0)
		ret = ma != NULL && mb != NULL &&
		      smime_ascii_casecmp(ma, mb) == 0;
	free(ma);
	free(mb);
	return ret;
}

int smime_address_equal(const char *a, const char *b)
{
	const char *at_a, *at_b;

	if (a == NULL || b == NULL)
		return 0;
	at_a = strrchr(a, '@');
	at_b = strrchr(b, '@');
	if (at_a == NULL || at_b == NULL || at_a - a != at_b - b ||
	    memcmp(a, b, (size_t)(at_a - a)) != 0)
		return 0;
	return domain_equal(at_a + 1, at_b + 1);
}
