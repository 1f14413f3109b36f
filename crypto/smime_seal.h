/*
 * crypto/smime_seal.h - part of smime.h, the one public header of crypto/:
 * EnvelopedData and AuthEnvelopedData opened and sealed, and signing.
 * smime.h includes it where it stands; include smime.h, never this.
 */
#ifndef SMIME_SEAL_H
#define SMIME_SEAL_H

#ifndef SMIME_H
#error "include smime.h, not smime_seal.h"
#endif

/* ------------------------------------------------------------------ */
/* EnvelopedData and AuthEnvelopedData: open and seal                   */
/* ------------------------------------------------------------------ */

/* A parsed EnvelopedData or AuthEnvelopedData ready to be opened. */
typedef struct smime_envelope smime_envelope;

/*
 * Parses a ContentInfo (DER or indefinite-length BER) holding
 * EnvelopedData or AuthEnvelopedData.  der must outlive the envelope.
 * SMIME_E_PARSE for anything else or malformed input, SMIME_E_LIMIT past
 * limits (may be NULL), SMIME_E_UNSUPPORTED for an unknown content
 * cipher.
 */
int smime_envelope_parse(const unsigned char *der, size_t len,
			 const smime_cms_limits *limits, smime_envelope **out);
void smime_envelope_free(smime_envelope *env);
/* What smime_cms_read() says about it: kind, cipher, eff_bits and the
 * recipients (indexes below are indexes into info->recipients). */
const smime_cms_info *smime_envelope_info(const smime_envelope *env);

/* A content-encryption key, kept in libgcrypt secure memory and wiped
 * when freed. */
typedef struct smime_content_key smime_content_key;
void smime_content_key_free(smime_content_key *ck);

/*
 * Opening follows SPEC section 8, so that nothing a sender can observe
 * depends on what a private key revealed.
 *
 * Step 1, public: the caller picks the RecipientInfos to unwrap from the
 * message and the configuration alone, with these three functions.
 */
/* The first RecipientInfo naming certificate c (issuer and serial, or
 * SKI), or info->nrecipients when none does.  Only the first counts. */
size_t smime_envelope_find_ri(const smime_envelope *env, const smime_cert *c);
/* 0 when key can unwrap RecipientInfo ri; SMIME_E_KEY_AGREEMENT when its
 * kind or scheme cannot be used with that key. */
int smime_envelope_usable(const smime_envelope *env, size_t ri,
			  const smime_key *key);
/* 0 when the content can be opened and sealed again with target (NULL:
 * not sealed again): SMIME_E_UNSUPPORTED for a cipher or parameters
 * this build cannot decrypt, or CBC content and a target that is not a
 * CBC cipher with a block at least as long; SMIME_E_PARSE for content
 * absent, empty or not a multiple of the block, or a wrong IV or tag
 * length. */
int smime_envelope_content_check(const smime_envelope *env,
				 const smime_cipher_info *target);

/* One unwrap: RecipientInfo ri with key (which step 1 found usable). */
typedef struct smime_unwrap {
	size_t ri;
	const smime_key *key;
} smime_unwrap;

/* What opening did, for the debug counters (added to, never reset). */
typedef struct smime_open_stats {
	unsigned long unwraps;   /* private-key unwraps */
	unsigned long decrypted; /* ciphertext bytes decrypted */
} smime_open_stats;

/*
 * Steps 2-4: unwraps every RecipientInfo of v, always all of them; a
 * failed unwrap (bad PKCS#1 or OAEP padding, a key length the cipher
 * cannot use, any library error) yields a substitute key, chosen without
 * a branch.  Decrypts the content with the first key into out (appended:
 * the inner entity as it was encrypted), removing CBC padding as the last
 * byte says (one block when it says 0 or more than a block), never
 * failing on it.  *same is true when every key was the same (constant
 * time) and, for AuthEnvelopedData, the tag verified; then out holds the
 * plaintext.  Otherwise nothing is appended (what was decrypted is
 * wiped).  Returns 0 whatever the keys gave; negative only on resource
 * errors or a pair step 1 should have refused (SMIME_E_ARG).  stats may
 * be NULL.
 */
int smime_envelope_open(const smime_envelope *env, const smime_unwrap *v,
			size_t n, smime_buf *out, smime_open_stats *stats,
			bool *same);

/*
 * How a RecipientInfo wraps the content key: the form of its identifier
 * and its key-transport algorithm with parameters.  Pointers are views.
 */
