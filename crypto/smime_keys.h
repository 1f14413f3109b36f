/*
 * crypto/smime_keys.h - part of smime.h, the one public header of crypto/:
 * the gateway's keys and certificates, correspondents' certificates, the directory and harvesting (SPEC sections 4 and 9).
 * smime.h includes it where it stands; include smime.h, never this.
 */
#ifndef SMIME_KEYS_H
#define SMIME_KEYS_H

#ifndef SMIME_H
#error "include smime.h, not smime_keys.h"
#endif

/* ------------------------------------------------------------------ */
/* Key store (SPEC section 4)                                           */
/* ------------------------------------------------------------------ */

/*
 * A certificate the engine holds (a KeyStore entry's own certificate or
 * one from CertDirectory), with every identifier CMS may name it by.
 * Owned by the store it came from; valid until that store is freed.
 */
typedef struct smime_cert smime_cert;

typedef struct smime_cert_info {
	const char *file;    /* the file it was read from */
	const char *name;    /* KeyStore entry NAME; NULL in CertDirectory */
	const char *subject; /* RFC 4514 */
	const char *issuer;  /* RFC 4514 */
	const char *serial;  /* lowercase hex, leading zero bytes dropped */
	const char *ski;     /* subjectKeyIdentifier, lowercase hex; NULL
			      * when the certificate has none */
	const char *const *addresses; /* every e-mail address: SAN
				       * rfc822Name, then subject
				       * emailAddress; normalised as
				       * smime_address_normalise() does */
	size_t naddresses;
	time_t not_before, not_after;
	const char *key_type; /* "RSA-2048", "EC-SECP256R1", "Ed25519" ... */
} smime_cert_info;

const smime_cert_info *smime_cert_get_info(const smime_cert *c);
/* The certificate as DER (a view), e.g. for trust-chain checks. */
void smime_cert_der(const smime_cert *c, const unsigned char **der,
		    size_t *len);
/* Whether a RecipientInfo (ktri, or one kari recipientEncryptedKey) names
 * this certificate: issuer (byte-wise DER compare) and serial number, or
 * subjectKeyIdentifier, as the RecipientInfo's own form says. */
bool smime_cert_names_recipient(const smime_cert *c, const smime_recipient *r);

/* The lookup form of an address: the local part as it is, the domain
 * lowercased ("Bob@Example.ORG" -> "Bob@example.org"); malloc'd.
 * SMIME_E_PARSE without an '@'. */
int smime_address_normalise(const char *addr, char **out);

/* The form certificate lookups compare (SPEC section 9): ASCII case
 * folded in the local part and the domain, the domain as IDNA A-labels
 * (a domain that cannot be mapped stays as it is), so U- and A-label
 * forms of one address are equal.  malloc'd; SMIME_E_NOMEM. */
int smime_address_key(const char *addr, char **out);

/*
 * The keys the gateway holds.  Each entry NAME of the KeyStore directory
 * is NAME.p12 + NAME.pass, or NAME.crt (certificate, then its chain, PEM)
 * + NAME.key (PEM private key); NAME.crt + NAME.uri (pkcs11:) is parsed
 * and reported as not supported yet.  Private keys stay gnutls_privkey_t
 * inside the engine; what is exported for a computation is wiped after.
 * A loaded store is immutable: lookups from many threads are safe.
 */
typedef struct smime_key smime_key;
typedef struct smime_keystore smime_keystore;

/*
 * Loads every entry of the directory.  Each problem is appended to diags
 * (may be NULL) as one "PATH: message\n" line naming the file: a private
 * key, .p12 or .pass file readable or writable by group or others (see
 * smime_keystore_unsafe_mode), a certificate
 * that does not belong to its key, a missing half of a pair, an
 * unreadable or malformed file, a PKCS#11 entry.  Any problem makes the
 * whole load fail (SMIME_E_PARSE, or SMIME_E_IO when the directory
 * cannot be read) and *out stays NULL: the operator expects every key
 * there to work, so a partial store is never used.
 */
int smime_keystore_load(const char *dir, smime_buf *diags,
			smime_keystore **out);
/*
 * Why a private key, .p12 or .pass file of this st_mode is unsafe:
 * "readable" (by group or others: the secret leaks), "writable" (a
 * stranger can put a key or passphrase of theirs in its place), or NULL.
 */
