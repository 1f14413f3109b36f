/*
 * verify.c - the verdict on every SignerInfo of a SignedData (SPEC
 * section 7): smime_verify_signed() and the result and reason names.
 *
 * Per SignerInfo, independently (each gets its own verdict; nothing
 * carries over from one signer to the next, so no "last one wins"):
 *  1. the SignerInfo's structure and signed attributes (verify_sig.c);
 *     its digest must be listed in digestAlgorithms, and a hash its
 *     signatureAlgorithm names must be the same (verify_signature.c):
 *     the hash the signature is computed with is the one WeakDigests
 *     judges, and a signature whose hash cannot be named is not checked;
 *  2. the signer's certificate, by issuer and serial or by subject key
 *     identifier, among the SignedData's certificates, then among the
 *     trust anchors, then among the KeyStore and CertDirectory
 *     certificates of the author addresses (req->local, SPEC section 9;
 *     the path is still built from the SignedData's certificates and the
 *     anchors only); none anywhere is permerror no-certificate;
 *  3. the signature over the content, checked with that certificate
 *     alone, so an unknown CA can never look like a forged signature
 *     (NOTES.md), after its key passed SPEC section 7's limits
 *     (verify_key.c).  Detached content is tried in its canonical CRLF
 *     form, then with bare LF line ends (some signers hash that; lf_form
 *     says so).  verify_signature.c checks the signature from the
 *     digests of verify_content.c, which hashes each form once per
 *     digest for the whole layer, not once per signer;
 *  4. the certificate (verify_chain.c).
 * Every problem found sets its reason bit; the fixed order of
 * SMIME_REASON precedence (smime.h, smime_sigcheck) then picks the one
 * result and reason.
 *
 * The SignedData is read from the smime_cms_tree cms_signed.c decoded
 * and imported the certificates of: the analysis hands over the tree it
 * read the facts from (smime_verify_decoded), smime_verify_signed()
 * decodes one itself.
 *
 * Promises: any input gives verdicts; only resource errors fail.
 */
#include "keys_internal.h"
#include "oid.h"
#include "verify_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIGNERS 1000

#define BIT(r) SMIME_REASON_BIT(SMIME_REASON_##r)

/* ------------------------------------------------------------------ */
/* Names                                                                */
/* ------------------------------------------------------------------ */

static const char *const result_names[] = {
	"none", "pass", "fail", "policy", "neutral", "temperror", "permerror",
};

static const struct {
	const char *name;
	smime_result result;
} reasons[SMIME_REASON_COUNT] = {
	[SMIME_REASON_NONE] = {NULL, SMIME_RESULT_PASS},
	[SMIME_REASON_BAD_SIGNATURE] = {"bad-signature", SMIME_RESULT_FAIL},
	[SMIME_REASON_REVOKED] = {"revoked", SMIME_RESULT_POLICY},
	[SMIME_REASON_UNTRUSTED] = {"untrusted", SMIME_RESULT_POLICY},
	[SMIME_REASON_EXPIRED] = {"expired", SMIME_RESULT_POLICY},
	[SMIME_REASON_NOT_YET_VALID] = {"not-yet-valid", SMIME_RESULT_POLICY},
	[SMIME_REASON_KEY_USAGE] = {"key-usage", SMIME_RESULT_POLICY},
	[SMIME_REASON_WEAK_DIGEST] = {"weak-digest", SMIME_RESULT_POLICY},
	[SMIME_REASON_WEAK_KEY] = {"weak-key", SMIME_RESULT_POLICY},
	[SMIME_REASON_ADDRESS_MISMATCH] = {"address-mismatch",
					   SMIME_RESULT_POLICY},
	[SMIME_REASON_MALFORMED] = {"malformed", SMIME_RESULT_NEUTRAL},
	[SMIME_REASON_UNSUPPORTED_ALGORITHM] = {"unsupported-algorithm",
						SMIME_RESULT_NEUTRAL},
	[SMIME_REASON_TOO_LARGE] = {"too-large", SMIME_RESULT_NEUTRAL},
	[SMIME_REASON_TOO_MANY_SIGNATURES] = {"too-many-signatures",
					      SMIME_RESULT_NEUTRAL},
	[SMIME_REASON_CRL_UNAVAILABLE] = {"crl-unavailable",
					  SMIME_RESULT_TEMPERROR},
	[SMIME_REASON_RESOURCE] = {"resource", SMIME_RESULT_TEMPERROR},
	[SMIME_REASON_NO_CERTIFICATE] = {"no-certificate",
					 SMIME_RESULT_PERMERROR},
	[SMIME_REASON_DIRECTORY_UNAVAILABLE] = {"directory-unavailable",
						SMIME_RESULT_TEMPERROR},
};

