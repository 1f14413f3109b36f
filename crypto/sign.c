/*
 * sign.c - detached CMS SignedData (RFC 5652 section 5) made with a
 * KeyStore key: the signature the gateway puts on outbound mail.
 *
 * Built with libtasn1 from cms.asn rather than gnutls_pkcs7_sign, because
 * GnuTLS 3.7.9 cannot sign RSASSA-PSS in PKCS#7 and gives no say over the
 * signature AlgorithmIdentifier.  The DER of the signed attributes (the
 * [0] tag read as SET OF, RFC 5652 5.4) is signed with
 * gnutls_privkey_sign_data2, so the key never leaves GnuTLS.
 *
 * Promises: the output is DER (libtasn1 sorts the SET OFs), versions are
 * written as decimal INTEGERs (NOTES.md: the libtasn1 INTEGER trap);
 * PSS uses MGF1 with the message digest and a salt of the digest's
 * length, which GnuTLS, OpenSSL and NSS all verify; Ed25519 is pure
 * Ed25519 over the attributes with sha512 as the digest (RFC 8419);
 * SMIMECapabilities never lists RC2 or DES.
 */
#include "keys_internal.h"
#include "oid.h"

#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char der_null[] = {0x05, 0x00};

const smime_cipher_id smime_sign_capabilities[] = {
	SMIME_CIPHER_AES_256_GCM,  SMIME_CIPHER_AES_128_GCM,
	SMIME_CIPHER_AES_256_CBC,  SMIME_CIPHER_AES_128_CBC,
	SMIME_CIPHER_DES_EDE3_CBC,
};
const size_t smime_sign_ncapabilities =
	sizeof(smime_sign_capabilities) / sizeof(smime_sign_capabilities[0]);

/* The digests SignDigest may name. */
static const struct digest_row {
	const char *name, *micalg, *oid;
	gnutls_digest_algorithm_t dig;
	const char *ecdsa_oid;
} digests[] = {
	{"sha256", "sha-256", OID_NIST_HASH "1", GNUTLS_DIG_SHA256,
	 "1.2.840.10045.4.3.2"},
	{"sha384", "sha-384", OID_NIST_HASH "2", GNUTLS_DIG_SHA384,
	 "1.2.840.10045.4.3.3"},
	{"sha512", "sha-512", OID_NIST_HASH "3", GNUTLS_DIG_SHA512,
	 "1.2.840.10045.4.3.4"},
};

/* What one signature needs: the digest and the signature scheme. */
typedef struct plan {
	const struct digest_row *d;
	gnutls_pk_algorithm_t pk;
	gnutls_sign_algorithm_t sign;
	bool pss;
} plan;

static int make_plan(const smime_key *key, const smime_sign_opts *opts, plan *p)
{
	const char *want =
		opts != NULL && opts->digest != NULL ? opts->digest : "sha256";
	size_t i;

	memset(p, 0, sizeof(*p));
	if (key == NULL)
		return SMIME_E_ARG;
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (smime_ascii_casecmp(want, digests[i].name) == 0)
			p->d = &digests[i];
	if (p->d == NULL)
		return SMIME_E_ARG;
	p->pk = gnutls_privkey_get_pk_algorithm(smime_key_privkey(key), NULL);
	switch (p->pk) {
	case GNUTLS_PK_RSA:
		/* a token key does RSA PKCS#1 v1.5 only (SPEC 9) */
		p->pss = opts != NULL && opts->rsa_padding == SMIME_SIGN_PSS &&
			 gnutls_privkey_get_type(smime_key_privkey(key)) !=
				 GNUTLS_PRIVKEY_PKCS11;
		break;
	case GNUTLS_PK_RSA_PSS:
		p->pss = true;
		break;
	case GNUTLS_PK_ECDSA:
		p->sign = gnutls_pk_to_sign(GNUTLS_PK_ECDSA, p->d->dig);
		break;
	case GNUTLS_PK_EDDSA_ED25519:
		p->d = &digests[2]; /* RFC 8419: always sha512 */
		p->sign = GNUTLS_SIGN_EDDSA_ED25519;
		break;
	default:
		return SMIME_E_UNSUPPORTED;
	}
	if (p->pk == GNUTLS_PK_RSA || p->pk == GNUTLS_PK_RSA_PSS) {
		static const gnutls_sign_algorithm_t pkcs1[] = {
			GNUTLS_SIGN_RSA_SHA256, GNUTLS_SIGN_RSA_SHA384,
			GNUTLS_SIGN_RSA_SHA512};
		static const gnutls_sign_algorithm_t rsae[] = {
			GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
			GNUTLS_SIGN_RSA_PSS_RSAE_SHA384,
			GNUTLS_SIGN_RSA_PSS_RSAE_SHA512};
		static const gnutls_sign_algorithm_t pss[] = {
			GNUTLS_SIGN_RSA_PSS_SHA256, GNUTLS_SIGN_RSA_PSS_SHA384,
			GNUTLS_SIGN_RSA_PSS_SHA512};
		size_t k = (size_t)(p->d - digests);

		p->sign = !p->pss                      ? pkcs1[k]
			  : p->pk == GNUTLS_PK_RSA_PSS ? pss[k]
						       : rsae[k];
	}
	return p->sign == GNUTLS_SIGN_UNKNOWN ? SMIME_E_UNSUPPORTED : SMIME_OK;
}

