/*
 * verify_chain.c - everything about the signer's certificate once the
 * signature itself is settled: the chain to a trust anchor, validity at
 * signing time and now, revocation by the configured CRLs, key usage and
 * extended key usage, the RSA or DSA key size, the digests of the chain's
 * signatures, and the From/Sender address (SPEC section 7).
 *
 * How: the path is built here, from the signer through the SignedData's
 * certificates (gnutls_x509_crt_check_issuer: names and key identifiers)
 * up to a certificate whose issuer is in the trust list.  GnuTLS then
 * judges that path (gnutls_x509_trust_list_verify_crt2: signatures, CA
 * flags, path length, name constraints) with its time checks switched
 * off, and the store remembers that judgement for the path
 * (trust_cache.c: it depends on no clock and no CRL).  Validity (every
 * certificate now, the signer's also at signingTime) and CRL freshness
 * are checked here against the caller's clock on every message, because
 * GnuTLS would use the wall clock and `--at` must rule.
 *
 * Revocation: a CRL counts for a certificate when its issuer name is the
 * certificate's issuer name, its signature verifies with the issuing
 * certificate of the path, and now lies between thisUpdate and
 * nextUpdate.  A certificate listed by such a CRL is revoked.  When CRLs
 * for the issuer exist but none counts (stale, bad signature, issued in
 * the future), revocation cannot be decided: crl-unavailable.  An issuer
 * without any CRL is not checked (SPEC: "checked when present").  Delta
 * CRLs, indirect CRLs and distribution-point scopes are not interpreted.
 *
 * The CRL lookup (smime_crl_check) and the key usage check
 * (smime_cert_usage_ok, with the key usage bits as a parameter) serve
 * recipient certificates too (trust_recipient.c).
 *
 * Promises: every problem becomes a reason bit; only resource errors fail.
 */
#include "verify_internal.h"
#include "oid.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PATH 16 /* certificates between signer and anchor */
#define MAX_PURPOSES 256

#define BIT(r) SMIME_REASON_BIT(SMIME_REASON_##r)

typedef struct path {
	gnutls_x509_crt_t v[MAX_PATH]; /* borrowed: signer, then the pool */
	size_t n;
	/* the trust list's own certificate, borrowed, or NULL: the list
	 * holds files' certificates only (no PKCS #11 module, which would
	 * need GNUTLS_TL_GET_COPY) and lives, unchanged, as long as the
	 * store; a copy per message cost a quarter of the chain check */
	gnutls_x509_crt_t anchor;
} path;

static bool in_path(const path *p, gnutls_x509_crt_t c)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] == c)
			return true;
	return false;
}

static int build_path(const smime_chain_input *in, path *p)
{
	p->v[0] = in->signer;
	p->n = 1;
	for (;;) {
		gnutls_x509_crt_t cur = p->v[p->n - 1], next = NULL;
		int r;

		r = gnutls_x509_trust_list_get_issuer(in->trust->tl, cur,
						      &p->anchor, 0);
		if (r == GNUTLS_E_MEMORY_ERROR)
			return SMIME_E_NOMEM;
		if (r == 0)
			return 0;
		p->anchor = NULL;
		if (gnutls_x509_crt_check_issuer(cur, cur) || p->n == MAX_PATH)
			return 0; /* self-issued and not trusted, or too long */
		for (size_t i = 0; i < in->npool && next == NULL; i++)
			if (in->pool[i] != NULL && !in_path(p, in->pool[i]) &&
			    gnutls_x509_crt_check_issuer(cur, in->pool[i]))
				next = in->pool[i];
		if (next == NULL)
			return 0;
		p->v[p->n++] = next;
	}
}

/* GnuTLS's judgement of an anchored path; *verdict is false when GnuTLS
 * failed (memory) rather than judged. */
static uint32_t gnutls_judgement(const smime_chain_input *in, path *p,
				 bool *verdict)
{
	unsigned status = 0;
	int r;

	r = gnutls_x509_trust_list_verify_crt2(
		in->trust->tl, p->v, (unsigned)p->n, NULL, 0, in->trust->vflags,
		&status, NULL);
	*verdict = r >= 0;
	if (r < 0)
		return BIT(UNTRUSTED);
	if (status == 0)
		return 0;
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return BIT(WEAK_DIGEST);
	/* Signer not found or not a CA, a CA signature that does not
	 * verify, path length and name constraints: no path to an anchor. */
	return BIT(UNTRUSTED);
}

