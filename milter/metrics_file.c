/*
 * metrics_file.c - MetricsFile (SPEC section 10): the daemon rewrites it
 * every MetricsInterval seconds for the node exporter's textfile
 * collector.
 *
 * Promises: a reader of the file only ever sees a whole version of it
 * (a temporary file in the same directory, renamed over it); the
 * temporary name never ends in ".prom", which is all the collector
 * reads; the file is mode 0644 whatever the umask (the unit runs with
 * UMask=0027, the collector runs as another user); the temporary file is
 * removed whenever a step fails.  A file that cannot be written never
 * reaches the mail: it is logged at most once a minute, with how many
 * writes failed meanwhile, and its recovery once.  Only the main thread
 * calls milter_metrics_tick, so its state needs no lock.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define COMPLAIN_SECONDS 60 /* SPEC 10: logged at most once a minute */

/* "DIR/.BASE.XXXXXX" for path "DIR/BASE" (or "BASE"). */
static char *temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = strlen(path) + sizeof(".XXXXXX") + 1;
	char *t = malloc(n);

	if (t != NULL) {
		memcpy(t, path, dirlen);
		t[dirlen] = '.';
		strcpy(t + dirlen + 1, path + dirlen);
		strcat(t, ".XXXXXX");
	}
	return t;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

int milter_metrics_write(const char *path, const char *text, size_t len,
			 const char **step)
{
	char *tmp = temp_name(path);
	int fd, rc;

	*step = "temporary file";
	if (tmp == NULL)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	rc = fchmod(fd, 0644) == 0 ? 0 : -errno;
	if (rc == 0) {
		*step = "write";
		rc = write_all(fd, text, len);
	}
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0) {
		*step = "rename";
		rc = rename(tmp, path) == 0 ? 0 : -errno;
	}
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The schedule                                                         */
/* ------------------------------------------------------------------ */

static struct {
	char *path;        /* the MetricsFile last written to, or NULL */
	time_t next;       /* monotonic second the next write is due */
	time_t complained; /* monotonic second of the last failure logged */
	bool failing;
	unsigned long failures; /* since the last failure logged */
} w;

static time_t mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

/* A reload that changed or removed MetricsFile: the old file would
 * export frozen counters next to the new ones, so it goes. */
static void forget_old(const char *path)
{
	if (w.path == NULL || (path != NULL && strcmp(w.path, path) == 0))
		return;
	if (unlink(w.path) == 0)
		milter_log(LOG_INFO, NULL,
			   "MetricsFile %s is no longer configured: removed",
			   w.path);
	free(w.path);
	w.path = NULL;
	w.failing = false;
}

static void failed(const char *path, const char *step, int err, time_t t)
{
	w.failures++;
	if (w.failing && t - w.complained < COMPLAIN_SECONDS)
		return;
	milter_log(LOG_ERR, NULL,
		   "MetricsFile %s: %s: %s (%lu failed writes since last "
		   "said; mail is not affected; next report in a minute at "
		   "the earliest)",
		   path, step, strerror(-err), w.failures);
	w.failing = true;
	w.complained = t;
	w.failures = 0;
}

static void write_now(const char *path, time_t t)
{
	smime_buf text = SMIME_BUF_INIT;
	const char *step = "format";
	int rc = milter_metrics_format(&text);

	if (rc == 0)
		rc = milter_metrics_write(path, (const char *)text.data,
					  text.len, &step);
	else
		rc = -ENOMEM;
	smime_buf_free(&text);
	if (rc != 0) {
		failed(path, step, rc, t);
		return;
	}
	if (w.failing)
		milter_log(LOG_INFO, NULL, "MetricsFile %s written again",
			   path);
	w.failing = false;
	w.failures = 0;
	if (w.path == NULL)
		w.path = strdup(path); /* NULL: only no clean-up later */
}

int milter_metrics_tick(const milter_config *cfg, bool force)
{
	const char *path = cfg ? cfg->metrics_file : NULL;
	time_t t = mono();

	forget_old(path);
	if (path == NULL)
		return -1;
	if (force || t >= w.next) {
		write_now(path, t);
		w.next = t + (time_t)cfg->metrics_interval;
	}
	if (w.next > t + (time_t)cfg->metrics_interval) /* a shorter one */
		w.next = t + (time_t)cfg->metrics_interval;
	return (int)(w.next - t) * 1000;
}
