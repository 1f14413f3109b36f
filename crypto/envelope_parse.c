/*
 * envelope_parse.c - reads what opening an EnvelopedData (RFC 5652) or
 * AuthEnvelopedData (RFC 5083) needs beyond smime_cms_read()'s
 * description: the IV or GCM nonce and tag length, the encrypted content
 * (chunks of a streamed message joined), the authenticated attributes as
 * the AAD, the MAC, and each OAEP recipient's label.
 *
 * The AAD is the DER of authAttrs with its [1] IMPLICIT tag replaced by
 * the SET OF tag (RFC 5083 section 2.2), re-encoded by libtasn1 so a BER
 * sender and a DER sender authenticate the same bytes.
 *
 * All of it is read from the tree smime_cms_read_tree() decoded for
 * smime_envelope_info()'s description: the structure is decoded once.
 *
 * Promises: any byte string gives an envelope or an SMIME_E_* error;
 * smime_envelope_free() is safe on every partial result.
 */
#include "keys_internal.h"

#include <gcrypt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int read_small_int(asn1_node node, const char *name, long *out)
{
	unsigned char *v;
	size_t n;
	int ret = smime_asn1_read(node, name, &v, &n);

	if (ret < 0)
		return ret;
	if (n == 0 || n > 3 || (v[0] & 0x80))
		ret = SMIME_E_PARSE;
	*out = 0;
	for (size_t i = 0; ret == 0 && i < n; i++)
		*out = (*out << 8) | v[i];
	free(v);
	return ret;
}

/* Decodes the ANY at name as type. */
static int decode_any(asn1_node node, const char *name, const char *type,
		      asn1_node *out)
{
	unsigned char *v = NULL;
	size_t n;
	int ret;

	*out = NULL;
	ret = smime_asn1_read(node, name, &v, &n);
	if (ret == 0)
		ret = smime_asn1_decode(type, v, n, false, out);
	free(v);
	return ret;
}

/* The IV (CBC, RC2 in either parameter form), or the AEAD nonce and ICV
 * length (GCM and CCM parameters; ChaCha20-Poly1305's parameter is the
 * nonce itself, its tag 16 bytes). */
static int read_params(asn1_node node, const char *eci, smime_envelope *env)
{
	const smime_cipher_info *c = env->info.cipher;
	const char *type = smime_cipher_params_type(c), *iv = "";
	bool chacha = c->gcry_mode == GCRY_CIPHER_MODE_POLY1305;
	smime_asn1_path p;
	asn1_node prm = NULL;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	int l = sizeof(alt), ret;
	long icv = chacha ? 16 : 12;

	ret = decode_any(
		node,
		smime_asn1_path_fmt(
			&p, "%s.contentEncryptionAlgorithm.parameters", eci),
		type, &prm);
	if (ret < 0)
		goto cleanup;
	if (strcmp(type, "SmimeCMS.RC2CBCParameterChoice") == 0) {
		ret = smime_asn1_err(asn1_read_value(prm, "", alt, &l));
		iv = strcmp(alt, "iv") == 0 ? "iv" : "params.iv";
	} else if (c->aead && !chacha) {
		iv = "aes-nonce";
		ret = read_small_int(prm, "aes-ICVlen", &icv);
	}
	if (ret == 0 && c->aead && !smime_aead_icv_ok(c, icv))
		ret = SMIME_E_PARSE;
	if (c->aead)
		env->params.icv_len = (size_t)icv;
	if (ret == 0)
		ret = smime_asn1_read(prm, iv, &env->iv, &env->iv_len);
cleanup:
	smime_asn1_free(&prm);
	return ret;
}