/* Which reason decides when several are found (see smime.h); the
 * too-many-signatures resinfo is never a verdict's own. */
static const smime_reason precedence[] = {
	SMIME_REASON_MALFORMED,
	SMIME_REASON_UNSUPPORTED_ALGORITHM,
	SMIME_REASON_TOO_LARGE,
	SMIME_REASON_NO_CERTIFICATE,
	SMIME_REASON_DIRECTORY_UNAVAILABLE,
	SMIME_REASON_BAD_SIGNATURE,
	SMIME_REASON_REVOKED,
	SMIME_REASON_UNTRUSTED,
	SMIME_REASON_EXPIRED,
	SMIME_REASON_NOT_YET_VALID,
	SMIME_REASON_KEY_USAGE,
	SMIME_REASON_WEAK_DIGEST,
	SMIME_REASON_WEAK_KEY,
	SMIME_REASON_ADDRESS_MISMATCH,
	SMIME_REASON_CRL_UNAVAILABLE,
	SMIME_REASON_RESOURCE,
};

const char *smime_result_name(smime_result r)
{
	return (unsigned)r < sizeof(result_names) / sizeof(result_names[0])
		       ? result_names[r]
		       : "none";
}

const char *smime_reason_name(smime_reason r)
{
	return (unsigned)r < SMIME_REASON_COUNT ? reasons[r].name : NULL;
}

smime_result smime_reason_result(smime_reason r)
{
	return (unsigned)r < SMIME_REASON_COUNT ? reasons[r].result
						: SMIME_RESULT_NONE;
}

const char *smime_sigmatch_name(smime_sigmatch m)
{
	static const char *const names[] = {NULL, "ok", "bad", "unsupported"};

	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : NULL;
}

int smime_result_by_name(const char *name, smime_result *out)
{
	for (size_t i = 0;
	     name != NULL && i < sizeof(result_names) / sizeof(result_names[0]);
	     i++) {
		if (smime_ascii_casecmp(name, result_names[i]) == 0) {
			*out = (smime_result)i;
			return 0;
		}
	}
	return SMIME_E_PARSE;
}

static void decide(smime_sigcheck *c)
{
	c->result = SMIME_RESULT_PASS;
	c->reason = SMIME_REASON_NONE;
	for (size_t i = 0; i < sizeof(precedence) / sizeof(precedence[0]);
	     i++) {
		if (c->problems & SMIME_REASON_BIT(precedence[i])) {
			c->reason = precedence[i];
			c->result = reasons[precedence[i]].result;
			return;
		}
	}
}

void smime_sigcheck_free(smime_sigcheck *c)
{
	if (c == NULL)
		return;
	free(c->identifier);
	free(c->cert_issuer);
	free(c->cert_serial);
	free(c->caps_der);
	free(c->signer_der);
	memset(c, 0, sizeof(*c));
}

void smime_sigchecks_free(smime_sigcheck *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		smime_sigcheck_free(&v[i]);
	free(v);
}

/* ------------------------------------------------------------------ */
/* The SignedData as a whole                                            */
/* ------------------------------------------------------------------ */

