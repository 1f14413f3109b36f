/*
 * rcpt_anchors.c - may the gateway wrap a content key for this
 * certificate?  SPEC section 8, outbound: a recipient certificate must
 * chain to a trust anchor (TrustAnchorFile) or sit in KeyStore.
 *
 * The trust anchors are loaded a second time here, as a plain GnuTLS
 * trust list, because the engine's trust store is opaque and built for
 * SignedData.  Loaded once per configuration; read-only afterwards.
 *
 * Promises: milter_anchors_trust() is true only when GnuTLS verifies the
 * certificate with issuers taken from CertDirectory up to an anchor, and
 * the certificate itself is valid at `now` (the issuers' validity is left
 * to GnuTLS's own clock); any failure, resource ones included, is false,
 * so the caller keeps the message (action=kept) rather than guessing.
 */
#include "milter.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>

struct milter_anchors {
	gnutls_x509_trust_list_t tl;
};

#define MAX_CHAIN 8

void milter_anchors_free(milter_anchors *a)
{
	if (a == NULL)
		return;
	if (a->tl != NULL)
		gnutls_x509_trust_list_deinit(a->tl, 1);
	free(a);
}

int milter_anchors_load(const char *file, milter_anchors **out,
			smime_buf *diags)
{
	milter_anchors *a;
	int r;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL || gnutls_x509_trust_list_init(&a->tl, 0) < 0) {
		free(a);
		return SMIME_E_NOMEM;
	}
	r = gnutls_x509_trust_list_add_trust_file(a->tl, file, NULL,
						  GNUTLS_X509_FMT_PEM, 0, 0);
	if (r <= 0)
		r = gnutls_x509_trust_list_add_trust_file(
			a->tl, file, NULL, GNUTLS_X509_FMT_DER, 0, 0);
	if (r <= 0) {
		smime_buf_printf(diags, "%s: no trust anchor for recipient "
					"certificates: %s\n",
				 file, r < 0 ? gnutls_strerror(r) : "none found");
		milter_anchors_free(a);
		return SMIME_REPORTED;
	}
	*out = a;
	return SMIME_OK;
}

static int import(const smime_cert *c, gnutls_x509_crt_t *crt)
{
	gnutls_datum_t d;
	const unsigned char *der;
	size_t len;

	smime_cert_der(c, &der, &len);
	d.data = (unsigned char *)der;
	d.size = (unsigned)len;
	if (gnutls_x509_crt_init(crt) < 0)
		return SMIME_E_NOMEM;
	if (gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*crt);
		*crt = NULL;
		return SMIME_E_PARSE;
	}
	return SMIME_OK;
}

/* Appends the issuer of chain[*n - 1] found in CertDirectory, if any. */
static bool add_issuer(const smime_certdir *pool, gnutls_x509_crt_t *chain,
		       unsigned *n)
{
	for (size_t i = 0; pool && i < smime_certdir_count(pool); i++) {
		gnutls_x509_crt_t c;
		if (import(smime_certdir_at(pool, i), &c) < 0)
			continue;
		if (!gnutls_x509_crt_equals(c, chain[*n - 1]) &&
		    gnutls_x509_crt_check_issuer(chain[*n - 1], c)) {
			chain[(*n)++] = c;
			return true;
		}
		gnutls_x509_crt_deinit(c);
	}
	return false;
}

bool milter_anchors_trust(const milter_anchors *a, const smime_cert *cert,
			  const smime_certdir *pool, time_t now)
{
	const smime_cert_info *info = smime_cert_get_info(cert);
	gnutls_x509_crt_t chain[MAX_CHAIN];
	unsigned n = 0, status = 1;
	bool ok = false;

	if (a == NULL || info == NULL || now < info->not_before ||
	    now > info->not_after)
		return false;
	if (import(cert, &chain[0]) < 0)
		return false;
	n = 1;
	while (n < MAX_CHAIN &&
	       !gnutls_x509_crt_check_issuer(chain[n - 1], chain[n - 1]) &&
	       add_issuer(pool, chain, &n))
		;
	if (gnutls_x509_trust_list_verify_crt2(
		    a->tl, chain, n, NULL, 0,
		    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
		    &status, NULL) == 0 &&
	    status == 0)
		ok = true;
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(chain[i]);
	return ok;
}
