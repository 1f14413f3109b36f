/*
 * verify_sig.c - one SignerInfo as the verifier needs it: its identifier,
 * algorithms, signature, and the signed attributes checked against RFC
 * 5652 section 5.3/11 (contentType present once with one value equal to
 * the eContentType, messageDigest present once with one value, at most
 * one signingTime that decodes).  The signature itself is checked by
 * verify_signature.c.
 *
 * Promises: structure problems never fail a call, they are recorded as
 * SMIME_REASON_MALFORMED or SMIME_REASON_UNSUPPORTED_ALGORITHM in
 * v->problems; only resource errors (and a SignerInfo that is not there)
 * are errors.  The signed attributes are hashed as the DER SET OF their
 * encoding carries (the [0] tag replaced by SET), as RFC 5652 5.4 says;
 * an indefinite-length encoding cannot be that DER and is malformed.
 */
#include "verify_internal.h"
#include "oid.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Attribute lists are short; this bounds a hostile one. */
#define MAX_ATTRS 256

void smime_signer_view_free(smime_signer_view *v)
{
	free(v->digest_oid);
	free(v->sig_oid);
	free(v->sig_params);
	free(v->attrs_der);
	free(v->message_digest);
	free(v->sid_issuer);
	free(v->sid_serial);
	free(v->sid_ski);
	free(v->signature);
	free(v->caps_der);
	smime_buf_free(&v->gnutls_digests);
	memset(v, 0, sizeof(*v));
}

/* "YYMMDDHHMMSSZ" (UTCTime) or "YYYYMMDDHHMMSSZ" (GeneralizedTime), the
 * only forms DER allows for signingTime. */
static int parse_time(const char *s, bool generalized, time_t *out)
{
	size_t n = strlen(s), ylen = generalized ? 4 : 2;
	int f[6] = {0}, year;
	struct tm tm;

	if (n != ylen + 11 || s[n - 1] != 'Z')
		return SMIME_E_PARSE;
	for (size_t i = 0; i < n - 1; i++)
		if (s[i] < '0' || s[i] > '9')
			return SMIME_E_PARSE;
	year = 0;
	for (size_t i = 0; i < ylen; i++)
		year = year * 10 + (s[i] - '0');
	if (!generalized)
		year += year < 50 ? 2000 : 1900; /* RFC 5280 4.1.2.5.1 */
	for (int i = 1; i < 6; i++)
		f[i] = (s[ylen + 2 * (i - 1)] - '0') * 10 +
		       (s[ylen + 2 * (i - 1) + 1] - '0');
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return SMIME_E_PARSE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	*out = timegm(&tm);
	return 0;
}

static int read_signing_time(const unsigned char *der, size_t len,
			     smime_signer_view *v)
{
	asn1_node t = NULL;
	char alt[32], *value = NULL;
	int l = sizeof(alt), ret;
	size_t n;

	ret = smime_asn1_decode("SmimeCMS.SigningTime", der, len, false, &t);
	if (ret == 0)
		ret = smime_asn1_err(asn1_read_value(t, "", alt, &l));
	if (ret == 0)
		ret = smime_asn1_read(t, alt, (unsigned char **)&value, &n);
	/* libtasn1 may count a terminating NUL in a time's length. */
	if (ret == 0 && strlen(value) + 1 < n)
		ret = SMIME_E_PARSE;
	if (ret == 0)
		ret = parse_time(value, strcmp(alt, "generalTime") == 0,
				 &v->signing_time);
	if (ret == 0)
		v->has_signing_time = true;
	free(value);
	smime_asn1_free(&t);
	return ret;
}

static int check_content_type(const unsigned char *der, size_t len,
			      const char *econtent_type)
{
	asn1_node t = NULL;
	char *oid = NULL;
	int ret;

	ret = smime_asn1_decode("SmimeCMS.ContentType", der, len, false, &t);
	if (ret == 0)
		ret = smime_asn1_read_oid(t, "", &oid);
	if (ret == 0 && (econtent_type == NULL || strcmp(oid, econtent_type)))
		ret = SMIME_E_PARSE;
	free(oid);
	smime_asn1_free(&t);
	return ret;
}

