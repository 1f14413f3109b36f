/*
 * cms_enveloped.c - reads EnvelopedData (RFC 5652 section 6) and
 * AuthEnvelopedData (RFC 5083) without any key: the content cipher with
 * its effective key bits, and every recipient with its identifier, key
 * transport or agreement algorithm and encrypted key.
 *
 * Promises: each RecipientInfo becomes one smime_recipient, except a
 * KeyAgreeRecipientInfo, which gives one per RecipientEncryptedKey (each
 * is a recipient of its own).  The total is held to MaxRecipientInfos.
 * A GCM cipher in EnvelopedData or a CBC cipher in AuthEnvelopedData is
 * described and then refused with SMIME_E_UNSUPPORTED (SPEC section 6).
 * The decoded structure stays in the caller's smime_cms_tree, where
 * smime_envelope_parse() reads what opening needs (envelope_parse.c).
 */
#include "internal.h"
#include "oid.h"

#include <gcrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new zeroed recipient at the end of info->recipients. */
static int recipient_add(smime_cms_info *info, const smime_cms_limits *lim,
			 smime_ri_type type, smime_recipient **out)
{
	smime_recipient *v;

	*out = NULL;
	if (info->nrecipients >= lim->max_recipients)
		return SMIME_E_LIMIT;
	v = realloc(info->recipients,
		    (info->nrecipients + 1) * sizeof(*info->recipients));
	if (v == NULL)
		return SMIME_E_NOMEM;
	info->recipients = v;
	*out = &v[info->nrecipients++];
	memset(*out, 0, sizeof(**out));
	(*out)->type = type;
	return 0;
}

static int dup_str(const char *s, char **out)
{
	*out = smime_strndup(s, strlen(s));
	return *out != NULL ? 0 : SMIME_E_NOMEM;
}

/* Reads an OCTET STRING at name as lowercase hex. */
static int read_hex(asn1_node node, const char *name, char **out)
{
	unsigned char *v;
	size_t n;
	int ret = smime_asn1_read(node, name, &v, &n);

	*out = NULL;
	if (ret < 0)
		return ret;
	ret = smime_hex_lower(v, n, out);
	free(v);
	return ret;
}

/* A RecipientIdentifier-like CHOICE at name whose alternatives are
 * issuerAndSerialNumber and, under ski_alt, a key identifier. */
static int read_rid(asn1_node node, const char *name, const char *ski_alt,
		    smime_recipient *r)
{
	smime_asn1_path p;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	int l = sizeof(alt), res;

	res = asn1_read_value(node, name, alt, &l);
	if (res != ASN1_SUCCESS)
		return smime_asn1_err(res);
	if (strcmp(alt, "issuerAndSerialNumber") == 0)
		return smime_asn1_read_iasn(
			node,
			smime_asn1_path_fmt(&p, "%s.issuerAndSerialNumber",
					    name),
			&r->issuer, &r->issuer_der, &r->issuer_der_len,
			&r->serial);
	r->by_ski = true;
	return read_hex(node, smime_asn1_path_fmt(&p, "%s.%s", name, ski_alt),
			&r->ski);
}

/* The encrypted key as a view into der; a BER-chunked key (no known
 * client sends one) is left empty rather than copied. */
static int read_enc_key(asn1_node node, const unsigned char *der, size_t len,
			const char *name, smime_recipient *r)
{
	int ret = smime_asn1_view(node, der, len, name, &r->enc_key,
				  &r->enc_key_len);

	return ret == SMIME_E_UNSUPPORTED ? 0 : ret;
}

/* Decodes an AlgorithmIdentifier's parameters (ANY) as type; absent
 * parameters, or NULL ones (05 00, which some encoders write for "none"),
 * give *out == NULL and 0. */
static int decode_params(asn1_node node, const char *name, const char *type,
			 asn1_node *out)
{
	unsigned char *v = NULL;
	size_t n;
	int ret;

	*out = NULL;
	if (!smime_asn1_present(node, name))
		return 0;
	ret = smime_asn1_read(node, name, &v, &n);
	if (ret == 0 && !(n == 2 && v[0] == 0x05 && v[1] == 0x00))
		ret = smime_asn1_decode(type, v, n, false, out);
	free(v);
	return ret;
}

/* The name of the digest in the AlgorithmIdentifier at name ("" for the
 * node itself), or dflt when it is absent. */
