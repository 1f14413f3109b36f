/*
 * config_harvest.c - the checks between keys of SPEC section 9, made
 * once the whole file is read (a key may come before or after the one
 * it is checked against):
 *   - with HarvestCertificates yes, HarvestDirectory must not be
 *     CertDirectory: harvested certificates would be loaded as ones the
 *     operator placed, and outrank the directory (without harvesting
 *     nothing is written there, and a CertDirectory that happens to be
 *     the default HarvestDirectory path stays valid);
 *   - a DefaultCipher set in the file must not be in WeakCiphers: `auto`
 *     must not assume a cipher the operator calls weak.  The default
 *     (aes-256-cbc) is not checked: with WeakCiphers naming it, a
 *     recipient of unknown capabilities still reads des-ede3-cbc, which
 *     `auto` then takes, as before DefaultCipher existed;
 *   - HarvestToLDAP yes needs LDAPURI and LDAPHarvestBase: where else
 *     would it write.
 * A problem names the line of the key that was set in the file (the
 * later one when both were), as "FILE:LINE: message".
 *
 * HarvestDirectory is not created here: the first harvest creates it
 * (crypto/harvest.c), so `-n` and smime-tool never change the disk.
 */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Whether two directory paths name one directory: the same file when
 * both exist, else the same text but for trailing slashes. */
static bool same_directory(const char *a, const char *b)
{
	struct stat sa, sb;
	size_t na = strlen(a), nb = strlen(b);

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	while (na > 1 && a[na - 1] == '/')
		na--;
	while (nb > 1 && b[nb - 1] == '/')
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

static int report(smime_buf *diags, const char *file, unsigned line,
		  const char *msg)
{
	int rc = line > 0 ? smime_buf_printf(diags, "%s:%u: %s\n", file, line,
					     msg)
			  : smime_buf_printf(diags, "%s: %s\n", file, msg);

	return rc < 0 ? rc : 1;
}

static unsigned later(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

int milter_cfg_check_harvest(const milter_config *cfg, const char *file,
			     const milter_cfg_lines *l, smime_buf *diags)
{
	int n = 0, rc;

	if (cfg->harvest_certificates && cfg->cert_directory != NULL &&
	    cfg->harvest_directory != NULL &&
	    same_directory(cfg->cert_directory, cfg->harvest_directory)) {
		rc = report(diags, file,
			    later(l->harvest_directory, l->cert_directory),
			    "HarvestDirectory: must not be CertDirectory");
		if (rc < 0)
			return rc;
		n += rc;
	}
	if (cfg->harvest_to_ldap &&
	    (cfg->ldap_uri == NULL || cfg->ldap_harvest_base == NULL)) {
		rc = report(diags, file, l->harvest_to_ldap,
			    "HarvestToLDAP: needs LDAPURI and LDAPHarvestBase");
		if (rc < 0)
			return rc;
		n += rc;
	}
	if (l->default_cipher > 0 &&
	    cfg->weak_ciphers & SMIME_CIPHER_BIT(cfg->default_cipher)) {
		rc = report(diags, file,
			    later(l->default_cipher, l->weak_ciphers),
			    "DefaultCipher: must not be in WeakCiphers");
		if (rc < 0)
			return rc;
		n += rc;
	}
	return n;
}