typedef struct smime_keytrans {
	bool by_ski; /* subjectKeyIdentifier, else issuerAndSerialNumber */
	bool oaep;   /* RSAES-OAEP, else RSA PKCS#1 v1.5 */
	const char *oaep_hash;     /* "sha1" when NULL */
	const char *oaep_mgf_hash; /* "sha1" when NULL */
	const unsigned char *oaep_label;
	size_t oaep_label_len;
} smime_keytrans;

/* The form and algorithm of key-transport RecipientInfo ri (views into
 * env); SMIME_E_KEY_AGREEMENT for other kinds. */
int smime_envelope_keytrans(const smime_envelope *env, size_t ri,
			    smime_keytrans *kt);

typedef struct smime_seal_recipient {
	const smime_cert *cert; /* an RSA certificate */
	smime_keytrans kt;      /* zeroed: issuerAndSerial, PKCS#1 v1.5 */
} smime_seal_recipient;

/* Whether smime_envelope_seal can wrap a content key for the
 * certificate's key: RSA (KeyTransRecipientInfo), or EC on P-256, P-384
 * or P-521 (KeyAgreeRecipientInfo, SPEC 9). */
bool smime_cert_sealable(const smime_cert *c);

/*
 * Encrypts content (the inner MIME entity) for n recipients into a new
 * ContentInfo, DER, appended to der: EnvelopedData for the CBC ciphers,
 * AuthEnvelopedData for GCM (16-byte tag, no authenticated attributes).
 * A fresh random content key and IV every call.  One
 * KeyTransRecipientInfo per RSA recipient, in the given form (a
 * recipient asked for by SKI whose certificate has none gets
 * issuerAndSerial), one KeyAgreeRecipientInfo per EC recipient (SPEC 9's
 * scheme for its curve; kt is not used).  SMIME_E_UNSUPPORTED for a
 * certificate smime_cert_sealable refuses, OAEP parameters the engine
 * cannot produce, or an EC recipient with a content key AES key wrap
 * cannot carry (under 16 bytes: RC2-40/64, DES); nothing is appended on
 * failure.
 */
int smime_envelope_seal(smime_cipher_id cipher, const unsigned char *content,
			size_t len, const smime_seal_recipient *rcpts, size_t n,
			smime_buf *der);

/*
 * The RFC 8551 wrapper.  The header values of an application/pkcs7-mime
 * entity for kind (SMIME_KIND_ENVELOPED or SMIME_KIND_AUTH_ENVELOPED;
 * NULL for others), unfolded: "application/pkcs7-mime;
 * smime-type=enveloped-data; name=smime.p7m" and so on.
 */
const char *smime_p7m_content_type(smime_kind kind);
/* The same value folded before name= with libmilter folding ("\n\t"),
 * for a header edit; appended to out.  SMIME_E_ARG for other kinds. */
int smime_p7m_content_type_folded(smime_kind kind, smime_buf *out);
#define SMIME_P7M_TRANSFER_ENCODING "base64"
#define SMIME_P7M_DISPOSITION "attachment; filename=smime.p7m"
/* The body: base64 in 76-column lines, each ending in CRLF. */
int smime_p7m_body(const unsigned char *der, size_t len, smime_buf *out);
/* A whole entity: Content-Type (folded before name=),
 * Content-Transfer-Encoding, Content-Disposition, blank line, body. */
int smime_p7m_entity(smime_kind kind, const unsigned char *der, size_t len,
		     smime_buf *out);

/*
 * Encrypts a whole message (SPEC section 9, the `encrypt` action; RFC
 * 8551 3.1 and 3.3): hdrs is its header, body its body.  The entity
 * sealed is the Content-* fields of hdrs, a blank line and the body,
 * line ends made CRLF (a body declared binary is kept as it is); the
 * body is not parsed, so broken MIME is encrypted as it is.  Sealed with
 * smime_envelope_seal for the n recipients.  The result goes to edits:
 * every Content-* field of hdrs deleted except the first Content-Type,
 * which becomes the RFC 8551 wrapper's (inserted when there is none);
 * Content-Transfer-Encoding base64 and Content-Disposition added at the
 * bottom; exactly one MIME-Version; the new body with replace_body set.
 * edits is only touched once everything is built; the plaintext copy is
 * wiped (it stays in memory); the DER and the new body may spill to
 * spill_dir (smime_buf_spill; NULL: memory).  n == 0 is SMIME_E_ARG.
 */
int smime_encrypt_message(smime_cipher_id cipher,
			  const smime_seal_recipient *rcpts, size_t n,
			  const smime_headers *hdrs, const unsigned char *body,
			  size_t len, const char *spill_dir,
			  smime_edits *edits);

