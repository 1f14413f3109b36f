/*
 * certid.c - a certificate and the identifiers CMS names it by.
 *
 * Owns struct smime_cert: the GnuTLS certificate, its DER, and everything
 * a RecipientInfo or a lookup compares against (e-mail addresses from the
 * subjectAltName rfc822Names and the subject's emailAddress, the raw
 * issuer Name, the serial number, the subjectKeyIdentifier), plus the
 * printable facts smime-tool keys shows.
 *
 * Promises: addresses are normalised (domain lowercased) and listed once
 * each; serials are trimmed of leading zero bytes so they compare as
 * numbers; issuers compare byte for byte as DER, as RFC 5652 asks of an
 * IssuerAndSerialNumber.  A certificate GnuTLS imported always gives a
 * smime_cert or a resource error: a missing field is simply absent.
 */
#include "keys_internal.h"
#include "verify_internal.h"
#include "oid.h"

#include <stdlib.h>
#include <string.h>

static int dup_str(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = smime_strndup(s, strlen(s));
	return *out != NULL ? 0 : SMIME_E_NOMEM;
}

int smime_address_normalise(const char *addr, char **out)
{
	const char *at;
	char *s;

	*out = NULL;
	if (addr == NULL)
		return SMIME_E_ARG;
	at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0')
		return SMIME_E_PARSE;
	s = smime_strndup(addr, strlen(addr));
	if (s == NULL)
		return SMIME_E_NOMEM;
	/* RFC 5321: the local part may be case-sensitive, the domain never. */
	for (char *p = s + (at - addr) + 1; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	*out = s;
	return 0;
}

/* GnuTLS getters that fill a caller's buffer and report the size they
 * need: one shape for all of them, so no getter runs on a fixed buffer. */
typedef int (*sized_get)(gnutls_x509_crt_t crt, unsigned idx, void *buf,
			 size_t *size, unsigned *type);

static int get_sized(gnutls_x509_crt_t crt, unsigned idx, sized_get get,
		     unsigned char **out, size_t *len, unsigned *type)
{
	size_t size = 0;
	unsigned char *buf = NULL;
	int r;

	*out = NULL;
	*len = 0;
	r = get(crt, idx, NULL, &size, type);
	if (r != GNUTLS_E_SHORT_MEMORY_BUFFER && r < 0)
		return r; /* absent (REQUESTED_DATA_NOT_AVAILABLE) etc */
	buf = malloc(size + 1);
	if (buf == NULL)
		return GNUTLS_E_MEMORY_ERROR;
	r = get(crt, idx, buf, &size, type);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	return 0;
}

static int get_serial(gnutls_x509_crt_t crt, unsigned idx, void *buf,
		      size_t *size, unsigned *type)
{
	(void)idx;
	(void)type;
	return gnutls_x509_crt_get_serial(crt, buf, size);
}

static int get_ski(gnutls_x509_crt_t crt, unsigned idx, void *buf, size_t *size,
		   unsigned *type)
{
	unsigned critical;

	(void)idx;
	(void)type;
	return gnutls_x509_crt_get_subject_key_id(crt, buf, size, &critical);
}

static int gnutls_to_smime(int r)
{
	return r == GNUTLS_E_MEMORY_ERROR ? SMIME_E_NOMEM : SMIME_E_PARSE;
}

static int add_address(smime_cert *c, const char *addr)
{
	char *norm = NULL, **v;
	int ret = smime_address_normalise(addr, &norm);

	if (ret == SMIME_E_PARSE)
		return 0; /* not an address: nothing to index */
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < c->naddresses; i++) {
		if (strcmp(c->addresses[i], norm) == 0) {
			free(norm);
			return 0;
		}
	}
	v = realloc(c->addresses, (c->naddresses + 1) * sizeof(*v));
	if (v == NULL) {
		free(norm);
		return SMIME_E_NOMEM;
	}
	c->addresses = v;
	c->addresses[c->naddresses++] = norm;
	return 0;
}

/* Every address smime_cert_addresses finds (SAN rfc822Name and
 * SmtpUTF8Mailbox in their order, then every emailAddress RDN). */
static int read_addresses(smime_cert *c)
{
	char **v = NULL;
	size_t n = 0;
	int ret = smime_cert_addresses(c->crt, &v, &n);

	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = add_address(c, v[i]);
	smime_strv_free(v, n);
	return ret;
}

static int read_dn(gnutls_x509_crt_t crt, bool issuer, char **out)
{
	gnutls_datum_t d = {NULL, 0};
	int r;

	r = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
		   : gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (r < 0)
		return dup_str("", out); /* an empty or odd Name */
	*out = smime_strndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	return *out != NULL ? 0 : SMIME_E_NOMEM;
}