static int digest_at(asn1_node node, const char *name, const char *dflt,
		     char **out)
{
	smime_asn1_path p;
	char *oid = NULL;
	int ret;

	*out = NULL;
	if (name[0] != '\0' && !smime_asn1_present(node, name))
		return dup_str(dflt, out);
	ret = smime_asn1_read_oid(
		node,
		name[0] != '\0' ? smime_asn1_path_fmt(&p, "%s.algorithm", name)
				: "algorithm",
		&oid);
	if (ret == 0)
		ret = smime_oid_name_dup(oid, SMIME_OID_DIGEST, out);
	free(oid);
	return ret;
}

/* The MGF of RSAES-OAEP-params: the hash of MGF1 (sha1 by default), or
 * the name of another mask generation function. */
static int oaep_mgf(asn1_node prm, smime_recipient *r)
{
	asn1_node mgf = NULL;
	char *oid = NULL;
	int ret;

	if (!smime_asn1_present(prm, "maskGenFunc"))
		return dup_str("sha1", &r->oaep_mgf_hash);
	ret = smime_asn1_read_oid(prm, "maskGenFunc.algorithm", &oid);
	if (ret < 0)
		return ret;
	if (strcmp(oid, OID_MGF1) != 0) {
		ret = smime_oid_name_dup(oid, SMIME_OID_ANY, &r->oaep_mgf_hash);
		goto cleanup;
	}
	ret = decode_params(prm, "maskGenFunc.parameters",
			    "SmimeCMS.AlgorithmIdentifier", &mgf);
	if (ret == 0 && mgf == NULL)
		ret = dup_str("sha1", &r->oaep_mgf_hash);
	else if (ret == 0)
		ret = digest_at(mgf, "", "sha1", &r->oaep_mgf_hash);
cleanup:
	smime_asn1_free(&mgf);
	free(oid);
	return ret;
}

/* RSAES-OAEP-params (RFC 4055): hash, MGF1 hash and whether a label is
 * set, with the RFC's defaults (sha1, mgf1 with sha1, empty label). */
static int read_oaep(asn1_node node, const char *alg, smime_recipient *r)
{
	smime_asn1_path p;
	asn1_node prm = NULL, label = NULL;
	int ret;

	r->oaep = true;
	ret = decode_params(node, smime_asn1_path_fmt(&p, "%s.parameters", alg),
			    "SmimeCMS.RSAES-OAEP-params", &prm);
	if (ret < 0)
		goto cleanup;
	if (prm == NULL) { /* absent: all defaults */
		ret = dup_str("sha1", &r->oaep_hash);
		if (ret == 0)
			ret = dup_str("sha1", &r->oaep_mgf_hash);
		goto cleanup;
	}
	ret = digest_at(prm, "hashFunc", "sha1", &r->oaep_hash);
	if (ret == 0)
		ret = oaep_mgf(prm, r);
	if (ret == 0 && smime_asn1_present(prm, "pSourceFunc"))
		ret = decode_params(prm, "pSourceFunc.parameters",
				    "SmimeCMS.OAEPLabel", &label);
	if (ret == 0 && label != NULL) {
		int l = 0;

		/* Asking for the length of a non-empty value says MEM_ERROR. */
		r->oaep_label = asn1_read_value(label, "", NULL, &l) ==
					ASN1_MEM_ERROR &&
				l > 0;
	}
cleanup:
	smime_asn1_free(&prm);
	smime_asn1_free(&label);
	return ret;
}

/* key_alg, key_alg_oid and the OAEP details of a ktri. */
static int read_ktri_alg(asn1_node node, const char *base, smime_recipient *r)
{
	smime_asn1_path p;
	smime_buf b = SMIME_BUF_INIT;
	int ret;

	ret = smime_asn1_read_oid(
		node,
		smime_asn1_path_fmt(&p, "%s.keyEncryptionAlgorithm.algorithm",
				    base),
		&r->key_alg_oid);
	if (ret < 0)
		return ret;
	if (strcmp(r->key_alg_oid, OID_RSAES_OAEP) != 0)
		return smime_oid_name_dup(r->key_alg_oid, SMIME_OID_ANY,
					  &r->key_alg);
	ret = read_oaep(
		node,
		smime_asn1_path_fmt(&p, "%s.keyEncryptionAlgorithm", base), r);
	if (ret < 0)
		return ret;
	ret = smime_buf_printf(&b, "rsaesOaep(%s,mgf1-%s%s)", r->oaep_hash,
			       r->oaep_mgf_hash, r->oaep_label ? ",label" : "");
	if (ret == 0)
		ret = smime_buf_steal(&b, &r->key_alg);
	smime_buf_free(&b);
	return ret;
}

