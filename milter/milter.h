/*
 * milter.h - what milter/ shares between the smime-milter daemon and
 * smime-tool: the configuration, logging, the per-message context and the
 * one processing path both programs run.  No libmilter in here; only
 * callbacks.c and main.c talk to libmilter.
 */
#ifndef MILTER_H
#define MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rules.h"
#include "smime.h"

/* ------------------------------------------------------------------ */
/* Configuration (SPEC section 4)                                      */
/* ------------------------------------------------------------------ */

typedef enum {
	MILTER_ONERR_ACCEPT = 0,
	MILTER_ONERR_TEMPFAIL,
	MILTER_ONERR_REJECT
} milter_onerr;

/*
 * The loaded configuration.  Immutable once loaded: a reload builds a new
 * one and swaps the pointer; each message pins the one current at its MAIL
 * FROM through the reference count.
 */
typedef struct milter_config {
	int refs; /* atomic; see milter_config_ref/unref */
	char *file;

	char *socket;
	char *authserv_id; /* resolved: HOSTNAME -> gethostname() */
	char *trust_anchor_file;
	char *crl_file;
	char *key_store;
	char *cert_directory;
	char *rules_file;
	rules_cidr *internal_hosts;
	size_t ninternal_hosts;
	char **outbound_daemon_names;
	size_t noutbound_daemon_names;
	uint32_t weak_ciphers; /* SMIME_CIPHER_BIT set */
	milter_onerr on_internal_error;
	char *user_id;
	char *pid_file;
	unsigned socket_mode;
	int syslog_facility; /* LOG_MAIL etc */
	bool dry_run;
	char **weak_digests;
	size_t nweak_digests;
	unsigned min_rsa_bits;
	bool stamp_inner_signatures;
	char *sender_login_map;
	bool sign_unauthenticated;
	char *sign_digest;
	char *sign_rsa_padding;
	size_t body_memory_limit;
	char *temp_directory;
	size_t max_crypto_size;
	unsigned max_nesting;
	unsigned max_recipient_infos;
	unsigned max_certificates;
	unsigned max_key_operations; /* unwraps per message (SPEC 8) */
	bool reencrypt_outbound;
	unsigned max_signatures;
	bool harvest_certificates;
	char *harvest_directory;
	unsigned harvest_max;
	smime_cipher_id default_cipher; /* one of the `auto` list */
	bool encrypt_to_sender; /* `encrypt` wraps for the From mailbox too */
	/* the directory (SPEC section 9) */
	char *ldap_uri; /* blank-separated URIs, NULL: no directory */
	bool ldap_starttls;
	char *ldap_ca_file;
	char *ldap_base;
	char *ldap_filter;
	char *ldap_bind_dn;
	char *ldap_bind_password_file;
	unsigned ldap_timeout;
	unsigned ldap_cache_ttl;
	unsigned ldap_negative_cache_ttl;
	char *ldap_harvest_base;
	bool harvest_to_ldap; /* harvest under LDAPHarvestBase, not files */
	/* observability (SPEC section 10) */
	char *metrics_file; /* NULL: no MetricsFile */
	unsigned metrics_interval;

	/* derived once at load time */
	smime_analyze_opts analyze;
	bool debug_counters; /* SMIME_DEBUG_COUNTERS=1 (process.c) */
	rules_set *rules;    /* the Rules file, NULL when none */
	smime_trust *trust;  /* TrustAnchorFile + CRLFile; never NULL once
			     * loaded (empty without TrustAnchorFile) */
	/* re-encryption (config_keys.c); each NULL when not configured */
	smime_keystore *keystore;
	smime_certdir *certdir;
	struct milter_loginmap *login_map;
	struct milter_directory *directory; /* NULL without LDAPURI */
} milter_config;

#define MILTER_DEFAULT_CONFIG "/etc/smime-milter/smime-milter.conf"

/*
 * The loaders below follow smime.h's one error space: 0 on success;
 * SMIME_REPORTED (positive) when the input is unusable and diags says
 * why; SMIME_E_NOMEM when memory ran out, with a "FILE: ...out of
 * memory" line in diags where one could still be written.  Out of memory
 * is never reported as a bad value, nor a bad value as an error code.
 */

/*
 * Loads and checks a configuration file.  Every problem is appended to
 * diags as one "FILE:LINE: message\n" line (FILE: message for problems
 * without a line).  Returns 0 and a config with one reference,
 * SMIME_REPORTED or SMIME_E_NOMEM (see above).
 */