/* The judgement depends on the path's certificates, the trust list and
 * the flags only (no clock, no CRL: trust_cache.c says why), so the
 * store's cache keeps it, keyed by the DER of the whole path.  A key that
 * cannot be made (memory) only costs the cache. */
static uint32_t check_path(const smime_chain_input *in, path *p)
{
	smime_chain_cache *cache = in->trust->chain_cache;
	unsigned char key[SMIME_CHAIN_KEY_SIZE];
	bool keyed, verdict;
	uint32_t pr;

	if (p->anchor == NULL)
		return BIT(UNTRUSTED); /* at once: nothing worth caching */
	if (in->uncached) /* decrypted content: no look, no trace */
		return gnutls_judgement(in, p, &verdict);
	keyed = smime_chain_cache_key(cache, in->trust->vflags, p->v, p->n,
				      p->anchor, key) == 0;
	if (keyed && smime_chain_cache_get(cache, key, &pr))
		return pr;
	pr = gnutls_judgement(in, p, &verdict);
	if (keyed && verdict)
		smime_chain_cache_put(cache, key, pr);
	return pr;
}

static uint32_t time_problems(gnutls_x509_crt_t c, time_t t)
{
	time_t from = gnutls_x509_crt_get_activation_time(c);
	time_t until = gnutls_x509_crt_get_expiration_time(c);

	if (from == (time_t)-1 || until == (time_t)-1)
		return BIT(MALFORMED);
	if (t < from)
		return BIT(NOT_YET_VALID);
	if (t > until)
		return BIT(EXPIRED);
	return 0;
}

/* Every certificate of the path must be valid now (RFC 5280 6.1.3); the
 * signer's certificate also at signing time (SPEC section 7).  The CAs
 * are not held to the signing time: a CA certificate renewed after the
 * message was signed does not make the signature younger than its CA. */
static uint32_t check_times(const smime_chain_input *in, const path *p)
{
	uint32_t pr = 0;

	for (size_t i = 0; i <= p->n; i++) {
		gnutls_x509_crt_t c = i < p->n ? p->v[i] : p->anchor;

		if (c != NULL)
			pr |= time_problems(c, in->now);
	}
	if (in->has_signing_time)
		pr |= time_problems(in->signer, in->signing_time);
	return pr;
}

static bool same_issuer(gnutls_x509_crl_t crl, gnutls_x509_crt_t c)
{
	gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
	bool same;

	if (gnutls_x509_crl_get_raw_issuer_dn(crl, &a) < 0)
		return false;
	if (gnutls_x509_crt_get_raw_issuer_dn(c, &b) < 0) {
		gnutls_free(a.data);
		return false;
	}
	same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	return same;
}

/* Whether a CRL of the certificate's issuer can be relied on now. */
static bool crl_usable(const smime_trust *t, time_t now, gnutls_x509_crl_t crl,
		       gnutls_x509_crt_t issuer)
{
	unsigned status = 0;
	time_t this_update, next_update;

	if (gnutls_x509_crl_verify(crl, &issuer, 1, t->vflags, &status) < 0 ||
	    status != 0)
		return false;
	this_update = gnutls_x509_crl_get_this_update(crl);
	next_update = gnutls_x509_crl_get_next_update(crl);
	if (this_update == (time_t)-1 || this_update > now)
		return false;
	return next_update == (time_t)-1 || next_update >= now;
}

smime_crl_status smime_crl_check(const smime_trust *t, time_t now,
				 gnutls_x509_crt_t c, gnutls_x509_crt_t issuer)
{
	bool found = false, usable = false;

	for (size_t i = 0; i < t->ncrls; i++) {
		gnutls_x509_crl_t crl = t->crls[i];

		if (!same_issuer(crl, c))
			continue;
		found = true;
		if (issuer == NULL || !crl_usable(t, now, crl, issuer))
			continue;
		usable = true;
		if (gnutls_x509_crt_check_revocation(c, &crl, 1) == 1)
			return SMIME_CRL_REVOKED;
	}
	if (!found)
		return SMIME_CRL_NONE;
	return usable ? SMIME_CRL_GOOD : SMIME_CRL_UNAVAILABLE;
}

