/*
 * test_cms.c - the cipher table and the CMS reader (crypto/cipher.c,
 * crypto/cms_*.c) against the vectors in tests/data/cms (see its README).
 * Hostile input is test_cms_hostile.c's.
 */
#include "cms_fixtures.h"
#include "internal.h" /* smime_dn_to_string */
#include "smime.h"
#include "tap.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_DN "CN=CMS Test CA,O=smime-milter tests"
#define MSG "Content-Type: text/plain\r\n\r\nHello CMS fixtures.\r\n"

/* Reads a fixture (DER, or PEM through smime_cms_from_pem). */
static int read_fixture(const char *name, const smime_cms_limits *lim,
			smime_buf *der, smime_cms_info *info)
{
	smime_buf raw = load(name);
	int ret;

	memset(info, 0, sizeof(*info));
	ret = smime_cms_from_pem(raw.data, raw.len, der);
	smime_buf_free(&raw);
	if (ret < 0)
		return ret;
	return smime_cms_read(der->data, der->len, lim, info);
}

/* The subjectKeyIdentifier of a fixture certificate, lowercase hex. */
static char *cert_ski(const char *name)
{
	smime_buf pem = load(name);
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {pem.data, (unsigned)pem.len};
	unsigned char id[64];
	size_t n = sizeof(id);
	char *hex = NULL;

	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0 &&
	    gnutls_x509_crt_get_subject_key_id(crt, id, &n, NULL) == 0) {
		hex = malloc(2 * n + 1);
		for (size_t i = 0; hex != NULL && i < n; i++)
			sprintf(hex + 2 * i, "%02x", id[i]);
	}
	gnutls_x509_crt_deinit(crt);
	smime_buf_free(&pem);
	return hex;
}

/* ------------------------------------------------------------------ */

static void test_cipher_table(void)
{
	static const char *const names[] = {
		"rc2-40-cbc",   "rc2-64-cbc",  "rc2-128-cbc", "des-cbc",
		"des-ede3-cbc", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc",
		"aes-128-gcm",  "aes-192-gcm", "aes-256-gcm",
	};
	const smime_cipher_info *c;
	bool all = true;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		c = smime_cipher_by_name(names[i]);
		if (c == NULL || strcmp(c->name, names[i]) != 0 ||
		    smime_cipher_by_id(c->id) != c ||
		    smime_cipher_by_oid(c->oid, c->eff_bits) != c) {
			printf("# %s does not round-trip\n", names[i]);
			all = false;
		}
	}
	ok(all, "every SPEC section 6 cipher maps name <-> id <-> OID");
	ok(smime_cipher_by_name("AES-256-CBC") != NULL,
	   "cipher names match case-insensitively");
	ok(smime_cipher_by_name("aes-256-ctr") == NULL &&
		   smime_cipher_by_oid("1.2.3.4", 0) == NULL &&
		   smime_cipher_by_id(SMIME_CIPHER_UNKNOWN) == NULL,
	   "unknown ciphers are not in the table");
	c = smime_cipher_by_oid("1.2.840.113549.3.2", 100);
	is_str(c ? c->name : NULL, "rc2-cbc",
	       "RC2 with odd effective bits is rc2-cbc");
	c = smime_cipher_by_name("aes-128-gcm");
	ok(c && c->aead && c->key_len == 16,
	   "aes-128-gcm is AEAD, 16-byte key");
	c = smime_cipher_by_name("rc2-40-cbc");
	ok(c && c->key_len == 5 && c->eff_bits == 40 && c->iv_len == 8,
	   "rc2-40-cbc: 5-byte key, 40 bits, 8-byte IV");

	is_long(smime_rc2_effective_bits(160), 40,
		"RC2 version 160 is 40 bits");
	is_long(smime_rc2_effective_bits(120), 64,
		"RC2 version 120 is 64 bits");
	is_long(smime_rc2_effective_bits(58), 128,
		"RC2 version 58 is 128 bits");
	is_long(smime_rc2_effective_bits(256), 256,
		"RC2 version 256 is itself");
	is_long(smime_rc2_effective_bits(-1), 32, "RC2 without version is 32");
	is_long(smime_rc2_effective_bits(100), 0, "RC2 version 100 is unknown");
	is_long(smime_rc2_effective_bits(1L << 20), 0,
		"RC2 version past 1024 bits is unknown");

	is_long(smime_cipher_strength(SMIME_CIPHER_RC2_40_CBC,
				      SMIME_WEAK_DEFAULT),
		SMIME_STRENGTH_WEAK, "rc2-40-cbc is weak by default");
	is_long(smime_cipher_strength(SMIME_CIPHER_DES_CBC, SMIME_WEAK_DEFAULT),
		SMIME_STRENGTH_WEAK, "des-cbc is weak by default");
	is_long(smime_cipher_strength(SMIME_CIPHER_DES_EDE3_CBC,
				      SMIME_WEAK_DEFAULT),
		SMIME_STRENGTH_LEGACY, "des-ede3-cbc is legacy by default");
	is_long(smime_cipher_strength(
			SMIME_CIPHER_DES_EDE3_CBC,
			SMIME_CIPHER_BIT(SMIME_CIPHER_DES_EDE3_CBC)),
		SMIME_STRENGTH_WEAK,
		"des-ede3-cbc named in WeakCiphers is weak");
	is_long(smime_cipher_strength(SMIME_CIPHER_RC2_CBC, 0),
		SMIME_STRENGTH_WEAK,
		"odd-size rc2-cbc is weak whatever the set");
	is_long(smime_cipher_strength(SMIME_CIPHER_RC2_40_CBC, 0),
		SMIME_STRENGTH_STRONG,
		"an empty WeakCiphers set makes rc2-40 strong");
	is_long(smime_cipher_strength(SMIME_CIPHER_AES_256_GCM,
				      SMIME_WEAK_DEFAULT),
		SMIME_STRENGTH_STRONG, "aes-256-gcm is strong");
	is_long(smime_cipher_strength(
			SMIME_CIPHER_AES_128_CBC,
			SMIME_CIPHER_BIT(SMIME_CIPHER_AES_128_CBC)),
		SMIME_STRENGTH_WEAK, "any cipher named in WeakCiphers is weak");
	is_str(smime_strength_name(SMIME_STRENGTH_LEGACY), "legacy",
	       "strength names");
	is_str(smime_kind_name(SMIME_KIND_OPAQUE_SIGNED), "opaque-signed",
	       "kind name opaque-signed");
	is_str(smime_kind_name(SMIME_KIND_AUTH_ENVELOPED), "authEnveloped",
	       "kind name authEnveloped");
	is_str(smime_kind_name(SMIME_KIND_NONE), "none", "kind name none");
	is_str(smime_kind_name(SMIME_KIND_CERTS_ONLY), "certs-only",
	       "kind name certs-only (SPEC 3)");
}

