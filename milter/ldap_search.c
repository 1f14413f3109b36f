/*
 * ldap_search.c - one search of one LDAP URI, bounded by a deadline
 * whatever the server does (SPEC section 9).
 *
 * libldap 2.5's own timeouts do not bound the TLS handshake of an
 * ldaps:// connection (NOTES.md: it waits forever on a stopped slapd), so
 * the work runs in a thread of its own and the caller waits for it until
 * the deadline, then leaves it: the thread finishes on its own later and
 * frees what it holds, touching nothing of the caller's.  So that a left
 * thread does end, its socket gets SO_RCVTIMEO and SO_SNDTIMEO (through
 * LDAP_OPT_CONNECT_CB) and libldap its network timeout, both set to the
 * budget.  At most MAX_RUNNING searches run at once, those left behind
 * included; beyond that a search is refused (unavailable) without
 * starting a thread, so a hung directory cannot pile threads up.
 *
 * One search: connect, StartTLS when asked (ldap:// only), a simple bind
 * (anonymous without a bind DN), then a subtree search for the filter
 * asking for userCertificate;binary and userSMIMECertificate, with no
 * referrals chased and at most 10 entries.  Each value found is kept as
 * DER with whether it is a userSMIMECertificate and whether its entry
 * lies under the harvest base.
 *
 * Promises: milter_ldap_search returns 0 with the answer (maybe empty),
 * SMIME_DIR_UNAVAILABLE with *why set to a static word for the log, or
 * SMIME_E_NOMEM; it never returns after the deadline by more than the
 * scheduling delay.  The bind password is wiped from the job's copy when
 * the job is freed.
 */
#include "directory.h"

#include <errno.h>
#include <lber.h>
#include <ldap.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_ENTRIES 10 /* SPEC 9: a search returns at most 10 entries */
#define MAX_RUNNING 64 /* search threads at once, left ones included */

static int running; /* atomic: search threads alive */

typedef struct job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs; /* under lock: the caller and the thread */
	bool done;
	/* the query, copied */
	char *uri, *cafile, *binddn, *password, *base, *filter, *harvest_base;
	bool starttls;
	struct timeval budget;
	/* the outcome */
	int status;
	const char *why;
	ldap_answer answer;
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
	free(j->base);
	free(j->filter);
	free(j->harvest_base);
	milter_ldap_answer_free(&j->answer);
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

static job *job_new(const ldap_query *q, const char *filter,
		    const struct timespec *deadline)
{
	struct timespec now;
	job *j = calloc(1, sizeof *j);
	pthread_condattr_t ca;
	long long ms;

	if (j == NULL)
		return NULL;

	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are */
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);
	j->refs = 2;
	j->starttls = q->starttls;
	if (dup_opt(&j->uri, q->uri) < 0 ||
	    dup_opt(&j->cafile, q->cafile) < 0 ||
	    dup_opt(&j->binddn, q->binddn) < 0 ||
	    dup_opt(&j->password, q->password) < 0 ||
	    dup_opt(&j->base, q->base) < 0 || dup_opt(&j->filter, filter) < 0 ||
	    dup_opt(&j->harvest_base, q->harvest_base) < 0) {
		job_free(j);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 1)
		ms = 1;
	j->budget.tv_sec = (time_t)(ms / 1000);
	j->budget.tv_usec = (suseconds_t)(ms % 1000) * 1000;
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
	int v3 = LDAP_VERSION3, size = MAX_ENTRIES, zero = 0;
	int demand = LDAP_OPT_X_TLS_DEMAND;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_SIZELIMIT, &size) != 0 ||
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

bool milter_dn_under(const char *dn, const char *base)
{
	char *ndn = NULL, *nbase = NULL;
	bool under = false;

	if (base == NULL || dn == NULL)
		return false;
	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAPV3, &ndn,
			      LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    ldap_dn_normalize(base, LDAP_DN_FORMAT_LDAPV3, &nbase,
			      LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS) {
		size_t a = strlen(ndn), b = strlen(nbase);

		under = a > b && ndn[a - b - 1] == ',' &&
			strcasecmp(ndn + a - b, nbase) == 0;
	}
	ldap_memfree(ndn);
	ldap_memfree(nbase);
	return under;
}