static int read_key_type(smime_cert *c)
{
	smime_buf b = SMIME_BUF_INIT;
	unsigned bits = 0;
	gnutls_ecc_curve_t curve;
	int algo, ret;

	algo = gnutls_x509_crt_get_pk_algorithm(c->crt, &bits);
	if (algo == GNUTLS_PK_RSA)
		ret = smime_buf_printf(&b, "RSA-%u", bits);
	else if (algo == GNUTLS_PK_ECDSA &&
		 gnutls_x509_crt_get_pk_ecc_raw(c->crt, &curve, NULL, NULL) ==
			 0 &&
		 gnutls_ecc_curve_get_name(curve) != NULL)
		ret = smime_buf_printf(&b, "EC-%s",
				       gnutls_ecc_curve_get_name(curve));
	else if (algo == GNUTLS_PK_EDDSA_ED25519)
		ret = smime_buf_puts(&b, "Ed25519");
	else if (algo > 0 && gnutls_pk_get_name(algo) != NULL)
		ret = smime_buf_printf(&b, "%s-%u", gnutls_pk_get_name(algo),
				       bits);
	else
		ret = smime_buf_puts(&b, "unknown");
	if (ret == 0)
		ret = smime_buf_steal(&b, &c->key_type);
	smime_buf_free(&b);
	return ret;
}

static int read_identifiers(smime_cert *c)
{
	gnutls_datum_t d = {NULL, 0};
	unsigned char *v;
	size_t len;
	unsigned type;
	int r, ret;

	r = gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_DER, &d);
	if (r < 0)
		return gnutls_to_smime(r);
	ret = smime_buf_append(&c->der, d.data, d.size);
	gnutls_free(d.data);
	if (ret < 0)
		return ret;
	r = gnutls_x509_crt_get_raw_issuer_dn(c->crt, &d);
	if (r < 0)
		return gnutls_to_smime(r);
	c->issuer_der = malloc(d.size ? d.size : 1);
	if (c->issuer_der != NULL)
		memcpy(c->issuer_der, d.data, d.size);
	c->issuer_der_len = d.size;
	gnutls_free(d.data);
	if (c->issuer_der == NULL)
		return SMIME_E_NOMEM;
	r = get_sized(c->crt, 0, get_serial, &v, &len, &type);
	if (r < 0)
		return gnutls_to_smime(r);
	ret = len > 0 ? smime_serial_hex(v, len, &c->serial) : SMIME_E_PARSE;
	free(v);
	if (ret < 0)
		return ret;
	r = get_sized(c->crt, 0, get_ski, &c->ski_raw, &c->ski_len, &type);
	if (r == 0)
		return smime_hex_lower(c->ski_raw, c->ski_len, &c->ski);
	return r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ? 0
							  : gnutls_to_smime(r);
}

int smime_cert_new(gnutls_x509_crt_t crt, const char *file, const char *name,
		   smime_cert **out)
{
	smime_cert *c;
	int ret;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		gnutls_x509_crt_deinit(crt);
		return SMIME_E_NOMEM;
	}
	c->crt = crt;
	ret = dup_str(file, &c->file);
	if (ret == 0)
		ret = dup_str(name, &c->name);
	if (ret == 0)
		ret = read_identifiers(c);
	if (ret == 0)
		ret = read_dn(crt, false, &c->subject);
	if (ret == 0)
		ret = read_dn(crt, true, &c->issuer);
	if (ret == 0)
		ret = read_addresses(c);
	if (ret == 0)
		ret = read_key_type(c);
	if (ret < 0) {
		smime_cert_free(c);
		return ret;
	}
	c->info.file = c->file;
	c->info.name = c->name;
	c->info.subject = c->subject;
	c->info.issuer = c->issuer;
	c->info.serial = c->serial;
	c->info.ski = c->ski;
	c->info.addresses = (const char *const *)c->addresses;
	c->info.naddresses = c->naddresses;
	c->info.not_before = gnutls_x509_crt_get_activation_time(crt);
	c->info.not_after = gnutls_x509_crt_get_expiration_time(crt);
	c->info.key_type = c->key_type;
	*out = c;
	return 0;
}

void smime_cert_free(smime_cert *c)
{
	if (c == NULL)
		return;
	gnutls_x509_crt_deinit(c->crt);
	smime_buf_free(&c->der);
	free(c->issuer_der);
	free(c->ski_raw);
	free(c->file);
	free(c->name);
	free(c->subject);
	free(c->issuer);
	free(c->serial);
	free(c->ski);
	free(c->key_type);
	for (size_t i = 0; i < c->naddresses; i++)
		free(c->addresses[i]);
	free(c->addresses);
	free(c);
}

bool smime_cert_is_rsa(const smime_cert *c)
{
	return gnutls_x509_crt_get_pk_algorithm(c->crt, NULL) == GNUTLS_PK_RSA;
}

const smime_cert_info *smime_cert_get_info(const smime_cert *c)
{
	return c != NULL ? &c->info : NULL;
}

void smime_cert_der(const smime_cert *c, const unsigned char **der, size_t *len)
{
	*der = c->der.data;
	*len = c->der.len;
}

bool smime_cert_names_recipient(const smime_cert *c, const smime_recipient *r)
{
	if (c == NULL || r == NULL)
		return false;
	if (r->type != SMIME_RI_KTRI && r->type != SMIME_RI_KARI)
		return false;
	if (r->by_ski)
		return c->ski != NULL && r->ski != NULL &&
		       strcmp(c->ski, r->ski) == 0;
	return r->issuer_der != NULL && r->serial != NULL &&
	       r->issuer_der_len == c->issuer_der_len &&
	       memcmp(r->issuer_der, c->issuer_der, c->issuer_der_len) == 0 &&
	       strcmp(r->serial, c->serial) == 0;
}