static uint32_t check_revocation(const smime_chain_input *in, const path *p)
{
	uint32_t pr = 0;

	if (in->trust->ncrls == 0)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		gnutls_x509_crt_t issuer =
			i + 1 < p->n ? p->v[i + 1] : p->anchor;

		/* The top of a path without an anchor has no known issuer to
		 * check a CRL with (and the path is untrusted anyway). */
		if (i + 1 == p->n && p->anchor == NULL)
			break;
		switch (smime_crl_check(in->trust, in->now, p->v[i], issuer)) {
		case SMIME_CRL_REVOKED:
			pr |= BIT(REVOKED);
			break;
		case SMIME_CRL_UNAVAILABLE:
			pr |= BIT(CRL_UNAVAILABLE);
			break;
		default: /* good, or an issuer without CRLs: not checked */
			break;
		}
	}
	return pr;
}

bool smime_cert_usage_ok(gnutls_x509_crt_t c, unsigned key_usage)
{
	unsigned ku = 0;
	bool eku_ok = false;
	int r;

	r = gnutls_x509_crt_get_key_usage(c, &ku, NULL);
	if (r >= 0 && !(ku & key_usage))
		return false;
	if (r < 0 && r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return false; /* present but unreadable */
	for (unsigned i = 0; i < MAX_PURPOSES; i++) {
		char oid[128];
		size_t size = sizeof(oid);

		r = gnutls_x509_crt_get_key_purpose_oid(c, i, oid, &size, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return i == 0 || eku_ok;
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue; /* a long OID is neither of ours */
		if (r < 0)
			return false;
		if (strcmp(oid, OID_KP_EMAIL) == 0 ||
		    strcmp(oid, OID_KP_ANY) == 0)
			eku_ok = true;
	}
	return eku_ok;
}

/* RFC 8550 4.4.2: digitalSignature or nonRepudiation for a signer. */
static uint32_t check_usage(gnutls_x509_crt_t c)
{
	return smime_cert_usage_ok(c, GNUTLS_KEY_DIGITAL_SIGNATURE |
					      GNUTLS_KEY_NON_REPUDIATION)
		       ? 0
		       : BIT(KEY_USAGE);
}

static uint32_t check_strength(const smime_chain_input *in, const path *p)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(in->signer, &bits);
	uint32_t pr = 0;

	/* MinRSABits holds DSA keys too: their modulus p compares with
	 * RSA's n (NIST SP 800-57: 2048 bits both for 112-bit strength). */
	if ((pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS ||
	     pk == GNUTLS_PK_DSA) &&
	    bits < in->trust->min_rsa_bits)
		pr |= BIT(WEAK_KEY);
	/* The signatures of the path (an untrusted self-signed top's own
	 * signature proves nothing and does not count). */
	for (size_t i = 0; i < p->n; i++) {
		int sa;

		if (i + 1 == p->n && p->anchor == NULL)
			break;
		sa = gnutls_x509_crt_get_signature_algorithm(p->v[i]);
		if (sa > 0 &&
		    smime_trust_digest_weak(
			    in->trust, gnutls_sign_get_hash_algorithm(
					       (gnutls_sign_algorithm_t)sa)))
			pr |= BIT(WEAK_DIGEST);
	}
	return pr;
}

static int check_address(const smime_chain_input *in, uint32_t *pr,
			 char **identifier)
{
	char **addrs = NULL;
	size_t n = 0;
	const char *match = NULL;
	int ret;

	ret = smime_cert_addresses(in->signer, &addrs, &n);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n && match == NULL && ret == 0; i++)
		for (size_t j = 0; j < in->naddresses && match == NULL; j++) {
			ret = smime_address_equal(addrs[i], in->addresses[j]);
			if (ret < 0)
				break;
			if (ret == 1)
				match = addrs[i];
			ret = 0;
		}
	if (ret < 0) {
		smime_strv_free(addrs, n);
		return ret;
	}
	if (match == NULL)
		*pr |= BIT(ADDRESS_MISMATCH);
	if (match == NULL && n > 0)
		match = addrs[0];
	if (match != NULL) {
		*identifier = strdup(match);
		if (*identifier == NULL)
			ret = SMIME_E_NOMEM;
	}
	smime_strv_free(addrs, n);
	return ret;
}

int smime_chain_check(const smime_chain_input *in, uint32_t *problems,
		      char **identifier)
{
	path p;
	uint32_t pr = 0;
	int ret;

	memset(&p, 0, sizeof(p));
	*identifier = NULL;
	ret = build_path(in, &p);
	if (ret < 0)
		goto cleanup;
	pr |= check_path(in, &p);
	pr |= check_times(in, &p);
	pr |= check_revocation(in, &p);
	pr |= check_usage(in->signer);
	pr |= check_strength(in, &p);
	ret = check_address(in, &pr, identifier);
	*problems |= pr;
cleanup:
	return ret;
}
