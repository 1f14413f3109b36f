/*
 * mload_proto.c - the MTA side of the milter protocol, version 6, as
 * Postfix 3.7 speaks it.
 *
 * Promises (mload_wire.c writes and reads the packets, buffered as
 * Postfix buffers them):
 * - OPTNEG offers what the configuration says (by default everything
 *   Postfix 3.7 offers) and the filter's answer is held to it: actions,
 *   steps or a version it was not offered are a protocol error;
 * - a step the filter asked not to get is not sent, but its macros are,
 *   as Postfix sends them (it writes the macros of an event before it
 *   checks whether the filter wants the event); a step it asked not to
 *   answer (SMFIP_NR_*) is not waited for;
 * - each stage carries the macros of the filter's symbol list for it, or
 *   Postfix's default list when the filter named none for that stage
 *   (Postfix falls back so); each header carries the end-of-header
 *   macros and each body chunk the end-of-message ones, and a macro
 *   packet goes out even when no macro of the list has a value;
 * - after each message an ABORT resets the filter, as Postfix's smtpd
 *   does at the end of every mail transaction.
 */
#include "mload.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const mload_kind_names[MLOAD_K_COUNT] = {
	"continue", "accept",   "reject",   "tempfail",
	"discard",  "reply4xx", "reply5xx", "connfail"};

/* Postfix's default macro lists (milter_*_macros), by stage. */
static const char *const default_macros[MLOAD_M_COUNT] = {
	[MLOAD_M_CONNECT] = "j {daemon_name} {daemon_addr} v _",
	[MLOAD_M_HELO] = "{tls_version} {cipher} {cipher_bits} "
			 "{cert_subject} {cert_issuer}",
	[MLOAD_M_ENVFROM] = "i {auth_type} {auth_authen} {auth_author} "
			    "{mail_addr} {mail_host} {mail_mailer}",
	[MLOAD_M_ENVRCPT] = "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
	[MLOAD_M_DATA] = "i",
	[MLOAD_M_EOM] = "i",
	[MLOAD_M_EOH] = "i",
};

/* ------------------------------------------------------------------ */
/* Negotiating                                                          */
/* ------------------------------------------------------------------ */

/* The symbol lists after the three words of the filter's OPTNEG. */
static int read_symlists(mload_conn *c, size_t len)
{
	size_t off = 12, n;
	uint32_t stage;

	while (off + 4 < len) {
		memcpy(&stage, c->in + off, 4);
		stage = ntohl(stage);
		off += 4;
		n = strnlen((const char *)c->in + off, len - off);
		if (off + n >= len || stage >= MLOAD_M_COUNT)
			return mload_fail(c, "bad symbol list in OPTNEG");
		free(c->symlist[stage]);
		c->symlist[stage] = strdup((const char *)c->in + off);
		if (c->symlist[stage] == NULL)
			return mload_fail(c, "out of memory");
		off += n + 1;
	}
	c->has_symlist = true;
	return 0;
}

static int negotiate(mload_conn *c, const mload_config *cfg)
{
	uint32_t w[3];
	size_t len;
	char cmd;

	if (mload_begin(c, MLOAD_C_OPTNEG) < 0 || mload_put_u32(c, 6) < 0 ||
	    mload_put_u32(c, (uint32_t)cfg->offer_actions) < 0 ||
	    mload_put_u32(c, (uint32_t)cfg->offer_steps) < 0 ||
	    mload_send(c) < 0)
		return -1;
	if (mload_read_packet(c, &cmd, &len) < 0)
		return -1;
	if (cmd != MLOAD_C_OPTNEG || len < 12)
		return mload_fail(c, "OPTNEG answered with '%c' (%zu bytes)",
				  cmd, len);
	memcpy(w, c->in, 12);
	c->version = ntohl(w[0]);
	c->actions = ntohl(w[1]);
	c->steps = ntohl(w[2]);
	if (c->version < 2 || c->version > 6)
		return mload_fail(c, "filter protocol version %u", c->version);
	if ((c->actions & ~cfg->offer_actions) != 0)
		return mload_fail(c, "filter wants actions 0x%lx not offered",
				  c->actions & ~cfg->offer_actions);
	if ((c->steps & ~cfg->offer_steps) != 0)
		return mload_fail(c, "filter wants steps 0x%lx not offered",
				  c->steps & ~cfg->offer_steps);
	if (len > 12 && !(c->actions & MLOAD_F_SETSYMLIST))
		return mload_fail(c, "symbol lists without SETSYMLIST");
	return len > 12 ? read_symlists(c, len) : 0;
}