const char *smime_keystore_unsafe_mode(unsigned mode);
void smime_keystore_free(smime_keystore *ks);
size_t smime_keystore_count(const smime_keystore *ks);
/* Entries in NAME order. */
const smime_key *smime_keystore_at(const smime_keystore *ks, size_t i);
const smime_key *smime_keystore_by_name(const smime_keystore *ks,
					const char *name);
/*
 * Lookups return one match per call: start with *pos = 0 and call again
 * until NULL; *pos is the cursor.  By address, ignoring ASCII case in
 * the local part too (certificates carry "Bob@example.com" for mail to
 * bob@example.com), and by the identifier a RecipientInfo carries.
 */
const smime_key *smime_keystore_find_address(const smime_keystore *ks,
					     const char *addr, size_t *pos);
const smime_key *smime_keystore_find_recipient(const smime_keystore *ks,
					       const smime_recipient *r,
					       size_t *pos);
const smime_cert *smime_key_cert(const smime_key *k);
/* False for a key that cannot be exported for RSA-OAEP (PKCS#11 later):
 * such a key opens and wraps PKCS#1 v1.5 only. */
bool smime_key_can_oaep(const smime_key *k);

/* ------------------------------------------------------------------ */
/* Certificate directory (SPEC section 4)                               */
/* ------------------------------------------------------------------ */

/* Other people's certificates: every regular file of the directory, PEM
 * (one or more certificates) or DER (one).  No private keys. */
typedef struct smime_certdir smime_certdir;

/*
 * Loads the directory.  A file that is not a certificate is skipped and
 * reported in diags ("PATH: message\n"); the load still succeeds with
 * the rest, because one stray file must not stop the gateway.  Fails
 * only when the directory cannot be read (SMIME_E_IO) or on resources.
 */
int smime_certdir_load(const char *dir, smime_buf *diags, smime_certdir **out);
void smime_certdir_free(smime_certdir *cd);
size_t smime_certdir_count(const smime_certdir *cd);
const smime_cert *smime_certdir_at(const smime_certdir *cd, size_t i);
/* Cursor lookups as for the key store. */
const smime_cert *smime_certdir_find_address(const smime_certdir *cd,
					     const char *addr, size_t *pos);
const smime_cert *smime_certdir_find_recipient(const smime_certdir *cd,
					       const smime_recipient *r,
					       size_t *pos);

/*
 * Whether a correspondent's certificate (e.g. from the certificate
 * directory) may be encrypted to (SPEC sections 8 and 9, outbound
 * re-encryption): valid at now, keyUsage and extKeyUsage allowing key
 * encipherment for S/MIME, chaining through issuers from pool and then
 * from the key store's certificates (either may be NULL) to an anchor of
 * the trust store, and, when the store has CRLs configured, no
 * certificate of the path revoked or without a current CRL of its
 * issuer.  The store is the one signature verification uses; without
 * TrustAnchorFile nothing chains.  False on any failure.
 * trust_recipient.c says how.
 */
bool smime_trust_recipient(const smime_trust *t, const smime_cert *cert,
			   const smime_certdir *pool,
			   const smime_keystore *keys, time_t now);

/* Why a certificate is not usable for encryption (SPEC section 9's
 * words: smime_rcpt_status_name). */
typedef enum {
	SMIME_RCPT_OK = 0,
	SMIME_RCPT_NO_CERTIFICATE,        /* "no-certificate" */
	SMIME_RCPT_EXPIRED,               /* "expired" */
	SMIME_RCPT_NOT_YET_VALID,         /* "not-yet-valid" */
	SMIME_RCPT_KEY_USAGE,             /* "key-usage" */
	SMIME_RCPT_UNTRUSTED,             /* "untrusted" */
	SMIME_RCPT_REVOKED,               /* "revoked" */
	SMIME_RCPT_DIRECTORY_UNAVAILABLE, /* "directory-unavailable" */
} smime_rcpt_status;

/* "ok", "no-certificate", "expired" ... */
const char *smime_rcpt_status_name(smime_rcpt_status s);

/*
 * smime_trust_recipient's checks, saying which one failed first:
 * validity (expired, not-yet-valid), key usage, the path to an anchor
 * (untrusted; also when t is NULL), revocation (revoked when a CRL that
 * counts lists a certificate of the path, untrusted when no CRL of its
 * issuer counts).  SMIME_RCPT_OK exactly when smime_trust_recipient is
 * true.  A NULL cert is SMIME_RCPT_NO_CERTIFICATE.
 */