static int read_ktri(asn1_node node, const unsigned char *der, size_t len,
		     const char *base, const smime_cms_limits *lim,
		     smime_cms_info *info)
{
	smime_asn1_path p;
	smime_recipient *r;
	int ret;

	ret = recipient_add(info, lim, SMIME_RI_KTRI, &r);
	if (ret < 0)
		return ret;
	ret = read_rid(node, smime_asn1_path_fmt(&p, "%s.rid", base),
		       "subjectKeyIdentifier", r);
	if (ret < 0)
		return ret;
	ret = read_ktri_alg(node, base, r);
	if (ret < 0)
		return ret;
	return read_enc_key(node, der, len,
			    smime_asn1_path_fmt(&p, "%s.encryptedKey", base),
			    r);
}

/* "<prefix>:<scheme name>" plus "(<wrap name>)" when the parameters are
 * an AlgorithmIdentifier (the key-wrap algorithm of kari, RFC 5753). */
static int read_scheme(asn1_node node, const char *alg, const char *prefix,
		       bool wrap, char **oid_out, char **out)
{
	smime_asn1_path p;
	smime_buf b = SMIME_BUF_INIT;
	asn1_node w = NULL;
	char *wrap_oid = NULL;
	const char *name, *wname;
	int ret;

	ret = smime_asn1_read_oid(
		node, smime_asn1_path_fmt(&p, "%s.algorithm", alg), oid_out);
	if (ret < 0)
		goto cleanup;
	name = smime_oid_name(*oid_out, SMIME_OID_ANY);
	ret = smime_buf_printf(&b, "%s:%s", prefix, name ? name : *oid_out);
	if (ret < 0 || !wrap)
		goto done;
	ret = decode_params(node, smime_asn1_path_fmt(&p, "%s.parameters", alg),
			    "SmimeCMS.AlgorithmIdentifier", &w);
	if (ret < 0 || w == NULL)
		goto done;
	ret = smime_asn1_read_oid(w, "algorithm", &wrap_oid);
	if (ret < 0)
		goto cleanup;
	wname = smime_oid_name(wrap_oid, SMIME_OID_ANY);
	ret = smime_buf_printf(&b, "(%s)", wname ? wname : wrap_oid);
done:
	if (ret == 0)
		ret = smime_buf_steal(&b, out);
cleanup:
	smime_buf_free(&b);
	smime_asn1_free(&w);
	free(wrap_oid);
	return ret;
}

static int read_kari(asn1_node node, const unsigned char *der, size_t len,
		     const char *base, const smime_cms_limits *lim,
		     smime_cms_info *info)
{
	smime_asn1_path p, q;
	smime_recipient *r;
	char *alg = NULL, *alg_oid = NULL;
	int n = 0, res, ret;

	ret = read_scheme(
		node,
		smime_asn1_path_fmt(&p, "%s.keyEncryptionAlgorithm", base),
		"kari", true, &alg_oid, &alg);
	if (ret < 0)
		goto cleanup;
	res = asn1_number_of_elements(
		node,
		smime_asn1_path_fmt(&p, "%s.recipientEncryptedKeys", base), &n);
	if (res != ASN1_SUCCESS || n <= 0) {
		ret = SMIME_E_PARSE; /* SEQUENCE OF with at least one */
		goto cleanup;
	}
	for (int i = 1; i <= n; i++) {
		smime_asn1_path_fmt(&p, "%s.recipientEncryptedKeys.?%d", base,
				    i);
		ret = recipient_add(info, lim, SMIME_RI_KARI, &r);
		if (ret < 0)
			goto cleanup;
		ret = read_rid(node, smime_asn1_path_fmt(&q, "%s.rid", p.s),
			       "rKeyId.subjectKeyIdentifier", r);
		if (ret < 0)
			goto cleanup;
		ret = dup_str(alg, &r->key_alg);
		if (ret == 0)
			ret = dup_str(alg_oid, &r->key_alg_oid);
		if (ret == 0)
			ret = read_enc_key(
				node, der, len,
				smime_asn1_path_fmt(&q, "%s.encryptedKey", p.s),
				r);
		if (ret < 0)
			goto cleanup;
	}
cleanup:
	free(alg);
	free(alg_oid);
	return ret;
}

