/*
 * smime.h - the S/MIME engine of smime-milter: its one public header.
 *
 * The engine knows messages, MIME entities, CMS structures and keys.  It
 * knows nothing of libmilter: milter/ glues it to the MTA and to the
 * offline smime-tool, so both run the same code.
 *
 * Conventions (GnuTLS style): public names are smime_subsystem_verb;
 * inputs first, then outputs; functions return int, 0 on success and a
 * negative SMIME_E_* on failure; data travels as pointer + length.
 *
 * One error space: every negative value a function of smime-milter
 * returns (crypto/, and milter/ and rules/, whose RULES_E_* codes equal
 * the SMIME_E_* codes of the same name) is a code of the enum below and
 * means what its name says; SMIME_E_NOMEM is out of memory and nothing
 * else.  "Failed, and why is written to the diagnostics" is not a code:
 * a function that reports bad input as text and leaves no more for its
 * caller to say returns a positive value, SMIME_REPORTED (or a count of
 * the problems it wrote), never -1.
 * Every string a function hands out is owned by the structure it sits in
 * and freed with that structure's *_free function.
 */
#ifndef SMIME_H
#define SMIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

enum {
	SMIME_OK = 0,
	SMIME_E_NOMEM = -1,       /* resource: out of memory */
	SMIME_E_IO = -2,          /* resource: file or disk failure */
	SMIME_E_LIMIT = -3,       /* input passes a documented limit */
	SMIME_E_PARSE = -4,       /* malformed input (MIME, base64, DER) */
	SMIME_E_UNSUPPORTED = -5, /* well-formed but not something we handle */
	SMIME_E_CRYPTO = -6,      /* a crypto library call failed */
	SMIME_E_ARG = -7,         /* caller error */
	/* A RecipientInfo of a kind or scheme this build cannot use with
	 * the key it names (kari, kekri, password, OAEP it cannot compute
	 * or with a key it cannot export). */
	SMIME_E_KEY_AGREEMENT = -8,
	SMIME_E_NOTFOUND = -9 /* nothing names what was looked for */
};

/* Not an error code: failed, and why is written to the diagnostics (see
 * the conventions above).  Positive, so no SMIME_E_* can be taken for it. */
#define SMIME_REPORTED 1

/* Short English text for an SMIME_E_* code. */
const char *smime_strerror(int err);

/* True for errors that are resource failures (On-InternalError), false
 * for errors that describe the input (a finding, never a failure). */
bool smime_err_is_resource(int err);

/* Initialise GnuTLS and libgcrypt.  Call once, before any thread. */
int smime_global_init(void);
void smime_global_deinit(void);

/* ------------------------------------------------------------------ */
/* Memory                                                               */
/* ------------------------------------------------------------------ */

/* Overwrite n bytes in a way the compiler cannot drop. */
void smime_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string, then frees it (NULL is fine).  For
 * the field names, values and parameters the MIME code keeps: they may
 * come from content the gateway decrypted. */
void smime_str_free(char *s);

/* A growable byte string (Postfix's vstring idea).  data is always
 * NUL-terminated after len bytes, so text can be used as a C string. */
typedef struct smime_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	bool secret; /* smime_buf_secret(): every block out of core dumps */
	bool paged;  /* data is pages of its own, marked MADV_DONTDUMP */
} smime_buf;

/* clang-format off */
#define SMIME_BUF_INIT {NULL, 0, 0, false, false}
/* clang-format on */

