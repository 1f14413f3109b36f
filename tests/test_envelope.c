/*
 * test_envelope.c - opening EnvelopedData and
 * AuthEnvelopedData (crypto/envelope_*.c, rsa_transport.c,
 * content_cipher.c).
 *
 * What it proves:
 * - every corpus message whose key is published opens to the bytes
 *   OpenSSL gets (fixtures made by tests/data/envelope/make-fixtures.sh);
 * - RC2 honours effective key bits apart from 8 x the key length: RFC
 *   2268's own vectors, and EnvelopedData that OpenSSL itself encrypted
 *   and decrypted with a 5-byte key at 128 bits and 16-byte keys at 40 and
 *   64 bits, which libgcrypt's RC2 would get wrong (also checked);
 * - the AAD of AES-GCM is the authAttrs re-tagged as SET OF (OpenSSL's
 *   own AuthEnvelopedData with authAttrs, and its tampered twin);
 * - every failure (wrong key, bad key padding, bad content padding, bad
 *   tag, malformed OAEP) gives the same SMIME_E_CRYPTO and leaves the
 *   output buffer wiped; public reasons have codes of their own;
 * - the inbound proof: a RecipientInfo opens to the same content key.
 * Sealing is tested in test_envelope_seal.c.
 */
#include "keys_internal.h"
#include "tap.h"
#include "envelope_fixtures.h"

#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Corpus and fixtures                                                  */
/* ------------------------------------------------------------------ */

static void test_corpus(const smime_keystore *ks)
{
	static const char *const names[] = {
		"env-rc2-40.eml", "env-rc2-64.eml", "env-rc2-128.eml",
		"env-des.eml", "env-des3.eml", "env-des3-3recips.eml",
		"env-aes128.eml", "env-aes192-mixed.eml", "env-aes256.eml",
		"env-aes256-skid-stream.eml", "env-aes128-oaep-sha1.eml",
		"env-aes256-oaep-sha256.eml", "authenv-aes128-gcm.eml",
		"authenv-aes256-gcm-mixed.eml", "sig-then-env-rc2-40.eml",
		"nss-alice.env.eml", "nss-fran-oaep.env",
		"nss-fran-oaep-label.env", "nss-fran-oaep-sha256.env",
		"protected-headers-enc.eml", "thunderbird52-enc.eml",
		"outlook2013-enc.eml",
	};
	smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT,
		  want = SMIME_BUF_INIT;
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		smime_envelope *env;

		snprintf(path, sizeof(path), ENV_DATA_DIR "/corpus/%s",
			 names[i]);
		env = parse_fixture(path, &der);
		smime_buf_reset(&out);
		smime_buf_reset(&want);
		strcat(path, ".out");
		read_file(path, &want);
		ok(env != NULL && want.len > 0 &&
			   open_any(ks, env, &out, NULL) == 0,
		   "corpus %s opens with its published key", names[i]);
		is_mem(out.data, out.len, want.data, want.len,
		       "corpus %s gives the bytes OpenSSL gets", names[i]);
		smime_envelope_free(env);
	}
	smime_buf_free(&der);
	smime_buf_free(&out);
	smime_buf_free(&want);
}

static void test_cms_fixtures(const smime_keystore *ks)
{
	static const char *const names[] = {
		"env-rc2-40.der", "env-rc2-64.der", "env-rc2-128.der",
		"env-des.der", "env-des3.der", "env-aes128.der",
		"env-aes192.der", "env-aes256.der", "authenv-aes128-gcm.der",
		"authenv-aes256-gcm.der", "env-oaep-sha1.der",
		"env-oaep-sha256.der", "env-skid.der", "env-3recips.der",
	};
	smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT;
	const smime_key *alice = smime_keystore_by_name(ks, "alice");
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		smime_envelope *env;
		smime_content_key *ck = NULL;
		size_t ri = 99;
		int ret;

		snprintf(path, sizeof(path), CMS_DATA_DIR "/%s", names[i]);
		env = parse_fixture(path, &der);
		smime_buf_reset(&out);
		ret = env ? smime_envelope_open_key(env, alice, &ck, &ri) : -99;
		if (ret == 0)
			ret = smime_envelope_decrypt(env, ck, &out);
		is_long(ret, 0, "%s opens with alice's key", names[i]);
		is_mem(out.data, out.len, cms_content, strlen(cms_content),
		       "%s gives the content", names[i]);
		smime_content_key_free(ck);
		smime_envelope_free(env);
	}

	/* the streamed, chunked one (9001 bytes of x and CRLF) */
	{
		smime_envelope *env =
			parse_fixture(CMS_DATA_DIR "/env-stream.ber", &der);

		smime_buf_reset(&out);
		ok(env && open_any(ks, env, &out, NULL) == 0 &&
			   out.len == 9001 && out.data[0] == 'x' &&
			   out.data[8999] == 'x' && out.data[9000] == '\r',
		   "indefinite-length EnvelopedData with a chunked "
		   "encryptedContent opens (9000 x and a CR)");
		smime_envelope_free(env);
	}
	smime_buf_free(&der);
	smime_buf_free(&out);
}