/* One ktri to alice by issuer and serial, PKCS#1 v1.5. */
static void check_alice_ktri(const char *name, const smime_buf *der,
			     const smime_cms_info *info)
{
	const smime_recipient *r =
		info->nrecipients ? &info->recipients[0] : NULL;

	if (!ok(info->nrecipients == 1 && r->type == SMIME_RI_KTRI,
		"%s: one ktri recipient", name))
		return;
	ok(!r->by_ski && r->ski == NULL, "%s: by issuer and serial", name);
	is_str(r->issuer, CA_DN, "%s: recipient issuer", name);
	is_str(r->serial, "1001", "%s: recipient serial", name);
	ok(r->issuer_der != NULL && r->issuer_der_len > 10 &&
		   r->issuer_der[0] == 0x30,
	   "%s: raw issuer DER kept", name);
	is_str(r->key_alg, "rsaEncryption", "%s: key transport", name);
	/* The ContentInfo was decoded without its encrypted content
	 * (cms_hollow.c): the views point into that smaller copy. */
	ok(r->enc_key_len == 256 && info->hollow.len > 0 &&
		   info->hollow.len < der->len &&
		   r->enc_key >= info->hollow.data &&
		   r->enc_key + r->enc_key_len <=
			   info->hollow.data + info->hollow.len,
	   "%s: the encrypted key is a 256-byte view into the ContentInfo "
	   "decoded without its content",
	   name);
}