/* ------------------------------------------------------------------ */
/* Macros                                                               */
/* ------------------------------------------------------------------ */

typedef struct macro_ctx {
	const mload_config *cfg;
	const char *qid;
	const char *rcpt;
	char underscore[300];
} macro_ctx;

static const char *macro_value(macro_ctx *mc, const char *name)
{
	const mload_config *cfg = mc->cfg;
	const char *authen = cfg->auth_authen;
	static const struct {
		const char *name, *value;
	} fixed[] = {{"v", "milter-load"},
		     {"{daemon_addr}", "127.0.0.1"},
		     {"{client_port}", "54321"},
		     {"{mail_mailer}", "smtp"},
		     {"{rcpt_mailer}", "smtp"}};
	size_t i;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (strcmp(name, fixed[i].name) == 0)
			return fixed[i].value;
	if (strcmp(name, "j") == 0)
		return cfg->hostname;
	if (strcmp(name, "{daemon_name}") == 0)
		return cfg->daemon_name;
	if (strcmp(name, "_") == 0) {
		snprintf(mc->underscore, sizeof mc->underscore, "%s [%s]",
			 cfg->client_name, cfg->client_addr);
		return mc->underscore;
	}
	if (strcmp(name, "{client_addr}") == 0)
		return cfg->client_addr;
	if (strcmp(name, "{client_name}") == 0 ||
	    strcmp(name, "{client_ptr}") == 0)
		return cfg->client_name;
	if (strcmp(name, "i") == 0)
		return mc->qid;
	if (strcmp(name, "{auth_type}") == 0)
		return authen ? "PLAIN" : NULL;
	if (strcmp(name, "{auth_authen}") == 0)
		return authen;
	if (strcmp(name, "{mail_addr}") == 0)
		return cfg->from;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return mc->rcpt;
	return NULL;
}

/* The macros of stage, before the command cmd; nothing when none apply. */
static int send_macros(mload_conn *c, macro_ctx *mc, int stage, char cmd)
{
	const char *list = c->symlist[stage] && c->symlist[stage][0]
				   ? c->symlist[stage]
				   : default_macros[stage];
	const char *p, *v;
	char name[128];
	size_t n;

	if (mload_begin(c, MLOAD_C_MACRO) < 0 || mload_put(c, &cmd, 1) < 0)
		return -1;
	for (p = list; *p != '\0'; p += n) {
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0 || n >= sizeof name)
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		v = macro_value(mc, name);
		if (v != NULL &&
		    (mload_put_str(c, name) < 0 || mload_put_str(c, v) < 0))
			return -1;
	}
	return mload_send(c);
}

/* ------------------------------------------------------------------ */
/* Replies                                                              */
/* ------------------------------------------------------------------ */

enum { GO_ON, FINAL, MORE };

/* A modification request: allowed only at end of message, and only when
 * the action was negotiated. */
