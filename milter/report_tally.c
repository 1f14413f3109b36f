/*
 * report_tally.c - what `smime-tool report` counts: a message counts when
 * its log line says the first encrypted entity arrived with a weak or
 * legacy content cipher (cipher= with strength=weak or strength=legacy)
 * or a signature was refused as weak (reason=weak-digest or weak-key).
 * Only those words judge it, never action= or new-cipher= (SPEC section
 * 9): a message the gateway encrypted arrived without cipher= and counts
 * nothing, one whose RC2-40 was re-encrypted still counts.
 *
 * Each counted message is added to its sender (the From address), the
 * sender's domain, each reason it counted for (the cipher with its
 * strength, or weak-digest / weak-key), and its mailer (X-Mailer or
 * User-Agent); and to the sender's own ciphers and mailers.  Groups are
 * found through a balanced tree (glibc's tsearch), so no input makes a
 * lookup slow, and sorted most recent first at the end.
 */
#include "report.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

static int part_cmp(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y ? 0 : x == NULL ? -1 : 1;
	return strcmp(x, y);
}

static int key_cmp(const void *x, const void *y)
{
	const report_group *a = x, *b = y;
	int d = 0;

	for (int i = 0; i < 3 && d == 0; i++)
		d = part_cmp(a->k[i], b->k[i]);
	return d;
}

static void seen(report_group *g, const report_line *l)
{
	g->messages++;
	if (!l->timed)
		return;
	if (!g->timed || l->when < g->first)
		g->first = l->when;
	if (!g->timed || l->when > g->last)
		g->last = l->when;
	g->timed = true;
}

static report_group *new_group(const report_group *key)
{
	report_group *g = calloc(1, sizeof(*g));

	for (int i = 0; g != NULL && i < 3; i++)
		if (key->k[i] != NULL &&
		    (g->k[i] = strdup(key->k[i])) == NULL) {
			while (i-- > 0)
				free(g->k[i]);
			free(g);
			g = NULL;
		}
	return g;
}

/* Adds the message to the group of key (a, b, c), made when new (*made
 * says so); the group to *out.  0 or SMIME_E_NOMEM. */
static int add(report_table *t, const char *a, const char *b, const char *c,
	       const report_line *l, report_group **out, bool *made)
{
	report_group probe = {.k = {(char *)a, (char *)b, (char *)c}}, *g;
	void **node;

	if (t->n == t->cap) { /* room first: a group in the tree is listed */
		size_t cap = t->cap ? t->cap * 2 : 16;
		report_group **v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return SMIME_E_NOMEM;
		t->v = v;
		t->cap = cap;
	}
	node = tsearch(&probe, &t->root, key_cmp);
	if (node == NULL)
		return SMIME_E_NOMEM;
	*made = *node == &probe;
	if (*made) {
		if ((g = new_group(&probe)) == NULL) {
			tdelete(&probe, &t->root, key_cmp);
			return SMIME_E_NOMEM;
		}
		*node = g;
		t->v[t->n++] = g;
	}
	g = *node;
	seen(g, l);
	if (out != NULL)
		*out = g;
	return 0;
}

static bool counts_cipher(const report_line *l)
{
	return l->cipher != NULL && l->strength != NULL &&
	       (strcmp(l->strength, "weak") == 0 ||
		strcmp(l->strength, "legacy") == 0);
}

static bool counts_signature(const report_line *l)
{
	return l->reason != NULL && (strcmp(l->reason, "weak-digest") == 0 ||
				     strcmp(l->reason, "weak-key") == 0);
}

/* One reason the message counts: the cipher (with its strength) or the
 * signature's reason word. */
static int add_reason(report *r, const report_line *l, const char *what,
		      const char *strength)
{
	report_group *g;
	bool made, pair;
	int rc = add(&r->ciphers, what, strength, NULL, l, &g, &made);

	if (rc == 0)
		rc = add(&r->sender_ciphers, l->from, what, strength, l, NULL,
			 &pair);
	if (rc == 0 && pair)
		g->senders++;
	return rc;
}