smime_rcpt_status smime_judge_recipient(const smime_trust *t,
					const smime_cert *cert,
					const smime_certdir *pool,
					const smime_keystore *keys, time_t now);

/* ------------------------------------------------------------------ */
/* Correspondents' certificates (SPEC section 9)                        */
/* ------------------------------------------------------------------ */

/*
 * Certificates fetched for one address from a source outside the loaded
 * stores (the directory, harvested files), with the capabilities known
 * for the address there.  Owns its certificates.
 */
typedef struct smime_found {
	struct smime_cert **certs;
	size_t ncerts;
	bool has_caps;
	smime_caps caps;
	time_t caps_time; /* when they were stated (signingTime); 0 unknown */
} smime_found;

/* Parses one DER certificate and appends it; origin names where it came
 * from (smime_cert_info.file).  SMIME_E_PARSE for a bad certificate,
 * SMIME_E_NOMEM. */
int smime_found_add_der(smime_found *f, const unsigned char *der, size_t len,
			const char *origin);
/* The certificates (at most 16) of an RFC 2798 userSMIMECertificate, a
 * SignedData ContentInfo, and the SMIMECapabilities and signingTime of
 * its first SignerInfo's signed attributes when it has them and f has
 * none yet or ones stated earlier (its signature is not checked).  SMIME_E_PARSE when der is no SignedData,
 * SMIME_E_NOMEM. */
int smime_found_add_smime_cert(smime_found *f, const unsigned char *der,
			       size_t len, const char *origin);
/* The userSMIMECertificate value the gateway publishes for SignerInfo
 * number index (0-based) of a SignedData ContentInfo: that SignedData
 * without its content, its CRLs and its other SignerInfos (publish.c).
 * SMIME_E_PARSE when ci is no SignedData or has no such SignerInfo. */
int smime_publish_signer(const unsigned char *ci, size_t len, int index,
			 smime_buf *out);
/* Frees the certificates; leaves an empty smime_found. */
void smime_found_clear(smime_found *f);

/* What the directory answered for one address. */
typedef enum smime_dir_answer {
	SMIME_DIR_ANSWERED = 0,   /* placed and harvested filled, maybe empty */
	SMIME_DIR_UNAVAILABLE = 1 /* down, timed out, TLS failed: unknown */
} smime_dir_answer;

/*
 * The directory source (LDAP, kept outside this library): the
 * certificates the operator placed for addr (under LDAPBase) and those
 * harvested into the directory (under LDAPHarvestBase), each with the
 * capabilities of its entries.  Returns an smime_dir_answer, or a
 * negative SMIME_E_* on resource failure.
 */
typedef int (*smime_directory_fn)(void *arg, const char *addr,
				  smime_found *placed, smime_found *harvested);

/* Where the lookup looks, and when. */
typedef struct smime_lookup_ctx {
	const smime_trust *trust;     /* TrustAnchorFile and CRLFile */
	const smime_keystore *keys;   /* KeyStore, or NULL */
	const smime_certdir *certdir; /* CertDirectory, or NULL */
	time_t now;                   /* the clock for validity and CRLs */
	smime_directory_fn directory; /* LDAP, or NULL */
	void *directory_arg;
	const char *harvest_dir; /* HarvestDirectory, or NULL */
	/* The caller needs no capabilities (a named cipher): the
	 * directory is not asked when the KeyStore or CertDirectory has a
	 * usable certificate, so it being down changes nothing then. */
	bool no_caps;
} smime_lookup_ctx;

typedef struct smime_lookup_result {
	const smime_cert *cert; /* the usable certificate, or NULL */
	/* "keystore", "certdir", "ldap", "harvest"; NULL without one */
	const char *source;
	/* SMIME_RCPT_OK with a certificate; otherwise why there is none:
	 * directory-unavailable when the directory could not answer and
	 * no source before it had one, no-certificate when no source has
	 * one carrying the address, else the reason of the best failing
	 * candidate (lookup.c). */
	smime_rcpt_status reason;
	/* The address's capabilities (SPEC 9: the newest harvested, of the
	 * directory's and HarvestDirectory's, else the directory's placed
	 * entries'), whichever source gave the certificate. */
	bool has_caps;
	smime_caps caps;
	/* What the lookup fetched (cert may point into it): directory
	 * placed, directory harvested, HarvestDirectory. */
	smime_found fetched[3];
} smime_lookup_result;

