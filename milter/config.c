/*
 * config.c - the smime-milter configuration file (SPEC section 4).
 *
 * One table row per key: its name, its type, its default written as the
 * text a user would put in the file, its bounds and where it lands in
 * milter_config.  One loader reads OpenDKIM-style "Key value" lines and
 * runs the row's setter; the defaults go through the very same setters,
 * so a default can never be something the file could not say.
 *
 * Promises: milter_config_load reports every problem of the file (not
 * just the first) as "FILE:LINE: message" saying what was expected; a
 * config it returns is complete and immutable, shared through an atomic
 * reference count; the last milter_config_unref frees everything.
 * The value types live in config_types.c, the deeper -n checks in
 * config_check.c.
 */
#include "config_internal.h"
#include "directory.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The type of a key in the table below. */
#define T(name) (&milter_cfgtype_##name)

/* ------------------------------------------------------------------ */
/* The table: every SPEC section 4 key, one row each                    */
/* ------------------------------------------------------------------ */

static const char *const onerr_words[] = {"accept", "tempfail", "reject", NULL};
static const char *const digest_words[] = {
	"md5", "sha1", "sha224", "sha256", "sha384", "sha512", NULL};
static const char *const sign_digest_words[] = {"sha256", "sha384", "sha512",
						NULL};
static const char *const padding_words[] = {"pkcs1", "pss", NULL};

#define OFF(f) offsetof(milter_config, f)
#define MB (1024ULL * 1024ULL)

