/*
 * cms_names.c - names for the object identifiers CMS messages carry, and
 * the printable forms of identifiers (RFC 4514 DNs, lowercase hex).
 *
 * One table maps OIDs to the short names smime-tool, the log line and
 * Authentication-Results print: digests ("sha256"), signature algorithms
 * ("rsaEncryption", "rsassaPss", "ecdsa-with-SHA256", "ed25519"), key
 * transport and agreement schemes, key-wrap algorithms, content types.
 * Names follow the RFCs' ASN.1 value names (as OpenSSL prints them), so
 * the corpus CATALOG and our output agree.  The OIDs are spelt in
 * oid.h.  Unknown OIDs have no name; callers print the OID itself.
 */
#include "internal.h"
#include "oid.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct oid_name {
	const char *oid;
	const char *name;
	smime_oid_class cls;
};

static const struct oid_name oid_table[] = {
	/* digests */
	{"1.2.840.113549.2.2", "md2", SMIME_OID_DIGEST},
	{"1.2.840.113549.2.4", "md4", SMIME_OID_DIGEST},
	{"1.2.840.113549.2.5", "md5", SMIME_OID_DIGEST},
	{"1.3.14.3.2.26", "sha1", SMIME_OID_DIGEST},
	{OID_NIST_HASH "4", "sha224", SMIME_OID_DIGEST},
	{OID_NIST_HASH "1", "sha256", SMIME_OID_DIGEST},
	{OID_NIST_HASH "2", "sha384", SMIME_OID_DIGEST},
	{OID_NIST_HASH "3", "sha512", SMIME_OID_DIGEST},
	{OID_NIST_HASH "5", "sha512-224", SMIME_OID_DIGEST},
	{OID_NIST_HASH "6", "sha512-256", SMIME_OID_DIGEST},
	{OID_NIST_HASH "7", "sha3-224", SMIME_OID_DIGEST},
	{OID_NIST_HASH "8", "sha3-256", SMIME_OID_DIGEST},
	{OID_NIST_HASH "9", "sha3-384", SMIME_OID_DIGEST},
	{OID_NIST_HASH "10", "sha3-512", SMIME_OID_DIGEST},
	{OID_NIST_HASH "11", "shake128", SMIME_OID_DIGEST},
	{OID_NIST_HASH "12", "shake256", SMIME_OID_DIGEST},

	/* signature algorithms (RFC 3370, 4055, 5754, 5758, 8419) */
	{OID_RSA_ENCRYPTION, "rsaEncryption", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "2", "md2WithRSAEncryption", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "3", "md4WithRSAEncryption", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "4", "md5WithRSAEncryption", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "5", "sha1WithRSAEncryption", SMIME_OID_SIGNATURE},
	{OID_RSASSA_PSS, "rsassaPss", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "11", "sha256WithRSAEncryption", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "12", "sha384WithRSAEncryption", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "13", "sha512WithRSAEncryption", SMIME_OID_SIGNATURE},
	{OID_PKCS1 "14", "sha224WithRSAEncryption", SMIME_OID_SIGNATURE},
	{"1.2.840.10045.2.1", "id-ecPublicKey", SMIME_OID_SIGNATURE},
	{"1.2.840.10045.4.1", "ecdsa-with-SHA1", SMIME_OID_SIGNATURE},
	{"1.2.840.10045.4.3.1", "ecdsa-with-SHA224", SMIME_OID_SIGNATURE},
	{"1.2.840.10045.4.3.2", "ecdsa-with-SHA256", SMIME_OID_SIGNATURE},
	{"1.2.840.10045.4.3.3", "ecdsa-with-SHA384", SMIME_OID_SIGNATURE},
	{"1.2.840.10045.4.3.4", "ecdsa-with-SHA512", SMIME_OID_SIGNATURE},
	{"1.2.840.10040.4.1", "dsa", SMIME_OID_SIGNATURE},
	{"1.2.840.10040.4.3", "dsa-with-SHA1", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "1", "dsa-with-SHA224", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "2", "dsa-with-SHA256", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "3", "dsa-with-SHA384", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "4", "dsa-with-SHA512", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "9", "ecdsa-with-SHA3-224", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "10", "ecdsa-with-SHA3-256", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "11", "ecdsa-with-SHA3-384", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "12", "ecdsa-with-SHA3-512", SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "13", "rsa-pkcs1-v1_5-with-sha3-224",
	 SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "14", "rsa-pkcs1-v1_5-with-sha3-256",
	 SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "15", "rsa-pkcs1-v1_5-with-sha3-384",
	 SMIME_OID_SIGNATURE},
	{OID_NIST_SIG "16", "rsa-pkcs1-v1_5-with-sha3-512",
	 SMIME_OID_SIGNATURE},
	{OID_ED25519, "ed25519", SMIME_OID_SIGNATURE},
	{"1.3.101.113", "ed448", SMIME_OID_SIGNATURE},

	/* key transport (RFC 3370, 4055) and its parameters */
	{OID_RSAES_OAEP, "rsaesOaep", SMIME_OID_KEY_TRANSPORT},
	{OID_MGF1, "mgf1", SMIME_OID_OTHER},
	{OID_PSPECIFIED, "pSpecified", SMIME_OID_OTHER},

	/* key agreement schemes (RFC 3370, 5753, 8418) */
	{"1.3.133.16.840.63.0.2", "dhSinglePass-stdDH-sha1kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{"1.3.133.16.840.63.0.3", "dhSinglePass-cofactorDH-sha1kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{"1.3.133.16.840.63.0.16", "mqvSinglePass-sha1kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "11.0", "dhSinglePass-stdDH-sha224kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "11.1", "dhSinglePass-stdDH-sha256kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "11.2", "dhSinglePass-stdDH-sha384kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "11.3", "dhSinglePass-stdDH-sha512kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "14.0", "dhSinglePass-cofactorDH-sha224kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "14.1", "dhSinglePass-cofactorDH-sha256kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "14.2", "dhSinglePass-cofactorDH-sha384kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "14.3", "dhSinglePass-cofactorDH-sha512kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "15.0", "mqvSinglePass-sha224kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "15.1", "mqvSinglePass-sha256kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "15.2", "mqvSinglePass-sha384kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SECG_SCHEME "15.3", "mqvSinglePass-sha512kdf-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SMIME_ALG "5", "id-alg-ESDH", SMIME_OID_KEY_AGREEMENT},
	{OID_SMIME_ALG "10", "id-alg-SSDH", SMIME_OID_KEY_AGREEMENT},
	{OID_SMIME_ALG "19", "dhSinglePass-stdDH-hkdf-sha256-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SMIME_ALG "20", "dhSinglePass-stdDH-hkdf-sha384-scheme",
	 SMIME_OID_KEY_AGREEMENT},
	{OID_SMIME_ALG "21", "dhSinglePass-stdDH-hkdf-sha512-scheme",
	 SMIME_OID_KEY_AGREEMENT},

	/* key wrap (RFC 3370, 3394, 5649) and password-based (RFC 3211) */
	{OID_NIST_AES "5", "id-aes128-wrap", SMIME_OID_KEY_WRAP},
	{OID_NIST_AES "25", "id-aes192-wrap", SMIME_OID_KEY_WRAP},
	{OID_NIST_AES "45", "id-aes256-wrap", SMIME_OID_KEY_WRAP},
	{OID_NIST_AES "8", "id-aes128-wrap-pad", SMIME_OID_KEY_WRAP},
	{OID_NIST_AES "28", "id-aes192-wrap-pad", SMIME_OID_KEY_WRAP},
	{OID_NIST_AES "48", "id-aes256-wrap-pad", SMIME_OID_KEY_WRAP},
	{OID_SMIME_ALG "6", "id-alg-CMS3DESwrap", SMIME_OID_KEY_WRAP},
	{OID_SMIME_ALG "7", "id-alg-CMSRC2wrap", SMIME_OID_KEY_WRAP},
	{OID_SMIME_ALG "9", "id-alg-PWRI-KEK", SMIME_OID_KEY_WRAP},
	{"1.2.840.113549.1.5.12", "pbkdf2", SMIME_OID_OTHER},
	{"1.2.840.113549.2.7", "hmacWithSHA1", SMIME_OID_OTHER},
	{"1.2.840.113549.2.9", "hmacWithSHA256", SMIME_OID_OTHER},
	{"1.2.840.113549.2.10", "hmacWithSHA384", SMIME_OID_OTHER},
	{"1.2.840.113549.2.11", "hmacWithSHA512", SMIME_OID_OTHER},

	/* content types (RFC 5652, 5083, 3274) */
	{OID_DATA, "data", SMIME_OID_CONTENT_TYPE},
	{OID_SIGNED_DATA, "signedData", SMIME_OID_CONTENT_TYPE},
	{OID_ENVELOPED_DATA, "envelopedData", SMIME_OID_CONTENT_TYPE},
	{OID_PKCS7 "5", "digestedData", SMIME_OID_CONTENT_TYPE},
	{OID_PKCS7 "6", "encryptedData", SMIME_OID_CONTENT_TYPE},
	{OID_SMIME_CT "2", "authData", SMIME_OID_CONTENT_TYPE},
	{OID_SMIME_CT "9", "compressedData", SMIME_OID_CONTENT_TYPE},
	{OID_AUTH_ENVELOPED_DATA, "authEnvelopedData", SMIME_OID_CONTENT_TYPE},

	/* signed attributes (RFC 5652 section 11, RFC 8551, RFC 5035) */
	{OID_CONTENT_TYPE, "contentType", SMIME_OID_ATTRIBUTE},
	{OID_MESSAGE_DIGEST, "messageDigest", SMIME_OID_ATTRIBUTE},
	{OID_SIGNING_TIME, "signingTime", SMIME_OID_ATTRIBUTE},
	{OID_SMIME_CAPABILITIES, "smimeCapabilities", SMIME_OID_ATTRIBUTE},
	{OID_SMIME_AA "11", "smimeEncryptionKeyPreference",
	 SMIME_OID_ATTRIBUTE},
	{OID_SIGNING_CERT_V2, "signingCertificateV2", SMIME_OID_ATTRIBUTE},
	{OID_PKCS9 "52", "cmsAlgorithmProtection", SMIME_OID_ATTRIBUTE},
};

#define NOIDS (sizeof(oid_table) / sizeof(oid_table[0]))

const char *smime_oid_name(const char *oid, smime_oid_class cls)
{
	if (oid == NULL)
		return NULL;
	for (size_t i = 0; i < NOIDS; i++)
		if ((cls == SMIME_OID_ANY || oid_table[i].cls == cls) &&
		    strcmp(oid_table[i].oid, oid) == 0)
			return oid_table[i].name;
	/* The content ciphers live in cipher.c's table. */
	if (cls == SMIME_OID_ANY || cls == SMIME_OID_CIPHER) {
		const smime_cipher_info *c = smime_cipher_by_oid(oid, 128);
		if (c != NULL)
			return c->id == SMIME_CIPHER_RC2_128_CBC ? "rc2-cbc"
								 : c->name;
	}
	return NULL;
}

const char *smime_oid_by_name(const char *name, smime_oid_class cls)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < NOIDS; i++)
		if ((cls == SMIME_OID_ANY || oid_table[i].cls == cls) &&
		    smime_ascii_casecmp(oid_table[i].name, name) == 0)
			return oid_table[i].oid;
	return NULL;
}

