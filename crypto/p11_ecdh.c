/*
 * p11_ecdh.c - ECDH with an EC private key inside a PKCS#11 token (SPEC
 * section 9): GnuTLS 3.7.9 has no derive function, so the milter calls
 * the token itself, through p11-kit, with CKM_ECDH1_DERIVE (KDF null:
 * the X9.63 KDF of RFC 5753 runs here, over the shared secret Z).
 *
 * The token is found once, at load, by the NAME.uri (without its PIN
 * attributes); each derivation opens its own session (sessions are not
 * shared between threads), logs in with the PIN the key store holds
 * (a token already logged in for this process says so and that is
 * fine), finds the private key by the URL's attributes, derives a
 * session secret of the field's length that may be read, reads it and
 * destroys it.  Any error is an unwrap failure for the caller (SPEC 9:
 * never an internal error); the PIN is never retried.
 */
#include "keys_internal.h"

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct smime_p11_ecdh {
	P11KitUri *uri;
	CK_FUNCTION_LIST *module;
	CK_SLOT_ID slot;
	const smime_p11_pin *pin;
	int login_failed; /* set once a login failed: never tried again */
};

static CK_FUNCTION_LIST **modules;
static pthread_once_t modules_once = PTHREAD_ONCE_INIT;

static void load_modules(void)
{
	modules = p11_kit_modules_load_and_initialize(0);
}

/* The first slot of the modules whose token the URL names. */
static bool find_token(smime_p11_ecdh *t)
{
	for (size_t m = 0; modules != NULL && modules[m] != NULL; m++) {
		CK_FUNCTION_LIST *f = modules[m];
		CK_INFO minfo;
		CK_SLOT_ID slots[64];
		CK_ULONG n = sizeof slots / sizeof *slots;

		if (f->C_GetInfo(&minfo) != CKR_OK ||
		    !p11_kit_uri_match_module_info(t->uri, &minfo) ||
		    f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
			continue;
		for (CK_ULONG s = 0; s < n; s++) {
			CK_TOKEN_INFO tinfo;

			if (f->C_GetTokenInfo(slots[s], &tinfo) == CKR_OK &&
			    p11_kit_uri_match_token_info(t->uri, &tinfo)) {
				t->module = f;
				t->slot = slots[s];
				return true;
			}
		}
	}
	return false;
}

int smime_p11_ecdh_open(const char *uri, const smime_p11_pin *pin,
			smime_p11_ecdh **out)
{
	smime_p11_ecdh *t = calloc(1, sizeof *t);

	*out = NULL;
	if (t == NULL)
		return SMIME_E_NOMEM;
	t->pin = pin;
	t->uri = p11_kit_uri_new();
	if (t->uri == NULL) {
		free(t);
		return SMIME_E_NOMEM;
	}
	pthread_once(&modules_once, load_modules);
	if (p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, t->uri) !=
		    P11_KIT_URI_OK ||
	    !find_token(t)) {
		smime_p11_ecdh_free(t);
		return SMIME_E_NOTFOUND;
	}
	*out = t;
	return 0;
}

void smime_p11_ecdh_free(smime_p11_ecdh *t)
{
	if (t == NULL)
		return;
	p11_kit_uri_free(t->uri);
	free(t);
}

/* The private key the URL's attributes name, in session s. */
static bool find_key(const smime_p11_ecdh *t, CK_SESSION_HANDLE s,
		     CK_OBJECT_HANDLE *key)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ULONG n = 0, found = 0;
	CK_ATTRIBUTE *uattr = p11_kit_uri_get_attributes(t->uri, &n);
	CK_ATTRIBUTE tmpl[8];
	CK_ULONG k = 0;
	bool ok;

	tmpl[k++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
	for (CK_ULONG i = 0; i < n && k < 8; i++)
		if (uattr[i].type == CKA_LABEL || uattr[i].type == CKA_ID)
			tmpl[k++] = uattr[i];
	if (t->module->C_FindObjectsInit(s, tmpl, k) != CKR_OK)
		return false;
	ok = t->module->C_FindObjects(s, key, 1, &found) == CKR_OK &&
	     found == 1;
	t->module->C_FindObjectsFinal(s);
	return ok;
}

/* Derives Z in s with the key and reads it into z (len bytes). */
static int derive(const smime_p11_ecdh *t, CK_SESSION_HANDLE s,
		  CK_OBJECT_HANDLE key, const unsigned char *point, size_t plen,
		  unsigned char *z, size_t len)
{
	CK_ECDH1_DERIVE_PARAMS prm = {CKD_NULL, 0, NULL, (CK_ULONG)plen,
				      (unsigned char *)point};
	CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &prm, sizeof prm};
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG vlen = (CK_ULONG)len;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof cls},
		{CKA_KEY_TYPE, &kt, sizeof kt},
		{CKA_VALUE_LEN, &vlen, sizeof vlen},
		{CKA_TOKEN, &no, sizeof no},
		{CKA_SENSITIVE, &no, sizeof no},
		{CKA_EXTRACTABLE, &yes, sizeof yes},
	};
	CK_OBJECT_HANDLE secret = CK_INVALID_HANDLE;
	CK_ATTRIBUTE value = {CKA_VALUE, z, (CK_ULONG)len};
	int ret = SMIME_E_CRYPTO;

	if (t->module->C_DeriveKey(s, &mech, key, tmpl,
				   sizeof tmpl / sizeof *tmpl,
				   &secret) != CKR_OK)
		return SMIME_E_CRYPTO;
	if (t->module->C_GetAttributeValue(s, secret, &value, 1) == CKR_OK &&
	    value.ulValueLen == len)
		ret = 0;
	t->module->C_DestroyObject(s, secret);
	return ret;
}

int smime_p11_ecdh_derive(const smime_p11_ecdh *t, const unsigned char *point,
			  size_t plen, unsigned char *z, size_t len)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_RV rv;
	int ret = SMIME_E_CRYPTO;

	if (t->module->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL,
				     &s) != CKR_OK)
		return SMIME_E_CRYPTO;
	/* One failed login is all a token gets from us (it may lock after
	 * a few): the key fails from then on, until a reload. */
	if (__atomic_load_n(&t->login_failed, __ATOMIC_RELAXED))
		rv = CKR_PIN_INCORRECT;
	else if (t->pin != NULL)
		rv = t->module->C_Login(s, CKU_USER,
					(unsigned char *)t->pin->value,
					(CK_ULONG)t->pin->len);
	else
		rv = CKR_OK;
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		__atomic_store_n(&((smime_p11_ecdh *)t)->login_failed, 1,
				 __ATOMIC_RELAXED);
	if ((rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) &&
	    find_key(t, s, &key))
		ret = derive(t, s, key, point, plen, z, len);
	t->module->C_CloseSession(s);
	return ret;
}