int smime_sign_algorithms(const smime_key *key, const smime_sign_opts *opts,
			  const char **digest, const char **micalg)
{
	plan p;
	int ret = make_plan(key, opts, &p);

	if (ret < 0)
		return ret;
	if (digest != NULL)
		*digest = p.d->name;
	if (micalg != NULL)
		*micalg = p.d->micalg;
	return SMIME_OK;
}

/* ------------------------------------------------------------------ */
/* libtasn1 helpers                                                     */
/* ------------------------------------------------------------------ */

static int create(const char *type, asn1_node *node)
{
	int r = asn1_create_element(smime_cms_definitions(), type, node);

	return r == ASN1_SUCCESS ? 0 : SMIME_E_NOMEM;
}

/* The DER of a one-value type of cms.asn (an OID, an OCTET STRING). */
static int simple_der(const char *type, const void *value, int len,
		      smime_buf *out)
{
	asn1_node n = NULL;
	int ret = create(type, &n);

	if (ret == 0)
		ret = smime_asn1_write(n, "", value, len);
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&n);
	return ret;
}

/* An AlgorithmIdentifier at name: params is raw DER, or NULL (absent). */
static int write_algid(asn1_node node, const char *name, const char *oid,
		       const void *params, size_t plen)
{
	smime_asn1_path p;
	int ret;

	const char *dot = *name != '\0' ? "." : "";

	ret = smime_asn1_write(
		node, smime_asn1_path_fmt(&p, "%s%salgorithm", name, dot), oid,
		1);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(&p, "%s%sparameters", name, dot),
			params, (int)plen);
	return ret;
}

/* The certificate's serial, content octets exactly as it carries them. */
static int write_serial(asn1_node node, const char *name, gnutls_x509_crt_t crt)
{
	unsigned char buf[64];
	size_t size = sizeof(buf);

	/* RFC 5280 caps serials at 20 octets; 64 leaves room for sloppy
	 * CAs, and a longer one is refused rather than cut. */
	if (gnutls_x509_crt_get_serial(crt, buf, &size) < 0 || size == 0)
		return SMIME_E_UNSUPPORTED;
	return smime_asn1_write(node, name, buf, (int)size);
}

/* ------------------------------------------------------------------ */
/* Attribute values                                                     */
/* ------------------------------------------------------------------ */

/* signingTime: UTCTime for 1950..2049, GeneralizedTime after (RFC 5652
 * section 11.3). */
static int signing_time_der(time_t t, smime_buf *out)
{
	asn1_node n = NULL;
	struct tm tm;
	char s[32];
	int ret;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 50 || tm.tm_year > 8099)
		return SMIME_E_ARG;
	ret = create("SmimeCMS.SigningTime", &n);
	/* GeneralizedTime form, cut to two year digits for UTCTime */
	strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm);
	if (ret == 0 && tm.tm_year < 150) {
		ret = smime_asn1_write(n, "", "utcTime", 1);
		if (ret == 0)
			ret = smime_asn1_write(n, "utcTime", s + 2,
					       (int)strlen(s + 2));
	} else if (ret == 0) {
		ret = smime_asn1_write(n, "", "generalTime", 1);
		if (ret == 0)
			ret = smime_asn1_write(n, "generalTime", s,
					       (int)strlen(s));
	}
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&n);
	return ret;
}

/* SMIMECapabilities (RFC 8551 section 2.5.2): our preference, no
 * parameters (none of the listed ciphers takes any). */
static int capabilities_der(smime_buf *out)
{
	asn1_node n = NULL;
	int ret = create("SmimeCMS.SMIMECapabilities", &n);

	for (size_t i = 0; ret == 0 && i < smime_sign_ncapabilities; i++) {
		const smime_cipher_info *ci =
			smime_cipher_by_id(smime_sign_capabilities[i]);

		if (ci == NULL || ci->oid == NULL)
			ret = SMIME_E_ARG;
		if (ret == 0)
			ret = smime_asn1_write(n, "", "NEW", 1);
		if (ret == 0)
			ret = smime_asn1_write(n, "?LAST.capabilityID", ci->oid,
					       1);
		if (ret == 0)
			ret = smime_asn1_write(n, "?LAST.parameters", NULL, 0);
	}
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&n);
	return ret;
}