static void test_enveloped_ciphers(void)
{
	static const struct {
		const char *file, *cipher;
		smime_kind kind;
		unsigned eff, key;
	} v[] = {
		{"env-rc2-40.der", "rc2-40-cbc", SMIME_KIND_ENVELOPED, 40, 0},
		{"env-rc2-64.der", "rc2-64-cbc", SMIME_KIND_ENVELOPED, 64, 0},
		{"env-rc2-128.der", "rc2-128-cbc", SMIME_KIND_ENVELOPED, 128,
		 0},
		{"env-des.der", "des-cbc", SMIME_KIND_ENVELOPED, 64, 64},
		{"env-des3.der", "des-ede3-cbc", SMIME_KIND_ENVELOPED, 192,
		 192},
		{"env-aes128.der", "aes-128-cbc", SMIME_KIND_ENVELOPED, 128,
		 128},
		{"env-aes192.der", "aes-192-cbc", SMIME_KIND_ENVELOPED, 192,
		 192},
		{"env-aes256.der", "aes-256-cbc", SMIME_KIND_ENVELOPED, 256,
		 256},
		{"env-stream.ber", "aes-256-cbc", SMIME_KIND_ENVELOPED, 256,
		 256},
		{"authenv-aes128-gcm.der", "aes-128-gcm",
		 SMIME_KIND_AUTH_ENVELOPED, 128, 128},
		{"authenv-aes256-gcm.der", "aes-256-gcm",
		 SMIME_KIND_AUTH_ENVELOPED, 256, 256},
		{"env-rc2-v58-key5.der", "rc2-128-cbc", SMIME_KIND_ENVELOPED,
		 128, 0},
		{"env-rc2-ekb128-key5.der", "rc2-128-cbc", SMIME_KIND_ENVELOPED,
		 128, 0},
		{"env-rc2-v300.der", "rc2-cbc", SMIME_KIND_ENVELOPED, 300, 0},
		{"env-rc2-ivonly.der", "rc2-cbc", SMIME_KIND_ENVELOPED, 32, 0},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		smime_buf der = SMIME_BUF_INIT;
		smime_cms_info info;
		int ret = read_fixture(v[i].file, NULL, &der, &info);

		is_long(ret, 0, "%s reads", v[i].file);
		is_str(smime_kind_name(info.kind), smime_kind_name(v[i].kind),
		       "%s: kind", v[i].file);
		is_str(info.cipher ? info.cipher->name : NULL, v[i].cipher,
		       "%s: cipher", v[i].file);
		is_long(info.eff_bits, v[i].eff, "%s: effective bits",
			v[i].file);
		is_long(info.key_bits, v[i].key, "%s: key bits", v[i].file);
		check_alice_ktri(v[i].file, &der, &info);
		smime_cms_info_free(&info);
		smime_buf_free(&der);
	}
}

static void test_oaep(void)
{
	static const struct {
		const char *file, *alg, *hash, *mgf;
		bool label;
	} v[] = {
		{"env-oaep-sha1.der", "rsaesOaep(sha1,mgf1-sha1)", "sha1",
		 "sha1", false},
		{"env-oaep-sha256.der", "rsaesOaep(sha256,mgf1-sha256)",
		 "sha256", "sha256", false},
		{"env-oaep-label.der", "rsaesOaep(sha256,mgf1-sha1,label)",
		 "sha256", "sha1", true},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		smime_buf der = SMIME_BUF_INIT;
		smime_cms_info info;
		const smime_recipient *r;

		is_long(read_fixture(v[i].file, NULL, &der, &info), 0,
			"%s reads", v[i].file);
		r = info.nrecipients == 1 ? &info.recipients[0] : NULL;
		if (ok(r != NULL && r->oaep, "%s: one OAEP recipient",
		       v[i].file)) {
			is_str(r->key_alg, v[i].alg, "%s: key_alg", v[i].file);
			is_str(r->key_alg_oid, "1.2.840.113549.1.1.7",
			       "%s: key_alg_oid", v[i].file);
			is_str(r->oaep_hash, v[i].hash, "%s: OAEP hash",
			       v[i].file);
			is_str(r->oaep_mgf_hash, v[i].mgf, "%s: MGF1 hash",
			       v[i].file);
			is_long(r->oaep_label, v[i].label, "%s: label",
				v[i].file);
			is_str(r->serial, "1001", "%s: recipient serial",
			       v[i].file);
		}
		smime_cms_info_free(&info);
		smime_buf_free(&der);
	}
}