/* A messageDigest value: its OCTET STRING content, malloc'd. */
static int decode_digest(const unsigned char *der, size_t len,
			 unsigned char **md, size_t *n)
{
	asn1_node t = NULL;
	int ret;

	ret = smime_asn1_decode("SmimeCMS.MessageDigest", der, len, false, &t);
	if (ret == 0)
		ret = smime_asn1_read(t, "", md, n);
	smime_asn1_free(&t);
	return ret;
}

/* SMIMECapabilities (RFC 8551 section 2.5.2): the first one that reads,
 * for harvesting.  Whatever it holds, it is no part of the verdict: a
 * value that does not read, a second one or several values are passed
 * over, as every other attribute we do not judge is. */
static int read_caps(asn1_node sd, const char *base, int k,
		     smime_signer_view *v)
{
	smime_asn1_path p;
	unsigned char *val = NULL;
	size_t vlen;
	int nvals = 0, ret;

	if (v->has_caps)
		return 0;
	ret = smime_asn1_err(asn1_number_of_elements(
		sd, smime_asn1_path_fmt(&p, "%s.?%d.attrValues", base, k),
		&nvals));
	if (ret == 0 && nvals == 1)
		ret = smime_asn1_read(
			sd,
			smime_asn1_path_fmt(&p, "%s.?%d.attrValues.?1", base,
					    k),
			&val, &vlen);
	if (ret == 0 && val != NULL) {
		ret = smime_caps_parse(val, vlen, &v->caps);
		v->has_caps = ret == 0;
	}
	if (v->has_caps) {
		v->caps_der = val; /* kept for harvesting */
		v->caps_der_len = vlen;
		val = NULL;
	}
	free(val);
	return ret == SMIME_E_NOMEM ? ret : 0;
}

/* One attribute: its type, its single value, and what it says. */
static int read_attr(asn1_node sd, const char *base, int k,
		     const char *econtent_type, unsigned *seen,
		     smime_signer_view *v)
{
	smime_asn1_path p;
	unsigned char *val = NULL;
	char *oid = NULL;
	size_t vlen;
	int nvals = 0, ret;
	unsigned bit = 0;

	ret = smime_asn1_read_oid(
		sd, smime_asn1_path_fmt(&p, "%s.?%d.attrType", base, k), &oid);
	if (ret < 0)
		return ret;
	if (strcmp(oid, OID_CONTENT_TYPE) == 0)
		bit = 1;
	else if (strcmp(oid, OID_MESSAGE_DIGEST) == 0)
		bit = 2;
	else if (strcmp(oid, OID_SIGNING_TIME) == 0)
		bit = 4;
	else if (strcmp(oid, OID_SMIME_CAPABILITIES) == 0) {
		free(oid);
		return read_caps(sd, base, k, v);
	}
	free(oid);
	if (bit == 0)
		return 0; /* other attributes are not ours to judge */
	if (*seen & bit)
		return SMIME_E_PARSE; /* RFC 5652 5.3: at most once */
	*seen |= bit;
	ret = smime_asn1_err(asn1_number_of_elements(
		sd, smime_asn1_path_fmt(&p, "%s.?%d.attrValues", base, k),
		&nvals));
	if (ret == 0 && nvals != 1)
		ret = SMIME_E_PARSE; /* exactly one value for all three */
	if (ret == 0)
		ret = smime_asn1_read(
			sd,
			smime_asn1_path_fmt(&p, "%s.?%d.attrValues.?1", base,
					    k),
			&val, &vlen);
	if (ret == 0 && bit == 1)
		ret = check_content_type(val, vlen, econtent_type);
	else if (ret == 0 && bit == 2)
		ret = decode_digest(val, vlen, &v->message_digest,
				    &v->message_digest_len);
	else if (ret == 0 && bit == 4)
		ret = read_signing_time(val, vlen, v);
	free(val);
	return ret;
}