/* ESS signingCertificateV2 (RFC 5035): SHA-256 of the certificate (the
 * DEFAULT hash, so hashAlgorithm is left out) and its issuer and
 * serial. */
static int signing_cert_der(const smime_cert *cert, smime_buf *out)
{
	unsigned char hash[32];
	asn1_node n = NULL;
	int ret;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, cert->der.data, cert->der.len,
			     hash) < 0)
		return SMIME_E_CRYPTO;
	ret = create("SmimeCMS.SigningCertificateV2", &n);
	if (ret == 0)
		ret = smime_asn1_write(n, "certs", "NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write(n, "certs.?LAST.hashAlgorithm", NULL, 0);
	if (ret == 0)
		ret = smime_asn1_write(n, "certs.?LAST.certHash", hash,
				       sizeof(hash));
	if (ret == 0)
		ret = smime_asn1_write(n, "certs.?LAST.issuerSerial.issuer",
				       "NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write(n,
				       "certs.?LAST.issuerSerial.issuer.?LAST",
				       "directoryName", 1);
	if (ret == 0)
		ret = smime_asn1_write(
			n,
			"certs.?LAST.issuerSerial.issuer.?LAST.directoryName",
			cert->issuer_der, (int)cert->issuer_der_len);
	if (ret == 0)
		ret = write_serial(n, "certs.?LAST.issuerSerial.serialNumber",
				   cert->crt);
	if (ret == 0)
		ret = smime_asn1_write(n, "policies", NULL, 0);
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&n);
	return ret;
}

/* Adds one attribute with one value (DER) to the SET OF at base. */
static int add_attr(asn1_node node, const char *base, const char *oid,
		    const smime_buf *value)
{
	smime_asn1_path p;
	int ret;

	ret = smime_asn1_write(node, base, "NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(&p, "%s.?LAST.attrType", base), oid,
			1);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(&p, "%s.?LAST.attrValues", base),
			"NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(&p, "%s.?LAST.attrValues.?LAST",
					    base),
			value->data, (int)value->len);
	return ret;
}

static int write_signed_attrs(asn1_node sd, const char *base,
			      const smime_cert *cert, const unsigned char *md,
			      size_t mdlen, time_t when)
{
	smime_buf v = SMIME_BUF_INIT;
	int ret;

	ret = simple_der("SmimeCMS.ContentType", OID_DATA, 1, &v);
	if (ret == 0)
		ret = add_attr(sd, base, OID_CONTENT_TYPE, &v);
	smime_buf_reset(&v);
	if (ret == 0)
		ret = signing_time_der(when, &v);
	if (ret == 0)
		ret = add_attr(sd, base, OID_SIGNING_TIME, &v);
	smime_buf_reset(&v);
	if (ret == 0)
		ret = simple_der("SmimeCMS.MessageDigest", md, (int)mdlen, &v);
	if (ret == 0)
		ret = add_attr(sd, base, OID_MESSAGE_DIGEST, &v);
	smime_buf_reset(&v);
	if (ret == 0)
		ret = capabilities_der(&v);
	if (ret == 0)
		ret = add_attr(sd, base, OID_SMIME_CAPABILITIES, &v);
	smime_buf_reset(&v);
	if (ret == 0)
		ret = signing_cert_der(cert, &v);
	if (ret == 0)
		ret = add_attr(sd, base, OID_SIGNING_CERT_V2, &v);
	smime_buf_free(&v);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The SignerInfo's algorithms                                          */
/* ------------------------------------------------------------------ */

/* RSASSA-PSS-params (RFC 4055): hash, MGF1 with the same hash, salt of
 * the hash's length, trailerField left at its default (unwritten). */
static int pss_params_der(const plan *p, smime_buf *out)
{
	asn1_node n = NULL, h = NULL;
	smime_buf hash = SMIME_BUF_INIT;
	char salt[8];
	int ret;

	snprintf(salt, sizeof(salt), "%u", gnutls_hash_get_len(p->d->dig));
	ret = create("SmimeCMS.AlgorithmIdentifier", &h);
	if (ret == 0)
		ret = write_algid(h, "", p->d->oid, NULL, 0);
	if (ret == 0)
		ret = smime_asn1_encode(h, "", &hash);
	if (ret == 0)
		ret = create("SmimeCMS.RSASSA-PSS-params", &n);
	if (ret == 0)
		ret = write_algid(n, "hashAlgorithm", p->d->oid, NULL, 0);
	if (ret == 0)
		ret = write_algid(n, "maskGenAlgorithm", OID_MGF1, hash.data,
				  hash.len);
	if (ret == 0)
		ret = smime_asn1_write(n, "saltLength", salt, 0);
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&h);
	smime_asn1_free(&n);
	smime_buf_free(&hash);
	return ret;
}

