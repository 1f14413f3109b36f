/*
 * envelope_open.c - opens an EnvelopedData or AuthEnvelopedData with keys
 * from the key store, in the order of SPEC section 8 that keeps the
 * gateway from being a decryption oracle.
 *
 * Step 1 is public: smime_envelope_usable() and
 * smime_envelope_content_check() look at nothing but the message and
 * the keys' certificates, and the caller decides from them which
 * RecipientInfos to unwrap (one per proven recipient, the first naming
 * each certificate).  smime_envelope_open() then does steps 2-4 whatever
 * the keys reveal: every unwrap, always all of them, each yielding a key
 * (the real one or a substitute, rsa_unwrap.c); the content decrypted
 * with the first key, CBC padding never a failure; and one answer at the
 * end, whether every key was the same (compared in constant time) and,
 * for AuthEnvelopedData, the tag verified.  Nothing in between branches
 * on what a private key revealed.
 */
#include "ct.h"
#include "oid.h"
#include "keys_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int smime_envelope_keytrans(const smime_envelope *env, size_t ri,
			    smime_keytrans *kt)
{
	const smime_recipient *r;

	if (env == NULL || kt == NULL || ri >= env->info.nrecipients)
		return SMIME_E_ARG;
	memset(kt, 0, sizeof(*kt));
	r = &env->info.recipients[ri];
	if (r->type != SMIME_RI_KTRI || r->key_alg_oid == NULL)
		return SMIME_E_KEY_AGREEMENT;
	if (strcmp(r->key_alg_oid, OID_RSAES_OAEP) == 0) {
		kt->oaep = true;
		kt->oaep_hash = r->oaep_hash;
		kt->oaep_mgf_hash = r->oaep_mgf_hash;
		kt->oaep_label = env->ri[ri].label;
		kt->oaep_label_len = env->ri[ri].label_len;
	} else if (strcmp(r->key_alg_oid, OID_RSA_ENCRYPTION) != 0) {
		return SMIME_E_KEY_AGREEMENT;
	}
	kt->by_ski = r->by_ski;
	return 0;
}

size_t smime_envelope_find_ri(const smime_envelope *env, const smime_cert *c)
{
	size_t i = 0;

	for (; env != NULL && i < env->info.nrecipients; i++)
		if (smime_cert_names_recipient(c, &env->info.recipients[i]))
			break;
	return env != NULL ? i : 0;
}

static bool is_rc2(const smime_cipher_info *c)
{
	return c->id >= SMIME_CIPHER_RC2_40_CBC &&
	       c->id <= SMIME_CIPHER_RC2_CBC;
}

/*
 * The content-key lengths the cipher allows (SPEC section 8 step 2): the
 * fixed length, or for RC2 5, 8 and 16 bytes plus the length the
 * effective bits give when that is a whole number of bytes.  The first
 * is the substitute's.
 */
static size_t key_lengths(const smime_envelope *env, size_t *lens)
{
	const smime_cipher_info *c = env->info.cipher;
	size_t n = 0, guess = env->info.eff_bits / 8;

	if (!is_rc2(c)) {
		lens[0] = c->key_len;
		return 1;
	}
	lens[n++] = 5;
	lens[n++] = 8;
	lens[n++] = 16;
	if (guess >= 1 && guess <= SMIME_CK_MAX &&
	    env->info.eff_bits % 8 == 0 && guess != 5 && guess != 8 &&
	    guess != 16)
		lens[n++] = guess;
	return n;
}

int smime_envelope_usable(const smime_envelope *env, size_t ri,
			  const smime_key *key)
{
	smime_keytrans kt;
	int ret;

	if (env == NULL || key == NULL || ri >= env->info.nrecipients)
		return SMIME_E_ARG;
	if (env->info.recipients[ri].type == SMIME_RI_KARI)
		return smime_kari_usable(env, ri, key);
	ret = smime_envelope_keytrans(env, ri, &kt);
	if (ret < 0)
		return ret;
	if (gnutls_privkey_get_pk_algorithm(smime_key_privkey(key), NULL) !=
		    GNUTLS_PK_RSA ||
	    !smime_keytrans_supported(&kt) ||
	    (kt.oaep && !smime_key_can_oaep(key)))
		return SMIME_E_KEY_AGREEMENT;
	return 0;
}

