/*
 * p11_allow_derive.c - test helper: sets CKA_DERIVE on a private key of a
 * PKCS#11 token (softhsm2-util and p11tool import EC keys for signing
 * only, so a test key must be allowed ECDH this way; a key made for
 * ECDH on a real token has it from the start).
 *
 *   p11_allow_derive PKCS11-URL PIN     (the URL names token and object)
 *
 * Exits 0 when exactly one private key matched and took the attribute.
 */
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <stdio.h>
#include <string.h>

static int set_on(CK_FUNCTION_LIST *f, CK_SLOT_ID slot, P11KitUri *uri,
		  const char *pin)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[4], on = {CKA_DERIVE, &yes, sizeof yes};
	CK_ATTRIBUTE *ua;
	CK_ULONG n = 0, k = 0, found = 0;
	CK_OBJECT_HANDLE key;
	int ok = 0;

	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			     NULL, &s) != CKR_OK)
		return 0;
	f->C_Login(s, CKU_USER, (unsigned char *)pin, strlen(pin));
	ua = p11_kit_uri_get_attributes(uri, &n);
	tmpl[k++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
	for (CK_ULONG i = 0; i < n && k < 4; i++)
		if (ua[i].type == CKA_LABEL || ua[i].type == CKA_ID)
			tmpl[k++] = ua[i];
	if (f->C_FindObjectsInit(s, tmpl, k) == CKR_OK) {
		if (f->C_FindObjects(s, &key, 1, &found) == CKR_OK &&
		    found == 1)
			ok = f->C_SetAttributeValue(s, key, &on, 1) == CKR_OK;
		f->C_FindObjectsFinal(s);
	}
	f->C_CloseSession(s);
	return ok;
}

int main(int argc, char **argv)
{
	CK_FUNCTION_LIST **mods;
	P11KitUri *uri = p11_kit_uri_new();

	if (argc != 3 || uri == NULL ||
	    p11_kit_uri_parse(argv[1], P11_KIT_URI_FOR_ANY, uri) !=
		    P11_KIT_URI_OK) {
		fprintf(stderr, "usage: p11_allow_derive PKCS11-URL PIN\n");
		return 2;
	}
	mods = p11_kit_modules_load_and_initialize(0);
	for (size_t m = 0; mods != NULL && mods[m] != NULL; m++) {
		CK_SLOT_ID slots[64];
		CK_ULONG ns = 64;

		if (mods[m]->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
			continue;
		for (CK_ULONG i = 0; i < ns; i++) {
			CK_TOKEN_INFO ti;

			if (mods[m]->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
			    p11_kit_uri_match_token_info(uri, &ti) &&
			    set_on(mods[m], slots[i], uri, argv[2]))
				return 0;
		}
	}
	fprintf(stderr, "p11_allow_derive: no such private key\n");
	return 1;
}