static int write_sig_algid(asn1_node sd, const char *name, const plan *p)
{
	smime_buf params = SMIME_BUF_INIT;
	int ret;

	if (p->pss) {
		ret = pss_params_der(p, &params);
		if (ret == 0)
			ret = write_algid(sd, name, OID_RSASSA_PSS, params.data,
					  params.len);
	} else if (p->pk == GNUTLS_PK_RSA) {
		/* rsaEncryption, as OpenSSL, NSS and gpgsm write it */
		ret = write_algid(sd, name, OID_RSA_ENCRYPTION, der_null,
				  sizeof(der_null));
	} else if (p->pk == GNUTLS_PK_ECDSA) {
		ret = write_algid(sd, name, p->d->ecdsa_oid, NULL, 0);
	} else {
		ret = write_algid(sd, name, OID_ED25519, NULL, 0);
	}
	smime_buf_free(&params);
	return ret;
}

/* ------------------------------------------------------------------ */
/* SignedData                                                           */
/* ------------------------------------------------------------------ */

static int add_cert(asn1_node sd, gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = {NULL, 0};
	int ret;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d) < 0)
		return SMIME_E_CRYPTO;
	ret = smime_asn1_write(sd, "certificates", "NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write(sd, "certificates.?LAST", d.data,
				       (int)d.size);
	gnutls_free(d.data);
	return ret;
}

/* Signs the DER of the signed attributes: their [0] IMPLICIT tag is
 * read as the SET OF tag (RFC 5652 section 5.4). */
static int sign_attrs(asn1_node sd, const char *base, const smime_key *key,
		      const plan *p)
{
	smime_buf attrs = SMIME_BUF_INIT;
	gnutls_datum_t data, sig = {NULL, 0};
	smime_asn1_path path;
	int ret;

	ret = smime_asn1_encode(
		sd, smime_asn1_path_fmt(&path, "%s.signedAttrs", base), &attrs);
	if (ret < 0)
		goto cleanup;
	if (attrs.len < 2 || attrs.data[0] != 0xa0) {
		ret = SMIME_E_ARG;
		goto cleanup;
	}
	attrs.data[0] = 0x31;
	data.data = attrs.data;
	data.size = (unsigned)attrs.len;
	if (gnutls_privkey_sign_data2(smime_key_privkey(key), p->sign, 0, &data,
				      &sig) < 0) {
		ret = SMIME_E_CRYPTO;
		goto cleanup;
	}
	ret = smime_asn1_write(sd,
			       smime_asn1_path_fmt(&path, "%s.signature", base),
			       sig.data, (int)sig.size);
cleanup:
	gnutls_free(sig.data);
	smime_buf_free(&attrs);
	return ret;
}

static int write_signer_info(asn1_node sd, const smime_key *key, const plan *p,
			     const unsigned char *md, size_t mdlen, time_t when)
{
	const smime_cert *cert = smime_key_cert(key);
	const char *si = "signerInfos.?1";
	smime_asn1_path path;
	int ret;

	ret = smime_asn1_write(sd, "signerInfos", "NEW", 1);
	if (ret == 0) /* decimal: see the INTEGER trap in NOTES.md */
		ret = smime_asn1_write(sd, "signerInfos.?1.version", "1", 0);
	if (ret == 0)
		ret = smime_asn1_write(sd, "signerInfos.?1.sid",
				       "issuerAndSerialNumber", 1);
	if (ret == 0)
		ret = smime_asn1_write(
			sd, "signerInfos.?1.sid.issuerAndSerialNumber.issuer",
			cert->issuer_der, (int)cert->issuer_der_len);
	if (ret == 0)
		ret = write_serial(sd,
				   "signerInfos.?1.sid.issuerAndSerialNumber."
				   "serialNumber",
				   cert->crt);
	if (ret == 0)
		ret = write_algid(sd, "signerInfos.?1.digestAlgorithm",
				  p->d->oid, NULL, 0);
	if (ret == 0)
		ret = write_signed_attrs(
			sd, smime_asn1_path_fmt(&path, "%s.signedAttrs", si),
			cert, md, mdlen, when);
	if (ret == 0)
		ret = write_sig_algid(sd, "signerInfos.?1.signatureAlgorithm",
				      p);
	if (ret == 0)
		ret = smime_asn1_write(sd, "signerInfos.?1.unsignedAttrs", NULL,
				       0);
	if (ret == 0)
		ret = sign_attrs(sd, si, key, p);
	return ret;
}