static int add_value(ldap_answer *a, const struct berval *bv, bool smime,
		     bool harvested)
{
	ldap_value *v = realloc(a->v, (a->n + 1) * sizeof *v);

	if (v == NULL)
		return SMIME_E_NOMEM;
	a->v = v;
	v = &a->v[a->n];
	v->der = malloc(bv->bv_len ? bv->bv_len : 1);
	if (v->der == NULL)
		return SMIME_E_NOMEM;
	memcpy(v->der, bv->bv_val, bv->bv_len);
	v->len = bv->bv_len;
	v->smime = smime;
	v->harvested = harvested;
	a->n++;
	return 0;
}

/* The certificate values of one entry. */
static int read_entry(LDAP *ld, LDAPMessage *e, job *j)
{
	BerElement *ber = NULL;
	char *dn = ldap_get_dn(ld, e), *attr;
	bool harvested = milter_dn_under(dn, j->harvest_base);
	int rc = 0;

	for (attr = ldap_first_attribute(ld, e, &ber); attr != NULL && rc == 0;
	     attr = ldap_next_attribute(ld, e, ber)) {
		bool smime = strncasecmp(attr, "userSMIMECertificate", 20) == 0;
		bool cert = strncasecmp(attr, "userCertificate", 15) == 0;
		struct berval **vals =
			smime || cert ? ldap_get_values_len(ld, e, attr) : NULL;

		for (size_t i = 0; vals != NULL && vals[i] != NULL && rc == 0;
		     i++)
			rc = add_value(&j->answer, vals[i], smime, harvested);
		ldap_value_free_len(vals);
		ldap_memfree(attr);
	}
	ldap_memfree(attr);
	ber_free(ber, 0);
	ldap_memfree(dn);
	return rc;
}

static int search(LDAP *ld, job *j)
{
	char *attrs[] = {"userCertificate;binary", "userSMIMECertificate",
			 NULL};
	LDAPMessage *res = NULL, *e;
	int rc = ldap_search_ext_s(ld, j->base, LDAP_SCOPE_SUBTREE, j->filter,
				   attrs, 0, NULL, NULL, &j->budget,
				   MAX_ENTRIES, &res);

	if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
		rc = 0;
		for (e = ldap_first_entry(ld, res); e != NULL && rc == 0;
		     e = ldap_next_entry(ld, e))
			rc = read_entry(ld, e, j);
	} else if (rc == LDAP_NO_SUCH_OBJECT) {
		rc = 0; /* the base is not there: nothing there */
	} else {
		j->why =
			rc == LDAP_TIMEOUT ? "search-timeout" : "search-failed";
		rc = SMIME_DIR_UNAVAILABLE;
	}
	ldap_msgfree(res);
	return rc;
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
		rc = search(ld, j);
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

static void *run_counted(void *arg)
{
	run(arg);
	__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
	return NULL;
}

int milter_ldap_search(const ldap_query *q, const char *filter,
		       const struct timespec *deadline, ldap_answer *out,
		       const char **why)
{
	pthread_attr_t attr;
	pthread_t tid;
	job *j;
	int rc;

	memset(out, 0, sizeof *out);
	*why = "busy";
	if (__atomic_add_fetch(&running, 1, __ATOMIC_RELAXED) > MAX_RUNNING) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		return SMIME_DIR_UNAVAILABLE;
	}
	j = job_new(q, filter, deadline);
	if (j == NULL) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		return SMIME_E_NOMEM;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, run_counted, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
		job_free(j);
		return SMIME_E_NOMEM;
	}
	if (!wait_for(j, deadline)) {
		*why = "timeout";
		job_unref(j);
		return SMIME_DIR_UNAVAILABLE;
	}
	/* done: the thread wrote its outcome and no longer touches it */
	rc = j->status;
	*why = j->why;
	if (rc == 0) {
		*out = j->answer;
		memset(&j->answer, 0, sizeof j->answer);
	}
	job_unref(j);
	return rc;
}

void milter_ldap_answer_free(ldap_answer *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].der);
	free(a->v);
	memset(a, 0, sizeof *a);
}