/*
 * The certificate the gateway encrypts to for addr (SPEC section 9):
 * the sources in order (KeyStore, CertDirectory, the directory's placed
 * entries, harvested ones: the directory's and HarvestDirectory's
 * together), the first with a usable certificate carrying
 * the address (compared without regard to ASCII case) winning; within
 * it, the usable one with the latest notBefore.  KeyStore certificates
 * are trusted as they are (validity and key usage only); the others must
 * pass smime_judge_recipient.  The directory is asked at most once, also
 * for the capabilities of a KeyStore or CertDirectory certificate, but
 * not when such a certificate is usable and HarvestDirectory knows the
 * address's capabilities.  A harvest file that cannot be read counts as
 * none.  Reads
 * only, so threads may look up at once.  Returns 0, or SMIME_E_NOMEM;
 * release *out with smime_lookup_result_clear either way.
 */
int smime_lookup_recipient(const smime_lookup_ctx *ctx, const char *addr,
			   smime_lookup_result *out);
void smime_lookup_result_clear(smime_lookup_result *r);

/* ------------------------------------------------------------------ */
/* Harvesting (SPEC section 9): signers' certificates and capabilities  */
/* ------------------------------------------------------------------ */

/* Certificates one harvested address keeps, newest notBefore first. */
#define SMIME_HARVEST_CERTS 4

/*
 * The file name (without ".pem") an address is harvested under: the
 * domain as lowercase A-labels, the local part ASCII-lowercased, every
 * byte other than A-Z a-z 0-9 . _ + - @ and a leading '.' written as
 * %XX (harvest_name.c).  SMIME_E_UNSUPPORTED for an address that is not
 * harvested: over 254 bytes, without '@', a domain that cannot be
 * mapped to A-labels, a name too long for the file system.
 */
int smime_harvest_name(const char *addr, char **out);

/* One SignerInfo whose result is pass, to harvest. */
typedef struct smime_harvest_in {
	const char *addr; /* the certificate address that matched */
	const unsigned char *cert_der;
	size_t cert_len;
	const unsigned char *caps_der; /* SMIMECapabilities; NULL: none */
	size_t caps_len;
	bool has_signing_time;
	time_t signing_time;
	time_t now; /* arrival: a signingTime a day past it counts as it */
} smime_harvest_in;

/* What smime_harvest_store did (non-negative). */
typedef enum smime_harvest_outcome {
	SMIME_HARVEST_STORED = 0,    /* the entry was created or changed */
	SMIME_HARVEST_UNCHANGED = 1, /* nothing newer than what it holds */
	SMIME_HARVEST_FULL = 2,      /* a new address past HarvestMax */
	SMIME_HARVEST_UNNAMED = 3    /* an address that is not harvested */
} smime_harvest_outcome;

/*
 * Merges one signature into dir/NAME.pem under an exclusive flock(2) of
 * the directory (so concurrent harvests never race), written atomically
 * (temporary file, rename) with mode 0644; creates dir (0755) when it is
 * missing.  A new address is refused once dir holds max entries (*.pem
 * files, counted then).  Returns an smime_harvest_outcome, or
 * SMIME_E_IO with "PATH: reason" in why (may be NULL), SMIME_E_NOMEM.
 * harvest.c says how entries merge.
 */
int smime_harvest_store(const char *dir, size_t max, const smime_harvest_in *in,
			smime_buf *why);
/* Appends what dir holds for addr to out: its certificates (newest
 * first) and capabilities (caps_time: their signingTime, 0 when
 * unknown).  No file, or an address that is not harvested, is nothing
 * (0); SMIME_E_IO, SMIME_E_PARSE for a file that cannot be read,
 * SMIME_E_NOMEM. */
int smime_harvest_read(const char *dir, const char *addr, smime_found *out);
/* The same for one harvest file by path. */
int smime_harvest_read_file(const char *path, smime_found *out);
/* The entry names (NAME.pem, sorted) of dir; a missing dir has none.
 * Free with smime_harvest_list_free. */
int smime_harvest_list(const char *dir, char ***names, size_t *n);
void smime_harvest_list_free(char **names, size_t n);

#endif /* SMIME_KEYS_H */