/* kekri, pwri and ori: one recipient with the algorithm named. */
static int read_other_ri(asn1_node node, const unsigned char *der, size_t len,
			 const char *base, smime_ri_type type,
			 const smime_cms_limits *lim, smime_cms_info *info)
{
	smime_asn1_path p;
	smime_recipient *r;
	int ret;

	ret = recipient_add(info, lim, type, &r);
	if (ret < 0)
		return ret;
	if (type == SMIME_RI_ORI) {
		smime_buf b = SMIME_BUF_INIT;
		const char *name;

		ret = smime_asn1_read_oid(
			node, smime_asn1_path_fmt(&p, "%s.oriType", base),
			&r->key_alg_oid);
		if (ret < 0)
			return ret;
		name = smime_oid_name(r->key_alg_oid, SMIME_OID_ANY);
		ret = smime_buf_printf(&b, "ori:%s",
				       name ? name : r->key_alg_oid);
		if (ret == 0)
			ret = smime_buf_steal(&b, &r->key_alg);
		smime_buf_free(&b);
		return ret;
	}
	if (type == SMIME_RI_KEKRI) {
		ret = read_hex(
			node,
			smime_asn1_path_fmt(&p, "%s.kekid.keyIdentifier", base),
			&r->kek_id);
		if (ret < 0)
			return ret;
	}
	ret = read_scheme(
		node,
		smime_asn1_path_fmt(&p, "%s.keyEncryptionAlgorithm", base),
		type == SMIME_RI_KEKRI ? "kekri" : "pwri", false,
		&r->key_alg_oid, &r->key_alg);
	if (ret < 0)
		return ret;
	return read_enc_key(node, der, len,
			    smime_asn1_path_fmt(&p, "%s.encryptedKey", base),
			    r);
}

static int read_recipients(asn1_node node, const unsigned char *der, size_t len,
			   const smime_cms_limits *lim, smime_cms_info *info)
{
	smime_asn1_path p;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	int n = 0, l, res, ret = 0;

	res = asn1_number_of_elements(node, "recipientInfos", &n);
	if (res != ASN1_SUCCESS || n <= 0)
		return SMIME_E_PARSE; /* SET SIZE (1..MAX) */
	if ((unsigned)n > lim->max_recipients)
		return SMIME_E_LIMIT;
	for (int i = 1; i <= n && ret == 0; i++) {
		const char *base =
			smime_asn1_path_fmt(&p, "recipientInfos.?%d", i);
		char sub[sizeof(p.s) + ASN1_MAX_NAME_SIZE + 2];

		l = sizeof(alt);
		res = asn1_read_value(node, base, alt, &l);
		if (res != ASN1_SUCCESS)
			return smime_asn1_err(res);
		snprintf(sub, sizeof(sub), "%s.%s", base, alt);
		if (strcmp(alt, "ktri") == 0)
			ret = read_ktri(node, der, len, sub, lim, info);
		else if (strcmp(alt, "kari") == 0)
			ret = read_kari(node, der, len, sub, lim, info);
		else if (strcmp(alt, "kekri") == 0)
			ret = read_other_ri(node, der, len, sub, SMIME_RI_KEKRI,
					    lim, info);
		else if (strcmp(alt, "pwri") == 0)
			ret = read_other_ri(node, der, len, sub, SMIME_RI_PWRI,
					    lim, info);
		else if (strcmp(alt, "ori") == 0)
			ret = read_other_ri(node, der, len, sub, SMIME_RI_ORI,
					    lim, info);
		else
			ret = SMIME_E_PARSE;
	}
	return ret;
}

/* A small INTEGER's value; *out is -2 when it does not fit in 31 bits
 * (smime_rc2_effective_bits() then says 0, unknown). */
static int read_small_int(asn1_node node, const char *name, long *out)
{
	unsigned char *v;
	size_t n;
	int ret = smime_asn1_read(node, name, &v, &n);

	if (ret < 0)
		return ret;
	if (n == 0) {
		free(v);
		return SMIME_E_PARSE;
	}
	*out = (v[0] & 0x80) ? -2 : 0;
	if (*out == 0) {
		for (size_t i = 0; i < n; i++) {
			if (*out > 0x7fffff) {
				*out = -2;
				break;
			}
			*out = (*out << 8) | v[i];
		}
	}
	free(v);
	return 0;
}

/* RC2 effective key bits from the RC2CBCParameter (RFC 3370 5.2): the
 * version of the SEQUENCE form, or 32 bits for the bare IV form and a
 * SEQUENCE without version. */
