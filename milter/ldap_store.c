/*
 * ldap_store.c - a harvested signer written to the directory (SPEC
 * section 9, HarvestToLDAP), as the work of an LDAP job (ldap_job.c,
 * which bounds it by the deadline).
 *
 * The entry is mail=ADDRESS,LDAPHarvestBase (ADDRESS escaped as RFC 4514
 * says), objectClass inetOrgPerson, cn and sn the address, the
 * certificates in userCertificate;binary and the signer's published
 * SignedData (publish.c) in userSMIMECertificate.  It merges as a
 * harvest file does: a certificate with a later notBefore than every one
 * kept is added (the oldest dropped beyond four) and brings its
 * capabilities; the same certificate again updates the capabilities only
 * with a later signingTime (a signature without one never updates);
 * anything else changes nothing.  The entry is read and written in one
 * conversation; two gateways harvesting one address at once may both
 * write, the later write winning, which loses nothing a later message
 * does not bring back.
 *
 * Promises: milter_ldap_store returns 0 with *stored set,
 * SMIME_DIR_UNAVAILABLE (the server did not answer) or MILTER_DIR_REFUSED
 * (it refused) with *why a static word, or SMIME_E_NOMEM.
 */
#include "ldap_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEEP_CERTS 4 /* SPEC 9: an entry keeps up to four certificates */

typedef struct store_arg {
	char *dn;
	char *addr;
	smime_buf cert;  /* DER */
	smime_buf value; /* userSMIMECertificate */
	bool has_signing_time;
	time_t signing_time;
	bool stored;
} store_arg;

static void store_arg_free(void *p)
{
	store_arg *a = p;

	free(a->dn);
	free(a->addr);
	smime_buf_free(&a->cert);
	smime_buf_free(&a->value);
	free(a);
}

char *milter_dn_value(const char *value)
{
	smime_buf b = SMIME_BUF_INIT;
	size_t n = strlen(value);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f)
			rc = smime_buf_printf(&b, "\\%02x", c);
		else if (strchr(",+\"\\<>;=", c) != NULL ||
			 (i == 0 && (c == '#' || c == ' ')) ||
			 (i == n - 1 && c == ' '))
			rc = smime_buf_printf(&b, "\\%c", c);
		else
			rc = smime_buf_putc(&b, (char)c);
	}
	if (rc == 0)
		rc = smime_buf_putc(&b, '\0');
	if (rc < 0) {
		smime_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* A failed read or write: the connection failing is the directory not
 * answering (the URI is skipped); the server refusing (no access, no
 * such base, a schema violation) is MILTER_DIR_REFUSED, which changes
 * nothing for lookups. */
static int refused(int ldap_rc, const char *word, const char **why)
{
	if (ldap_rc == LDAP_SERVER_DOWN || ldap_rc == LDAP_TIMEOUT ||
	    ldap_rc == LDAP_CONNECT_ERROR ||
	    ldap_rc == LDAP_TIMELIMIT_EXCEEDED) {
		*why = "connection-lost";
		return SMIME_DIR_UNAVAILABLE;
	}
	*why = word;
	return MILTER_DIR_REFUSED;
}

/* What the entry holds now. */
typedef struct existing {
	bool present;
	smime_found certs;     /* userCertificate;binary, parsed */
	struct berval **raw;   /* the same values, as stored */
	smime_found published; /* userSMIMECertificate: caps_time */
} existing;

static void existing_free(existing *e)
{
	smime_found_clear(&e->certs);
	smime_found_clear(&e->published);
	ldap_value_free_len(e->raw);
}

static int read_existing(LDAP *ld, const store_arg *a,
			 const struct timeval *budget, existing *e,
			 const char **why)
{
	char *attrs[] = {"userCertificate;binary", "userSMIMECertificate",
			 NULL};
	struct timeval tv = *budget;
	LDAPMessage *res = NULL, *entry;
	struct berval **pub;
	int rc =
		ldap_search_ext_s(ld, a->dn, LDAP_SCOPE_BASE, "(objectClass=*)",
				  attrs, 0, NULL, NULL, &tv, 1, &res);

	memset(e, 0, sizeof *e);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return 0;
	}
	if (rc != LDAP_SUCCESS || (entry = ldap_first_entry(ld, res)) == NULL) {
		ldap_msgfree(res);
		return refused(rc, "read-refused", why);
	}
	e->present = true;
	e->raw = ldap_get_values_len(ld, entry, "userCertificate;binary");
	for (size_t i = 0; e->raw != NULL && e->raw[i] != NULL && rc == 0; i++)
		rc = smime_found_add_der(&e->certs,
					 (const void *)e->raw[i]->bv_val,
					 e->raw[i]->bv_len, "ldap");
	pub = ldap_get_values_len(ld, entry, "userSMIMECertificate");
	for (size_t i = 0; pub != NULL && pub[i] != NULL && rc >= 0; i++)
		rc = smime_found_add_smime_cert(&e->published,
						(const void *)pub[i]->bv_val,
						pub[i]->bv_len, "ldap");
	ldap_value_free_len(pub);
	ldap_msgfree(res);
	return rc == SMIME_E_NOMEM ? rc : 0;
}