static const cfg_key keys[] = {
	{"Socket", T(socket), "local:/run/smime-milter/smime-milter.sock", 0, 0,
	 OFF(socket), 0, NULL},
	{"AuthservID", T(authserv), "HOSTNAME", 0, 0, OFF(authserv_id), 0,
	 NULL},
	{"TrustAnchorFile", T(path), NULL, 0, 0, OFF(trust_anchor_file), 0,
	 NULL},
	{"CRLFile", T(path), NULL, 0, 0, OFF(crl_file), 0, NULL},
	{"KeyStore", T(path), NULL, 0, 0, OFF(key_store), 0, NULL},
	{"CertDirectory", T(path), NULL, 0, 0, OFF(cert_directory), 0, NULL},
	{"Rules", T(path), NULL, 0, 0, OFF(rules_file), 0, NULL},
	{"InternalHosts", T(cidrs), "127.0.0.1,::1", 0, 0, OFF(internal_hosts),
	 OFF(ninternal_hosts), NULL},
	{"OutboundDaemonNames", T(names), "", 0, 0, OFF(outbound_daemon_names),
	 OFF(noutbound_daemon_names), NULL},
	{"WeakCiphers", T(ciphers), "rc2-40-cbc,rc2-64-cbc,rc2-128-cbc,des-cbc",
	 0, 0, OFF(weak_ciphers), 0, NULL},
	{"On-InternalError", T(onerr), "tempfail", 0, 0, OFF(on_internal_error),
	 0, onerr_words},
	{"UserID", T(user), NULL, 0, 0, OFF(user_id), 0, NULL},
	{"PidFile", T(path), NULL, 0, 0, OFF(pid_file), 0, NULL},
	{"SocketMode", T(mode), "0660", 0, 0777, OFF(socket_mode), 0, NULL},
	{"SyslogFacility", T(facility), "mail", 0, 0, OFF(syslog_facility), 0,
	 NULL},
	{"DryRun", T(bool), "no", 0, 0, OFF(dry_run), 0, NULL},
	{"WeakDigests", T(names), "md5,sha1", 0, 0, OFF(weak_digests),
	 OFF(nweak_digests), digest_words},
	{"MinRSABits", T(uint), "2048", 512, 16384, OFF(min_rsa_bits), 0, NULL},
	{"StampInnerSignatures", T(bool), "no", 0, 0,
	 OFF(stamp_inner_signatures), 0, NULL},
	{"SenderLoginMap", T(path), NULL, 0, 0, OFF(sender_login_map), 0, NULL},
	{"SignUnauthenticated", T(bool), "no", 0, 0, OFF(sign_unauthenticated),
	 0, NULL},
	{"SignDigest", T(choice), "sha256", 0, 0, OFF(sign_digest), 0,
	 sign_digest_words},
	{"SignRSAPadding", T(choice), "pkcs1", 0, 0, OFF(sign_rsa_padding), 0,
	 padding_words},
	{"BodyMemoryLimit", T(size), "1M", 0, 1024 * MB, OFF(body_memory_limit),
	 0, NULL},
	{"TempDirectory", T(path), "/var/tmp", 0, 0, OFF(temp_directory), 0,
	 NULL},
	{"MaxCryptoSize", T(size), "50M", 1024, 1024 * MB, OFF(max_crypto_size),
	 0, NULL},
	{"MaxNesting", T(uint), "16", 1, 64, OFF(max_nesting), 0, NULL},
	{"MaxRecipientInfos", T(uint), "1000", 1, 100000,
	 OFF(max_recipient_infos), 0, NULL},
	{"MaxCertificates", T(uint), "100", 1, 10000, OFF(max_certificates), 0,
	 NULL},
	{"MaxKeyOperations", T(uint), "16", 0, 10000, OFF(max_key_operations),
	 0, NULL},
	{"ReencryptOutbound", T(bool), "no", 0, 0, OFF(reencrypt_outbound), 0,
	 NULL},
	{"MaxSignatures", T(uint), "100", 1, 10000, OFF(max_signatures), 0,
	 NULL},
	{"HarvestCertificates", T(bool), "no", 0, 0, OFF(harvest_certificates),
	 0, NULL},
	{"HarvestDirectory", T(path), "/var/lib/smime-milter/harvest", 0, 0,
	 OFF(harvest_directory), 0, NULL},
	{"HarvestMax", T(uint), "100000", 1, 100000000, OFF(harvest_max), 0,
	 NULL},
	{"DefaultCipher", T(auto_cipher), "aes-256-cbc", 0, 0,
	 OFF(default_cipher), 0, NULL},
	{"EncryptToSender", T(bool), "yes", 0, 0, OFF(encrypt_to_sender), 0,
	 NULL},
	{"LDAPURI", T(uris), NULL, 0, 0, OFF(ldap_uri), 0, NULL},
	{"LDAPStartTLS", T(bool), "no", 0, 0, OFF(ldap_starttls), 0, NULL},
	{"LDAPCAFile", T(path), NULL, 0, 0, OFF(ldap_ca_file), 0, NULL},
	{"LDAPBase", T(text), NULL, 0, 0, OFF(ldap_base), 0, NULL},
	{"LDAPFilter", T(text), "(mail=%s)", 0, 0, OFF(ldap_filter), 0, NULL},
	{"LDAPBindDN", T(text), NULL, 0, 0, OFF(ldap_bind_dn), 0, NULL},
	{"LDAPBindPasswordFile", T(path), NULL, 0, 0,
	 OFF(ldap_bind_password_file), 0, NULL},
	{"LDAPTimeout", T(uint), "5", 1, 300, OFF(ldap_timeout), 0, NULL},
	{"LDAPCacheTTL", T(uint), "3600", 0, 604800, OFF(ldap_cache_ttl), 0,
	 NULL},
	{"LDAPNegativeCacheTTL", T(uint), "600", 0, 604800,
	 OFF(ldap_negative_cache_ttl), 0, NULL},
	{"LDAPHarvestBase", T(text), NULL, 0, 0, OFF(ldap_harvest_base), 0,
	 NULL},
	{"HarvestToLDAP", T(bool), "no", 0, 0, OFF(harvest_to_ldap), 0, NULL},
	/* observability (SPEC section 10) */
	{"MetricsFile", T(path), NULL, 0, 0, OFF(metrics_file), 0, NULL},
	{"MetricsInterval", T(uint), "15", 1, 3600, OFF(metrics_interval), 0,
	 NULL},
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* ------------------------------------------------------------------ */
/* Life cycle                                                           */
/* ------------------------------------------------------------------ */

static void config_free(milter_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type->release != NULL)
			keys[i].type->release(&keys[i], cfg);
	rules_set_free(cfg->rules);
	smime_trust_free(cfg->trust);
	smime_keystore_free(cfg->keystore);
	smime_certdir_free(cfg->certdir);
	milter_loginmap_free(cfg->login_map);
	milter_directory_free(cfg->directory);
	free(cfg->file);
	free(cfg);
}

