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
 * The deeper -n checks live in config_check.c.
 */
#include "milter.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

typedef struct cfg_key cfg_key;

/* Sets the key's field from value (never empty for scalar types).
 * Returns 0, -1 with what was expected written to why, or a negative
 * SMIME_E_* resource error. */
typedef int (*cfg_setter)(const cfg_key *k, const char *value,
			  milter_config *cfg, smime_buf *why);
/* Frees what the setter allocated (NULL for plain values). */
typedef void (*cfg_releaser)(const cfg_key *k, milter_config *cfg);

typedef struct cfg_type {
	cfg_setter set;
	cfg_releaser release;
	bool list; /* an empty value is an empty list */
} cfg_type;

struct cfg_key {
	const char *name;
	const cfg_type *type;
	const char *def;                /* default as file text; NULL: none */
	unsigned long long min, max;    /* numbers, sizes, modes */
	size_t off;                     /* the field in milter_config */
	size_t count_off;               /* lists: the element count */
	const char *const *choices;     /* enumerations, NULL-terminated */
};

#define FIELD(k, cfg, type) ((type *)(void *)((char *)(cfg) + (k)->off))
#define COUNT(k, cfg) ((size_t *)(void *)((char *)(cfg) + (k)->count_off))

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

/* Appends text for a message, with control characters shown as '?' and
 * long values cut, so a hostile value cannot forge log or terminal
 * output. */
static int put_shown(smime_buf *b, const char *s)
{
	size_t i;
	int rc = 0;

	for (i = 0; s[i] != '\0' && rc == 0; i++) {
		if (i == 120)
			return smime_buf_puts(b, "...");
		rc = smime_buf_putc(b, iscntrl((unsigned char)s[i]) ? '?'
								     : s[i]);
	}
	return rc;
}

static int expected(smime_buf *why, const char *what, const char *value)
{
	int rc = smime_buf_printf(why, "expected %s, got '", what);

	if (rc == 0)
		rc = put_shown(why, value);
	if (rc == 0)
		rc = smime_buf_putc(why, '\'');
	return rc < 0 ? rc : -1;
}

