/*
 * found.c - certificates fetched for one address from a source outside
 * the loaded stores (smime_found): one DER certificate at a time
 * (userCertificate;binary, harvested PEM blocks), or the certificates
 * and capabilities of an RFC 2798 userSMIMECertificate, the SignedData
 * Outlook publishes: its certificates, and the SMIMECapabilities and
 * signingTime of its first SignerInfo's signed attributes.  The
 * signature of that SignedData is not checked: the certificates it
 * carries are judged one by one like any other (smime_judge_recipient),
 * and the capabilities are what the directory says of the address.
 *
 * Promises: an smime_found owns what it holds; smime_found_clear frees
 * it and leaves it empty, whatever was added.
 */
#include "keys_internal.h"
#include "verify_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* At most this many certificates are taken from one userSMIMECertificate
 * (a certificate, its chain, and spares). */
#define FOUND_MAX_CERTS 16

static int add_crt(smime_found *f, gnutls_x509_crt_t crt, const char *origin)
{
	smime_cert *c = NULL, **v;
	int ret = smime_cert_new(crt, origin, NULL, &c); /* takes crt */

	if (ret < 0)
		return ret;
	v = realloc(f->certs, (f->ncerts + 1) * sizeof *v);
	if (v == NULL) {
		smime_cert_free(c);
		return SMIME_E_NOMEM;
	}
	f->certs = v;
	v[f->ncerts++] = c;
	return 0;
}

int smime_found_add_der(smime_found *f, const unsigned char *der, size_t len,
			const char *origin)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};

	if (len > UINT_MAX)
		return SMIME_E_PARSE;
	if (gnutls_x509_crt_init(&crt) < 0)
		return SMIME_E_NOMEM;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return SMIME_E_PARSE;
	}
	return add_crt(f, crt, origin);
}

/* The capabilities and signingTime of the first SignerInfo, when it
 * has them and f has none yet or older ones. */
static int take_caps(smime_found *f, smime_cms_tree *t)
{
	smime_signer_view v;
	int ret;

	memset(&v, 0, sizeof v);
	if (!smime_asn1_present(t->node, "signerInfos.?1"))
		return 0;
	ret = smime_signer_view_read(t->node, t->der, t->len,
				     "1.2.840.113549.1.7.1", 0, &v);
	if (ret == 0 && v.has_caps &&
	    (!f->has_caps ||
	     (v.has_signing_time && v.signing_time > f->caps_time))) {
		f->has_caps = true;
		f->caps = v.caps;
		f->caps_time = v.has_signing_time ? v.signing_time : 0;
	}
	smime_signer_view_free(&v);
	return ret == SMIME_E_NOMEM ? ret : 0;
}

int smime_found_add_smime_cert(smime_found *f, const unsigned char *der,
			       size_t len, const char *origin)
{
	smime_cms_tree t;
	size_t taken = 0;
	int ret;

	memset(&t, 0, sizeof t);
	ret = smime_cms_signed_decode(der, len, NULL, 0, &t);
	if (ret == 0) {
		ret = smime_cms_tree_certs(&t);
		if (ret == SMIME_E_PARSE)
			ret = 0; /* the readable certificates are there */
	}
	for (size_t i = 0; ret == 0 && i < t.ncerts && taken < FOUND_MAX_CERTS;
	     i++) {
		if (t.certs[i] == NULL)
			continue;
		ret = add_crt(f, t.certs[i], origin);
		t.certs[i] = NULL; /* add_crt took it */
		if (ret == 0)
			taken++;
		else if (ret == SMIME_E_PARSE)
			ret = 0;
	}
	if (ret == 0 && t.node != NULL)
		ret = take_caps(f, &t);
	smime_cms_tree_free(&t);
	return ret;
}

int smime_found_take(smime_found *dst, smime_found *src)
{
	smime_cert **v;

	if (src->ncerts == 0)
		return 0;
	v = realloc(dst->certs, (dst->ncerts + src->ncerts) * sizeof *v);
	if (v == NULL)
		return SMIME_E_NOMEM;
	memcpy(v + dst->ncerts, src->certs, src->ncerts * sizeof *v);
	dst->certs = v;
	dst->ncerts += src->ncerts;
	free(src->certs);
	src->certs = NULL;
	src->ncerts = 0;
	return 0;
}

void smime_found_clear(smime_found *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->ncerts; i++)
		smime_cert_free(f->certs[i]);
	free(f->certs);
	memset(f, 0, sizeof *f);
}