milter_config *milter_config_ref(milter_config *cfg)
{
	if (cfg != NULL)
		__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

void milter_config_unref(milter_config *cfg)
{
	/* acq_rel: the last owner must see every other owner's use done. */
	if (cfg != NULL &&
	    __atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL) == 0)
		config_free(cfg);
}

/*
 * SMIME_DEBUG_COUNTERS=1 in the environment adds a line after each log
 * line with the private-key unwraps and the bytes decrypted for the
 * message: what the oracle tests compare (SPEC section 8).  Off by
 * default; both counts are decided before any private-key operation.
 * Read once per load, not per message.
 */
static bool debug_counters(void)
{
	const char *v = getenv("SMIME_DEBUG_COUNTERS");

	return v != NULL && strcmp(v, "1") == 0;
}

/* What the other settings imply, computed once per load. */
static void derive(milter_config *cfg)
{
	smime_analyze_opts_default(&cfg->analyze);
	cfg->analyze.weak_ciphers = cfg->weak_ciphers;
	cfg->analyze.max_nesting = cfg->max_nesting;
	cfg->analyze.mime.max_depth = cfg->max_nesting;
	cfg->analyze.cms.max_recipients = cfg->max_recipient_infos;
	cfg->analyze.cms.max_certificates = cfg->max_certificates;
	/* Decoded bodies and ciphertext past 1 MiB: mapped files there */
	cfg->analyze.cms.spill_dir = cfg->temp_directory;
	cfg->analyze.max_signatures = cfg->max_signatures;
	cfg->debug_counters = debug_counters();
}

