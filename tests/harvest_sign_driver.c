/*
 * harvest_sign_driver.c - makes the detached S/MIME signatures the
 * harvesting test needs (tests/harvest_process.sh): OpenSSL's `cms -sign`
 * cannot choose the SMIMECapabilities it states, so this signs with
 * GnuTLS (gnutls_pkcs7_sign) and adds the attributes itself.
 *
 *   harvest_sign_driver CERT KEY CAPS TIME < CONTENT > SIGNATURE.der
 *
 * CERT and KEY are PEM files; CAPS is "3des" (SMIMECapabilities naming
 * des-ede3-cbc only), "aes" (aes-256-cbc, then des-ede3-cbc), "gcm"
 * (aes-256-gcm, aes-256-cbc, des-ede3-cbc) or "none" (no such
 * attribute); TIME is the
 * signingTime as seconds since the epoch, or "none".  CONTENT is the
 * canonical (CRLF) signed part; the output is the DER SignedData with the
 * signer's certificate.  Exit 0, or 1 with a message on stderr.
 */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OID_SMIME_CAPABILITIES "1.2.840.113549.1.9.15"
#define OID_SIGNING_TIME "1.2.840.113549.1.9.5"

/* SMIMECapabilities ::= SEQUENCE { SEQUENCE { des-ede3-cbc } } */
static const unsigned char caps_aes[] = {
	0x30, 0x19, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
	0x01, 0x65, 0x03, 0x04, 0x01, 0x2a, 0x30, 0x0a, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07};
static const unsigned char caps_gcm[] = {
	0x30, 0x26, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x01, 0x2e, 0x30, 0x0b, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a, 0x30, 0x0a,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07};
static const unsigned char caps_3des[] = {0x30, 0x0c, 0x30, 0x0a, 0x06,
					  0x08, 0x2a, 0x86, 0x48, 0x86,
					  0xf7, 0x0d, 0x03, 0x07};

static int die(const char *what, int r)
{
	fprintf(stderr, "harvest_sign_driver: %s: %s\n", what,
		r < 0 ? gnutls_strerror(r) : "failed");
	return 1;
}

/* The signingTime value: a UTCTime (years 1950 to 2049). */
static int utc_time(const char *arg, unsigned char out[15])
{
	time_t t = (time_t)strtoll(arg, NULL, 10);
	struct tm tm;
	char text[64];

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 50 || tm.tm_year >= 150)
		return -1;
	out[0] = 0x17;
	out[1] = 13;

	snprintf(text, sizeof text, "%02d%02d%02d%02d%02d%02dZ",
		 tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	memcpy(out + 2, text, 13);
	return 0;
}

static int read_all(FILE *f, gnutls_datum_t *out)
{
	size_t cap = 4096, n = 0, r;
	unsigned char *p = malloc(cap);

	while (p != NULL && (r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			unsigned char *q = realloc(p, cap *= 2);

			if (q == NULL)
				free(p);
			p = q;
		}
	}
	out->data = p;
	out->size = (unsigned)n;
	return p != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
	gnutls_datum_t cert_pem, key_pem, content, der, v;
	gnutls_x509_crt_t crt;
	gnutls_privkey_t key;
	gnutls_pkcs7_t p7;
	gnutls_pkcs7_attrs_t attrs = NULL;
	unsigned char when[15];
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: harvest_sign_driver CERT KEY "
				"3des|none EPOCH|none < CONTENT > SIG.der\n");
		return 2;
	}
	if ((r = gnutls_load_file(argv[1], &cert_pem)) < 0)
		return die(argv[1], r);
	if ((r = gnutls_load_file(argv[2], &key_pem)) < 0)
		return die(argv[2], r);
	if (read_all(stdin, &content) < 0)
		return die("content", -1);
	gnutls_x509_crt_init(&crt);
	gnutls_privkey_init(&key);
	if ((r = gnutls_x509_crt_import(crt, &cert_pem, GNUTLS_X509_FMT_PEM)) <
	    0)
		return die("certificate", r);
	if ((r = gnutls_privkey_import_x509_raw(
		     key, &key_pem, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0)
		return die("key", r);
	if (strcmp(argv[3], "3des") == 0 || strcmp(argv[3], "aes") == 0 ||
	    strcmp(argv[3], "gcm") == 0) {
		bool aes = strcmp(argv[3], "aes") == 0;
		bool gcm = strcmp(argv[3], "gcm") == 0;

		v.data = (unsigned char *)(gcm   ? caps_gcm
					   : aes ? caps_aes
						 : caps_3des);
		v.size = gcm   ? sizeof caps_gcm
			 : aes ? sizeof caps_aes
			       : sizeof caps_3des;
		if ((r = gnutls_pkcs7_add_attr(&attrs, OID_SMIME_CAPABILITIES,
					       &v, 0)) < 0)
			return die("capabilities", r);
	}
	if (strcmp(argv[4], "none") != 0) {
		if (utc_time(argv[4], when) < 0)
			return die("signing time", -1);
		v.data = when;
		v.size = sizeof when;
		if ((r = gnutls_pkcs7_add_attr(&attrs, OID_SIGNING_TIME, &v,
					       0)) < 0)
			return die("signing time", r);
	}
	gnutls_pkcs7_init(&p7);
	r = gnutls_pkcs7_sign(p7, crt, key, &content, attrs, NULL,
			      GNUTLS_DIG_SHA256, GNUTLS_PKCS7_INCLUDE_CERT);
	if (r < 0)
		return die("sign", r);
	if ((r = gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, &der)) < 0)
		return die("export", r);
	fwrite(der.data, 1, der.size, stdout);
	gnutls_free(der.data);
	gnutls_pkcs7_deinit(p7);
	gnutls_pkcs7_attrs_deinit(attrs);
	gnutls_privkey_deinit(key);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(cert_pem.data);
	gnutls_free(key_pem.data);
	free(content.data);
	return 0;
}