typedef struct sd_ctx {
	const smime_trust *trust;
	const smime_verify_req *req;
	smime_cms_tree *t; /* the decoded SignedData, its certificates */
	const smime_buf *econtent; /* its eContent, chunks joined */
	bool has_econtent;
	char *econtent_type;
	char **digests; /* digestAlgorithms OIDs */
	size_t ndigests;
	gnutls_pkcs7_t p7;     /* NULL when GnuTLS cannot read the structure */
	smime_content content; /* the signed bytes, their forms and digests,
				* shared by every signer */
	/* The directory's certificates of the author addresses, fetched
	 * when a signer's certificate is nowhere else (find_fetched). */
	smime_found dir;
	enum { DIR_NOT_ASKED, DIR_ANSWERED, DIR_UNAVAILABLE } dir_state;
} sd_ctx;

static void ctx_free(sd_ctx *c)
{
	smime_found_clear(&c->dir);
	free(c->econtent_type);
	smime_strv_free(c->digests, c->ndigests);
	if (c->p7 != NULL)
		gnutls_pkcs7_deinit(c->p7);
	smime_content_free(&c->content);
}

static int read_digests(sd_ctx *c)
{
	smime_asn1_path p;
	int n = 0, ret;

	ret = smime_asn1_err(
		asn1_number_of_elements(c->t->node, "digestAlgorithms", &n));
	if (ret < 0 || n <= 0)
		return ret == SMIME_E_NOMEM ? ret : 0;
	c->digests = calloc((size_t)n, sizeof(*c->digests));
	if (c->digests == NULL)
		return SMIME_E_NOMEM;
	for (int i = 1; i <= n; i++) {
		ret = smime_asn1_read_oid(
			c->t->node,
			smime_asn1_path_fmt(
				&p, "digestAlgorithms.?%d.algorithm", i),
			&c->digests[c->ndigests]);
		if (ret == SMIME_E_NOMEM)
			return ret;
		if (ret == 0)
			c->ndigests++;
	}
	return 0;
}

/* Reads what every signer shares; SMIME_E_PARSE when the SignedData
 * cannot be verified at all. */