static int edit(mload_conn *c, char cmd, char event, size_t len,
		mload_result *res)
{
	static const struct {
		char cmd;
		unsigned long action;
	} need[] = {{'h', MLOAD_F_ADDHDRS},     {'i', MLOAD_F_ADDHDRS},
		    {'m', MLOAD_F_CHGHDRS},     {'b', MLOAD_F_CHGBODY},
		    {'+', MLOAD_F_ADDRCPT},     {'-', MLOAD_F_DELRCPT},
		    {'2', MLOAD_F_ADDRCPT_PAR}, {'e', MLOAD_F_CHGFROM},
		    {'q', MLOAD_F_QUARANTINE}};
	size_t i;

	for (i = 0; i < sizeof need / sizeof need[0]; i++)
		if (need[i].cmd == cmd)
			break;
	if (i == sizeof need / sizeof need[0])
		return mload_fail(c, "unknown reply '%c' to '%c'", cmd, event);
	if (event != MLOAD_C_EOB)
		return mload_fail(c, "edit '%c' before end of message", cmd);
	if (!(c->actions & need[i].action))
		return mload_fail(c, "edit '%c' without the action negotiated",
				  cmd);
	switch (cmd) {
	case 'h':
		res->hdr_add++;
		break;
	case 'i':
		res->hdr_ins++;
		break;
	case 'm':
		res->hdr_chg++;
		break;
	case 'b':
		res->body_chunks++;
		res->body_bytes += len;
		break;
	case 'q':
		res->quarantined = true;
		break;
	default:
		res->rcpt_edits++;
	}
	return MORE;
}

/* One reply to event: GO_ON, FINAL (res->kind set), MORE, or -1. */
static int classify(mload_conn *c, char cmd, char event, size_t len,
		    mload_result *res)
{
	static const char finals[] = "arctd";
	static const mload_kind kinds[] = {MLOAD_K_ACCEPT, MLOAD_K_REJECT,
					   MLOAD_K_CONTINUE, MLOAD_K_TEMPFAIL,
					   MLOAD_K_DISCARD};
	const char *f = strchr(finals, cmd);

	if (cmd == 'c' && event != MLOAD_C_EOB)
		return GO_ON;
	if (cmd == 's' && event == MLOAD_C_BODY &&
	    (c->steps & MLOAD_P_SKIP) != 0)
		return GO_ON; /* the caller stops sending the body */
	if (cmd == 'p')
		return MORE;
	if (cmd != '\0' && f != NULL) {
		res->kind = kinds[f - finals];
		return FINAL;
	}
	if (cmd == 'y') {
		if (len < 4 || (c->in[0] != '4' && c->in[0] != '5'))
			return mload_fail(c, "bad reply code \"%.40s\"", c->in);
		res->kind = c->in[0] == '4' ? MLOAD_K_REPLY4 : MLOAD_K_REPLY5;
		return FINAL;
	}
	if (cmd == 'f' || cmd == '4') {
		res->kind = MLOAD_K_CONNFAIL;
		c->dead = true;
		return FINAL;
	}
	return edit(c, cmd, event, len, res);
}

/* Waits for the answer to event; GO_ON, FINAL or -1.  *skip is set when
 * the filter asked for no more body chunks. */
static int await(mload_conn *c, char event, mload_result *res, bool *skip)
{
	size_t len;
	char cmd;
	int rc;

	do {
		if (mload_read_packet(c, &cmd, &len) < 0)
			return -1;
		rc = classify(c, cmd, event, len, res);
	} while (rc == MORE);
	if (rc == FINAL)
		res->stage = event;
	if (skip != NULL && cmd == 's')
		*skip = true;
	return rc;
}

/* Sends the command built in c->out and, unless the filter asked not to
 * answer it (nr_bit), waits for the answer: GO_ON, FINAL or -1. */
static int finish(mload_conn *c, unsigned long nr_bit, char event,
		  mload_result *res, bool *skip)
{
	if (mload_send(c) < 0)
		return -1;
	if (nr_bit != 0 && (c->steps & nr_bit) != 0)
		return GO_ON;
	return await(c, event, res, skip);
}

/* ------------------------------------------------------------------ */
/* The session                                                          */
/* ------------------------------------------------------------------ */

