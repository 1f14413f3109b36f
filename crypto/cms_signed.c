/*
 * cms_signed.c - decodes SignedData (RFC 5652 section 5) and reads it
 * without verifying it: opaque, detached or certs-only (no SignerInfo),
 * the encapsulated content, the certificate count, and per SignerInfo
 * the signer's identifier, digest and signature algorithm, whether
 * signed attributes are present, and the e-mail address of the signer's
 * certificate when the SignedData carries it.
 *
 * Owns the one decode of a SignedData (smime_cms_signed_decode) and the
 * one import of its certificates (smime_cms_tree_certs): the verifier
 * (verify.c) reads the same smime_cms_tree, so a SignedData is decoded
 * once per layer and each of its certificates imported once.
 *
 * Promises: the certificate set, and the SignerInfos too, are held to
 * MaxCertificates; a signer whose certificate is absent or unreadable
 * simply has no address; an address with bytes outside printable ASCII
 * is not handed out (it would end up in headers and log lines).
 * Verification is another module's.
 */
#include "internal.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

/* Decodes the SignedData of ContentInfo ci at sd (located here when
 * NULL) into t. */
static int decode_at(const unsigned char *ci, size_t ci_len,
		     const unsigned char *sd, size_t sdlen, smime_cms_tree *t)
{
	int ret = 0;

	t->ci = ci;
	t->ci_len = ci_len;
	t->der = sd;
	t->len = sdlen;
	if (sd == NULL)
		ret = smime_cms_signed_data(ci, ci_len, &t->der, &t->len);
	if (ret == 0)
		ret = smime_asn1_decode("SmimeCMS.SignedData", t->der, t->len,
					true, &t->node);
	return ret;
}

int smime_cms_signed_decode(const unsigned char *ci, size_t ci_len,
			    const unsigned char *sd, size_t sdlen,
			    smime_cms_tree *t)
{
	int ret = decode_at(ci, ci_len, sd, sdlen, t);

	if (ret != SMIME_E_PARSE)
		return ret;
	ret = smime_cms_fix_empty_sets(ci, ci_len, &t->fixed);
	if (ret <= 0)
		return ret < 0 ? ret : SMIME_E_PARSE;
	return decode_at(t->fixed.data, t->fixed.len, NULL, 0, t);
}

/* Certificate number i (0-based) of the set into *crt, which stays NULL
 * for the CertificateChoices other than a Certificate (tagged [0]..[3];
 * a Certificate is a SEQUENCE) and for one GnuTLS cannot read. */
static int import_cert(asn1_node node, size_t i, gnutls_x509_crt_t *crt)
{
	smime_asn1_path p;
	unsigned char *der = NULL;
	gnutls_datum_t d;
	size_t len;
	int ret;

	ret = smime_asn1_read(
		node, smime_asn1_path_fmt(&p, "certificates.?%zu", i + 1), &der,
		&len);
	if (ret < 0)
		return ret;
	if (len > 0 && der[0] == 0x30 && len <= UINT32_MAX) {
		if (gnutls_x509_crt_init(crt) < 0) {
			free(der);
			return SMIME_E_NOMEM;
		}
		d.data = der;
		d.size = (unsigned)len;
		if (gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(*crt);
			*crt = NULL;
		}
	}
	free(der);
	return 0;
}

/* The tree and the certificates, not the bytes they were read from. */
static void free_decoded(smime_cms_tree *t)
{
	smime_asn1_free(&t->node);
	for (size_t i = 0; i < t->ncerts; i++)
		if (t->certs[i] != NULL)
			gnutls_x509_crt_deinit(t->certs[i]);
	free(t->certs);
	t->certs = NULL;
	t->ncerts = 0;
}

void smime_cms_tree_free(smime_cms_tree *t)
{
	if (t == NULL)
		return;
	free_decoded(t);
	smime_buf_free(&t->fixed); /* an opaque message's content */
	memset(t, 0, sizeof(*t));
}

