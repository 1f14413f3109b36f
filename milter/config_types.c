/*
 * config_types.c - the value types of the configuration file: one setter
 * per type (paths, sockets, booleans, bounded numbers, sizes, octal
 * modes, syslog facilities, enumerations, comma lists of names, CIDRs
 * and ciphers).  config.c's key table names a type per key.
 *
 * Promises: a setter either stores a complete new value (freeing the
 * old one) or leaves the field alone and says, in "expected X, got 'Y'"
 * form, what the value should have looked like.
 */
#include "config_internal.h"

#include <sys/stat.h>

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

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

/* Appends text for a message, with control characters shown as '?' and
 * long values cut, so a hostile value cannot forge log or terminal
 * output. */
int milter_cfg_put_shown(smime_buf *b, const char *s)
{
	size_t i;
	int rc = 0;

	for (i = 0; s[i] != '\0' && rc == 0; i++) {
		if (i == 120)
			return smime_buf_puts(b, "...");
		rc = smime_buf_putc(b,
				    iscntrl((unsigned char)s[i]) ? '?' : s[i]);
	}
	return rc;
}

static int expected(smime_buf *why, const char *what, const char *value)
{
	int rc = smime_buf_printf(why, "expected %s, got '", what);

	if (rc == 0)
		rc = milter_cfg_put_shown(why, value);
	if (rc == 0)
		rc = smime_buf_putc(why, '\'');
	return rc < 0 ? rc : SMIME_REPORTED;
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

/* Parses a decimal (base 10) or octal (base 8) number, all of value.
 * 0 or SMIME_E_PARSE. */
static int parse_ull(const char *value, int base, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)value[0]))
		return SMIME_E_PARSE;
	errno = 0;
	*out = strtoull(value, &end, base);
	if (errno != 0 || *end != '\0')
		return SMIME_E_PARSE;
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
	struct stat st;

	if (value[0] != '/')
		return expected(why, "an absolute path", value);
	/* A FIFO or device would hang whatever reads it (fuzz finding F2). */
	if (stat(value, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode))
		return expected(why, "a regular file or a directory", value);
	return set_owned_string(FIELD(k, cfg, char *), value);
}

/* Free text (DNs, filters): anything without control characters. */
static int set_text(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	for (const char *p = value; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			return expected(why, "text without control characters",
					value);
	return set_owned_string(FIELD(k, cfg, char *), value);
}

/* LDAPURI: blank-separated ldap:// and ldaps:// URIs, kept as written
 * (directory.c parses each). */
static int set_uris(const cfg_key *k, const char *value, milter_config *cfg,
		    smime_buf *why)
{
	const char *p = value;

	while (*p != '\0') {
		size_t n = strcspn(p, " \t");

		if (!(n > 7 && strncasecmp(p, "ldap://", 7) == 0) &&
		    !(n > 8 && strncasecmp(p, "ldaps://", 8) == 0))
			return expected(why,
					"blank-separated ldap:// or ldaps:// "
					"URIs",
					value);
		p += n;
		p += strspn(p, " \t");
	}
	return set_text(k, value, cfg, why);
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
static int set_authserv(const cfg_key *k, const char *value, milter_config *cfg,
			smime_buf *why)
{
	char host[HOST_NAME_MAX + 1];
	const char *p;

	if (strcmp(value, "HOSTNAME") == 0) {
		if (gethostname(host, sizeof host) != 0)
			return smime_buf_printf(why, "gethostname: %s",
						strerror(errno)) < 0
				       ? SMIME_E_NOMEM
				       : SMIME_REPORTED;
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
		return SMIME_REPORTED;
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
	static const char *const words[] = {"yes",   "true", "1", "no",
					    "false", "0",    NULL};
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
		return SMIME_E_PARSE;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return SMIME_E_PARSE;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	if (*end != '\0' || n > SIZE_MAX / mult)
		return SMIME_E_PARSE;
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

static int set_facility(const cfg_key *k, const char *value, milter_config *cfg,
			smime_buf *why)
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
			rc = expected(why,
				      "a comma-separated list without "
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
	int rc;

	if (grow(&st->v, st->n, sizeof(rules_cidr)) < 0)
		return SMIME_E_NOMEM;
	v = st->v;
	rc = rules_cidr_parse(text, &v[st->n]);
	if (rc == RULES_E_PARSE)
		return expected(st->why,
				"an IPv4 or IPv6 address, optionally with "
				"/PREFIX",
				text);
	if (rc < 0)
		return rc;
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

static int set_ciphers(const cfg_key *k, const char *value, milter_config *cfg,
		       smime_buf *why)
{
	struct list_state st = {k, why, NULL, 0, 0};
	int rc = each_item(value, why, cipher_item, &st);

	if (rc != 0)
		return rc;
	*FIELD(k, cfg, uint32_t) = st.bits;
	return 0;
}

/* One cipher of the `auto` list (DefaultCipher, SPEC section 9). */
static int set_auto_cipher(const cfg_key *k, const char *value,
			   milter_config *cfg, smime_buf *why)
{
	const smime_cipher_info *ci = smime_cipher_by_name(value);
	const smime_cipher_id *order;
	size_t n;

	order = smime_auto_order(&n);
	for (size_t i = 0; ci != NULL && i < n; i++) {
		if (order[i] == ci->id) {
			*FIELD(k, cfg, smime_cipher_id) = ci->id;
			return 0;
		}
	}
	return expected(why,
			"one of aes-256-gcm, aes-128-gcm, aes-256-cbc, "
			"aes-192-cbc, aes-128-cbc, des-ede3-cbc",
			value);
}

const cfg_type milter_cfgtype_path = {set_path, release_string, false};
const cfg_type milter_cfgtype_text = {set_text, release_string, false};
const cfg_type milter_cfgtype_uris = {set_uris, release_string, false};
const cfg_type milter_cfgtype_socket = {set_socket, release_string, false};
const cfg_type milter_cfgtype_authserv = {set_authserv, release_string, false};
const cfg_type milter_cfgtype_user = {set_user, release_string, false};
const cfg_type milter_cfgtype_choice = {set_choice, release_string, false};
const cfg_type milter_cfgtype_onerr = {set_onerr, NULL, false};
const cfg_type milter_cfgtype_bool = {set_bool, NULL, false};
const cfg_type milter_cfgtype_uint = {set_uint, NULL, false};
const cfg_type milter_cfgtype_size = {set_size, NULL, false};
const cfg_type milter_cfgtype_mode = {set_mode, NULL, false};
const cfg_type milter_cfgtype_facility = {set_facility, NULL, false};
const cfg_type milter_cfgtype_names = {set_names, release_names, true};
const cfg_type milter_cfgtype_cidrs = {set_cidrs, release_cidrs, true};
const cfg_type milter_cfgtype_ciphers = {set_ciphers, NULL, true};
const cfg_type milter_cfgtype_auto_cipher = {set_auto_cipher, NULL, false};
