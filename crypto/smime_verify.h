/*
 * crypto/smime_verify.h - part of smime.h, the one public header of crypto/:
 * trust anchors, CRLs and signature verification (SPEC section 7).
 * smime.h includes it where it stands; include smime.h, never this.
 */
#ifndef SMIME_VERIFY_H
#define SMIME_VERIFY_H

#ifndef SMIME_H
#error "include smime.h, not smime_verify.h"
#endif

/* ------------------------------------------------------------------ */
/* Trust and verification (SPEC section 7)                             */
/* ------------------------------------------------------------------ */

/*
 * The trust store: the anchors of TrustAnchorFile, the CRLs of CRLFile
 * and the algorithm policy of WeakDigests and MinRSABits.  Built once at
 * configuration load and read-only afterwards, so any number of threads
 * may verify with one store at the same time (trust.c says how).
 */
typedef struct smime_trust smime_trust;

typedef struct smime_trust_config {
	const char *anchor_file; /* TrustAnchorFile: PEM bundle (a single DER
				  * certificate is accepted too); NULL: no
				  * anchors, every chain is untrusted */
	const char *crl_path;    /* CRLFile: a file of PEM or DER CRLs, or a
				  * directory of such files; NULL: none */
	const char *const *weak_digests; /* WeakDigests names ("md5", "sha1",
					  * "sha224", "sha256", "sha384",
					  * "sha512") */
	size_t nweak_digests;
	unsigned min_rsa_bits; /* MinRSABits (RSA and DSA keys); 0: 2048 */
} smime_trust_config;

/* Loads a trust store.  Every problem (unreadable file, no certificate
 * in the anchor file, a CRL that does not parse, an unknown digest name)
 * fails the load with SMIME_E_IO / SMIME_E_PARSE / SMIME_E_ARG and one
 * "PATH: message" line appended to diags (which may be NULL). */
int smime_trust_load(const smime_trust_config *cfg, smime_trust **out,
		     smime_buf *diags);
void smime_trust_free(smime_trust *t);
size_t smime_trust_anchor_count(const smime_trust *t);
size_t smime_trust_crl_count(const smime_trust *t);

/* RFC 8601 / RFC 7281 results, in the order of SPEC section 7. */
typedef enum {
	SMIME_RESULT_NONE = 0, /* not verified */
	SMIME_RESULT_PASS,
	SMIME_RESULT_FAIL,
	SMIME_RESULT_POLICY,
	SMIME_RESULT_NEUTRAL,
	SMIME_RESULT_TEMPERROR,
	SMIME_RESULT_PERMERROR
} smime_result;

/* The reason words of SPEC section 7.  Each belongs to one result
 * (smime_reason_result).  The values are also bits of
 * smime_sigcheck.problems (SMIME_REASON_BIT). */
typedef enum {
	SMIME_REASON_NONE = 0,
	SMIME_REASON_BAD_SIGNATURE, /* fail */
	SMIME_REASON_REVOKED,       /* policy ... */
	SMIME_REASON_UNTRUSTED,
	SMIME_REASON_EXPIRED,
	SMIME_REASON_NOT_YET_VALID,
	SMIME_REASON_KEY_USAGE,
	SMIME_REASON_WEAK_DIGEST,
	SMIME_REASON_WEAK_KEY,
	SMIME_REASON_ADDRESS_MISMATCH, /* ... policy */
	SMIME_REASON_MALFORMED,        /* neutral ... */
	SMIME_REASON_UNSUPPORTED_ALGORITHM,
	SMIME_REASON_TOO_LARGE,             /* ... neutral */
	SMIME_REASON_TOO_MANY_SIGNATURES,   /* neutral: never a verdict's own;
					   * the one resinfo that stands for
					   * the signatures MaxSignatures or
					   * the A-R budget left out */
	SMIME_REASON_CRL_UNAVAILABLE,       /* temperror ... */
	SMIME_REASON_RESOURCE,              /* ... temperror */
	SMIME_REASON_NO_CERTIFICATE,        /* permerror */
	SMIME_REASON_DIRECTORY_UNAVAILABLE, /* temperror: the signer's
					     * certificate may be in a
					     * directory that did not answer */
	SMIME_REASON_COUNT
} smime_reason;

#define SMIME_REASON_BIT(r) (1u << (unsigned)(r))

/* "pass", "fail", "policy", "neutral", "temperror", "permerror";
 * "none" for SMIME_RESULT_NONE. */
const char *smime_result_name(smime_result r);
/* "bad-signature", "untrusted", ...; NULL for SMIME_REASON_NONE. */
const char *smime_reason_name(smime_reason r);
/* The result a reason word belongs to. */
smime_result smime_reason_result(smime_reason r);
/* Parses a result word (case-insensitive); SMIME_E_PARSE if unknown. */
int smime_result_by_name(const char *name, smime_result *out);

/*
 * Whether a SignerInfo's signature matches its content, whatever the trust
 * in its signer (smime-tool inspect --content, SPEC section 3).
 */
typedef enum {
	SMIME_SIGMATCH_UNCHECKED = 0, /* not checked: no content to check it
				       * against */
	SMIME_SIGMATCH_OK,            /* it matches */
	SMIME_SIGMATCH_BAD,           /* it does not, or the SignerInfo
				       * contradicts itself (malformed) */
	SMIME_SIGMATCH_UNSUPPORTED    /* it cannot be checked here: an
				       * algorithm or key the gateway does not
				       * use, or no certificate for the signer */
} smime_sigmatch;