static int read_ciphertext(const smime_cms_tree *t, const char *eci,
			   const char *spill_dir, smime_envelope *env)
{
	smime_asn1_path p;
	unsigned char *v = NULL;
	size_t n;
	int ret;

	/* Left out of the tree (cms_hollow.c): read where it lies, or its
	 * chunks joined in a buffer that may spill (only ciphertext). */
	if (t->econtent != NULL) {
		smime_buf_spill(&env->ciphertext, spill_dir);
		return smime_cms_econtent(t, &env->ciphertext, &env->ct,
					  &env->ct_len);
	}
	/* Absent means the content travels elsewhere: nothing to open. */
	ret = smime_asn1_read(
		t->node, smime_asn1_path_fmt(&p, "%s.encryptedContent", eci),
		&v, &n);
	if (ret == 0)
		ret = smime_buf_append(&env->ciphertext, v, n);
	free(v);
	env->ct = env->ciphertext.data;
	env->ct_len = env->ciphertext.len;
	return ret;
}

/* authAttrs as the AAD: tagged SET OF, DER. */
static int read_aad(asn1_node node, const unsigned char *der, size_t len,
		    smime_envelope *env)
{
	asn1_node attrs = NULL;
	unsigned char *copy = NULL;
	int s, e, n = 0, r, ret;

	if (!smime_asn1_present(node, "authAttrs"))
		return 0;
	r = asn1_der_decoding_startEnd(node, der, (int)len, "authAttrs", &s,
				       &e);
	if (r != ASN1_SUCCESS || s < 0 || e < s || (size_t)e >= len)
		return SMIME_E_PARSE;
	copy = malloc((size_t)(e - s) + 1);
	if (copy == NULL)
		return SMIME_E_NOMEM;
	memcpy(copy, der + s, (size_t)(e - s) + 1);
	copy[0] = 0x31; /* [1] IMPLICIT -> SET OF, constructed either way */
	ret = smime_asn1_decode("SmimeCMS.Attributes", copy,
				(size_t)(e - s) + 1, false, &attrs);
	if (ret < 0)
		goto cleanup;
	r = asn1_der_coding(attrs, "", NULL, &n, NULL);
	if (r != ASN1_MEM_ERROR || n <= 0) {
		ret = SMIME_E_PARSE;
		goto cleanup;
	}
	env->aad = malloc((size_t)n);
	if (env->aad == NULL) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	ret = smime_asn1_err(asn1_der_coding(attrs, "", env->aad, &n, NULL));
	env->aad_len = ret == 0 ? (size_t)n : 0;
cleanup:
	smime_asn1_free(&attrs);
	free(copy);
	return ret;
}

/* The pSpecified label of one OAEP ktri. */
static int read_label(asn1_node node, const char *ktri,
		      struct smime_envelope_ri *ri)
{
	smime_asn1_path p;
	asn1_node prm = NULL, label = NULL;
	int ret;

	ret = decode_any(
		node,
		smime_asn1_path_fmt(&p, "%s.keyEncryptionAlgorithm.parameters",
				    ktri),
		"SmimeCMS.RSAES-OAEP-params", &prm);
	if (ret == 0)
		ret = decode_any(prm, "pSourceFunc.parameters",
				 "SmimeCMS.OAEPLabel", &label);
	if (ret == 0)
		ret = smime_asn1_read(label, "", &ri->label, &ri->label_len);
	smime_asn1_free(&prm);
	smime_asn1_free(&label);
	return ret;
}

/* Walks the RecipientInfos in the reader's order: a kari gave one
 * recipient per RecipientEncryptedKey, everything else one. */
