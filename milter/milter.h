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

	/* derived once at load time */
	smime_analyze_opts analyze;
	rules_set *rules; /* the Rules file, NULL when none */
	smime_trust *trust; /* TrustAnchorFile + CRLFile; never NULL once
			     * loaded (empty without TrustAnchorFile) */
	/* re-encryption (config_keys.c); each NULL when not configured */
	smime_keystore *keystore;
	smime_certdir *certdir;
	struct milter_loginmap *login_map;
} milter_config;

#define MILTER_DEFAULT_CONFIG "/etc/smime-milter/smime-milter.conf"

/*
 * Loads and checks a configuration file.  Every problem is appended to
 * diags as one "FILE:LINE: message\n" line (FILE: message for problems
 * without a line).  Returns 0 and a config with one reference, or -1
 * when the file is unusable (diags says why).
 */
int milter_config_load(const char *file, milter_config **out, smime_buf *diags);
/* A configuration with every default, as if the file were empty. */
int milter_config_defaults(milter_config **out);
/* The deeper checks of -n, after a load that parsed every file (the
 * loaders' diagnostics report what does not parse): the files exist, key
 * files are safe (not readable by group or others), and everything is
 * readable by UserID.  Appends problems to diags; returns the number of
 * problems. */
int milter_config_check(const milter_config *cfg, smime_buf *diags);
/* Loads cfg->trust (and points cfg->analyze.trust at it).  0 or -1 with
 * "PATH: message" lines in diags. */
int milter_config_load_trust(milter_config *cfg, smime_buf *diags);
/* Loads cfg->rules from cfg->rules_file (nothing when unset); rules
 * errors go to diags as FILE:LINE:COLUMN: message.  0 or -1. */
int milter_config_load_rules(milter_config *cfg, smime_buf *diags);
/* Loads KeyStore, CertDirectory and SenderLoginMap (config_keys.c).  0
 * or -1 with "FILE: message" lines. */
int milter_config_load_keys(milter_config *cfg, smime_buf *diags);
milter_config *milter_config_ref(milter_config *cfg);
void milter_config_unref(milter_config *cfg);

/* Parses a size with K and M suffixes (1024-based).  0 or -1. */
int milter_parse_size(const char *text, size_t *out);

/* ------------------------------------------------------------------ */
/* SenderLoginMap (loginmap.c)                                          */
/* ------------------------------------------------------------------ */

typedef struct milter_loginmap milter_loginmap;
/* Reads `LOGIN ADDRESS-GLOB...` lines; 0 or -1 with FILE:LINE: lines. */
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
	struct timespec started; /* CLOCK_MONOTONIC at end of message, for ms= */
	time_t now;              /* wall clock for validity checks (--at) */
} milter_msg;

int milter_msg_new(const milter_config *cfg, milter_msg **out);
int milter_msg_set(char **field, const char *value);
int milter_msg_add_rcpt(milter_msg *m, const char *rcpt);
void milter_msg_free(milter_msg *m);

/* SPEC section 4: authenticated, or client in InternalHosts, or daemon
 * name in OutboundDaemonNames. */
bool milter_is_outbound(const milter_config *cfg, const milter_msg *m);

/* ------------------------------------------------------------------ */
/* The per-message log line (SPEC section 7)                           */
/* ------------------------------------------------------------------ */

/* Fields in SPEC order; NULL fields (and ms < 0) are left out. */
typedef struct milter_logline {
	const char *queue_id;
	const char *dir;
	const char *from;   /* address, written as from=<...> */
	const char *kind;
	const char *cipher;
	const char *strength;
	const char *action;        /* the first encrypted entity's finding */
	const char *action_reason; /* its reason (kept) */
	const char *new_cipher;
	const char *sign;        /* "signed" or "kept" when sign was asked */
	const char *sign_reason; /* why kept; dkim-signature-broken */
	const char *signer;
	const char *result;
	const char *reason;     /* the result's reason, nothing else's */
	unsigned long entities; /* encrypted entities; logged when > 1 */
	unsigned long signatures; /* all layers; logged when > 1 */
	const char *mailer;
	const char *note;   /* free text after the SPEC keys, e.g. that a
			     * signature verified only over bare-LF content */
	long ms;
	/* Not in the SPEC line: the debug counters (SMIME_DEBUG_COUNTERS). */
	smime_open_stats debug;
} milter_logline;

