/*
 * kari.c - opening a KeyAgreeRecipientInfo (RFC 5753) with a KeyStore EC
 * key, in SPEC section 8's order.
 *
 * Step 1, public (smime_kari_usable): the originator is an ephemeral
 * public key (originatorKey, id-ecPublicKey); the scheme is
 * dhSinglePass-stdDH with a SHA-1, -224, -256, -384 or -512 KDF
 * (cofactorDH, X25519/X448 and HKDF schemes are key-agreement: no
 * Debian 12 peer writes them); the key wrap is AES (RFC 3394) or the RFC
 * 3217 3DES wrap; the key is on P-256, P-384 or P-521 and, when the
 * originator names a curve, on that one.
 *
 * Step 2 (smime_kari_unwrap): Z = d * originator point (ecdh.c checks the
 * point first), KEK = X9.63-KDF(Z, ECC-CMS-SharedInfo), the content key
 * unwrapped.  Every failure gives the substitute key, as for RSA
 * (rsa_unwrap.c): a point off the curve is known to the sender anyway,
 * so that check may branch; the wrap's integrity check and the length
 * check, which depend on the private key, are folded into a mask.
 */
#include "ct.h"
#include "keys_internal.h"
#include "oid.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define OID_3DES_WRAP OID_SMIME_ALG "6"

static const struct {
	const char *oid;
	int md;
} schemes[] = {
	{"1.3.133.16.840.63.0.2", GCRY_MD_SHA1},
	{OID_SECG_SCHEME "11.0", GCRY_MD_SHA224},
	{OID_SECG_SCHEME "11.1", GCRY_MD_SHA256},
	{OID_SECG_SCHEME "11.2", GCRY_MD_SHA384},
	{OID_SECG_SCHEME "11.3", GCRY_MD_SHA512},
};

static const struct {
	const char *oid;
	size_t kek;
} wraps[] = {
	{OID_NIST_AES "5", 16},
	{OID_NIST_AES "25", 24},
	{OID_NIST_AES "45", 32},
	{OID_3DES_WRAP, 24},
};

/* The KDF hash of a scheme, 0 for one this build does not use. */
static int scheme_md(const char *oid)
{
	for (size_t i = 0; oid != NULL && i < sizeof schemes / sizeof *schemes;
	     i++)
		if (strcmp(schemes[i].oid, oid) == 0)
			return schemes[i].md;
	return 0;
}

/* The KEK length of a key wrap, 0 for one this build does not use. */
static size_t wrap_kek(const char *oid)
{
	for (size_t i = 0; oid != NULL && i < sizeof wraps / sizeof *wraps; i++)
		if (strcmp(wraps[i].oid, oid) == 0)
			return wraps[i].kek;
	return 0;
}

void smime_kari_free(smime_kari *k)
{
	free(k->orig_point);
	free(k->orig_params);
	free(k->ukm);
	free(k->wrap_oid);
	free(k->wrap_params);
	memset(k, 0, sizeof *k);
}

/* A failure to read an optional piece makes the kari unusable, not the
 * envelope unreadable: only resource errors are passed on. */
static int soft(int ret)
{
	return smime_err_is_resource(ret) ? ret : 0;
}

static int read_originator(asn1_node node, const char *path, smime_kari *k)
{
	smime_asn1_path p;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	char *oid = NULL;
	int l = sizeof alt, ret;

	if (asn1_read_value(node,
			    smime_asn1_path_fmt(&p, "%s.originator", path), alt,
			    &l) != ASN1_SUCCESS ||
	    strcmp(alt, "originatorKey") != 0)
		return 0;
	ret = smime_asn1_read_oid(
		node,
		smime_asn1_path_fmt(
			&p, "%s.originator.originatorKey.algorithm.algorithm",
			path),
		&oid);
	if (ret < 0 || strcmp(oid, OID_EC_PUBLIC_KEY) != 0) {
		free(oid);
		return soft(ret);
	}
	free(oid);
	ret = smime_asn1_read_bits(
		node,
		smime_asn1_path_fmt(&p, "%s.originator.originatorKey.publicKey",
				    path),
		&k->orig_point, &k->orig_point_len);
	if (ret < 0)
		return soft(ret);
	smime_asn1_path_fmt(
		&p, "%s.originator.originatorKey.algorithm.parameters", path);
	if (smime_asn1_present(node, p.s)) {
		ret = smime_asn1_read(node, p.s, &k->orig_params,
				      &k->orig_params_len);
		if (ret < 0)
			return soft(ret);
	}
	k->orig_key = true;
	return 0;
}