static int write_signed_data(const smime_key *key, const plan *p,
			     const unsigned char *md, size_t mdlen, time_t when,
			     smime_buf *out)
{
	const gnutls_x509_crt_t *chain;
	unsigned nchain;
	asn1_node sd = NULL;
	int ret;

	ret = create("SmimeCMS.SignedData", &sd);
	if (ret == 0)
		ret = smime_asn1_write(sd, "version", "1", 0);
	if (ret == 0)
		ret = smime_asn1_write(sd, "digestAlgorithms", "NEW", 1);
	if (ret == 0)
		ret = write_algid(sd, "digestAlgorithms.?LAST", p->d->oid, NULL,
				  0);
	if (ret == 0)
		ret = smime_asn1_write(sd, "encapContentInfo.eContentType",
				       OID_DATA, 1);
	if (ret == 0) /* detached */
		ret = smime_asn1_write(sd, "encapContentInfo.eContent", NULL,
				       0);
	if (ret == 0)
		ret = add_cert(sd, smime_key_cert(key)->crt);
	smime_key_chain(key, &chain, &nchain);
	for (unsigned i = 0; ret == 0 && i < nchain; i++)
		ret = add_cert(sd, chain[i]);
	if (ret == 0)
		ret = smime_asn1_write(sd, "crls", NULL, 0);
	if (ret == 0)
		ret = write_signer_info(sd, key, p, md, mdlen, when);
	if (ret == 0)
		ret = smime_asn1_encode(sd, "", out);
	smime_asn1_free(&sd);
	return ret;
}

int smime_sign_detached(const smime_key *key, const smime_sign_opts *opts,
			const unsigned char *content, size_t len,
			smime_buf *der)
{
	smime_buf sd = SMIME_BUF_INIT;
	unsigned char md[64];
	asn1_node ci = NULL;
	size_t old;
	time_t when;
	plan p;
	int ret;

	if ((content == NULL && len > 0) || der == NULL)
		return SMIME_E_ARG;
	ret = make_plan(key, opts, &p);
	if (ret < 0)
		return ret;
	old = der->len;
	when = opts != NULL && opts->signing_time != 0 ? opts->signing_time
						       : time(NULL);
	if (gnutls_hash_fast(p.d->dig, content, len, md) < 0) {
		ret = SMIME_E_CRYPTO;
		goto cleanup;
	}
	ret = write_signed_data(key, &p, md, gnutls_hash_get_len(p.d->dig),
				when, &sd);
	if (ret == 0)
		ret = create("SmimeCMS.ContentInfo", &ci);
	if (ret == 0)
		ret = smime_asn1_write(ci, "contentType", OID_SIGNED_DATA, 1);
	if (ret == 0)
		ret = smime_asn1_write(ci, "content", sd.data, (int)sd.len);
	if (ret == 0)
		ret = smime_asn1_encode(ci, "", der);
cleanup:
	if (ret < 0 && der->data != NULL) {
		der->len = old;
		der->data[old] = '\0';
	}
	smime_asn1_free(&ci);
	smime_buf_free(&sd);
	return ret;
}

bool smime_key_can_sign(const smime_key *key)
{
	gnutls_x509_crt_t crt = smime_key_cert(key)->crt;
	unsigned usage = 0, critical = 0;
	char oid[128];
	size_t size;
	bool any_eku = false, mail = false;
	int r;

	/* keyUsage, when present, must allow signatures (RFC 8550 4.4.2) */
	r = gnutls_x509_crt_get_key_usage(crt, &usage, &critical);
	if (r >= 0 && !(usage & (GNUTLS_KEY_DIGITAL_SIGNATURE |
				 GNUTLS_KEY_NON_REPUDIATION)))
		return false;
	if (r < 0 && r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return false;
	/* extendedKeyUsage, when present, must name e-mail (RFC 8550 4.4.4) */
	for (unsigned i = 0;; i++) {
		size = sizeof(oid);
		r = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size,
							NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0)
			return false;
		any_eku = true;
		if (strcmp(oid, GNUTLS_KP_EMAIL_PROTECTION) == 0 ||
		    strcmp(oid, GNUTLS_KP_ANY) == 0)
			mail = true;
	}
	return !any_eku || mail;
}