/* "QUEUEID: dir=... from=<...> ..." with values quoted where they hold
 * blanks, quotes or control characters (which are escaped). */
int milter_logline_format(const milter_logline *l, smime_buf *out);

/* ------------------------------------------------------------------ */
/* The one processing path                                              */
/* ------------------------------------------------------------------ */

/*
 * Decides what happens to one message: analyse, (rules), build the edit
 * list, and write the log line (without trailing newline) to logline.
 * The milter applies the edits through libmilter; smime-tool through
 * milter_apply_file.  A resource failure returns its negative error
 * after it set the verdict On-InternalError asks for (and dropped every
 * edit), so callers only log the error and apply the edits.
 */
int milter_process(const milter_config *cfg, milter_msg *m, smime_edits *edits,
		   smime_buf *logline);

/*
 * Applies the Rules to one message: removes incoming X-SMIME-Tag and
 * X-SMIME-Encryption fields, adds one X-SMIME-Tag per distinct label and
 * sets the verdict of a terminal action.  *action is the log's action word
 * ("tagged", "rejected", ...) or NULL; *reencrypt the rules' reencrypt
 * action or NULL.  Negative on resource failure.
 */
int milter_policy_apply(const milter_config *cfg, const milter_msg *m,
			bool outbound, const smime_facts *facts,
			const unsigned char *body, size_t bodylen,
			smime_edits *edits, const char **action,
			const rules_action **reencrypt,
			const rules_action **sign);

/*
 * The encryption findings and `reencrypt` (encryption.c): one
 * X-SMIME-Encryption header per encrypted entity, and for reencrypt (the
 * rules result's action, NULL when none) the re-encrypted top-level
 * entity: new body and Content-* fields.  Sets the log's action,
 * action_reason and new_cipher.  Call after milter_policy_apply
 * and before the A-R stamp.  Negative only on resource failure.
 */
int milter_encryption_apply(const milter_config *cfg, const milter_msg *m,
			    bool outbound, const smime_facts *facts,
			    const unsigned char *body, size_t bodylen,
			    bool too_large, const rules_action *reencrypt,
			    smime_edits *edits, milter_logline *l,
			    smime_facts *inner);

/* The name of a layer's content cipher in our fields and the log: the
 * SPEC 6 name, else its OID (up to 64 characters), else "unknown". */
const char *milter_cipher_label(const smime_layer *l);

/*
 * The `sign` action (signing.c; sign is the rules result's, NULL when
 * none): signs outbound mail for a From address the login may use
 * (SenderLoginMap / SignUnauthenticated, SPEC section 8) with its
 * KeyStore key, or leaves the message unchanged and sets the log's
 * sign=kept and sign_reason.  Sets sign=signed (sign_reason
 * dkim-signature-broken when it signed over a DKIM-Signature).  Call
 * after milter_encryption_apply.  Negative only on resource failure.
 */
int milter_signing_apply(const milter_config *cfg, const milter_msg *m,
			 bool outbound, const smime_facts *facts,
			 const unsigned char *body, size_t bodylen,
			 bool too_large, const rules_action *sign,
			 smime_edits *edits, milter_logline *l);

/*
 * Removes forged Authentication-Results (our authserv-id with an smime
 * result) and adds ours at the top, one resinfo per verified SignerInfo;
 * sets the log's signer, result and reason from the outermost one, and
 * signatures to the count of every layer's, inner ones included.  The
 * log fields point into facts.  too_large: the message was not analysed.
 * inner: the signatures found in content the gateway decrypted; they are
 * logged (note=), and stamped after the outer ones only with
 * StampInnerSignatures.  note holds the text l->note may point to.
 */
int milter_authres_stamp(const milter_config *cfg, const milter_msg *m,
			 const smime_facts *facts, const smime_facts *inner,
			 bool too_large, smime_edits *edits, milter_logline *l,
			 smime_buf *note);

/* A resource failure (out of memory, disk full): drops every edit, so no
 * half-done change survives, and sets the verdict On-InternalError asks
 * for, with its SMTP reply. */
void milter_internal_error(const milter_config *cfg, smime_edits *edits);

/*
 * Writes the message msg (len bytes, body starting at body_off) to fd with
 * the edits applied: untouched header fields and the body keep their
 * exact bytes; inserted fields use the message's own line ends.
 */
int milter_apply_file(const unsigned char *msg, size_t len, size_t body_off,
		      const smime_edits *edits, int fd);

#endif /* MILTER_H */
