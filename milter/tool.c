/*
 * tool.c - smime-tool: the milter's code path offline.
 *
 * `process` reads one message, builds the same milter_msg the daemon
 * builds from the MTA, runs milter_process() and writes the result through
 * the file back end of the edit list.  The exit status carries the verdict
 * (SPEC section 3); the log line and any SMTP reply go to stderr.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

int tool_read_file(const char *path, smime_buf *out)
{
	unsigned char chunk[65536];
	int fd = 0, rc = SMIME_OK;

	if (path != NULL && strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return SMIME_E_IO;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = SMIME_E_IO;
			break;
		}
		if (n == 0)
			break;
		rc = smime_buf_append(out, chunk, (size_t)n);
		if (rc < 0)
			break;
	}
	if (fd != 0)
		close(fd);
	return rc;
}

/* RFC 3339 ("2026-01-02T03:04:05Z", "+01:00" offsets, fractions ignored)
 * or "@EPOCH".  0 or SMIME_E_PARSE. */
int tool_parse_at(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	long off = 0;

	if (s[0] == '@') {
		char *end;
		long long v = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end != '\0')
			return SMIME_E_PARSE;
		*out = (time_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (p == NULL)
		return SMIME_E_PARSE;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int h = atoi(p + 1), m = atoi(p + 4);
		off = (h * 60L + m) * 60L * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return SMIME_E_PARSE;
	}
	if (*p != '\0')
		return SMIME_E_PARSE;
	*out = timegm(&tm) - off;
	return 0;
}

typedef struct process_args {
	const char *config, *in, *out, *at;
	const char *from, *client_ip, *auth_user, *daemon_name;
	char **rcpts;
	size_t nrcpts;
} process_args;

static int process_usage(void)
{
	fprintf(stderr,
		"usage: smime-tool process -c FILE --from ADDR --rcpt ADDR "
		"[--rcpt ADDR]... [--client-ip IP]\n"
		"                          [--auth-user NAME] [--daemon-name "
		"NAME] "
		"[--at TIME] [-i IN] [-o OUT]\n");
	return TOOL_EXIT_USAGE;
}

/* 0, SMIME_E_ARG for a command line to answer with the usage, or
 * SMIME_E_NOMEM. */
static int parse_process_args(int argc, char **argv, process_args *a)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"from", required_argument, NULL, 'F'},
		{"rcpt", required_argument, NULL, 'R'},
		{"client-ip", required_argument, NULL, 'I'},
		{"auth-user", required_argument, NULL, 'A'},
		{"daemon-name", required_argument, NULL, 'D'},
		{"at", required_argument, NULL, 'T'},
		{"in", required_argument, NULL, 'i'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0}};
	int c;

	memset(a, 0, sizeof(*a));
	a->client_ip = "192.0.2.1";
	a->rcpts = calloc((size_t)argc, sizeof(char *));
	if (a->rcpts == NULL)
		return SMIME_E_NOMEM;
	while ((c = getopt_long(argc, argv, "c:i:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'F':
			a->from = optarg;
			break;
		case 'R':
			a->rcpts[a->nrcpts++] = optarg;
			break;
		case 'I':
			a->client_ip = optarg;
			break;
		case 'A':
			a->auth_user = optarg;
			break;
		case 'D':
			a->daemon_name = optarg;
			break;
		case 'T':
			a->at = optarg;
			break;
		case 'i':
			a->in = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		default:
			return SMIME_E_ARG;
		}
	}
	if (optind != argc || a->config == NULL || a->from == NULL ||
	    a->nrcpts == 0)
		return SMIME_E_ARG;
	return 0;
}

/* Fills the message as the milter callbacks would. */
static int build_msg(const milter_config *cfg, const process_args *a,
		     const smime_buf *data, size_t *body_off, milter_msg **out)
{
	milter_msg *m = NULL;
	int rc;

	rc = milter_msg_new(cfg, &m);
	if (rc < 0)
		return rc;
	*out = m;
	if ((rc = milter_msg_set(&m->client_ip, a->client_ip)) < 0 ||
	    (a->auth_user &&
	     (rc = milter_msg_set(&m->auth_user, a->auth_user)) < 0) ||
	    (a->daemon_name &&
	     (rc = milter_msg_set(&m->daemon_name, a->daemon_name)) < 0) ||
	    (rc = milter_msg_set(&m->env_from, a->from)) < 0)
		return rc;
	for (size_t i = 0; i < a->nrcpts; i++)
		if ((rc = milter_msg_add_rcpt(m, a->rcpts[i])) < 0)
			return rc;
	rc = smime_message_split(data->data, data->len, &m->headers, body_off);
	if (rc < 0)
		return rc;
	return smime_body_append(m->body, data->data + *body_off,
				 data->len - *body_off);
}

