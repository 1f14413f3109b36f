/*
 * callbacks.c - the libmilter callbacks of smime-milter.
 *
 * Each callback parses what libmilter hands it, delegates to msgctx.c or
 * process.c, and returns.  The decisions live in milter_process, shared
 * with smime-tool; this file only collects the message and applies the
 * edit list through smfi_* calls.
 *
 * Promises:
 * - each message takes the configuration current at its MAIL FROM (a
 *   reference held until the next one or the close), so a reload reaches
 *   the next message of an open SMTP session, and never changes or frees
 *   what a message in flight uses (issue 13, F9: revoked signing rights
 *   and removed keys kept working for the rest of a connection);
 * - every message is freed at end of message, abort or close, whatever
 *   happened before;
 * - a resource failure maps through On-InternalError and is logged with
 *   its reason; DryRun logs what would have happened and changes nothing;
 * - the edit list is applied as smime-tool applies it to a file, with
 *   one exception for the MTA (apply_edits): a field of ours that only
 *   adds a finding (Authentication-Results, X-SMIME-Encryption,
 *   X-SMIME-Tag) and that the MTA refuses is logged and left out, never a
 *   tempfail; any other refused change (a removal, a Content-* field, the
 *   new body) tempfails the message rather than let a half-edited copy
 *   pass.
 */
#include "callbacks.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>

#include <libmilter/mfapi.h>

/* ------------------------------------------------------------------ */
/* The current configuration                                            */
/* ------------------------------------------------------------------ */

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static milter_config *current_config;
static unsigned active_connections;

void milter_callbacks_set_config(milter_config *cfg)
{
	milter_config *old;

	pthread_mutex_lock(&config_lock);
	old = current_config;
	current_config = cfg;
	pthread_mutex_unlock(&config_lock);
	milter_config_unref(old);
}

milter_config *milter_callbacks_get_config(void)
{
	milter_config *cfg;

	pthread_mutex_lock(&config_lock);
	cfg = milter_config_ref(current_config);
	pthread_mutex_unlock(&config_lock);
	return cfg;
}

