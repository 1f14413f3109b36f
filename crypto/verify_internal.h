/*
 * verify_internal.h - what the verification modules (trust.c, verify.c,
 * verify_sig.c, verify_chain.c, verify_names.c) share.  Not public.
 */
#ifndef SMIME_VERIFY_INTERNAL_H
#define SMIME_VERIFY_INTERNAL_H

#include "internal.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>

#define SMIME_DIGEST_BIT(d) ((unsigned)(d) < 32 ? 1u << (unsigned)(d) : 0u)

/* The store (trust.c).  Read-only once loaded. */
struct smime_trust {
	gnutls_x509_trust_list_t tl; /* owns the anchors */
	gnutls_x509_crt_t *anchors;  /* borrowed from tl */
	size_t nanchors;
	gnutls_x509_crl_t *crls;     /* owned */
	size_t ncrls;
	bool crl_configured;
	uint32_t weak_digests; /* SMIME_DIGEST_BIT set of WeakDigests */
	unsigned min_rsa_bits;
	unsigned vflags; /* GnuTLS verification flags (see trust.c) */
};

/* Whether a digest counts as weak: in WeakDigests, or one of the broken
 * ones (MD2, MD4) no configuration can make acceptable. */
bool smime_trust_digest_weak(const smime_trust *t, gnutls_digest_algorithm_t d);

/* --- verify_chain.c: everything about the signer's certificate --- */

typedef struct smime_chain_input {
	const smime_trust *trust;
	gnutls_x509_crt_t signer;
	const gnutls_x509_crt_t *pool; /* the SignedData's certificates */
	size_t npool;
	time_t now;
	bool has_signing_time;
	time_t signing_time;
	const char *const *addresses; /* From and Sender */
	size_t naddresses;
} smime_chain_input;

/* Checks the chain, validity, revocation, key usage, key size and the
 * address, adding SMIME_REASON_BIT()s to *problems; *identifier gets the
 * address for body.smime-identifier (malloc'd, may stay NULL).  Fails
 * only on resource errors. */
int smime_chain_check(const smime_chain_input *in, uint32_t *problems,
		      char **identifier);

/* --- verify_names.c: certificate e-mail addresses --- */

/* Every e-mail address of a certificate (SAN rfc822Name, then subject
 * emailAddress), printable ASCII only, malloc'd array of malloc'd
 * strings. */
int smime_cert_addresses(gnutls_x509_crt_t crt, char ***out, size_t *n);
void smime_strv_free(char **v, size_t n);
/* RFC 8550 section 3: local part exact, domain case-insensitive. */
bool smime_address_equal(const char *a, const char *b);

/* --- verify_sig.c: one SignerInfo's signature --- */

typedef struct smime_signer_view {
	int index;                 /* 0-based SignerInfo index */
	char *digest_oid;          /* digestAlgorithm */
	char *sig_oid;             /* signatureAlgorithm */
	unsigned char *sig_params; /* signatureAlgorithm parameters DER */
	size_t sig_params_len;
	/* signedAttrs re-tagged as SET OF (what the signature covers) */
	unsigned char *attrs_der;
	size_t attrs_len;
	bool has_attrs;
	/* from the attributes */
	unsigned char *message_digest;
	size_t message_digest_len;
	bool has_signing_time;
	time_t signing_time;
	uint32_t problems; /* malformed / unsupported found while reading */
	/* the SignerIdentifier */
	bool by_ski;
	unsigned char *sid_issuer; /* raw DN */
	size_t sid_issuer_len;
	unsigned char *sid_serial; /* INTEGER content */
	size_t sid_serial_len;
	unsigned char *sid_ski;
	size_t sid_ski_len;
	unsigned char *signature;
	size_t signature_len;
} smime_signer_view;

void smime_signer_view_free(smime_signer_view *v);

/* Reads SignerInfo number index (0-based) of the decoded SignedData;
 * structural problems end up in v->problems.  Fails on resource errors,
 * or SMIME_E_PARSE when the SignerInfo cannot be read at all. */
int smime_signer_view_read(asn1_node sd, const unsigned char *der,
			   size_t len, const char *econtent_type, int index,
			   smime_signer_view *v);

/* Verifies a signature ourselves: RSASSA-PSS with the parameters' salt
 * (GnuTLS ignores it, NOTES.md).  0 match, SMIME_E_CRYPTO mismatch,
 * SMIME_E_UNSUPPORTED for parameters we cannot honour, SMIME_E_NOMEM. */
int smime_verify_pss(const smime_signer_view *v, gnutls_x509_crt_t crt,
		     const unsigned char *content, size_t content_len,
		     unsigned vflags);

#endif
