/*
 * keywrap.c - the key derivation and key wrap that ECDH recipients of
 * CMS need (RFC 5753 key agreement): the ANSI X9.63 KDF that makes the
 * key-encryption key from the shared secret, and the two key wraps a
 * KeyAgreeRecipientInfo names, AES (RFC 3394) and Triple-DES (RFC 3217).
 *
 * libgcrypt only: it has AES key wrap (GCRY_CIPHER_MODE_AESWRAP) but
 * neither the X9.63 KDF nor the CMS Triple-DES wrap, which are built
 * here from its hashes and its 3DES-CBC.  Every buffer of key material
 * is wiped before returning and every handle closed on every path; the
 * handles live in libgcrypt's secure memory, which it wipes on close.
 */
#include "ct.h"
#include "internal.h"

#include <gcrypt.h>
#include <string.h>

#define DES3_KEY_LEN 24
#define DES3_BLOCK 8
#define DES3_WRAPPED_LEN (DES3_BLOCK + DES3_KEY_LEN + DES3_BLOCK)
#define AESWRAP_BLOCK 8

/* RFC 3217 3.1 step 8 and 3.2 step 2: the IV of the outer encryption. */
static const unsigned char des3_wrap_iv[DES3_BLOCK] = {0x4a, 0xdd, 0xa2, 0x2c,
						       0x79, 0xe8, 0x21, 0x05};

/* A libgcrypt result as an SMIME_E_* code. */
static int gcry_ret(gcry_error_t e)
{
	if (e == 0)
		return 0;
	return gcry_err_code(e) == GPG_ERR_ENOMEM ? SMIME_E_NOMEM
						  : SMIME_E_CRYPTO;
}

/* A cipher handle in secure memory with its key set; *h is NULL on
 * failure. */
static int open_cipher(int algo, int mode, const unsigned char *key,
		       size_t keylen, gcry_cipher_hd_t *h)
{
	gcry_error_t e = gcry_cipher_open(h, algo, mode, GCRY_CIPHER_SECURE);

	if (e != 0) {
		*h = NULL;
		return gcry_ret(e);
	}
	e = gcry_cipher_setkey(*h, key, keylen);
	if (e != 0) {
		gcry_cipher_close(*h);
		*h = NULL;
	}
	return gcry_ret(e);
}

/* ------------------------------------------------------------------ */
/* ANSI X9.63 KDF (RFC 5753 section 7.2, SEC 1 section 3.6.1)          */
/* ------------------------------------------------------------------ */

/* Whether the arguments describe a derivation the KDF can do: a hash
 * libgcrypt knows with a fixed output, and no more than 2^32 - 1 blocks
 * (the counter is 32 bits). */
static bool kdf_args_ok(int md_algo, const unsigned char *z, size_t zlen,
			const unsigned char *info, size_t infolen,
			const unsigned char *out, size_t outlen)
{
	size_t hlen;

	if (outlen == 0 || out == NULL || (z == NULL && zlen > 0) ||
	    (info == NULL && infolen > 0))
		return false;
	if (gcry_md_test_algo(md_algo) != 0)
		return false;
	hlen = gcry_md_get_algo_dlen(md_algo);
	return hlen > 0 && (uint64_t)((outlen - 1) / hlen) < UINT32_MAX;
}

int smime_counter_kdf(int md_algo, const unsigned char *z, size_t zlen,
		      uint32_t first, const unsigned char *info, size_t infolen,
		      unsigned char *out, size_t outlen)
{
	gcry_md_hd_t h = NULL;
	size_t hlen, done = 0;
	gcry_error_t e;

	if (!kdf_args_ok(md_algo, z, zlen, info, infolen, out, outlen))
		return SMIME_E_ARG;
	hlen = gcry_md_get_algo_dlen(md_algo);
	e = gcry_md_open(&h, md_algo, GCRY_MD_FLAG_SECURE);
	if (e != 0)
		return gcry_ret(e);
	for (uint32_t counter = first; done < outlen; counter++) {
		unsigned char c[4] = {(unsigned char)(counter >> 24),
				      (unsigned char)(counter >> 16),
				      (unsigned char)(counter >> 8),
				      (unsigned char)counter};
		size_t take = outlen - done < hlen ? outlen - done : hlen;

		gcry_md_reset(h);
		if (zlen > 0)
			gcry_md_write(h, z, zlen);
		gcry_md_write(h, c, sizeof(c));
		if (infolen > 0)
			gcry_md_write(h, info, infolen);
		memcpy(out + done, gcry_md_read(h, md_algo), take);
		done += take;
	}
	gcry_md_close(h); /* wipes the digest it held */
	return 0;
}