static LDAPMod *mod(int op, const char *type, struct berval **vals)
{
	LDAPMod *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->mod_op = op | LDAP_MOD_BVALUES;
	m->mod_type = (char *)type;
	m->mod_bvalues = vals;
	return m;
}

/* A new entry. */
static int add_entry(LDAP *ld, store_arg *a)
{
	struct berval oc = {13, "inetOrgPerson"};
	struct berval name = {strlen(a->addr), a->addr};
	struct berval cert = {a->cert.len, (char *)a->cert.data};
	struct berval value = {a->value.len, (char *)a->value.data};
	struct berval *ocv[] = {&oc, NULL}, *namev[] = {&name, NULL};
	struct berval *certv[] = {&cert, NULL}, *valuev[] = {&value, NULL};
	LDAPMod *mods[7] = {NULL};
	int rc = LDAP_NO_MEMORY;

	mods[0] = mod(LDAP_MOD_ADD, "objectClass", ocv);
	mods[1] = mod(LDAP_MOD_ADD, "mail", namev);
	mods[2] = mod(LDAP_MOD_ADD, "cn", namev);
	mods[3] = mod(LDAP_MOD_ADD, "sn", namev);
	mods[4] = mod(LDAP_MOD_ADD, "userCertificate;binary", certv);
	mods[5] = mod(LDAP_MOD_ADD, "userSMIMECertificate", valuev);
	if (mods[0] && mods[1] && mods[2] && mods[3] && mods[4] && mods[5])
		rc = ldap_add_ext_s(ld, a->dn, mods, NULL, NULL);
	for (int i = 0; i < 6; i++)
		free(mods[i]);
	return rc;
}

/* Adds the certificate (dropping the oldest beyond KEEP_CERTS) and/or
 * replaces the published value. */
