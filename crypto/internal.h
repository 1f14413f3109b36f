/*
 * internal.h - declarations shared by crypto/ modules, not part of the
 * public API in smime.h.
 */
#ifndef SMIME_INTERNAL_H
#define SMIME_INTERNAL_H

#include "smime.h"

#include <gnutls/x509.h>
#include <libtasn1.h>

/* The ASN.1 definitions compiled from cms.asn by asn1Parser. */
extern const asn1_static_node smime_cms_asn1_tab[];

/* The parsed definitions, created once by smime_global_init(). */
asn1_node smime_cms_definitions(void);

/* --- content ciphers (cipher.c) --- */
/* The cms.asn type of a cipher's parameters ("SmimeCMS.GCMParameters"). */
const char *smime_cipher_params_type(const smime_cipher_info *c);
/* Whether an AEAD cipher takes a tag of icv bytes (GCM 12-16, CCM 4-16
 * even, ChaCha20-Poly1305 16). */
bool smime_aead_icv_ok(const smime_cipher_info *c, long icv);
/* Whether an AEAD nonce of len bytes suits the cipher (CCM 7-13,
 * ChaCha20-Poly1305 12, GCM 1-64). */
bool smime_aead_nonce_ok(const smime_cipher_info *c, size_t len);

/* --- Key derivation and key wrap (RFC 5753, RFC 3394, RFC 3217) --- */
/* Hash(Z || Counter || info) for a 32-bit big-endian Counter from first
 * on, concatenated and cut to outlen: MGF1 (RFC 8017 B.2.1, first 0, no
 * info) and the X9.63 KDF (first 1) are this.  SMIME_E_ARG as for
 * smime_x963_kdf. */
int smime_counter_kdf(int md_algo, const unsigned char *z, size_t zlen,
		      uint32_t first, const unsigned char *info, size_t infolen,
		      unsigned char *out, size_t outlen);
/* The ANSI X9.63 KDF of RFC 5753 7.2 (SEC 1 3.6.1): outlen bytes of
 * Hash(Z || Counter || SharedInfo), Counter a 32-bit big-endian 1, 2, ...
 * md_algo is a GCRY_MD_* with a fixed output (SHA-1, SHA-2 among them).
 * SMIME_E_ARG for outlen 0, a NULL pointer with a length above 0, or an
 * algorithm libgcrypt does not have. */
int smime_x963_kdf(int md_algo, const unsigned char *z, size_t zlen,
		   const unsigned char *info, size_t infolen,
		   unsigned char *out, size_t outlen);
/* RFC 3394 AES key wrap with the default IV under a KEK of 16, 24 or 32
 * bytes: a key of keylen bytes (a multiple of 8, at least 16) into
 * keylen + 8 bytes of out.  Bad lengths are SMIME_E_ARG. */
int smime_aes_key_wrap(const unsigned char *kek, size_t keklen,
		       const unsigned char *key, size_t keylen,
		       unsigned char *out);
/* Its reverse: inlen bytes into inlen - 8 bytes of out, which must not
 * overlap in.  A failed integrity check is SMIME_E_CRYPTO, out wiped. */
int smime_aes_key_unwrap(const unsigned char *kek, size_t keklen,
			 const unsigned char *in, size_t inlen,
			 unsigned char *out);
/* RFC 3217 3.1 Triple-DES key wrap under a three-key KEK: the key with
 * its DES parity bits set to odd, its CMS checksum, a fresh random IV.
 * Unwrapping gives that parity-adjusted key back. */
int smime_3des_key_wrap(const unsigned char kek[24],
			const unsigned char key[24], unsigned char out[40]);
/* RFC 3217 3.2: a checksum that does not match or a key octet without
 * odd parity is SMIME_E_CRYPTO (one verdict, in constant time), out
 * wiped. */
int smime_3des_key_unwrap(const unsigned char kek[24],
			  const unsigned char in[40], unsigned char out[24]);

/* --- OID names and identifier printing (cms_names.c) --- */
typedef enum {
	SMIME_OID_ANY = 0,
	SMIME_OID_DIGEST,
	SMIME_OID_SIGNATURE,
	SMIME_OID_KEY_TRANSPORT,
	SMIME_OID_KEY_AGREEMENT,
	SMIME_OID_KEY_WRAP,
	SMIME_OID_CIPHER,
	SMIME_OID_CONTENT_TYPE,
	SMIME_OID_ATTRIBUTE,
	SMIME_OID_OTHER
} smime_oid_class;

