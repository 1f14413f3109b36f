/*
 * verify_signature.c - whether a SignerInfo's signature matches, once
 * verify_sig.c has read the SignerInfo and verify.c found the signer's
 * key (SPEC section 7).
 *
 * With signed attributes: messageDigest against the content's digest,
 * then the signature over the attributes' DER; without: the signature
 * over the content's digest (gnutls_pubkey_verify_hash2).  The content's
 * digests come from verify_content.c, which hashes each line-end form
 * once per digest algorithm for the whole layer: a hundred signers over
 * one 10 MB layer cost one hash per form, not two hundred (issue 12,
 * F4).  Only pure EdDSA without signed attributes hashes inside its own
 * verification, as the scheme requires; MaxSignatures bounds that.
 *
 * PKCS#1 v1.5, ECDSA and EdDSA follow what gnutls_pkcs7_verify_direct()
 * did before (its choice of algorithm, its reading of the attributes,
 * its errors), so that every verdict stays what it was.  RSASSA-PSS is
 * verified with the salt of its parameters, which GnuTLS's PKCS#7 code
 * ignores (NOTES.md).
 *
 * Promises: 0 match, SMIME_E_CRYPTO mismatch, SMIME_E_UNSUPPORTED for an
 * algorithm or parameters we cannot compute, SMIME_E_PARSE for what
 * GnuTLS called malformed; only SMIME_E_NOMEM is a resource error.
 */
#include "verify_internal.h"
#include "oid.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* RSASSA-PSS                                                           */
/* ------------------------------------------------------------------ */

typedef struct pss_params {
	gnutls_digest_algorithm_t hash, mgf_hash;
	unsigned long salt;
} pss_params;

static int pss_hash(asn1_node n, const char *name,
		    gnutls_digest_algorithm_t *out)
{
	char *oid = NULL;
	int ret;

	if (!smime_asn1_present(n, name)) {
		*out = GNUTLS_DIG_SHA1; /* RFC 4055 default */
		return 0;
	}
	ret = smime_asn1_read_oid(n, name, &oid);
	if (ret == 0)
		*out = gnutls_oid_to_digest(oid);
	free(oid);
	return ret;
}