static int read_labels(asn1_node node, smime_envelope *env)
{
	smime_asn1_path p, q;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	size_t idx = 0;
	int n = 0, l, ret = 0;

	env->ri = calloc(env->info.nrecipients + 1, sizeof(*env->ri));
	if (env->ri == NULL)
		return SMIME_E_NOMEM;
	if (asn1_number_of_elements(node, "recipientInfos", &n) != ASN1_SUCCESS)
		return SMIME_E_PARSE;
	env->karis = calloc((size_t)n + 1, sizeof(*env->karis));
	if (env->karis == NULL)
		return SMIME_E_NOMEM;
	for (int i = 1; i <= n && ret == 0; i++) {
		const char *base =
			smime_asn1_path_fmt(&p, "recipientInfos.?%d", i);
		int keys = 1;

		l = sizeof(alt);
		ret = smime_asn1_err(asn1_read_value(node, base, alt, &l));
		if (ret < 0)
			break;
		if (strcmp(alt, "kari") == 0 &&
		    asn1_number_of_elements(
			    node,
			    smime_asn1_path_fmt(
				    &q, "%s.kari.recipientEncryptedKeys", base),
			    &keys) != ASN1_SUCCESS)
			return SMIME_E_PARSE;
		if (idx + (size_t)keys > env->info.nrecipients)
			return SMIME_E_PARSE;
		if (strcmp(alt, "ktri") == 0 &&
		    env->info.recipients[idx].oaep_label)
			ret = read_label(
				node, smime_asn1_path_fmt(&q, "%s.ktri", base),
				&env->ri[idx]);
		if (strcmp(alt, "kari") == 0) {
			smime_kari *k = &env->karis[env->nkaris++];

			ret = smime_kari_read(
				node, smime_asn1_path_fmt(&q, "%s.kari", base),
				k);
			for (int j = 0; j < keys; j++)
				env->ri[idx + (size_t)j].kari = k;
		}
		idx += (size_t)keys;
	}
	return ret;
}

/* What opening needs, read from the tree smime_cms_read_tree() decoded. */
static int read_envelope(const smime_cms_tree *t, const char *spill_dir,
			 smime_envelope *env)
{
	const char *eci =
		env->auth ? "authEncryptedContentInfo" : "encryptedContentInfo";
	int ret;

	ret = read_params(t->node, eci, env);
	if (ret == 0)
		ret = read_ciphertext(t, eci, spill_dir, env);
	if (ret == 0 && env->auth)
		ret = read_aad(t->node, t->der, t->len, env);
	if (ret == 0 && env->auth)
		ret = smime_asn1_read(t->node, "mac", &env->mac, &env->mac_len);
	if (ret == 0)
		ret = read_labels(t->node, env);
	return ret;
}

int smime_envelope_parse(const unsigned char *der, size_t len,
			 const smime_cms_limits *limits, smime_envelope **out)
{
	smime_envelope *env;
	smime_cms_tree tree = {0};
	int ret;

	if (out == NULL || der == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	env = calloc(1, sizeof(*env));
	if (env == NULL)
		return SMIME_E_NOMEM;
	ret = smime_cms_read_tree(der, len, limits, &env->info, &tree);
	if (ret < 0)
		goto cleanup;
	if (env->info.kind != SMIME_KIND_ENVELOPED &&
	    env->info.kind != SMIME_KIND_AUTH_ENVELOPED) {
		ret = SMIME_E_PARSE;
		goto cleanup;
	}
	if (env->info.cipher == NULL) {
		ret = SMIME_E_UNSUPPORTED;
		goto cleanup;
	}
	env->auth = env->info.kind == SMIME_KIND_AUTH_ENVELOPED;
	ret = read_envelope(&tree, limits != NULL ? limits->spill_dir : NULL,
			    env);
	if (ret < 0)
		goto cleanup;
	env->params.cipher = env->info.cipher;
	env->params.eff_bits = env->info.eff_bits;
	env->params.iv = env->iv;
	env->params.iv_len = env->iv_len;
	env->params.aad = env->aad;
	env->params.aad_len = env->aad_len;
	*out = env;
	env = NULL;
cleanup:
	smime_cms_tree_free(&tree);
	smime_envelope_free(env);
	return ret;
}

void smime_envelope_free(smime_envelope *env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; env->ri != NULL && i < env->info.nrecipients; i++)
		free(env->ri[i].label);
	free(env->ri);
	for (size_t i = 0; i < env->nkaris; i++)
		smime_kari_free(&env->karis[i]);
	free(env->karis);
	smime_cms_info_free(&env->info);
	free(env->iv);
	smime_buf_free(&env->ciphertext);
	free(env->aad);
	free(env->mac);
	free(env);
}

const smime_cms_info *smime_envelope_info(const smime_envelope *env)
{
	return env != NULL ? &env->info : NULL;
}