static void test_recipient_ids(void)
{
	smime_buf der = SMIME_BUF_INIT;
	smime_cms_info info;
	char *ski = cert_ski("alice.pem");
	const smime_recipient *r;

	is_long(read_fixture("env-skid.der", NULL, &der, &info), 0,
		"env-skid.der reads");
	r = info.nrecipients == 1 ? &info.recipients[0] : NULL;
	ok(r && r->type == SMIME_RI_KTRI && r->by_ski && r->issuer == NULL &&
		   r->serial == NULL,
	   "env-skid: one ktri by subjectKeyIdentifier");
	is_str(r ? r->ski : NULL, ski, "env-skid: the SKI is alice's");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
	free(ski);

	is_long(read_fixture("env-3recips.der", NULL, &der, &info), 0,
		"env-3recips.der reads");
	if (ok(info.nrecipients == 3, "env-3recips: three recipients")) {
		is_str(info.recipients[0].serial, "1001", "first is alice");
		is_str(info.recipients[1].serial, "1002", "second is bob");
		is_str(info.recipients[2].serial, "9f03",
		       "third is carol, serial without its DER sign byte");
	}
	is_str(info.cipher ? info.cipher->name : NULL, "des-ede3-cbc",
	       "env-3recips: cipher");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
}

static void test_other_recipient_kinds(void)
{
	smime_buf der = SMIME_BUF_INIT;
	smime_cms_info info;
	const smime_recipient *r;

	is_long(read_fixture("env-kari.der", NULL, &der, &info), 0,
		"env-kari.der reads");
	r = info.nrecipients == 1 ? &info.recipients[0] : NULL;
	ok(r && r->type == SMIME_RI_KARI, "env-kari: one kari recipient");
	is_str(r ? r->key_alg : NULL,
	       "kari:dhSinglePass-stdDH-sha1kdf-scheme(id-aes128-wrap)",
	       "env-kari: scheme and wrap algorithm");
	is_str(r ? r->serial : NULL, "3005", "env-kari: recipient serial");
	is_str(r ? r->issuer : NULL, CA_DN, "env-kari: recipient issuer");
	ok(r && r->enc_key_len == 24, "env-kari: wrapped key view");
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	is_long(read_fixture("env-kekri.der", NULL, &der, &info), 0,
		"env-kekri.der reads");
	r = info.nrecipients == 1 ? &info.recipients[0] : NULL;
	ok(r && r->type == SMIME_RI_KEKRI, "env-kekri: one kekri recipient");
	is_str(r ? r->kek_id : NULL, "c0fee0", "env-kekri: KEK identifier");
	is_str(r ? r->key_alg : NULL, "kekri:id-aes128-wrap",
	       "env-kekri: wrap algorithm");
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	is_long(read_fixture("env-pwri.der", NULL, &der, &info), 0,
		"env-pwri.der reads");
	r = info.nrecipients == 1 ? &info.recipients[0] : NULL;
	ok(r && r->type == SMIME_RI_PWRI, "env-pwri: one pwri recipient");
	is_str(r ? r->key_alg : NULL, "pwri:id-alg-PWRI-KEK",
	       "env-pwri: key encryption algorithm");
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	is_long(read_fixture("corpus-kari-3des.der", NULL, &der, &info), 0,
		"corpus-kari-3des.der (OpenSSL 1.1.1) reads");
	ok(info.nrecipients == 2 && info.recipients[0].type == SMIME_RI_KARI &&
		   info.recipients[1].type == SMIME_RI_KARI,
	   "corpus-kari-3des: two kari recipients");
	is_str(info.nrecipients ? info.recipients[0].key_alg : NULL,
	       "kari:dhSinglePass-stdDH-sha1kdf-scheme(id-alg-CMS3DESwrap)",
	       "corpus-kari-3des: 3DES key wrap");
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	is_long(read_fixture("corpus-authenv-kekri.pem", NULL, &der, &info), 0,
		"corpus-authenv-kekri.pem (PEM \"CMS\") reads");
	is_long(info.kind, SMIME_KIND_AUTH_ENVELOPED,
		"corpus-authenv-kekri: authEnveloped");
	is_str(info.cipher ? info.cipher->name : NULL, "aes-128-gcm",
	       "corpus-authenv-kekri: cipher");
	ok(info.nrecipients == 1 && info.recipients[0].type == SMIME_RI_KEKRI,
	   "corpus-authenv-kekri: one kekri recipient");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
}

