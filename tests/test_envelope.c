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
		"env-rc2-40.eml",
		"env-rc2-64.eml",
		"env-rc2-128.eml",
		"env-des.eml",
		"env-des3.eml",
		"env-des3-3recips.eml",
		"env-aes128.eml",
		"env-aes192-mixed.eml",
		"env-aes256.eml",
		"env-aes256-skid-stream.eml",
		"env-aes128-oaep-sha1.eml",
		"env-aes256-oaep-sha256.eml",
		"authenv-aes128-gcm.eml",
		"authenv-aes256-gcm-mixed.eml",
		"sig-then-env-rc2-40.eml",
		"nss-alice.env.eml",
		"nss-fran-oaep.env",
		"nss-fran-oaep-label.env",
		"nss-fran-oaep-sha256.env",
		"thunderbird52-enc.eml",
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
		"env-rc2-40.der",         "env-rc2-64.der",
		"env-rc2-128.der",        "env-des.der",
		"env-des3.der",           "env-aes128.der",
		"env-aes192.der",         "env-aes256.der",
		"authenv-aes128-gcm.der", "authenv-aes256-gcm.der",
		"env-oaep-sha1.der",      "env-oaep-sha256.der",
		"env-skid.der",           "env-3recips.der",
	};
	smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT;
	const smime_key *alice = smime_keystore_by_name(ks, "alice");
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		smime_envelope *env;
		size_t ri = 99;
		int ret;

		snprintf(path, sizeof(path), CMS_DATA_DIR "/%s", names[i]);
		env = parse_fixture(path, &der);
		smime_buf_reset(&out);
		ret = env ? open_with(env, alice, &out, &ri) : -99;
		is_long(ret, 0, "%s opens with alice's key", names[i]);
		is_mem(out.data, out.len, cms_content, strlen(cms_content),
		       "%s gives the content", names[i]);
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

