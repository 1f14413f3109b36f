/*
 * tool_lookup.c - `smime-tool lookup -c FILE [--at TIME] ADDRESS...`
 * (SPEC sections 3 and 9): per address, the certificate the milter would
 * encrypt to (smime_lookup_recipient over the configuration's KeyStore,
 * CertDirectory, the directory (LDAPURI) and, with HarvestCertificates
 * yes, HarvestDirectory, judged against its TrustAnchorFile and
 * CRLFile), the SMIMECapabilities
 * known for the address and the cipher `auto` would pick for it alone,
 * or why there is none.
 *
 * One line per address, in the order given:
 *   ADDRESS source=S subject="..." issuer="..." serial=HEX
 *           expires=YYYY-MM-DD key=TYPE capabilities=LIST cipher=NAME
 *   ADDRESS reason=WORD
 * (the first on one line).  LIST is the content ciphers the address's
 * capabilities name, in their order, comma-separated (`none` when they
 * name none the gateway knows), or `unknown`: the recipient then
 * supports DefaultCipher and des-ede3-cbc.  `auto` takes the first of
 * its list that the recipient supports and that is not in WeakCiphers
 * (cipher=none when there is none).
 *
 * Exit status: 0 when every address has a certificate, 1 otherwise, 2
 * for usage or configuration errors.
 */
#include "directory.h"
#include "tool.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* The cipher `auto` picks for one recipient with these capabilities
 * (NULL: unknown). */
static const char *auto_cipher(const milter_config *cfg, const smime_caps *caps)
{
	smime_cipher_id id = smime_auto_cipher(&caps, 1, cfg->default_cipher,
					       cfg->weak_ciphers, 0);
	const smime_cipher_info *c = smime_cipher_by_id(id);

	return id != SMIME_CIPHER_UNKNOWN && c != NULL ? c->name : "none";
}

/* One address's line; returns whether it has a certificate. */
static bool print_lookup(const milter_config *cfg, milter_dirsession *dir,
			 const char *addr, time_t now)
{
	smime_lookup_ctx ctx = milter_lookup_ctx(cfg, dir, now);
	smime_lookup_result r;
	const smime_cert_info *ci;

	if (smime_lookup_recipient(&ctx, addr, &r) < 0) {
		smime_lookup_result_clear(&r);
		printf("%s reason=%s\n", addr, "internal-error");
		return false;
	}
	if (r.cert == NULL) {
		printf("%s reason=%s\n", addr,
		       smime_rcpt_status_name(r.reason));
		smime_lookup_result_clear(&r);
		return false;
	}
	ci = smime_cert_get_info(r.cert);
	printf("%s source=%s subject=\"%s\" issuer=\"%s\" serial=%s expires=",
	       addr, r.source, ci->subject, ci->issuer, ci->serial);
	tool_print_date(stdout, ci->not_after);
	printf(" key=%s ", ci->key_type);
	tool_print_caps(stdout, r.has_caps ? &r.caps : NULL);
	printf(" cipher=%s\n", auto_cipher(cfg, r.has_caps ? &r.caps : NULL));
	smime_lookup_result_clear(&r);
	return true;
}

int tool_lookup(int argc, char **argv)
{
	milter_config *cfg = NULL;
	milter_dirsession dir = {NULL, NULL, false, {0, 0}};
	time_t now;
	bool all = true;
	int rc = tool_config_at(argc, argv, true, &cfg, &now);

	if (rc < 0) {
		fprintf(stderr, "usage: smime-tool lookup -c FILE [--at TIME] "
				"ADDRESS...\n");
		return TOOL_EXIT_USAGE;
	}
	if (rc != 0)
		return rc;
	milter_log_open(LOG_MAIL, true); /* directory warnings to stderr */
	dir.dir = cfg->directory;        /* one LDAPTimeout for the whole run */
	for (int i = optind; i < argc; i++)
		all &= print_lookup(cfg, &dir, argv[i], now);
	milter_config_unref(cfg);
	return all ? 0 : 1;
}
