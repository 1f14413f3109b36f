/*
 * verify_internal.h - what the verification modules (trust.c,
 * trust_cache.c, verify.c, verify_sig.c, verify_chain.c, verify_names.c)
 * and trust_recipient.c share.  Not public.
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

/* --- trust_cache.c: GnuTLS's verdicts on certificate paths, per store
 * (what is cached and why that is safe: see trust_cache.c) --- */

#define SMIME_CHAIN_CACHE_SIZE 1024 /* entries a store keeps at most */
#define SMIME_CHAIN_KEY_SIZE 32     /* SHA-256 */

typedef struct smime_chain_cache smime_chain_cache;

typedef struct smime_chain_cache_stats {
	uint64_t hits, misses; /* lookups */
	uint64_t inserts;      /* new keys stored */
	uint64_t evictions;    /* entries a new key replaced */
	size_t entries;        /* held now, at most SMIME_CHAIN_CACHE_SIZE */
} smime_chain_cache_stats;

int smime_chain_cache_new(smime_chain_cache **out);
void smime_chain_cache_free(smime_chain_cache *c);
/* The key of the path v[0..n) (signer first) ending at anchor, judged with
 * vflags: 0, SMIME_E_ARG (no cache, no anchor, no certificate),
 * SMIME_E_NOMEM. */
int smime_chain_cache_key(const smime_chain_cache *c, unsigned vflags,
			  const gnutls_x509_crt_t *v, size_t n,
			  gnutls_x509_crt_t anchor,
			  unsigned char key[SMIME_CHAIN_KEY_SIZE]);
/* Whether key is held, with its verdict in *verdict.  Thread-safe. */
bool smime_chain_cache_get(smime_chain_cache *c,
			   const unsigned char key[SMIME_CHAIN_KEY_SIZE],
			   uint32_t *verdict);
/* Stores key's verdict, replacing the least recently used entry of its
 * set when the set is full.  Thread-safe. */
void smime_chain_cache_put(smime_chain_cache *c,
			   const unsigned char key[SMIME_CHAIN_KEY_SIZE],
			   uint32_t verdict);
/* The counters so far (for tests and measurement). */
void smime_chain_cache_stats_get(smime_chain_cache *c,
				 smime_chain_cache_stats *out);

/* The store (trust.c).  Read-only once loaded, but for the chain cache,
 * which has its own lock. */
struct smime_trust {
	gnutls_x509_trust_list_t tl; /* owns the anchors */
	gnutls_x509_crt_t *anchors;  /* borrowed from tl */
	size_t nanchors;
	gnutls_x509_crl_t *crls; /* owned */
	size_t ncrls;
	bool crl_configured;
	uint32_t weak_digests; /* SMIME_DIGEST_BIT set of WeakDigests */
	unsigned min_rsa_bits;
	unsigned vflags; /* GnuTLS verification flags (see trust.c) */
	smime_chain_cache *chain_cache; /* owned; verify_chain.c uses it */
};

/* Whether a digest counts as weak: in WeakDigests, or one of the broken
 * ones (MD2, MD4) no configuration can make acceptable. */
bool smime_trust_digest_weak(const smime_trust *t, gnutls_digest_algorithm_t d);

/* --- verify_chain.c: everything about the signer's certificate, and
 * the revocation and usage checks trust_recipient.c shares --- */

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
	bool uncached; /* no verdict cache (decrypted content) */
} smime_chain_input;

/* Checks the chain, validity, revocation, key usage, key size and the
 * address, adding SMIME_REASON_BIT()s to *problems; *identifier gets the
 * address for body.smime-identifier (malloc'd, may stay NULL).  Fails
 * only on resource errors. */
int smime_chain_check(const smime_chain_input *in, uint32_t *problems,
		      char **identifier);

/* What the configured CRLs say about certificate c, whose issuer is
 * issuer (may be NULL when unknown): a CRL counts when its issuer Name is
 * c's issuer Name, issuer's key verified it and now lies between its
 * thisUpdate and nextUpdate (verify_chain.c says more). */
typedef enum smime_crl_status {
	SMIME_CRL_GOOD,        /* a CRL counts and does not list c */
	SMIME_CRL_NONE,        /* no CRL of c's issuer is loaded */
	SMIME_CRL_UNAVAILABLE, /* CRLs of c's issuer, none of which counts */
	SMIME_CRL_REVOKED      /* a CRL that counts lists c */
} smime_crl_status;

smime_crl_status smime_crl_check(const smime_trust *t, time_t now,
				 gnutls_x509_crt_t c, gnutls_x509_crt_t issuer);

/* RFC 8550 4.4.2: where keyUsage is present it has one of the bits of
 * key_usage (GNUTLS_KEY_*); where extKeyUsage is present it has
 * emailProtection or anyExtendedKeyUsage.  False also when either is
 * present but unreadable. */
bool smime_cert_usage_ok(gnutls_x509_crt_t c, unsigned key_usage);

/* --- verify_names.c: certificate e-mail addresses --- */

/* Every e-mail address of a certificate (SAN rfc822Name and
 * SmtpUTF8Mailbox, then subject emailAddress): rfc822Name and
 * emailAddress printable ASCII only, SmtpUTF8Mailbox UTF-8 without
 * blanks or control characters; malloc'd array of malloc'd strings. */