/* Short name of a dotted OID ("sha256", "rsassaPss", "id-aes128-wrap")
 * within a class (SMIME_OID_ANY: any), or NULL when unknown. */
const char *smime_oid_name(const char *oid, smime_oid_class cls);
/* The reverse: the dotted OID of a name (case-insensitive), or NULL. */
const char *smime_oid_by_name(const char *name, smime_oid_class cls);
/* A malloc'd copy of the name, or of the OID itself when unknown. */
int smime_oid_name_dup(const char *oid, smime_oid_class cls, char **out);
/* Lowercase hex of n bytes, malloc'd. */
int smime_hex_lower(const unsigned char *p, size_t n, char **out);
/* A certificate serial (DER INTEGER content) without its leading zero
 * bytes (at least one byte stays), so serials compare as numbers. */
void smime_serial_trim(const unsigned char **p, size_t *n);
/* Lowercase hex of a trimmed serial ("3a9f01c2"). */
int smime_serial_hex(const unsigned char *p, size_t n, char **out);
/* An X.501 Name (DER) as an RFC 4514 string ("CN=Example CA,O=Example"),
 * bytes other than printable ASCII as \XX hex pairs ("CN=N\C3\A4ide"). */
int smime_dn_to_string(const unsigned char *der, size_t len, char **out);

/* --- libtasn1 helpers (cms_read.c) --- */
/* Maps a libtasn1 result to SMIME_E_NOMEM or SMIME_E_PARSE (0 stays 0). */
int smime_asn1_err(int asn1_result);
/* Reads a value into a malloc'd buffer (NUL-terminated one past *len).
 * A missing OPTIONAL element gives SMIME_E_PARSE. */
int smime_asn1_read(asn1_node node, const char *name, unsigned char **out,
		    size_t *len);
/* Decodes BER (indefinite lengths allowed) of the named type of cms.asn
 * ("SmimeCMS.EnvelopedData").  allow_zeros accepts zero bytes after the
 * element: the end-of-contents an indefinite-length [0] EXPLICIT wrapper
 * leaves after its content, or block padding after a whole message.
 * Anything else after the element is SMIME_E_PARSE.  *out is NULL on
 * failure. */
int smime_asn1_decode(const char *type, const unsigned char *der, size_t len,
		      bool allow_zeros, asn1_node *out);
/* The encoding of the named element inside der (decoded into node), less
 * its explicit tag and, when that tag had an indefinite length, less its
 * end-of-contents octets: for "content" of a ContentInfo, the inner
 * structure. */
int smime_asn1_inner(asn1_node node, const unsigned char *der, size_t len,
		     const char *name, const unsigned char **out,
		     size_t *outlen);
/* The content octets of the element name inside der (decoded into node),
 * when it is one definite-length primitive: a view into der.  A
 * constructed element gives SMIME_E_UNSUPPORTED. */
int smime_asn1_view(asn1_node node, const unsigned char *der, size_t len,
		    const char *name, const unsigned char **out,
		    size_t *outlen);
/* Reads the dotted OID at name as a malloc'd C string. */
/* A BIT STRING of whole bytes, read as bytes (malloc'd); SMIME_E_PARSE
 * for one whose length is not a whole number of bytes. */
int smime_asn1_read_bits(asn1_node node, const char *name, unsigned char **out,
			 size_t *len);
int smime_asn1_read_oid(asn1_node node, const char *name, char **out);
/* Whether the (OPTIONAL) element name is present in a decoded node. */
bool smime_asn1_present(asn1_node node, const char *name);
/* An IssuerAndSerialNumber at name: RFC 4514 issuer, raw issuer DER,
 * serial as lowercase hex; issuer_der may be NULL. */
int smime_asn1_read_iasn(asn1_node node, const char *name, char **issuer,
			 unsigned char **issuer_der, size_t *issuer_der_len,
			 char **serial_hex);
/* Appends printf output to a path buffer for libtasn1 element names;
 * the result is "?" (which names nothing) if it would not fit. */