int smime_x963_kdf(int md_algo, const unsigned char *z, size_t zlen,
		   const unsigned char *info, size_t infolen,
		   unsigned char *out, size_t outlen)
{
	return smime_counter_kdf(md_algo, z, zlen, 1, info, infolen, out,
				 outlen);
}

/* ------------------------------------------------------------------ */
/* AES key wrap (RFC 3394, default IV)                                  */
/* ------------------------------------------------------------------ */

/* The libgcrypt AES of a KEK length, or 0. */
static int aes_algo(size_t keklen)
{
	switch (keklen) {
	case 16:
		return GCRY_CIPHER_AES128;
	case 24:
		return GCRY_CIPHER_AES192;
	case 32:
		return GCRY_CIPHER_AES256;
	default:
		return 0;
	}
}

/* Whether len is a key length RFC 3394 wraps: n >= 2 blocks of 64 bits,
 * with room for the integrity block. */
static bool aes_wrap_len_ok(size_t len)
{
	return len >= 2 * AESWRAP_BLOCK && len % AESWRAP_BLOCK == 0 &&
	       len <= SIZE_MAX - AESWRAP_BLOCK;
}

int smime_aes_key_wrap(const unsigned char *kek, size_t keklen,
		       const unsigned char *key, size_t keylen,
		       unsigned char *out)
{
	gcry_cipher_hd_t h = NULL;
	int algo = aes_algo(keklen), ret;

	if (algo == 0 || kek == NULL || key == NULL || out == NULL ||
	    !aes_wrap_len_ok(keylen))
		return SMIME_E_ARG;
	ret = open_cipher(algo, GCRY_CIPHER_MODE_AESWRAP, kek, keklen, &h);
	if (ret != 0)
		return ret;
	ret = gcry_ret(gcry_cipher_encrypt(h, out, keylen + AESWRAP_BLOCK, key,
					   keylen));
	gcry_cipher_close(h);
	if (ret != 0) /* libgcrypt copies the key into out first */
		smime_wipe(out, keylen + AESWRAP_BLOCK);
	return ret;
}