int milter_config_load(const char *file, milter_config **out, smime_buf *diags);
/* A configuration with every default, as if the file were empty.  0,
 * SMIME_E_NOMEM, or SMIME_E_ARG for a default the table cannot hold. */
int milter_config_defaults(milter_config **out);
/* The deeper checks of -n, after a load that parsed every file (the
 * loaders' diagnostics report what does not parse): the files exist, key
 * files are safe (not readable by group or others), and everything is
 * readable by UserID.  Appends problems to diags; returns the number of
 * problems. */
int milter_config_check(const milter_config *cfg, smime_buf *diags);
/* Loads cfg->trust (and points cfg->analyze.trust at it), with
 * "PATH: message" lines in diags. */
int milter_config_load_trust(milter_config *cfg, smime_buf *diags);
/* Loads cfg->rules from cfg->rules_file (nothing when unset); rules
 * errors go to diags as FILE:LINE:COLUMN: message. */
int milter_config_load_rules(milter_config *cfg, smime_buf *diags);
/* Loads KeyStore, CertDirectory and SenderLoginMap (config_keys.c),
 * with "FILE: message" lines in diags. */
int milter_config_load_keys(milter_config *cfg, smime_buf *diags);
/* What a loader returns once it wrote to diags why it failed with rc
 * (non-zero): SMIME_E_NOMEM stays itself, anything else is
 * SMIME_REPORTED. */
int milter_cfg_reported(int rc);
milter_config *milter_config_ref(milter_config *cfg);
void milter_config_unref(milter_config *cfg);

/* Parses a size with K and M suffixes (1024-based).  0 or
 * SMIME_E_PARSE. */
int milter_parse_size(const char *text, size_t *out);

/* ------------------------------------------------------------------ */
/* SenderLoginMap (loginmap.c)                                          */
/* ------------------------------------------------------------------ */

typedef struct milter_loginmap milter_loginmap;
/* Reads `LOGIN ADDRESS-GLOB...` lines; 0, or SMIME_REPORTED with
 * FILE:LINE: lines, or SMIME_E_NOMEM (as the config loaders above). */
int milter_loginmap_load(const char *file, milter_loginmap **out,
			 smime_buf *diags);
void milter_loginmap_free(milter_loginmap *map);
/* Whether an authenticated login may use addr: a glob of one of its lines
 * matches, or, without a map (NULL), addr equals the login. */
bool milter_login_may_use(const milter_loginmap *map, const char *login,
			  const char *addr);
/* Whether the login is addr, or a line of the login names addr without a
 * wildcard (SPEC section 8, outbound re-encryption).  Case-insensitive. */
bool milter_login_is_exactly(const milter_loginmap *map, const char *login,
			     const char *addr);

/* ------------------------------------------------------------------ */
/* Logging                                                              */
/* ------------------------------------------------------------------ */

