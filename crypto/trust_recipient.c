/*
 * trust_recipient.c - may the gateway wrap a content key for this
 * correspondent's certificate?  SPEC sections 8 and 9, outbound
 * re-encryption: a recipient certificate from CertDirectory must be valid
 * now, allow key encipherment for S/MIME, chain to a trust anchor
 * (TrustAnchorFile), and not be revoked by the configured CRLs.
 *
 * Key usage: where keyUsage is present it must have keyEncipherment for
 * an RSA key (key transport; keyAgreement for an EC key), where
 * extKeyUsage is present emailProtection or anyExtendedKeyUsage (RFC 8550
 * section 4.4.2; the check is verify_chain.c's, with the signer's bits
 * swapped for these).
 *
 * Path: the anchors are those of the trust store that signature
 * verification uses (trust.c); the issuers come from the certificate
 * directory and, failing that, from the key store's certificates (the
 * keys' own and their chains), found through their subject indexes
 * (certdir.c, keystore.c) among the certificates parsed at load, so
 * nothing is parsed here.  The path goes up from the certificate, taking
 * at each step the first directory certificate that issued the one
 * before, else the first key store one, until a self-issued certificate,
 * a certificate without a known issuer, or MAX_CHAIN certificates.
 * GnuTLS then judges that path against the anchors
 * (gnutls_x509_trust_list_verify_crt2: signatures, CA flags, path
 * length, name constraints; it stops at the first certificate of the
 * path that is itself an anchor).
 *
 * Flags: GnuTLS's time checks are off, and only the certificate itself
 * is held to the caller's clock (`smime-tool process --at` rules; the
 * issuers' validity is not checked).  Unlike signature verification,
 * GNUTLS_VERIFY_ALLOW_BROKEN and GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 are
 * not set: there is no policy word to report a weak chain with here, so
 * a chain GnuTLS considers signed with a broken or insecure algorithm is
 * not trusted.
 *
 * Revocation: only when the store has CRLs configured (CRLFile).  Then
 * every certificate of the path below the anchor is judged as
 * verify_chain.c judges a signer's path (smime_crl_check: a CRL from its
 * issuer, signed by the issuer of the path, current at the caller's
 * clock), but more strictly: a certificate is trusted only when such a
 * CRL exists and does not list it.  Revoked, or no CRL of its issuer
 * that counts (none loaded, stale, bad signature: the signature side's
 * crl-unavailable), is not trusted, because the gateway must not wrap a
 * key for a certificate whose revocation it cannot decide when the
 * operator asked for CRL checking.  Delta and indirect CRLs are not
 * interpreted.
 *
 * Reasons (smime_judge_recipient, for the lookup and `smime-tool
 * lookup`): the first check that fails names it, in this order: validity
 * (expired, not-yet-valid), key usage, path to an anchor (untrusted, also
 * without a trust store), revocation (revoked when a CRL that counts
 * lists a certificate of the path; untrusted when no CRL counts).
 *
 * Promises: smime_trust_recipient is true only when all of the above
 * holds; any failure, resource ones included, is false (a resource
 * failure is reported as untrusted), so the caller keeps the message
 * (action=kept) rather than guessing.  Reads the store, the directory
 * and the key store only, so any number of threads may ask at once.
 */
#include "keys_internal.h"
#include "verify_internal.h"

#define MAX_CHAIN 8