int smime_cert_addresses(gnutls_x509_crt_t crt, char ***out, size_t *n);
void smime_strv_free(char **v, size_t n);
/* RFC 8550 section 3, RFC 8398 section 5: local part exact, domain
 * case-insensitive with IDNA A-labels and U-labels alike.  1 equal, 0
 * not, SMIME_E_NOMEM. */
int smime_address_equal(const char *a, const char *b);
/* The domain as A-labels (malloc'd): a copy when it is ASCII, else
 * gnutls_idna_map()'s (IDNA2008, UTS #46 mapping).  *out NULL when it
 * cannot be mapped; fails only with SMIME_E_NOMEM. */
int smime_domain_alabels(const char *d, char **out);

/* --- verify_content.c: the signed content and its digests --- */

#define SMIME_CONTENT_SLOTS                                                    \
	48 /* (form, digest) pairs: every digest
				* GnuTLS has, in both forms */

typedef struct smime_content_digest_slot {
	int form;
	gnutls_digest_algorithm_t alg;
	unsigned char md[64];
} smime_content_digest_slot;

typedef struct smime_content {
	const unsigned char *data; /* the signed bytes as they came */
	size_t len;
	bool detached; /* two forms (CRLF, then bare LF); else one */
	smime_buf crlf, lf;
	const unsigned char *form[2];
	size_t form_len[2];
	bool made[2];
	smime_content_digest_slot slot[SMIME_CONTENT_SLOTS];
	size_t nslots;
} smime_content;

/* The content of one layer: detached (a multipart/signed first part,
 * tried as CRLF and as bare LF) or not (an eContent, one form).  The
 * bytes must outlive c. */
void smime_content_init(smime_content *c, const unsigned char *p, size_t n,
			bool detached);
void smime_content_free(smime_content *c);
/* How many forms there are to try: 2 for detached content, else 1. */
int smime_content_forms(const smime_content *c);
/* Form k (0: canonical CRLF, 1: bare LF), made once. */
int smime_content_form(smime_content *c, int k, const unsigned char **p,
		       size_t *n);
/* The digest of form k with alg, computed once per (form, alg): a view
 * valid as long as c.  SMIME_E_UNSUPPORTED for a digest GnuTLS cannot
 * compute. */
int smime_content_digest(smime_content *c, int k, gnutls_digest_algorithm_t alg,
			 const unsigned char **md, unsigned *mdlen);

/* --- verify_key.c: public keys refused before any use --- */

/* SPEC section 7: 0 for a key the verifier may use; SMIME_E_UNSUPPORTED
 * for an RSA key whose exponent is even, 1 or longer than 256 bits, or
 * whose modulus is longer than 16384 bits; SMIME_E_NOMEM. */
int smime_verify_key_check(gnutls_pubkey_t pub);

/* --- verify_sig.c: one SignerInfo as the verifier reads it --- */

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
	bool has_caps; /* the first SMIMECapabilities, when readable */
	smime_caps caps;
	unsigned char *caps_der; /* its DER (harvesting), with has_caps */
	size_t caps_der_len;
	uint32_t problems; /* malformed / unsupported found while reading */
	/* The signed attributes as gnutls_pkcs7_verify_direct() judged
	 * them (verify_sig.c scan_like_gnutls): refused before any digest
	 * was compared, else every messageDigest value, each as one length
	 * byte and the value (longer ones could never match). */
	bool attrs_refused;
	smime_buf gnutls_digests;
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
int smime_signer_view_read(asn1_node sd, const unsigned char *der, size_t len,
			   const char *econtent_type, int index,
			   smime_signer_view *v);

/* --- verify_signature.c: whether its signature matches --- */

/*
 * The hash the signature of SignerInfo v is computed with, the one SPEC
 * section 7 judges for WeakDigests: the hash its signatureAlgorithm names
 * (sha1WithRSAEncryption, ecdsa-with-SHA256, the RSASSA-PSS parameters),
 * else (rsaEncryption and other bare public-key OIDs) digestAlgorithm's.
 * Neither field is signed, so a sender can relabel either: 0 with *hash
 * when both name the same hash; SMIME_E_PARSE (malformed) when they
 * disagree; SMIME_E_UNSUPPORTED when either is unknown, or when it is a
 * hash the gateway cannot compute (MD2; *hash still names it, so it can
 * be judged weak); SMIME_E_NOMEM.
 */
int smime_signature_hash(const smime_signer_view *v,
			 gnutls_digest_algorithm_t *hash);

/*
 * The signature of SignerInfo v with the signer's key pub over form k of
 * the content: with signed attributes, messageDigest against the
 * content's digest, then the signature over the attributes; without, the
 * signature over the content's digest.  Digests come from c, so the
 * signers of one layer share them.  RSASSA-PSS follows the salt of its
 * parameters (GnuTLS ignores it, NOTES.md), which restricts pub to them.
 * 0 match, SMIME_E_CRYPTO
 * mismatch, SMIME_E_UNSUPPORTED for an algorithm or parameters we cannot
 * compute, SMIME_E_PARSE, SMIME_E_NOMEM.
 */
int smime_verify_signature(const smime_signer_view *v, gnutls_pubkey_t pub,
			   smime_content *c, int k, unsigned vflags);

#endif
