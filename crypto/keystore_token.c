/*
 * keystore_token.c - KeyStore entries whose private key lives in a
 * PKCS#11 token (SPEC 9): NAME.crt with NAME.uri.  The PIN is read here
 * (pkcs11_uri.c parses the URL), the key is logged in once at load so
 * that a wrong PIN is a load error, and an EC key gets its token ECDH
 * (p11_ecdh.c).
 */
#include "keystore_internal.h"

#include <gnutls/pkcs11.h>
#include <string.h>

/* The PIN of a NAME.uri: pin-value (the file then a secret itself), or
 * the file pin-source names, read by us (refused when group or others
 * can read it) with one trailing newline stripped; NULL without either. */
static int read_pin(loader *l, const char *uri_path, unsigned uri_mode,
		    const smime_p11_uri *u, smime_p11_pin **out)
{
	smime_buf pin = SMIME_BUF_INIT;
	int ret = 0;

	*out = NULL;
	if (u->pin_value != NULL) {
		if (ks_unsafe(l, uri_path, "NAME.uri holding pin-value",
			      uri_mode))
			return SMIME_E_PARSE;
		return smime_p11_pin_new(u->pin_value, u->pin_value_len, out);
	}
	if (u->pin_source == NULL)
		return 0;
	ret = ks_read_entry_file(l, u->pin_source, true, "PIN file", &pin,
				 NULL);
	if (ret == 0 && pin.len > 0 && pin.data[pin.len - 1] == '\n')
		pin.len--;
	if (ret == 0 && pin.len > 0 && pin.data[pin.len - 1] == '\r')
		pin.len--;
	if (ret == 0)
		ret = smime_p11_pin_new(pin.data ? (char *)pin.data : "",
					pin.len, out);
	smime_buf_free(&pin);
	return ret;
}

/* The token key, logged in with the PIN (one attempt). */
static int open_token_key(loader *l, const char *uri_path,
			  const smime_p11_uri *u, smime_p11_pin *pin,
			  gnutls_privkey_t *out)
{
	gnutls_privkey_t key = NULL;
	int r;

	if (gnutls_privkey_init(&key) < 0)
		return SMIME_E_NOMEM;
	gnutls_privkey_set_pin_function(key, smime_p11_pin_callback, pin);
	/* log in now: a wrong PIN is a load error, never a per-message one */
	r = gnutls_privkey_import_url(key, u->uri,
				      GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (r < 0) {
		gnutls_privkey_deinit(key);
		return ks_problem(l, uri_path,
				  "cannot use the PKCS#11 key (a wrong PIN, no "
				  "such object, or no module for the token)",
				  gnutls_strerror(r));
	}
	*out = key;
	return 0;
}

/* An EC token key derives through PKCS#11 itself (p11_ecdh.c): its
 * token found now, so that a missing one is a load error. */
static int token_ecdh(loader *l, const char *uri_path, const char *uri,
		      smime_key *k)
{
	int r;

	if (gnutls_privkey_get_pk_algorithm(k->key, NULL) != GNUTLS_PK_EC)
		return 0;
	r = smime_p11_ecdh_open(uri, k->pin, &k->p11_ecdh);
	if (r == SMIME_E_NOTFOUND)
		return ks_problem(l, uri_path,
				  "no PKCS#11 module offers the token for ECDH",
				  NULL);
	return r;
}

/* NAME.crt with NAME.uri: a private key in a PKCS#11 token (SPEC 9). */
int ks_load_uri(loader *l, const char *name)
{
	smime_buf path = SMIME_BUF_INIT, content = SMIME_BUF_INIT;
	smime_buf crt = SMIME_BUF_INIT;
	smime_p11_uri u = {0};
	smime_p11_pin *pin = NULL;
	gnutls_privkey_t key = NULL;
	unsigned mode = 0;
	int ret;

	ret = ks_entry_path(l, name, ".uri", &path);
	if (ret == 0)
		ret = smime_buf_secret(&content); /* it may hold pin-value */
	if (ret == 0)
		ret = ks_read_entry_file(l, (char *)path.data, false, NULL,
					 &content, &mode);
	while (ret == 0 && content.len > 0 &&
	       strchr(" \t\r\n", content.data[content.len - 1]) != NULL)
		content.len--;
	if (ret == 0 &&
	    smime_p11_uri_parse(content.data ? (char *)content.data : "",
				content.len, &u) != 0)
		ret = ks_problem(l, (char *)path.data,
				 "not a pkcs11: URL (RFC 7512)", NULL);
	if (ret == 0)
		ret = read_pin(l, (char *)path.data, mode, &u, &pin);
	if (ret == 0)
		ret = open_token_key(l, (char *)path.data, &u, pin, &key);
	if (ret == 0)
		ret = ks_entry_path(l, name, ".crt", &crt);
	if (ret == 0)
		ret = ks_add_cert_key(l, name, (char *)crt.data, &key, pin);
	if (ret == 0)
		pin = NULL; /* the key's now */
	if (ret == 0)
		ret = token_ecdh(l, (char *)path.data, u.uri,
				 l->ks->keys[l->ks->n - 1]);
	gnutls_privkey_deinit(key);
	smime_p11_pin_free(pin);
	smime_p11_uri_free(&u);
	smime_buf_free(&content);
	smime_buf_free(&crt);
	smime_buf_free(&path);
	return ret;
}