static void test_signed(void)
{
	smime_buf der = SMIME_BUF_INIT;
	smime_cms_info info;
	const smime_signer *s;

	is_long(read_fixture("signed-detached.der", NULL, &der, &info), 0,
		"signed-detached.der reads");
	is_long(info.kind, SMIME_KIND_SIGNED, "detached: kind signed");
	ok(info.econtent.len == 0, "detached: no eContent");
	is_str(info.econtent_type_oid, "1.2.840.113549.1.7.1",
	       "detached: eContentType is id-data");
	is_long((long)info.ncertificates, 1, "detached: one certificate");
	s = info.nsigners == 1 ? &info.signers[0] : NULL;
	if (ok(s != NULL, "detached: one signer")) {
		is_str(s->issuer, CA_DN, "detached: signer issuer");
		is_str(s->serial, "1001", "detached: signer serial");
		is_str(s->digest, "sha256", "detached: digest");
		is_str(s->sig_alg, "rsaEncryption", "detached: signature alg");
		is_str(s->address, "alice@example.org",
		       "detached: address from the certificate's SAN");
		ok(s->has_signed_attrs, "detached: signed attributes");
	}
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	is_long(read_fixture("signed-opaque.der", NULL, &der, &info), 0,
		"signed-opaque.der reads");
	is_long(info.kind, SMIME_KIND_OPAQUE_SIGNED, "opaque: kind");
	is_mem(info.econtent.data, info.econtent.len, MSG, strlen(MSG),
	       "opaque: eContent is the signed entity");
	is_str(info.nsigners ? info.signers[0].digest : NULL, "sha512",
	       "opaque: digest sha512");
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	is_long(read_fixture("signed-2signers.der", NULL, &der, &info), 0,
		"signed-2signers.der reads");
	is_long((long)info.ncertificates, 2, "2 signers: two certificates");
	if (ok(info.nsigners == 2, "2 signers: two SignerInfos")) {
		s = &info.signers[0];
		is_str(s->serial, "2004", "first signer is dave");
		is_str(s->sig_alg, "ecdsa-with-SHA256",
		       "dave signs with ECDSA");
		is_str(s->address, "dave@example.org",
		       "dave's address from the subject emailAddress");
		s = &info.signers[1];
		is_str(s->serial, "1001", "second signer is alice");
		is_str(s->address, "alice@example.org", "alice's address");
	}
	smime_cms_info_free(&info);
	smime_buf_free(&der);
}

static void test_signed_variants(void)
{
	smime_buf der = SMIME_BUF_INIT;
	smime_cms_info info;
	const smime_signer *s;
	char *ski;

	is_long(read_fixture("signed-pss-noattr.der", NULL, &der, &info), 0,
		"signed-pss-noattr.der reads");
	s = info.nsigners == 1 ? &info.signers[0] : NULL;
	is_str(s ? s->sig_alg : NULL, "rsassaPss", "pss: signature alg");
	ok(s && !s->has_signed_attrs, "pss: no signed attributes");
	ok(s && s->address == NULL && info.ncertificates == 0,
	   "pss: no certificate, so no address");
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	ski = cert_ski("dave.pem");
	is_long(read_fixture("signed-skid.der", NULL, &der, &info), 0,
		"signed-skid.der reads");
	s = info.nsigners == 1 ? &info.signers[0] : NULL;
	ok(s && s->issuer == NULL && s->serial == NULL,
	   "skid: signer without issuer/serial");
	is_str(s ? s->ski : NULL, ski, "skid: signer SKI is dave's");
	is_str(s ? s->address : NULL, "dave@example.org",
	       "skid: certificate matched by SKI");
	is_str(s ? s->digest : NULL, "sha384", "skid: digest sha384");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
	free(ski);

	is_long(read_fixture("signed-opaque-stream.ber", NULL, &der, &info), 0,
		"signed-opaque-stream.ber (indefinite, chunked) reads");
	is_long(info.kind, SMIME_KIND_OPAQUE_SIGNED, "stream: opaque-signed");
	ok(info.econtent.len == 9001 && info.econtent.data[0] == 'x' &&
		   info.econtent.data[8999] == 'x' &&
		   info.econtent.data[9000] == '\r',
	   "stream: the eContent chunks are joined (9001 bytes)");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
}

