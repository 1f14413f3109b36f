/*
 * log.c - where smime-milter's diagnostics go: syslog with the configured
 * facility, or standard error in the foreground (-f).
 *
 * Promises: every line names its message (the queue id, or NOQUEUE);
 * a line is written with one write(2) so lines from concurrent threads
 * never interleave; control characters in the text become '?' so no
 * caller can split or forge a line.  Callers never pass key material or
 * message content: this module cannot tell, so it is their rule.
 */
#include "milter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static bool log_stderr;

void milter_log_open(int facility, bool to_stderr)
{
	log_stderr = to_stderr;
	if (!to_stderr) {
		closelog();
		openlog("smime-milter", LOG_PID | LOG_NDELAY, facility);
	}
}

static void emit(int prio, const char *text)
{
	smime_buf line = SMIME_BUF_INIT;
	const unsigned char *p;
	ssize_t n;
	size_t off;

	if (!log_stderr) {
		syslog(prio, "%s", text);
		return;
	}
	if (smime_buf_printf(&line, "smime-milter[%ld]: ", (long)getpid()) < 0)
		goto cleanup;
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (smime_buf_putc(&line, *p < ' ' || *p == 0x7f ? '?' : *p) <
		    0)
			goto cleanup;
	if (smime_buf_putc(&line, '\n') < 0)
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