/* Outcomes public data decides: their own codes, not SMIME_E_CRYPTO. */
static void test_public_outcomes(const smime_keystore *ks)
{
	smime_buf der = SMIME_BUF_INIT;
	const smime_key *alice = smime_keystore_by_name(ks, "alice");
	smime_content_key *ck = NULL;
	smime_envelope *env;
	smime_keytrans kt;

	env = parse_fixture(CMS_DATA_DIR "/env-kari.der", &der);
	is_long(env ? smime_envelope_open_ri(env, 0, alice, &ck) : -99,
		SMIME_E_KEY_AGREEMENT, "a kari RecipientInfo: key agreement");
	is_long(env ? smime_envelope_open_key(env, alice, &ck, NULL) : -99,
		SMIME_E_NOTFOUND, "no RecipientInfo names alice: not found");
	ok(ck == NULL, "and no content key");
	is_str(smime_strerror(SMIME_E_KEY_AGREEMENT),
	       "cannot open: key agreement", "the key-agreement text");
	smime_envelope_free(env);

	env = parse_fixture(CMS_DATA_DIR "/env-kekri.der", &der);
	is_long(env ? smime_envelope_open_ri(env, 0, alice, &ck) : -99,
		SMIME_E_KEY_AGREEMENT, "a kekri RecipientInfo: key agreement");
	smime_envelope_free(env);

	env = parse_fixture(CMS_DATA_DIR "/env-pwri.der", &der);
	is_long(env ? smime_envelope_open_ri(env, 0, alice, &ck) : -99,
		SMIME_E_UNSUPPORTED, "a password RecipientInfo: unsupported");
	smime_envelope_free(env);

	/* sha256 OAEP with MGF1-SHA1: libgcrypt has one hash for both */
	env = parse_fixture(CMS_DATA_DIR "/env-oaep-label.der", &der);
	is_long(env ? smime_envelope_open_key(env, alice, &ck, NULL) : -99,
		SMIME_E_UNSUPPORTED, "OAEP with MGF1 hash apart: unsupported");
	ok(env && smime_envelope_keytrans(env, 0, &kt) == 0 && kt.oaep &&
		   kt.oaep_label_len == 5 &&
		   memcmp(kt.oaep_label, "\1\2\3\4\5", 5) == 0,
	   "the OAEP label is read");
	smime_envelope_free(env);

	/* an EC key cannot do key transport */
	env = parse_fixture(CMS_DATA_DIR "/env-aes128.der", &der);
	is_long(env ? smime_envelope_open_ri(
			      env, 0, smime_keystore_by_name(ks, "dave"), &ck)
		    : -99,
		SMIME_E_UNSUPPORTED, "an EC key for key transport: unsupported");
	smime_envelope_free(env);

	is_long(smime_envelope_parse(der.data, 10, NULL, &env), SMIME_E_PARSE,
		"truncated DER does not parse");
	ok(env == NULL, "and gives no envelope");
	smime_buf_reset(&der);
	fixture_der(CMS_DATA_DIR "/signed-detached.der", &der);
	is_long(smime_envelope_parse(der.data, der.len, NULL, &env),
		SMIME_E_PARSE, "SignedData is not an envelope");
	smime_buf_free(&der);
}

/* ------------------------------------------------------------------ */
/* RC2 effective key bits                                               */
/* ------------------------------------------------------------------ */

static size_t unhex(const char *s, unsigned char *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2)
		sscanf(s, "%2hhx", &out[n++]);
	return n;
}

