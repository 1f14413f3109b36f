/*
 * certindex.c - finds certificates by the identifiers mail and CMS use.
 *
 * The certificate directory keeps one index, the key store two (its keys,
 * and the subjects of the certificates it holds).  An index is a
 * sorted array of (identifier, item) pairs, where the identifier is a
 * string with a kind prefix ("a:" normalised address, "i:" serial hex
 * and issuer DER hex, "k:" subjectKeyIdentifier hex, and, where the owner
 * asks for it, "s:" subject Name) and item indexes the owner's own
 * array.  Lookups are binary searches followed by a walk over
 * equal keys, driven by a caller-held cursor, so the index is never
 * written after it is sorted and many threads may read it.
 */
#include "keys_internal.h"

#include <stdlib.h>
#include <string.h>

static int add_key(smime_certindex *ix, char *key, size_t item)
{
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 16;
		void *v = realloc(ix->v, cap * sizeof(*ix->v));

		if (v == NULL) {
			free(key);
			return SMIME_E_NOMEM;
		}
		ix->v = v;
		ix->cap = cap;
	}
	ix->v[ix->n].key = key;
	ix->v[ix->n].item = item;
	ix->n++;
	return 0;
}

static int make_key(const char *prefix, const char *a, const char *b,
		    char **out)
{
	smime_buf k = SMIME_BUF_INIT;
	int ret = smime_buf_printf(&k, "%s%s%s%s", prefix, a, b ? ":" : "",
				   b ? b : "");

	if (ret == 0)
		ret = smime_buf_steal(&k, out);
	smime_buf_free(&k);
	return ret;
}

static int iasn_key(const char *serial_hex, const unsigned char *issuer,
		    size_t issuer_len, char **out)
{
	char *hex = NULL;
	int ret = smime_hex_lower(issuer, issuer_len, &hex);

	if (ret == 0)
		ret = make_key("i:", serial_hex, hex, out);
	free(hex);
	return ret;
}

/*
 * The address key is lowercased whole, the local part too: RFC 5321
 * lets a local part be case-sensitive, but no mail system we serve makes
 * "Bob" and "bob" two people, while certificates do carry
 * "Bob@example.com" for mail sent to bob@example.com (NSS's test CA).
 */
static int address_key(const char *addr, char **out)
{
	char *k = NULL;
	int ret;

	*out = NULL;
	if (strchr(addr, '@') == NULL || addr[0] == '@')
		return SMIME_E_PARSE;
	ret = smime_address_key(addr, &k);
	if (ret == 0)
		ret = make_key("a:", k, NULL, out);
	free(k);
	return ret;
}

int smime_certindex_add(smime_certindex *ix, const smime_cert *c, size_t item)
{
	char *key;
	int ret;

	for (size_t i = 0; i < c->naddresses; i++) {
		ret = address_key(c->addresses[i], &key);
		if (ret == 0)
			ret = add_key(ix, key, item);
		if (ret < 0)
			return ret;
	}
	ret = iasn_key(c->serial, c->issuer_der, c->issuer_der_len, &key);
	if (ret == 0)
		ret = add_key(ix, key, item);
	if (ret < 0 || c->ski == NULL)
		return ret;
	ret = make_key("k:", c->ski, NULL, &key);
	return ret == 0 ? add_key(ix, key, item) : ret;
}

/*
 * A Name (RFC 4514, as smime_cert keeps it) as an "s:" key, ASCII
 * lowercased.  GnuTLS takes a certificate as another's issuer when the
 * Names are the same DER or, since 3.6, give the same RFC 4514 string, so
 * this key is never finer than its comparison and the index never misses
 * an issuer; gnutls_x509_crt_check_issuer decides among what it finds.
 */
static int name_key(const char *name, char **out)
{
	int ret = make_key("s:", name, NULL, out);

	for (char *p = ret == 0 ? *out : NULL; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return ret;
}

int smime_certindex_add_subject(smime_certindex *ix, const smime_cert *c,
				size_t item)
{
	char *key = NULL;
	int ret = name_key(c->subject, &key);

	return ret == 0 ? add_key(ix, key, item) : ret;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct smime_certindex_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	/* Equal keys keep the owner's order (its load order). */
	if (c != 0)
		return c;
	return x->item < y->item ? -1 : x->item > y->item;
}

void smime_certindex_sort(smime_certindex *ix)
{
	if (ix->n > 1)
		qsort(ix->v, ix->n, sizeof(*ix->v), entry_cmp);
}

/* The first position whose key is >= key. */
static size_t lower_bound(const smime_certindex *ix, const char *key)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The cursor is the position of the next candidate plus one; 0 means
 * "not started", so callers can start with *pos = 0. */
static long find_key(const smime_certindex *ix, const char *key, size_t *pos)
{
	size_t p = *pos == 0 ? lower_bound(ix, key) : *pos - 1;

	if (p >= ix->n || strcmp(ix->v[p].key, key) != 0) {
		*pos = ix->n + 1;
		return -1;
	}
	*pos = p + 2;
	return (long)ix->v[p].item;
}

long smime_certindex_find_address(const smime_certindex *ix, const char *addr,
				  size_t *pos, int *err)
{
	char *key = NULL;
	long item = -1;
	int rc;

	if (ix == NULL || addr == NULL || pos == NULL)
		return -1;
	rc = address_key(addr, &key);
	if (rc == 0)
		item = find_key(ix, key, pos);
	else if (err != NULL && smime_err_is_resource(rc))
		*err = rc;
	free(key);
	return item;
}

long smime_certindex_find_recipient(const smime_certindex *ix,
				    const smime_recipient *r, size_t *pos)
{
	char *key = NULL;
	long item = -1;
	int ret;

	if (ix == NULL || r == NULL || pos == NULL)
		return -1;
	if (r->type != SMIME_RI_KTRI && r->type != SMIME_RI_KARI)
		return -1;
	if (r->by_ski)
		ret = r->ski ? make_key("k:", r->ski, NULL, &key)
			     : SMIME_E_PARSE;
	else
		ret = r->serial && r->issuer_der
			      ? iasn_key(r->serial, r->issuer_der,
					 r->issuer_der_len, &key)
			      : SMIME_E_PARSE;
	if (ret == 0)
		item = find_key(ix, key, pos);
	free(key);
	return item;
}

long smime_certindex_find_subject(const smime_certindex *ix, const char *name,
				  size_t *pos)
{
	char *key = NULL;
	long item = -1;

	if (ix == NULL || name == NULL || pos == NULL)
		return -1;
	if (name_key(name, &key) == 0)
		item = find_key(ix, key, pos);
	free(key);
	return item;
}

const smime_cert *smime_certindex_find_issuer(const smime_certindex *ix,
					      const smime_cert *const *certs,
					      const smime_cert *c)
{
	size_t pos = 0;
	long i;

	if (c == NULL)
		return NULL;
	while ((i = smime_certindex_find_subject(ix, c->issuer, &pos)) >= 0) {
		const smime_cert *cand = certs[i];

		if (!gnutls_x509_crt_equals(cand->crt, c->crt) &&
		    gnutls_x509_crt_check_issuer(c->crt, cand->crt))
			return cand;
	}
	return NULL;
}

void smime_certindex_free(smime_certindex *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->n; i++)
		free(ix->v[i].key);
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}