int smime_oid_name_dup(const char *oid, smime_oid_class cls, char **out)
{
	const char *name = smime_oid_name(oid, cls);

	*out = NULL;
	if (name == NULL)
		name = oid != NULL ? oid : "";
	*out = smime_strndup(name, strlen(name));
	return *out != NULL ? 0 : SMIME_E_NOMEM;
}

int smime_hex_lower(const unsigned char *p, size_t n, char **out)
{
	static const char digits[] = "0123456789abcdef";
	char *s;

	*out = NULL;
	if (n > (SIZE_MAX - 1) / 2)
		return SMIME_E_LIMIT;
	s = malloc(2 * n + 1);
	if (s == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0x0f];
	}
	s[2 * n] = '\0';
	*out = s;
	return 0;
}

void smime_serial_trim(const unsigned char **p, size_t *n)
{
	/* DER puts a 00 before a positive serial whose top bit is set;
	 * GnuTLS and OpenSSL hand it out with or without.  Compare and print
	 * the number itself: drop leading zero bytes, keep at least one. */
	while (*n > 1 && (*p)[0] == 0) {
		(*p)++;
		(*n)--;
	}
}

int smime_serial_hex(const unsigned char *p, size_t n, char **out)
{
	smime_serial_trim(&p, &n);
	return smime_hex_lower(p, n, out);
}