static int rc2_bits(asn1_node node, const char *params, unsigned *bits)
{
	asn1_node prm = NULL;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	int l = sizeof(alt), ret;
	long version = -1;

	ret = decode_params(node, params, "SmimeCMS.RC2CBCParameterChoice",
			    &prm);
	if (ret < 0)
		return ret;
	if (prm == NULL)
		return SMIME_E_PARSE; /* RC2 needs at least its IV */
	ret = smime_asn1_err(asn1_read_value(prm, "", alt, &l));
	if (ret == 0 && strcmp(alt, "params") == 0 &&
	    smime_asn1_present(prm, "params.rc2ParameterVersion"))
		ret = read_small_int(prm, "params.rc2ParameterVersion",
				     &version);
	smime_asn1_free(&prm);
	*bits = smime_rc2_effective_bits(version);
	return ret;
}

/* The parameters of the known non-RC2 ciphers must decode: an IV for
 * CBC; for an AEAD cipher its nonce and a tag length it allows
 * (smime_aead_icv_ok). */
static int check_params(asn1_node node, const char *params,
			const smime_cipher_info *c)
{
	const char *type = smime_cipher_params_type(c);
	asn1_node prm = NULL;
	long icv = c->gcry_mode == GCRY_CIPHER_MODE_POLY1305 ? 16 : 12;
	int ret;

	ret = decode_params(node, params, type, &prm);
	if (ret == 0 && prm == NULL)
		ret = SMIME_E_PARSE;
	if (ret == 0 && c->aead && c->gcry_mode != GCRY_CIPHER_MODE_POLY1305)
		ret = read_small_int(prm, "aes-ICVlen", &icv);
	if (ret == 0 && c->aead && !smime_aead_icv_ok(c, icv))
		ret = SMIME_E_PARSE;
	smime_asn1_free(&prm);
	return ret;
}

static int read_cipher(asn1_node node, const char *eci, bool auth,
		       smime_cms_info *info)
{
	smime_asn1_path p, q;
	const char *params;
	unsigned bits = 0;
	int ret;

	ret = smime_asn1_read_oid(
		node,
		smime_asn1_path_fmt(
			&p, "%s.contentEncryptionAlgorithm.algorithm", eci),
		&info->cipher_oid);
	if (ret < 0)
		return ret;
	params = smime_asn1_path_fmt(
		&q, "%s.contentEncryptionAlgorithm.parameters", eci);
	if (strcmp(info->cipher_oid, OID_RC2_CBC) == 0) {
		/* RC2 whose parameters cannot be read is still RC2, of an
		 * unknown effective size: rc2-cbc, weak (SPEC section 6), never
		 * an unknown and so "strong" cipher. */
		ret = rc2_bits(node, params, &bits);
		if (ret < 0)
			bits = 0;
		info->cipher = smime_cipher_by_oid(info->cipher_oid, bits);
		info->eff_bits = bits;
		if (ret < 0)
			return ret;
		info->key_bits = 0; /* the key length is inside the key */
		return auth ? SMIME_E_UNSUPPORTED : 0;
	}
	info->cipher = smime_cipher_by_oid(info->cipher_oid, 0);
	if (info->cipher == NULL)
		return 0; /* unknown cipher: described by its OID */
	info->eff_bits = info->cipher->eff_bits;
	info->key_bits = (unsigned)info->cipher->key_len * 8;
	ret = check_params(node, params, info->cipher);
	if (ret < 0)
		return ret;
	return info->cipher->aead != auth ? SMIME_E_UNSUPPORTED : 0;
}

int smime_cms_read_enveloped(smime_cms_tree *t, bool auth,
			     const smime_cms_limits *lim, smime_cms_info *info)
{
	int ret, cret;

	info->kind = auth ? SMIME_KIND_AUTH_ENVELOPED : SMIME_KIND_ENVELOPED;
	ret = smime_asn1_decode(auth ? "SmimeCMS.AuthEnvelopedData"
				     : "SmimeCMS.EnvelopedData",
				t->der, t->len, true, &t->node);
	if (ret < 0)
		return ret;
	/* The cipher first: a policy on weak ciphers can still act on a
	 * message whose recipient list turns out malformed or too long. */
	ret = read_cipher(t->node,
			  auth ? "authEncryptedContentInfo"
			       : "encryptedContentInfo",
			  auth, info);
	if (ret < 0 && ret != SMIME_E_UNSUPPORTED)
		return ret;
	cret = ret;
	ret = read_recipients(t->node, t->der, t->len, lim, info);
	return ret == 0 ? cret : ret;
}