static int connect_event(mload_conn *c, const mload_config *cfg,
			 mload_result *res)
{
	macro_ctx mc = {cfg, NULL, NULL, ""};
	bool v6 = strchr(cfg->client_addr, ':') != NULL;
	uint16_t port = htons(54321);
	char fam = v6 ? '6' : '4';

	if (send_macros(c, &mc, MLOAD_M_CONNECT, MLOAD_C_CONNECT) < 0)
		return -1;
	if (c->steps & MLOAD_P_NOCONNECT)
		return GO_ON;
	if (mload_begin(c, MLOAD_C_CONNECT) < 0 ||
	    mload_put_str(c, cfg->client_name) < 0 ||
	    mload_put(c, &fam, 1) < 0 || mload_put(c, &port, 2) < 0 ||
	    mload_put_str(c, cfg->client_addr) < 0)
		return -1;
	return finish(c, MLOAD_P_NR_CONN, MLOAD_C_CONNECT, res, NULL);
}

static int helo_event(mload_conn *c, const mload_config *cfg, mload_result *res)
{
	macro_ctx mc = {cfg, NULL, NULL, ""};

	if (send_macros(c, &mc, MLOAD_M_HELO, MLOAD_C_HELO) < 0)
		return -1;
	if (c->steps & MLOAD_P_NOHELO)
		return GO_ON;
	if (mload_begin(c, MLOAD_C_HELO) < 0 || mload_put_str(c, cfg->helo) < 0)
		return -1;
	return finish(c, MLOAD_P_NR_HELO, MLOAD_C_HELO, res, NULL);
}

int mload_conn_open(mload_conn *c, const mload_config *cfg)
{
	mload_result res;
	int rc;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (mload_connect(c, cfg) < 0 || negotiate(c, cfg) < 0)
		return -1;
	memset(&res, 0, sizeof res);
	rc = connect_event(c, cfg, &res);
	if (rc == GO_ON)
		rc = helo_event(c, cfg, &res);
	if (rc == FINAL)
		return mload_fail(c, "the filter answered %s to the connection",
				  mload_kind_names[res.kind]);
	return rc;
}

/* "<addr>" as one argument of MAIL or RCPT. */
static int put_path(mload_conn *c, const char *addr)
{
	char *s;
	int rc;

	if (asprintf(&s, "<%s>", addr) < 0)
		return mload_fail(c, "out of memory");
	rc = mload_put_str(c, s);
	free(s);
	return rc;
}

/* The macros of an event (sent whether or not the filter wants the
 * event, as Postfix does), then the start of the event's packet unless
 * the filter asked not to get it: 1 when the caller is to fill and
 * finish the packet, 0 when the event is skipped, -1 on error. */
static int event(mload_conn *c, macro_ctx *mc, int stage, char cmd,
		 unsigned long skip_bit)
{
	if (send_macros(c, mc, stage, cmd) < 0)
		return -1;
	if (c->steps & skip_bit)
		return 0;
	return mload_begin(c, cmd) < 0 ? -1 : 1;
}

static int envelope(mload_conn *c, macro_ctx *mc, mload_result *res)
{
	const mload_config *cfg = mc->cfg;
	size_t i;
	int rc;

	rc = event(c, mc, MLOAD_M_ENVFROM, MLOAD_C_MAIL, MLOAD_P_NOMAIL);
	if (rc > 0)
		rc = put_path(c, cfg->from) < 0
			     ? -1
			     : finish(c, MLOAD_P_NR_MAIL, MLOAD_C_MAIL, res,
				      NULL);
	if (rc != GO_ON)
		return rc;
	for (i = 0; i < cfg->nrcpts; i++) {
		mc->rcpt = cfg->rcpts[i];
		rc = event(c, mc, MLOAD_M_ENVRCPT, MLOAD_C_RCPT,
			   MLOAD_P_NORCPT);
		if (rc > 0)
			rc = put_path(c, cfg->rcpts[i]) < 0
				     ? -1
				     : finish(c, MLOAD_P_NR_RCPT, MLOAD_C_RCPT,
					      res, NULL);
		/* A rejected recipient does not end the transaction. */
		if (rc < 0 || (rc == FINAL && res->kind == MLOAD_K_ACCEPT))
			return rc;
	}
	mc->rcpt = NULL;
	rc = event(c, mc, MLOAD_M_DATA, MLOAD_C_DATA, MLOAD_P_NODATA);
	if (rc > 0)
		rc = finish(c, MLOAD_P_NR_DATA, MLOAD_C_DATA, res, NULL);
	/* Here Postfix's smtpd writes out what it buffered and hands the
	 * milter connection to cleanup. */
	return rc == GO_ON && mload_flush(c) < 0 ? -1 : rc;
}

