/*
 * ldap_job.c - one conversation with one LDAP server, bounded by a
 * deadline whatever the server does (SPEC section 9).
 *
 * libldap 2.5's own timeouts do not bound the TLS handshake of an
 * ldaps:// connection (NOTES.md: it waits forever on a stopped slapd), so
 * the conversation runs in a thread of its own and the caller waits for
 * it until the deadline, then leaves it: the thread finishes on its own
 * later and frees what it holds, touching nothing of the caller's.  So
 * that a left thread does end, its socket gets SO_RCVTIMEO and
 * SO_SNDTIMEO (through LDAP_OPT_CONNECT_CB) and libldap its network and
 * operation timeouts, all set to the budget.  At most MAX_RUNNING jobs
 * run at once, those left behind included; beyond that a job is refused
 * (unavailable) without starting a thread, so a hung directory cannot
 * pile threads up.
 *
 * A conversation: connect, StartTLS when asked (ldap:// only; a failure
 * never falls back to plain text), the server's certificate checked
 * against LDAPCAFile (or the system's bundle), a simple bind (anonymous
 * without a bind DN), no referrals chased, then the work.
 *
 * Promises: milter_ldap_run never returns after the deadline by more
 * than the scheduling delay; the bind password is wiped from the job's
 * copy when the job is freed.
 */
#include "ldap_job.h"

#include <errno.h>
#include <lber.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_RUNNING 64 /* job threads at once, left ones included */

static int running; /* atomic: job threads alive */

typedef struct job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs; /* under lock: the caller and the thread */
	bool done;
	/* the server and the credentials, copied */
	char *uri, *cafile, *binddn, *password;
	bool starttls;
	struct timeval budget;
	/* the work */
	ldap_work work;
	void *arg;
	void (*arg_free)(void *);
	/* the outcome */
	int status;
	const char *why;
} job;

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void job_free(job *j)
{
	free(j->uri);
	free(j->cafile);
	free(j->binddn);
	wipe_free(j->password);
	if (j->arg != NULL)
		j->arg_free(j->arg);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j);
}

/* Drops one reference; the last frees the job. */
static void job_unref(job *j)
{
	bool last;

	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (last)
		job_free(j);
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst != NULL ? 0 : SMIME_E_NOMEM;
}

/* The time from now to deadline, at least 1 ms. */
static struct timeval budget_of(const struct timespec *deadline)
{
	struct timespec now;
	struct timeval tv;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

static job *job_new(const ldap_query *q, const struct timespec *deadline)
{
	job *j = calloc(1, sizeof *j);
	pthread_condattr_t ca;

	if (j == NULL)
		return NULL;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are */
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);
	j->refs = 2;
	j->starttls = q->starttls;
	j->budget = budget_of(deadline);
	if (dup_opt(&j->uri, q->uri) < 0 ||
	    dup_opt(&j->cafile, q->cafile) < 0 ||
	    dup_opt(&j->binddn, q->binddn) < 0 ||
	    dup_opt(&j->password, q->password) < 0) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* LDAP_OPT_CONNECT_CB: every socket libldap connects gets the budget as
 * its read and write timeout, so a stopped server cannot hold the thread
 * in a TLS handshake for ever. */
static int on_connect(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv,
		      struct sockaddr *addr, struct ldap_conncb *ctx)
{
	const job *j = ctx->lc_arg;
	ber_socket_t fd;

	(void)ld;
	(void)srv;
	(void)addr;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &j->budget,
			   sizeof j->budget);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &j->budget,
			   sizeof j->budget);
	}
	return 0;
}

static void on_disconnect(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	(void)ld;
	(void)sb;
	(void)ctx;
}

static int set_options(LDAP *ld, job *j, struct ldap_conncb *cb)
{
	int v3 = LDAP_VERSION3, zero = 0;
	int demand = LDAP_OPT_X_TLS_DEMAND;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &j->budget) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &j->budget) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_CONNECT_CB, cb) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != 0)
		return -1;
	if (j->cafile != NULL &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, j->cafile) != 0)
		return -1;
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != 0 ? -1 : 0;
}

/* The whole conversation with one server. */
static int converse(job *j)
{
	struct ldap_conncb cb = {on_connect, on_disconnect, j};
	struct berval cred = {0, NULL};
	LDAP *ld = NULL;
	int rc;

	j->why = "connect-failed";
	if (ldap_initialize(&ld, j->uri) != LDAP_SUCCESS || ld == NULL)
		return SMIME_DIR_UNAVAILABLE;
	rc = set_options(ld, j, &cb) == 0 ? 0 : SMIME_DIR_UNAVAILABLE;
	if (rc == 0 && j->starttls && strncasecmp(j->uri, "ldap://", 7) == 0 &&
	    ldap_start_tls_s(ld, NULL, NULL) != LDAP_SUCCESS) {
		j->why = "starttls-failed";
		rc = SMIME_DIR_UNAVAILABLE;
	}
	if (rc == 0 && j->password != NULL) {
		cred.bv_val = j->password;
		cred.bv_len = strlen(j->password);
	}
	if (rc == 0 && ldap_sasl_bind_s(ld, j->binddn, LDAP_SASL_SIMPLE, &cred,
					NULL, NULL, NULL) != LDAP_SUCCESS) {
		j->why = "bind-failed";
		rc = SMIME_DIR_UNAVAILABLE;
	}
	if (rc == 0)
		rc = j->work(ld, j->arg, &j->budget, &j->why);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

static void *run(void *arg)
{
	job *j = arg;
	int rc = converse(j);

	pthread_mutex_lock(&j->lock);
	j->status = rc;
	j->done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
	__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Waits for the job until the deadline; true when it finished. */
static bool wait_for(job *j, const struct timespec *deadline)
{
	bool done;

	pthread_mutex_lock(&j->lock);
	while (!j->done)
		if (pthread_cond_timedwait(&j->cond, &j->lock, deadline) ==
		    ETIMEDOUT)
			break;
	done = j->done;
	pthread_mutex_unlock(&j->lock);
	return done;
}

/* Starts the job's thread: 0, or SMIME_E_NOMEM (the job freed). */
static int start(job *j)
{
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, run, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		job_free(j);
		return SMIME_E_NOMEM;
	}
	return 0;
}

int milter_ldap_run(const ldap_query *q, const struct timespec *deadline,
		    ldap_work work, void *arg, void (*arg_free)(void *),
		    void **done, const char **why)
{
	job *j;
	int rc;

	*done = NULL;
	*why = "busy";
	if (__atomic_add_fetch(&running, 1, __ATOMIC_RELAXED) > MAX_RUNNING) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		arg_free(arg);
		return SMIME_DIR_UNAVAILABLE;
	}
	j = job_new(q, deadline);
	if (j == NULL) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		arg_free(arg);
		return SMIME_E_NOMEM;
	}
	j->work = work;
	j->arg = arg;
	j->arg_free = arg_free;
	if (start(j) < 0)
		return SMIME_E_NOMEM;
	if (!wait_for(j, deadline)) {
		*why = "timeout";
		job_unref(j);
		return SMIME_DIR_UNAVAILABLE;
	}
	/* done: the thread wrote its outcome and no longer touches it */
	rc = j->status;
	*why = j->why;
	*done = j->arg;
	j->arg = NULL;
	job_unref(j);
	return rc;
}