int report_add(report *r, const report_line *l)
{
	const char *domain = l->from ? strrchr(l->from, '@') : NULL;
	report_group *d, *m;
	bool made, pair;
	bool cipher = counts_cipher(l), sig = counts_signature(l);
	int rc;

	r->logged++;
	if (!cipher && !sig)
		return 0;
	r->counted++;
	if (!l->timed)
		r->untimed++;
	if (domain != NULL && *++domain == '\0')
		domain = NULL;
	rc = add(&r->domains, domain, NULL, NULL, l, &d, &made);
	if (rc == 0)
		rc = add(&r->senders, l->from, NULL, NULL, l, NULL, &made);
	if (rc == 0 && made)
		d->senders++;
	if (rc == 0)
		rc = add(&r->mailers, l->mailer, NULL, NULL, l, &m, &made);
	if (rc == 0)
		rc = add(&r->sender_mailers, l->from, l->mailer, NULL, l, NULL,
			 &pair);
	if (rc == 0 && pair)
		m->senders++;
	if (rc == 0 && cipher)
		rc = add_reason(r, l, l->cipher, l->strength);
	if (rc == 0 && sig)
		rc = add_reason(r, l, l->reason, NULL);
	return rc;
}

/* Most recent first: by last seen (groups without a time after the
 * others), then more messages, then the key. */
static int by_recency(const void *x, const void *y)
{
	const report_group *a = *(report_group *const *)x,
			   *b = *(report_group *const *)y;

	if (a->timed != b->timed)
		return a->timed ? -1 : 1;
	if (a->timed && a->last != b->last)
		return a->last > b->last ? -1 : 1;
	if (a->messages != b->messages)
		return a->messages > b->messages ? -1 : 1;
	return key_cmp(a, b);
}

/* By sender, then most recent first. */
static int by_sender(const void *x, const void *y)
{
	const report_group *a = *(report_group *const *)x,
			   *b = *(report_group *const *)y;
	int d = part_cmp(a->k[0], b->k[0]);

	return d != 0 ? d : by_recency(x, y);
}

void report_sort(report *r)
{
	report_table *t[] = {&r->senders, &r->domains, &r->ciphers,
			     &r->mailers};

	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
		if (t[i]->n > 1)
			qsort(t[i]->v, t[i]->n, sizeof(*t[i]->v), by_recency);
	if (r->sender_ciphers.n > 1)
		qsort(r->sender_ciphers.v, r->sender_ciphers.n,
		      sizeof(*r->sender_ciphers.v), by_sender);
	if (r->sender_mailers.n > 1)
		qsort(r->sender_mailers.v, r->sender_mailers.n,
		      sizeof(*r->sender_mailers.v), by_sender);
}

size_t report_pairs_of(const report_table *t, const char *sender, size_t *first)
{
	size_t lo = 0, hi = t->n, end;

	while (lo < hi) { /* the first whose sender is not below */
		size_t mid = lo + (hi - lo) / 2;
		if (part_cmp(t->v[mid]->k[0], sender) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < t->n && part_cmp(t->v[end]->k[0], sender) == 0;
	     end++)
		;
	*first = lo;
	return end - lo;
}

static void nothing(void *p)
{
	(void)p;
}

static void table_free(report_table *t)
{
	tdestroy(t->root, nothing); /* the groups are freed from the list */
	for (size_t i = 0; i < t->n; i++) {
		for (int k = 0; k < 3; k++)
			free(t->v[i]->k[k]);
		free(t->v[i]);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void report_free(report *r)
{
	table_free(&r->senders);
	table_free(&r->domains);
	table_free(&r->ciphers);
	table_free(&r->mailers);
	table_free(&r->sender_ciphers);
	table_free(&r->sender_mailers);
}