static void test_limits(void)
{
	smime_buf der = SMIME_BUF_INIT;
	smime_cms_info info;
	smime_cms_limits lim;

	smime_cms_limits_default(&lim);
	is_long(lim.max_recipients, 1000, "MaxRecipientInfos defaults to 1000");
	is_long(lim.max_certificates, 100, "MaxCertificates defaults to 100");

	lim.max_recipients = 2;
	is_long(read_fixture("env-3recips.der", &lim, &der, &info),
		SMIME_E_LIMIT, "three RecipientInfos pass MaxRecipientInfos 2");
	is_long(info.kind, SMIME_KIND_ENVELOPED, "the kind is still known");
	is_str(info.cipher ? info.cipher->name : NULL, "des-ede3-cbc",
	       "so is the cipher, for policy on weak ciphers");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
	lim.max_recipients = 3;
	is_long(read_fixture("env-3recips.der", &lim, &der, &info), 0,
		"three RecipientInfos fit MaxRecipientInfos 3");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
	lim.max_recipients = 1;
	is_long(read_fixture("corpus-kari-3des.der", &lim, &der, &info),
		SMIME_E_LIMIT, "kari recipients count against the limit");
	smime_cms_info_free(&info);
	smime_buf_free(&der);

	smime_cms_limits_default(&lim);
	lim.max_certificates = 1;
	is_long(read_fixture("signed-2signers.der", &lim, &der, &info),
		SMIME_E_LIMIT, "two certificates pass MaxCertificates 1");
	is_long(info.kind, SMIME_KIND_OPAQUE_SIGNED,
		"the kind is known before the limit");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
	is_long(read_fixture("signed-2signers-nocerts.der", &lim, &der, &info),
		SMIME_E_LIMIT, "two SignerInfos pass MaxCertificates 1 too");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
	lim.max_certificates = 2;
	is_long(read_fixture("signed-2signers-nocerts.der", &lim, &der, &info),
		0,
		"two SignerInfos without certificates fit MaxCertificates 2");
	ok(info.nsigners == 2 && info.signers[0].address == NULL &&
		   info.signers[1].address == NULL,
	   "signers without certificates have no address");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
}

static void test_raw_and_pem(void)
{
	static const unsigned char data_ci[] = {
		0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
		0x0d, 0x01, 0x07, 0x01, 0xa0, 0x02, 0x04, 0x00};
	static const char pem_cert[] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
				       "-----END CERTIFICATE-----\n";
	static const char pem_noend[] = "-----BEGIN PKCS7-----\nMAA=\n";
	smime_buf der = load("env-aes128.der"),
		  pem = load("corpus-authenv-kekri.pem");
	smime_buf out = SMIME_BUF_INIT;
	smime_cms_info info;
	char *spaced = NULL;

	ok(smime_cms_looks_raw(der.data, der.len), "DER CMS looks raw");
	ok(smime_cms_looks_raw(pem.data, pem.len), "PEM CMS looks raw");
	if (asprintf(&spaced, "\r\n  %s", (char *)pem.data) > 0)
		ok(smime_cms_looks_raw((unsigned char *)spaced, strlen(spaced)),
		   "PEM after blank lines looks raw");
	free(spaced);
	ok(!smime_cms_looks_raw((const unsigned char *)"From: a@b\r\n\r\nx",
				14),
	   "a message does not look raw");
	ok(!smime_cms_looks_raw((const unsigned char *)"0123456789abcdef", 16),
	   "text starting with '0' does not look raw");
	ok(!smime_cms_looks_raw((const unsigned char *)pem_cert,
				strlen(pem_cert)),
	   "a PEM certificate does not look like CMS");
	ok(!smime_cms_looks_raw((const unsigned char *)"", 0),
	   "nothing does not look raw");
	is_long(smime_cms_from_pem((const unsigned char *)pem_cert,
				   strlen(pem_cert), &out),
		SMIME_E_PARSE, "a PEM certificate is not CMS");
	smime_buf_reset(&out);
	is_long(smime_cms_from_pem((const unsigned char *)pem_noend,
				   strlen(pem_noend), &out),
		SMIME_E_PARSE, "PEM without its END line is refused");
	smime_buf_reset(&out);
	is_long(smime_cms_from_pem(der.data, der.len, &out), 0,
		"from_pem passes DER through");
	is_mem(out.data, out.len, der.data, der.len, "DER passes unchanged");
	smime_buf_free(&out);

	is_long(smime_cms_read(data_ci, sizeof(data_ci), NULL, &info), 0,
		"a ContentInfo of id-data reads");
	is_long(info.kind, SMIME_KIND_OTHER, "id-data is kind other");
	is_str(info.content_type_oid, "1.2.840.113549.1.7.1",
	       "other: its content type OID");
	smime_cms_info_free(&info);
	smime_cms_info_free(&info);
	ok(info.content_type_oid == NULL && info.nrecipients == 0,
	   "smime_cms_info_free twice is harmless");

	is_long(smime_cms_read(der.data, der.len, NULL, NULL), SMIME_E_ARG,
		"NULL info is a caller error");
	is_long(smime_cms_read(NULL, 10, NULL, &info), SMIME_E_ARG,
		"NULL DER is a caller error");
	smime_cms_info_free(&info);
	is_long(smime_cms_read(der.data, (size_t)INT_MAX + 1, NULL, &info),
		SMIME_E_LIMIT, "DER past 2 GiB is a limit, not a read");
	smime_cms_info_free(&info);
	smime_buf_free(&der);
	smime_buf_free(&pem);
}