typedef struct smime_asn1_path {
	char s[256];
} smime_asn1_path;
const char *smime_asn1_path_fmt(smime_asn1_path *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Deletes a libtasn1 tree and zeroes its values on the way: trees hold
 * content keys being wrapped and content the gateway decrypted. */
void smime_asn1_free(asn1_node *node);
/* asn1_write_value(): 0, SMIME_E_NOMEM, or SMIME_E_ARG for a wrong name
 * or value (a bug of the writer, never the input's fault). */
int smime_asn1_write(asn1_node node, const char *name, const void *value,
		     int len);
/* Appends the DER of element name ("" for all) of node to out: 0,
 * SMIME_E_NOMEM, or SMIME_E_ARG when libtasn1 cannot encode it. */
int smime_asn1_encode(asn1_node node, const char *name, smime_buf *out);

/* One BER element (ber.c): where it starts, its whole length
 * (end-of-contents octets included), its value (without them). */
typedef struct smime_ber {
	const unsigned char *p;
	size_t len;
	const unsigned char *v;
	size_t vlen;
	bool cons;
} smime_ber;

/* The element at p measured within avail bytes; false when it does not
 * fit or is not BER. */
bool smime_ber_at(const unsigned char *p, size_t avail, smime_ber *t);

/* --- one decoded CMS content (cms_read.c, cms_signed.c) --- */
/*
 * The content of a ContentInfo, decoded once: smime_cms_read_tree()
 * reads the facts (smime_cms_info) from it and hands it on, so that the
 * verifier (SignedData) and smime_envelope_parse() (EnvelopedData,
 * AuthEnvelopedData) read the rest from the same tree rather than
 * decoding the bytes again.  Zeroed is empty; smime_cms_tree_free()
 * frees it.
 */
typedef struct smime_cms_tree {
	asn1_node node;          /* SmimeCMS.SignedData, EnvelopedData or
			 * AuthEnvelopedData; NULL for other content */
	const unsigned char *ci; /* the ContentInfo: the caller's bytes, or
				  * fixed.data */
	size_t ci_len;
	const unsigned char *der; /* node's encoding inside ci */
	size_t len;
	smime_buf fixed; /* a SignedData ContentInfo with its empty SETs made
			  * readable (cms_empty_sets.c), when only that decoded */
	/* the value of the encryptedContent that the ContentInfo decoded
	 * (info's hollow) left out, in the caller's bytes: the content of a
	 * primitive one, the OCTET STRINGs of a constructed one; NULL when
	 * the tree holds it (then it is read from the tree) */
	const unsigned char *econtent;
	size_t econtent_len;
	bool econtent_chunks; /* constructed: OCTET STRINGs to join */
	/* SignedData: its certificates, imported once by
	 * smime_cms_tree_certs(); NULL entries for the CertificateChoices
	 * other than a Certificate and for certificates that do not parse */
	gnutls_x509_crt_t *certs;
	size_t ncerts;
	bool certs_loaded;
} smime_cms_tree;

/* smime_cms_read(), and the decoded content in *tree (may be NULL) when
 * it succeeds; the caller's der must outlive the tree. */
int smime_cms_read_tree(const unsigned char *der, size_t len,
			const smime_cms_limits *limits, smime_cms_info *info,
			smime_cms_tree *tree);
void smime_cms_tree_free(smime_cms_tree *t);

/* The readers of the content types (cms_enveloped.c, cms_signed.c), from
 * t as the caller decoded it (SignedData: smime_cms_signed_decode;
 * EnvelopedData: t->ci and t->der set, decoded here); info already has
 * content_type_oid.  keep: the caller goes on reading t (else the
 * SignedData reader frees it as soon as it can). */
int smime_cms_read_enveloped(smime_cms_tree *t, bool auth,
			     const smime_cms_limits *limits,
			     smime_cms_info *info);
int smime_cms_read_signed(smime_cms_tree *t, const smime_cms_limits *limits,
			  bool keep, smime_cms_info *info);

/* The SignedData of ContentInfo ci decoded into t; sd is the SignedData
 * inside ci when the caller located it already, else NULL.  When it
 * does not decode, a second try with its empty SETs of indefinite
 * length made readable (smime_cms_fix_empty_sets), that copy in
 * t->fixed.  SMIME_E_PARSE when ci is no SignedData ContentInfo. */
int smime_cms_signed_decode(const unsigned char *ci, size_t ci_len,
			    const unsigned char *sd, size_t sdlen,
			    smime_cms_tree *t);
/* The certificates of the decoded SignedData t imported, the first
 * SMIME_MAX_POOL of them, once whoever asks first: 0, SMIME_E_NOMEM, or
 * SMIME_E_PARSE when an element could not be read (its entry stays
 * NULL, the others are there). */
#define SMIME_MAX_POOL 10000 /* the largest MaxCertificates */
int smime_cms_tree_certs(smime_cms_tree *t);
/* The eContent of the decoded SignedData t, chunks joined, appended to
 * out; nothing when it has none. */
int smime_cms_signed_econtent(const smime_cms_tree *t, smime_buf *out);

/* --- verification of a decoded SignedData (verify.c) --- */
/* smime_verify_signed() over t, the tree smime_cms_read_tree() decoded
 * (req->der is not read again); econtent is the eContent that read gave
 * (smime_cms_info.econtent).  The certificates are imported once, for
 * the facts and the verdicts alike. */
int smime_verify_decoded(const smime_trust *trust, const smime_verify_req *req,
			 smime_cms_tree *t, const smime_buf *econtent,
			 smime_sigcheck **out, size_t *nout, size_t *nleft);

/* The SignedData inside a ContentInfo (DER or BER): a view into der, with
 * the end-of-contents octets an indefinite-length [0] may leave behind;
 * SMIME_E_PARSE when der is no SignedData ContentInfo. */
int smime_cms_signed_data(const unsigned char *der, size_t len,
			  const unsigned char **sd, size_t *sdlen);
/* A SignedData ContentInfo whose SignedData has a field that is an empty
 * SET of indefinite length (A1 80 00 00), which libtasn1 and GnuTLS
 * cannot read, copied into out with those fields of definite length
 * (cms_empty_sets.c): 1 when out holds that copy, 0 when der has no such
 * field or is no SignedData (out untouched), SMIME_E_NOMEM.  For a
 * second try once the SignedData did not decode. */
int smime_cms_fix_empty_sets(const unsigned char *der, size_t len,
			     smime_buf *out);

/* An EnvelopedData or AuthEnvelopedData ContentInfo without its
 * encryptedContent, appended to out, and where that content lies in der,
 * into t's econtent fields (cms_hollow.c): 1 then, 0 when der has not
 * the shape taken out (out and t untouched), SMIME_E_NOMEM. */
int smime_cms_hollow(const unsigned char *der, size_t len, smime_buf *out,
		     smime_cms_tree *t);
/* The encrypted content t's econtent fields locate: *ct a view of der
 * for a primitive one; a constructed one's OCTET STRINGs joined into
 * joined (which the caller may let spill) and *ct its data. */
int smime_cms_econtent(const smime_cms_tree *t, smime_buf *joined,
		       const unsigned char **ct, size_t *ct_len);
/* Appends the ContentInfo (envelopedData, or authEnvelopedData when
 * auth) around ed, the DER of one without its encryptedContent, with a
 * primitive encryptedContent of ctlen bytes at *ct_off of out for the
 * caller to fill.  SMIME_E_ARG when ed is not such DER. */
int smime_cms_fill(bool auth, const unsigned char *ed, size_t edlen,
		   size_t ctlen, smime_buf *out, size_t *ct_off);

/* Case-insensitive ASCII comparison helpers. */
int smime_ascii_casecmp(const char *a, const char *b);
int smime_ascii_ncasecmp(const char *a, const char *b, size_t n);

/* Whole-message transforms (sign_mime.c, encrypt_mime.c). */
/* A Content-* field, the ones RFC 8551 moves inside a wrapper. */
bool smime_is_content_field(const char *name);
/* "Name: value\r\n", the value's folding made CRLF. */
int smime_put_field(smime_buf *out, const char *name, const char *value);
/* The wrapper's header edits: every Content-* field of hdrs deleted
 * except the first Content-Type, which becomes ct (inserted at the
 * bottom when there is none); exactly one MIME-Version. */
int smime_content_header_edits(const smime_headers *hdrs, const char *ct,
			       smime_edits *e);

/* The value of a hex digit (either case), or -1 (codec.c). */
int smime_hexval(int c);

/* Duplicate n bytes as a NUL-terminated string; NULL on ENOMEM. */
char *smime_strndup(const char *s, size_t n);
/* A new file in dir named prefix.XXXXXX, unlinked at once and mode 0600
 * whatever the umask (body.c): its descriptor, or -1 with errno. */
int smime_tmpfile(const char *dir, const char *prefix);

/* --- The author addresses a signer must match (authors.c) --- */
/* SPEC section 7: *from gets the mailbox of the one From field when it
 * holds exactly one, *sender that of the one Sender field likewise;
 * each stays NULL otherwise, and both do when there are two From
 * fields.  malloc'd addr-specs; fails only on resource errors. */
int smime_message_authors(const smime_headers *h, char **from, char **sender);

#endif
