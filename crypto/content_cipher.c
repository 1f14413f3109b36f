/*
 * content_cipher.c - the content ciphers of SPEC section 6 at work:
 * RC2/DES/3DES/AES in CBC with PKCS#7 padding (EnvelopedData); AES-GCM,
 * AES-CCM and ChaCha20-Poly1305 with authenticated attributes and a tag
 * (AuthEnvelopedData).
 *
 * libgcrypt does the work, in secure-memory cipher handles.  RC2 is the
 * exception: libgcrypt's effective key bits are always 8 x the key
 * length, while CMS carries them apart (RFC 3370) and CryptoAPI clients
 * send keys whose length disagrees with them.  Such keys, and RC2
 * whenever libgcrypt lacks it (FIPS mode), go through nettle's
 * arctwo_set_key_ekb(), which GnuTLS already brings.
 *
 * Promises: CBC decryption never fails on what the key revealed (SPEC
 * section 8 step 3: the padding is removed, never checked); GCM says
 * whether the tag verified and leaves the wiping to its caller.
 */
#include "ct.h"
#include "keys_internal.h"

#include <gcrypt.h>
#include <nettle/arctwo.h>
#include <nettle/cbc.h>
#include <stdint.h>
#include <string.h>

#define RC2_BLOCK 8

long smime_rc2_version(unsigned eff_bits)
{
	switch (eff_bits) {
	case 40:
		return 160;
	case 64:
		return 120;
	case 128:
		return 58;
	default:
		/* RFC 2268: from 256 on, the version is the bit count. */
		return eff_bits >= 256 && eff_bits <= 1024 ? (long)eff_bits
							   : -1;
	}
}

int smime_rc2_cbc_decrypt(const unsigned char *key, size_t key_len,
			  unsigned ekb, const unsigned char *iv,
			  unsigned char *buf, size_t n)
{
	struct arctwo_ctx ctx;
	uint8_t chain[RC2_BLOCK];

	if (key_len < ARCTWO_MIN_KEY_SIZE || key_len > ARCTWO_MAX_KEY_SIZE ||
	    ekb < 1 || ekb > 1024 || n % RC2_BLOCK != 0)
		return SMIME_E_CRYPTO;
	arctwo_set_key_ekb(&ctx, key_len, key, ekb);
	memcpy(chain, iv, RC2_BLOCK);
	cbc_decrypt(&ctx, (nettle_cipher_func *)arctwo_decrypt, RC2_BLOCK,
		    chain, n, buf, buf);
	smime_wipe(&ctx, sizeof(ctx));
	smime_wipe(chain, sizeof(chain));
	return 0;
}

static int rc2_cbc_encrypt(const smime_content_key *ck, unsigned ekb,
			   const unsigned char *iv, unsigned char *dst,
			   const unsigned char *src, size_t n)
{
	struct arctwo_ctx ctx;
	uint8_t chain[RC2_BLOCK];

	arctwo_set_key_ekb(&ctx, ck->len, ck->key, ekb);
	memcpy(chain, iv, RC2_BLOCK);
	cbc_encrypt(&ctx, (nettle_cipher_func *)arctwo_encrypt, RC2_BLOCK,
		    chain, n, dst, src);
	smime_wipe(&ctx, sizeof(ctx));
	smime_wipe(chain, sizeof(chain));
	return 0;
}

/*
 * PKCS#7 padding, SPEC section 8 step 3: never a failure.  As many bytes
 * go as the last byte says, or one block when it says 0 or more than a
 * block; chosen with a mask, so the time does not say which.
 */
static size_t unpad(const unsigned char *d, size_t len, size_t block)
{
	uint32_t pad = d[len - 1];
	uint32_t odd = ct_zero_mask(pad) | ct_lt_mask((uint32_t)block, pad);

	return len - ct_select(odd, (uint32_t)block, pad);
}

/* ------------------------------------------------------------------ */
/* libgcrypt                                                            */
/* ------------------------------------------------------------------ */