/* A cipher in the wrong container (SPEC section 6): patch the content
 * encryption OID of a generated message in place (same length). */
static void test_cipher_container(void)
{
	static const unsigned char aes128cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65,
						  0x03, 0x04, 0x01, 0x02};
	smime_buf der = load("env-aes128.der");
	smime_cms_info info;
	unsigned char *p = der.len ? memmem(der.data, der.len, aes128cbc,
					    sizeof(aes128cbc))
				   : NULL;

	if (!ok(p != NULL, "env-aes128 carries the aes128-cbc OID"))
		goto done;
	p[sizeof(aes128cbc) - 1] = 0x06; /* aes128-gcm */
	ok(smime_cms_read(der.data, der.len, NULL, &info) < 0,
	   "GCM inside EnvelopedData is refused");
	is_long(info.kind, SMIME_KIND_ENVELOPED, "... after naming the kind");
	is_str(info.cipher_oid, "2.16.840.1.101.3.4.1.6",
	       "... and the cipher OID");
	smime_cms_info_free(&info);
	p[sizeof(aes128cbc) - 1] = 0x0f; /* an AES OID nobody assigned (.7
					  * is aes128-CCM, read since) */
	is_long(smime_cms_read(der.data, der.len, NULL, &info), 0,
		"an unknown cipher OID reads");
	ok(info.cipher == NULL && info.eff_bits == 0,
	   "an unknown cipher has no table entry and no bits");
	is_str(info.cipher_oid, "2.16.840.1.101.3.4.1.15",
	       "an unknown cipher keeps its OID");
	smime_cms_info_free(&info);
done:
	smime_buf_free(&der);
}

/* A recipient whose issuer is not a Name (a SET where the SEQUENCE
 * belongs): the layer is an error, but its cipher is still known. */
static void test_bad_recipient_keeps_cipher(void)
{
	/* the first RDN of the fixture CA's DN: SET { SEQ { OID O, ... } } */
	static const unsigned char rdn[] = {0x31, 0x1b, 0x30, 0x19, 0x06,
					    0x03, 0x55, 0x04, 0x0a};
	smime_buf der = load("env-rc2-40.der");
	smime_cms_info info;
	unsigned char *p = der.len > 2 ? memmem(der.data + 2, der.len - 2, rdn,
						sizeof(rdn))
				       : NULL;

	if (ok(p != NULL && p[-2] == 0x30, "env-rc2-40 names the CA's DN")) {
		p[-2] = 0x31;
		is_long(smime_cms_read(der.data, der.len, NULL, &info),
			SMIME_E_PARSE, "a recipient issuer that is no Name");
		is_str(info.cipher ? info.cipher->name : NULL, "rc2-40-cbc",
		       "the cipher of a layer with a bad recipient is known");
		smime_cms_info_free(&info);
	}
	smime_buf_free(&der);
}

/* RC2 parameters that do not decode (not a SEQUENCE; no IV): the layer
 * is an error, but the cipher is RC2 of unknown size, rc2-cbc, which
 * SPEC section 6 calls weak, never an unknown "strong" OID. */
static void test_bad_rc2_params(void)
{
	/* rc2-cbc OID, then RC2CBCParameter SEQUENCE { 160, OCTET STRING } */
	static const unsigned char rc2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
					    0x03, 0x02, 0x30, 0x0e, 0x02, 0x02,
					    0x00, 0xa0, 0x04, 0x08};
	static const struct {
		size_t at;
		unsigned char tag;
		const char *what;
	} bad[] = {
		{8, 0x31, "RC2 parameters that are a SET, not a SEQUENCE"},
		{14, 0x02, "RC2 parameters whose IV is no OCTET STRING"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		smime_buf der = load("env-rc2-40.der");
		smime_cms_info info;
		unsigned char *p =
			der.len ? memmem(der.data, der.len, rc2, sizeof(rc2))
				: NULL;

		if (ok(p != NULL, "env-rc2-40 carries version 160 and an IV")) {
			p[bad[i].at] = bad[i].tag;
			is_long(smime_cms_read(der.data, der.len, NULL, &info),
				SMIME_E_PARSE, "%s: malformed", bad[i].what);
			is_str(info.cipher ? info.cipher->name : NULL,
			       "rc2-cbc", "%s: rc2-cbc", bad[i].what);
			smime_cms_info_free(&info);
		}
		smime_buf_free(&der);
	}
}