/* RFC 2268 section 5: one block, so CBC with a zero IV is ECB. */
static void test_rc2_rfc2268(void)
{
	static const struct {
		unsigned ekb;
		const char *key, *pt, *ct;
	} v[] = {
		{63, "0000000000000000", "0000000000000000", "ebb773f993278eff"},
		{64, "ffffffffffffffff", "ffffffffffffffff", "278b27e42e2f0d49"},
		{64, "3000000000000000", "1000000000000001", "30649edf9be7d2c2"},
		{64, "88", "0000000000000000", "61a8a244adacccf0"},
		{64, "88bca90e90875a", "0000000000000000", "6ccf4308974c267f"},
		{64, "88bca90e90875a7f0f79c384627bafb2", "0000000000000000",
		 "1a807d272bbe5db1"},
		{128, "88bca90e90875a7f0f79c384627bafb2", "0000000000000000",
		 "2269552ab0f85ca6"},
		{129,
		 "88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf"
		 "1e",
		 "0000000000000000", "5b78d3a43dfff1f1"},
	};
	static const unsigned char zero_iv[8];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned char key[64], pt[8], buf[8];
		size_t klen = unhex(v[i].key, key);

		unhex(v[i].pt, pt);
		unhex(v[i].ct, buf);
		ok(smime_rc2_cbc_decrypt(key, klen, v[i].ekb, zero_iv, buf, 8) ==
				   0 &&
			   memcmp(buf, pt, 8) == 0,
		   "RFC 2268 vector %zu: %zu-byte key at %u effective bits", i,
		   klen, v[i].ekb);
	}
}

/* EnvelopedData OpenSSL encrypted with RC2 keys whose length and
 * effective bits disagree (see tests/data/envelope/make-fixtures.sh). */
static void test_rc2_ekb_envelopes(const smime_keystore *ks)
{
	static const struct {
		const char *file, *key;
		unsigned ekb;
		smime_cipher_id id;
	} v[] = {
		{"rc2-ekb128-key5.der", "0102030405", 128,
		 SMIME_CIPHER_RC2_128_CBC},
		{"rc2-ekb40-key16.der", "000102030405060708090a0b0c0d0e0f", 40,
		 SMIME_CIPHER_RC2_40_CBC},
		{"rc2-ekb64-key16.der", "f0e1d2c3b4a5968778695a4b3c2d1e0f", 64,
		 SMIME_CIPHER_RC2_64_CBC},
	};
	smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT,
		  want = SMIME_BUF_INIT;
	const smime_key *alice = smime_keystore_by_name(ks, "alice");
	char path[512];

	read_file(ENV_DATA_DIR "/ekb-content.txt", &want);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		smime_envelope *env;
		smime_content_key *ck = NULL;
		unsigned char key[16];
		size_t klen = unhex(v[i].key, key);
		int ret;

		snprintf(path, sizeof(path), ENV_DATA_DIR "/%s", v[i].file);
		env = parse_fixture(path, &der);
		ok(env && env->info.cipher->id == v[i].id &&
			   env->info.eff_bits == v[i].ekb,
		   "%s: classified by its parameter, %u bits", v[i].file,
		   v[i].ekb);
		ret = env ? smime_envelope_open_key(env, alice, &ck, NULL) : -99;
		ok(ret == 0 && ck->len == klen && memcmp(ck->key, key, klen) == 0,
		   "%s: the %zu-byte content key is recovered", v[i].file,
		   klen);
		smime_buf_reset(&out);
		if (ret == 0)
			ret = smime_envelope_decrypt(env, ck, &out);
		is_mem(out.data, out.len, want.data, want.len,
		       "%s: decrypts to what OpenSSL encrypted", v[i].file);
		/* What 8 x key length would give instead: not the content.
		 * Proves the vector needs the effective bits. */
		if (env != NULL && env->ciphertext.len >= 8) {
			unsigned char blk[8];

			memcpy(blk, env->ciphertext.data, 8);
			smime_rc2_cbc_decrypt(key, klen, (unsigned)klen * 8,
					      env->iv, blk, 8);
			ok(memcmp(blk, want.data, 8) != 0,
			   "%s: 8 x %zu bits would not decrypt it", v[i].file,
			   klen);
		}
		smime_content_key_free(ck);
		smime_envelope_free(env);
	}
	smime_buf_free(&der);
	smime_buf_free(&out);
	smime_buf_free(&want);
}

