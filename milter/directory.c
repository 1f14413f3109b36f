/*
 * directory.c - the LDAP directory of one configuration (SPEC section 9):
 * the URIs tried in order, the URIs skipped after they failed, the
 * positive and negative caches, and the per-message deadline.
 *
 * For an address: a cached answer younger than its TTL is used without a
 * search (LDAPCacheTTL when it held certificates, LDAPNegativeCacheTTL
 * when it held none).  Otherwise each URI not skipped is searched in
 * turn, each with LDAPTimeout / (number of URIs) of the message's
 * remaining LDAPTimeout; the first that answers gives the answer, which
 * is cached.  A URI that does not answer (timeout, refused connection,
 * TLS or bind failure) is logged and skipped for SKIP_SECONDS, by every
 * message; when no URI answers, the address is unavailable, which is
 * never cached.  All directory work of one message (a milter_dirsession)
 * ends LDAPTimeout after its first search, so a message never waits
 * longer on the directory, however many recipients it has.
 *
 * Promises: thread-safe (one lock around the caches and the skip times,
 * never held during a search); a cached answer is handed out as a copy,
 * its certificates judged again at each use by the lookup; the bind
 * password is read at load from a file group and others cannot read,
 * and wiped when the directory is freed.
 */
#include "directory.h"
#include "metrics.h"

#include <errno.h>
#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#define SKIP_SECONDS 60 /* SPEC 9: a URI that did not answer */
#define CACHE_MAX                                                              \
	100000 /* entries; a full cache drops expired ones, or
			   * all when none has expired */
#define CACHE_BUCKETS 4096

typedef struct cache_entry {
	struct cache_entry *next;
	char *key; /* the address, ASCII-lowercased */
	time_t expires;
	ldap_answer answer;
} cache_entry;

struct milter_directory {
	char **uris;
	size_t nuris;
	time_t *skip_until; /* per URI, monotonic seconds */
	ldap_query q;       /* uri filled per search */
	char *password;
	const char *filter; /* the configuration's LDAPFilter */
	unsigned timeout, ttl, negative_ttl;
	pthread_mutex_t lock;
	cache_entry *buckets[CACHE_BUCKETS];
	size_t ncached;
};

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ------------------------------------------------------------------ */
/* The filter (RFC 4515)                                                */
/* ------------------------------------------------------------------ */