static int gcry_open_key(int algo, int mode, const smime_content_key *ck,
			 bool allow_weak, gcry_cipher_hd_t *h)
{
	gcry_error_t e;

	*h = NULL;
	if (gcry_cipher_open(h, algo, mode, GCRY_CIPHER_SECURE) != 0)
		return SMIME_E_UNSUPPORTED;
	/* A received DES key may be weak; decrypting with it is still
	 * what the sender did.  A fresh random key is weak with a
	 * probability of about 2^-52: sealing just fails then. */
	if (allow_weak)
		gcry_cipher_ctl(*h, GCRYCTL_SET_ALLOW_WEAK_KEY, NULL, 1);
	e = gcry_cipher_setkey(*h, ck->key, ck->len);
	if (e != 0 && !(allow_weak && gcry_err_code(e) == GPG_ERR_WEAK_KEY)) {
		gcry_cipher_close(*h);
		*h = NULL;
		return SMIME_E_CRYPTO;
	}
	return 0;
}

/* The libgcrypt algorithm for an RC2 key, when libgcrypt can do it: its
 * effective bits are 8 x the key length, nothing else. */
static int rc2_gcry_algo(const smime_content_key *ck, unsigned eff_bits)
{
	if (ck->len * 8 != eff_bits || ck->len < 5)
		return 0;
	return ck->len == 5 ? GCRY_CIPHER_RFC2268_40 : GCRY_CIPHER_RFC2268_128;
}

static bool is_rc2(const smime_cipher_info *c)
{
	return c->id == SMIME_CIPHER_RC2_40_CBC ||
	       c->id == SMIME_CIPHER_RC2_64_CBC ||
	       c->id == SMIME_CIPHER_RC2_128_CBC ||
	       c->id == SMIME_CIPHER_RC2_CBC;
}

/* CBC from src into dst (the same for in place), n bytes, either way. */
static int cbc_run(const smime_content_params *p, const smime_content_key *ck,
		   bool enc, unsigned char *dst, const unsigned char *src,
		   size_t n)
{
	const smime_cipher_info *c = p->cipher;
	gcry_cipher_hd_t h = NULL;
	int algo = c->gcry_algo, ret;

	if (is_rc2(c)) {
		/* Decryption always through nettle: which library runs
		 * must not depend on the length of a key that may be a
		 * substitute (SPEC section 8 step 2). */
		algo = enc ? rc2_gcry_algo(ck, p->eff_bits) : 0;
		if (p->eff_bits < 1 || p->eff_bits > 1024)
			return SMIME_E_CRYPTO;
	} else if (ck->len != c->key_len) {
		return SMIME_E_CRYPTO;
	}
	if (algo != 0) {
		ret = gcry_open_key(algo, GCRY_CIPHER_MODE_CBC, ck, !enc, &h);
		if (ret == 0) {
			gcry_error_t e = gcry_cipher_setiv(h, p->iv, p->iv_len);
			size_t in = dst == src ? 0 : n;

			if (e == 0)
				e = enc ? gcry_cipher_encrypt(h, dst, n,
							      in ? src : NULL,
							      in)
					: gcry_cipher_decrypt(h, dst, n,
							      in ? src : NULL,
							      in);
			gcry_cipher_close(h);
			return e == 0 ? 0 : SMIME_E_CRYPTO;
		}
		if (ret != SMIME_E_UNSUPPORTED || !is_rc2(c))
			return ret;
		/* RC2 missing from libgcrypt: nettle below */
	} else if (!is_rc2(c)) {
		return SMIME_E_UNSUPPORTED;
	}
	if (enc)
		return rc2_cbc_encrypt(ck, p->eff_bits, p->iv, dst, src, n);
	if (dst != src)
		memmove(dst, src, n);
	return smime_rc2_cbc_decrypt(ck->key, ck->len, p->eff_bits, p->iv, dst,
				     n);
}

static size_t block_len(const smime_cipher_info *c)
{
	return is_rc2(c) ? RC2_BLOCK
			 : gcry_cipher_get_algo_blklen(c->gcry_algo);
}

/* CCM needs every length before the AAD (libgcrypt's rule). */
static gcry_error_t ccm_lengths(gcry_cipher_hd_t h,
				const smime_content_params *p, size_t n,
				size_t tag_len)
{
	uint64_t lens[3] = {n, p->aad_len, tag_len};

	if (p->cipher->gcry_mode != GCRY_CIPHER_MODE_CCM)
		return 0;
	return gcry_cipher_ctl(h, GCRYCTL_SET_CCM_LENGTHS, lens, sizeof(lens));
}