/* ------------------------------------------------------------------ */
/* AuthEnvelopedData with authAttrs (OpenSSL's KEK test vectors)        */
/* ------------------------------------------------------------------ */

/* The KEK recipient's content key, unwrapped with AES key wrap. */
static smime_content_key *kek_unwrap(const smime_envelope *env)
{
	static const unsigned char kek[16] = {0, 1, 2, 3, 4, 5, 6, 7,
					      8, 9, 10, 11, 12, 13, 14, 15};
	const smime_recipient *r = &env->info.recipients[0];
	smime_content_key *ck = NULL;
	gcry_cipher_hd_t h;

	if (r->enc_key_len < 24 ||
	    smime_content_key_new(r->enc_key_len - 8, &ck) != 0)
		return NULL;
	gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_AESWRAP, 0);
	gcry_cipher_setkey(h, kek, sizeof(kek));
	if (gcry_cipher_decrypt(h, ck->key, ck->len, r->enc_key,
				r->enc_key_len) != 0) {
		smime_content_key_free(ck);
		ck = NULL;
	}
	gcry_cipher_close(h);
	return ck;
}

static void test_gcm_aad(void)
{
	smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT,
		  want = SMIME_BUF_INIT;
	smime_envelope *env;
	smime_content_key *ck;
	size_t n;

	read_file(ENV_DATA_DIR "/corpus/authenveloped_attrs.pem.out", &want);
	env = parse_fixture(ENV_DATA_DIR "/corpus/authenveloped_attrs.pem",
			    &der);
	ck = env ? kek_unwrap(env) : NULL;
	ok(env && env->aad_len == 24 && env->aad[0] == 0x31,
	   "authAttrs become a 24-byte SET OF for the AAD");
	ok(ck && smime_envelope_decrypt(env, ck, &out) == 0,
	   "GCM with authAttrs as AAD and the 16-byte tag opens");
	is_mem(out.data, out.len, want.data, want.len,
	       "OpenSSL's AuthEnvelopedData gives its plaintext");
	smime_content_key_free(ck);
	smime_envelope_free(env);

	smime_buf_reset(&out);
	env = parse_fixture(ENV_DATA_DIR "/corpus/bad_authenveloped_attrs.pem",
			    &der);
	ck = env ? kek_unwrap(env) : NULL;
	n = env ? env->ciphertext.len : 0;
	is_long(ck ? smime_envelope_decrypt(env, ck, &out) : -99,
		SMIME_E_CRYPTO, "one flipped authAttrs byte fails the tag");
	ok(out.len == 0 && n > 0 && out.cap > n && all_zero(out.data, n),
	   "and the decrypted bytes are wiped");
	smime_content_key_free(ck);
	smime_envelope_free(env);
	smime_buf_free(&der);
	smime_buf_free(&out);
	smime_buf_free(&want);
}

/* ------------------------------------------------------------------ */
/* One outcome for every failure                                        */
/* ------------------------------------------------------------------ */

/* Decrypts and expects SMIME_E_CRYPTO with nothing left in out. */
static void expect_crypto_fail(const smime_envelope *env,
			       const smime_content_key *ck, const char *what)
{
	smime_buf out = SMIME_BUF_INIT;
	size_t n = env->ciphertext.len;
	int ret;

	smime_buf_puts(&out, "keep");
	ret = smime_envelope_decrypt(env, ck, &out);
	is_long(ret, SMIME_E_CRYPTO, "%s: SMIME_E_CRYPTO", what);
	ok(out.len == 4 && memcmp(out.data, "keep", 4) == 0 &&
		   all_zero(out.data + 4, n),
	   "%s: the output is back to what it was, decrypted bytes wiped",
	   what);
	smime_buf_free(&out);
}