static int modify_entry(LDAP *ld, store_arg *a, const existing *e,
			bool add_cert)
{
	struct berval cert = {a->cert.len, (char *)a->cert.data};
	struct berval value = {a->value.len, (char *)a->value.data};
	struct berval *certv[] = {&cert, NULL}, *valuev[] = {&value, NULL};
	struct berval *oldv[] = {NULL, NULL};
	LDAPMod *mods[4] = {NULL};
	size_t n = 0, oldest = 0;
	int rc;

	size_t nraw = 0;

	while (e->raw != NULL && e->raw[nraw] != NULL)
		nraw++;
	/* (raw and parsed values line up unless one did not parse; then
	 * nothing is dropped) */
	if (add_cert && e->certs.ncerts >= KEEP_CERTS &&
	    nraw == e->certs.ncerts) {
		for (size_t i = 1; i < e->certs.ncerts; i++)
			if (smime_cert_get_info(e->certs.certs[i])->not_before <
			    smime_cert_get_info(e->certs.certs[oldest])
				    ->not_before)
				oldest = i;
		oldv[0] = e->raw[oldest];
		mods[n++] =
			mod(LDAP_MOD_DELETE, "userCertificate;binary", oldv);
	}
	if (add_cert)
		mods[n++] = mod(LDAP_MOD_ADD, "userCertificate;binary", certv);
	mods[n++] = mod(LDAP_MOD_REPLACE, "userSMIMECertificate", valuev);
	rc = LDAP_NO_MEMORY;
	if (mods[n - 1] != NULL && (n < 2 || mods[n - 2] != NULL) &&
	    (n < 3 || mods[0] != NULL))
		rc = ldap_modify_ext_s(ld, a->dn, mods, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(mods[i]);
	return rc;
}

/* The merge: -1 nothing to do, 0 replace the value, 1 add the
 * certificate too. */
static int decide(const store_arg *a, const existing *e)
{
	smime_found mine = {0};
	time_t nb, newest = 0;
	int what = -1;

	if (smime_found_add_der(&mine, a->cert.data, a->cert.len, "new") < 0)
		return -1;
	nb = smime_cert_get_info(mine.certs[0])->not_before;
	for (size_t i = 0; i < e->certs.ncerts; i++) {
		const unsigned char *der;
		size_t len;

		smime_cert_der(e->certs.certs[i], &der, &len);
		if (len == a->cert.len && memcmp(der, a->cert.data, len) == 0) {
			/* the same certificate: newer capabilities only */
			what = a->has_signing_time &&
					       a->signing_time >
						       e->published.caps_time
				       ? 0
				       : -1;
			smime_found_clear(&mine);
			return what;
		}
		if (smime_cert_get_info(e->certs.certs[i])->not_before > newest)
			newest = smime_cert_get_info(e->certs.certs[i])
					 ->not_before;
	}
	smime_found_clear(&mine);
	return nb > newest ? 1 : -1;
}

static int store(LDAP *ld, void *arg, const struct timeval *budget,
		 const char **why)
{
	store_arg *a = arg;
	existing e;
	int rc = read_existing(ld, a, budget, &e, why), what;

	if (rc != 0) {
		existing_free(&e);
		return rc;
	}
	if (!e.present) {
		rc = add_entry(ld, a);
	} else {
		what = decide(a, &e);
		rc = what < 0 ? LDAP_SUCCESS
			      : modify_entry(ld, a, &e, what > 0);
		a->stored = what >= 0;
	}
	if (!e.present)
		a->stored = rc == LDAP_SUCCESS;
	existing_free(&e);
	if (rc == LDAP_NO_MEMORY)
		return SMIME_E_NOMEM;
	return rc == LDAP_SUCCESS ? 0 : refused(rc, "write-refused", why);
}

/* The job's copy of the request, with the entry's DN. */
static store_arg *store_arg_new(const ldap_query *q, const ldap_store_req *r)
{
	store_arg *a = calloc(1, sizeof *a);
	char *esc = milter_dn_value(r->addr);
	size_t n;

	if (a == NULL || esc == NULL)
		goto fail;
	n = strlen(esc) + strlen(q->harvest_base) + 7;
	a->dn = malloc(n);
	a->addr = strdup(r->addr);
	if (a->dn == NULL || a->addr == NULL ||
	    smime_buf_append(&a->cert, r->cert, r->cert_len) < 0 ||
	    smime_buf_append(&a->value, r->value, r->value_len) < 0)
		goto fail;
	snprintf(a->dn, n, "mail=%s,%s", esc, q->harvest_base);
	a->has_signing_time = r->has_signing_time;
	a->signing_time = r->signing_time;
	free(esc);
	return a;
fail:
	free(esc);
	if (a != NULL)
		store_arg_free(a);
	return NULL;
}

int milter_ldap_store(const ldap_query *q, const struct timespec *deadline,
		      const ldap_store_req *r, bool *stored, const char **why)
{
	store_arg *a;
	void *done = NULL;
	int rc;

	*stored = false;
	*why = "out-of-memory";
	if (q->harvest_base == NULL)
		return SMIME_E_ARG;
	a = store_arg_new(q, r);
	if (a == NULL)
		return SMIME_E_NOMEM;
	rc = milter_ldap_run(q, deadline, store, a, store_arg_free, &done, why);
	if (done != NULL) {
		*stored = rc == 0 && ((store_arg *)done)->stored;
		store_arg_free(done);
	}
	return rc;
}
