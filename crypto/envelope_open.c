/*
 * envelope_open.c - opens an EnvelopedData or AuthEnvelopedData with a
 * key from the key store: RecipientInfo -> content key -> content, and
 * the inbound proof of SPEC section 8 (does this RecipientInfo open, with
 * this key, to the very content key the gateway holds).
 *
 * Which key may open which message is the caller's decision (SPEC
 * section 8); this module only does what it is asked, and says no in one
 * voice: every decryption failure is SMIME_E_CRYPTO with nothing
 * decrypted left behind.  Outcomes that public data decides (no
 * RecipientInfo for this key, key agreement, an algorithm the engine
 * lacks) have codes of their own, since they reveal nothing.
 */
#include "keys_internal.h"

#include <stdint.h>
#include <string.h>

#define OID_RSA_ENCRYPTION "1.2.840.113549.1.1.1"
#define OID_RSAES_OAEP "1.2.840.113549.1.1.7"

int smime_envelope_keytrans(const smime_envelope *env, size_t ri,
			    smime_keytrans *kt)
{
	const smime_recipient *r;

	if (env == NULL || kt == NULL || ri >= env->info.nrecipients)
		return SMIME_E_ARG;
	memset(kt, 0, sizeof(*kt));
	r = &env->info.recipients[ri];
	if (r->type == SMIME_RI_KARI || r->type == SMIME_RI_KEKRI)
		return SMIME_E_KEY_AGREEMENT;
	if (r->type != SMIME_RI_KTRI || r->key_alg_oid == NULL)
		return SMIME_E_UNSUPPORTED;
	if (strcmp(r->key_alg_oid, OID_RSAES_OAEP) == 0) {
		kt->oaep = true;
		kt->oaep_hash = r->oaep_hash;
		kt->oaep_mgf_hash = r->oaep_mgf_hash;
		kt->oaep_label = env->ri[ri].label;
		kt->oaep_label_len = env->ri[ri].label_len;
	} else if (strcmp(r->key_alg_oid, OID_RSA_ENCRYPTION) != 0) {
		return SMIME_E_UNSUPPORTED;
	}
	kt->by_ski = r->by_ski;
	return 0;
}

/*
 * The content-key lengths the cipher allows.  RC2 carries its length
 * only inside the encrypted key: the standard 5, 8 and 16 bytes, which
 * CryptoAPI also pairs with other effective sizes, plus the length the
 * effective bits suggest.
 */
static size_t key_lengths(const smime_envelope *env, size_t *lens)
{
	const smime_cipher_info *c = env->info.cipher;
	size_t n = 0, guess = env->info.eff_bits / 8;

	if (!(c->id >= SMIME_CIPHER_RC2_40_CBC &&
	      c->id <= SMIME_CIPHER_RC2_CBC)) {
		lens[0] = c->key_len;
		return 1;
	}
	lens[n++] = 5;
	lens[n++] = 8;
	lens[n++] = 16;
	if (guess >= 1 && guess <= 128 && env->info.eff_bits % 8 == 0 &&
	    guess != 5 && guess != 8 && guess != 16)
		lens[n++] = guess;
	return n;
}

/* Everything public that rules a key out, before any secret is used. */
static int usable(const smime_envelope *env, size_t ri, const smime_key *key,
		  smime_keytrans *kt)
{
	int ret = smime_envelope_keytrans(env, ri, kt);

	if (ret < 0)
		return ret;
	if (key == NULL)
		return SMIME_E_ARG;
	if (gnutls_privkey_get_pk_algorithm(smime_key_privkey(key), NULL) !=
		    GNUTLS_PK_RSA ||
	    !smime_keytrans_supported(kt) ||
	    (kt->oaep && !smime_key_can_oaep(key)))
		return SMIME_E_UNSUPPORTED;
	/* RC2 with an effective size no parameter version names (only
	 * reachable through odd versions) cannot be decrypted. */
	if (env->info.eff_bits == 0)
		return SMIME_E_UNSUPPORTED;
	return 0;
}

static int open_with(const smime_envelope *env, size_t ri,
		     const smime_key *key, const size_t *lens, size_t nlens,
		     smime_content_key **ck)
{
	const smime_recipient *r = &env->info.recipients[ri];
	smime_keytrans kt;
	int ret;

	*ck = NULL;
	ret = usable(env, ri, key, &kt);
	if (ret < 0)
		return ret;
	return smime_rsa_unwrap(smime_key_privkey(key), &kt, r->enc_key,
				r->enc_key_len, lens, nlens, ck);
}

int smime_envelope_open_ri(const smime_envelope *env, size_t ri,
			   const smime_key *key, smime_content_key **ck)
{
	size_t lens[4], n;

	if (ck == NULL)
		return SMIME_E_ARG;
	*ck = NULL;
	if (env == NULL || ri >= env->info.nrecipients)
		return SMIME_E_ARG;
	n = key_lengths(env, lens);
	return open_with(env, ri, key, lens, n, ck);
}

/* How much an outcome says, to keep the most telling one of several. */
static int rank(int err)
{
	switch (err) {
	case SMIME_E_NOTFOUND:
		return 0;
	case SMIME_E_KEY_AGREEMENT:
		return 1;
	case SMIME_E_UNSUPPORTED:
		return 2;
	default:
		return 3; /* SMIME_E_CRYPTO and resource errors */
	}
}

int smime_envelope_open_key(const smime_envelope *env, const smime_key *key,
			    smime_content_key **ck, size_t *ri)
{
	int best = SMIME_E_NOTFOUND;

	if (ck == NULL || env == NULL || key == NULL)
		return SMIME_E_ARG;
	*ck = NULL;
	for (size_t i = 0; i < env->info.nrecipients; i++) {
		int ret;

		if (!smime_cert_names_recipient(smime_key_cert(key),
						&env->info.recipients[i]))
			continue;
		ret = smime_envelope_open_ri(env, i, key, ck);
		if (ret == 0) {
			if (ri != NULL)
				*ri = i;
			return 0;
		}
		if (ret == SMIME_E_NOMEM)
			return ret;
		if (rank(ret) > rank(best))
			best = ret;
	}
	return best;
}

/* Compares without stopping at the first difference. */
static bool ct_equal(const unsigned char *a, const unsigned char *b,
		     size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int smime_envelope_check_ri(const smime_envelope *env, size_t ri,
			    const smime_key *key,
			    const smime_content_key *ck)
{
	smime_content_key *got = NULL;
	size_t len;
	int ret;

	if (env == NULL || ck == NULL || ri >= env->info.nrecipients)
		return SMIME_E_ARG;
	len = ck->len;
	ret = open_with(env, ri, key, &len, 1, &got);
	if (ret < 0)
		return ret;
	ret = got->len == ck->len && ct_equal(got->key, ck->key, ck->len)
		      ? 0
		      : SMIME_E_CRYPTO;
	smime_content_key_free(got);
	return ret;
}

int smime_envelope_decrypt(const smime_envelope *env,
			   const smime_content_key *ck, smime_buf *out)
{
	size_t old, n;
	int ret;

	if (env == NULL || ck == NULL || out == NULL)
		return SMIME_E_ARG;
	old = out->len;
	n = env->ciphertext.len;
	/* Decrypt in place at the end of out: no other copy of the
	 * plaintext ever exists. */
	ret = smime_buf_append(out, env->ciphertext.data, n);
	if (ret < 0)
		return ret;
	ret = smime_content_decrypt(&env->params, ck, env->mac, env->mac_len,
				    out->data + old, &n);
	out->len = old + n;
	out->data[out->len] = '\0';
	return ret;
}