int smime_kari_read(asn1_node node, const char *path, smime_kari *k)
{
	smime_asn1_path p;
	asn1_node w = NULL;
	unsigned char *algid = NULL;
	size_t n = 0;
	int ret;

	memset(k, 0, sizeof *k);
	ret = read_originator(node, path, k);
	if (ret == 0 &&
	    smime_asn1_present(node, smime_asn1_path_fmt(&p, "%s.ukm", path)))
		ret = soft(smime_asn1_read(node, p.s, &k->ukm, &k->ukm_len));
	if (ret == 0)
		ret = smime_asn1_read(
			node,
			smime_asn1_path_fmt(
				&p, "%s.keyEncryptionAlgorithm.parameters",
				path),
			&algid, &n);
	if (ret == 0)
		ret = smime_asn1_decode("SmimeCMS.AlgorithmIdentifier", algid,
					n, false, &w);
	if (ret == 0)
		ret = smime_asn1_read_oid(w, "algorithm", &k->wrap_oid);
	if (ret == 0 && smime_asn1_present(w, "parameters"))
		ret = smime_asn1_read(w, "parameters", &k->wrap_params,
				      &k->wrap_params_len);
	smime_asn1_free(&w);
	free(algid);
	return soft(ret);
}

/* The originator names no curve (absent or NULL), or c's. */
static bool same_curve(const smime_kari *k, const smime_ec_curve *c)
{
	asn1_node n = NULL;
	char *oid = NULL;
	bool same;

	if (k->orig_params == NULL ||
	    (k->orig_params_len == 2 && k->orig_params[0] == 0x05 &&
	     k->orig_params[1] == 0x00))
		return true;
	same = smime_asn1_decode("SmimeCMS.ECNamedCurve", k->orig_params,
				 k->orig_params_len, false, &n) == 0 &&
	       smime_asn1_read_oid(n, "", &oid) == 0 &&
	       strcmp(oid, c->oid) == 0;
	free(oid);
	smime_asn1_free(&n);
	return same;
}

/* The key's curve: a token key's from its certificate (the key cannot
 * be exported to ask it). */
static const smime_ec_curve *key_curve(const smime_key *key)
{
	if (smime_key_p11_ecdh(key) != NULL)
		return smime_cert_ec_curve(smime_key_cert(key), NULL, NULL);
	return smime_key_ec_curve(smime_key_privkey(key));
}

int smime_kari_usable(const smime_envelope *env, size_t ri,
		      const smime_key *key)
{
	const smime_recipient *r = &env->info.recipients[ri];
	const smime_kari *k = env->ri != NULL ? env->ri[ri].kari : NULL;
	const smime_ec_curve *c;

	if (r->type != SMIME_RI_KARI || k == NULL || !k->orig_key ||
	    scheme_md(r->key_alg_oid) == 0 || wrap_kek(k->wrap_oid) == 0)
		return SMIME_E_KEY_AGREEMENT;
	c = key_curve(key);
	if (c == NULL || !same_curve(k, c))
		return SMIME_E_KEY_AGREEMENT;
	return 0;
}

int smime_kari_shared_info(const char *wrap_oid, const unsigned char *params,
			   size_t params_len, const unsigned char *ukm,
			   size_t ukm_len, size_t kek_len, smime_buf *out)
{
	unsigned char bits[4] = {0, 0, (unsigned char)((kek_len * 8) >> 8),
				 (unsigned char)(kek_len * 8)};
	asn1_node n = NULL;
	int ret = asn1_create_element(smime_cms_definitions(),
				      "SmimeCMS.ECC-CMS-SharedInfo",
				      &n) == ASN1_SUCCESS
			  ? 0
			  : SMIME_E_NOMEM;

	if (ret == 0)
		ret = smime_asn1_write(n, "keyInfo.algorithm", wrap_oid, 1);
	if (ret == 0)
		ret = smime_asn1_write(n, "keyInfo.parameters", params,
				       (int)params_len);
	if (ret == 0)
		ret = smime_asn1_write(n, "entityUInfo", ukm, (int)ukm_len);
	if (ret == 0)
		ret = smime_asn1_write(n, "suppPubInfo", bits, 4);
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&n);
	return ret;
}

/* The content key the RecipientEncryptedKey holds under kek, with its
 * length, into cek (SMIME_CK_MAX bytes); the mask says whether the
 * wrap's integrity check passed. */
static uint32_t unwrap_cek(const char *wrap_oid, const unsigned char *kek,
			   size_t kek_len, const unsigned char *enc,
			   size_t enc_len, unsigned char *cek, size_t *cek_len)
{
	int r;

	*cek_len = 0;
	if (strcmp(wrap_oid, OID_3DES_WRAP) == 0) {
		if (enc_len != 40)
			return 0;
		r = smime_3des_key_unwrap(kek, enc, cek);
		*cek_len = 24;
	} else {
		if (enc_len < 24 || enc_len % 8 != 0 ||
		    enc_len - 8 > SMIME_CK_MAX)
			return 0;
		r = smime_aes_key_unwrap(kek, kek_len, enc, enc_len, cek);
		*cek_len = enc_len - 8;
	}
	return ct_zero_mask((uint32_t)r);
}