static int verdict_status(const smime_edits *e)
{
	const char *code = e->reply_code, *x = e->reply_xcode,
		   *t = e->reply_text;

	switch (e->verdict) {
	case SMIME_VERDICT_REJECT:
		fprintf(stderr, "%s %s %s\n", code ? code : "550",
			x ? x : "5.7.1",
			t ? t : "Message rejected by S/MIME policy");
		return TOOL_EXIT_REJECT;
	case SMIME_VERDICT_TEMPFAIL:
		fprintf(stderr, "%s %s %s\n", code ? code : "451",
			x ? x : "4.7.1", t ? t : "Try again later");
		return TOOL_EXIT_TEMPFAIL;
	case SMIME_VERDICT_DISCARD:
		return TOOL_EXIT_DISCARD;
	case SMIME_VERDICT_QUARANTINE:
		return TOOL_EXIT_QUARANTINE;
	default:
		return TOOL_EXIT_ACCEPT;
	}
}

/* Writes the message to -o (standard output by default): 0, or
 * SMIME_REPORTED once stderr says why it could not. */
static int write_result(const process_args *a, const smime_buf *data,
			size_t body_off, const smime_edits *edits)
{
	int fd = 1, rc;

	if (a->out != NULL && strcmp(a->out, "-") != 0) {
		fd = open(a->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			fprintf(stderr, "smime-tool: %s: %m\n", a->out);
			return SMIME_REPORTED;
		}
	}
	rc = milter_apply_file(data->data, data->len, body_off, edits, fd);
	if (fd != 1 && close(fd) < 0)
		rc = SMIME_E_IO;
	if (rc < 0)
		fprintf(stderr, "smime-tool: writing the message: %s\n",
			smime_strerror(rc));
	return rc < 0 ? SMIME_REPORTED : 0;
}

int tool_process(int argc, char **argv)
{
	process_args a;
	milter_config *cfg = NULL;
	milter_msg *m = NULL;
	smime_buf diags = SMIME_BUF_INIT, data = SMIME_BUF_INIT,
		  logline = SMIME_BUF_INIT;
	smime_edits edits = {0};
	size_t body_off = 0;
	time_t at = time(NULL);
	bool processed = false;
	int status = TOOL_EXIT_USAGE, rc;

	rc = parse_process_args(argc, argv, &a);
	if (rc == SMIME_E_NOMEM) {
		fprintf(stderr, "smime-tool: %s\n", smime_strerror(rc));
		status = TOOL_EXIT_TEMPFAIL;
		goto cleanup;
	}
	if (rc < 0) {
		process_usage();
		goto cleanup;
	}
	if (a.at && tool_parse_at(a.at, &at) < 0) {
		fprintf(stderr,
			"smime-tool: --at %s: expected RFC 3339 time or "
			"@EPOCH\n",
			a.at);
		goto cleanup;
	}
	if (milter_config_load(a.config, &cfg, &diags) != 0) {
		fputs((const char *)(diags.data ? diags.data
						: (unsigned char *)""),
		      stderr);
		goto cleanup;
	}
	if (tool_read_file(a.in, &data) < 0) {
		fprintf(stderr, "smime-tool: %s: %m\n", a.in ? a.in : "stdin");
		goto cleanup;
	}
	milter_log_open(LOG_MAIL, true); /* harvesting's lines: stderr */
	rc = build_msg(cfg, &a, &data, &body_off, &m);
	if (rc == 0) {
		m->now = at;
		rc = milter_process(cfg, m, &edits, &logline);
		processed = true; /* it set the On-InternalError verdict */
	}
	if (logline.len)
		fprintf(stderr, "%s\n", (const char *)logline.data);
	if (rc < 0) {
		fprintf(stderr, "smime-tool: internal error: %s\n",
			smime_strerror(rc));
		if (!smime_err_is_resource(rc)) {
			status = TOOL_EXIT_USAGE;
			goto cleanup;
		}
		if (!processed)
			milter_internal_error(cfg, &edits,
					      milter_rules_may_encrypt(cfg));
	}
	status = verdict_status(&edits);
	if ((status == TOOL_EXIT_ACCEPT || status == TOOL_EXIT_QUARANTINE) &&
	    write_result(&a, &data, body_off, &edits) != 0)
		status = TOOL_EXIT_TEMPFAIL;
cleanup:
	smime_edits_free(&edits);
	milter_msg_free(m);
	if (cfg)
		milter_config_unref(cfg);
	smime_buf_free(&diags);
	smime_buf_free(&logline);
	smime_buf_free(&data);
	free(a.rcpts);
	return status;
}
