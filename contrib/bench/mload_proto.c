/*
 * mload_proto.c - the MTA side of the milter protocol, version 6, as
 * Postfix 3.7 speaks it.
 *
 * Promises:
 * - packets are written as Postfix writes them: into a buffer (VSTREAM)
 *   that goes out when a reply is to be read, or when it is full (4 KB
 *   on a unix socket; 64 KB over TCP, where Postfix sizes it to the
 *   loopback MSS), and at DATA, where smtpd hands the connection to
 *   cleanup.  A macro list and its command, or the headers and body
 *   chunks the filter does not answer, thus leave in one write, and
 *   Nagle's algorithm and delayed ACKs act on both ends as they do
 *   behind Postfix;
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
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
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

static int fail(mload_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Packets                                                              */
/* ------------------------------------------------------------------ */

static int out_reserve(mload_conn *c, size_t more)
{
	unsigned char *p;
	size_t cap;

	if (c->out_len + more <= c->out_cap)
		return 0;
	cap = c->out_cap ? c->out_cap : 1024;
	while (cap < c->out_len + more)
		cap *= 2;
	p = realloc(c->out, cap);
	if (p == NULL)
		return fail(c, "out of memory");
	c->out = p;
	c->out_cap = cap;
	return 0;
}

static int put(mload_conn *c, const void *data, size_t n)
{
	if (out_reserve(c, n) < 0)
		return -1;
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
	return 0;
}

static int put_str(mload_conn *c, const char *s)
{
	return put(c, s, strlen(s) + 1);
}

static int put_u32(mload_conn *c, uint32_t v)
{
	uint32_t n = htonl(v);

	return put(c, &n, 4);
}

/* Starts a packet; its length is filled in by send_packet. */
static int begin(mload_conn *c, char cmd)
{
	c->out_len = 0;
	return put(c, "\0\0\0\0", 4) < 0 ? -1 : put(c, &cmd, 1);
}

/* Writes what is buffered. */
static int flush(mload_conn *c)
{
	size_t off = 0;
	ssize_t w;

	while (off < c->pend_len) {
		w = write(c->fd, c->pend + off, c->pend_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail(c, "write: %s",
				    w < 0 ? strerror(errno) : "closed");
		off += (size_t)w;
	}
	c->pend_len = 0;
	return 0;
}

/* Buffers the packet built in c->out; writes when the buffer is full. */
static int send_packet(mload_conn *c)
{
	uint32_t n = htonl((uint32_t)(c->out_len - 4));
	unsigned char *p;
	size_t cap;

	memcpy(c->out, &n, 4);
	if (c->pend_len + c->out_len > c->pend_cap) {
		cap = c->pend_len + c->out_len;
		p = realloc(c->pend, cap);
		if (p == NULL)
			return fail(c, "out of memory");
		c->pend = p;
		c->pend_cap = cap;
	}
	memcpy(c->pend + c->pend_len, c->out, c->out_len);
	c->pend_len += c->out_len;
	return c->pend_len >= c->bufsize ? flush(c) : 0;
}

static int read_exact(mload_conn *c, void *buf, size_t n)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = read(c->fd, (char *)buf + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return fail(c, "the filter closed the connection");
		if (r < 0)
			return fail(c, "read: %s",
				    errno == EAGAIN ? "timed out"
						    : strerror(errno));
		off += (size_t)r;
	}
	return 0;
}

/* One reply packet: *cmd, and its data NUL-terminated in c->in. */
static int read_packet(mload_conn *c, char *cmd, size_t *len)
{
	uint32_t n;
	unsigned char *p;

	if (flush(c) < 0 || read_exact(c, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n == 0 || n > 64 * 1024 * 1024)
		return fail(c, "reply length %lu out of range",
			    (unsigned long)n);
	if (c->in_cap < n + 1) {
		p = realloc(c->in, n + 1);
		if (p == NULL)
			return fail(c, "out of memory");
		c->in = p;
		c->in_cap = n + 1;
	}
	if (read_exact(c, c->in, n) < 0)
		return -1;
	*cmd = (char)c->in[0];
	*len = n - 1;
	memmove(c->in, c->in + 1, n - 1);
	c->in[n - 1] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connecting and negotiating                                           */
/* ------------------------------------------------------------------ */

static int connect_unix(mload_conn *c, const char *path)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return fail(c, "%s: path too long", path);
	strcpy(sun.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof sun))
		return fail(c, "%s: %s", path, strerror(errno));
	return 0;
}

static int connect_inet(mload_conn *c, const char *spec, bool nodelay)
{
	struct addrinfo hints, *ai = NULL;
	const char *at = strchr(spec, '@');
	char port[16];
	int one = 1, rc;

	if (at == NULL || (size_t)(at - spec) >= sizeof port)
		return fail(c, "inet:%s: want inet:PORT@HOST", spec);
	memcpy(port, spec, (size_t)(at - spec));
	port[at - spec] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(at + 1, port, &hints, &ai);
	if (rc != 0)
		return fail(c, "%s: %s", spec, gai_strerror(rc));
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0;
	freeaddrinfo(ai);
	if (rc)
		return fail(c, "inet:%s: %s", spec, strerror(errno));
	if (nodelay &&
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one))
		return fail(c, "TCP_NODELAY: %s", strerror(errno));
	return 0;
}

