/*
 * rsa_unwrap.c - SPEC section 8 step 2 for RSA key transport: every
 * unwrap yields a content key, the one the RecipientInfo holds or, on any
 * failure, a substitute (implicit rejection), chosen with masks, never a
 * branch on what the private key revealed.
 *
 * The substitute is HMAC-SHA-256 under a secret the key store made for
 * this key at load time, over the encrypted key: the same RecipientInfo
 * always gives the same substitute, and nobody without the secret can
 * tell it from a real key.  It takes the first length the content
 * cipher allows.
 *
 * PKCS#1 v1.5 makes one gnutls_privkey_decrypt_data2() call per allowed
 * length, always all of them (GnuTLS computes its result without a
 * branch); at most one can succeed, because the padding fixes the length.
 * RSAES-OAEP (which GnuTLS 3.7 lacks) is a raw RSA decryption through
 * libgcrypt, with blinding, and the RFC 8017 7.1.2 decoding done here
 * over every byte whatever it finds.  Two details are outside this
 * module's control: the length of the number libgcrypt returns drops
 * leading zero bytes, and a PKCS#11 token times its own operations.
 */
#include "ct.h"
#include "keys_internal.h"

#include <gcrypt.h>
#include <string.h>

#define HMAC_LEN 32

/* The substitute: HMAC-SHA-256(secret, i || enc) for i = 0..3, always
 * all four blocks (SMIME_CK_MAX bytes). */
int smime_unwrap_substitute(const unsigned char *secret,
			    const unsigned char *enc, size_t enc_len,
			    unsigned char *out)
{
	for (unsigned char i = 0; i < SMIME_CK_MAX / HMAC_LEN; i++) {
		gcry_mac_hd_t h = NULL;
		size_t len = HMAC_LEN;
		gcry_error_t e = gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256,
					       GCRY_MAC_FLAG_SECURE, NULL);

		if (e == 0)
			e = gcry_mac_setkey(h, secret, SMIME_KEY_SECRET_LEN);
		if (e == 0)
			e = gcry_mac_write(h, &i, 1);
		if (e == 0)
			e = gcry_mac_write(h, enc, enc_len);
		if (e == 0)
			e = gcry_mac_read(h, out + (size_t)i * HMAC_LEN, &len);
		gcry_mac_close(h);
		if (e != 0)
			return SMIME_E_NOMEM;
	}
	return 0;
}

/* Puts the substitute where good is 0, and the length with it. */
void smime_unwrap_settle(smime_content_key *out, const unsigned char *sub,
			 size_t sub_len, uint32_t good)
{
	ct_copy_masked(out->key, sub, SMIME_CK_MAX, ~good);
	out->len = ct_select(good, (uint32_t)out->len, (uint32_t)sub_len);
}

/* PKCS#1 v1.5: every allowed length, all of them, selected with masks. */
static int unwrap_pkcs1(const smime_unwrap_in *in, unsigned char *scratch,
			smime_content_key *out, uint32_t *good)
{
	gnutls_datum_t ct = {(unsigned char *)in->enc, (unsigned)in->enc_len};

	*good = 0;
	out->len = 0;
	for (size_t i = 0; i < in->nlens; i++) {
		uint32_t hit;
		int r;

		memset(scratch, 0, SMIME_CK_MAX);
		r = gnutls_privkey_decrypt_data2(in->key, 0, &ct, scratch,
						 in->lens[i]);
		hit = ct_zero_mask((uint32_t)r);
		ct_copy_masked(out->key, scratch, SMIME_CK_MAX, hit);
		out->len |= (size_t)(in->lens[i] & hit);
		*good |= hit;
	}
	return 0;
}

/* A token key: one gnutls_privkey_decrypt_data call (SPEC 8 step 2),
 * its result then treated as the others', with masks; the token's own
 * timing is outside the milter's control (smime-milter(8)). */