/* "ok", "bad", "unsupported"; NULL for SMIME_SIGMATCH_UNCHECKED. */
const char *smime_sigmatch_name(smime_sigmatch m);

/*
 * The verdict on one SignerInfo.  result and reason follow SPEC section
 * 7; problems holds the bit of every reason found, so logs and tests can
 * see all of them although the header carries one.  When several checks
 * fail, the result is decided in this fixed order (verify.c):
 *   neutral   malformed, unsupported-algorithm (the signature cannot be
 *             evaluated at all);
 *   permerror no-certificate (temperror directory-unavailable when the
 *             directory that may hold the certificate did not answer);
 *   fail      bad-signature;
 *   policy    revoked, untrusted, expired, not-yet-valid, key-usage,
 *             weak-digest, weak-key, address-mismatch (first found in
 *             this order names the reason);
 *   temperror crl-unavailable (only when nothing above applies: a retry
 *             could not change a policy verdict);
 *   pass.
 */
typedef struct smime_sigcheck {
	smime_result result;
	smime_reason reason;  /* SMIME_REASON_NONE for pass */
	uint32_t problems;    /* SMIME_REASON_BIT set */
	smime_sigmatch match; /* the signature alone */
	bool lf_form;         /* detached content verified only in its
				 * bare-LF form (a signer that did not
				 * canonicalise) */
	bool has_signing_time;
	time_t signing_time;
	/* The SMIMECapabilities signed attribute, the first one that reads
	 * (what harvesting keeps); never part of the verdict. */
	bool has_caps;
	smime_caps caps;
	unsigned char *caps_der; /* its DER, with has_caps */
	size_t caps_der_len;
	/* The signer's certificate (DER) when the result is pass, for
	 * harvesting; NULL otherwise. */
	unsigned char *signer_der;
	size_t signer_der_len;
	/* From the signer's certificate when it was found: the address that
	 * matched From/Sender, else the certificate's first address
	 * (body.smime-identifier); and issuer and serial of the certificate
	 * (used when the SignerInfo names its certificate by
	 * subjectKeyIdentifier).  NULL when unknown. */
	char *identifier;
	char *cert_issuer;
	char *cert_serial;
} smime_sigcheck;

void smime_sigcheck_free(smime_sigcheck *c);

/*
 * Certificates the gateway holds (KeyStore, CertDirectory; each may be
 * NULL).  A signer certificate the SignedData does not carry, nor the
 * trust anchors, is looked for among those of them that carry one of the
 * author addresses, by the SignerInfo's issuer and serial or subject key
 * identifier, and then judged as a carried one is (SPEC sections 7, 9).
 */
struct smime_found;
typedef struct smime_local_certs {
	const struct smime_keystore *keys;
	const struct smime_certdir *certdir;
	/* The directory (placed and harvested entries), asked last and at
	 * most once per SignedData for each author address; NULL without
	 * one.  smime_directory_fn is declared with the lookup below. */
	int (*directory)(void *arg, const char *addr,
			 struct smime_found *placed,
			 struct smime_found *harvested);
	void *directory_arg;
	const char *harvest_dir; /* HarvestDirectory, or NULL */
} smime_local_certs;

/* What was signed and who claims to have sent it. */
typedef struct smime_verify_req {
	const unsigned char *der; /* the ContentInfo with the SignedData */
	size_t der_len;
	/* Detached signature: the signed entity's exact original bytes.  The
	 * verifier tries them with every line end made CRLF (RFC 8551
	 * canonical form) and, when that does not match, with every CRLF
	 * made LF.  NULL for opaque SignedData (the eContent is used). */
	const unsigned char *content;
	size_t content_len;
	/* The From and Sender addresses (addr-spec) the certificate must
	 * carry one of (RFC 8550 section 3). */
	const char *const *addresses;
	size_t naddresses;
	time_t now; /* the clock for validity and CRL checks */
	/* Check only the first max_signers SignerInfos (0: every one): what
	 * is left of MaxSignatures for the message. */
	size_t max_signers;
	/* Where a SignedData lacks its signer's certificate: the
	 * correspondents' certificates the gateway holds (SPEC section 9). */
	smime_local_certs local;
	/* Judge the chains without the trust store's verdict cache
	 * (decrypted content: smime_analyze_opts.decrypted). */
	bool uncached;
} smime_verify_req;

/*
 * Verifies every SignerInfo of a SignedData: the signature over the
 * content, the chain to a trust anchor, validity at signing time and now,
 * revocation, key usage, the From/Sender address and algorithm strength.
 * *out gets one smime_sigcheck per SignerInfo checked, in order: the
 * first req->max_signers of them, and *nleft (may be NULL) the number
 * left unchecked after those.  A SignedData that cannot be read gets a
 * single neutral/malformed entry, one without any SignerInfo
 * (certs-only) none.  Bad input is a verdict, never an error: fails only
 * on resource errors (SMIME_E_NOMEM).
 */
int smime_verify_signed(const smime_trust *trust, const smime_verify_req *req,
			smime_sigcheck **out, size_t *nout, size_t *nleft);
void smime_sigchecks_free(smime_sigcheck *v, size_t n);

#endif /* SMIME_VERIFY_H */
