/*
 * harvest_name.c - the file name a harvested address lives under (SPEC
 * section 9): HarvestDirectory/NAME.pem.
 *
 * NAME is the address with the domain as lowercase A-labels (IDNA2008
 * through GnuTLS's gnutls_idna_map, as verify_names.c compares domains;
 * a domain it cannot map is not harvested) and the local part
 * ASCII-lowercased; then every byte other than A-Z a-z 0-9 . _ + - @,
 * and a '.' that would start the name, is written as %XX (upper-case
 * hex).  So '/', "..", a leading '.' and control bytes never reach the
 * file system, and NAME never starts with '.' (harvest.c's temporary
 * files do).  The escaping is one-to-one, so two addresses never share
 * a file.
 *
 * Promises: an address over 254 bytes, without '@' or with an empty
 * local part or domain, and one whose NAME.pem would pass the file
 * system's 255-byte name limit, is SMIME_E_UNSUPPORTED (not harvested).
 */
#include "verify_internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ADDRESS 254 /* RFC 5321's path limit less the brackets */
#define MAX_FILE_NAME 255
#define SUFFIX ".pem"

static bool kept_as_is(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
	       c == '-' || c == '@';
}

static int put_escaped(smime_buf *b, const char *s, bool at_start)
{
	int ret = 0;

	for (; *s != '\0' && ret == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (kept_as_is(c) && !(at_start && b->len == 0 && c == '.'))
			ret = smime_buf_putc(b, c);
		else
			ret = smime_buf_printf(b, "%%%02X", c);
	}
	return ret;
}

int smime_harvest_name(const char *addr, char **out)
{
	smime_buf b = SMIME_BUF_INIT;
	const char *at;
	char *local = NULL, *domain = NULL;
	size_t len;
	int ret;

	*out = NULL;
	if (addr == NULL)
		return SMIME_E_ARG;
	len = strlen(addr);
	at = strrchr(addr, '@');
	if (len > MAX_ADDRESS || at == NULL || at == addr || at[1] == '\0')
		return SMIME_E_UNSUPPORTED;
	local = smime_strndup(addr, (size_t)(at - addr));
	if (local == NULL)
		return SMIME_E_NOMEM;
	ret = smime_domain_alabels(at + 1, &domain);
	if (ret == 0 && domain == NULL)
		ret = SMIME_E_UNSUPPORTED;
	if (ret == 0)
		ret = put_escaped(&b, local, true);
	if (ret == 0)
		ret = smime_buf_putc(&b, '@');
	if (ret == 0)
		ret = put_escaped(&b, domain, false);
	if (ret == 0 && b.len + strlen(SUFFIX) > MAX_FILE_NAME)
		ret = SMIME_E_UNSUPPORTED;
	if (ret == 0)
		ret = smime_buf_steal(&b, out);
	smime_buf_free(&b);
	free(local);
	free(domain);
	return ret;
}