static void test_failures(const smime_keystore *ks)
{
	smime_buf der = SMIME_BUF_INIT;
	const smime_key *alice = smime_keystore_by_name(ks, "alice"),
			*bob = smime_keystore_by_name(ks, "bob");
	smime_content_key *ck = NULL, *other = NULL;
	smime_envelope *env, *env2;
	unsigned char *p;

	env = parse_fixture(CMS_DATA_DIR "/env-aes128.der", &der);
	if (env == NULL)
		goto bail;
	is_long(smime_envelope_open_ri(env, 0, bob, &ck), SMIME_E_CRYPTO,
		"wrong key: SMIME_E_CRYPTO");
	ok(ck == NULL, "wrong key: no content key");

	/* bad key padding: a changed encrypted key */
	p = (unsigned char *)env->info.recipients[0].enc_key;
	p[10] ^= 0x40;
	is_long(smime_envelope_open_ri(env, 0, alice, &ck), SMIME_E_CRYPTO,
		"bad PKCS#1 padding: SMIME_E_CRYPTO");
	p[10] ^= 0x40;

	/* bad content padding: the last plaintext byte changes */
	if (smime_envelope_open_ri(env, 0, alice, &ck) != 0)
		goto bail;
	env->ciphertext.data[env->ciphertext.len - 17] ^= 0x01;
	expect_crypto_fail(env, ck, "bad CBC padding");
	env->ciphertext.data[env->ciphertext.len - 17] ^= 0x01;

	/* a content key of another message: padding fails (or, 1 in 256,
	 * the content is garbage: the fixture is fixed, so it is not) */
	env2 = parse_fixture(CMS_DATA_DIR "/env-aes256.der", &der);
	if (env2 && smime_envelope_open_key(env2, alice, &other, NULL) == 0)
		expect_crypto_fail(env, other, "a 32-byte key for AES-128");
	smime_content_key_free(other);
	other = NULL;
	smime_envelope_free(env2);

	/* truncated ciphertext */
	env->ciphertext.len -= 3;
	expect_crypto_fail(env, ck, "ciphertext not a multiple of the block");
	env->ciphertext.len += 3;
	smime_content_key_free(ck);
	ck = NULL;
	smime_envelope_free(env);

	/* GCM: bad tag */
	env = parse_fixture(CMS_DATA_DIR "/authenv-aes128-gcm.der", &der);
	if (env == NULL || smime_envelope_open_key(env, alice, &ck, NULL) != 0)
		goto bail;
	env->mac[0] ^= 1;
	expect_crypto_fail(env, ck, "bad GCM tag");
	env->mac[0] ^= 1;
	env->mac_len--;
	expect_crypto_fail(env, ck, "GCM tag shorter than aes-ICVlen");
	env->mac_len++;
	/* an AAD the sender did not authenticate */
	env->params.aad = (const unsigned char *)"\x31\x00";
	env->params.aad_len = 2;
	expect_crypto_fail(env, ck, "GCM with another AAD");
	smime_content_key_free(ck);
	ck = NULL;
	smime_envelope_free(env);

	/* OpenSSL's malformed OAEP RecipientInfo (CVE-2026-28390 test) */
	env = parse_fixture(ENV_DATA_DIR "/corpus/rsa-malformed.der", &der);
	is_long(env ? smime_envelope_open_key(
			      env, smime_keystore_by_name(ks, "smrsa3"), &ck,
			      NULL)
		    : -99,
		SMIME_E_CRYPTO, "malformed OAEP RecipientInfo: SMIME_E_CRYPTO");
	smime_envelope_free(env);
	smime_buf_free(&der);
	return;
bail:
	ok(0, "the fixtures of the failure tests open");
	smime_content_key_free(ck);
	smime_envelope_free(env);
	smime_buf_free(&der);
}

/* ------------------------------------------------------------------ */
/* The inbound proof of SPEC section 8                                  */
/* ------------------------------------------------------------------ */