/* Step 1 of SPEC section 8: what public data decides, before any key. */
static void test_public_outcomes(const smime_keystore *ks)
{
	smime_buf der = SMIME_BUF_INIT;
	const smime_key *alice = smime_keystore_by_name(ks, "alice");
	smime_envelope *env;
	smime_keytrans kt;

	env = parse_fixture(CMS_DATA_DIR "/env-kari.der", &der);
	is_long(env ? smime_envelope_usable(env, 0, alice) : -99,
		SMIME_E_KEY_AGREEMENT, "a kari RecipientInfo: key agreement");
	ok(env && smime_envelope_find_ri(env, smime_key_cert(alice)) ==
			   smime_envelope_info(env)->nrecipients,
	   "no RecipientInfo names alice: find_ri says none");
	is_str(smime_strerror(SMIME_E_KEY_AGREEMENT),
	       "cannot open: key agreement", "the key-agreement text");
	{
		/* erin's P-256 key opens what OpenSSL wrote to her (sha1kdf,
		 * aes128-wrap), and dave's P-256 key, named by no
		 * RecipientInfo, can be used with the scheme all the same */
		const smime_key *erin = smime_keystore_by_name(ks, "ecrcpt");
		smime_buf out = SMIME_BUF_INIT;

		is_long(env ? smime_envelope_usable(env, 0, erin) : -99, 0,
			"a kari RecipientInfo and an EC P-256 key: usable");
		ok(env && open_with(env, erin, &out, NULL) == 0 &&
			   out.len == strlen(cms_content) &&
			   memcmp(out.data, cms_content, out.len) == 0,
		   "the EC key opens OpenSSL's kari to the content");
		smime_buf_free(&out);
	}
	smime_envelope_free(env);

	env = parse_fixture(CMS_DATA_DIR "/env-kekri.der", &der);
	is_long(env ? smime_envelope_usable(env, 0, alice) : -99,
		SMIME_E_KEY_AGREEMENT, "a kekri RecipientInfo: key agreement");
	smime_envelope_free(env);

	env = parse_fixture(CMS_DATA_DIR "/env-pwri.der", &der);
	is_long(env ? smime_envelope_usable(env, 0, alice) : -99,
		SMIME_E_KEY_AGREEMENT,
		"a password RecipientInfo: key agreement");
	smime_envelope_free(env);

	/* sha256 OAEP with MGF1-SHA1: libgcrypt has one hash for both */
	env = parse_fixture(CMS_DATA_DIR "/env-oaep-label.der", &der);
	is_long(env ? smime_envelope_usable(env, 0, alice) : -99,
		SMIME_E_KEY_AGREEMENT,
		"OAEP with MGF1 hash apart: a scheme this build cannot use");
	ok(env && smime_envelope_keytrans(env, 0, &kt) == 0 && kt.oaep &&
		   kt.oaep_label_len == 5 &&
		   memcmp(kt.oaep_label, "\1\2\3\4\5", 5) == 0,
	   "the OAEP label is read");
	smime_envelope_free(env);

	/* an EC key cannot do key transport */
	env = parse_fixture(CMS_DATA_DIR "/env-aes128.der", &der);
	is_long(env ? smime_envelope_usable(env, 0,
					    smime_keystore_by_name(ks, "dave"))
		    : -99,
		SMIME_E_KEY_AGREEMENT, "an EC key for key transport: refused");
	/* the content checks, with and without a new cipher */
	is_long(env ? smime_envelope_content_check(env, NULL) : -99, 0,
		"AES-128-CBC content can be opened");
	is_long(env ? smime_envelope_content_check(
			      env, smime_cipher_by_name("aes-256-cbc"))
		    : -99,
		0, "and sealed again as AES-256-CBC (same block)");
	is_long(env ? smime_envelope_content_check(
			      env, smime_cipher_by_name("des-ede3-cbc"))
		    : -99,
		SMIME_E_UNSUPPORTED,
		"but not as 3DES: a shorter block would leak the padding");
	is_long(env ? smime_envelope_content_check(
			      env, smime_cipher_by_name("aes-256-gcm"))
		    : -99,
		SMIME_E_UNSUPPORTED, "nor as GCM: CBC goes to CBC only");
	if (env != NULL) {
		env->ct_len -= 3;
		is_long(smime_envelope_content_check(env, NULL), SMIME_E_PARSE,
			"ciphertext not a multiple of the block: malformed");
		env->ct_len = 0;
		is_long(smime_envelope_content_check(env, NULL), SMIME_E_PARSE,
			"empty CBC ciphertext: malformed");
	}
	smime_envelope_free(env);
	env = parse_fixture(CMS_DATA_DIR "/env-rc2-40.der", &der);
	is_long(env ? smime_envelope_content_check(
			      env, smime_cipher_by_name("des-ede3-cbc"))
		    : -99,
		0, "RC2 content may become 3DES (same 8-byte block)");
	if (env != NULL) {
		env->info.eff_bits = 0;
		is_long(smime_envelope_content_check(env, NULL),
			SMIME_E_UNSUPPORTED,
			"RC2 of no known effective size: unsupported cipher");
	}
	smime_envelope_free(env);
	env = parse_fixture(CMS_DATA_DIR "/authenv-aes128-gcm.der", &der);
	if (env != NULL)
		env->mac_len--;
	is_long(env ? smime_envelope_content_check(env, NULL) : -99,
		SMIME_E_PARSE, "GCM tag shorter than aes-ICVlen: malformed");
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
		{63, "0000000000000000", "0000000000000000",
		 "ebb773f993278eff"},
		{64, "ffffffffffffffff", "ffffffffffffffff",
		 "278b27e42e2f0d49"},
		{64, "3000000000000000", "1000000000000001",
		 "30649edf9be7d2c2"},
		{64, "88", "0000000000000000", "61a8a244adacccf0"},
		{64, "88bca90e90875a", "0000000000000000", "6ccf4308974c267f"},
		{64, "88bca90e90875a7f0f79c384627bafb2", "0000000000000000",
		 "1a807d272bbe5db1"},
		{128, "88bca90e90875a7f0f79c384627bafb2", "0000000000000000",
		 "2269552ab0f85ca6"},
		{129,
		 "88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255"
		 "daf"
		 "1e",
		 "0000000000000000", "5b78d3a43dfff1f1"},
	};
	static const unsigned char zero_iv[8];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned char key[64], pt[8], buf[8];
		size_t klen = unhex(v[i].key, key);

		unhex(v[i].pt, pt);
		unhex(v[i].ct, buf);
		ok(smime_rc2_cbc_decrypt(key, klen, v[i].ekb, zero_iv, buf,
					 8) == 0 &&
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
		ret = smime_content_key_new(SMIME_CK_MAX, &ck);
		if (ret == 0 && env != NULL) {
			smime_unwrap u = {0, alice};
			ret = smime_envelope_unwrap(env, &u, ck);
		}
		ok(env && ret == 0 && ck->len == klen &&
			   memcmp(ck->key, key, klen) == 0,
		   "%s: the %zu-byte content key is recovered", v[i].file,
		   klen);
		smime_buf_reset(&out);
		if (env != NULL)
			open_with(env, alice, &out, NULL);
		is_mem(out.data, out.len, want.data, want.len,
		       "%s: decrypts to what OpenSSL encrypted", v[i].file);
		/* What 8 x key length would give instead: not the content.
		 * Proves the vector needs the effective bits. */
		if (env != NULL && env->ct_len >= 8) {
			unsigned char blk[8];

			memcpy(blk, env->ct, 8);
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
	static const unsigned char kek[16] = {0, 1, 2,  3,  4,  5,  6,  7,
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
	bool authentic = false;
	size_t n;

	read_file(ENV_DATA_DIR "/corpus/authenveloped_attrs.pem.out", &want);
	env = parse_fixture(ENV_DATA_DIR "/corpus/authenveloped_attrs.pem",
			    &der);
	ck = env ? kek_unwrap(env) : NULL;
	ok(env && env->aad_len == 24 && env->aad[0] == 0x31,
	   "authAttrs become a 24-byte SET OF for the AAD");
	ok(ck && smime_envelope_decrypt_with(env, ck, &out, &authentic) == 0 &&
		   authentic,
	   "GCM with authAttrs as AAD and the 16-byte tag opens");
	is_mem(out.data, out.len, want.data, want.len,
	       "OpenSSL's AuthEnvelopedData gives its plaintext");
	smime_content_key_free(ck);
	smime_envelope_free(env);

	smime_buf_reset(&out);
	env = parse_fixture(ENV_DATA_DIR "/corpus/bad_authenveloped_attrs.pem",
			    &der);
	ck = env ? kek_unwrap(env) : NULL;
	n = env ? env->ct_len : 0;
	ok(ck && smime_envelope_decrypt_with(env, ck, &out, &authentic) == 0 &&
		   !authentic,
	   "one flipped authAttrs byte fails the tag");
	ok(out.len == 0 && n > 0 && out.cap > n && all_zero(out.data, n),
	   "and the decrypted bytes are wiped");
	smime_content_key_free(ck);
	smime_envelope_free(env);
	smime_buf_free(&der);
	smime_buf_free(&out);
	smime_buf_free(&want);
}

/* ------------------------------------------------------------------ */
/* SPEC section 8 steps 2-4: nothing depends on what the key revealed  */
/* ------------------------------------------------------------------ */

/* The key one unwrap gives (freed by the caller), or NULL. */
static smime_content_key *unwrap_key(const smime_envelope *env, size_t ri,
				     const smime_key *k)
{
	smime_unwrap u = {ri, k};
	smime_content_key *ck = NULL;

	if (smime_content_key_new(SMIME_CK_MAX, &ck) != 0)
		return NULL;
	if (smime_envelope_unwrap(env, &u, ck) != 0) {
		smime_content_key_free(ck);
		return NULL;
	}
	return ck;
}

static bool key_is(const smime_content_key *a, const smime_content_key *b)
{
	return a && b && a->len == b->len &&
	       memcmp(a->key, b->key, a->len) == 0;
}

/* Opens env with the given unwraps into out (reset first). */
static int open_pairs(const smime_envelope *env, const smime_unwrap *v,
		      size_t n, smime_buf *out, smime_open_stats *st,
		      bool *same)
{
	smime_buf_reset(out);
	return smime_envelope_open(env, v, n, out, st, same);
}

/* PKCS#1 v1.5: len bytes of key encrypted to k's certificate. */
static int wrap_to(const smime_key *k, const unsigned char *key, size_t len,
		   gnutls_datum_t *ct)
{
	gnutls_datum_t pt = {(unsigned char *)key, (unsigned)len};
	gnutls_pubkey_t pub = NULL;
	int ret = -1;

	if (gnutls_pubkey_init(&pub) == 0 &&
	    gnutls_pubkey_import_x509(pub, smime_key_cert(k)->crt, 0) == 0 &&
	    gnutls_pubkey_encrypt_data(pub, 0, &pt, ct) == 0)
		ret = 0;
	gnutls_pubkey_deinit(pub);
	return ret;
}

/* The length bad CBC padding leaves: the last byte's count, or a block. */
static size_t after_unpad(size_t n, unsigned last)
{
	return n - (last == 0 || last > 16 ? 16 : last);
}

static void test_bad_padding(smime_envelope *env, const smime_key *alice)
{
	smime_unwrap u = {0, alice};
	smime_buf out = SMIME_BUF_INIT;
	unsigned char *ct = (unsigned char *)env->ct; /* the test's DER */
	size_t n = env->ct_len, clen = strlen(cms_content);
	unsigned pad = (unsigned)(n - clen), flips[3] = {1, 0, 0xff};
	bool same = false;

	flips[1] = pad;        /* the last byte becomes 0 */
	flips[2] = pad ^ 0xff; /* the last byte becomes 0xff */
	for (int i = 0; i < 3; i++) {
		unsigned last = pad ^ flips[i];
		int ret;

		ct[n - 17] ^= (unsigned char)flips[i];
		ret = open_pairs(env, &u, 1, &out, NULL, &same);
		ct[n - 17] ^= (unsigned char)flips[i];
		/* the block before the last is garbled by the change */
		ok(ret == 0 && same && out.len == after_unpad(n, last) &&
			   n >= 48 &&
			   memcmp(out.data, cms_content, n - 32) == 0,
		   "bad CBC padding (last byte %u): no failure, %zu bytes "
		   "removed",
		   last, n - after_unpad(n, last));
	}
	smime_buf_free(&out);
}

static void test_implicit_rejection(const smime_keystore *ks)
{
	smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT;
	const smime_key *alice = smime_keystore_by_name(ks, "alice"),
			*bob = smime_keystore_by_name(ks, "bob");
	smime_content_key *real = NULL, *w1 = NULL, *w2 = NULL, *pad = NULL,
			  *len32 = NULL;
	smime_unwrap u = {0, bob};
	gnutls_datum_t ct = {NULL, 0};
	unsigned char k32[32];
	smime_envelope *env;
	bool same = false;
	unsigned char *p;

	env = parse_fixture(CMS_DATA_DIR "/env-aes128.der", &der);
	if (env == NULL)
		goto bail;
	real = unwrap_key(env, 0, alice);
	w1 = unwrap_key(env, 0, bob);
	w2 = unwrap_key(env, 0, bob);
	ok(real && real->len == 16, "alice's key unwraps the 16-byte key");
	ok(w1 && w1->len == 16 && key_is(w1, w2) && !key_is(w1, real),
	   "a wrong key gives a substitute of the cipher's length, the same "
	   "each time, not the content key");
	ok(open_pairs(env, &u, 1, &out, NULL, &same) == 0 && same &&
		   out.len > 0 && memcmp(out.data, cms_content, 8) != 0,
	   "a wrong key opens without a failure, to bytes that are not the "
	   "content");

	p = (unsigned char *)env->info.recipients[0].enc_key;
	p[10] ^= 0x40;
	pad = unwrap_key(env, 0, alice);
	p[10] ^= 0x40;
	ok(pad && pad->len == 16 && !key_is(pad, real) && !key_is(pad, w1),
	   "bad PKCS#1 padding: a substitute, and another key's differs");

	gcry_randomize(k32, sizeof(k32), GCRY_WEAK_RANDOM);
	if (wrap_to(alice, k32, sizeof(k32), &ct) == 0) {
		const unsigned char *keep = env->info.recipients[0].enc_key;
		size_t keep_len = env->info.recipients[0].enc_key_len;

		env->info.recipients[0].enc_key = ct.data;
		env->info.recipients[0].enc_key_len = ct.size;
		len32 = unwrap_key(env, 0, alice);
		env->info.recipients[0].enc_key = keep;
		env->info.recipients[0].enc_key_len = keep_len;
	}
	ok(len32 && len32->len == 16 && memcmp(len32->key, k32, 16) != 0,
	   "a well-padded 32-byte key for AES-128: a 16-byte substitute");
	test_bad_padding(env, alice);
	smime_envelope_free(env);

	/* GCM: the tag decides, after all the work */
	env = parse_fixture(CMS_DATA_DIR "/authenv-aes128-gcm.der", &der);
	if (env == NULL)
		goto bail;
	u.key = alice;
	env->mac[0] ^= 1;
	smime_buf_reset(&out);
	smime_buf_puts(&out, "keep");
	ok(smime_envelope_open(env, &u, 1, &out, NULL, &same) == 0 && !same &&
		   out.len == 4 && memcmp(out.data, "keep", 4) == 0 &&
		   all_zero(out.data + 4, env->ciphertext.len),
	   "bad GCM tag: not the same, nothing appended, decrypted bytes "
	   "wiped");
	env->mac[0] ^= 1;
	env->params.aad = (const unsigned char *)"\x31\x00";
	env->params.aad_len = 2;
	ok(open_pairs(env, &u, 1, &out, NULL, &same) == 0 && !same &&
		   out.len == 0,
	   "GCM with an AAD the sender did not authenticate: not the same");
	smime_envelope_free(env);

	/* OpenSSL's malformed OAEP RecipientInfo (CVE-2026-28390 test) */
	env = parse_fixture(ENV_DATA_DIR "/corpus/rsa-malformed.der", &der);
	smime_buf_reset(&out);
	is_long(env ? open_with(env, smime_keystore_by_name(ks, "smrsa3"), &out,
				NULL)
		    : -99,
		0, "malformed OAEP RecipientInfo: a substitute, no failure");
	smime_envelope_free(env);
	goto cleanup;
bail:
	ok(0, "the fixtures of the implicit-rejection tests parse");
	smime_envelope_free(env);
cleanup:
	gnutls_free(ct.data);
	smime_content_key_free(real);
	smime_content_key_free(w1);
	smime_content_key_free(w2);
	smime_content_key_free(pad);
	smime_content_key_free(len32);
	smime_buf_free(&der);
	smime_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* The inbound proof of SPEC section 8: every key the same              */
/* ------------------------------------------------------------------ */

static void test_open_pairs(const smime_keystore *ks)
{
	smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT;
	const char *names[] = {"alice", "bob", "carol"};
	smime_unwrap v[3];
	smime_open_stats st = {0, 0};
	gnutls_datum_t ct = {NULL, 0};
	unsigned char other[16];
	smime_envelope *env;
	bool same = false;

	for (int i = 0; i < 3; i++) {
		v[i].key = smime_keystore_by_name(ks, names[i]);
		v[i].ri = (size_t)i;
	}
	env = parse_fixture(CMS_DATA_DIR "/env-3recips.der", &der);
	ok(env && open_pairs(env, v, 3, &out, &st, &same) == 0 && same &&
		   out.len == strlen(cms_content) &&
		   memcmp(out.data, cms_content, out.len) == 0,
	   "three recipients' own RecipientInfos open to one key: the "
	   "content");
	ok(env && st.unwraps == 3 && st.decrypted == env->ct_len,
	   "the counters: three unwraps, the ciphertext decrypted once");
	v[1].key = v[0].key;
	ok(env && open_pairs(env, v, 3, &out, &st, &same) == 0 && !same &&
		   out.len == 0,
	   "alice's key on bob's RecipientInfo: not the same key, nothing "
	   "given");
	ok(env && st.unwraps == 6, "and every unwrap was still done");
	v[1].key = smime_keystore_by_name(ks, "bob");
	gcry_randomize(other, sizeof(other), GCRY_WEAK_RANDOM);
	if (env && wrap_to(v[1].key, other, sizeof(other), &ct) == 0) {
		env->info.recipients[1].enc_key = ct.data;
		env->info.recipients[1].enc_key_len = ct.size;
		ok(open_pairs(env, v, 3, &out, NULL, &same) == 0 && !same,
		   "bob's RecipientInfo holding another key: not the same "
		   "(the insider case)");
	} else {
		ok(0, "bob's RecipientInfo holding another key");
	}
	gnutls_free(ct.data);
	smime_envelope_free(env);
	smime_buf_free(&der);
	smime_buf_free(&out);
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
static int try_all(const smime_keystore *ks, const unsigned char *d, size_t n)
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
/* Every byte of the two fixtures, one bit flipped (bit i % 8 of byte i),
 * and every truncation.  Under valgrind (SMIME_UNDER_VALGRIND, make
 * check-valgrind) every 7th byte and length only, the bits still all
 * taken since 7 and 8 are coprime: the plain and ASan runs go through
 * them all. */
static void test_damaged(const smime_keystore *ks)
{
	static const char *const files[] = {"env-aes128.der",
					    "authenv-aes128-gcm.der"};
	smime_buf der = SMIME_BUF_INIT, copy = SMIME_BUF_INIT;
	size_t step = getenv("SMIME_UNDER_VALGRIND") ? 7 : 1;
	const char *which = step > 1 ? "every 7th" : "every";
	char path[512];

	for (size_t f = 0; f < 2; f++) {
		bool flips = true, cuts = true;

		snprintf(path, sizeof(path), CMS_DATA_DIR "/%s", files[f]);
		smime_buf_reset(&der);
		read_file(path, &der);
		for (size_t i = 0; i < der.len; i += step) {
			smime_buf_reset(&copy);
			smime_buf_append(&copy, der.data, der.len);
			copy.data[i] ^= (unsigned char)(0x01 << (i % 8));
			flips &= defined_result(
				try_all(ks, copy.data, copy.len));
		}
		for (size_t n = 0; n < der.len; n += step)
			cuts &= try_all(ks, der.data, n) == SMIME_E_PARSE ||
				n == 0;
		ok(der.len > 0 && flips,
		   "%s: %s one-bit change gives a defined result", files[f],
		   which);
		ok(der.len > 0 && cuts, "%s: %s truncation is malformed",
		   files[f], which);
	}
	smime_buf_free(&der);
	smime_buf_free(&copy);
}

static char tmpdir[256];

int main(void)
{
	smime_keystore *ks =
		fixture_start("test_envelope", tmpdir, sizeof(tmpdir));

	test_corpus(ks);
	test_cms_fixtures(ks);
	test_public_outcomes(ks);
	test_rc2_rfc2268();
	test_rc2_ekb_envelopes(ks);
	test_gcm_aad();
	test_implicit_rejection(ks);
	test_open_pairs(ks);
	test_damaged(ks);
	fixture_end(ks, tmpdir);
	return tap_done();
}
