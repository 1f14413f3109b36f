/*
 * ldap_search.c - the directory search for one address (SPEC section 9),
 * as the work of an LDAP job (ldap_job.c, which bounds it by the
 * deadline): a subtree search under LDAPBase for the filter, asking for
 * userCertificate;binary and userSMIMECertificate, at most 10 entries.
 * Each value found is kept as DER with whether it is a
 * userSMIMECertificate and whether its entry lies under the harvest base.
 *
 * Promises: milter_ldap_search returns 0 with the answer (maybe empty:
 * nothing matched, or the base does not exist), SMIME_DIR_UNAVAILABLE
 * with *why set to a static word for the log, or SMIME_E_NOMEM.
 */
#include "ldap_job.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ENTRIES 10 /* SPEC 9: a search returns at most 10 entries */

/* What the search is for, and what it found. */
typedef struct search_arg {
	char *base, *filter, *harvest_base;
	ldap_answer answer;
} search_arg;

static void search_arg_free(void *p)
{
	search_arg *a = p;

	free(a->base);
	free(a->filter);
	free(a->harvest_base);
	milter_ldap_answer_free(&a->answer);
	free(a);
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
static int read_entry(LDAP *ld, LDAPMessage *e, search_arg *j)
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

static int search(LDAP *ld, void *arg, const struct timeval *budget,
		  const char **why)
{
	search_arg *j = arg;
	char *attrs[] = {"userCertificate;binary", "userSMIMECertificate",
			 NULL};
	struct timeval tv = *budget;
	LDAPMessage *res = NULL, *e;
	int rc =
		ldap_search_ext_s(ld, j->base, LDAP_SCOPE_SUBTREE, j->filter,
				  attrs, 0, NULL, NULL, &tv, MAX_ENTRIES, &res);

	if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
		rc = 0;
		for (e = ldap_first_entry(ld, res); e != NULL && rc == 0;
		     e = ldap_next_entry(ld, e))
			rc = read_entry(ld, e, j);
	} else if (rc == LDAP_NO_SUCH_OBJECT) {
		rc = 0; /* the base is not there: nothing there */
	} else {
		*why = rc == LDAP_TIMEOUT ? "search-timeout" : "search-failed";
		rc = SMIME_DIR_UNAVAILABLE;
	}
	ldap_msgfree(res);
	return rc;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst != NULL ? 0 : SMIME_E_NOMEM;
}

int milter_ldap_search(const ldap_query *q, const char *filter,
		       const struct timespec *deadline, ldap_answer *out,
		       const char **why)
{
	search_arg *a = calloc(1, sizeof *a);
	void *done = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	*why = "out-of-memory";
	if (a == NULL)
		return SMIME_E_NOMEM;
	if (dup_opt(&a->base, q->base) < 0 || dup_opt(&a->filter, filter) < 0 ||
	    dup_opt(&a->harvest_base, q->harvest_base) < 0) {
		search_arg_free(a);
		return SMIME_E_NOMEM;
	}
	rc = milter_ldap_run(q, deadline, search, a, search_arg_free, &done,
			     why);
	if (done != NULL) {
		a = done;
		if (rc == 0) {
			*out = a->answer;
			memset(&a->answer, 0, sizeof a->answer);
		}
		search_arg_free(a);
	}
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
