/*
 * err.c - error texts and the one-time library initialisation.
 *
 * smime_global_init() must run once before any thread starts: libgcrypt
 * wants its initialisation finished before concurrent use, GnuTLS wants
 * gnutls_global_init(), and the ASN.1 definitions are parsed once here so
 * no message ever pays for them.
 */
#include "internal.h"

#include <gcrypt.h>
#include <gnutls/gnutls.h>

const char *smime_strerror(int err)
{
	switch (err) {
	case SMIME_OK:
		return "success";
	case SMIME_E_NOMEM:
		return "out of memory";
	case SMIME_E_IO:
		return "input/output error";
	case SMIME_E_LIMIT:
		return "limit exceeded";
	case SMIME_E_PARSE:
		return "malformed input";
	case SMIME_E_UNSUPPORTED:
		return "unsupported";
	case SMIME_E_CRYPTO:
		return "cryptographic operation failed";
	case SMIME_E_ARG:
		return "invalid argument";
	case SMIME_E_KEY_AGREEMENT:
		return "cannot open: key agreement";
	case SMIME_E_NOTFOUND:
		return "not found";
	default:
		return "unknown error";
	}
}

bool smime_err_is_resource(int err)
{
	return err == SMIME_E_NOMEM || err == SMIME_E_IO;
}

int smime_global_init(void)
{
	if (!gcry_check_version(GCRYPT_VERSION))
		return SMIME_E_CRYPTO;
	/* Secure memory for content keys; 1 MB is plenty for key material. */
	gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
	gcry_control(GCRYCTL_INIT_SECMEM, 1048576, 0);
	gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (gnutls_global_init() < 0)
		return SMIME_E_CRYPTO;
	if (smime_cms_definitions() == NULL)
		return SMIME_E_CRYPTO;
	return SMIME_OK;
}

void smime_global_deinit(void)
{
	gnutls_global_deinit();
}