int smime_cms_tree_certs(smime_cms_tree *t)
{
	int n = 0, ret = 0;

	if (t->certs_loaded)
		return 0;
	t->certs_loaded = true;
	if (!smime_asn1_present(t->node, "certificates"))
		return 0;
	ret = smime_asn1_err(
		asn1_number_of_elements(t->node, "certificates", &n));
	if (ret < 0 || n <= 0)
		return ret == SMIME_E_NOMEM ? ret : 0;
	if (n > SMIME_MAX_POOL)
		n = SMIME_MAX_POOL;
	t->certs = calloc((size_t)n, sizeof(*t->certs));
	if (t->certs == NULL)
		return SMIME_E_NOMEM;
	t->ncerts = (size_t)n;
	/* An element that cannot be read is reported once they all are. */
	for (size_t i = 0; i < t->ncerts; i++) {
		int r = import_cert(t->node, i, &t->certs[i]);

		if (r == SMIME_E_NOMEM)
			return r;
		if (r < 0)
			ret = r;
	}
	return ret;
}

/* A GnuTLS getter's output in a malloc'd, NUL-terminated buffer.  The
 * getter fills buf (size *size) and returns a GnuTLS result. */
typedef int (*gnutls_getter)(gnutls_x509_crt_t crt, unsigned seq, void *buf,
			     size_t *size);

static int get_alloc(gnutls_getter get, gnutls_x509_crt_t crt, unsigned seq,
		     unsigned char **out, size_t *outlen, int *result)
{
	unsigned char probe;
	size_t size = 0;
	int r;

	*out = NULL;
	*outlen = 0;
	r = get(crt, seq, &probe, &size);
	if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
		*out = calloc(1, size + 1);
		if (*out == NULL)
			return SMIME_E_NOMEM;
		r = get(crt, seq, *out, &size);
		if (r < 0) {
			free(*out);
			*out = NULL;
		} else {
			*outlen = size;
		}
	}
	*result = r;
	return 0;
}

static int get_san(gnutls_x509_crt_t crt, unsigned seq, void *buf, size_t *size)
{
	return gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, size, NULL);
}

static int get_dn_email(gnutls_x509_crt_t crt, unsigned seq, void *buf,
			size_t *size)
{
	return gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_PKCS9_EMAIL, seq,
					     0, buf, size);
}

static int get_ski(gnutls_x509_crt_t crt, unsigned seq, void *buf, size_t *size)
{
	(void)seq;
	return gnutls_x509_crt_get_subject_key_id(crt, buf, size, NULL);
}

static int get_serial(gnutls_x509_crt_t crt, unsigned seq, void *buf,
		      size_t *size)
{
	(void)seq;
	return gnutls_x509_crt_get_serial(crt, buf, size);
}