static int headers(mload_conn *c, macro_ctx *mc, const mload_message *m,
		   mload_result *res)
{
	bool leadspc = (c->steps & MLOAD_P_HDR_LEADSPC) != 0;
	const char *v;
	size_t i;
	int rc = GO_ON;

	for (i = 0; i < m->nh && rc == GO_ON; i++) {
		v = m->h[i].value;
		if (!leadspc)
			v += strspn(v, " \t");
		rc = event(c, mc, MLOAD_M_EOH, MLOAD_C_HEADER, MLOAD_P_NOHDRS);
		if (rc > 0)
			rc = mload_put_str(c, m->h[i].name) < 0 ||
					     mload_put_str(c, v) < 0
				     ? -1
				     : finish(c, MLOAD_P_NR_HDR, MLOAD_C_HEADER,
					      res, NULL);
	}
	if (rc != GO_ON)
		return rc;
	rc = event(c, mc, MLOAD_M_EOH, MLOAD_C_EOH, MLOAD_P_NOEOH);
	return rc > 0 ? finish(c, MLOAD_P_NR_EOH, MLOAD_C_EOH, res, NULL) : rc;
}

static int body(mload_conn *c, macro_ctx *mc, const mload_message *m,
		mload_result *res)
{
	bool skip = false;
	size_t off, n;
	int rc = GO_ON;

	for (off = 0; off < m->body_len && !skip && rc == GO_ON; off += n) {
		n = m->body_len - off < MLOAD_CHUNK ? m->body_len - off
						    : MLOAD_CHUNK;
		rc = event(c, mc, MLOAD_M_EOM, MLOAD_C_BODY, MLOAD_P_NOBODY);
		if (rc > 0)
			rc = mload_put(c, m->body + off, n) < 0
				     ? -1
				     : finish(c, MLOAD_P_NR_BODY, MLOAD_C_BODY,
					      res, &skip);
	}
	if (rc != GO_ON)
		return rc;
	rc = event(c, mc, MLOAD_M_EOM, MLOAD_C_EOB, 0);
	return rc > 0 ? finish(c, 0, MLOAD_C_EOB, res, NULL) : rc;
}

int mload_conn_message(mload_conn *c, const mload_config *cfg,
		       const mload_message *m, const char *qid,
		       mload_result *res)
{
	macro_ctx mc = {cfg, qid, NULL, ""};
	int rc;

	memset(res, 0, sizeof *res);
	if (c->in_message) {
		/* No answer to ABORT. */
		if (mload_begin(c, MLOAD_C_ABORT) < 0 || mload_send(c) < 0)
			return -1;
		c->in_message = false;
	}
	c->in_message = true;
	rc = envelope(c, &mc, res);
	if (rc == GO_ON)
		rc = headers(c, &mc, m, res);
	if (rc == GO_ON)
		rc = body(c, &mc, m, res);
	if (rc == GO_ON)
		return mload_fail(c, "no final reply");
	return rc < 0 ? -1 : 0;
}

void mload_conn_close(mload_conn *c)
{
	int i;

	if (c->fd >= 0) {
		if (!c->dead && c->in_message &&
		    mload_begin(c, MLOAD_C_ABORT) == 0)
			(void)mload_send(c);
		if (!c->dead && mload_begin(c, MLOAD_C_QUIT) == 0 &&
		    mload_send(c) == 0)
			(void)mload_flush(c);
		close(c->fd);
	}
	for (i = 0; i < MLOAD_M_COUNT; i++)
		free(c->symlist[i]);
	free(c->out);
	free(c->pend);
	free(c->in);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}