int smime_aes_key_unwrap(const unsigned char *kek, size_t keklen,
			 const unsigned char *in, size_t inlen,
			 unsigned char *out)
{
	gcry_cipher_hd_t h = NULL;
	int algo = aes_algo(keklen), ret;

	if (algo == 0 || kek == NULL || in == NULL || out == NULL ||
	    inlen < AESWRAP_BLOCK || !aes_wrap_len_ok(inlen - AESWRAP_BLOCK))
		return SMIME_E_ARG;
	ret = open_cipher(algo, GCRY_CIPHER_MODE_AESWRAP, kek, keklen, &h);
	if (ret != 0)
		return ret;
	/* GPG_ERR_CHECKSUM when the integrity check fails: SMIME_E_CRYPTO */
	ret = gcry_ret(
		gcry_cipher_decrypt(h, out, inlen - AESWRAP_BLOCK, in, inlen));
	gcry_cipher_close(h);
	if (ret != 0)
		smime_wipe(out, inlen - AESWRAP_BLOCK);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Triple-DES key wrap (RFC 3217 section 3)                            */
/* ------------------------------------------------------------------ */

/* 1 when b has an odd number of bits set. */
static unsigned odd_bits(unsigned char b)
{
	unsigned x = b;

	x ^= x >> 4;
	x ^= x >> 2;
	x ^= x >> 1;
	return x & 1u;
}

/* RFC 3217 3.1 step 1: the low bit of every octet made its parity bit,
 * so that each has an odd number of bits set. */
static void set_odd_parity(unsigned char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (unsigned char)((k[i] & 0xfe) |
				       (odd_bits(k[i] & 0xfe) ^ 1u));
}

/* RFC 3217 3.2 step 8: all ones when every octet has odd parity; every
 * octet is read, without a branch. */
static uint32_t odd_parity_mask(const unsigned char *k, size_t n)
{
	uint32_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad |= odd_bits(k[i]) ^ 1u;
	return ct_zero_mask(bad);
}

/* RFC 3217 section 2: the first 8 octets of SHA-1 of the key. */
static int key_checksum(const unsigned char cek[DES3_KEY_LEN],
			unsigned char icv[DES3_BLOCK])
{
	gcry_md_hd_t h = NULL;
	gcry_error_t e = gcry_md_open(&h, GCRY_MD_SHA1, GCRY_MD_FLAG_SECURE);

	if (e != 0)
		return gcry_ret(e);
	gcry_md_write(h, cek, DES3_KEY_LEN);
	memcpy(icv, gcry_md_read(h, GCRY_MD_SHA1), DES3_BLOCK);
	gcry_md_close(h); /* wipes the digest and the key it hashed */
	return 0;
}

/* Reverses the order of n octets (RFC 3217 3.1 step 7, 3.2 step 3). */
static void reverse(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		unsigned char t = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* 3DES-CBC under the handle's key with iv over n octets, in place. */
static int cbc(gcry_cipher_hd_t h, const unsigned char iv[DES3_BLOCK],
	       unsigned char *buf, size_t n, bool encrypt)
{
	gcry_error_t e = gcry_cipher_setiv(h, iv, DES3_BLOCK);

	if (e == 0)
		e = encrypt ? gcry_cipher_encrypt(h, buf, n, NULL, 0)
			    : gcry_cipher_decrypt(h, buf, n, NULL, 0);
	return gcry_ret(e);
}

/* The wrapped key is built in out: IV || TEMP1 (TEMP2), reversed
 * (TEMP3), encrypted again. */
int smime_3des_key_wrap(const unsigned char kek[24],
			const unsigned char key[24], unsigned char out[40])
{
	unsigned char cekicv[DES3_KEY_LEN + DES3_BLOCK];
	gcry_cipher_hd_t h = NULL;
	int ret;

	if (kek == NULL || key == NULL || out == NULL)
		return SMIME_E_ARG;
	memcpy(cekicv, key, DES3_KEY_LEN);
	set_odd_parity(cekicv, DES3_KEY_LEN);              /* step 1 */
	ret = key_checksum(cekicv, cekicv + DES3_KEY_LEN); /* steps 2-3 */
	if (ret == 0)
		ret = open_cipher(GCRY_CIPHER_3DES, GCRY_CIPHER_MODE_CBC, kek,
				  DES3_KEY_LEN, &h);
	if (ret == 0) {
		gcry_randomize(out, DES3_BLOCK, GCRY_STRONG_RANDOM); /* 4 */
		memcpy(out + DES3_BLOCK, cekicv, sizeof(cekicv));
		ret = cbc(h, out, out + DES3_BLOCK, sizeof(cekicv),
			  true); /* steps 5-6 */
	}
	if (ret == 0) {
		reverse(out, DES3_WRAPPED_LEN); /* step 7 */
		ret = cbc(h, des3_wrap_iv, out, DES3_WRAPPED_LEN,
			  true); /* steps 8-9 */
	}
	gcry_cipher_close(h);
	smime_wipe(cekicv, sizeof(cekicv));
	if (ret != 0)
		smime_wipe(out, DES3_WRAPPED_LEN);
	return ret;
}

/* t holds TEMP3, then TEMP2 = IV || TEMP1, then IV || CEK || ICV. */
int smime_3des_key_unwrap(const unsigned char kek[24],
			  const unsigned char in[40], unsigned char out[24])
{
	unsigned char t[DES3_WRAPPED_LEN], icv[DES3_BLOCK];
	unsigned char *cek = t + DES3_BLOCK, *got = cek + DES3_KEY_LEN;
	gcry_cipher_hd_t h = NULL;
	uint32_t good = 0;
	int ret;

	if (kek == NULL || in == NULL || out == NULL)
		return SMIME_E_ARG;
	memcpy(t, in, DES3_WRAPPED_LEN); /* step 1: 40 octets by type */
	ret = open_cipher(GCRY_CIPHER_3DES, GCRY_CIPHER_MODE_CBC, kek,
			  DES3_KEY_LEN, &h);
	if (ret == 0)
		ret = cbc(h, des3_wrap_iv, t, DES3_WRAPPED_LEN, false); /* 2 */
	if (ret == 0) {
		reverse(t, DES3_WRAPPED_LEN); /* steps 3-4 */
		ret = cbc(h, t, cek, DES3_KEY_LEN + DES3_BLOCK,
			  false); /* steps 5-6 */
	}
	gcry_cipher_close(h);
	if (ret == 0)
		ret = key_checksum(cek, icv); /* step 7 */
	if (ret == 0) /* steps 7-8, one verdict: every octet read */
		good = ct_mem_eq_mask(icv, got, DES3_BLOCK) &
		       odd_parity_mask(cek, DES3_KEY_LEN);
	if (ret == 0 && good != 0)
		memcpy(out, cek, DES3_KEY_LEN);
	else
		smime_wipe(out, DES3_KEY_LEN);
	if (ret == 0 && good == 0)
		ret = SMIME_E_CRYPTO;
	smime_wipe(t, sizeof(t));
	smime_wipe(icv, sizeof(icv));
	return ret;
}
