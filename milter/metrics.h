/*
 * metrics.h - the counters of SPEC section 10 (metrics.c) and the file
 * the daemon writes them to (metrics_file.c).
 *
 * The counters are process-global: a reload never resets them.  They
 * count what the per-message log line records, at the moment
 * milter_process writes it, so the metrics and the log (and `smime-tool
 * report`) never disagree.  No libmilter in here.
 */
#ifndef MILTER_METRICS_H
#define MILTER_METRICS_H

#include "milter.h"

/* The outcome of one directory lookup (directory.c). */
typedef enum {
	MILTER_LDAP_FOUND = 0, /* a search answered with certificates */
	MILTER_LDAP_NOT_FOUND, /* a search answered with none */
	MILTER_LDAP_CACHED,    /* answered from the cache, no search */
	MILTER_LDAP_ERROR,     /* no URI answered (or out of memory) */
	MILTER_LDAP_OUTCOMES
} milter_ldap_outcome;

/* One message, as its log line l says, with the verdict the Rules and
 * the transforms decided (before DryRun dropped it) and whether the
 * Rules tagged it. */
void milter_metrics_message(const milter_logline *l, smime_verdict verdict,
			    bool tagged);
void milter_metrics_ldap(milter_ldap_outcome o);
/* A resource failure handed to On-InternalError (callbacks.c). */
void milter_metrics_internal_error(void);
/* A configuration loaded (at start or on SIGHUP) at when, or a reload
 * refused. */
void milter_metrics_config_loaded(time_t when);
void milter_metrics_reload_failed(void);

/* Every counter in the Prometheus text exposition format (version
 * 0.0.4), each family with # HELP and # TYPE and every label
 * combination present, zero or not.  0 or SMIME_E_NOMEM. */
int milter_metrics_format(smime_buf *out);

/*
 * Writes text to path atomically: a temporary file in path's directory
 * named ".BASENAME.XXXXXX" (never ending in ".prom", so the node
 * exporter's textfile collector never reads it half-written), mode 0644
 * whatever the umask, renamed over path.  0, or a negative errno with
 * *step naming what failed; the temporary file never stays behind.
 */
int milter_metrics_write(const char *path, const char *text, size_t len,
			 const char **step);

/*
 * The daemon's writer (main thread only).  With force, or when
 * MetricsInterval has passed since the last write, writes cfg's
 * MetricsFile; a file that cannot be written is logged at most once a
 * minute, and its recovery once.  A MetricsFile changed or removed by a
 * reload leaves no stale file behind.  Returns the milliseconds until
 * the next write is due, or -1 when there is no MetricsFile (cfg NULL
 * or without one): a poll(2) timeout.
 */
int milter_metrics_tick(const milter_config *cfg, bool force);

#endif