/* The signed attributes: their DER for hashing and what they say. */
static int read_attrs(asn1_node sd, const unsigned char *der, size_t len,
		      const char *base, const char *econtent_type,
		      smime_signer_view *v)
{
	smime_asn1_path p;
	unsigned seen = 0;
	int n = 0, s, e, ret;

	smime_asn1_path_fmt(&p, "%s.signedAttrs", base);
	if (!smime_asn1_present(sd, p.s))
		return 0;
	v->has_attrs = true;
	if (len > INT_MAX ||
	    asn1_der_decoding_startEnd(sd, der, (int)len, p.s, &s, &e) !=
		    ASN1_SUCCESS ||
	    s < 0 || e < s || (size_t)e >= len || der[s] != 0xa0 ||
	    der[s + 1] == 0x80)
		return SMIME_E_PARSE;
	v->attrs_len = (size_t)(e - s) + 1;
	v->attrs_der = malloc(v->attrs_len);
	if (v->attrs_der == NULL)
		return SMIME_E_NOMEM;
	memcpy(v->attrs_der, der + s, v->attrs_len);
	v->attrs_der[0] = 0x31; /* [0] IMPLICIT -> SET OF (RFC 5652 5.4) */
	ret = smime_asn1_err(asn1_number_of_elements(sd, p.s, &n));
	if (ret == 0 && n > MAX_ATTRS)
		ret = SMIME_E_PARSE;
	for (int k = 1; ret == 0 && k <= n; k++)
		ret = read_attr(sd, p.s, k, econtent_type, &seen, v);
	/* RFC 5652 5.3: with signed attributes, contentType and
	 * messageDigest MUST be there. */
	if (ret == 0 && (seen & 3) != 3)
		ret = SMIME_E_PARSE;
	return ret;
}

/* One messageDigest value for gnutls_digests: its OCTET STRING content
 * (SMIME_E_PARSE when it is none). */
static int keep_gnutls_digest(const unsigned char *der, size_t len,
			      smime_signer_view *v)
{
	unsigned char *md = NULL;
	size_t n = 0;
	int ret = decode_digest(der, len, &md, &n);

	if (ret == 0 && n <= 64)
		ret = smime_buf_putc(&v->gnutls_digests, (int)n);
	if (ret == 0 && n <= 64)
		ret = smime_buf_append(&v->gnutls_digests, md, n);
	free(md);
	return ret;
}

/*
 * The signed attributes as gnutls_pkcs7_verify_direct() read them before
 * comparing digests (lib/x509/pkcs7.c, verify_hash_attr), so that our own
 * verification keeps its verdicts: a second contentType, one unlike the
 * eContentType, or a messageDigest that is no OCTET STRING refuses the
 * signature (malformed); an attribute without a value ends the list; any
 * messageDigest value may match.  RFC 5652's stricter reading is
 * read_attrs's.
 */
static int scan_like_gnutls(asn1_node sd, const char *base,
			    const char *econtent_type, smime_signer_view *v)
{
	smime_asn1_path p;
	unsigned char *val = NULL;
	char *oid = NULL;
	size_t vlen;
	int n = 0, nvals, ncts = 0, ret;

	smime_asn1_path_fmt(&p, "%s.signedAttrs", base);
	ret = smime_asn1_err(asn1_number_of_elements(sd, p.s, &n));
	for (int k = 1;
	     ret == 0 && !v->attrs_refused && k <= n && k <= MAX_ATTRS; k++) {
		nvals = 0;
		ret = smime_asn1_read_oid(
			sd,
			smime_asn1_path_fmt(&p, "%s.signedAttrs.?%d.attrType",
					    base, k),
			&oid);
		if (ret == 0)
			ret = smime_asn1_err(asn1_number_of_elements(
				sd,
				smime_asn1_path_fmt(
					&p, "%s.signedAttrs.?%d.attrValues",
					base, k),
				&nvals));
		if (ret < 0 || nvals == 0)
			break;
		ret = smime_asn1_read(
			sd,
			smime_asn1_path_fmt(&p,
					    "%s.signedAttrs.?%d.attrValues.?1",
					    base, k),
			&val, &vlen);
		if (ret == 0 && strcmp(oid, OID_MESSAGE_DIGEST) == 0)
			ret = keep_gnutls_digest(val, vlen, v);
		else if (ret == 0 && strcmp(oid, OID_CONTENT_TYPE) == 0)
			ret = ncts++ > 0 ? SMIME_E_PARSE
					 : check_content_type(val, vlen,
							      econtent_type);
		if (ret < 0 && ret != SMIME_E_NOMEM) {
			v->attrs_refused = true;
			ret = 0;
		}
		free(oid);
		free(val);
		oid = NULL;
		val = NULL;
	}
	free(oid);
	return ret == SMIME_E_NOMEM ? ret : 0;
}

