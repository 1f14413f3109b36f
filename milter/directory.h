/*
 * directory.h - the LDAP directory as the lookup's third and fourth
 * source (SPEC section 9): the search of one URI (ldap_search.c) and the
 * directory the configuration holds, with its caches and the URIs it
 * skips (directory.c).  Only milter/ includes it; crypto/ sees the
 * directory as an smime_directory_fn.
 */
#ifndef MILTER_DIRECTORY_H
#define MILTER_DIRECTORY_H

#include "milter.h"

#include <time.h>

/* One search, as the configuration says it. */
typedef struct ldap_query {
	const char *uri;
	bool starttls; /* StartTLS on ldap:// */
	const char *cafile;
	const char *binddn;   /* NULL: anonymous */
	const char *password; /* with binddn */
	const char *base;
	const char *harvest_base; /* entries under it are harvested ones */
} ldap_query;

/* A certificate value of an entry. */
typedef struct ldap_value {
	unsigned char *der;
	size_t len;
	bool smime;     /* userSMIMECertificate, else userCertificate */
	bool harvested; /* the entry lies under the harvest base */
} ldap_value;

typedef struct ldap_answer {
	ldap_value *v;
	size_t n;
} ldap_answer;

/*
 * Searches q->uri for filter, giving up at deadline (CLOCK_MONOTONIC).
 * 0 with *out filled (maybe empty: nothing matched, or the base does not
 * exist); SMIME_DIR_UNAVAILABLE with *why a static word for the log
 * (timeout, connect-failed, starttls-failed, bind-failed, search-failed,
 * busy); SMIME_E_NOMEM.
 */
int milter_ldap_search(const ldap_query *q, const char *filter,
		       const struct timespec *deadline, ldap_answer *out,
		       const char **why);
void milter_ldap_answer_free(ldap_answer *a);

/* Whether dn lies strictly under base (RFC 4514 strings, compared
 * without regard to ASCII case once libldap normalised both); false when
 * either does not parse. */
bool milter_dn_under(const char *dn, const char *base);

/* The server answered a harvest write with a refusal (no access, no such
 * base, ...): logged, and the URI is not skipped (ldap_store.c). */
#define MILTER_DIR_REFUSED 2

/* A harvested signer to write under LDAPHarvestBase (ldap_store.c). */
typedef struct ldap_store_req {
	const char *addr;          /* ASCII: mail is an IA5String */
	const unsigned char *cert; /* the signer's certificate, DER */
	size_t cert_len;
	const unsigned char *value; /* userSMIMECertificate (publish.c) */
	size_t value_len;
	bool has_signing_time;
	time_t signing_time; /* already no later than arrival + 1 day */
} ldap_store_req;

/*
 * Merges the signer into mail=ADDR,q->harvest_base on q->uri, giving up
 * at deadline: 0 with *stored (false when the entry already held as
 * much), SMIME_DIR_UNAVAILABLE or MILTER_DIR_REFUSED with *why,
 * SMIME_E_NOMEM, SMIME_E_ARG without a harvest base.
 */
int milter_ldap_store(const ldap_query *q, const struct timespec *deadline,
		      const ldap_store_req *r, bool *stored, const char **why);

/* value escaped as an RFC 4514 attribute value; malloc'd, NULL when out
 * of memory. */
char *milter_dn_value(const char *value);

/* The filter for addr: every %s of tmpl replaced by addr escaped as RFC
 * 4515 says (and every byte outside printable ASCII), %% by %.
 * malloc'd; NULL when out of memory. */
char *milter_ldap_filter(const char *tmpl, const char *addr);

/* The directory of one configuration: its URIs, credentials, caches and
 * skipped URIs.  Built at load (the bind password read then); a reload
 * builds a new one, so SIGHUP empties both caches. */
typedef struct milter_directory milter_directory;

/* "FILE: message" lines in diags; 0, SMIME_REPORTED, SMIME_E_NOMEM.
 * *out stays NULL without LDAPURI. */
int milter_directory_new(const milter_config *cfg, milter_directory **out,
			 smime_buf *diags);
void milter_directory_free(milter_directory *d);

/* The directory work of one message (or one smime-tool run): the
 * LDAPTimeout deadline starts at its first search. */
typedef struct milter_dirsession {
	milter_directory *dir;
	const char *qid; /* for log lines; may be NULL */
	bool started;
	struct timespec deadline;
} milter_dirsession;

/* Writes a harvested signer under LDAPHarvestBase on the first URI that
 * answers, within the session's LDAPTimeout, and forgets what the cache
 * held for the address: 0 with *stored, SMIME_DIR_UNAVAILABLE,
 * MILTER_DIR_REFUSED, SMIME_E_NOMEM, SMIME_E_ARG without LDAPHarvestBase. */
int milter_directory_store(milter_dirsession *s, const ldap_store_req *r,
			   bool *stored);

/* The lookup context of the configuration (SPEC 9's four sources: its
 * KeyStore, CertDirectory, directory with session s, HarvestDirectory
 * when harvesting is on) at time now. */
smime_lookup_ctx milter_lookup_ctx(const milter_config *cfg,
				   milter_dirsession *s, time_t now);

/* The smime_directory_fn of the lookup; arg is a milter_dirsession. */
int milter_directory_find(void *arg, const char *addr, smime_found *placed,
			  smime_found *harvested);

#endif