static int set_owned_string(char **field, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return SMIME_E_NOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static bool has_blank(const char *s)
{
	return strpbrk(s, " \t") != NULL;
}

/* Parses a decimal (base 10) or octal (base 8) number, all of value. */
static int parse_ull(const char *value, int base, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	*out = strtoull(value, &end, base);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setters, one per type                                                */
/* ------------------------------------------------------------------ */

static void release_string(const cfg_key *k, milter_config *cfg)
{
	char **field = FIELD(k, cfg, char *);

	free(*field);
	*field = NULL;
}

/* Paths must be absolute: the daemon changes to / when it detaches. */
static int set_path(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	if (value[0] != '/')
		return expected(why, "an absolute path", value);
	return set_owned_string(FIELD(k, cfg, char *), value);
}

static int set_socket(const cfg_key *k, const char *value, milter_config *cfg,
		      smime_buf *why)
{
	static const char what[] =
		"inet:PORT@HOST, inet6:PORT@HOST or local:/path";
	const char *port = NULL;
	unsigned long long n;
	char *copy;
	int rc;

	if (strncmp(value, "local:", 6) == 0) {
		if (value[6] != '/')
			return expected(why, what, value);
	} else if (strncmp(value, "inet:", 5) == 0) {
		port = value + 5;
	} else if (strncmp(value, "inet6:", 6) == 0) {
		port = value + 6;
	} else {
		return expected(why, what, value);
	}
	if (port != NULL) {
		const char *at = strchr(port, '@');

		copy = strndup(port, at ? (size_t)(at - port) : strlen(port));
		if (copy == NULL)
			return SMIME_E_NOMEM;
		rc = parse_ull(copy, 10, &n);
		free(copy);
		if (rc < 0 || n < 1 || n > 65535 || (at && at[1] == '\0') ||
		    has_blank(port))
			return expected(why, what, value);
	}
	return set_owned_string(FIELD(k, cfg, char *), value);
}

/* RFC 8601 authserv-id as a token; HOSTNAME means this host's name. */
static int set_authserv(const cfg_key *k, const char *value,
			milter_config *cfg, smime_buf *why)
{
	char host[HOST_NAME_MAX + 1];
	const char *p;

	if (strcmp(value, "HOSTNAME") == 0) {
		if (gethostname(host, sizeof host) != 0)
			return smime_buf_printf(why, "gethostname: %s",
						strerror(errno)) < 0
				       ? SMIME_E_NOMEM
				       : -1;
		host[sizeof host - 1] = '\0';
		value = host;
	}
	for (p = value; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 127 || strchr("()<>@,;:\\\"/[]?=", *p))
			return expected(why,
					"a host name or another RFC 8601 token "
					"(or HOSTNAME)",
					value);
	return set_owned_string(FIELD(k, cfg, char *), value);
}

/* user[:group], both known to the system now, since the daemon must be
 * able to switch to them. */
static int set_user(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	const char *colon = strchr(value, ':');
	char *user;
	int rc = 0;

	if (has_blank(value) || value[0] == ':' || (colon && colon[1] == '\0'))
		return expected(why, "user or user:group", value);
	user = strndup(value, colon ? (size_t)(colon - value) : strlen(value));
	if (user == NULL)
		return SMIME_E_NOMEM;
	if (getpwnam(user) == NULL)
		rc = smime_buf_printf(why, "unknown user '%s'", user);
	else if (colon && getgrnam(colon + 1) == NULL)
		rc = smime_buf_printf(why, "unknown group '%s'", colon + 1);
	else
		rc = 1;
	free(user);
	if (rc < 0)
		return SMIME_E_NOMEM;
	if (rc == 0)
		return -1;
	return set_owned_string(FIELD(k, cfg, char *), value);
}

/* Writes "a, b or c" for the choices of k. */
static int put_choices(smime_buf *b, const char *const *choices)
{
	size_t i;
	int rc = 0;

	for (i = 0; choices[i] != NULL && rc == 0; i++) {
		if (i > 0)
			rc = smime_buf_puts(b, choices[i + 1] ? ", " : " or ");
		if (rc == 0)
			rc = smime_buf_puts(b, choices[i]);
	}
	return rc;
}

static int find_choice(const char *const *choices, const char *value)
{
	int i;

	for (i = 0; choices[i] != NULL; i++)
		if (strcasecmp(choices[i], value) == 0)
			return i;
	return -1;
}

static int expected_choice(smime_buf *why, const char *const *choices,
			   const char *value)
{
	smime_buf what = SMIME_BUF_INIT;
	int rc = put_choices(&what, choices);

	if (rc == 0)
		rc = expected(why, (const char *)what.data, value);
	smime_buf_free(&what);
	return rc;
}

/* One of k->choices, stored as the canonical spelling. */
static int set_choice(const cfg_key *k, const char *value, milter_config *cfg,
		      smime_buf *why)
{
	int i = find_choice(k->choices, value);

	if (i < 0)
		return expected_choice(why, k->choices, value);
	return set_owned_string(FIELD(k, cfg, char *), k->choices[i]);
}

/* On-InternalError: the choices are in milter_onerr order. */
static int set_onerr(const cfg_key *k, const char *value, milter_config *cfg,
		     smime_buf *why)
{
	int i = find_choice(k->choices, value);

	if (i < 0)
		return expected_choice(why, k->choices, value);
	*FIELD(k, cfg, milter_onerr) = (milter_onerr)i;
	return 0;
}

static int set_bool(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	static const char *const words[] = {"yes", "true", "1",
					    "no",  "false", "0", NULL};
	int i = find_choice(words, value);

	if (i < 0)
		return expected(why, "yes, no, true, false, 1 or 0", value);
	*FIELD(k, cfg, bool) = i < 3;
	return 0;
}

static int set_uint(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	unsigned long long n;

	if (parse_ull(value, 10, &n) < 0 || n < k->min || n > k->max) {
		char what[96];

		snprintf(what, sizeof what, "a number from %llu to %llu",
			 k->min, k->max);
		return expected(why, what, value);
	}
	*FIELD(k, cfg, unsigned) = (unsigned)n;
	return 0;
}

int milter_parse_size(const char *text, size_t *out)
{
	unsigned long long n, mult = 1;
	char *end;

	if (text == NULL || !isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	if (*end != '\0' || n > SIZE_MAX / mult)
		return -1;
	*out = (size_t)(n * mult);
	return 0;
}

static int set_size(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	size_t n;

	if (milter_parse_size(value, &n) < 0 || n < k->min || n > k->max) {
		char what[128];

		snprintf(what, sizeof what,
			 "a size from %llu to %llu bytes (K and M suffixes "
			 "allowed, 1024-based)",
			 k->min, k->max);
		return expected(why, what, value);
	}
	*FIELD(k, cfg, size_t) = n;
	return 0;
}

static int set_mode(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	unsigned long long n;

	if (parse_ull(value, 8, &n) < 0 || n > k->max)
		return expected(why, "an octal mode such as 0660", value);
	*FIELD(k, cfg, unsigned) = (unsigned)n;
	return 0;
}

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV},
	{"cron", LOG_CRON},     {"daemon", LOG_DAEMON},
	{"ftp", LOG_FTP},       {"lpr", LOG_LPR},
	{"mail", LOG_MAIL},     {"news", LOG_NEWS},
	{"syslog", LOG_SYSLOG}, {"user", LOG_USER},
	{"uucp", LOG_UUCP},     {"local0", LOG_LOCAL0},
	{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
	{"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
	{"local7", LOG_LOCAL7},
};

static int set_facility(const cfg_key *k, const char *value,
			milter_config *cfg, smime_buf *why)
{
	size_t i;

	for (i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
		if (strcasecmp(facilities[i].name, value) == 0) {
			*FIELD(k, cfg, int) = facilities[i].facility;
			return 0;
		}
	}
	return expected(why,
			"a syslog facility: mail, daemon, user, auth, "
			"authpriv, local0 ... local7, ...",
			value);
}

/* ---- comma lists ---- */

/* Calls item() for every comma-separated item, blanks around items
 * trimmed.  An empty value is an empty list; an empty item is an
 * error.  Stops at the first non-zero return. */
static int each_item(const char *value, smime_buf *why,
		     int (*item)(const char *text, void *arg), void *arg)
{
	char *copy, *p, *next, *end;
	int rc = 0;

	if (value[0] == '\0')
		return 0;
	copy = strdup(value);
	if (copy == NULL)
		return SMIME_E_NOMEM;
	for (p = copy; p != NULL && rc == 0; p = next) {
		next = strchr(p, ',');
		if (next != NULL)
			*next++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p == '\0')
			rc = expected(why, "a comma-separated list without "
					   "empty items",
				      value);
		else
			rc = item(p, arg);
	}
	free(copy);
	return rc;
}

struct list_state {
	const cfg_key *k;
	smime_buf *why;
	void *v; /* the array being built */
	size_t n;
	uint32_t bits;
};

static int grow(void **v, size_t n, size_t size)
{
	void *nv;

	if (n + 1 > SIZE_MAX / size)
		return SMIME_E_NOMEM;
	nv = realloc(*v, (n + 1) * size);
	if (nv == NULL)
		return SMIME_E_NOMEM;
	*v = nv;
	return 0;
}

static void free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void release_names(const cfg_key *k, milter_config *cfg)
{
	char ***field = FIELD(k, cfg, char **);

	free_names(*field, *COUNT(k, cfg));
	*field = NULL;
	*COUNT(k, cfg) = 0;
}

static int name_item(const char *text, void *arg)
{
	struct list_state *st = arg;
	char **v;
	int i;

	if (has_blank(text))
		return expected(st->why, "names without blanks", text);
	if (st->k->choices != NULL) {
		i = find_choice(st->k->choices, text);
		if (i < 0)
			return expected_choice(st->why, st->k->choices, text);
		text = st->k->choices[i];
	}
	if (grow(&st->v, st->n, sizeof(char *)) < 0)
		return SMIME_E_NOMEM;
	v = st->v;
	v[st->n] = strdup(text);
	if (v[st->n] == NULL)
		return SMIME_E_NOMEM;
	st->n++;
	return 0;
}

/* A list of names; with choices, each must be one of them. */
static int set_names(const cfg_key *k, const char *value, milter_config *cfg,
		     smime_buf *why)
{
	struct list_state st = {k, why, NULL, 0, 0};
	int rc = each_item(value, why, name_item, &st);

	if (rc != 0) {
		free_names(st.v, st.n);
		return rc;
	}
	release_names(k, cfg);
	*FIELD(k, cfg, char **) = st.v;
	*COUNT(k, cfg) = st.n;
	return 0;
}

static void release_cidrs(const cfg_key *k, milter_config *cfg)
{
	rules_cidr **field = FIELD(k, cfg, rules_cidr *);

	free(*field);
	*field = NULL;
	*COUNT(k, cfg) = 0;
}

static int cidr_item(const char *text, void *arg)
{
	struct list_state *st = arg;
	rules_cidr *v;

	if (grow(&st->v, st->n, sizeof(rules_cidr)) < 0)
		return SMIME_E_NOMEM;
	v = st->v;
	if (rules_cidr_parse(text, &v[st->n]) < 0)
		return expected(st->why,
				"an IPv4 or IPv6 address, optionally with "
				"/PREFIX",
				text);
	st->n++;
	return 0;
}

static int set_cidrs(const cfg_key *k, const char *value, milter_config *cfg,
		     smime_buf *why)
{
	struct list_state st = {k, why, NULL, 0, 0};
	int rc = each_item(value, why, cidr_item, &st);

	if (rc != 0) {
		free(st.v);
		return rc;
	}
	release_cidrs(k, cfg);
	*FIELD(k, cfg, rules_cidr *) = st.v;
	*COUNT(k, cfg) = st.n;
	return 0;
}

static int cipher_item(const char *text, void *arg)
{
	struct list_state *st = arg;
	const smime_cipher_info *ci = smime_cipher_by_name(text);

	if (ci == NULL)
		return expected(st->why,
				"cipher names such as rc2-40-cbc, des-cbc, "
				"des-ede3-cbc, aes-128-cbc (SPEC section 6)",
				text);
	st->bits |= SMIME_CIPHER_BIT(ci->id);
	return 0;
}

static int set_ciphers(const cfg_key *k, const char *value,
		       milter_config *cfg, smime_buf *why)
{
	struct list_state st = {k, why, NULL, 0, 0};
	int rc = each_item(value, why, cipher_item, &st);

	if (rc != 0)
		return rc;
	*FIELD(k, cfg, uint32_t) = st.bits;
	return 0;
}

static const cfg_type t_path = {set_path, release_string, false};
static const cfg_type t_socket = {set_socket, release_string, false};
static const cfg_type t_authserv = {set_authserv, release_string, false};
static const cfg_type t_user = {set_user, release_string, false};
static const cfg_type t_choice = {set_choice, release_string, false};
static const cfg_type t_onerr = {set_onerr, NULL, false};
static const cfg_type t_bool = {set_bool, NULL, false};
static const cfg_type t_uint = {set_uint, NULL, false};
static const cfg_type t_size = {set_size, NULL, false};
static const cfg_type t_mode = {set_mode, NULL, false};
static const cfg_type t_facility = {set_facility, NULL, false};
static const cfg_type t_names = {set_names, release_names, true};
static const cfg_type t_cidrs = {set_cidrs, release_cidrs, true};
static const cfg_type t_ciphers = {set_ciphers, NULL, true};

/* ------------------------------------------------------------------ */
/* The table: every SPEC section 4 key, one row each                    */
/* ------------------------------------------------------------------ */

static const char *const onerr_words[] = {"accept", "tempfail", "reject",
					  NULL};
static const char *const digest_words[] = {"md5",    "sha1",   "sha224",
					   "sha256", "sha384", "sha512",
					   NULL};
static const char *const sign_digest_words[] = {"sha256", "sha384", "sha512",
						NULL};
static const char *const padding_words[] = {"pkcs1", "pss", NULL};

#define OFF(f) offsetof(milter_config, f)
#define MB (1024ULL * 1024ULL)

static const cfg_key keys[] = {
	{"Socket", &t_socket, "local:/run/smime-milter/smime-milter.sock", 0, 0,
	 OFF(socket), 0, NULL},
	{"AuthservID", &t_authserv, "HOSTNAME", 0, 0, OFF(authserv_id), 0,
	 NULL},
	{"TrustAnchorFile", &t_path, NULL, 0, 0, OFF(trust_anchor_file), 0,
	 NULL},
	{"CRLFile", &t_path, NULL, 0, 0, OFF(crl_file), 0, NULL},
	{"KeyStore", &t_path, NULL, 0, 0, OFF(key_store), 0, NULL},
	{"CertDirectory", &t_path, NULL, 0, 0, OFF(cert_directory), 0, NULL},
	{"Rules", &t_path, NULL, 0, 0, OFF(rules_file), 0, NULL},
	{"InternalHosts", &t_cidrs, "127.0.0.1,::1", 0, 0, OFF(internal_hosts),
	 OFF(ninternal_hosts), NULL},
	{"OutboundDaemonNames", &t_names, "", 0, 0, OFF(outbound_daemon_names),
	 OFF(noutbound_daemon_names), NULL},
	{"WeakCiphers", &t_ciphers, "rc2-40-cbc,rc2-64-cbc,rc2-128-cbc,des-cbc",
	 0, 0, OFF(weak_ciphers), 0, NULL},
	{"On-InternalError", &t_onerr, "tempfail", 0, 0, OFF(on_internal_error),
	 0, onerr_words},
	{"UserID", &t_user, NULL, 0, 0, OFF(user_id), 0, NULL},
	{"PidFile", &t_path, NULL, 0, 0, OFF(pid_file), 0, NULL},
	{"SocketMode", &t_mode, "0660", 0, 0777, OFF(socket_mode), 0, NULL},
	{"SyslogFacility", &t_facility, "mail", 0, 0, OFF(syslog_facility), 0,
	 NULL},
	{"DryRun", &t_bool, "no", 0, 0, OFF(dry_run), 0, NULL},
	{"WeakDigests", &t_names, "md5,sha1", 0, 0, OFF(weak_digests),
	 OFF(nweak_digests), digest_words},
	{"MinRSABits", &t_uint, "2048", 512, 16384, OFF(min_rsa_bits), 0, NULL},
	{"StampInnerSignatures", &t_bool, "no", 0, 0,
	 OFF(stamp_inner_signatures), 0, NULL},
	{"SenderLoginMap", &t_path, NULL, 0, 0, OFF(sender_login_map), 0,
	 NULL},
	{"SignUnauthenticated", &t_bool, "no", 0, 0, OFF(sign_unauthenticated),
	 0, NULL},
	{"SignDigest", &t_choice, "sha256", 0, 0, OFF(sign_digest), 0,
	 sign_digest_words},
	{"SignRSAPadding", &t_choice, "pkcs1", 0, 0, OFF(sign_rsa_padding), 0,
	 padding_words},
	{"BodyMemoryLimit", &t_size, "1M", 0, 1024 * MB, OFF(body_memory_limit),
	 0, NULL},
	{"TempDirectory", &t_path, "/var/tmp", 0, 0, OFF(temp_directory), 0,
	 NULL},
	{"MaxCryptoSize", &t_size, "50M", 1024, 1024 * MB, OFF(max_crypto_size),
	 0, NULL},
	{"MaxNesting", &t_uint, "16", 1, 64, OFF(max_nesting), 0, NULL},
	{"MaxRecipientInfos", &t_uint, "1000", 1, 100000,
	 OFF(max_recipient_infos), 0, NULL},
	{"MaxCertificates", &t_uint, "100", 1, 10000, OFF(max_certificates), 0,
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
	if (cfg != NULL && __atomic_sub_fetch(&cfg->refs, 1,
					      __ATOMIC_ACQ_REL) == 0)
		config_free(cfg);
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
		return rc < -1 ? rc : SMIME_E_ARG;
	}
	derive(cfg);
	*out = cfg;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The loader                                                           */
/* ------------------------------------------------------------------ */

static const cfg_key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
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

/* Handles one line.  Returns 0 for a good (or empty) line, 1 after it
 * appended a diagnostic (loading goes on, to find every problem), or a
 * negative resource error. */
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
			rc = put_shown(&msg, key);
		if (rc == 0)
			rc = smime_buf_puts(&msg, "'");
		rc = rc < 0 ? rc : -1;
	} else if (seen[k - keys] != 0) {
		rc = smime_buf_printf(&msg,
				      "%s: duplicate key (first set on line "
				      "%u)",
				      k->name, seen[k - keys]);
		rc = rc < 0 ? rc : -1;
	} else {
		seen[k - keys] = lineno;
		rc = smime_buf_printf(&msg, "%s: ", k->name);
		if (rc == 0 && *value == '\0' && !k->type->list)
			rc = smime_buf_puts(&msg, "missing value") < 0
				     ? SMIME_E_NOMEM
				     : -1;
		else if (rc == 0)
			rc = k->type->set(k, value, cfg, &msg);
	}
	if (rc == -1) {
		rc = smime_buf_putc(&msg, '\n');
		if (rc == 0)
			rc = smime_buf_append(diags, msg.data, msg.len);
		if (rc == 0)
			rc = 1;
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
			rc = smime_buf_printf(diags, "%s:%u: NUL byte in "
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
		return -1;
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
		return -1;
	}
	derive(cfg);
	if (milter_config_load_rules(cfg, diags) < 0) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}
