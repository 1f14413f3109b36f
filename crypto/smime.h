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
 *
 * Three parts live in files of their own, included where they stand:
 * smime_verify.h (trust and verification), smime_keys.h (the gateway's
 * keys, the certificate directory, correspondents' certificates, the
 * LDAP directory's callback, harvesting) and smime_seal.h (EnvelopedData
 * opened and sealed, signing).  Callers include this file only.
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
	bool filed;  /* data is a mapped, unlinked file in spill_dir */
	const char *spill_dir; /* smime_buf_spill(): where big blocks go */
	size_t used; /* bytes of the block ever handed out: what a wipe
		      * covers (the rest of a paged block is untouched) */
} smime_buf;

/* clang-format off */
#define SMIME_BUF_INIT {NULL, 0, 0, false, false, false, NULL, 0}
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
/*
 * Lets b's blocks of SMIME_SPILL_MIN bytes or more be a mapped file in
 * dir (an unlinked file, mode 0600), so a big body costs page cache the
 * kernel can write back rather than anonymous memory (issue 19).  For
 * buffers that hold nothing the spill file of the message does not
 * already hold: the message itself, its DER, ciphertext, a new body.
 * Never plaintext that was encrypted: a secret buffer never spills
 * (smime_buf_secret() undoes this).  dir must outlive b; NULL undoes
 * it.  When no file can be made there, the block is memory as before.
 * Spilled blocks are not wiped when given back: the file goes with its
 * last mapping.
 */
void smime_buf_spill(smime_buf *b, const char *dir);
#define SMIME_SPILL_MIN ((size_t)1024 * 1024)
/* Makes room for need more bytes (and the NUL after them) at b->data +
 * b->len, for a writer that fills them in place and then sets b->len
 * and the NUL itself. */
int smime_buf_reserve(smime_buf *b, size_t need);
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
	/* Where a big decoded DER or encrypted content may spill
	 * (smime_buf_spill; TempDirectory); NULL: memory. */
	const char *spill_dir;
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
	/* An EnvelopedData's ContentInfo without its encrypted content,
	 * which was decoded instead of the caller's bytes (cms_hollow.c):
	 * the views into the recipients point here. */
	smime_buf hollow;
} smime_cms_info;

/*
 * Reads a ContentInfo (DER or indefinite-length BER) and describes it.
 * Returns SMIME_E_PARSE for DER that is not a ContentInfo of a known
 * shape, SMIME_E_LIMIT past a limit.  The info may be partly filled on
 * error (kind is set as soon as it is known); free it in every case.
 * Views in info point into der, or into info's own copy, so der must
 * outlive info.
 */
int smime_cms_read(const unsigned char *der, size_t len,
		   const smime_cms_limits *limits, smime_cms_info *info);
void smime_cms_info_free(smime_cms_info *info);

/* Recognises raw CMS files: DER starting with SEQUENCE, or PEM
 * ("-----BEGIN PKCS7-----", "CMS", ...).  Puts the DER in out. */
bool smime_cms_looks_raw(const unsigned char *data, size_t len);
int smime_cms_from_pem(const unsigned char *data, size_t len, smime_buf *out);

#include "smime_verify.h"

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
	/* The buffer is content a private key revealed (SPEC 8): nothing
	 * decoded from it spills to cms.spill_dir, and its chains are
	 * judged without the trust store's verdict cache, whose hits would
	 * let the time of one message tell what another's key revealed
	 * (and this one's, what earlier messages' signers were). */
	bool decrypted;
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
/*
 * The header as e's header edits leave in: a copy of every field of in,
 * then each edit applied in order with the milter's semantics (INSERT
 * before the index-th field, past the end at the bottom; DELETE and
 * CHANGE the index-th instance of the name, CHANGE without a value
 * deleting; an instance that does not exist is no change), appended to
 * out.  A later transform works on this header, and its edits, appended
 * to e, apply to it (SPEC 5: each transform on the result of the one
 * before).  Values an edit wrote keep libmilter folding ("\n\t").
 */
int smime_edits_apply_headers(const smime_headers *in, const smime_edits *e,
			      smime_headers *out);

#include "smime_keys.h"
#include "smime_seal.h"

#ifdef __cplusplus
}
#endif

#endif /* SMIME_H */
