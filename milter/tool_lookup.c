/*
 * tool_lookup.c - `smime-tool lookup -c FILE [--at TIME] ADDRESS...`
 * (SPEC sections 3 and 9): per address, the certificate the milter would
 * encrypt to (smime_lookup_recipient over the configuration's KeyStore
 * and CertDirectory, judged against its TrustAnchorFile and CRLFile),
 * the SMIMECapabilities known for the address and the cipher `auto`
 * would pick for it alone, or why there is none.
 *
 * One line per address, in the order given:
 *   ADDRESS source=S subject="..." issuer="..." serial=HEX
 *           expires=YYYY-MM-DD key=TYPE capabilities=unknown cipher=NAME
 *   ADDRESS reason=WORD
 * (the first on one line).  Nothing harvests capabilities yet, so they
 * are always unknown: the recipient then supports DefaultCipher, which
 * the configuration does not set yet (SPEC's default aes-256-cbc), and
 * des-ede3-cbc; `auto` takes the first of its list among those that is
 * not in WeakCiphers (cipher=none when WeakCiphers names both).
 *
 * Exit status: 0 when every address has a certificate, 1 otherwise, 2
 * for usage or configuration errors.
 */
#include "tool.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* SPEC section 9's DefaultCipher default; the key is not read yet. */
#define DEFAULT_CIPHER SMIME_CIPHER_AES_256_CBC

/* The cipher `auto` picks for one recipient whose capabilities are
 * unknown (smime_auto_cipher with no capabilities). */
static const char *auto_cipher(const milter_config *cfg)
{
	const smime_caps *unknown = NULL;
	smime_cipher_id id = smime_auto_cipher(&unknown, 1, DEFAULT_CIPHER,
					       cfg->weak_ciphers, 0);
	const smime_cipher_info *c = smime_cipher_by_id(id);

	return id != SMIME_CIPHER_UNKNOWN && c != NULL ? c->name : "none";
}

/* One address's line; returns whether it has a certificate. */
static bool print_lookup(const milter_config *cfg, const char *addr, time_t now)
{
	smime_lookup_ctx ctx = {cfg->trust, cfg->keystore, cfg->certdir, now,
				NULL,       NULL,          NULL};
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
	printf(" key=%s capabilities=unknown cipher=%s\n", ci->key_type,
	       auto_cipher(cfg));
	smime_lookup_result_clear(&r);
	return true;
}

int tool_lookup(int argc, char **argv)
{
	milter_config *cfg = NULL;
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
	for (int i = optind; i < argc; i++)
		all &= print_lookup(cfg, argv[i], now);
	milter_config_unref(cfg);
	return all ? 0 : 1;
}