/* GCM, CCM or ChaCha20-Poly1305 (RFC 5084, RFC 8103) from src into dst
 * (the same for in place), n bytes, the authenticated attributes as the
 * AAD. */
static int aead_run(const smime_content_params *p, const smime_content_key *ck,
		    bool enc, unsigned char *dst, const unsigned char *src,
		    size_t n, unsigned char *tag, size_t tag_len)
{
	size_t in = dst == src ? 0 : n;
	gcry_cipher_hd_t h = NULL;
	gcry_error_t e;
	int ret;

	if (ck->len != p->cipher->key_len ||
	    !smime_aead_nonce_ok(p->cipher, p->iv_len) ||
	    tag_len != p->icv_len ||
	    !smime_aead_icv_ok(p->cipher, (long)tag_len))
		return SMIME_E_CRYPTO;
	ret = gcry_open_key(p->cipher->gcry_algo, p->cipher->gcry_mode, ck,
			    false, &h);
	if (ret < 0)
		return ret == SMIME_E_UNSUPPORTED ? ret : SMIME_E_CRYPTO;
	e = gcry_cipher_setiv(h, p->iv, p->iv_len);
	if (e == 0)
		e = ccm_lengths(h, p, n, tag_len);
	if (e == 0 && p->aad_len > 0)
		e = gcry_cipher_authenticate(h, p->aad, p->aad_len);
	if (e == 0)
		e = enc ? gcry_cipher_encrypt(h, dst, n, in ? src : NULL, in)
			: gcry_cipher_decrypt(h, dst, n, in ? src : NULL, in);
	if (e == 0)
		e = enc ? gcry_cipher_gettag(h, tag, tag_len)
			: gcry_cipher_checktag(h, tag, tag_len);
	gcry_cipher_close(h);
	return e == 0 ? 0 : SMIME_E_CRYPTO;
}

int smime_content_decrypt(const smime_content_params *p,
			  const smime_content_key *ck, const unsigned char *tag,
			  size_t tag_len, unsigned char *data, size_t *len,
			  bool *authentic)
{
	size_t block, n = *len;
	int ret;

	*authentic = false;
	if (p->cipher->aead) {
		ret = aead_run(p, ck, false, data, data, n,
			       (unsigned char *)tag, tag_len);
		*authentic = ret == 0;
		return ret == SMIME_E_NOMEM ? ret : 0;
	}
	block = block_len(p->cipher);
	if (block == 0 || n == 0 || n % block != 0 || p->iv_len != block)
		return SMIME_E_ARG; /* public: smime_envelope_usable says */
	ret = cbc_run(p, ck, false, data, data, n);
	if (ret < 0)
		return ret;
	*len = unpad(data, n, block);
	*authentic = true;
	return 0;
}

size_t smime_cipher_block_len(const smime_cipher_info *c)
{
	return c->aead ? 0 : block_len(c);
}

size_t smime_content_encrypted_len(const smime_content_params *p, size_t len)
{
	size_t block = p->cipher->aead ? 0 : block_len(p->cipher);

	/* PKCS#7 padding: always at least one byte, a whole block at most */
	return block == 0 ? len : (len / block + 1) * block;
}

int smime_content_encrypt(const smime_content_params *p,
			  const smime_content_key *ck, const unsigned char *in,
			  size_t len, unsigned char *out, unsigned char *tag)
{
	smime_content_params last = *p;
	unsigned char tail[32];
	size_t block, full;
	int ret = 0;

	if (p->cipher->aead)
		return aead_run(p, ck, true, out, in, len, tag, p->icv_len);
	block = block_len(p->cipher);
	if (block == 0 || block > sizeof(tail) || p->iv_len != block)
		return SMIME_E_ARG;
	/* The whole blocks straight from in, then the last one padded:
	 * no copy of the plaintext lands in out. */
	full = len - len % block;
	if (full > 0)
		ret = cbc_run(p, ck, true, out, in, full);
	if (len > full)
		memcpy(tail, in + full, len - full);
	memset(tail + (len - full), (int)(block - (len - full)),
	       block - (len - full));
	if (full > 0)
		last.iv = out + full - block; /* CBC: the chain goes on */
	if (ret == 0)
		ret = cbc_run(&last, ck, true, out + full, tail, block);
	smime_wipe(tail, sizeof(tail));
	return ret;
}