char *milter_ldap_filter(const char *tmpl, const char *addr)
{
	smime_buf b = SMIME_BUF_INIT;
	int rc = 0;

	for (const char *p = tmpl; *p != '\0' && rc == 0; p++) {
		if (p[0] == '%' && p[1] == 's') {
			for (const unsigned char *a = (const void *)addr;
			     *a != '\0' && rc == 0; a++)
				rc = strchr("*()\\", *a) != NULL || *a < 0x21 ||
						     *a > 0x7e
					     ? smime_buf_printf(&b, "\\%02x",
								*a)
					     : smime_buf_putc(&b, (char)*a);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			rc = smime_buf_putc(&b, '%');
			p++;
		} else {
			rc = smime_buf_putc(&b, *p);
		}
	}
	if (rc == 0)
		rc = smime_buf_putc(&b, '\0');
	if (rc < 0) {
		smime_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* ------------------------------------------------------------------ */
/* The caches                                                           */
/* ------------------------------------------------------------------ */

static size_t bucket_of(const char *key)
{
	size_t h = 5381;

	for (const unsigned char *p = (const void *)key; *p != '\0'; p++)
		h = h * 33 + *p;
	return h % CACHE_BUCKETS;
}

static void entry_free(cache_entry *e)
{
	milter_ldap_answer_free(&e->answer);
	free(e->key);
	free(e);
}

static int answer_copy(const ldap_answer *from, ldap_answer *to)
{
	memset(to, 0, sizeof *to);
	if (from->n == 0)
		return 0;
	to->v = calloc(from->n, sizeof *to->v);
	if (to->v == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < from->n; i++) {
		to->v[i] = from->v[i];
		to->v[i].der = malloc(from->v[i].len ? from->v[i].len : 1);
		if (to->v[i].der == NULL) {
			milter_ldap_answer_free(to);
			return SMIME_E_NOMEM;
		}
		memcpy(to->v[i].der, from->v[i].der, from->v[i].len);
		to->n = i + 1;
	}
	return 0;
}

/* Drops the expired entries, or all of them when none has expired.
 * Under the lock. */
static void cache_prune(milter_directory *d, time_t now)
{
	size_t before = d->ncached;

	for (int pass = 0; pass < 2 && d->ncached == before; pass++)
		for (size_t i = 0; i < CACHE_BUCKETS; i++) {
			cache_entry **pp = &d->buckets[i];

			while (*pp != NULL) {
				cache_entry *e = *pp;

				if (pass == 1 || e->expires <= now) {
					*pp = e->next;
					entry_free(e);
					d->ncached--;
				} else {
					pp = &e->next;
				}
			}
		}
}

/* A copy of the cached answer for key: 1 found, 0 not (or expired),
 * SMIME_E_NOMEM. */
static int cache_get(milter_directory *d, const char *key, ldap_answer *out)
{
	time_t now = mono_now();
	int rc = 0;

	pthread_mutex_lock(&d->lock);
	for (cache_entry *e = d->buckets[bucket_of(key)]; e; e = e->next)
		if (strcmp(e->key, key) == 0 && e->expires > now) {
			rc = answer_copy(&e->answer, out);
			rc = rc < 0 ? rc : 1;
			break;
		}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* Forgets what the cache holds for key.  Under the lock. */
static void drop_locked(milter_directory *d, const char *key)
{
	for (cache_entry **pp = &d->buckets[bucket_of(key)]; *pp != NULL;
	     pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0) {
			cache_entry *old = *pp;

			*pp = old->next;
			entry_free(old);
			d->ncached--;
			break;
		}
}

/* Keeps a copy of the answer for key; nothing when its TTL is 0 or
 * memory runs out (the cache only saves searches). */
static void cache_put(milter_directory *d, const char *key,
		      const ldap_answer *a)
{
	unsigned ttl = a->n > 0 ? d->ttl : d->negative_ttl;
	cache_entry *e, **pp;
	time_t now = mono_now();

	if (ttl == 0 || (e = calloc(1, sizeof *e)) == NULL)
		return;
	e->key = strdup(key);
	if (e->key == NULL || answer_copy(a, &e->answer) < 0) {
		entry_free(e);
		return;
	}
	e->expires = now + (time_t)ttl;
	pthread_mutex_lock(&d->lock);
	drop_locked(d, key);
	if (d->ncached >= CACHE_MAX)
		cache_prune(d, now);
	pp = &d->buckets[bucket_of(key)];
	e->next = *pp;
	*pp = e;
	d->ncached++;
	pthread_mutex_unlock(&d->lock);
}

/* ------------------------------------------------------------------ */
/* Finding an address                                                   */
/* ------------------------------------------------------------------ */

/* The certificates and capabilities of an answer into the two lists;
 * values that do not parse are left out. */
static int fill(const ldap_answer *a, smime_found *placed,
		smime_found *harvested)
{
	for (size_t i = 0; i < a->n; i++) {
		const ldap_value *v = &a->v[i];
		smime_found *f = v->harvested ? harvested : placed;
		int rc;

		if (v->smime)
			rc = smime_found_add_smime_cert(f, v->der, v->len,
							"ldap");
		else
			rc = smime_found_add_der(f, v->der, v->len, "ldap");
		if (rc == SMIME_E_NOMEM)
			return rc;
	}
	return 0;
}

/* The end of one URI's turn: its share of LDAPTimeout, within what is
 * left of the message's. */
static struct timespec turn_end(const milter_directory *d,
				const milter_dirsession *s)
{
	struct timespec now, end;
	long long share_ms = (long long)d->timeout * 1000 / (long long)d->nuris;

	clock_gettime(CLOCK_MONOTONIC, &now);
	end.tv_sec = now.tv_sec + (time_t)(share_ms / 1000);
	end.tv_nsec = now.tv_nsec + (long)(share_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	if (end.tv_sec > s->deadline.tv_sec ||
	    (end.tv_sec == s->deadline.tv_sec &&
	     end.tv_nsec > s->deadline.tv_nsec))
		end = s->deadline;
	return end;
}

static bool passed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static bool skipped(milter_directory *d, size_t i)
{
	bool skip;

	pthread_mutex_lock(&d->lock);
	skip = d->skip_until[i] > mono_now();
	pthread_mutex_unlock(&d->lock);
	return skip;
}

static void skip_uri(milter_directory *d, size_t i)
{
	pthread_mutex_lock(&d->lock);
	d->skip_until[i] = mono_now() + SKIP_SECONDS;
	pthread_mutex_unlock(&d->lock);
}

/* One operation on one URI: 0, SMIME_DIR_UNAVAILABLE with *why, or
 * SMIME_E_NOMEM. */
typedef int (*uri_op)(const ldap_query *q, const struct timespec *end,
		      void *ctx, const char **why);

/* Runs op on the URIs in turn, each within its share of what is left of
 * the message's LDAPTimeout, until one answers; a URI that does not is
 * logged and skipped.  0, SMIME_DIR_UNAVAILABLE or SMIME_E_NOMEM. */
static int each_uri(milter_directory *d, milter_dirsession *s, uri_op op,
		    void *ctx)
{
	ldap_query q = d->q;

	if (!s->started) {
		clock_gettime(CLOCK_MONOTONIC, &s->deadline);
		s->deadline.tv_sec += (time_t)d->timeout;
		s->started = true;
	}
	for (size_t i = 0; i < d->nuris && !passed(&s->deadline); i++) {
		struct timespec end;
		const char *why = NULL;
		int rc;

		if (skipped(d, i))
			continue;
		end = turn_end(d, s);
		q.uri = d->uris[i];
		rc = op(&q, &end, ctx, &why);
		if (rc != SMIME_DIR_UNAVAILABLE)
			return rc;
		skip_uri(d, i);
		milter_log(LOG_WARNING, s->qid,
			   "directory %s did not answer (%s); skipped for "
			   "%d seconds",
			   d->uris[i], why, SKIP_SECONDS);
	}
	return SMIME_DIR_UNAVAILABLE;
}

typedef struct search_ctx {
	const char *filter;
	ldap_answer *answer;
} search_ctx;

static int search_op(const ldap_query *q, const struct timespec *end, void *ctx,
		     const char **why)
{
	search_ctx *c = ctx;

	return milter_ldap_search(q, c->filter, end, c->answer, why);
}

typedef struct store_ctx {
	const ldap_store_req *req;
	bool stored;
} store_ctx;

static int store_op(const ldap_query *q, const struct timespec *end, void *ctx,
		    const char **why)
{
	store_ctx *c = ctx;

	return milter_ldap_store(q, end, c->req, &c->stored, why);
}

int milter_directory_find(void *arg, const char *addr, smime_found *placed,
			  smime_found *harvested)
{
	milter_dirsession *s = arg;
	milter_directory *d = s->dir;
	ldap_answer a = {NULL, 0};
	char *key = NULL, *filter = NULL;
	int rc;

	/* mail is an IA5String: a U-label domain is searched as A-labels,
	 * and the cache holds one entry for both forms */
	if (smime_address_key(addr, &key) < 0)
		return SMIME_E_NOMEM;
	addr = key;
	rc = cache_get(d, key, &a);
	if (rc == 0) {
		search_ctx c = {NULL, &a};

		filter = milter_ldap_filter(d->filter, addr);
		c.filter = filter;
		rc = filter == NULL ? SMIME_E_NOMEM
				    : each_uri(d, s, search_op, &c);
		if (rc == 0)
			cache_put(d, key, &a);
		milter_metrics_ldap(rc != 0   ? MILTER_LDAP_ERROR
				    : a.n > 0 ? MILTER_LDAP_FOUND
					      : MILTER_LDAP_NOT_FOUND);
	} else if (rc == 1) {
		milter_metrics_ldap(MILTER_LDAP_CACHED);
		rc = 0;
	}
	if (rc == 0)
		rc = fill(&a, placed, harvested);
	milter_ldap_answer_free(&a);
	free(filter);
	free(key);
	return rc < 0    ? rc
	       : rc == 0 ? SMIME_DIR_ANSWERED
			 : SMIME_DIR_UNAVAILABLE;
}

smime_lookup_ctx milter_lookup_ctx(const milter_config *cfg,
				   milter_dirsession *s, time_t now)
{
	smime_lookup_ctx ctx = {.trust = cfg->trust,
				.keys = cfg->keystore,
				.certdir = cfg->certdir,
				.now = now,
				.directory = cfg->directory != NULL
						     ? milter_directory_find
						     : NULL,
				.directory_arg = s,
				.harvest_dir = cfg->harvest_certificates
						       ? cfg->harvest_directory
						       : NULL};

	return ctx;
}

/* Forgets what the cache holds for key. */
static void cache_drop(milter_directory *d, const char *key)
{
	pthread_mutex_lock(&d->lock);
	drop_locked(d, key);
	pthread_mutex_unlock(&d->lock);
}

int milter_directory_store(milter_dirsession *s, const ldap_store_req *r,
			   bool *stored)
{
	milter_directory *d = s->dir;
	store_ctx c = {r, false};
	char *key = NULL;
	int rc;

	*stored = false;
	if (d == NULL || d->q.harvest_base == NULL)
		return SMIME_E_ARG;
	rc = each_uri(d, s, store_op, &c);
	*stored = rc == 0 && c.stored;
	if (*stored && smime_address_key(r->addr, &key) == 0) {
		cache_drop(d, key); /* the next message sees it */
		free(key);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                           */
/* ------------------------------------------------------------------ */

/* The first line of the bind password file, refused when group or
 * others may read it. */
static int read_password(const char *file, char **out, smime_buf *diags)
{
	char *line = NULL;
	size_t cap = 0;
	struct stat st;
	ssize_t n;
	FILE *fp = fopen(file, "r");

	*out = NULL;
	if (fp == NULL || fstat(fileno(fp), &st) != 0) {
		smime_buf_printf(diags, "%s: LDAPBindPasswordFile: %s\n", file,
				 strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return SMIME_REPORTED;
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		fclose(fp);
		smime_buf_printf(diags,
				 "%s: LDAPBindPasswordFile: group or others "
				 "may read it (mode %04o); chmod 0600 it\n",
				 file, (unsigned)(st.st_mode & 07777));
		return SMIME_REPORTED;
	}
	n = getline(&line, &cap, fp);
	fclose(fp);
	if (n < 0) {
		free(line);
		line = strdup("");
		if (line == NULL)
			return SMIME_E_NOMEM;
		n = 0;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	*out = line;
	return 0;
}

/* The blank-separated URIs, each one libldap can parse. */
static int split_uris(milter_directory *d, const char *text, const char *file,
		      smime_buf *diags)
{
	char *copy = strdup(text), *save = NULL;

	if (copy == NULL)
		return SMIME_E_NOMEM;
	for (char *u = strtok_r(copy, " \t", &save); u != NULL;
	     u = strtok_r(NULL, " \t", &save)) {
		LDAPURLDesc *ludp = NULL;
		char **v;

		if (ldap_url_parse(u, &ludp) != LDAP_URL_SUCCESS) {
			smime_buf_printf(diags,
					 "%s: LDAPURI: '%s' is not an LDAP "
					 "URI\n",
					 file, u);
			free(copy);
			return SMIME_REPORTED;
		}
		ldap_free_urldesc(ludp);
		v = realloc(d->uris, (d->nuris + 1) * sizeof *v);
		if (v == NULL || (v[d->nuris] = strdup(u)) == NULL) {
			if (v != NULL)
				d->uris = v;
			free(copy);
			return SMIME_E_NOMEM;
		}
		d->uris = v;
		d->nuris++;
	}
	free(copy);
	d->skip_until = calloc(d->nuris ? d->nuris : 1, sizeof(time_t));
	return d->skip_until != NULL ? 0 : SMIME_E_NOMEM;
}

int milter_directory_new(const milter_config *cfg, milter_directory **out,
			 smime_buf *diags)
{
	const char *file = cfg->file ? cfg->file : "config";
	milter_directory *d;
	int rc;

	*out = NULL;
	if (cfg->ldap_uri == NULL)
		return 0;
	if (cfg->ldap_base == NULL) {
		smime_buf_printf(diags, "%s: LDAPURI needs LDAPBase\n", file);
		return SMIME_REPORTED;
	}
	d = calloc(1, sizeof *d);
	if (d == NULL)
		return SMIME_E_NOMEM;
	pthread_mutex_init(&d->lock, NULL);
	rc = split_uris(d, cfg->ldap_uri, file, diags);
	if (rc == 0 && cfg->ldap_bind_password_file != NULL)
		rc = read_password(cfg->ldap_bind_password_file, &d->password,
				   diags);
	if (rc != 0) {
		milter_directory_free(d);
		return milter_cfg_reported(rc);
	}
	d->q.starttls = cfg->ldap_starttls;
	d->q.cafile = cfg->ldap_ca_file;
	d->q.binddn = cfg->ldap_bind_dn;
	d->q.password = cfg->ldap_bind_dn != NULL ? d->password : NULL;
	d->q.base = cfg->ldap_base;
	d->q.harvest_base = cfg->ldap_harvest_base;
	d->filter = cfg->ldap_filter;
	d->timeout = cfg->ldap_timeout;
	d->ttl = cfg->ldap_cache_ttl;
	d->negative_ttl = cfg->ldap_negative_cache_ttl;
	*out = d;
	return 0;
}

void milter_directory_free(milter_directory *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < CACHE_BUCKETS; i++)
		while (d->buckets[i] != NULL) {
			cache_entry *e = d->buckets[i];

			d->buckets[i] = e->next;
			entry_free(e);
		}
	for (size_t i = 0; i < d->nuris; i++)
		free(d->uris[i]);
	free(d->uris);
	free(d->skip_until);
	if (d->password != NULL) {
		explicit_bzero(d->password, strlen(d->password));
		free(d->password);
	}
	pthread_mutex_destroy(&d->lock);
	free(d);
}