/*
 * SPEC 9's "already encrypted": the top-level entity, or the signed
 * content (first part) of a top-level multipart/signed, decodes to an
 * EnvelopedData or AuthEnvelopedData with at least one RecipientInfo.
 * A pkcs7-mime label over a body that does not parse, or a multipart
 * with an encrypted part, is not.  Sets *yes; negative only on resource
 * errors.  limits and cms may be NULL.
 */
int smime_message_is_encrypted(const smime_headers *hdrs,
			       const unsigned char *body, size_t len,
			       const smime_mime_limits *limits,
			       const smime_cms_limits *cms, bool *yes);

/* ------------------------------------------------------------------ */
/* Signing (SPEC section 4 SignDigest/SignRSAPadding; RFC 5652, 8551)   */
/* ------------------------------------------------------------------ */

typedef enum {
	SMIME_SIGN_PKCS1 = 0, /* RSASSA-PKCS1-v1_5 */
	SMIME_SIGN_PSS        /* RSASSA-PSS, MGF1 with the digest, salt =
			       * digest length */
} smime_sign_padding;

typedef struct smime_sign_opts {
	const char *digest;             /* "sha256" (also when NULL), "sha384",
			     * "sha512"; Ed25519 always signs with sha512 */
	smime_sign_padding rsa_padding; /* RSA keys only; an RSA-PSS-only
					 * key always uses PSS */
	time_t signing_time;            /* 0: now */
	/* smime_sign_message: where the signed entity and the new body,
	 * copies of the message, may spill past 1 MiB (smime_buf_spill;
	 * TempDirectory); NULL: memory */
	const char *spill_dir;
} smime_sign_opts;

/*
 * The digest a key signs with under opts ("sha256") and the multipart/
 * signed micalg naming it ("sha-256").  SMIME_E_ARG for an unknown
 * digest name, SMIME_E_UNSUPPORTED for a key type we cannot sign with
 * (RSA, RSA-PSS, ECDSA and Ed25519 are supported).
 */
int smime_sign_algorithms(const smime_key *key, const smime_sign_opts *opts,
			  const char **digest, const char **micalg);

/*
 * A detached SignedData over content (the exact bytes the recipient
 * hashes), as a ContentInfo in DER appended to der.  One SignerInfo
 * (version 1, issuerAndSerialNumber) with the signed attributes
 * contentType (id-data), messageDigest, signingTime, SMIMECapabilities
 * (aes-256-gcm, aes-128-gcm, aes-256-cbc, aes-128-cbc, des-ede3-cbc) and
 * ESS signingCertificateV2 (SHA-256 of the certificate with its issuer
 * and serial); the key's certificate and its stored chain go into the
 * certificate set.  Nothing is appended on failure.
 */
int smime_sign_detached(const smime_key *key, const smime_sign_opts *opts,
			const unsigned char *content, size_t len,
			smime_buf *der);

/* Whether the key's certificate may make e-mail signatures: keyUsage,
 * when present, has digitalSignature or nonRepudiation, and
 * extendedKeyUsage, when present, has emailProtection or
 * anyExtendedKeyUsage (RFC 8550 section 4.4).  An encryption-only
 * certificate of the same person is passed over. */
bool smime_key_can_sign(const smime_key *key);

/* The capability OIDs the signer announces, strongest first (for
 * tests and for anyone who checks what we promise). */
extern const smime_cipher_id smime_sign_capabilities[];
extern const size_t smime_sign_ncapabilities;

/*
 * Signs a whole message (RFC 8551 section 3.5): hdrs is its header,
 * body its body (any line ends).  The original Content-* fields move
 * into the signed entity; a leaf that is 8bit or binary, holds 8-bit
 * bytes or NULs, or a line over 998 octets is re-encoded
 * (quoted-printable for text types, base64 otherwise), and a multipart
 * marked 8bit or binary is marked 7bit; the signed entity is canonical
 * CRLF, byte for byte what the recipient will parse.  The result goes
 * to edits: every Content-* field of hdrs deleted except the first
 * Content-Type, which is changed to (or inserted as) multipart/signed
 * with protocol, micalg and a fresh random boundary that does not occur
 * in the entity; exactly one MIME-Version; the new body (CRLF) with
 * replace_body set.  Header values use libmilter folding ("\n\t").
 * edits is only touched once everything is built.  limits may be NULL.
 */
int smime_sign_message(const smime_key *key, const smime_sign_opts *opts,
		       const smime_headers *hdrs, const unsigned char *body,
		       size_t len, const smime_mime_limits *limits,
		       smime_edits *edits);

#endif /* SMIME_SEAL_H */