int smime_envelope_content_check(const smime_envelope *env,
				 const smime_cipher_info *target)
{
	const smime_cipher_info *c;
	size_t block, n;

	if (env == NULL || env->info.cipher == NULL)
		return SMIME_E_UNSUPPORTED;
	c = env->info.cipher;
	n = env->ct_len;
	if (target != NULL && !target->writable)
		return SMIME_E_UNSUPPORTED;
	/* RC2 with an effective size no parameter version names */
	if (is_rc2(c) && (env->info.eff_bits < 1 || env->info.eff_bits > 1024))
		return SMIME_E_UNSUPPORTED;
	if (c->aead) {
		if (!smime_aead_nonce_ok(c, env->iv_len) ||
		    env->mac_len != env->params.icv_len)
			return SMIME_E_PARSE;
		return 0; /* AEAD content may be empty */
	}
	block = smime_cipher_block_len(c);
	if (block == 0 || env->iv_len != block || n == 0 || n % block != 0)
		return SMIME_E_PARSE;
	/* The new copy's length must not depend on what step 3 removes. */
	if (target != NULL &&
	    (target->aead || smime_cipher_block_len(target) < block))
		return SMIME_E_UNSUPPORTED;
	return 0;
}

int smime_envelope_unwrap(const smime_envelope *env, const smime_unwrap *u,
			  smime_content_key *out)
{
	size_t lens[4], nlens;
	smime_keytrans kt;
	smime_unwrap_in in;

	if (smime_envelope_usable(env, u->ri, u->key) != 0 ||
	    env->info.cipher == NULL)
		return SMIME_E_ARG; /* step 1 should have said */
	nlens = key_lengths(env, lens);
	if (env->info.recipients[u->ri].type == SMIME_RI_KARI)
		return smime_kari_unwrap(env, u->ri, u->key, lens, nlens, out);
	if (smime_envelope_keytrans(env, u->ri, &kt) != 0)
		return SMIME_E_ARG;
	in.key = smime_key_privkey(u->key);
	in.secret = smime_key_secret(u->key);
	in.kt = &kt;
	in.enc = env->info.recipients[u->ri].enc_key;
	in.enc_len = env->info.recipients[u->ri].enc_key_len;
	in.lens = lens;
	in.nlens = nlens;
	return smime_rsa_unwrap(&in, out);
}

/* All ones when every key equals the first, length included. */
static uint32_t keys_same(const smime_content_key *keys, size_t n)
{
	uint32_t same = 0xffffffffu;

	for (size_t i = 1; i < n; i++)
		same &= ct_eq_mask((uint32_t)keys[i].len,
				   (uint32_t)keys[0].len) &
			ct_mem_eq_mask(keys[i].key, keys[0].key, SMIME_CK_MAX);
	return same;
}

int smime_envelope_decrypt_with(const smime_envelope *env,
				const smime_content_key *key, smime_buf *out,
				bool *authentic)
{
	size_t old = out->len, n = env->ct_len;
	int ret;

	/* In place at the end of out: no other copy of the plaintext. */
	ret = smime_buf_append(out, env->ct, n);
	if (ret < 0)
		return ret;
	ret = smime_content_decrypt(&env->params, key, env->mac, env->mac_len,
				    out->data + old, &n, authentic);
	if (ret < 0 || !*authentic) {
		/* The tag decides, after all the work: wipe it all. */
		smime_wipe(out->data + old, env->ct_len);
		n = 0;
	}
	out->len = old + n;
	out->data[out->len] = '\0';
	return ret;
}

static void keys_free(smime_content_key *keys, size_t n)
{
	for (size_t i = 0; keys != NULL && i < n; i++) {
		if (keys[i].key != NULL)
			smime_wipe(keys[i].key, SMIME_CK_MAX);
		gcry_free(keys[i].key);
	}
	free(keys);
}

int smime_envelope_open(const smime_envelope *env, const smime_unwrap *v,
			size_t n, smime_buf *out, smime_open_stats *stats,
			bool *same)
{
	smime_content_key *keys;
	size_t old;
	bool authentic = false;
	int ret = 0;

	if (same == NULL || out == NULL || env == NULL || v == NULL || n == 0)
		return SMIME_E_ARG;
	*same = false;
	old = out->len;
	keys = calloc(n, sizeof(*keys));
	if (keys == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < n && ret == 0; i++) {
		keys[i].key = gcry_malloc_secure(SMIME_CK_MAX);
		if (keys[i].key == NULL)
			ret = SMIME_E_NOMEM;
	}
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = smime_envelope_unwrap(env, &v[i], &keys[i]);
	if (stats != NULL)
		stats->unwraps += n;
	if (ret == 0)
		ret = smime_envelope_decrypt_with(env, &keys[0], out,
						  &authentic);
	if (ret == 0 && stats != NULL)
		stats->decrypted += env->ct_len;
	/* Step 4: the one answer, after all the work. */
	*same = ret == 0 && (keys_same(keys, n) != 0) && authentic;
	if (!*same) {
		smime_wipe(out->data + old, out->len - old);
		out->len = old;
		if (out->data != NULL)
			out->data[old] = '\0';
	}
	keys_free(keys, n);
	return ret;
}
