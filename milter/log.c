/*
 * log.c - where smime-milter's diagnostics go: syslog with the configured
 * facility, or standard error in the foreground (-f).
 *
 * Promises: every line names its message (the queue id, or NOQUEUE);
 * a line is written with one write(2) so lines from concurrent threads
 * never interleave; every byte of a control character in the text (C0,
 * DEL, C1 such as NEL, U+2028, U+2029) and every byte that is not part of
 * well-formed UTF-8 becomes '?', on the way to syslog as on the way to
 * standard error, so no caller can split or forge a line and UTF-8
 * letters (an internationalised sender) are kept.  Callers never pass
 * key material or message content: this module cannot tell, so it is
 * their rule.
 *
 * Cost (issue 19): one line is one message's share, so in the foreground
 * the "smime-milter[PID]: " prefix is made once, at open and again in a
 * forked child, not with a getpid(2) and a printf per line, and a run of
 * plain ASCII goes through the sanitiser in one copy.
 */
#include "milter.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static bool log_stderr;
/* "smime-milter[PID]: " for standard error; written before the threads
 * start and in a forked child, read by every line. */
static char prefix[48];
static size_t prefix_len;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void make_prefix(void)
{
	int n = snprintf(prefix, sizeof prefix,
			 "smime-milter[%ld]: ", (long)getpid());

	prefix_len = n > 0 && (size_t)n < sizeof prefix ? (size_t)n : 0;
}

/* A child has a pid of its own: no line may carry its parent's. */
static void register_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, make_prefix);
}

void milter_log_open(int facility, bool to_stderr)
{
	log_stderr = to_stderr;
	if (!to_stderr) {
		closelog();
		openlog("smime-milter", LOG_PID | LOG_NDELAY, facility);
		return;
	}
	pthread_once(&atfork_once, register_atfork);
	make_prefix();
}

/* How many bytes from p on are printable ASCII, which stay as they are. */
static size_t ascii_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] >= 0x20 && p[i] < 0x7f)
		i++;
	return i;
}

/* The text with what could split or disguise a line made '?'. */
static int sanitise(const char *text, size_t n, smime_buf *out)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t k;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i += k) {
		k = ascii_run(p + i, n - i);
		if (k == 0)
			k = smime_utf8_printable(p + i, n - i);
		if (k > 0) {
			rc = smime_buf_append(out, p + i, k);
		} else {
			k = 1;
			rc = smime_buf_putc(out, '?');
		}
	}
	return rc;
}

static void emit(int prio, const char *text)
{
	smime_buf line = SMIME_BUF_INIT;
	size_t len = strlen(text), off;
	ssize_t n;

	/* Room for the whole line at once: sanitising never lengthens. */
	if (smime_buf_reserve(&line, prefix_len + len + 1) < 0)
		goto cleanup;
	if (!log_stderr) {
		if (sanitise(text, len, &line) == 0)
			syslog(prio, "%s", line.data ? (char *)line.data : "");
		goto cleanup;
	}
	if (smime_buf_append(&line, prefix, prefix_len) < 0 ||
	    sanitise(text, len, &line) < 0 || smime_buf_putc(&line, '\n') < 0)
		goto cleanup;
	for (off = 0; off < line.len; off += (size_t)n) {
		n = write(STDERR_FILENO, line.data + off, line.len - off);
		if (n <= 0)
			break;
	}
cleanup:
	smime_buf_free(&line);
}

void milter_log(int prio, const char *qid, const char *fmt, ...)
{
	smime_buf text = SMIME_BUF_INIT;
	char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		emit(LOG_ERR, "NOQUEUE: out of memory while logging");
		return;
	}
	if (smime_buf_printf(&text, "%s: %s", qid ? qid : "NOQUEUE", msg) == 0)
		emit(prio, (const char *)text.data);
	smime_buf_free(&text);
	free(msg);
}

void milter_log_line(int prio, const char *line)
{
	const char *nl;

	/* Each '\n'-separated line on its own (the debug counters). */
	while ((nl = strchr(line, '\n')) != NULL) {
		char *one = strndup(line, (size_t)(nl - line));
		if (one != NULL)
			emit(prio, one);
		free(one);
		line = nl + 1;
	}
	emit(prio, line);
}