/* Opens syslog with the facility, or logs to stderr when to_stderr. */
void milter_log_open(int facility, bool to_stderr);
/* Every line carries the queue id ("NOQUEUE" when qid is NULL). */
void milter_log(int prio, const char *qid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Logs a line that already names its message (the per-message log line
 * of milter_logline_format, which starts with the queue id). */
void milter_log_line(int prio, const char *line);

/* ------------------------------------------------------------------ */
/* One message                                                          */
/* ------------------------------------------------------------------ */

typedef struct milter_msg {
	char *queue_id;
	char *client_ip;   /* textual address; NULL for a local socket */
	char *auth_user;   /* {auth_authen}, NULL when not authenticated */
	char *daemon_name; /* {daemon_name} */
	char *env_from;    /* MAIL FROM address, brackets removed */
	char **rcpts;      /* RCPT TO addresses the MTA accepted */
	size_t nrcpts;
	smime_headers headers;
	smime_body *body;
	struct timespec
		started; /* CLOCK_MONOTONIC at end of message, for ms= */
	time_t now;      /* wall clock for validity checks (--at) */
} milter_msg;

int milter_msg_new(const milter_config *cfg, milter_msg **out);
int milter_msg_set(char **field, const char *value);
int milter_msg_add_rcpt(milter_msg *m, const char *rcpt);
void milter_msg_free(milter_msg *m);

/* The one mailbox of the one From field (SPEC 8: whom the gateway may
 * sign for, or wrap a sender's copy to); *out NULL when there is no From,
 * more than one, or a From with other than one mailbox.  Negative only
 * on resource errors. */
int milter_single_from(const smime_headers *h, char **out);

/* SPEC section 4: authenticated, or client in InternalHosts, or daemon
 * name in OutboundDaemonNames. */
bool milter_is_outbound(const milter_config *cfg, const milter_msg *m);

/* ------------------------------------------------------------------ */
/* The per-message log line (SPEC section 7)                           */
/* ------------------------------------------------------------------ */

/*
 * The words of the log's action= and sign= (and of X-SMIME-Encryption's
 * action=), one name table (logline.c).  MILTER_ACT_UNSET is no word:
 * the field is left out.
 */
typedef enum {
	MILTER_ACT_UNSET = 0,
	MILTER_ACT_NONE,        /* "none" */
	MILTER_ACT_TAGGED,      /* "tagged" */
	MILTER_ACT_REJECTED,    /* "rejected" */
	MILTER_ACT_TEMPFAILED,  /* "tempfailed" */
	MILTER_ACT_QUARANTINED, /* "quarantined" */
	MILTER_ACT_DISCARDED,   /* "discarded" */
	MILTER_ACT_KEPT,        /* "kept" */
	MILTER_ACT_REENCRYPTED, /* "reencrypted" */
	MILTER_ACT_SIGNED,      /* "signed" */
	MILTER_ACT_ENCRYPTED    /* "encrypted": `encrypt` wrapped it */
} milter_act;

/* The word for a; NULL for MILTER_ACT_UNSET or a value out of range. */
const char *milter_act_name(milter_act a);

/* Fields in SPEC order; NULL fields, unset words (and ms < 0) are left
 * out. */
typedef struct milter_logline {
	const char *queue_id;
	const char *dir;
	const char *from; /* address, written as from=<...> */
	const char *kind;
	const char *cipher;
	const char *strength;
	milter_act action;         /* the first encrypted entity's finding */
	const char *action_reason; /* its reason (kept) */
	const char *new_cipher;
	milter_act sign;         /* signed or kept when sign was asked */
	const char *sign_reason; /* why kept; dkim-signature-broken */
	const char *signer;
	const char *result;
	const char *reason;       /* the result's reason, nothing else's */
	unsigned long entities;   /* encrypted entities; logged when > 1 */
	unsigned long signatures; /* all layers; logged when > 1 */
	const char *mailer;
	const char *note; /* free text after the SPEC keys, e.g. that a
			     * signature verified only over bare-LF content */
	long ms;
	/* Not in the SPEC line: the debug counters (SMIME_DEBUG_COUNTERS). */
	smime_open_stats debug;
} milter_logline;

/* "QUEUEID: dir=... from=<...> ..." with values quoted where they hold
 * blanks, quotes or control characters (which are escaped). */
int milter_logline_format(const milter_logline *l, smime_buf *out);
/* One value as the log line writes it: bare, or quoted and escaped when
 * it must be (smime-tool report shows what it read this way). */
int milter_logline_value(smime_buf *out, const char *value);

/* ------------------------------------------------------------------ */
/* The one processing path                                              */
/* ------------------------------------------------------------------ */

/*
 * Decides what happens to one message: analyse, (rules), build the edit
 * list, and write the log line (without trailing newline) to logline.
 * The milter applies the edits through libmilter; smime-tool through
 * milter_apply_file.  The steps are in pipeline.h.  A resource failure
 * returns its negative error after it set the verdict On-InternalError
 * asks for (and dropped every edit), so callers only log the error and
 * apply the edits.
 */
int milter_process(const milter_config *cfg, milter_msg *m, smime_edits *edits,
		   smime_buf *logline);

/* The name of a layer's content cipher in our fields and the log: the
 * SPEC 6 name, else its OID (up to 64 characters), else "unknown". */
const char *milter_cipher_label(const smime_layer *l);

/* A resource failure (out of memory, disk full): drops every edit, so no
 * half-done change survives, and sets the verdict On-InternalError asks
 * for, with its SMTP reply.  With encrypt (an `encrypt` rule matched, or
 * could have: the failure came before the Rules ran and they contain
 * one), `accept` acts as `tempfail`, so plaintext never leaves where
 * encryption was asked for (SPEC 4). */
void milter_internal_error(const milter_config *cfg, smime_edits *edits,
			   bool encrypt);
/* The Rules contain an `encrypt` action. */
bool milter_rules_may_encrypt(const milter_config *cfg);

/*
 * Writes the message msg (len bytes, body starting at body_off) to fd with
 * the edits applied: untouched header fields and the body keep their
 * exact bytes; inserted fields use the message's own line ends.
 */
int milter_apply_file(const unsigned char *msg, size_t len, size_t body_off,
		      const smime_edits *edits, int fd);

#endif /* MILTER_H */