/* RFC 5652 11.1-11.3: contentType, messageDigest and signingTime MUST
 * NOT be unsigned attributes (an unsigned signingTime is unprotected). */
static int check_unsigned(asn1_node sd, const char *base)
{
	smime_asn1_path p, q;
	int n = 0, ret;

	smime_asn1_path_fmt(&p, "%s.unsignedAttrs", base);
	if (!smime_asn1_present(sd, p.s))
		return 0;
	ret = smime_asn1_err(asn1_number_of_elements(sd, p.s, &n));
	for (int k = 1; ret == 0 && k <= n && k <= MAX_ATTRS; k++) {
		char *oid = NULL;

		ret = smime_asn1_read_oid(
			sd, smime_asn1_path_fmt(&q, "%s.?%d.attrType", p.s, k),
			&oid);
		if (ret == 0 && (strcmp(oid, OID_CONTENT_TYPE) == 0 ||
				 strcmp(oid, OID_MESSAGE_DIGEST) == 0 ||
				 strcmp(oid, OID_SIGNING_TIME) == 0))
			ret = SMIME_E_PARSE;
		free(oid);
	}
	return ret;
}

static int read_sid(asn1_node sd, const char *base, smime_signer_view *v)
{
	smime_asn1_path p;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	int l = sizeof(alt), ret;

	ret = smime_asn1_err(asn1_read_value(
		sd, smime_asn1_path_fmt(&p, "%s.sid", base), alt, &l));
	if (ret < 0)
		return ret;
	v->by_ski = strcmp(alt, "subjectKeyIdentifier") == 0;
	if (v->by_ski)
		return smime_asn1_read(
			sd,
			smime_asn1_path_fmt(&p, "%s.sid.subjectKeyIdentifier",
					    base),
			&v->sid_ski, &v->sid_ski_len);
	ret = smime_asn1_read(
		sd,
		smime_asn1_path_fmt(&p, "%s.sid.issuerAndSerialNumber.issuer",
				    base),
		&v->sid_issuer, &v->sid_issuer_len);
	if (ret == 0)
		ret = smime_asn1_read(
			sd,
			smime_asn1_path_fmt(
				&p, "%s.sid.issuerAndSerialNumber.serialNumber",
				base),
			&v->sid_serial, &v->sid_serial_len);
	return ret;
}

int smime_signer_view_read(asn1_node sd, const unsigned char *der, size_t len,
			   const char *econtent_type, int index,
			   smime_signer_view *v)
{
	smime_asn1_path base, p;
	int ret;

	memset(v, 0, sizeof(*v));
	v->index = index;
	smime_asn1_path_fmt(&base, "signerInfos.?%d", index + 1);
	ret = read_sid(sd, base.s, v);
	if (ret == 0)
		ret = smime_asn1_read_oid(
			sd,
			smime_asn1_path_fmt(&p, "%s.digestAlgorithm.algorithm",
					    base.s),
			&v->digest_oid);
	if (ret == 0)
		ret = smime_asn1_read_oid(
			sd,
			smime_asn1_path_fmt(
				&p, "%s.signatureAlgorithm.algorithm", base.s),
			&v->sig_oid);
	if (ret == 0)
		ret = smime_asn1_read(
			sd, smime_asn1_path_fmt(&p, "%s.signature", base.s),
			&v->signature, &v->signature_len);
	if (ret < 0)
		return ret; /* not even the SignerInfo's skeleton */
	smime_asn1_path_fmt(&p, "%s.signatureAlgorithm.parameters", base.s);
	if (smime_asn1_present(sd, p.s)) {
		ret = smime_asn1_read(sd, p.s, &v->sig_params,
				      &v->sig_params_len);
		if (ret == SMIME_E_NOMEM)
			return ret;
	}
	if (smime_asn1_present(
		    sd, smime_asn1_path_fmt(&p, "%s.signedAttrs", base.s))) {
		ret = scan_like_gnutls(sd, base.s, econtent_type, v);
		if (ret < 0)
			return ret;
	}
	ret = read_attrs(sd, der, len, base.s, econtent_type, v);
	if (ret == 0)
		ret = check_unsigned(sd, base.s);
	if (ret == SMIME_E_NOMEM)
		return ret;
	if (ret < 0)
		v->problems |= SMIME_REASON_BIT(SMIME_REASON_MALFORMED);
	return 0;
}