/* GnuTLS's RFC 4514 string with every byte that is not printable ASCII
 * written as a \XX hex pair (RFC 4514 section 2.4 allows it for any
 * character): the value stays exact, and ASCII wherever it goes (the
 * A-R field, the log line, smime-tool's output). */
static int dn_escape(const unsigned char *p, size_t n, char **out)
{
	smime_buf b = SMIME_BUF_INIT;
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = p[i] < 0x20 || p[i] > 0x7e
			      ? smime_buf_printf(&b, "\\%02X", p[i])
			      : smime_buf_putc(&b, p[i]);
	if (ret == 0)
		ret = smime_buf_steal(&b, out);
	smime_buf_free(&b);
	return ret;
}

int smime_dn_to_string(const unsigned char *der, size_t len, char **out)
{
	gnutls_x509_dn_t dn = NULL;
	gnutls_datum_t in, str = {NULL, 0};
	int ret;

	*out = NULL;
	if (len > UINT_MAX)
		return SMIME_E_LIMIT;
	if (len == 2 && der[0] == 0x30 && der[1] == 0x00) {
		/* The empty Name, which GnuTLS will not print: RFC 4514
		 * renders it as the empty string. */
		*out = smime_strndup("", 0);
		return *out != NULL ? 0 : SMIME_E_NOMEM;
	}
	if (gnutls_x509_dn_init(&dn) < 0)
		return SMIME_E_NOMEM;
	in.data = (unsigned char *)der;
	in.size = (unsigned)len;
	if (gnutls_x509_dn_import(dn, &in) < 0) {
		ret = SMIME_E_PARSE;
		goto cleanup;
	}
	/* flags 0: RFC 4514 order (last RDN first) and escaping */
	ret = gnutls_x509_dn_get_str2(dn, &str, 0);
	if (ret == GNUTLS_E_MEMORY_ERROR) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	if (ret < 0) {
		ret = SMIME_E_PARSE;
		goto cleanup;
	}
	ret = dn_escape(str.data, str.size, out);
cleanup:
	gnutls_free(str.data);
	gnutls_x509_dn_deinit(dn);
	return ret;
}