static int connect_filter(mload_conn *c, const mload_config *cfg)
{
	struct timeval tv = {(time_t)cfg->timeout, 0};
	int rc;

	c->bufsize = 4096; /* VSTREAM_BUFSIZE */
	if (strncmp(cfg->socket, "unix:", 5) == 0)
		rc = connect_unix(c, cfg->socket + 5);
	else if (strncmp(cfg->socket, "local:", 6) == 0)
		rc = connect_unix(c, cfg->socket + 6);
	else if (strncmp(cfg->socket, "inet:", 5) == 0) {
		c->bufsize = 65536; /* vstream_tweak_tcp: the MSS */
		rc = connect_inet(c, cfg->socket + 5, cfg->nodelay);
	} else
		rc = fail(c, "%s: want inet:PORT@HOST or unix:PATH",
			  cfg->socket);
	if (rc == 0 &&
	    (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) ||
	     setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)))
		rc = fail(c, "socket timeouts: %s", strerror(errno));
	return rc;
}

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
			return fail(c, "bad symbol list in OPTNEG");
		free(c->symlist[stage]);
		c->symlist[stage] = strdup((const char *)c->in + off);
		if (c->symlist[stage] == NULL)
			return fail(c, "out of memory");
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

	if (begin(c, MLOAD_C_OPTNEG) < 0 || put_u32(c, 6) < 0 ||
	    put_u32(c, (uint32_t)cfg->offer_actions) < 0 ||
	    put_u32(c, (uint32_t)cfg->offer_steps) < 0 || send_packet(c) < 0)
		return -1;
	if (read_packet(c, &cmd, &len) < 0)
		return -1;
	if (cmd != MLOAD_C_OPTNEG || len < 12)
		return fail(c, "OPTNEG answered with '%c' (%zu bytes)", cmd,
			    len);
	memcpy(w, c->in, 12);
	c->version = ntohl(w[0]);
	c->actions = ntohl(w[1]);
	c->steps = ntohl(w[2]);
	if (c->version < 2 || c->version > 6)
		return fail(c, "filter protocol version %u", c->version);
	if ((c->actions & ~cfg->offer_actions) != 0)
		return fail(c, "filter wants actions 0x%lx not offered",
			    c->actions & ~cfg->offer_actions);
	if ((c->steps & ~cfg->offer_steps) != 0)
		return fail(c, "filter wants steps 0x%lx not offered",
			    c->steps & ~cfg->offer_steps);
	if (len > 12 && !(c->actions & MLOAD_F_SETSYMLIST))
		return fail(c, "symbol lists without SETSYMLIST");
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

	if (begin(c, MLOAD_C_MACRO) < 0 || put(c, &cmd, 1) < 0)
		return -1;
	for (p = list; *p != '\0'; p += n) {
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0 || n >= sizeof name)
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		v = macro_value(mc, name);
		if (v != NULL && (put_str(c, name) < 0 || put_str(c, v) < 0))
			return -1;
	}
	return send_packet(c);
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
		return fail(c, "unknown reply '%c' to '%c'", cmd, event);
	if (event != MLOAD_C_EOB)
		return fail(c, "edit '%c' before end of message", cmd);
	if (!(c->actions & need[i].action))
		return fail(c, "edit '%c' without the action negotiated", cmd);
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
			return fail(c, "bad reply code \"%.40s\"", c->in);
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
		if (read_packet(c, &cmd, &len) < 0)
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
	if (send_packet(c) < 0)
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
	if (begin(c, MLOAD_C_CONNECT) < 0 || put_str(c, cfg->client_name) < 0 ||
	    put(c, &fam, 1) < 0 || put(c, &port, 2) < 0 ||
	    put_str(c, cfg->client_addr) < 0)
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
	if (begin(c, MLOAD_C_HELO) < 0 || put_str(c, cfg->helo) < 0)
		return -1;
	return finish(c, MLOAD_P_NR_HELO, MLOAD_C_HELO, res, NULL);
}

int mload_conn_open(mload_conn *c, const mload_config *cfg)
{
	mload_result res;
	int rc;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (connect_filter(c, cfg) < 0 || negotiate(c, cfg) < 0)
		return -1;
	memset(&res, 0, sizeof res);
	rc = connect_event(c, cfg, &res);
	if (rc == GO_ON)
		rc = helo_event(c, cfg, &res);
	if (rc == FINAL)
		return fail(c, "the filter answered %s to the connection",
			    mload_kind_names[res.kind]);
	return rc;
}

/* "<addr>" as one argument of MAIL or RCPT. */
static int put_path(mload_conn *c, const char *addr)
{
	char *s;
	int rc;

	if (asprintf(&s, "<%s>", addr) < 0)
		return fail(c, "out of memory");
	rc = put_str(c, s);
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
	return begin(c, cmd) < 0 ? -1 : 1;
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
	return rc == GO_ON && flush(c) < 0 ? -1 : rc;
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
			rc = put_str(c, m->h[i].name) < 0 || put_str(c, v) < 0
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
			rc = put(c, m->body + off, n) < 0
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
		if (begin(c, MLOAD_C_ABORT) < 0 || send_packet(c) < 0)
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
		return fail(c, "no final reply");
	return rc < 0 ? -1 : 0;
}

void mload_conn_close(mload_conn *c)
{
	int i;

	if (c->fd >= 0) {
		if (!c->dead && c->in_message && begin(c, MLOAD_C_ABORT) == 0)
			(void)send_packet(c);
		if (!c->dead && begin(c, MLOAD_C_QUIT) == 0 &&
		    send_packet(c) == 0)
			(void)flush(c);
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