static int ctx_open(sd_ctx *c)
{
	gnutls_datum_t d;
	int ret;

	if (c->t->node == NULL)
		return SMIME_E_PARSE;
	c->has_econtent =
		smime_asn1_present(c->t->node, "encapContentInfo.eContent");
	ret = smime_asn1_read_oid(c->t->node, "encapContentInfo.eContentType",
				  &c->econtent_type);
	if (ret == 0)
		ret = read_digests(c);
	if (ret == 0) {
		/* An element that cannot be read is left out of the pool. */
		ret = smime_cms_tree_certs(c->t);
		ret = ret == SMIME_E_NOMEM ? ret : 0;
	}
	if (ret < 0)
		return ret;
	if (c->req->content != NULL)
		smime_content_init(&c->content, c->req->content,
				   c->req->content_len, true);
	else
		smime_content_init(&c->content, c->econtent->data,
				   c->econtent->len, false);
	/* GnuTLS's PKCS#7 parser gates the non-PSS signers (try_forms):
	 * when it cannot read the bytes, they are malformed for us too. */
	if (c->t->ci_len > UINT_MAX || gnutls_pkcs7_init(&c->p7) < 0)
		return SMIME_E_NOMEM;
	d.data = (unsigned char *)c->t->ci;
	d.size = (unsigned)c->t->ci_len;
	if (gnutls_pkcs7_import(c->p7, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_pkcs7_deinit(c->p7);
		c->p7 = NULL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* One SignerInfo                                                       */
/* ------------------------------------------------------------------ */

static bool same_bytes(const unsigned char *a, size_t alen,
		       const unsigned char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool cert_is_signer(gnutls_x509_crt_t crt, const smime_signer_view *v)
{
	unsigned char buf[128];
	size_t size = sizeof(buf);
	gnutls_datum_t dn = {NULL, 0};
	const unsigned char *a, *b;
	size_t alen, blen;
	bool match;

	if (v->by_ski)
		return gnutls_x509_crt_get_subject_key_id(crt, buf, &size,
							  NULL) >= 0 &&
		       same_bytes(buf, size, v->sid_ski, v->sid_ski_len);
	if (gnutls_x509_crt_get_raw_issuer_dn(crt, &dn) < 0)
		return false;
	match = same_bytes(dn.data, dn.size, v->sid_issuer, v->sid_issuer_len);
	gnutls_free(dn.data);
	if (!match || gnutls_x509_crt_get_serial(crt, buf, &size) < 0)
		return false;
	a = buf;
	alen = size;
	b = v->sid_serial;
	blen = v->sid_serial_len;
	if (blen == 0)
		return false;
	smime_serial_trim(&a, &alen);
	smime_serial_trim(&b, &blen);
	return same_bytes(a, alen, b, blen);
}

/* The signer's certificate among the local certificates of the author
 * addresses: the key store's, then the directory's, address by
 * address. */
static gnutls_x509_crt_t find_local(const smime_verify_req *req,
				    const smime_signer_view *v)
{
	for (size_t i = 0; i < req->naddresses; i++) {
		const char *a = req->addresses[i];
		const smime_key *k;
		const smime_cert *cert;
		size_t pos = 0;

		while ((k = smime_keystore_find_address(req->local.keys, a,
							&pos)) != NULL)
			if (cert_is_signer(smime_key_cert(k)->crt, v))
				return smime_key_cert(k)->crt;
		pos = 0;
		while ((cert = smime_certdir_find_address(req->local.certdir, a,
							  &pos)) != NULL)
			if (cert_is_signer(cert->crt, v))
				return cert->crt;
	}
	return NULL;
}

/* The certificates the directory and HarvestDirectory hold for the
 * author addresses, asked once per SignedData; an address the directory
 * could not answer for (or a resource failure there) leaves the state
 * unavailable.  A harvest file that cannot be read counts as none. */
static void ask_directory(sd_ctx *c)
{
	const smime_verify_req *req = c->req;

	c->dir_state = DIR_ANSWERED;
	for (size_t i = 0; i < req->naddresses; i++) {
		smime_found placed = {0}, harvested = {0};
		int ans = SMIME_DIR_ANSWERED;

		if (req->local.directory != NULL)
			ans = req->local.directory(req->local.directory_arg,
						   req->addresses[i], &placed,
						   &harvested);
		if (req->local.harvest_dir != NULL &&
		    smime_harvest_read(req->local.harvest_dir,
				       req->addresses[i],
				       &harvested) == SMIME_E_NOMEM)
			ans = SMIME_E_NOMEM;
		if (ans != SMIME_DIR_ANSWERED ||
		    smime_found_take(&c->dir, &placed) < 0 ||
		    smime_found_take(&c->dir, &harvested) < 0)
			c->dir_state = DIR_UNAVAILABLE;
		smime_found_clear(&placed);
		smime_found_clear(&harvested);
	}
}

static gnutls_x509_crt_t find_fetched(sd_ctx *c, const smime_signer_view *v)
{
	if (c->req->local.directory == NULL &&
	    c->req->local.harvest_dir == NULL)
		return NULL;
	if (c->dir_state == DIR_NOT_ASKED)
		ask_directory(c);
	for (size_t i = 0; i < c->dir.ncerts; i++)
		if (cert_is_signer(c->dir.certs[i]->crt, v))
			return c->dir.certs[i]->crt;
	return NULL;
}

static gnutls_x509_crt_t find_cert(sd_ctx *c, const smime_signer_view *v)
{
	gnutls_x509_crt_t crt;

	for (size_t i = 0; i < c->t->ncerts; i++)
		if (c->t->certs[i] != NULL && cert_is_signer(c->t->certs[i], v))
			return c->t->certs[i];
	for (size_t i = 0; i < c->trust->nanchors; i++)
		if (cert_is_signer(c->trust->anchors[i], v))
			return c->trust->anchors[i];
	crt = find_local(c->req, v);
	return crt != NULL ? crt : find_fetched(c, v);
}

static int cert_names(gnutls_x509_crt_t crt, smime_sigcheck *out)
{
	gnutls_datum_t dn = {NULL, 0};
	unsigned char serial[64];
	size_t size = sizeof(serial);
	int r, ret = 0;

	r = gnutls_x509_crt_get_raw_issuer_dn(crt, &dn);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return SMIME_E_NOMEM;
	if (r >= 0) {
		ret = smime_dn_to_string(dn.data, dn.size, &out->cert_issuer);
		gnutls_free(dn.data);
		if (ret == SMIME_E_NOMEM)
			return ret;
	}
	if (gnutls_x509_crt_get_serial(crt, serial, &size) >= 0 && size > 0) {
		ret = smime_serial_hex(serial, size, &out->cert_serial);
		if (ret == SMIME_E_NOMEM)
			return ret;
	}
	return 0;
}

/* The signer's key for the signature, once it passed SPEC section 7's
 * limits; NULL with SMIME_E_UNSUPPORTED for a key that cannot be
 * imported or is refused. */
static int signer_key(gnutls_x509_crt_t crt, gnutls_pubkey_t *pub)
{
	int r;

	if (gnutls_pubkey_init(pub) < 0)
		return SMIME_E_NOMEM;
	r = gnutls_pubkey_import_x509(*pub, crt, 0);
	r = r == GNUTLS_E_MEMORY_ERROR ? SMIME_E_NOMEM
	    : r < 0                    ? SMIME_E_UNSUPPORTED
				       : smime_verify_key_check(*pub);
	if (r < 0) {
		gnutls_pubkey_deinit(*pub);
		*pub = NULL;
	}
	return r;
}

/* The signature over each form of the content until one matches: 0,
 * SMIME_E_CRYPTO, SMIME_E_UNSUPPORTED, SMIME_E_PARSE, SMIME_E_NOMEM. */
static int try_forms(sd_ctx *c, const smime_signer_view *v,
		     gnutls_x509_crt_t crt, smime_sigcheck *out)
{
	gnutls_pubkey_t pub = NULL;
	const unsigned char *p, *p0 = NULL;
	size_t n, n0 = 0;
	int ret;

	/* GnuTLS's own PKCS#7 parser must read the SignedData, as when it
	 * verified the non-PSS signatures itself: what it refuses stays
	 * malformed. */
	if (strcmp(v->sig_oid, OID_RSASSA_PSS) != 0 && c->p7 == NULL)
		return SMIME_E_PARSE;
	ret = signer_key(crt, &pub);
	if (ret < 0)
		return ret;
	ret = SMIME_E_CRYPTO;
	for (int k = 0;
	     k < smime_content_forms(&c->content) && ret == SMIME_E_CRYPTO;
	     k++) {
		int r = smime_content_form(&c->content, k, &p, &n);

		if (r < 0) {
			ret = r;
			break;
		}
		if (k == 1 && same_bytes(p, n, p0, n0))
			break; /* no other form to try */
		p0 = p;
		n0 = n;
		ret = smime_verify_signature(v, pub, &c->content, k,
					     c->trust->vflags);
		if (ret == 0)
			out->lf_form = k == 1;
	}
	gnutls_pubkey_deinit(pub);
	return ret;
}

/* The signature, over the canonical form and then the bare-LF form. */
static int check_signature(sd_ctx *c, const smime_signer_view *v,
			   gnutls_x509_crt_t crt, smime_sigcheck *out)
{
	int ret;

	if (c->req->content == NULL && !c->has_econtent) {
		/* A detached signature without its content: nothing to
		 * check it against. */
		out->problems |= BIT(MALFORMED);
		return 0;
	}
	ret = try_forms(c, v, crt, out);
	switch (ret) {
	case 0:
		out->match = SMIME_SIGMATCH_OK;
		return 0;
	case SMIME_E_NOMEM:
		return ret;
	case SMIME_E_CRYPTO:
		out->match = SMIME_SIGMATCH_BAD;
		out->problems |= BIT(BAD_SIGNATURE);
		return 0;
	case SMIME_E_UNSUPPORTED:
		out->match = SMIME_SIGMATCH_UNSUPPORTED;
		out->problems |= BIT(UNSUPPORTED_ALGORITHM);
		return 0;
	default:
		out->match = SMIME_SIGMATCH_BAD;
		out->problems |= BIT(MALFORMED);
		return 0;
	}
}

static bool digest_listed(const sd_ctx *c, const char *oid)
{
	for (size_t i = 0; i < c->ndigests; i++)
		if (strcmp(c->digests[i], oid) == 0)
			return true;
	return false;
}

/*
 * The hash the signature was computed with (verify_signature.c), judged
 * for WeakDigests (SPEC section 7, issue 13 F2: digestAlgorithm alone is
 * a label anyone can change).  *usable says whether the signature can be
 * checked with it.
 */
static int check_hash(const sd_ctx *c, const smime_signer_view *v,
		      smime_sigcheck *out, bool *usable)
{
	gnutls_digest_algorithm_t hash;
	int ret = smime_signature_hash(v, &hash);

	*usable = ret == 0;
	if (ret == SMIME_E_NOMEM)
		return ret;
	if (ret == SMIME_E_PARSE) {
		out->problems |= BIT(MALFORMED);
		out->match = SMIME_SIGMATCH_BAD;
	} else if (ret < 0) {
		out->problems |= BIT(UNSUPPORTED_ALGORITHM);
		out->match = SMIME_SIGMATCH_UNSUPPORTED;
	}
	if (hash != GNUTLS_DIG_UNKNOWN &&
	    smime_trust_digest_weak(c->trust, hash))
		out->problems |= BIT(WEAK_DIGEST);
	return 0;
}

/* The DER of a passing signer's certificate, for harvesting. */
static int keep_signer(gnutls_x509_crt_t crt, smime_sigcheck *out)
{
	gnutls_datum_t d = {NULL, 0};
	int r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d);

	if (r < 0)
		return r == GNUTLS_E_MEMORY_ERROR ? SMIME_E_NOMEM : 0;
	out->signer_der = malloc(d.size);
	if (out->signer_der != NULL) {
		memcpy(out->signer_der, d.data, d.size);
		out->signer_der_len = d.size;
	}
	gnutls_free(d.data);
	return out->signer_der != NULL ? 0 : SMIME_E_NOMEM;
}

static int check_signer(sd_ctx *c, int index, smime_sigcheck *out)
{
	smime_signer_view v;
	gnutls_x509_crt_t crt = NULL;
	bool hash_usable;
	int ret;

	ret = smime_signer_view_read(c->t->node, c->t->der, c->t->len,
				     c->econtent_type, index, &v);
	if (ret < 0) {
		if (ret != SMIME_E_NOMEM) {
			out->problems |= BIT(MALFORMED);
			out->match = SMIME_SIGMATCH_BAD;
			ret = 0;
		}
		goto cleanup;
	}
	out->problems |= v.problems;
	out->has_signing_time = v.has_signing_time;
	out->signing_time = v.signing_time;
	out->has_caps = v.has_caps;
	out->caps = v.caps;
	out->caps_der = v.caps_der;
	out->caps_der_len = v.caps_der_len;
	v.caps_der = NULL;
	if (!digest_listed(c, v.digest_oid))
		out->problems |= BIT(MALFORMED); /* RFC 5652 5.1 */
	ret = check_hash(c, &v, out, &hash_usable);
	if (ret < 0)
		goto cleanup;
	crt = find_cert(c, &v);
	if (crt == NULL) {
		out->problems |= c->dir_state == DIR_UNAVAILABLE
					 ? BIT(DIRECTORY_UNAVAILABLE)
					 : BIT(NO_CERTIFICATE);
		if (hash_usable)
			out->match = SMIME_SIGMATCH_UNSUPPORTED;
		goto cleanup;
	}
	ret = cert_names(crt, out);
	/* A signature whose hash cannot be named is not checked at all. */
	if (ret == 0 && hash_usable)
		ret = check_signature(c, &v, crt, out);
	if (ret == 0) {
		smime_chain_input in = {
			.trust = c->trust,
			.signer = crt,
			.pool = c->t->certs,
			.npool = c->t->ncerts,
			.now = c->req->now,
			.has_signing_time = v.has_signing_time,
			.signing_time = v.signing_time,
			.addresses = c->req->addresses,
			.naddresses = c->req->naddresses,
			.uncached = c->req->uncached,
		};
		ret = smime_chain_check(&in, &out->problems, &out->identifier);
	}
cleanup:
	smime_signer_view_free(&v);
	decide(out);
	if (ret == 0 && crt != NULL && out->result == SMIME_RESULT_PASS)
		ret = keep_signer(crt, out);
	return ret;
}

int smime_verify_decoded(const smime_trust *trust, const smime_verify_req *req,
			 smime_cms_tree *t, const smime_buf *econtent,
			 smime_sigcheck **out, size_t *nout, size_t *nleft)
{
	sd_ctx c;
	smime_sigcheck *v = NULL;
	int n = 0, ret;
	size_t k;

	if (trust == NULL || req == NULL || t == NULL || econtent == NULL ||
	    out == NULL || nout == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	*nout = 0;
	if (nleft != NULL)
		*nleft = 0;
	memset(&c, 0, sizeof(c));
	c.trust = trust;
	c.req = req;
	c.t = t;
	c.econtent = econtent;
	ret = ctx_open(&c);
	if (ret == 0)
		ret = smime_asn1_err(
			asn1_number_of_elements(t->node, "signerInfos", &n));
	if (ret == SMIME_E_NOMEM)
		goto cleanup;
	if (ret == 0 && n == 0)
		goto cleanup; /* certs-only (RFC 8551 3.8): no signature */
	if (ret < 0 || n < 0 || n > MAX_SIGNERS) {
		/* Nothing to verify: one neutral verdict for the layer. */
		v = calloc(1, sizeof(*v));
		if (v == NULL) {
			ret = SMIME_E_NOMEM;
			goto cleanup;
		}
		v->problems = BIT(MALFORMED);
		v->match = SMIME_SIGMATCH_BAD;
		decide(v);
		*out = v;
		*nout = 1;
		ret = 0;
		goto cleanup;
	}
	/* MaxSignatures: the signers after the first max_signers are only
	 * counted; nothing of theirs is read, let alone hashed. */
	k = req->max_signers > 0 && req->max_signers < (size_t)n
		    ? req->max_signers
		    : (size_t)n;
	v = calloc(k, sizeof(*v));
	if (v == NULL) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < k && ret == 0; i++)
		ret = check_signer(&c, (int)i, &v[i]);
	if (ret < 0) {
		smime_sigchecks_free(v, k);
		goto cleanup;
	}
	*out = v;
	*nout = k;
	if (nleft != NULL)
		*nleft = (size_t)n - k;
cleanup:
	ctx_free(&c);
	return ret;
}

int smime_verify_signed(const smime_trust *trust, const smime_verify_req *req,
			smime_sigcheck **out, size_t *nout, size_t *nleft)
{
	smime_cms_tree t = {0};
	smime_buf ec = SMIME_BUF_INIT;
	int ret;

	if (trust == NULL || req == NULL || out == NULL || nout == NULL ||
	    req->der == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	*nout = 0;
	if (nleft != NULL)
		*nleft = 0;
	ret = smime_cms_signed_decode(req->der, req->der_len, NULL, 0, &t);
	if (ret == 0 && req->content == NULL)
		ret = smime_cms_signed_econtent(&t, &ec);
	if (ret == SMIME_E_NOMEM)
		goto cleanup;
	if (ret < 0)
		smime_cms_tree_free(&t); /* unreadable: one malformed verdict */
	ret = smime_verify_decoded(trust, req, &t, &ec, out, nout, nleft);
cleanup:
	smime_buf_free(&ec); /* plaintext of an opaque message */
	smime_cms_tree_free(&t);
	return ret;
}
