/*
 * tool_keys.c - `smime-tool keys -c FILE [--at TIME]`: lists the key store
 * and the certificate directory the configuration names (address, issuer,
 * serial, expiry, key type) and warns about certificates that expired or
 * expire within 30 days; with HarvestCertificates yes, also one line per
 * harvested address (its newest certificate, how many are kept, its
 * capabilities), never warned about.  Unsafe key files never get this far: the key
 * store refuses them when the configuration loads, and the error names the
 * file and the fix.
 *
 * Exit status: 0 when every certificate is valid for 30 days more, 1 when
 * there is a warning, 2 for usage or configuration errors.
 *
 * Also the option parsing and configuration load `lookup` shares
 * (tool_config_at), and the date and capabilities formats of both
 * (tool_print_date, tool_print_caps).
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOON_DAYS 30

void tool_print_date(FILE *o, time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	fputs(buf, o);
}

void tool_print_caps(FILE *o, const smime_caps *caps)
{
	size_t shown = 0;

	fputs("capabilities=", o);
	if (caps == NULL) {
		fputs("unknown", o);
		return;
	}
	for (size_t i = 0; i < caps->n; i++) {
		const smime_cipher_info *c =
			smime_cipher_by_id(caps->cipher[i]);

		if (c != NULL)
			fprintf(o, "%s%s", shown++ ? "," : "", c->name);
	}
	if (shown == 0)
		fputs("none", o);
}

/* One line per harvested address: its newest certificate, how many it
 * keeps, its capabilities and when they were stated.  No warnings:
 * correspondents' certificates expire as they will, and the lookup
 * falls back to an older one. */
static void print_harvested(const char *dir, const char *file)
{
	smime_found f = {0};
	char *path = NULL;
	const smime_cert_info *ci;
	char stamp[32];
	struct tm tm;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return;
	if (smime_harvest_read_file(path, &f) < 0 || f.ncerts == 0) {
		printf("harvest %.*s unreadable\n", (int)(strlen(file) - 4),
		       file);
		goto cleanup;
	}
	ci = smime_cert_get_info(f.certs[0]);
	printf("harvest %.*s issuer=\"%s\" serial=%s expires=",
	       (int)(strlen(file) - 4), file, ci->issuer, ci->serial);
	tool_print_date(stdout, ci->not_after);
	printf(" key=%s certificates=%zu ", ci->key_type, f.ncerts);
	tool_print_caps(stdout, f.has_caps ? &f.caps : NULL);
	if (f.has_caps && f.caps_time != 0 &&
	    gmtime_r(&f.caps_time, &tm) != NULL &&
	    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		printf(" signing-time=%s", stamp);
	putchar('\n');
cleanup:
	smime_found_clear(&f);
	free(path);
}

/* The entries of HarvestDirectory, when harvesting is on. */
static void print_harvest(const milter_config *cfg)
{
	char **names = NULL;
	size_t n = 0;

	if (!cfg->harvest_certificates)
		return;
	if (smime_harvest_list(cfg->harvest_directory, &names, &n) < 0) {
		fprintf(stderr, "smime-tool: %s: cannot list\n",
			cfg->harvest_directory);
		return;
	}
	for (size_t i = 0; i < n; i++)
		print_harvested(cfg->harvest_directory, names[i]);
	smime_harvest_list_free(names, n);
}

/* One line per certificate; returns 1 when it warned. */
static int print_cert(const char *kind, const char *name,
		      const smime_cert_info *ci, time_t now)
{
	const char *warn = NULL;

	if (ci->not_after < now)
		warn = "EXPIRED";
	else if (ci->not_after < now + SOON_DAYS * 86400)
		warn = "expires within 30 days";
	else if (ci->not_before > now)
		warn = "not yet valid";
	printf("%s %s", kind, name ? name : ci->file);
	for (size_t i = 0; i < ci->naddresses; i++)
		printf("%s%s", i ? "," : " address=", ci->addresses[i]);
	if (ci->naddresses == 0)
		printf(" address=-");
	printf(" issuer=\"%s\" serial=%s expires=", ci->issuer, ci->serial);
	tool_print_date(stdout, ci->not_after);
	printf(" key=%s", ci->key_type);
	if (warn)
		printf(" WARNING: %s", warn);
	putchar('\n');
	if (warn)
		fprintf(stderr, "smime-tool: %s: certificate %s\n", ci->file,
			warn);
	return warn != NULL;
}

int tool_config_at(int argc, char **argv, bool operands, milter_config **cfg,
		   time_t *now)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"at", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0}};
	const char *conf = NULL, *at = NULL;
	smime_buf diags = SMIME_BUF_INIT;
	int c;

	*now = time(NULL);
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (c == 'c')
			conf = optarg;
		else if (c == 'T')
			at = optarg;
		else
			return -1;
	}
	if (conf == NULL || (optind < argc) != operands)
		return -1;
	if (at && tool_parse_at(at, now) < 0) {
		fprintf(stderr,
			"smime-tool: --at %s: expected RFC 3339 time or "
			"@EPOCH\n",
			at);
		return TOOL_EXIT_USAGE;
	}
	if (milter_config_load(conf, cfg, &diags) != 0) {
		fputs(diags.data ? (const char *)diags.data : "", stderr);
		smime_buf_free(&diags);
		return TOOL_EXIT_USAGE;
	}
	smime_buf_free(&diags);
	return 0;
}

int tool_keys(int argc, char **argv)
{
	milter_config *cfg = NULL;
	time_t now;
	int warned = 0, rc = tool_config_at(argc, argv, false, &cfg, &now);

	if (rc < 0) {
		fprintf(stderr, "usage: smime-tool keys -c FILE [--at TIME]\n");
		return TOOL_EXIT_USAGE;
	}
	if (rc != 0)
		return rc;
	for (size_t i = 0;
	     cfg->keystore && i < smime_keystore_count(cfg->keystore); i++) {
		const smime_key *k = smime_keystore_at(cfg->keystore, i);
		const smime_cert_info *ci =
			smime_cert_get_info(smime_key_cert(k));
		warned |= print_cert("key", ci->name, ci, now);
	}
	for (size_t i = 0;
	     cfg->certdir && i < smime_certdir_count(cfg->certdir); i++)
		warned |= print_cert(
			"cert", NULL,
			smime_cert_get_info(smime_certdir_at(cfg->certdir, i)),
			now);
	print_harvest(cfg);
	if (cfg->keystore == NULL && cfg->certdir == NULL)
		printf("no KeyStore or CertDirectory configured\n");
	milter_config_unref(cfg);
	return warned ? 1 : 0;
}
