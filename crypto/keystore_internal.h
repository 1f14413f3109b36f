/*
 * keystore_internal.h - what the key store's loader shares between
 * keystore.c (the directory, its files and permissions, PEM and PKCS#12
 * entries, the index) and keystore_token.c (entries whose key lives in a
 * PKCS#11 token).  Private to those two files.
 */
#ifndef SMIME_KEYSTORE_INTERNAL_H
#define SMIME_KEYSTORE_INTERNAL_H

#include "keys_internal.h"

struct smime_key {
	smime_cert *cert;
	gnutls_privkey_t key;
	gnutls_x509_crt_t *chain; /* the issuers after the certificate */
	unsigned nchain;
	/* Random, made at load time, in secure memory: the substitute keys
	 * of implicit rejection derive from it (SPEC section 8 step 2). */
	unsigned char *secret;
	smime_p11_pin *pin;       /* a token key's PIN, or NULL */
	smime_p11_ecdh *p11_ecdh; /* an EC token key's ECDH, or NULL */
};

struct smime_keystore {
	smime_key **keys;
	size_t n;
	smime_certindex ix;
	/* Issuers for recipients' paths (trust_recipient.c): the keys'
	 * certificates (borrowed, the first n), then copies of their chains
	 * (owned), indexed by subject. */
	smime_cert **issuers;
	size_t nissuers;
	smime_certindex subjects;
};

/* What one load collects: the directory, the problems, the keys. */
typedef struct loader {
	const char *dir;
	smime_buf *diags;
	int problems;
	smime_keystore *ks;
} loader;

/* A problem with a file of the entry, counted and said (FILE: msg[:
 * detail]); returns SMIME_E_PARSE. */
int ks_problem(loader *l, const char *path, const char *msg,
	       const char *detail);
/* dir/stem.ext into path. */
int ks_entry_path(loader *l, const char *stem, const char *ext,
		  smime_buf *path);
/* Whether a secret file of this mode is unsafe; if so, says why. */
bool ks_unsafe(loader *l, const char *path, const char *what, unsigned mode);
/* Opens and reads a file of the entry; secrets must not be readable or
 * writable by group or others (checked on the open descriptor, whose
 * mode goes to *mode when not NULL). */
int ks_read_entry_file(loader *l, const char *path, bool secret,
		       const char *what, smime_buf *content, unsigned *mode);
/* NAME.crt read and made one entry with *key (taken once the
 * certificates are read); a token PIN goes with the key. */
int ks_add_cert_key(loader *l, const char *name, const char *crt_path,
		    gnutls_privkey_t *key, smime_p11_pin *pin);
/* NAME.crt with NAME.uri: a private key in a PKCS#11 token
 * (keystore_token.c). */
int ks_load_uri(loader *l, const char *name);

#endif