static bool printable_address(const unsigned char *s, size_t n)
{
	if (n == 0 || memchr(s, '@', n) == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* The first rfc822Name of the subjectAltName, else the first
 * emailAddress of the subject DN; *out stays NULL when there is none. */
static int cert_address(gnutls_x509_crt_t crt, char **out)
{
	unsigned char *v = NULL;
	size_t n;
	int r, ret;

	*out = NULL;
	/* A certificate has a handful of names; 1024 bounds a hostile one. */
	for (unsigned seq = 0; seq < 1024; seq++) {
		ret = get_alloc(get_san, crt, seq, &v, &n, &r);
		if (ret < 0)
			return ret;
		if (r == GNUTLS_SAN_RFC822NAME && printable_address(v, n)) {
			*out = (char *)v;
			return 0;
		}
		free(v);
		v = NULL;
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
	}
	for (unsigned seq = 0; seq < 1024; seq++) {
		ret = get_alloc(get_dn_email, crt, seq, &v, &n, &r);
		if (ret < 0)
			return ret;
		if (r >= 0 && printable_address(v, n)) {
			*out = (char *)v;
			return 0;
		}
		free(v);
		v = NULL;
		if (r < 0)
			break;
	}
	return 0;
}

static bool same_bytes(const unsigned char *a, size_t alen,
		       const unsigned char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Whether crt is the certificate the SignerIdentifier names. */
static int cert_matches(gnutls_x509_crt_t crt, const unsigned char *idn,
			size_t idnlen, const unsigned char *serial, size_t slen,
			const unsigned char *ski, size_t skilen, bool *match)
{
	unsigned char *v = NULL;
	size_t n;
	int r, ret;

	*match = false;
	if (ski != NULL) {
		ret = get_alloc(get_ski, crt, 0, &v, &n, &r);
		if (ret == 0 && r >= 0)
			*match = same_bytes(v, n, ski, skilen);
		free(v);
		return ret;
	}
	gnutls_datum_t dn = {NULL, 0};
	if (gnutls_x509_crt_get_raw_issuer_dn(crt, &dn) < 0)
		return 0;
	*match = same_bytes(dn.data, dn.size, idn, idnlen);
	gnutls_free(dn.data);
	if (!*match)
		return 0;
	ret = get_alloc(get_serial, crt, 0, &v, &n, &r);
	if (ret == 0 && r >= 0) {
		const unsigned char *cs = v;

		smime_serial_trim(&cs, &n);
		smime_serial_trim(&serial, &slen);
		*match = same_bytes(cs, n, serial, slen);
	} else {
		*match = false;
	}
	free(v);
	return ret;
}

static int signer_address(smime_cms_tree *t, const char *sid, bool by_ski,
			  smime_signer *s)
{
	asn1_node node = t->node;
	smime_asn1_path p;
	unsigned char *idn = NULL, *serial = NULL, *ski = NULL;
	size_t idnlen = 0, slen = 0, skilen = 0;
	int ret;

	ret = smime_cms_tree_certs(t);
	if (ret < 0)
		return ret;
	if (by_ski) {
		ret = smime_asn1_read(
			node,
			smime_asn1_path_fmt(&p, "%s.subjectKeyIdentifier", sid),
			&ski, &skilen);
	} else {
		ret = smime_asn1_read(
			node,
			smime_asn1_path_fmt(
				&p, "%s.issuerAndSerialNumber.issuer", sid),
			&idn, &idnlen);
		if (ret == 0)
			ret = smime_asn1_read(
				node,
				smime_asn1_path_fmt(
					&p,
					"%s.issuerAndSerialNumber.serialNumber",
					sid),
				&serial, &slen);
	}
	for (size_t i = 0; ret == 0 && i < t->ncerts; i++) {
		bool match;

		if (t->certs[i] == NULL)
			continue;
		ret = cert_matches(t->certs[i], idn, idnlen, serial, slen, ski,
				   skilen, &match);
		if (ret == 0 && match) {
			ret = cert_address(t->certs[i], &s->address);
			break;
		}
	}
	free(idn);
	free(serial);
	free(ski);
	return ret;
}

static int read_signer(smime_cms_tree *t, int i, smime_signer *s)
{
	asn1_node node = t->node;
	smime_asn1_path base, p, sid;
	char alt[ASN1_MAX_NAME_SIZE + 1];
	int l = sizeof(alt), ret;
	char *oid = NULL;
	bool by_ski;

	smime_asn1_path_fmt(&base, "signerInfos.?%d", i);
	smime_asn1_path_fmt(&sid, "%s.sid", base.s);
	ret = smime_asn1_err(asn1_read_value(node, sid.s, alt, &l));
	if (ret < 0)
		return ret;
	by_ski = strcmp(alt, "subjectKeyIdentifier") == 0;
	if (by_ski) {
		unsigned char *v;
		size_t n;

		ret = smime_asn1_read(
			node,
			smime_asn1_path_fmt(&p, "%s.subjectKeyIdentifier",
					    sid.s),
			&v, &n);
		if (ret < 0)
			return ret;
		ret = smime_hex_lower(v, n, &s->ski);
		free(v);
	} else {
		ret = smime_asn1_read_iasn(
			node,
			smime_asn1_path_fmt(&p, "%s.issuerAndSerialNumber",
					    sid.s),
			&s->issuer, NULL, NULL, &s->serial);
	}
	if (ret < 0)
		return ret;
	ret = smime_asn1_read_oid(
		node,
		smime_asn1_path_fmt(&p, "%s.digestAlgorithm.algorithm", base.s),
		&oid);
	if (ret == 0)
		ret = smime_oid_name_dup(oid, SMIME_OID_DIGEST, &s->digest);
	free(oid);
	oid = NULL;
	if (ret < 0)
		return ret;
	ret = smime_asn1_read_oid(
		node,
		smime_asn1_path_fmt(&p, "%s.signatureAlgorithm.algorithm",
				    base.s),
		&oid);
	if (ret == 0)
		ret = smime_oid_name_dup(oid, SMIME_OID_SIGNATURE, &s->sig_alg);
	free(oid);
	if (ret < 0)
		return ret;
	s->has_signed_attrs = smime_asn1_present(
		node, smime_asn1_path_fmt(&p, "%s.signedAttrs", base.s));
	return signer_address(t, sid.s, by_ski, s);
}

/* The eContent OCTET STRING, chunks joined (it sits inside the caller's
 * buffer as an [0] EXPLICIT, perhaps indefinite, wrapper's content). */
static int read_econtent(const unsigned char *der, size_t len, smime_buf *out)
{
	asn1_node os = NULL;
	unsigned char *v = NULL;
	size_t n = 0;
	int ret;

	ret = smime_asn1_decode("SmimeCMS.OctetString", der, len, true, &os);
	if (ret == 0)
		ret = smime_asn1_read(os, "", &v, &n);
	smime_asn1_free(&os);
	if (ret == 0 && n > 0)
		ret = smime_buf_append(out, v, n);
	if (v != NULL) {
		smime_wipe(v, n); /* an opaque message's plaintext */
		free(v);
	}
	return ret;
}

int smime_cms_signed_econtent(const smime_cms_tree *t, smime_buf *out)
{
	const unsigned char *ec;
	size_t eclen;
	int ret;

	if (!smime_asn1_present(t->node, "encapContentInfo.eContent"))
		return 0;
	ret = smime_asn1_inner(t->node, t->der, t->len,
			       "encapContentInfo.eContent", &ec, &eclen);
	return ret == 0 ? read_econtent(ec, eclen, out) : ret;
}

/* What the SignedData is: certs-only without SignerInfos (RFC 8551 3.6),
 * else opaque with an eContent (*ec its encoding), else detached;
 * *nsigners the SignerInfos. */
static int read_kind(const smime_cms_tree *t, smime_cms_info *info,
		     const unsigned char **ec, size_t *eclen, int *nsigners)
{
	int ret;

	ret = smime_asn1_err(
		asn1_number_of_elements(t->node, "signerInfos", nsigners));
	if (ret == 0 &&
	    smime_asn1_present(t->node, "encapContentInfo.eContent")) {
		info->kind = SMIME_KIND_OPAQUE_SIGNED;
		ret = smime_asn1_inner(t->node, t->der, t->len,
				       "encapContentInfo.eContent", ec, eclen);
	}
	if (ret == 0 && *nsigners == 0)
		info->kind = SMIME_KIND_CERTS_ONLY;
	return ret;
}

/* The certificate count, held to MaxCertificates. */
static int count_certs(asn1_node node, const smime_cms_limits *lim,
		       smime_cms_info *info)
{
	int n = 0, ret;

	if (!smime_asn1_present(node, "certificates"))
		return 0;
	ret = smime_asn1_err(asn1_number_of_elements(node, "certificates", &n));
	if (ret < 0)
		return ret;
	info->ncertificates = (size_t)n;
	return (unsigned)n > lim->max_certificates ? SMIME_E_LIMIT : 0;
}

int smime_cms_read_signed(smime_cms_tree *t, const smime_cms_limits *lim,
			  bool keep, smime_cms_info *info)
{
	const unsigned char *ec = NULL;
	size_t eclen = 0;
	int nsigners = 0, ret;

	/* Detached until an eContent shows up. */
	info->kind = SMIME_KIND_SIGNED;
	ret = smime_asn1_read_oid(t->node, "encapContentInfo.eContentType",
				  &info->econtent_type_oid);
	if (ret == 0)
		ret = read_kind(t, info, &ec, &eclen, &nsigners);
	if (ret == 0)
		ret = count_certs(t->node, lim, info);
	if (ret < 0)
		return ret;
	/* libtasn1 finds "signerInfos.?i" by walking the set, so reading n
	 * signers costs n * n: bound n.  A signer normally brings its
	 * certificate, so MaxCertificates is the natural bound. */
	if ((unsigned)nsigners > lim->max_certificates)
		return SMIME_E_LIMIT;
	if (nsigners > 0) {
		info->signers =
			calloc((size_t)nsigners, sizeof(*info->signers));
		if (info->signers == NULL)
			return SMIME_E_NOMEM;
	}
	for (int i = 1; i <= nsigners && ret == 0; i++) {
		info->nsigners++;
		ret = read_signer(t, i, &info->signers[i - 1]);
	}
	if (ret < 0)
		return ret;
	/* Unless the verifier reads it next, the tree (it holds a copy of
	 * the eContent) goes first; ec may point into t->fixed, which stays. */
	if (!keep)
		free_decoded(t);
	return ec != NULL ? read_econtent(ec, eclen, &info->econtent) : 0;
}