int smime_buf_append(smime_buf *b, const void *p, size_t n);
int smime_buf_puts(smime_buf *b, const char *s);
int smime_buf_putc(smime_buf *b, int c);
int smime_buf_printf(smime_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void smime_buf_reset(smime_buf *b); /* len = 0, keeps memory */
void smime_buf_free(smime_buf *b);  /* wipes, then frees */
/* Marks b as holding secrets (plaintext, key material): its blocks, the
 * current one too, are pages of their own kept out of core dumps
 * (MADV_DONTDUMP; blocks of 64 KB or more always are).  SMIME_E_NOMEM
 * when the current block cannot be moved; b stays as it was then. */
int smime_buf_secret(smime_buf *b);
/* Hands the data over as a malloc'd C string (never NULL on success);
 * the buffer is left empty. */
int smime_buf_steal(smime_buf *b, char **out);

/* ------------------------------------------------------------------ */
/* UTF-8 (RFC 3629): internationalised addresses, header values, logs   */
/* ------------------------------------------------------------------ */

/* The length (1 to 4) of the well-formed UTF-8 sequence that starts at
 * p, of at most n bytes; 0 when the bytes there are not one (overlong
 * forms, surrogates and code points past U+10FFFF are not). */
size_t smime_utf8_len(const unsigned char *p, size_t n);
/* The same, 0 too when the character is a control character that could
 * split or disguise a line: C0, DEL, C1 (NEL among them), U+2028 or
 * U+2029.  The blank is printable. */
size_t smime_utf8_printable(const unsigned char *p, size_t n);
/* Whether n bytes are well-formed UTF-8 without control characters. */
bool smime_utf8_text(const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* Body store                                                           */
/* ------------------------------------------------------------------ */

/*
 * Holds a message body while it arrives.  It stays in memory up to
 * mem_limit bytes, then moves to an unlinked 0600 file in tmpdir.
 * smime_body_view() gives one contiguous read-only view: the memory
 * buffer, or a read-only mapping of the spill file.
 */
typedef struct smime_body smime_body;

int smime_body_new(size_t mem_limit, const char *tmpdir, smime_body **out);
int smime_body_append(smime_body *b, const void *p, size_t n);
/* The view stays valid until the next append or free. */
int smime_body_view(smime_body *b, const unsigned char **data, size_t *len);
size_t smime_body_size(const smime_body *b);
bool smime_body_spilled(const smime_body *b);
/* Why the last SMIME_E_IO happened: the errno of the failed file
 * operation (ENOSPC when TempDirectory is full), 0 when none failed. */
int smime_body_errno(const smime_body *b);
void smime_body_free(smime_body *b);

/* ------------------------------------------------------------------ */
/* Header lists                                                         */
/* ------------------------------------------------------------------ */

typedef struct smime_header {
	char *name;  /* as received */
	char *value; /* raw value as received: folding kept, no leading blank */
} smime_header;

typedef struct smime_headers {
	smime_header *v;
	size_t n;
	size_t cap;
} smime_headers;

/* clang-format off */
#define SMIME_HEADERS_INIT {NULL, 0, 0}
/* clang-format on */

int smime_headers_add(smime_headers *h, const char *name, size_t nlen,
		      const char *value, size_t vlen);
/* The nth (0-based) instance of a header, name case-insensitive, or NULL. */
const char *smime_headers_get(const smime_headers *h, const char *name,
			      size_t nth);
/* How many instances of the header there are. */
size_t smime_headers_count(const smime_headers *h, const char *name);
void smime_headers_free(smime_headers *h);

/* The value with folding removed (CRLF/LF + WSP -> WSP), trimmed. */
int smime_header_unfold(const char *value, char **out);

/*
 * Splits an RFC 5322 message held in one buffer into its header list and
 * the offset of the body (the byte after the blank line, or len when
 * there is none).  LF and CRLF line ends are both accepted.  A line that
 * is neither a field nor a continuation ends the header and is the first
 * line of the body (as in Postfix and Python's email package); an mbox
 * "From " line at the very start and a continuation line with no field
 * before it are skipped.  Fields are appended to hdrs.
 */
int smime_message_split(const unsigned char *data, size_t len,
			smime_headers *hdrs, size_t *body_off);

/* The first mailbox address (addr-spec, no angle brackets) of an address
 * header value such as From, or SMIME_E_PARSE when there is none.
 * Display names, quoted strings, comments, groups, folding and obsolete
 * source routes are understood; "<>" is skipped.  Text in angle brackets
 * is taken as it is, a bare address needs an '@'. */
int smime_address_first(const char *value, char **addr);
/* Every mailbox address of an address-list value, in order (groups
 * included); an empty list when there is none.  Free with
 * smime_address_list_free. */
int smime_address_list(const char *value, char ***addrs, size_t *naddrs);
void smime_address_list_free(char **addrs, size_t n);

/* ------------------------------------------------------------------ */
/* MIME                                                                 */
/* ------------------------------------------------------------------ */

/*
 * Documented limits of the MIME parser (defaults in SMIME_MIME_*).  A
 * zero field in smime_mime_limits means the default, never "no limit".
 * max_depth: a multipart at depth >= max_depth is not split (so 16 allows
 * 16 nested multiparts); nesting beyond 32 is never split, because part
 * numbers are 64 bytes.  max_line counts a whole header field, name and
 * continuation lines included; a longer field is dropped.  max_headers
 * and max_line bound header text scanned in the buffer; a top_headers
 * list the caller passes to smime_mime_parse is taken whole.
 */
#define SMIME_MIME_MAX_DEPTH 16     /* multipart nesting (MaxNesting) */
#define SMIME_MIME_MAX_HEADERS 1000 /* header fields per entity */
#define SMIME_MIME_MAX_PARTS 10000  /* entities per message */
#define SMIME_MIME_MAX_LINE 65536   /* bytes in a header field */

typedef struct smime_mime_limits {
	unsigned max_depth;
	unsigned max_headers;
	unsigned max_parts;
	size_t max_line;
} smime_mime_limits;

void smime_mime_limits_default(smime_mime_limits *l);

typedef enum {
	SMIME_CTE_7BIT = 0,
	SMIME_CTE_8BIT,
	SMIME_CTE_BINARY,
	SMIME_CTE_BASE64,
	SMIME_CTE_QP,
	SMIME_CTE_OTHER
} smime_cte;

typedef struct smime_param {
	char *name;  /* lowercased */
	char *value; /* quotes removed, RFC 2231 continuations joined and
		      * percent-decoded (charset and language dropped) */
} smime_param;

/*
 * One MIME entity.  Offsets index the buffer given to smime_mime_parse
 * and cover the exact original bytes, since signatures cover bytes.
 */
typedef struct smime_part {
	size_t start;          /* first byte of the entity's header */
	size_t body_start;     /* first byte of its body */
	size_t end;            /* one past its last byte; for a multipart child
			    * the line end before the boundary line is not
			    * part of the entity (RFC 2046) */
	smime_headers headers; /* the entity's own header fields */
	char *type;            /* lowercased, "text" when absent */
	char *subtype;         /* lowercased, "plain" when absent */
	smime_param *params;
	size_t nparams;
	smime_cte cte;
	char partnum[64]; /* IMAP part number: "" for the message itself,
			   * "1", "1.2", ... */
	unsigned depth;   /* 0 for the top entity */
	/* multipart only */
	struct smime_part *children;
	size_t nchildren;
	size_t preamble_start, preamble_end;
	size_t epilogue_start, epilogue_end;
	bool missing_close; /* no final --boundary-- line was found */
	bool truncated;     /* a limit stopped the parse at or below this
			      * entity (set on it and all its ancestors, so
			      * root->truncated says "somewhere") */
} smime_part;

/*
 * Parses a MIME tree.  With top_headers NULL the buffer starts with the
 * entity's header; otherwise the buffer is the body only and top_headers
 * are the header fields (the milter receives them apart).  Never fails
 * on malformed MIME: what cannot be parsed is a leaf.  Fails only on
 * resource errors.  A limit that stops the parse sets part->truncated.
 * limits may be NULL (defaults).  Splitting rules (delimiter lines,
 * missing close, transport padding, ...) are described in mime.c.
 */
int smime_mime_parse(const unsigned char *buf, size_t len,
		     const smime_headers *top_headers,
		     const smime_mime_limits *limits, smime_part **out);
void smime_mime_free(smime_part *root);

/* The value of a Content-Type parameter (name case-insensitive) or NULL. */
const char *smime_part_param(const smime_part *p, const char *name);

/* Decodes the entity's body according to its Content-Transfer-Encoding
 * into out (base64 and quoted-printable decoded, others copied). */
int smime_part_decode(const unsigned char *buf, const smime_part *p,
		      smime_buf *out);

/* ------------------------------------------------------------------ */
/* Codecs                                                               */
/* ------------------------------------------------------------------ */

/* Lenient base64 decoding: whitespace and line ends are skipped, decoding
 * stops at the first '=' pad.  Other characters give SMIME_E_PARSE. */
int smime_base64_decode(const unsigned char *in, size_t n, smime_buf *out);
/* Base64 with CRLF after every line_len output characters (0: no breaks);
 * with line breaks the last line ends in CRLF too. */
int smime_base64_encode(const unsigned char *in, size_t n, size_t line_len,
			smime_buf *out);
/* RFC 2045 quoted-printable; soft line breaks removed, bad escapes kept. */
int smime_qp_decode(const unsigned char *in, size_t n, smime_buf *out);
int smime_qp_encode(const unsigned char *in, size_t n, smime_buf *out);
/* Canonical form: every line end (LF, CRLF, lone CR) becomes CRLF. */
int smime_canon_crlf(const unsigned char *in, size_t n, smime_buf *out);
/* The other form some signers hashed: every CRLF becomes LF. */
int smime_canon_lf(const unsigned char *in, size_t n, smime_buf *out);

/* ------------------------------------------------------------------ */
/* Ciphers (SPEC section 6): the one table everything reads            */
/* ------------------------------------------------------------------ */

typedef enum {
	SMIME_CIPHER_UNKNOWN = 0,
	SMIME_CIPHER_RC2_40_CBC,
	SMIME_CIPHER_RC2_64_CBC,
	SMIME_CIPHER_RC2_128_CBC,
	SMIME_CIPHER_RC2_CBC, /* RC2 with any other effective key size */
	SMIME_CIPHER_DES_CBC,
	SMIME_CIPHER_DES_EDE3_CBC,
	SMIME_CIPHER_AES_128_CBC,
	SMIME_CIPHER_AES_192_CBC,
	SMIME_CIPHER_AES_256_CBC,
	SMIME_CIPHER_AES_128_GCM,
	SMIME_CIPHER_AES_192_GCM,
	SMIME_CIPHER_AES_256_GCM,
	SMIME_CIPHER_AES_128_CCM, /* RFC 5084; read, not written */
	SMIME_CIPHER_AES_192_CCM,
	SMIME_CIPHER_AES_256_CCM,
	SMIME_CIPHER_CHACHA20_POLY1305 /* RFC 8103; read, not written */
} smime_cipher_id;

typedef struct smime_cipher_info {
	smime_cipher_id id;
	const char *name;  /* SPEC section 6 name */
	const char *oid;   /* content-encryption algorithm OID */
	int gcry_algo;     /* libgcrypt algorithm (0: needs nettle) */
	int gcry_mode;     /* libgcrypt mode */
	size_t key_len;    /* bytes of key (0: taken from the message) */
	size_t iv_len;     /* bytes of IV or GCM nonce */
	unsigned eff_bits; /* effective key bits (RC2); key_len * 8 otherwise */
	bool aead;         /* GCM, CCM, ChaCha20-Poly1305: only inside
			    * AuthEnvelopedData */
	bool writable;     /* this build can seal with it (a peer that
			    * reads it exists: not CCM, not ChaCha20) */
} smime_cipher_info;

const smime_cipher_info *smime_cipher_by_id(smime_cipher_id id);
const smime_cipher_info *smime_cipher_by_name(const char *name);
/* RC2 maps by effective bits (eff_bits from smime_rc2_effective_bits). */
const smime_cipher_info *smime_cipher_by_oid(const char *oid,
					     unsigned eff_bits);
/* RC2CBCParameter version -> effective key bits (RFC 3370/8018):
 * 160 -> 40, 120 -> 64, 58 -> 128, >= 256 -> itself, absent (-1) -> 32,
 * anything else -> 0 (unknown). */
unsigned smime_rc2_effective_bits(long version);

/* Cipher strength as SPEC section 6/7 defines it, against the configured
 * WeakCiphers list (a set of smime_cipher_id bits: 1u << id). */
typedef enum {
	SMIME_STRENGTH_STRONG = 0,
	SMIME_STRENGTH_LEGACY,
	SMIME_STRENGTH_WEAK,
	SMIME_STRENGTH_UNKNOWN /* a cipher this build cannot name: never
				* counted strong (SPEC 7) */
} smime_strength;

#define SMIME_CIPHER_BIT(id) (1u << (unsigned)(id))
/* rc2-40/64/128-cbc and des-cbc, and the odd-size rc2-cbc. */
#define SMIME_WEAK_DEFAULT                                                     \
	(SMIME_CIPHER_BIT(SMIME_CIPHER_RC2_40_CBC) |                           \
	 SMIME_CIPHER_BIT(SMIME_CIPHER_RC2_64_CBC) |                           \
	 SMIME_CIPHER_BIT(SMIME_CIPHER_RC2_128_CBC) |                          \
	 SMIME_CIPHER_BIT(SMIME_CIPHER_DES_CBC))

smime_strength smime_cipher_strength(smime_cipher_id id, uint32_t weak_set);
const char *smime_strength_name(smime_strength s);

/* A correspondent's SMIMECapabilities (RFC 8551 section 2.5.2): the
 * content ciphers it names, in its order of preference, each once; the
 * other capabilities only counted (capabilities.c). */
#define SMIME_CAPS_MAX 16
#define SMIME_CAPS_SCAN 64 /* entries read; real lists have about ten */
typedef struct smime_caps {
	size_t n;
	smime_cipher_id cipher[SMIME_CAPS_MAX];
	size_t other;   /* capabilities that are no content cipher we know */
	size_t dropped; /* distinct ciphers past SMIME_CAPS_MAX, and
			 * entries past SMIME_CAPS_SCAN (not read) */
} smime_caps;

/* Reads the DER of an SMIMECapabilities value.  SMIME_E_PARSE for
 * anything that is not one (out is then empty); an rc2-cbc capability
 * whose key size cannot be read counts as `other`. */
int smime_caps_parse(const unsigned char *der, size_t len, smime_caps *out);
/* Whether a recipient with these capabilities reads cipher id (SPEC 9):
 * des-ede3-cbc always; NULL capabilities (unknown) read default_cipher. */
bool smime_caps_supports(const smime_caps *caps, smime_cipher_id id,
			 smime_cipher_id default_cipher);
/* SPEC 9's `auto`: the first cipher of smime_auto_order() outside
 * weak_set that every one of the n recipients supports (rcpts[i] NULL:
 * capabilities unknown).  min_block > 0 (reencrypt of CBC content)
 * admits only CBC ciphers with a block of at least min_block bytes.
 * SMIME_CIPHER_UNKNOWN when none qualifies. */
smime_cipher_id smime_auto_cipher(const smime_caps *const *rcpts, size_t n,
				  smime_cipher_id default_cipher,
				  uint32_t weak_set, size_t min_block);
/* The order `auto` tries: aes-256-gcm ... des-ede3-cbc. */
const smime_cipher_id *smime_auto_order(size_t *n);

/* ------------------------------------------------------------------ */
/* CMS (RFC 5652, 5083) read through libtasn1                          */
/* ------------------------------------------------------------------ */

typedef enum {
	SMIME_KIND_NONE = 0,       /* no S/MIME at all */
	SMIME_KIND_SIGNED,         /* multipart/signed, detached SignedData */
	SMIME_KIND_OPAQUE_SIGNED,  /* SignedData with encapsulated content */
	SMIME_KIND_ENVELOPED,      /* EnvelopedData */
	SMIME_KIND_AUTH_ENVELOPED, /* AuthEnvelopedData */
	SMIME_KIND_OTHER,          /* another CMS content type */
	SMIME_KIND_CERTS_ONLY      /* SignedData without SignerInfos (RFC 8551
				    * 3.6): certificates, no signature */
} smime_kind;

/* "signed", "opaque-signed", "certs-only", "enveloped", "authEnveloped",
 * "none", "other". */
const char *smime_kind_name(smime_kind k);

typedef enum {
	SMIME_RI_KTRI = 0, /* KeyTransRecipientInfo */
	SMIME_RI_KARI,     /* KeyAgreeRecipientInfo */
	SMIME_RI_KEKRI,    /* KEKRecipientInfo */
	SMIME_RI_PWRI,     /* PasswordRecipientInfo */
	SMIME_RI_ORI       /* OtherRecipientInfo */
} smime_ri_type;

typedef struct smime_recipient {
	smime_ri_type type;
	/* ktri (and each kari recipientEncryptedKey): the identifier */
	bool by_ski;  /* subjectKeyIdentifier, else issuerAndSerial */
	char *issuer; /* RFC 4514 string of the issuer DN */
	char *serial; /* lowercase hex, no separators */
	char *ski;    /* lowercase hex */
	unsigned char *issuer_der; /* raw issuer Name DER (for matching) */
	size_t issuer_der_len;
	/* kekri: the key identifier, lowercase hex */
	char *kek_id;
	/* key transport / agreement algorithm, as a short text:
	 * "rsaEncryption", "rsaesOaep(sha256,mgf1-sha256)", "kari:<oid name>",
	 * "kekri:<oid name>" */
	char *key_alg;
	char *key_alg_oid;
	/* OAEP details (ktri only) */
	bool oaep;
	char *oaep_hash; /* "sha1" default, "sha256", ... */
	char *oaep_mgf_hash;
	bool oaep_label; /* a non-empty pSourceFunc label is present */
	/* the encrypted key (ktri), a view into the DER given to the reader */
	const unsigned char *enc_key;
	size_t enc_key_len;
} smime_recipient;

typedef struct smime_signer {
	char *issuer;  /* RFC 4514 string */
	char *serial;  /* lowercase hex */
	char *ski;     /* when identified by subjectKeyIdentifier */
	char *digest;  /* "sha256", or the OID when unknown */
	char *sig_alg; /* "rsaEncryption", "rsassaPss", "ecdsa-with-SHA256",
			   * ... or the OID */
	char *address; /* e-mail address of the matching certificate, when
			   * the SignedData carries it; NULL otherwise */
	bool has_signed_attrs;
} smime_signer;

typedef struct smime_cms_limits {
	unsigned max_recipients;   /* MaxRecipientInfos */
	unsigned max_certificates; /* MaxCertificates */
} smime_cms_limits;

void smime_cms_limits_default(smime_cms_limits *l);

typedef struct smime_cms_info {
	smime_kind kind; /* SIGNED means SignedData without eContent,
			  * CERTS_ONLY one without SignerInfos */
	char *content_type_oid;
	/* EnvelopedData / AuthEnvelopedData */
	const smime_cipher_info *cipher; /* NULL when the OID is unknown */
	char *cipher_oid;
	unsigned eff_bits; /* effective key bits (RC2 from its parameter) */
	unsigned key_bits; /* 8 * key length where known, else 0 */
	smime_recipient *recipients;
	size_t nrecipients;
	/* SignedData */
	smime_signer *signers;
	size_t nsigners;
	size_t ncertificates;
	/* The encapsulated content (opaque SignedData eContent, joined when it
	 * came as a constructed OCTET STRING).  Empty when detached. */
	smime_buf econtent;
	char *econtent_type_oid;
} smime_cms_info;

/*
 * Reads a ContentInfo (DER or indefinite-length BER) and describes it.
 * Returns SMIME_E_PARSE for DER that is not a ContentInfo of a known
 * shape, SMIME_E_LIMIT past a limit.  The info may be partly filled on
 * error (kind is set as soon as it is known); free it in every case.
 * Views in info point into der, which must outlive info.
 */
int smime_cms_read(const unsigned char *der, size_t len,
		   const smime_cms_limits *limits, smime_cms_info *info);
void smime_cms_info_free(smime_cms_info *info);

/* Recognises raw CMS files: DER starting with SEQUENCE, or PEM
 * ("-----BEGIN PKCS7-----", "CMS", ...).  Puts the DER in out. */
bool smime_cms_looks_raw(const unsigned char *data, size_t len);
int smime_cms_from_pem(const unsigned char *data, size_t len, smime_buf *out);

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

/* ------------------------------------------------------------------ */
/* Analysis: what is this message?                                      */
/* ------------------------------------------------------------------ */

/* One S/MIME layer found in the message. */
typedef struct smime_layer {
	smime_kind kind;
	char part[64];  /* IMAP part number of the S/MIME entity: "TEXT"
			     * for a top-level application/pkcs7-mime, "1" for
			     * the signed part of a top-level multipart/signed,
			     * "1.2" etc when nested */
	unsigned level; /* 0 = outermost S/MIME layer, 1 inside it ... */
	int error;      /* 0, or the SMIME_E_* that stopped analysis */
	smime_strength strength; /* for encrypted layers */
	smime_cms_info cms;
	smime_buf der; /* the DER the views in cms point into, when the
			     * analysis decoded it (kept as long as the facts) */
	/* Signed layers, when smime_analyze_opts.trust was set: one verdict
	 * per SignerInfo in order (a single neutral/malformed one when the
	 * SignedData could not be read).  NULL/0 when not verified or when
	 * there is no SignerInfo (certs-only). */
	smime_sigcheck *checks;
	size_t nchecks;
} smime_layer;

typedef struct smime_analyze_opts {
	smime_mime_limits mime;
	smime_cms_limits cms;
	uint32_t weak_ciphers; /* WeakCiphers as cipher bits */
	unsigned max_nesting;  /* MaxNesting: S/MIME layers analysed */
	/* Verification: with trust set, every signed layer is verified
	 * (smime_verify_signed) against the author addresses of the message
	 * (SPEC section 7: the single From mailbox, the Sender mailbox), at
	 * time now (0: the current time). */
	const smime_trust *trust;
	time_t now;
	/* Where From and Sender come from: NULL for the analysed entity's
	 * own header; the message's header when the entity is content the
	 * gateway decrypted. */
	const smime_headers *addr_headers;
	/* MaxSignatures: verdicts given in one analysis, all layers
	 * together (0: SMIME_MAX_SIGNATURES).  The signatures after them
	 * are not checked, only counted (smime_facts). */
	unsigned max_signatures;
	/* The content a detached SignedData signs, when the buffer is one
	 * (smime-tool inspect --content): the buffer is then read as a raw
	 * CMS file whatever it looks like, and verified against this
	 * content as a multipart/signed's first part is.  NULL: none. */
	const unsigned char *content;
	size_t content_len;
	/* The gateway's certificates for signers whose SignedData lacks
	 * their certificate (smime_local_certs); zero: none. */
	smime_local_certs local;
} smime_analyze_opts;

#define SMIME_MAX_SIGNATURES 100 /* MaxSignatures default */

void smime_analyze_opts_default(smime_analyze_opts *o);

typedef struct smime_facts {
	smime_layer *layers;
	size_t nlayers;
	bool truncated; /* a limit stopped the walk */
	/* Signatures found once max_signatures verdicts were given, not
	 * checked (a signed layer that cannot be read counts one). */
	size_t unchecked_signatures;
} smime_facts;

/*
 * Finds every S/MIME layer the gateway can reach without keys: it walks
 * the MIME tree, reads each pkcs7 entity, descends into the first part
 * of multipart/signed and into the eContent of opaque SignedData.
 * With top_headers NULL the buffer is a whole message; otherwise the
 * buffer is the body and top_headers are the message's header fields.
 * A raw CMS file (DER or PEM) is analysed as one layer.
 * Fails only on resource errors; bad input ends up as layer errors.
 */
int smime_analyze(const unsigned char *buf, size_t len,
		  const smime_headers *top_headers,
		  const smime_analyze_opts *opts, smime_facts *facts);
void smime_facts_free(smime_facts *facts);

/* The first encrypted layer with the weakest strength, or NULL. */
const smime_layer *smime_facts_weakest(const smime_facts *facts);
/* The first encrypted layer in analysis order, or NULL. */
const smime_layer *smime_facts_first_encrypted(const smime_facts *facts);

/* ------------------------------------------------------------------ */
/* Authentication-Results (RFC 8601, RFC 7281; SPEC section 7)         */
/* ------------------------------------------------------------------ */

/* One resinfo: smime=RESULT [reason="..."] and the body.smime-*
 * properties.  serial and issuer are written together or not at all. */
typedef struct smime_resinfo {
	smime_result result;
	smime_reason reason;    /* written when result is not pass */
	const char *identifier; /* body.smime-identifier, may be NULL */
	const char *part;       /* body.smime-part, may be NULL */
	const char *serial;     /* body.smime-serial (hex) */
	const char *issuer;     /* body.smime-issuer (RFC 4514 DN) */
} smime_resinfo;

/*
 * The resinfos of every verified signed layer, outermost layer first, one
 * per smime_sigcheck, then, when facts->unchecked_signatures is not 0,
 * one `neutral` resinfo with reason too-many-signatures that stands for
 * them.  The strings are views into facts.  *n is 0 when nothing was
 * verified (then there is no header to write).
 */
int smime_authres_collect(const smime_facts *facts, smime_resinfo **out,
			  size_t *n);

/*
 * The value of one Authentication-Results header (everything after
 * "Authentication-Results: "): "authserv-id;" then each resinfo on its
 * own line, resinfos separated by ";".  Values with specials are
 * quoted-strings (bytes outside printable ASCII become '?').  Lines are
 * folded as "\n\t" (the libmilter convention, as OpenDKIM does; a writer
 * of a message file must turn "\n" into the message's line end) between
 * properties, so that every line, counted with the header name, stays
 * under 78 characters where the properties allow it and never reaches
 * 998.  A property longer than 77 (a long issuer DN) gets a line of its
 * own and is not broken inside; only one that would reach 998 is folded
 * at its own spaces, and one that still cannot fit is left out (an issuer
 * together with its serial).  The whole field, "Authentication-Results: "
 * and CRLF line ends counted, stays within SMIME_AUTHRES_MAX: the
 * resinfos that would pass it are left out and one last resinfo,
 * smime=neutral reason="too-many-signatures", stands for them (and for
 * any too-many-signatures resinfo in v, which is written once, last).
 * n == 0 is SMIME_E_ARG.
 */
#define SMIME_AUTHRES_MAX (24 * 1024)
int smime_authres_format(const char *authserv_id, const smime_resinfo *v,
			 size_t n, smime_buf *out);

/*
 * Reads an incoming Authentication-Results value (authres_read.c) far
 * enough to decide on removal: whether its authserv-id is ours
 * (case-insensitive), whether it holds an smime resinfo or other methods,
 * whether RFC 8601's grammar reads it to its end, and whether it mentions
 * the word smime after the authserv-id anywhere at all (comments, quoted
 * strings, property values).  The milter removes every header that is
 * ours and has smime, mixed or not: a header under our id carrying smime
 * did not come from this pass, so none of its results can be trusted,
 * and we cannot rewrite a header others may have sealed (ARC).  A header
 * under our id that cannot be read to its end, or that mentions smime
 * outside a proper resinfo, goes too: a more lenient reader may find an
 * smime result in it where we find none (issue 13, F8).  Then the id is
 * also read leniently (ours after one stray '"').  Headers under our id
 * that are read to their end without smime (OpenDKIM, OpenDMARC) are
 * kept.  Never fails on bad input.
 */
typedef struct smime_authres_info {
	bool ours;           /* authserv-id equals ours */
	bool has_smime;      /* a resinfo with method "smime" */
	bool has_other;      /* a resinfo with another method */
	bool complete;       /* RFC 8601 reads the whole value */
	bool mentions_smime; /* the word smime after the authserv-id */
} smime_authres_info;

int smime_authres_inspect(const char *value, const char *authserv_id,
			  smime_authres_info *out);
/* ours && (has_smime || mentions_smime || !complete): the header must go
 * (SPEC section 7). */
bool smime_authres_is_forged(const char *value, const char *authserv_id);

/* ------------------------------------------------------------------ */
/* Edits: what the milter or smime-tool does to the message            */
/* ------------------------------------------------------------------ */

typedef enum {
	SMIME_VERDICT_ACCEPT = 0,
	SMIME_VERDICT_REJECT,
	SMIME_VERDICT_TEMPFAIL,
	SMIME_VERDICT_DISCARD,
	SMIME_VERDICT_QUARANTINE
} smime_verdict;

typedef enum {
	SMIME_EDIT_INSERT = 0, /* insert header at index (0 = top) */
	SMIME_EDIT_DELETE,     /* delete the index-th (1-based) instance */
	SMIME_EDIT_CHANGE      /* replace the index-th (1-based) instance */
} smime_edit_op;

typedef struct smime_edit {
	smime_edit_op op;
	unsigned index;
	char *name;
	char *value;
} smime_edit;

/*
 * The edit list: header operations in milter terms, an optional new
 * body, and a verdict.  Both back ends (libmilter calls, or a writer that
 * produces the message file) apply exactly this.
 */
typedef struct smime_edits {
	smime_edit *v;
	size_t n;
	size_t cap;
	bool replace_body;
	smime_buf body; /* the new body, CRLF line ends */
	smime_verdict verdict;
	char *reply_code;  /* "550" */
	char *reply_xcode; /* "5.7.1" */
	char *reply_text;
	char *quarantine_reason;
} smime_edits;

int smime_edits_header(smime_edits *e, smime_edit_op op, unsigned index,
		       const char *name, const char *value);
void smime_edits_free(smime_edits *e);

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

/*
 * Encrypts content (the inner MIME entity) for n recipients into a new
 * ContentInfo, DER, appended to der: EnvelopedData for the CBC ciphers,
 * AuthEnvelopedData for GCM (16-byte tag, no authenticated attributes).
 * A fresh random content key and IV every call.  One
 * KeyTransRecipientInfo per recipient, in the given form; a recipient
 * asked for by SKI whose certificate has none gets issuerAndSerial.
 * SMIME_E_UNSUPPORTED for a non-RSA certificate or OAEP parameters the
 * engine cannot produce; nothing is appended on failure.
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
#define SMIME_P7M_TRANSFER_ENCODING "base64"
#define SMIME_P7M_DISPOSITION "attachment; filename=smime.p7m"
/* The body: base64 in 76-column lines, each ending in CRLF. */
int smime_p7m_body(const unsigned char *der, size_t len, smime_buf *out);
/* A whole entity: Content-Type (folded before name=),
 * Content-Transfer-Encoding, Content-Disposition, blank line, body. */
int smime_p7m_entity(smime_kind kind, const unsigned char *der, size_t len,
		     smime_buf *out);

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

#ifdef __cplusplus
}
#endif

#endif /* SMIME_H */
