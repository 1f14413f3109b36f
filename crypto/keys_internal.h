/*
 * keys_internal.h - what the key store, the certificate directory and the
 * EnvelopedData engine share inside crypto/, not part of smime.h:
 * certificate identities and their index, the RSA key transports and the
 * content ciphers.
 */
#ifndef SMIME_KEYS_INTERNAL_H
#define SMIME_KEYS_INTERNAL_H

#include "internal.h"

#include <gcrypt.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* --- certificates (certid.c) --- */

struct smime_cert {
	gnutls_x509_crt_t crt;
	smime_buf der;
	unsigned char *issuer_der; /* raw issuer Name */
	size_t issuer_der_len;
	unsigned char *ski_raw; /* NULL when absent */
	size_t ski_len;
	char *file, *name, *subject, *issuer, *serial, *ski, *key_type;
	char **addresses;
	size_t naddresses;
	smime_cert_info info; /* views of the fields above */
};

/* A certificate from DER: takes ownership of crt (freed on failure too).
 * file and name (may be NULL) are copied. */
int smime_cert_new(gnutls_x509_crt_t crt, const char *file, const char *name,
		   smime_cert **out);
void smime_cert_free(smime_cert *c);
/* Moves src's certificates to the end of dst (capabilities stay): 0, or
 * SMIME_E_NOMEM with both unchanged. */
int smime_found_take(smime_found *dst, smime_found *src);
/* Whether the certificate's public key is RSA (key transport). */
bool smime_cert_is_rsa(const smime_cert *c);

/* --- the index of certificates by identifier (certindex.c) --- */

/* Sorted (identifier key, item) pairs: "a:" address, "i:" serial hex
 * ":" issuer DER hex, "k:" SKI hex.  Several items may share a key. */
typedef struct smime_certindex {
	struct smime_certindex_entry {
		char *key;
		size_t item; /* index into the owner's array */
	} * v;
	size_t n, cap;
} smime_certindex;

/* Adds every identifier of c for item. */
int smime_certindex_add(smime_certindex *ix, const smime_cert *c, size_t item);
/* Adds c's subject Name (an "s:" key) for item: the certificate
 * directory's issuer lookup. */
int smime_certindex_add_subject(smime_certindex *ix, const smime_cert *c,
				size_t item);
/* Sorts; call once after the last add. */
void smime_certindex_sort(smime_certindex *ix);
/* Cursor lookups: the item of the next match at or after *pos, or -1.
 * *pos is the cursor within the index. */
long smime_certindex_find_address(const smime_certindex *ix, const char *addr,
				  size_t *pos, int *err);
long smime_certindex_find_recipient(const smime_certindex *ix,
				    const smime_recipient *r, size_t *pos);
/* Certificates whose subject Name may be name (RFC 4514, as in
 * smime_cert_info), compared without regard to ASCII case: a superset
 * of the issuers GnuTLS would accept for a certificate of that issuer. */
long smime_certindex_find_subject(const smime_certindex *ix, const char *name,
				  size_t *pos);
/* The first of certs (the owner's array, which the items of ix index),
 * in index order, that is not c itself and that issued c
 * (gnutls_x509_crt_check_issuer: the names, and the key identifiers where
 * both are present), or NULL.  Needs the "s:" keys; nothing is parsed. */
const smime_cert *smime_certindex_find_issuer(const smime_certindex *ix,
					      const smime_cert *const *certs,
					      const smime_cert *c);
void smime_certindex_free(smime_certindex *ix);

/* --- the certificate directory (certdir.c) --- */

/* The first certificate of the directory, in load order, that is not c
 * itself and that issued c (gnutls_x509_crt_check_issuer: the names, and
 * the key identifiers where both are present), or NULL.  A lookup in the
 * subject index; nothing is parsed. */
const smime_cert *smime_certdir_find_issuer(const smime_certdir *cd,
					    const smime_cert *c);

/* --- the key store (keystore.c) --- */