static int read_pss_params(const smime_signer_view *v, pss_params *pp)
{
	asn1_node n = NULL, mgf = NULL;
	unsigned char *mp = NULL, *salt = NULL;
	size_t mplen, slen;
	char *mgf_oid = NULL;
	int ret;

	pp->salt = 20;
	pp->mgf_hash = GNUTLS_DIG_SHA1;
	if (v->sig_params == NULL)
		return SMIME_E_PARSE; /* the parameters are required */
	ret = smime_asn1_decode("SmimeCMS.RSASSA-PSS-params", v->sig_params,
				v->sig_params_len, false, &n);
	if (ret == 0)
		ret = pss_hash(n, "hashAlgorithm.algorithm", &pp->hash);
	if (ret == 0 && smime_asn1_present(n, "maskGenAlgorithm")) {
		ret = smime_asn1_read_oid(n, "maskGenAlgorithm.algorithm",
					  &mgf_oid);
		if (ret == 0 && strcmp(mgf_oid, OID_MGF1) != 0)
			ret = SMIME_E_UNSUPPORTED;
		if (ret == 0)
			ret = smime_asn1_read(n, "maskGenAlgorithm.parameters",
					      &mp, &mplen);
		if (ret == 0)
			ret = smime_asn1_decode("SmimeCMS.AlgorithmIdentifier",
						mp, mplen, false, &mgf);
		if (ret == 0)
			ret = pss_hash(mgf, "algorithm", &pp->mgf_hash);
	}
	if (ret == 0 && smime_asn1_present(n, "saltLength")) {
		ret = smime_asn1_read(n, "saltLength", &salt, &slen);
		if (ret == 0 && (slen == 0 || slen > 2 || (salt[0] & 0x80)))
			ret = SMIME_E_UNSUPPORTED; /* negative or absurd */
		if (ret == 0)
			pp->salt = slen == 1 ? salt[0]
					     : ((unsigned long)salt[0] << 8) |
						       salt[1];
	}
	if (ret == 0 && smime_asn1_present(n, "trailerField")) {
		unsigned char *tf = NULL;
		size_t tflen;

		ret = smime_asn1_read(n, "trailerField", &tf, &tflen);
		if (ret == 0 && (tflen != 1 || tf[0] != 1))
			ret = SMIME_E_UNSUPPORTED; /* RFC 4055: always 1 */
		free(tf);
	}
	free(mgf_oid);
	free(mp);
	free(salt);
	smime_asn1_free(&n);
	smime_asn1_free(&mgf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The signature, from digests computed once per layer                 */
/* ------------------------------------------------------------------ */

/* The GnuTLS error of a verification as one of ours. */
static int map_gnutls(int r)
{
	if (r >= 0)
		return 0;
	switch (r) {
	case GNUTLS_E_PK_SIG_VERIFY_FAILED:
		return SMIME_E_CRYPTO;
	case GNUTLS_E_MEMORY_ERROR:
		return SMIME_E_NOMEM;
	case GNUTLS_E_UNKNOWN_ALGORITHM:
	case GNUTLS_E_UNKNOWN_HASH_ALGORITHM:
	case GNUTLS_E_UNKNOWN_PK_ALGORITHM:
	case GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
	case GNUTLS_E_UNIMPLEMENTED_FEATURE:
	case GNUTLS_E_ECC_UNSUPPORTED_CURVE:
		return SMIME_E_UNSUPPORTED;
	default:
		return SMIME_E_PARSE;
	}
}

/* messageDigest against the content's digest with alg (RFC 5652 5.4). */
static int check_digest(const smime_signer_view *v, smime_content *c, int k,
			gnutls_digest_algorithm_t alg)
{
	const unsigned char *md;
	unsigned mdlen;
	int ret = smime_content_digest(c, k, alg, &md, &mdlen);

	if (ret < 0)
		return ret;
	if (v->message_digest_len != mdlen ||
	    memcmp(md, v->message_digest, mdlen) != 0)
		return SMIME_E_CRYPTO;
	return 0;
}

/* Whether any messageDigest value equals the content's digest with alg
 * (what GnuTLS accepted): 0, SMIME_E_CRYPTO, SMIME_E_PARSE (a digest
 * GnuTLS could not compute was malformed for it), SMIME_E_NOMEM. */
static int gnutls_digest_matches(const smime_signer_view *v, smime_content *c,
				 int k, gnutls_digest_algorithm_t alg)
{
	const smime_buf *d = &v->gnutls_digests;
	const unsigned char *md;
	unsigned mdlen;
	int ret = smime_content_digest(c, k, alg, &md, &mdlen);

	if (ret < 0)
		return ret == SMIME_E_NOMEM ? ret : SMIME_E_PARSE;
	for (size_t i = 0; i < d->len; i += 1 + (size_t)d->data[i])
		if (d->data[i] == mdlen && i + 1 + mdlen <= d->len &&
		    memcmp(d->data + i + 1, md, mdlen) == 0)
			return 0;
	return SMIME_E_CRYPTO;
}

static gnutls_datum_t datum(const unsigned char *p, size_t n)
{
	gnutls_datum_t d = {(unsigned char *)p, (unsigned)n};

	return d;
}

/* Verifies sig over the content itself (no signed attributes): from the
 * content's digest, except for a scheme that hashes inside (EdDSA). */
static int verify_content(gnutls_pubkey_t pub, gnutls_sign_algorithm_t sa,
			  gnutls_digest_algorithm_t hash, smime_content *c,
			  int k, const gnutls_datum_t *sig, unsigned vflags)
{
	const unsigned char *p;
	size_t n;
	unsigned mdlen;
	int ret;

	if (gnutls_sign_get_pk_algorithm(sa) == GNUTLS_PK_EDDSA_ED25519 ||
	    gnutls_sign_get_pk_algorithm(sa) == GNUTLS_PK_EDDSA_ED448) {
		ret = smime_content_form(c, k, &p, &n);
		if (ret == 0 && n > UINT_MAX)
			ret = SMIME_E_LIMIT;
		if (ret == 0) {
			gnutls_datum_t d = datum(p, n);
			ret = map_gnutls(gnutls_pubkey_verify_data2(
				pub, sa, vflags, &d, sig));
		}
		return ret;
	}
	ret = smime_content_digest(c, k, hash, &p, &mdlen);
	if (ret == 0) {
		gnutls_datum_t d = datum(p, mdlen);
		ret = map_gnutls(
			gnutls_pubkey_verify_hash2(pub, sa, vflags, &d, sig));
	}
	return ret;
}

/*
 * The signature algorithm as gnutls_pkcs7_verify_direct() took it, so
 * that verdicts stay what they were: signatureAlgorithm when it names a
 * signature algorithm, else its public-key algorithm with the hash of
 * digestAlgorithm.  messageDigest is then checked with that algorithm's
 * hash, as GnuTLS did.
 */
static int sign_algorithm(const smime_signer_view *v,
			  gnutls_sign_algorithm_t *sa)
{
	gnutls_pk_algorithm_t pk;
	gnutls_digest_algorithm_t d;

	*sa = gnutls_oid_to_sign(v->sig_oid);
	if (*sa != GNUTLS_SIGN_UNKNOWN)
		return 0;
	pk = gnutls_oid_to_pk(v->sig_oid);
	d = gnutls_oid_to_digest(v->digest_oid);
	if (pk == GNUTLS_PK_UNKNOWN || d == GNUTLS_DIG_UNKNOWN)
		return SMIME_E_UNSUPPORTED;
	*sa = gnutls_pk_to_sign(pk, d);
	return *sa == GNUTLS_SIGN_UNKNOWN ? SMIME_E_UNSUPPORTED : 0;
}

/* PKCS#1 v1.5, ECDSA, EdDSA: what gnutls_pkcs7_verify_direct() did,
 * without hashing the content once per signer. */
static int verify_plain(const smime_signer_view *v, gnutls_pubkey_t pub,
			smime_content *c, int k, unsigned vflags)
{
	gnutls_sign_algorithm_t sa;
	gnutls_digest_algorithm_t hash;
	gnutls_datum_t sig = datum(v->signature, v->signature_len), attrs;
	const unsigned char *p;
	size_t n;
	int ret;

	ret = sign_algorithm(v, &sa);
	if (ret < 0)
		return ret;
	hash = gnutls_sign_get_hash_algorithm(sa);
	if (!v->has_attrs)
		return verify_content(pub, sa, hash, c, k, &sig, vflags);
	/* Signed attributes over no content at all, or with a hash
	 * GnuTLS cannot name, were malformed for GnuTLS too. */
	ret = smime_content_form(c, k, &p, &n);
	if (ret < 0)
		return ret;
	if (n == 0 || hash == GNUTLS_DIG_UNKNOWN)
		return SMIME_E_PARSE;
	if (v->attrs_refused)
		return SMIME_E_PARSE;
	ret = gnutls_digest_matches(v, c, k, hash);
	if (ret < 0)
		return ret;
	attrs = datum(v->attrs_der, v->attrs_len);
	return map_gnutls(
		gnutls_pubkey_verify_data2(pub, sa, vflags, &attrs, &sig));
}

static int verify_pss(const smime_signer_view *v, gnutls_pubkey_t pub,
		      smime_content *c, int k, unsigned vflags)
{
	gnutls_x509_spki_t spki = NULL;
	gnutls_sign_algorithm_t sa;
	gnutls_datum_t sig = datum(v->signature, v->signature_len), attrs;
	pss_params pp;
	int ret;

	ret = read_pss_params(v, &pp);
	if (ret < 0)
		return ret == SMIME_E_NOMEM ? ret : SMIME_E_UNSUPPORTED;
	/* GnuTLS's PSS always uses MGF1 with the message hash. */
	if (pp.hash == GNUTLS_DIG_UNKNOWN || pp.hash != pp.mgf_hash)
		return SMIME_E_UNSUPPORTED;
	if (v->has_attrs) {
		ret = check_digest(v, c, k,
				   gnutls_oid_to_digest(v->digest_oid));
		if (ret < 0)
			return ret;
	}
	if (gnutls_x509_spki_init(&spki) < 0)
		return SMIME_E_NOMEM;
	/* The salt of the parameters, through an RSA-PSS key view of the
	 * certificate's RSA key. */
	gnutls_x509_spki_set_rsa_pss_params(spki, pp.hash, (unsigned)pp.salt);
	ret = SMIME_E_UNSUPPORTED;
	sa = gnutls_pk_to_sign(GNUTLS_PK_RSA_PSS, pp.hash);
	if (gnutls_pubkey_set_spki(pub, spki, 0) < 0)
		goto cleanup;
	if (v->has_attrs) {
		attrs = datum(v->attrs_der, v->attrs_len);
		ret = gnutls_pubkey_verify_data2(pub, sa, vflags, &attrs, &sig);
		ret = ret == GNUTLS_E_PK_SIG_VERIFY_FAILED ? SMIME_E_CRYPTO
		      : ret == GNUTLS_E_MEMORY_ERROR       ? SMIME_E_NOMEM
		      : ret >= 0                           ? 0
				 : SMIME_E_UNSUPPORTED;
	} else {
		ret = verify_content(pub, sa, pp.hash, c, k, &sig, vflags);
		if (ret == SMIME_E_PARSE)
			ret = SMIME_E_UNSUPPORTED;
	}
cleanup:
	gnutls_x509_spki_deinit(spki);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The hash the signature is computed with                              */
/* ------------------------------------------------------------------ */

int smime_signature_hash(const smime_signer_view *v,
			 gnutls_digest_algorithm_t *hash)
{
	gnutls_digest_algorithm_t d = gnutls_oid_to_digest(v->digest_oid), s;
	gnutls_sign_algorithm_t sa;
	pss_params pp;
	int ret;

	*hash = GNUTLS_DIG_UNKNOWN;
	if (strcmp(v->sig_oid, OID_RSASSA_PSS) == 0) {
		ret = read_pss_params(v, &pp);
		if (ret < 0)
			return ret == SMIME_E_NOMEM ? ret : SMIME_E_UNSUPPORTED;
		s = pp.hash;
	} else if ((sa = gnutls_oid_to_sign(v->sig_oid)) !=
		   GNUTLS_SIGN_UNKNOWN) {
		s = gnutls_sign_get_hash_algorithm(sa);
	} else if (gnutls_oid_to_pk(v->sig_oid) != GNUTLS_PK_UNKNOWN) {
		s = d; /* rsaEncryption and the like: digestAlgorithm's */
	} else {
		return SMIME_E_UNSUPPORTED;
	}
	if (d == GNUTLS_DIG_UNKNOWN || s == GNUTLS_DIG_UNKNOWN)
		return SMIME_E_UNSUPPORTED;
	if (d != s)
		return SMIME_E_PARSE;
	*hash = d;
	/* GnuTLS names MD2 but cannot check a signature made with it: it
	 * calls a valid one failed.  SPEC 7: unsupported, never forged. */
	if (d == GNUTLS_DIG_MD2 || gnutls_hash_get_len(d) == 0)
		return SMIME_E_UNSUPPORTED;
	return 0;
}

int smime_verify_signature(const smime_signer_view *v, gnutls_pubkey_t pub,
			   smime_content *c, int k, unsigned vflags)
{
	if (v->signature_len > UINT_MAX || v->attrs_len > UINT_MAX)
		return SMIME_E_PARSE;
	if (strcmp(v->sig_oid, OID_RSASSA_PSS) == 0)
		return verify_pss(v, pub, c, k, vflags);
	return verify_plain(v, pub, c, k, vflags);
}