/* All ones when len is one of lens. */
static uint32_t length_ok(size_t len, const size_t *lens, size_t nlens)
{
	uint32_t m = 0;

	for (size_t i = 0; i < nlens; i++)
		m |= ct_eq_mask((uint32_t)len, (uint32_t)lens[i]);
	return m;
}

/* Z of the key and the originator's point: libgcrypt's ECDH for a key
 * file, the token's for a token key (the point checked here first, as
 * libgcrypt checks it for the other).  SMIME_E_CRYPTO for a point off
 * the curve (public) or a token error. */
static int shared_z(const smime_key *key, const smime_kari *k, unsigned char *z,
		    size_t *zlen)
{
	const smime_p11_ecdh *t = smime_key_p11_ecdh(key);
	const smime_ec_curve *c;

	if (t == NULL)
		return smime_ecdh_shared(smime_key_privkey(key), k->orig_point,
					 k->orig_point_len, z, zlen);
	c = key_curve(key);
	if (!smime_ec_point_valid(c, k->orig_point, k->orig_point_len))
		return SMIME_E_CRYPTO;
	*zlen = c->field;
	return smime_p11_ecdh_derive(t, k->orig_point, k->orig_point_len, z,
				     c->field);
}

#define BUF_Z 0
#define BUF_KEK 66
#define BUF_CEK 98
#define BUF_LEN (BUF_CEK + SMIME_CK_MAX)

/* Step 2's agreement: Z, the KEK, the content key into out; good is the
 * mask of its success. */
static int agree(const smime_envelope *env, size_t ri, const smime_key *key,
		 const size_t *lens, size_t nlens, unsigned char *buf,
		 smime_content_key *out, uint32_t *good)
{
	const smime_recipient *r = &env->info.recipients[ri];
	const smime_kari *k = env->ri[ri].kari;
	size_t kek_len = wrap_kek(k->wrap_oid), zlen = 0, cek_len = 0;
	unsigned char *z = buf + BUF_Z, *kek = buf + BUF_KEK,
		      *cek = buf + BUF_CEK;
	smime_buf si = SMIME_BUF_INIT;
	uint32_t hit;
	int ret;

	*good = 0;
	ret = shared_z(key, k, z, &zlen);
	if (ret == SMIME_E_CRYPTO)
		return 0; /* the substitute stands */
	if (ret == 0)
		ret = smime_kari_shared_info(k->wrap_oid, k->wrap_params,
					     k->wrap_params_len, k->ukm,
					     k->ukm_len, kek_len, &si);
	if (ret == 0)
		ret = smime_x963_kdf(scheme_md(r->key_alg_oid), z, zlen,
				     si.data, si.len, kek, kek_len);
	if (ret == 0) {
		hit = unwrap_cek(k->wrap_oid, kek, kek_len, r->enc_key,
				 r->enc_key_len, cek, &cek_len);
		hit &= length_ok(cek_len, lens, nlens);
		ct_copy_masked(out->key, cek, SMIME_CK_MAX, hit);
		out->len = ct_select(hit, (uint32_t)cek_len, 0);
		*good = hit;
	}
	smime_buf_free(&si);
	return ret;
}

int smime_kari_unwrap(const smime_envelope *env, size_t ri,
		      const smime_key *key, const size_t *lens, size_t nlens,
		      smime_content_key *out)
{
	const smime_recipient *r = &env->info.recipients[ri];
	unsigned char *sub = gcry_malloc_secure(SMIME_CK_MAX);
	unsigned char *buf = gcry_malloc_secure(BUF_LEN);
	uint32_t good = 0;
	int ret;

	if (sub == NULL || buf == NULL) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	memset(buf, 0, BUF_LEN);
	memset(out->key, 0, SMIME_CK_MAX);
	out->len = 0;
	ret = smime_unwrap_substitute(smime_key_secret(key), r->enc_key,
				      r->enc_key_len, sub);
	if (ret == 0)
		ret = agree(env, ri, key, lens, nlens, buf, out, &good);
	if (ret == 0)
		smime_unwrap_settle(out, sub, lens[0], good);
cleanup:
	if (sub != NULL)
		smime_wipe(sub, SMIME_CK_MAX);
	if (buf != NULL)
		smime_wipe(buf, BUF_LEN);
	gcry_free(sub);
	gcry_free(buf);
	return ret;
}