static void test_check_ri(const smime_keystore *ks)
{
	smime_buf der = SMIME_BUF_INIT;
	const char *names[] = {"alice", "bob", "carol"};
	const smime_key *k[3];
	smime_content_key *ck = NULL, *other = NULL;
	smime_envelope *env, *env2;
	size_t ri = 99;

	for (int i = 0; i < 3; i++)
		k[i] = smime_keystore_by_name(ks, names[i]);
	env = parse_fixture(CMS_DATA_DIR "/env-3recips.der", &der);
	ok(env && smime_envelope_open_key(env, k[0], &ck, &ri) == 0 && ri == 0,
	   "alice opens her RecipientInfo (index 0)");
	if (ck == NULL) {
		smime_envelope_free(env);
		smime_buf_free(&der);
		return;
	}
	for (size_t i = 0; i < 3; i++) {
		size_t pos = 0;
		const smime_key *owner = smime_keystore_find_recipient(
			ks, &env->info.recipients[i], &pos);

		ok(owner == k[i] && smime_envelope_check_ri(env, i, owner, ck) == 0,
		   "RecipientInfo %zu opens with %s's key to the same key", i,
		   names[i]);
	}
	is_long(smime_envelope_check_ri(env, 1, k[0], ck), SMIME_E_CRYPTO,
		"bob's RecipientInfo does not open with alice's key");
	env2 = parse_fixture(CMS_DATA_DIR "/env-des3.der", &der);
	if (env2 && smime_envelope_open_key(env2, k[0], &other, NULL) == 0)
		is_long(smime_envelope_check_ri(env, 1, k[1], other),
			SMIME_E_CRYPTO,
			"bob's RecipientInfo does not open to another "
			"message's key (the insider case)");
	smime_content_key_free(other);
	smime_envelope_free(env2);
	smime_content_key_free(ck);
	smime_envelope_free(env);
	smime_buf_free(&der);
}

/* ------------------------------------------------------------------ */
/* Attack surface: defined results for damaged input                    */
/* ------------------------------------------------------------------ */

static bool defined_result(int ret)
{
	return ret == 0 || ret == SMIME_E_PARSE || ret == SMIME_E_CRYPTO ||
	       ret == SMIME_E_UNSUPPORTED || ret == SMIME_E_NOTFOUND ||
	       ret == SMIME_E_KEY_AGREEMENT || ret == SMIME_E_LIMIT;
}

/* Parses, opens and decrypts; the result code of the first failure. */
static int try_all(const smime_keystore *ks, const unsigned char *d,
		   size_t n)
{
	smime_buf out = SMIME_BUF_INIT;
	smime_envelope *env = NULL;
	int ret = smime_envelope_parse(d, n, NULL, &env);

	if (ret == 0)
		ret = open_any(ks, env, &out, NULL);
	smime_envelope_free(env);
	smime_buf_free(&out);
	return ret;
}

/* Every single-byte change and every truncation of two fixtures (CBC
 * and GCM): a defined result, never a crash (ASan watches). */
static void test_damaged(const smime_keystore *ks)
{
	static const char *const files[] = {"env-aes128.der",
					    "authenv-aes128-gcm.der"};
	smime_buf der = SMIME_BUF_INIT, copy = SMIME_BUF_INIT;
	char path[512];

	for (size_t f = 0; f < 2; f++) {
		bool flips = true, cuts = true;

		snprintf(path, sizeof(path), CMS_DATA_DIR "/%s", files[f]);
		smime_buf_reset(&der);
		read_file(path, &der);
		for (size_t i = 0; i < der.len; i++) {
			smime_buf_reset(&copy);
			smime_buf_append(&copy, der.data, der.len);
			copy.data[i] ^= (unsigned char)(0x01 << (i % 8));
			flips &= defined_result(try_all(ks, copy.data, copy.len));
		}
		for (size_t n = 0; n < der.len; n++)
			cuts &= try_all(ks, der.data, n) == SMIME_E_PARSE ||
				n == 0;
		ok(der.len > 0 && flips,
		   "%s: every one-bit change gives a defined result", files[f]);
		ok(der.len > 0 && cuts, "%s: every truncation is malformed",
		   files[f]);
	}
	smime_buf_free(&der);
	smime_buf_free(&copy);
}

static char tmpdir[256];

int main(void)
{
	const char *t = getenv("TMPDIR");
	smime_keystore *ks;
	char cmd[300];

	if (smime_global_init() != 0) {
		printf("Bail out! smime_global_init\n");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_envelope.XXXXXX",
		 t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	ks = make_keystore(tmpdir);
	test_corpus(ks);
	test_cms_fixtures(ks);
	test_public_outcomes(ks);
	test_rc2_rfc2268();
	test_rc2_ekb_envelopes(ks);
	test_gcm_aad();
	test_failures(ks);
	test_check_ri(ks);
	test_damaged(ks);
	smime_keystore_free(ks);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	smime_global_deinit();
	return tap_done();
}