static int unwrap_token(const smime_unwrap_in *in, unsigned char *scratch,
			smime_content_key *out, uint32_t *good)
{
	gnutls_datum_t ct = {(unsigned char *)in->enc, (unsigned)in->enc_len};
	gnutls_datum_t pt = {NULL, 0};
	int r = gnutls_privkey_decrypt_data(in->key, 0, &ct, &pt);
	size_t n = r == 0 && pt.data != NULL ? pt.size : 0;
	uint32_t lenok = 0;

	memset(scratch, 0, SMIME_CK_MAX);
	memcpy(scratch, pt.data != NULL ? pt.data : scratch,
	       n < SMIME_CK_MAX ? n : SMIME_CK_MAX);
	for (size_t i = 0; i < in->nlens; i++)
		lenok |= ct_eq_mask((uint32_t)n, (uint32_t)in->lens[i]);
	*good = ct_zero_mask((uint32_t)r) & lenok;
	ct_copy_masked(out->key, scratch, SMIME_CK_MAX, *good);
	out->len = ct_select(*good, (uint32_t)n, 0);
	if (pt.data != NULL) {
		smime_wipe(pt.data, pt.size);
		gnutls_free(pt.data);
	}
	return 0;
}

/* MGF1 (RFC 8017 B.2.1) with hash algo: mask of n bytes into out. */
static int mgf1(int algo, const unsigned char *seed, size_t seed_len,
		unsigned char *out, size_t n)
{
	int r = smime_counter_kdf(algo, seed, seed_len, 0, NULL, 0, out, n);

	return r == SMIME_E_ARG ? SMIME_E_NOMEM : r;
}

/* m mod n as k big-endian bytes in em.  libgcrypt's blinded raw
 * decryption sometimes returns m - n, a negative number (seen as a
 * 257-byte 0xff... value for a 2048-bit key): reduce it. */
static int em_bytes(gcry_sexp_t plain, gcry_sexp_t skey, unsigned char *em,
		    size_t k)
{
	gcry_sexp_t ns = gcry_sexp_find_token(skey, "n", 0);
	gcry_mpi_t m = gcry_sexp_nth_mpi(plain, 1, GCRYMPI_FMT_STD);
	gcry_mpi_t n = ns ? gcry_sexp_nth_mpi(ns, 1, GCRYMPI_FMT_USG) : NULL;
	size_t w = 0;
	int ret = SMIME_E_NOMEM;

	if (m != NULL && n != NULL) {
		gcry_mpi_mod(m, m, n);
		if (gcry_mpi_print(GCRYMPI_FMT_USG, em, k, &w, m) == 0 &&
		    w <= k) {
			memmove(em + (k - w), em, w);
			memset(em, 0, k - w);
			ret = 0;
		}
	}
	gcry_mpi_release(m);
	gcry_mpi_release(n);
	gcry_sexp_release(ns);
	return ret;
}

/* The raw RSA decryption of enc, right-aligned in em[0..k).  A
 * ciphertext libgcrypt refuses (public information) leaves em zero,
 * which the decoding rejects like any other. */
static int rsa_raw(gnutls_privkey_t key, const unsigned char *enc,
		   size_t enc_len, unsigned char *em, size_t k)
{
	gcry_sexp_t skey = NULL, data = NULL, plain = NULL;
	int ret;

	memset(em, 0, k);
	ret = smime_rsa_private_sexp(key, &skey);
	if (ret < 0)
		return ret;
	if (gcry_sexp_build(&data, NULL, "(enc-val(flags raw)(rsa(a%b)))",
			    (int)enc_len, enc) != 0)
		ret = SMIME_E_NOMEM;
	else if (gcry_pk_decrypt(&plain, data, skey) == 0 &&
		 em_bytes(plain, skey, em, k) < 0)
		memset(em, 0, k);
	gcry_sexp_release(skey);
	gcry_sexp_release(data);
	gcry_sexp_release(plain);
	return ret;
}

/* RFC 8017 7.1.2 step 3 over em[0..k) in place; every byte is looked at.
 * Leaves the candidate keys at the end of DB in out, masked by good. */