unsigned milter_callbacks_active(void)
{
	return __atomic_load_n(&active_connections, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Per-connection context                                               */
/* ------------------------------------------------------------------ */

/*
 * The steps inside DATA that only collect the message, each header, end
 * of header and each body chunk, get no reply (SMFIP_NR_*): each reply
 * is a round trip, and these could only ever say "continue".  libmilter
 * offers the filter every SMFIP_NR_* step whatever the MTA offered, and
 * itself answers "continue" to an MTA that did not agree to go without,
 * so every MTA sees the same answers.  The one thing these steps could
 * say otherwise, a resource failure (On-InternalError), is kept in the
 * connection and answered at end of message, the next step that replies:
 * the same verdict and reply text, and since the MTA reports the verdict
 * of a step inside DATA after the final dot anyway, the same SMTP reply.
 *
 * connect, MAIL FROM, RCPT TO and DATA keep their replies.  Postfix
 * buffers what it writes to the milter until it reads a reply, and at
 * DATA its smtpd writes what it buffered and hands the connection to
 * cleanup, which writes the headers at once: over TCP that second small
 * write waits (Nagle, on the MTA's side) for the milter to ACK the
 * first, which the kernel delays 40 ms when no reply carries the ACK.
 * Through Postfix and with milter-load that cost ~44 ms a message;
 * contrib/bench/RESULTS.md has the figures.
 */
static const unsigned long no_reply_steps =
	SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;

typedef struct conn {
	milter_config *cfg; /* taken at connect, again at each MAIL FROM */
	char *client_ip;    /* NULL for a local client */
	char *daemon_name;
	milter_msg *msg;        /* the message in progress, or NULL */
	unsigned long no_reply; /* the SMFIP_NR_* steps negotiated */
	bool failed;            /* a failure waits for end of message */
	sfsistat failure;       /* what to answer then */
	bool counted;           /* in active_connections */
} conn;

/* The answer of a step that went well: none, when the MTA agreed. */
static sfsistat step_ok(const conn *c, unsigned long step)
{
	return c != NULL && (c->no_reply & step) != 0 ? SMFIS_NOREPLY
						      : SMFIS_CONTINUE;
}

static const char *qid_of(const conn *c)
{
	return c && c->msg && c->msg->queue_id ? c->msg->queue_id : NULL;
}

/* Postfix sends the queue id at MAIL FROM or later (once the queue file
 * exists), so every stage asks until it has one. */
static void fetch_queue_id(SMFICTX *ctx, milter_msg *m)
{
	const char *qid;

	if (m == NULL || m->queue_id != NULL)
		return;
	qid = smfi_getsymval(ctx, "i");
	if (qid != NULL && qid[0] != '\0')
		(void)milter_msg_set(&m->queue_id, qid); /* optional */
}

static const char *onerr_name(milter_onerr e)
{
	return e == MILTER_ONERR_ACCEPT   ? "accept"
	       : e == MILTER_ONERR_REJECT ? "reject"
					  : "tempfail";
}

/* The reply text of an internal error's verdict, and the verdict. */
static sfsistat answer(SMFICTX *ctx, sfsistat st)
{
	if (st == SMFIS_REJECT)
		smfi_setreply(ctx, "550", "5.3.0",
			      "S/MIME gateway internal error");
	else if (st == SMFIS_TEMPFAIL)
		smfi_setreply(ctx, "451", "4.3.0",
			      "S/MIME gateway busy, try again later");
	return st;
}

/* The verdict waiting for end of message, if any (see no_reply_steps). */
static bool take_failure(conn *c, sfsistat *st)
{
	if (c == NULL || !c->failed)
		return false;
	*st = c->failure;
	c->failed = false;
	return true;
}

/* A resource failure before end of message: log why (with the system's
 * reason when there is one), drop the message and answer as
 * On-InternalError says (DryRun: accept).  It comes before the Rules
 * ran, so `accept` acts as `tempfail` when they contain `encrypt`: the
 * message might have been one to encrypt (SPEC 4).  step is the
 * SMFIP_NR_* bit of the step that failed (0 for a step that replies):
 * a step without a reply leaves the answer to end of message. */
static sfsistat internal_error_why(SMFICTX *ctx, conn *c, unsigned long step,
				   const char *what, int err, const char *why)
{
	sfsistat st;

	milter_onerr action =
		c && c->cfg ? c->cfg->on_internal_error : MILTER_ONERR_TEMPFAIL;
	bool dry = c && c->cfg && c->cfg->dry_run;

	if (action == MILTER_ONERR_ACCEPT && milter_rules_may_encrypt(c->cfg))
		action = MILTER_ONERR_TEMPFAIL;
	milter_metrics_internal_error();
	milter_log(LOG_ERR, qid_of(c), "internal error: %s: %s%s%s%s; %s%s",
		   what, smime_strerror(err), why ? " (" : "", why ? why : "",
		   why ? ")" : "", dry ? "DryRun, would " : "",
		   onerr_name(action));
	if (c != NULL) {
		milter_msg_free(c->msg);
		c->msg = NULL;
	}
	st = dry || action == MILTER_ONERR_ACCEPT ? SMFIS_ACCEPT
	     : action == MILTER_ONERR_REJECT      ? SMFIS_REJECT
						  : SMFIS_TEMPFAIL;
	if (c != NULL && (c->no_reply & step) != 0) {
		c->failed = true;
		c->failure = st;
		return SMFIS_NOREPLY;
	}
	return answer(ctx, st);
}

static sfsistat internal_error(SMFICTX *ctx, conn *c, unsigned long step,
			       const char *what, int err)
{
	return internal_error_why(ctx, c, step, what, err, NULL);
}

/* "<addr>" -> "addr" (blanks around trimmed); anything else as is. */
static int strip_brackets(const char *arg, char **out)
{
	size_t n;

	while (*arg == ' ' || *arg == '\t')
		arg++;
	n = strlen(arg);
	while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
		n--;
	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>') {
		arg++;
		n -= 2;
	}
	*out = strndup(arg, n);
	return *out ? 0 : SMIME_E_NOMEM;
}

static int address_text(const struct sockaddr *sa, char **out)
{
	char text[INET6_ADDRSTRLEN];
	const void *a;

	*out = NULL;
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return 0; /* a local socket has no address */
	if (inet_ntop(sa->sa_family, a, text, sizeof text) == NULL)
		return 0;
	*out = strdup(text);
	return *out ? 0 : SMIME_E_NOMEM;
}

/* ------------------------------------------------------------------ */
/* The callbacks                                                        */
/* ------------------------------------------------------------------ */

/* The one function in milter/ with more than six parameters: libmilter
 * fixes the xxfi_negotiate signature, and only this callback may call
 * smfi_setsymlist. */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3,
			     unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS |
				      SMFIF_CHGBODY | SMFIF_QUARANTINE;
	/* Steps we have no callback for need not be sent at all, but for
	 * DATA: Postfix sends its macros all the same, and at DATA its
	 * smtpd writes them out and hands the connection to cleanup, whose
	 * first write then waits over TCP (Nagle) for our ACK of that
	 * unanswered write, which the kernel delays 40 ms.  libmilter's
	 * "continue" to the DATA step carries the ACK at once. */
	const unsigned long skip = SMFIP_NOHELO | SMFIP_NOUNKNOWN;
	conn *c;

	(void)f2;
	(void)f3;
	*pf0 = f0 & actions;
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	/* The connection's context is made here, to hold what steps need no
	 * reply; without it every step replies. */
	c = calloc(1, sizeof *c);
	if (c != NULL && smfi_setpriv(ctx, c) != MI_SUCCESS) {
		free(c);
		c = NULL;
	}
	if (c != NULL) {
		c->no_reply = f1 & no_reply_steps;
		*pf1 |= c->no_reply;
	}
	if (f0 & SMFIF_SETSYMLIST) {
		/* Ask for just the macros we read, at the stages we read
		 * them; the queue id at every stage, since when Postfix
		 * knows it depends on its settings.  For a stage named
		 * nothing (HELO, DATA) Postfix sends its default list,
		 * milter_helo_macros and milter_data_macros: a filter
		 * cannot turn those off. */
		*pf0 |= SMFIF_SETSYMLIST;
		smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM,
				"i {auth_authen} {daemon_name}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
		smfi_setsymlist(ctx, SMFIM_EOH, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static void conn_free(conn *c)
{
	if (c == NULL)
		return;
	milter_msg_free(c->msg);
	milter_config_unref(c->cfg);
	free(c->client_ip);
	free(c->daemon_name);
	free(c);
}

/* The context was made at negotiation; after SMFIC_QUIT_NC (a new SMTP
 * session on the same milter connection, no new negotiation) it is made
 * here and replies to every step, which libmilter turns into no reply
 * where one was negotiated, logging that it did. */
static sfsistat cb_connect(SMFICTX *ctx, char *hostname,
			   struct sockaddr *hostaddr)
{
	conn *c = smfi_getpriv(ctx);
	const char *dn;
	int rc;

	(void)hostname;
	if (c == NULL) {
		c = calloc(1, sizeof *c);
		if (c == NULL)
			return internal_error(ctx, NULL, 0, "connect",
					      SMIME_E_NOMEM);
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			return internal_error(ctx, NULL, 0, "connect",
					      SMIME_E_ARG);
		}
	}
	c->cfg = milter_callbacks_get_config();
	rc = address_text(hostaddr, &c->client_ip);
	dn = smfi_getsymval(ctx, "{daemon_name}");
	if (rc == 0 && dn != NULL)
		rc = milter_msg_set(&c->daemon_name, dn);
	if (c->cfg == NULL || rc < 0) {
		sfsistat st = internal_error(ctx, c, 0, "connect",
					     rc < 0 ? rc : SMIME_E_ARG);

		smfi_setpriv(ctx, NULL);
		conn_free(c);
		return st;
	}
	c->counted = true;
	__atomic_add_fetch(&active_connections, 1, __ATOMIC_RELAXED);
	return SMFIS_CONTINUE;
}

/* A new message takes the configuration current now: what a reload
 * installed since the last message applies to this one. */
static int take_config(conn *c)
{
	milter_config *cfg = milter_callbacks_get_config();

	if (cfg == NULL)
		return SMIME_E_ARG;
	milter_config_unref(c->cfg);
	c->cfg = cfg;
	return SMIME_OK;
}

/* The connection facts and macros a new message starts with. */
static int msg_start(SMFICTX *ctx, conn *c, const char *from_arg)
{
	const char *v;
	milter_msg *m;
	int rc;

	milter_msg_free(c->msg);
	c->msg = NULL;
	rc = take_config(c);
	if (rc < 0)
		return rc;
	rc = milter_msg_new(c->cfg, &m);
	if (rc < 0)
		return rc;
	c->msg = m;
	if (c->daemon_name == NULL &&
	    (v = smfi_getsymval(ctx, "{daemon_name}")) != NULL)
		rc = milter_msg_set(&c->daemon_name, v);
	if (rc == 0)
		rc = milter_msg_set(&m->client_ip, c->client_ip);
	if (rc == 0)
		rc = milter_msg_set(&m->daemon_name, c->daemon_name);
	v = smfi_getsymval(ctx, "{auth_authen}");
	if (rc == 0 && v != NULL && v[0] != '\0')
		rc = milter_msg_set(&m->auth_user, v);
	if (rc == 0)
		rc = strip_brackets(from_arg ? from_arg : "", &m->env_from);
	fetch_queue_id(ctx, m);
	return rc;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	conn *c = smfi_getpriv(ctx);
	int rc;

	if (c == NULL)
		return internal_error(ctx, NULL, 0, "MAIL FROM", SMIME_E_ARG);
	/* A message that never reached its end took its failure with it. */
	c->failed = false;
	rc = msg_start(ctx, c, argv ? argv[0] : NULL);
	if (rc < 0)
		return internal_error(ctx, c, 0, "MAIL FROM", rc);
	return SMFIS_CONTINUE;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	conn *c = smfi_getpriv(ctx);
	char *rcpt = NULL;
	int rc;

	if (c == NULL || c->msg == NULL)
		return internal_error(ctx, c, 0, "RCPT TO", SMIME_E_ARG);
	fetch_queue_id(ctx, c->msg);
	rc = strip_brackets(argv && argv[0] ? argv[0] : "", &rcpt);
	if (rc == 0)
		rc = milter_msg_add_rcpt(c->msg, rcpt);
	free(rcpt);
	if (rc < 0)
		return internal_error(ctx, c, 0, "RCPT TO", rc);
	return SMFIS_CONTINUE;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	conn *c = smfi_getpriv(ctx);
	int rc;

	if (c != NULL && c->failed)
		return step_ok(c, SMFIP_NR_HDR);
	if (c == NULL || c->msg == NULL || name == NULL)
		return internal_error(ctx, c, SMFIP_NR_HDR, "header",
				      SMIME_E_ARG);
	fetch_queue_id(ctx, c->msg);
	if (value == NULL)
		value = "";
	rc = smime_headers_add(&c->msg->headers, name, strlen(name), value,
			       strlen(value));
	if (rc < 0)
		return internal_error(ctx, c, SMFIP_NR_HDR, "header", rc);
	return step_ok(c, SMFIP_NR_HDR);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->failed)
		return step_ok(c, SMFIP_NR_EOH);
	if (c == NULL || c->msg == NULL)
		return internal_error(ctx, c, SMFIP_NR_EOH, "end of header",
				      SMIME_E_ARG);
	fetch_queue_id(ctx, c->msg);
	return step_ok(c, SMFIP_NR_EOH);
}

/* The body store failed: when a file operation did, say which directory
 * and how ("No space left on device" is what the operator must see). */
static sfsistat body_error(SMFICTX *ctx, conn *c, int rc)
{
	char why[PATH_MAX + 160], ebuf[128];
	int e = smime_body_errno(c->msg->body);

	if (e == 0)
		return internal_error(ctx, c, SMFIP_NR_BODY, "body", rc);
	snprintf(why, sizeof why, "spill file in TempDirectory %s: %s",
		 c->cfg->temp_directory, strerror_r(e, ebuf, sizeof ebuf));
	return internal_error_why(ctx, c, SMFIP_NR_BODY, "body", rc, why);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	conn *c = smfi_getpriv(ctx);
	int rc;

	if (c != NULL && c->failed)
		return step_ok(c, SMFIP_NR_BODY);
	if (c == NULL || c->msg == NULL)
		return internal_error(ctx, c, SMFIP_NR_BODY, "body",
				      SMIME_E_ARG);
	rc = smime_body_append(c->msg->body, chunk, len);
	if (rc < 0)
		return body_error(ctx, c, rc);
	return step_ok(c, SMFIP_NR_BODY);
}

/* ---- applying the edit list ---- */

/* smfi_setreply refuses CR and LF and reads '%' as a format character;
 * a reply text from the rules file must survive both. */
static char *reply_text(const char *text)
{
	smime_buf b = SMIME_BUF_INIT;
	char *out = NULL;
	int rc = 0;

	for (; *text != '\0' && rc == 0; text++) {
		if (*text == '%')
			rc = smime_buf_puts(&b, "%%");
		else
			rc = smime_buf_putc(
				&b, (unsigned char)*text < ' ' ? ' ' : *text);
	}
	if (rc == 0)
		smime_buf_steal(&b, &out);
	smime_buf_free(&b);
	return out;
}

static void set_reply(SMFICTX *ctx, const smime_edits *e, const char *code,
		      const char *xcode, const char *text)
{
	char *t = reply_text(e->reply_text ? e->reply_text : text);

	smfi_setreply(ctx, e->reply_code ? e->reply_code : (char *)code,
		      e->reply_xcode ? e->reply_xcode : (char *)xcode,
		      t ? t : (char *)text);
	free(t);
}

static int apply_header_edit(SMFICTX *ctx, const smime_edit *e)
{
	/* INSERT past the end means the bottom (as in apply_file.c); the
	 * edits say so with (unsigned)-1, which libmilter's int index
	 * cannot carry. */
	if (e->op == SMIME_EDIT_INSERT && e->index > INT_MAX)
		return smfi_addheader(ctx, e->name, e->value);
	if (e->index > INT_MAX)
		return MI_FAILURE;
	switch (e->op) {
	case SMIME_EDIT_INSERT:
		return smfi_insheader(ctx, (int)e->index, e->name, e->value);
	case SMIME_EDIT_DELETE:
		return smfi_chgheader(ctx, e->name, (int)e->index, NULL);
	case SMIME_EDIT_CHANGE:
		return smfi_chgheader(ctx, e->name, (int)e->index, e->value);
	}
	return MI_FAILURE;
}

static int apply_body(SMFICTX *ctx, const smime_buf *body)
{
	const size_t chunk = 65536;
	size_t off, n;

	for (off = 0; off < body->len; off += n) {
		n = body->len - off < chunk ? body->len - off : chunk;
		if (smfi_replacebody(ctx, body->data + off, (int)n) !=
		    MI_SUCCESS)
			return MI_FAILURE;
	}
	return MI_SUCCESS;
}

static sfsistat apply_verdict(SMFICTX *ctx, const smime_edits *e)
{
	switch (e->verdict) {
	case SMIME_VERDICT_REJECT:
		set_reply(ctx, e, "550", "5.7.1",
			  "Message refused by S/MIME policy");
		return SMFIS_REJECT;
	case SMIME_VERDICT_TEMPFAIL:
		set_reply(ctx, e, "451", "4.7.1",
			  "Message deferred by S/MIME policy");
		return SMFIS_TEMPFAIL;
	case SMIME_VERDICT_DISCARD:
		return SMFIS_DISCARD;
	case SMIME_VERDICT_QUARANTINE:
		if (smfi_quarantine(ctx, e->quarantine_reason
						 ? e->quarantine_reason
						 : "S/MIME policy") !=
		    MI_SUCCESS)
			return SMFIS_TEMPFAIL;
		return SMFIS_CONTINUE;
	case SMIME_VERDICT_ACCEPT:
		break;
	}
	return SMFIS_CONTINUE;
}

static const char *verdict_name(smime_verdict v)
{
	static const char *const names[] = {"accept", "reject", "tempfail",
					    "discard", "quarantine"};

	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

/*
 * Whether a refused edit may be left out: the insertion of a field that
 * only adds one of our findings to the message.  Its size is bounded
 * (the A-R field to 24 KB, all of ours to under 32 KB, SPEC section 4),
 * so that libmilter, Postfix and Sendmail take it; should the MTA refuse
 * it even so (an action it did not grant, a field it will not carry), the
 * message is the input's finding, not a failure, and must not be
 * tempfailed on every retry while smime-tool accepts it (issue 12, F5).
 * It then goes without that field: no verdict of ours rather than a
 * false one.
 */
static bool may_leave_out(const smime_edit *e)
{
	return e->op == SMIME_EDIT_INSERT &&
	       (strcasecmp(e->name, "Authentication-Results") == 0 ||
		strcasecmp(e->name, "X-SMIME-Encryption") == 0 ||
		strcasecmp(e->name, "X-SMIME-Tag") == 0);
}

static sfsistat apply_edits(SMFICTX *ctx, conn *c, const smime_edits *e)
{
	const char *qid = qid_of(c);
	size_t i;

	if (c->cfg->dry_run) {
		/* milter_process already dropped the policy's edits; what
		 * can be left is an On-InternalError verdict, and DryRun
		 * never touches mail flow either. */
		if (e->n > 0 || e->replace_body ||
		    e->verdict != SMIME_VERDICT_ACCEPT)
			milter_log(LOG_INFO, qid,
				   "DryRun: not applied: %zu header edits, %s "
				   "body, verdict %s",
				   e->n, e->replace_body ? "new" : "same",
				   verdict_name(e->verdict));
		return SMFIS_CONTINUE;
	}
	for (i = 0; i < e->n; i++) {
		if (apply_header_edit(ctx, &e->v[i]) == MI_SUCCESS)
			continue;
		if (!may_leave_out(&e->v[i]))
			goto failed;
		milter_log(
			LOG_WARNING, qid,
			"the MTA refused our %s field (%zu bytes; edit %zu of "
			"%zu); the message goes on without it",
			e->v[i].name, e->v[i].value ? strlen(e->v[i].value) : 0,
			i + 1, e->n);
	}
	if (e->replace_body && apply_body(ctx, &e->body) != MI_SUCCESS)
		goto failed;
	return apply_verdict(ctx, e);
failed:
	/* A removal (a forged finding stays otherwise), a Content-* field or
	 * the new body: the copy would be half-edited, with a forged verdict
	 * or a body its header does not describe, and the MTA may hold part
	 * of a new body.  Never let it through, whatever On-InternalError
	 * says; only a retry gives a whole copy.  These edits are small and
	 * fixed, so the input cannot cause this: a refusal here comes from
	 * the MTA or the connection. */
	milter_log(LOG_ERR, qid,
		   "the MTA refused a change (edit %zu of %zu%s); tempfail", i,
		   e->n, i == e->n ? ", new body" : "");
	smfi_setreply(ctx, "451", "4.3.0",
		      "S/MIME gateway busy, try again later");
	return SMFIS_TEMPFAIL;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);
	smime_edits edits = {0};
	smime_buf logline = SMIME_BUF_INIT;
	sfsistat st;
	int rc;

	if (take_failure(c, &st))
		return answer(ctx, st);
	if (c == NULL || c->msg == NULL)
		return internal_error(ctx, c, 0, "end of message", SMIME_E_ARG);
	fetch_queue_id(ctx, c->msg);
	rc = milter_process(c->cfg, c->msg, &edits, &logline);
	if (logline.len > 0)
		milter_log_line(LOG_INFO, (const char *)logline.data);
	if (rc < 0)
		milter_metrics_internal_error();
	if (rc < 0)
		/* milter_process already turned the edits into the verdict
		 * On-InternalError asks for; say why here. */
		milter_log(LOG_ERR, qid_of(c),
			   "internal error: %s; On-InternalError=%s%s",
			   smime_strerror(rc),
			   onerr_name(c->cfg->on_internal_error),
			   edits.verdict == SMIME_VERDICT_TEMPFAIL &&
					   c->cfg->on_internal_error ==
						   MILTER_ONERR_ACCEPT
				   ? ", tempfail: encryption was asked for"
				   : "");
	st = apply_edits(ctx, c, &edits);
	smime_edits_free(&edits);
	smime_buf_free(&logline);
	milter_msg_free(c->msg);
	c->msg = NULL;
	return st;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		milter_msg_free(c->msg);
		c->msg = NULL;
		c->failed = false;
	}
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		smfi_setpriv(ctx, NULL);
		if (c->counted)
			__atomic_sub_fetch(&active_connections, 1,
					   __ATOMIC_RELAXED);
		conn_free(c);
	}
	return SMFIS_CONTINUE;
}

int milter_callbacks_register(void)
{
	struct smfiDesc desc = {
		.xxfi_name = "smime-milter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
			      SMFIF_QUARANTINE,
		.xxfi_connect = cb_connect,
		.xxfi_envfrom = cb_envfrom,
		.xxfi_envrcpt = cb_envrcpt,
		.xxfi_header = cb_header,
		.xxfi_eoh = cb_eoh,
		.xxfi_body = cb_body,
		.xxfi_eom = cb_eom,
		.xxfi_abort = cb_abort,
		.xxfi_close = cb_close,
		.xxfi_negotiate = cb_negotiate,
	};

	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