#define RCPT_VFLAGS                                                            \
	(GNUTLS_VERIFY_DISABLE_TIME_CHECKS |                                   \
	 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

/* The issuer of c among the directory's certificates, else among the key
 * store's. */
static const smime_cert *find_issuer(const smime_certdir *cd,
				     const smime_keystore *ks,
				     const smime_cert *c)
{
	const smime_cert *issuer = smime_certdir_find_issuer(cd, c);

	return issuer != NULL ? issuer : smime_keystore_find_issuer(ks, c);
}

/* SPEC section 9: keyEncipherment for an RSA key (key transport),
 * keyAgreement for an EC one; emailProtection or anyExtendedKeyUsage. */
static bool usage_ok(const smime_cert *c)
{
	int pk = gnutls_x509_crt_get_pk_algorithm(c->crt, NULL);
	bool agree = pk == GNUTLS_PK_EC || pk == GNUTLS_PK_ECDH_X25519 ||
		     pk == GNUTLS_PK_ECDH_X448;

	return smime_cert_usage_ok(c->crt, agree ? GNUTLS_KEY_KEY_AGREEMENT
						 : GNUTLS_KEY_KEY_ENCIPHERMENT);
}

static bool is_anchor(const smime_trust *t, gnutls_x509_crt_t c)
{
	for (size_t i = 0; i < t->nanchors; i++)
		if (gnutls_x509_crt_equals(t->anchors[i], c))
			return true;
	return false;
}

/* With CRLs configured, every certificate of the path below the anchor
 * needs a CRL of its issuer (the next certificate of the path, or the
 * anchor that issued the last) that counts now and does not list it:
 * SMIME_RCPT_REVOKED when one that counts lists it, SMIME_RCPT_UNTRUSTED
 * when none counts (its revocation cannot be decided), the first such
 * certificate of the path deciding. */
static smime_rcpt_status revocation(const smime_trust *t,
				    const gnutls_x509_crt_t *chain, unsigned n,
				    time_t now)
{
	if (!t->crl_configured)
		return SMIME_RCPT_OK;
	for (unsigned i = 0; i < n && !is_anchor(t, chain[i]); i++) {
		gnutls_x509_crt_t issuer = i + 1 < n ? chain[i + 1] : NULL;
		gnutls_x509_crt_t copy = NULL;
		smime_crl_status crl = SMIME_CRL_NONE;

		if (issuer == NULL &&
		    gnutls_x509_trust_list_get_issuer(t->tl, chain[i], &copy,
						      GNUTLS_TL_GET_COPY) == 0)
			issuer = copy;
		if (issuer != NULL)
			crl = smime_crl_check(t, now, chain[i], issuer);
		if (copy != NULL)
			gnutls_x509_crt_deinit(copy);
		if (crl == SMIME_CRL_REVOKED)
			return SMIME_RCPT_REVOKED;
		if (crl != SMIME_CRL_GOOD)
			return SMIME_RCPT_UNTRUSTED;
	}
	return SMIME_RCPT_OK;
}

smime_rcpt_status smime_judge_own_cert(const smime_cert *cert, time_t now)
{
	if (cert == NULL)
		return SMIME_RCPT_NO_CERTIFICATE;
	if (now > cert->info.not_after)
		return SMIME_RCPT_EXPIRED;
	if (now < cert->info.not_before)
		return SMIME_RCPT_NOT_YET_VALID;
	return usage_ok(cert) ? SMIME_RCPT_OK : SMIME_RCPT_KEY_USAGE;
}

const char *smime_rcpt_status_name(smime_rcpt_status s)
{
	static const char *const names[] = {
		[SMIME_RCPT_OK] = "ok",
		[SMIME_RCPT_NO_CERTIFICATE] = "no-certificate",
		[SMIME_RCPT_EXPIRED] = "expired",
		[SMIME_RCPT_NOT_YET_VALID] = "not-yet-valid",
		[SMIME_RCPT_KEY_USAGE] = "key-usage",
		[SMIME_RCPT_UNTRUSTED] = "untrusted",
		[SMIME_RCPT_REVOKED] = "revoked",
		[SMIME_RCPT_DIRECTORY_UNAVAILABLE] = "directory-unavailable",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
							      : "unknown";
}

smime_rcpt_status smime_judge_recipient(const smime_trust *t,
					const smime_cert *cert,
					const smime_certdir *pool,
					const smime_keystore *keys, time_t now)
{
	gnutls_x509_crt_t chain[MAX_CHAIN];
	const smime_cert *top = cert;
	unsigned n = 1, status = 1;

	smime_rcpt_status s = smime_judge_own_cert(cert, now);

	if (s != SMIME_RCPT_OK)
		return s;
	if (t == NULL)
		return SMIME_RCPT_UNTRUSTED;
	chain[0] = cert->crt;
	while (n < MAX_CHAIN &&
	       !gnutls_x509_crt_check_issuer(top->crt, top->crt) &&
	       (top = find_issuer(pool, keys, top)) != NULL)
		chain[n++] = top->crt;
	if (gnutls_x509_trust_list_verify_crt2(t->tl, chain, n, NULL, 0,
					       RCPT_VFLAGS, &status,
					       NULL) != 0 ||
	    status != 0)
		return SMIME_RCPT_UNTRUSTED;
	return revocation(t, chain, n, now);
}

bool smime_trust_recipient(const smime_trust *t, const smime_cert *cert,
			   const smime_certdir *pool,
			   const smime_keystore *keys, time_t now)
{
	return smime_judge_recipient(t, cert, pool, keys, now) == SMIME_RCPT_OK;
}