/* As smime_certdir_find_issuer, among the key store's certificates: the
 * keys' own certificates in NAME order, then their chains in the same
 * order. */
const smime_cert *smime_keystore_find_issuer(const smime_keystore *ks,
					     const smime_cert *c);

/* --- recipients' certificates (trust_recipient.c) --- */

/* The checks of smime_judge_recipient that need no trust store: validity
 * at now and key usage for encryption.  A KeyStore certificate is
 * trusted as it is, so these are all the lookup asks of it. */
smime_rcpt_status smime_judge_own_cert(const smime_cert *cert, time_t now);

/* --- directory walking (keystore.c, certdir.c) --- */

/* Appends "PATH: message\n" to diags (which may be NULL). */
void smime_diag(smime_buf *diags, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The regular, non-hidden entries of dir, sorted by name (malloc'd
 * array of malloc'd names).  SMIME_E_IO when dir cannot be read. */
int smime_dir_list(const char *dir, char ***names, size_t *n);
void smime_dir_list_free(char **names, size_t n);
/* Reads a whole file already opened as fd into out (which wipes). */
int smime_fd_read(int fd, smime_buf *out);

/* --- keys (keystore.c) --- */

gnutls_privkey_t smime_key_privkey(const smime_key *k);
/* The issuers stored after the key's certificate (its chain, as the
 * KeyStore entry gave it), for the signer's certificate set. */
void smime_key_chain(const smime_key *k, const gnutls_x509_crt_t **chain,
		     unsigned *n);

/* --- RSA key transport (rsa_transport.c) --- */

/* A content key in libgcrypt secure memory. */
struct smime_content_key {
	unsigned char *key;
	size_t len;
};

int smime_content_key_new(size_t len, smime_content_key **out);

/* The longest content key (RC2 keys end at 128 bytes). */
#define SMIME_CK_MAX 128
/* The bytes of the secret a key store makes for each key at load time,
 * for the substitute keys of implicit rejection. */
#define SMIME_KEY_SECRET_LEN 32

/* One unwrap's input (SPEC section 8 step 2). */
typedef struct smime_unwrap_in {
	gnutls_privkey_t key;
	const unsigned char *secret; /* SMIME_KEY_SECRET_LEN bytes */
	const smime_keytrans *kt;
	const unsigned char *enc; /* the encrypted key */
	size_t enc_len;
	const size_t *lens; /* the key lengths the content cipher allows */
	size_t nlens;
} smime_unwrap_in;

/*
 * Unwraps in->enc into out, a content key of SMIME_CK_MAX bytes' room:
 * the key it holds when the padding is right and its length is one of
 * lens, otherwise the substitute of in->lens[0] bytes.  Without a branch
 * on which.  Negative only for a resource error or a caller error (the
 * caller checked the public conditions first: smime_envelope_usable).
 */
int smime_rsa_unwrap(const smime_unwrap_in *in, smime_content_key *out);
/* One unwrap of smime_envelope_open (step 2), into out of SMIME_CK_MAX
 * bytes' room; and its step 3, the content decrypted with a key and
 * appended to out (nothing appended when *authentic is false for GCM).
 * Apart for the tests, which look at the keys themselves. */
int smime_envelope_unwrap(const smime_envelope *env, const smime_unwrap *u,
			  smime_content_key *out);
int smime_envelope_decrypt_with(const smime_envelope *env,
				const smime_content_key *key, smime_buf *out,
				bool *authentic);
/* The RSA private key as a libgcrypt S-expression (secure memory). */
int smime_rsa_private_sexp(gnutls_privkey_t key, gcry_sexp_t *out);
/* The key's implicit-rejection secret (keystore.c). */
const unsigned char *smime_key_secret(const smime_key *k);

/* Encrypts ck for the certificate's RSA key into out (appended). */
int smime_rsa_wrap(const smime_cert *cert, const smime_keytrans *kt,
		   const smime_content_key *ck, smime_buf *out);
/* Whether kt is a transport the engine can compute (OAEP needs the MGF1
 * hash equal to the hash, and a hash libgcrypt knows). */
bool smime_keytrans_supported(const smime_keytrans *kt);

/* --- content ciphers (content_cipher.c) --- */

typedef struct smime_content_params {
	const smime_cipher_info *cipher;
	unsigned eff_bits;       /* RC2: from the parameter */
	const unsigned char *iv; /* IV, or GCM nonce */
	size_t iv_len;
	size_t icv_len;           /* GCM tag bytes */
	const unsigned char *aad; /* GCM: DER of the authenticated attributes */
	size_t aad_len;
} smime_content_params;

/* Decrypts data[0..*len) in place.  CBC: the padding is removed as SPEC
 * section 8 step 3 says, never checked, and *authentic is true.  GCM:
 * *authentic says whether the tag verified (the caller wipes what was
 * decrypted when it did not).  Negative only for a resource error or a
 * length the caller should have refused (smime_envelope_usable). */
int smime_content_decrypt(const smime_content_params *p,
			  const smime_content_key *ck, const unsigned char *tag,
			  size_t tag_len, unsigned char *data, size_t *len,
			  bool *authentic);
/* The block of a CBC cipher (8 or 16); 0 for GCM. */
size_t smime_cipher_block_len(const smime_cipher_info *c);
/* The length of len bytes encrypted: PKCS#7 padded for CBC. */
size_t smime_content_encrypted_len(const smime_content_params *p, size_t len);
/* Encrypts in[0..len) into out, smime_content_encrypted_len() bytes (for
 * CBC with PKCS#7 padding), never writing plaintext there; for an AEAD
 * cipher the tag of p->icv_len bytes goes to tag. */
int smime_content_encrypt(const smime_content_params *p,
			  const smime_content_key *ck, const unsigned char *in,
			  size_t len, unsigned char *out, unsigned char *tag);
/* The raw RC2-CBC decryption (no padding removed) with effective key
 * bits ekb, for tests against RFC 2268's vectors.  n is a multiple of 8. */
int smime_rc2_cbc_decrypt(const unsigned char *key, size_t key_len,
			  unsigned ekb, const unsigned char *iv,
			  unsigned char *buf, size_t n);
/* The RC2CBCParameter version of effective key bits (RFC 3370), or -1. */
long smime_rc2_version(unsigned eff_bits);

/* --- a parsed EnvelopedData / AuthEnvelopedData (envelope_parse.c) --- */

struct smime_envelope {
	smime_cms_info info;         /* smime_cms_read()'s description */
	bool auth;                   /* AuthEnvelopedData */
	smime_content_params params; /* views into the fields below */
	unsigned char *iv;
	size_t iv_len;
	const unsigned char *ct; /* encryptedContent: a view into the
				  * caller's DER, or ciphertext.data */
	size_t ct_len;
	smime_buf ciphertext; /* encryptedContent, chunks joined, when it
			       * is no view */
	unsigned char *aad;   /* authAttrs, DER, tagged as SET OF */
	size_t aad_len;
	unsigned char *mac;
	size_t mac_len;
	/* per info.recipients[i]: the OAEP label (NULL when empty), and
	 * for a RecipientEncryptedKey of a kari its KeyAgreeRecipientInfo */
	struct smime_envelope_ri {
		unsigned char *label;
		size_t label_len;
		const struct smime_kari *kari; /* into karis */
	} * ri;
	struct smime_kari *karis; /* one per KeyAgreeRecipientInfo */
	size_t nkaris;
};

/* What a KeyAgreeRecipientInfo gives every RecipientEncryptedKey of it
 * (kari.c), all owned. */
typedef struct smime_kari {
	bool orig_key;             /* originator is originatorKey */
	unsigned char *orig_point; /* its publicKey BIT STRING's bytes */
	size_t orig_point_len;
	unsigned char *orig_params; /* DER of its algorithm's parameters */
	size_t orig_params_len;     /* 0: absent */
	unsigned char *ukm;         /* NULL: absent */
	size_t ukm_len;
	char *wrap_oid;             /* the key-wrap algorithm */
	unsigned char *wrap_params; /* DER of its parameters; NULL absent */
	size_t wrap_params_len;
} smime_kari;

/* Reads the kari at path (".kari" of a RecipientInfo) of node into k. */
int smime_kari_read(asn1_node node, const char *path, smime_kari *k);
void smime_kari_free(smime_kari *k);
/* SPEC 8 step 1 for a kari RecipientEncryptedKey and a key: 0 when the
 * scheme (ephemeral-static stdDH with a SHA KDF), the key wrap (AES or
 * RFC 3217 3DES) and the key's curve (P-256, P-384, P-521, the
 * originator's curve when it names one) can be used; else
 * SMIME_E_KEY_AGREEMENT. */
int smime_kari_usable(const smime_envelope *env, size_t ri,
		      const smime_key *key);
/* SPEC 8 step 2 for it: out gets the content key or, on any failure (an
 * originator key off the curve, a wrap integrity failure, a length the
 * cipher cannot use), the substitute of lens[0] bytes, without a branch
 * on which. */
int smime_kari_unwrap(const smime_envelope *env, size_t ri,
		      const smime_key *key, const size_t *lens, size_t nlens,
		      smime_content_key *out);
/* The DER of ECC-CMS-SharedInfo (RFC 5753 7.2), the X9.63 KDF's input:
 * the key wrap's AlgorithmIdentifier (params may be NULL: absent), the
 * ukm (NULL: absent), the KEK length in bits. */
int smime_kari_shared_info(const char *wrap_oid, const unsigned char *params,
			   size_t params_len, const unsigned char *ukm,
			   size_t ukm_len, size_t kek_len, smime_buf *out);
/* Appends a KeyAgreeRecipientInfo for the EC certificate to the
 * recipientInfos of node (kari_write.c): a fresh ephemeral key, the
 * scheme and key wrap SPEC 9 fixes for the curve, issuerAndSerialNumber. */
int smime_kari_write(asn1_node node, const smime_cert *cert,
		     const smime_content_key *ck);

/* --- PKCS#11 URLs (pkcs11_uri.c) --- */

/* A KeyStore NAME.uri (RFC 7512): the URL GnuTLS gets, without the PIN
 * attributes, which the milter reads itself (SPEC 9). */
typedef struct smime_p11_uri {
	char *uri;        /* without pin-source and pin-value */
	char *pin_source; /* a path (a file: URI made a path); NULL absent */
	char *pin_value;  /* secure memory; NULL absent */
	size_t pin_value_len;
} smime_p11_uri;

/* SMIME_E_PARSE for text that is no pkcs11: URL, a PIN attribute twice,
 * a bad %XX or %00, or a file: URI naming a host. */
int smime_p11_uri_parse(const char *text, size_t len, smime_p11_uri *out);
void smime_p11_uri_free(smime_p11_uri *u);

/* A token's PIN, in secure memory for as long as its key lives: GnuTLS
 * asks for it again when it opens a new session (another thread). */
typedef struct smime_p11_pin {
	size_t len;
	char value[];
} smime_p11_pin;

int smime_p11_pin_new(const char *pin, size_t len, smime_p11_pin **out);
void smime_p11_pin_free(smime_p11_pin *p);
/* The gnutls_pin_callback_t of a token key: the PIN on the first
 * attempt, an error on any retry. */
int smime_p11_pin_callback(void *userdata, int attempt, const char *token_url,
			   const char *token_label, unsigned int flags,
			   char *pin, size_t pin_max);

/* ECDH with an EC key in a PKCS#11 token (p11_ecdh.c): the token the
 * URL (without PIN attributes) names, found once; SMIME_E_NOTFOUND when
 * no module has it.  pin must outlive it. */
typedef struct smime_p11_ecdh smime_p11_ecdh;
int smime_p11_ecdh_open(const char *uri, const smime_p11_pin *pin,
			smime_p11_ecdh **out);
void smime_p11_ecdh_free(smime_p11_ecdh *t);
/* Z of the token key and an uncompressed point (len bytes of it into z);
 * SMIME_E_CRYPTO for any token error. */
int smime_p11_ecdh_derive(const smime_p11_ecdh *t, const unsigned char *point,
			  size_t plen, unsigned char *z, size_t len);
/* The key's token ECDH, or NULL for a key file (keystore.c). */
const smime_p11_ecdh *smime_key_p11_ecdh(const smime_key *k);

/* --- elliptic curves (ecdh.c) --- */

typedef struct smime_ec_curve {
	gnutls_ecc_curve_t gnutls;
	const char *gcry;   /* libgcrypt's name */
	const char *oid;    /* namedCurve */
	size_t field;       /* bytes of a coordinate */
	const char *scheme; /* the dhSinglePass-stdDH-*kdf-scheme written */
	int md;             /* its KDF's hash */
	const char *wrap;   /* the AES key wrap written */
	size_t kek_len;
} smime_ec_curve;

const smime_ec_curve *smime_ec_curve_by_gnutls(gnutls_ecc_curve_t c);
/* The curve of an EC certificate's key, and its uncompressed point into
 * point (room for 1 + 2 * 66 bytes) when not NULL; NULL for other keys
 * and curves. */
const smime_ec_curve *smime_cert_ec_curve(const smime_cert *c,
					  unsigned char *point, size_t *len);
/* The curve of an EC private key; NULL for other keys and curves. */
const smime_ec_curve *smime_key_ec_curve(gnutls_privkey_t key);
/* Whether the uncompressed point lies on the curve (not the point at
 * infinity, which has no such form). */
bool smime_ec_point_valid(const smime_ec_curve *ec, const unsigned char *point,
			  size_t len);
/* Z (the x-coordinate of the shared point, *zlen = field bytes) of the
 * key and an uncompressed point; SMIME_E_CRYPTO when the point is not on
 * the key's curve or not of its length. */
int smime_ecdh_shared(gnutls_privkey_t key, const unsigned char *point,
		      size_t len, unsigned char *z, size_t *zlen);
/* A fresh ephemeral key on the recipient's curve: its public point into
 * pub (room for 1 + 2 * 66), Z into z, the curve into *out. */
int smime_ecdh_ephemeral(const smime_cert *recipient, unsigned char *pub,
			 size_t *publen, unsigned char *z, size_t *zlen,
			 const smime_ec_curve **out);
/* The certificate's serialNumber at name of node (envelope_seal.c). */
int smime_asn1_write_serial(asn1_node node, const char *name,
			    const smime_cert *cert);
/* The CHOICE at rid (a RecipientIdentifier or KeyAgreeRecipientIdentifier)
 * set to the certificate's issuerAndSerialNumber. */
int smime_asn1_write_rid_iasn(asn1_node node, const char *rid,
			      const smime_cert *cert);
/* The DER of an AlgorithmIdentifier with absent parameters. */
int smime_algid_der(const char *oid, smime_buf *out);
/* The substitute key of implicit rejection (rsa_unwrap.c): SMIME_CK_MAX
 * bytes of HMAC-SHA-256(secret, i || enc). */
int smime_unwrap_substitute(const unsigned char *secret,
			    const unsigned char *enc, size_t enc_len,
			    unsigned char *out);
/* out becomes the substitute of sub_len bytes where good is 0. */
void smime_unwrap_settle(smime_content_key *out, const unsigned char *sub,
			 size_t sub_len, uint32_t good);

/* smime_keystore_find_address and smime_certdir_find_address that also
 * tell a resource failure (*err set to it, the search ended) from "no
 * more": the lookup must not read out of memory as no certificate. */
const smime_key *smime_keystore_find_address_err(const smime_keystore *ks,
						 const char *addr, size_t *pos,
						 int *err);
const smime_cert *smime_certdir_find_address_err(const smime_certdir *cd,
						 const char *addr, size_t *pos,
						 int *err);

#endif
