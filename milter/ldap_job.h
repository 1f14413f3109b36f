/*
 * ldap_job.h - one conversation with one LDAP server, bounded by a
 * deadline whatever the server does (ldap_job.c); the search
 * (ldap_search.c) and the harvest store (ldap_store.c) are its work.
 * Private to those files.
 */
#ifndef MILTER_LDAP_JOB_H
#define MILTER_LDAP_JOB_H

#include "directory.h"

#include <ldap.h>
#include <sys/time.h>

/*
 * The work done on a connected, bound handle, in the job's thread: 0,
 * SMIME_DIR_UNAVAILABLE with *why a static word, or SMIME_E_NOMEM.
 * budget is the job's whole time, for libldap's own timeouts.
 */
typedef int (*ldap_work)(LDAP *ld, void *arg, const struct timeval *budget,
			 const char **why);

/*
 * Connects to q->uri (StartTLS when asked, on ldap:// only), binds
 * (simple, anonymous without q->binddn) and runs work(arg) in a thread
 * of its own, waiting for it until deadline (CLOCK_MONOTONIC).  arg
 * belongs to the job from here on: when the work finished in time, the
 * outcome is returned and arg handed back in *done (the caller frees
 * it); when it did not, SMIME_DIR_UNAVAILABLE ("timeout") and the
 * thread, left running, frees arg with arg_free when it ends.  Also
 * SMIME_DIR_UNAVAILABLE ("busy") without starting anything when too many
 * jobs run, and SMIME_E_NOMEM (arg freed).
 */
int milter_ldap_run(const ldap_query *q, const struct timespec *deadline,
		    ldap_work work, void *arg, void (*arg_free)(void *),
		    void **done, const char **why);

#endif