/* Issue 13, 3b: an issuer DN prints as RFC 4514 with every byte that is
 * not printable ASCII as a \XX hex pair, so it stays exact and ASCII. */
static void test_dn_escapes(void)
{
	/* Name: CN=Näide CA (UTF8String) */
	static const unsigned char utf8[] = {0x30, 0x14, 0x31, 0x12, 0x30, 0x10,
					     0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
					     0x09, 'N',  0xc3, 0xa4, 'i',  'd',
					     'e',  ' ',  'C',  'A'};
	/* Name: CN=A<LF>B, O=x\,y (a special GnuTLS escapes itself) */
	static const unsigned char ctl[] = {
		0x30, 0x1c, 0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04,
		0x0a, 0x0c, 0x03, 'x',  ',',  'y',  0x31, 0x0c, 0x30, 0x0a,
		0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x03, 'A',  '\n', 'B'};
	char *s = NULL;

	is_long(smime_dn_to_string(utf8, sizeof(utf8), &s), 0,
		"a DN with UTF-8 prints");
	is_str(s, "CN=N\\C3\\A4ide CA",
	       "non-ASCII bytes become RFC 4514 \\XX hex pairs");
	free(s);
	s = NULL;
	is_long(smime_dn_to_string(ctl, sizeof(ctl), &s), 0,
		"a DN with a control character prints");
	is_str(s, "CN=A\\0AB,O=x\\,y",
	       "a control character becomes \\0A; GnuTLS's own escapes stay");
	free(s);
}

/* der, a DER ContentInfo, with the ContentInfo and its [0] rewritten
 * with indefinite lengths around the same definite content: BER that a
 * streaming encoder writes and OpenSSL reads. */
static int outer_indefinite(const smime_buf *der, smime_buf *out)
{
	smime_ber ci, oid, exp, inner;

	if (!smime_ber_at(der->data, der->len, &ci) ||
	    !smime_ber_at(ci.v, ci.vlen, &oid) ||
	    !smime_ber_at(oid.p + oid.len, ci.vlen - oid.len, &exp) ||
	    !smime_ber_at(exp.v, exp.vlen, &inner))
		return -1;
	smime_buf_append(out, "\x30\x80", 2);
	smime_buf_append(out, oid.p, oid.len);
	smime_buf_append(out, "\xa0\x80", 2);
	smime_buf_append(out, inner.p, inner.len);
	return smime_buf_append(out, "\0\0\0\0", 4);
}

/* An indefinite ContentInfo around a definite SignedData has no nested
 * indefinite element: asn1_get_length_ber() then counted its
 * end-of-contents octets into the value, and such a message read as
 * malformed (ber.c measures it now). */
static void test_outer_indefinite(void)
{
	static const char *const names[] = {
		"signed-opaque.der", "signed-detached.der", "env-aes128.der"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		smime_buf der = load(names[i]), ber = SMIME_BUF_INIT;
		smime_cms_info a, b;
		int ra, rb = -1;

		memset(&b, 0, sizeof(b));
		ra = smime_cms_read(der.data, der.len, NULL, &a);
		if (outer_indefinite(&der, &ber) == 0)
			rb = smime_cms_read(ber.data, ber.len, NULL, &b);
		ok(ra == 0 && rb == 0 && ber.data[1] == 0x80 &&
			   a.kind == b.kind && a.nsigners == b.nsigners &&
			   a.nrecipients == b.nrecipients &&
			   a.econtent.len == b.econtent.len,
		   "%s with an indefinite ContentInfo and [0]: read as the DER "
		   "is (%d)",
		   names[i], rb);
		smime_cms_info_free(&a);
		smime_cms_info_free(&b);
		smime_buf_free(&der);
		smime_buf_free(&ber);
	}
}

int main(void)
{
	if (smime_global_init() != 0) {
		ok(0, "smime_global_init");
		return tap_done();
	}
	test_cipher_table();
	test_enveloped_ciphers();
	test_oaep();
	test_recipient_ids();
	test_other_recipient_kinds();
	test_signed();
	test_signed_variants();
	test_limits();
	test_raw_and_pem();
	test_cipher_container();
	test_bad_recipient_keeps_cipher();
	test_bad_rc2_params();
	test_dn_escapes();
	test_outer_indefinite();
	smime_global_deinit();
	return tap_done();
}