static int oaep_decode(const smime_unwrap_in *in, int algo, unsigned char *em,
		       unsigned char *mask, size_t k, smime_content_key *out,
		       uint32_t *good)
{
	size_t hlen = gcry_md_get_algo_dlen(algo), dblen = k - hlen - 1;
	unsigned char lhash[64], seed[64];
	unsigned char *db = em + 1 + hlen;
	uint32_t found = 0, bad = 0, idx = 0;
	int ret;

	gcry_md_hash_buffer(algo, lhash,
			    in->kt->oaep_label ? in->kt->oaep_label : lhash,
			    in->kt->oaep_label_len);
	ret = mgf1(algo, db, dblen, seed, hlen);
	for (size_t i = 0; ret == 0 && i < hlen; i++)
		seed[i] ^= em[1 + i];
	if (ret == 0)
		ret = mgf1(algo, seed, hlen, mask, dblen); /* dbMask */
	for (size_t i = 0; ret == 0 && i < dblen; i++)
		db[i] = (unsigned char)(db[i] ^ mask[i]);
	smime_wipe(seed, sizeof(seed));
	if (ret < 0)
		return ret;
	*good = ct_zero_mask(em[0]) & ct_mem_eq_mask(db, lhash, hlen);
	for (size_t i = hlen; i < dblen; i++) {
		uint32_t zero = ct_zero_mask(db[i]), one = ct_eq_mask(db[i], 1);

		idx |= ~found & one & (uint32_t)i;
		bad |= ~found & ~zero & ~one;
		found |= ~zero;
	}
	*good &= found & ~bad;
	out->len = 0;
	for (size_t i = 0; i < in->nlens; i++) {
		size_t len = in->lens[i];
		uint32_t hit;

		if (len > dblen - hlen - 1) /* public: cannot fit */
			continue;
		hit = *good &
		      ct_eq_mask((uint32_t)(dblen - idx - 1), (uint32_t)len);
		ct_copy_masked(out->key, db + dblen - len, len, hit);
		out->len |= (size_t)(len & hit);
	}
	*good &= ct_zero_mask((uint32_t)out->len) ^ 0xffffffffu;
	return 0;
}

static int unwrap_oaep(const smime_unwrap_in *in, smime_content_key *out,
		       uint32_t *good)
{
	int algo = gcry_md_map_name(in->kt->oaep_hash ? in->kt->oaep_hash
						      : "sha1");
	unsigned bits = 0;
	size_t hlen = gcry_md_get_algo_dlen(algo), k;
	unsigned char *em;
	int ret;

	*good = 0;
	out->len = 0;
	if (gnutls_privkey_get_pk_algorithm(in->key, &bits) != GNUTLS_PK_RSA ||
	    hlen == 0 || hlen > 64)
		return SMIME_E_ARG;
	k = (bits + 7) / 8;
	if (k < 2 * hlen + 2) /* public: no OAEP message fits */
		return 0;
	em = gcry_malloc_secure(2 * k);
	if (em == NULL)
		return SMIME_E_NOMEM;
	ret = rsa_raw(in->key, in->enc, in->enc_len, em, k);
	if (ret == 0)
		ret = oaep_decode(in, algo, em, em + k, k, out, good);
	smime_wipe(em, 2 * k);
	gcry_free(em);
	return ret;
}

int smime_rsa_unwrap(const smime_unwrap_in *in, smime_content_key *out)
{
	unsigned char *sub = gcry_malloc_secure(SMIME_CK_MAX);
	unsigned char *scratch = gcry_malloc_secure(SMIME_CK_MAX);
	uint32_t good = 0;
	int ret = 0;

	if (sub == NULL || scratch == NULL) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	if (in->nlens == 0 || in->lens[0] == 0 || in->lens[0] > SMIME_CK_MAX) {
		ret = SMIME_E_ARG;
		goto cleanup;
	}
	memset(out->key, 0, SMIME_CK_MAX);
	ret = smime_unwrap_substitute(in->secret, in->enc, in->enc_len, sub);
	if (ret == 0)
		ret = in->kt->oaep ? unwrap_oaep(in, out, &good)
		      : gnutls_privkey_get_type(in->key) ==
				      GNUTLS_PRIVKEY_PKCS11
			      ? unwrap_token(in, scratch, out, &good)
			      : unwrap_pkcs1(in, scratch, out, &good);
	if (ret == 0)
		smime_unwrap_settle(out, sub, in->lens[0], good);
cleanup:
	if (sub != NULL)
		smime_wipe(sub, SMIME_CK_MAX);
	if (scratch != NULL)
		smime_wipe(scratch, SMIME_CK_MAX);
	gcry_free(sub);
	gcry_free(scratch);
	return ret;
}
