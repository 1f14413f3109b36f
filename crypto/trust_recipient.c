/*
 * trust_recipient.c - may the gateway wrap a content key for this
 * correspondent's certificate?  SPEC section 8, outbound re-encryption: a
 * recipient certificate from CertDirectory must be valid now and chain to
 * a trust anchor (TrustAnchorFile).
 *
 * How: the anchors are those of the trust store that signature
 * verification uses (trust.c); the issuers come from the certificate
 * directory, found through its subject index (certdir.c) among the
 * certificates it parsed when it loaded, so nothing is parsed here.  The
 * path goes up from the certificate, taking at each step the first
 * directory certificate that issued the one before, until a self-issued
 * certificate, a certificate without an issuer in the directory, or
 * MAX_CHAIN certificates.  GnuTLS then judges that path against the
 * anchors (gnutls_x509_trust_list_verify_crt2: signatures, CA flags, path
 * length, name constraints; it stops at the first certificate of the
 * path that is itself an anchor).
 *
 * Flags: GnuTLS's time checks are off, and only the certificate itself
 * is held to the caller's clock (`smime-tool process --at` rules; the
 * issuers' validity is not checked).  Unlike signature verification,
 * GNUTLS_VERIFY_ALLOW_BROKEN and GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 are
 * not set: there is no policy word to report a weak chain with here, so
 * a chain GnuTLS considers signed with a broken or insecure algorithm is
 * not trusted.  CRLs and key usage are not consulted.
 *
 * Promises: true only when all of the above holds; any failure, resource
 * ones included, is false, so the caller keeps the message (action=kept)
 * rather than guessing.  Reads the store and the directory only, so any
 * number of threads may ask at once.
 */
#include "keys_internal.h"
#include "verify_internal.h"

#define MAX_CHAIN 8

#define RCPT_VFLAGS                                                            \
	(GNUTLS_VERIFY_DISABLE_TIME_CHECKS |                                   \
	 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

bool smime_trust_recipient(const smime_trust *t, const smime_cert *cert,
			   const smime_certdir *pool, time_t now)
{
	gnutls_x509_crt_t chain[MAX_CHAIN];
	const smime_cert *top = cert;
	unsigned n = 1, status = 1;

	if (t == NULL || cert == NULL || now < cert->info.not_before ||
	    now > cert->info.not_after)
		return false;
	chain[0] = cert->crt;
	while (n < MAX_CHAIN &&
	       !gnutls_x509_crt_check_issuer(top->crt, top->crt) &&
	       (top = smime_certdir_find_issuer(pool, top)) != NULL)
		chain[n++] = top->crt;
	return gnutls_x509_trust_list_verify_crt2(t->tl, chain, n, NULL, 0,
						  RCPT_VFLAGS, &status,
						  NULL) == 0 &&
	       status == 0;
}