int milter_config_defaults(milter_config **out)
{
	smime_buf why = SMIME_BUF_INIT;
	milter_config *cfg;
	size_t i;
	int rc = 0;

	*out = NULL;
	cfg = calloc(1, sizeof *cfg);
	if (cfg == NULL)
		return SMIME_E_NOMEM;
	cfg->refs = 1;
	for (i = 0; i < NKEYS && rc == 0; i++)
		if (keys[i].def != NULL)
			rc = keys[i].type->set(&keys[i], keys[i].def, cfg,
					       &why);
	smime_buf_free(&why);
	if (rc != 0) {
		/* A default the setter refuses is a bug in the table, or
		 * gethostname failing; either way no config. */
		config_free(cfg);
		return rc < 0 ? rc : SMIME_E_ARG;
	}
	derive(cfg);
	*out = cfg;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The loader                                                           */
/* ------------------------------------------------------------------ */

bool milter_config_key_at(size_t i, const char **name, const char **def)
{
	if (i >= NKEYS)
		return false;
	*name = keys[i].name;
	*def = keys[i].def;
	return true;
}

static const cfg_key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The line that set a key (0: the default). */
static unsigned line_of(const unsigned *seen, const char *name)
{
	const cfg_key *k = find_key(name);

	return k != NULL ? seen[k - keys] : 0;
}

/* The checks between keys, once the file is read: the number of
 * problems reported, or SMIME_E_NOMEM. */
static int check_across(const milter_config *cfg, const char *file,
			const unsigned *seen, smime_buf *diags)
{
	milter_cfg_lines l = {
		.harvest_directory = line_of(seen, "HarvestDirectory"),
		.cert_directory = line_of(seen, "CertDirectory"),
		.default_cipher = line_of(seen, "DefaultCipher"),
		.weak_ciphers = line_of(seen, "WeakCiphers"),
		.harvest_to_ldap = line_of(seen, "HarvestToLDAP"),
	};

	return milter_cfg_check_harvest(cfg, file, &l, diags);
}

/* "FILE:LINE: " (or "FILE: " for line 0), then the message. */
static int diag_start(smime_buf *diags, const char *file, unsigned line)
{
	if (line > 0)
		return smime_buf_printf(diags, "%s:%u: ", file, line);
	return smime_buf_printf(diags, "%s: ", file);
}

/* Cuts a line into key and value: blanks separate them, a '#' at the
 * start or after a blank begins a comment, trailing blanks go.  The key
 * is NULL for a blank or comment line. */
static void split_line(char *line, char **key, char **value)
{
	char *p, *end;

	for (p = line; *p != '\0'; p++) {
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	*key = *p != '\0' ? p : NULL;
	*value = end;
	if (*key == NULL)
		return;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0') {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		*value = p;
	}
}

/* Handles one line.  Returns 0 for a good (or empty) line,
 * SMIME_REPORTED after it appended a diagnostic (loading goes on, to
 * find every problem), or a negative SMIME_E_* (SMIME_E_NOMEM). */
static int load_line(milter_config *cfg, const char *file, unsigned lineno,
		     char *line, unsigned *seen, smime_buf *diags)
{
	smime_buf msg = SMIME_BUF_INIT;
	const cfg_key *k;
	char *key, *value;
	int rc;

	split_line(line, &key, &value);
	if (key == NULL)
		return 0;
	rc = diag_start(&msg, file, lineno);
	if (rc < 0)
		goto cleanup;
	k = find_key(key);
	if (k == NULL) {
		rc = smime_buf_puts(&msg, "unknown key '");
		if (rc == 0)
			rc = milter_cfg_put_shown(&msg, key);
		if (rc == 0)
			rc = smime_buf_puts(&msg, "'");
		rc = rc < 0 ? rc : SMIME_REPORTED;
	} else if (seen[k - keys] != 0) {
		rc = smime_buf_printf(&msg,
				      "%s: duplicate key (first set on line "
				      "%u)",
				      k->name, seen[k - keys]);
		rc = rc < 0 ? rc : SMIME_REPORTED;
	} else {
		seen[k - keys] = lineno;
		rc = smime_buf_printf(&msg, "%s: ", k->name);
		if (rc == 0 && *value == '\0' && !k->type->list)
			rc = smime_buf_puts(&msg, "missing value") < 0
				     ? SMIME_E_NOMEM
				     : SMIME_REPORTED;
		else if (rc == 0)
			rc = k->type->set(k, value, cfg, &msg);
	}
	if (rc == SMIME_REPORTED) {
		rc = smime_buf_putc(&msg, '\n');
		if (rc == 0)
			rc = smime_buf_append(diags, msg.data, msg.len);
		if (rc == 0)
			rc = SMIME_REPORTED;
	}
cleanup:
	smime_buf_free(&msg);
	return rc;
}

static int load_file(milter_config *cfg, FILE *fp, const char *file,
		     smime_buf *diags)
{
	unsigned seen[NKEYS] = {0};
	unsigned lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0, problems = 0;

	while ((n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (strlen(line) != (size_t)n) {
			rc = smime_buf_printf(diags,
					      "%s:%u: NUL byte in "
					      "line\n",
					      file, lineno);
			problems++;
		} else {
			rc = load_line(cfg, file, lineno, line, seen, diags);
			if (rc > 0)
				problems++;
		}
		if (rc < 0)
			goto cleanup;
	}
	if (ferror(fp)) {
		rc = smime_buf_printf(diags, "%s: read error: %s\n", file,
				      strerror(errno));
		problems++;
	}
	if (rc >= 0) {
		rc = check_across(cfg, file, seen, diags);
		if (rc > 0)
			problems += rc;
	}
cleanup:
	free(line);
	if (rc < 0)
		return rc;
	return problems;
}

int milter_config_load(const char *file, milter_config **out, smime_buf *diags)
{
	milter_config *cfg = NULL;
	FILE *fp = NULL;
	int rc;

	*out = NULL;
	fp = fopen(file, "r");
	if (fp == NULL) {
		smime_buf_printf(diags, "%s: cannot open: %s\n", file,
				 strerror(errno));
		return SMIME_REPORTED;
	}
	rc = milter_config_defaults(&cfg);
	if (rc == 0) {
		cfg->file = strdup(file);
		if (cfg->file == NULL)
			rc = SMIME_E_NOMEM;
	}
	if (rc == 0)
		rc = load_file(cfg, fp, file, diags);
	fclose(fp);
	if (rc < 0)
		smime_buf_printf(diags, "%s: %s\n", file, smime_strerror(rc));
	if (rc != 0) {
		config_free(cfg);
		return milter_cfg_reported(rc);
	}
	derive(cfg);
	rc = milter_config_load_trust(cfg, diags);
	if (rc == 0)
		rc = milter_config_load_rules(cfg, diags);
	if (rc == 0)
		rc = milter_config_load_keys(cfg, diags);
	if (rc == 0)
		rc = milter_directory_new(cfg, &cfg->directory, diags);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int milter_cfg_reported(int rc)
{
	return rc == SMIME_E_NOMEM ? rc : SMIME_REPORTED;
}
