/*
 * trust_cache.c - the chain-verdict cache of a trust store (issue 19):
 * mail from one correspondent comes again and again with the same
 * certificate path, and GnuTLS's judgement of that path
 * (gnutls_x509_trust_list_verify_crt2, about 1 M instructions of the
 * 3.5 M a verified message cost the milter: contrib/bench/RESULTS.md)
 * comes out the same every time.
 *
 * What is cached: the reason bits check_path() in verify_chain.c derives
 * from that judgement (0, WEAK_DIGEST or UNTRUSTED), for one path to an
 * anchor.  The verdict is a pure function of (the path's certificates,
 * the trust list, the verification flags):
 * - GnuTLS runs with GNUTLS_VERIFY_DISABLE_TIME_CHECKS and
 *   GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS (trust.c), so its clock is
 *   never consulted;
 * - the GnuTLS trust list holds the anchors only: the CRLs are kept
 *   beside it in the store (trust.c), so GnuTLS checks no revocation;
 *   nothing but smime_trust_load adds to the list, no PKCS #11 trust
 *   module, no named certificates, no blacklist;
 * - no hostname, e-mail or key purpose is passed;
 * - which algorithms GnuTLS calls insecure is its process-wide
 *   configuration, read once when the library starts.
 * The store is never changed after smime_trust_load; a reload builds a
 * new store (milter/main.c reload(), milter/config_trust.c) and the old
 * one, with its cache, is freed when the last message using it is done.
 * A verdict of one store is never seen by another.
 *
 * What is not cached, and why: validity times (now, and the signer's
 * signingTime: they depend on the caller's clock and on `--at`), CRLs
 * (their freshness depends on the clock too), key usage, key size, the
 * digests of the path against WeakDigests and the From/Sender address:
 * verify_chain.c checks all of them on every message, after this lookup.
 * A GnuTLS failure (r < 0, such as memory) is not a verdict and is not
 * cached; nor is a path without an anchor, which is untrusted at once.
 *
 * The key: SHA-256 over a random 32-byte salt of the cache, the flags,
 * the number of certificates, then every certificate of the path as GnuTLS
 * holds it (the signer, the pool certificates in path order, the anchor),
 * each as its length and its full DER.  The length-prefixed encoding is
 * unambiguous, so two paths that differ in any byte of any certificate
 * (another key, a changed name, a tampered signature, the same issuer and
 * serial number) share a key only by a SHA-256 collision; lookups compare
 * all 32 bytes.  The salt keeps a sender from predicting which set a path
 * lands in, so a flood of crafted paths cannot aim at one set's entries.
 *
 * Bounds: SMIME_CHAIN_CACHE_SIZE entries in sets of CACHE_WAYS; a new
 * entry replaces the least recently used one of its set.  Memory is
 * fixed at load time (48 bytes an entry, 48 KB a store): a sender can
 * only evict, never grow it.
 *
 * Threads: one mutex, held for the lookup or the insert only, never while
 * hashing or while GnuTLS verifies.  Two threads that miss on the same
 * path both verify it and store the same verdict.
 */
#include "verify_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_WAYS 4
#define CACHE_SETS (SMIME_CHAIN_CACHE_SIZE / CACHE_WAYS)

typedef struct cache_entry {
	unsigned char key[SMIME_CHAIN_KEY_SIZE];
	uint32_t verdict;
	uint64_t used; /* 0: empty; else when last looked up or stored */
} cache_entry;

struct smime_chain_cache {
	pthread_mutex_t lock;
	unsigned char salt[32]; /* written once, before any thread sees it */
	uint64_t clock;         /* the "used" stamp of the next touch */
	smime_chain_cache_stats stats;
	cache_entry set[CACHE_SETS][CACHE_WAYS];
};

int smime_chain_cache_new(smime_chain_cache **out)
{
	smime_chain_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return SMIME_E_NOMEM;
	if (gnutls_rnd(GNUTLS_RND_NONCE, c->salt, sizeof(c->salt)) < 0 ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return SMIME_E_NOMEM;
	}
	*out = c;
	return 0;
}

void smime_chain_cache_free(smime_chain_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int hash_u32(gnutls_hash_hd_t h, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24),
			      (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			      (unsigned char)v};

	return gnutls_hash(h, b, sizeof(b));
}

static int hash_crt(gnutls_hash_hd_t h, gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = {NULL, 0};
	int r;

	/* An unmodified certificate exports the very bytes it was imported
	 * from, the ones GnuTLS verifies signatures over. */
	r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
	if (r >= 0)
		r = hash_u32(h, der.size);
	if (r >= 0)
		r = gnutls_hash(h, der.data, der.size);
	gnutls_free(der.data);
	return r;
}

int smime_chain_cache_key(const smime_chain_cache *c, unsigned vflags,
			  const gnutls_x509_crt_t *v, size_t n,
			  gnutls_x509_crt_t anchor,
			  unsigned char key[SMIME_CHAIN_KEY_SIZE])
{
	gnutls_hash_hd_t h;
	int r;

	if (c == NULL || anchor == NULL || n == 0 || n > UINT32_MAX)
		return SMIME_E_ARG;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return SMIME_E_NOMEM;
	r = gnutls_hash(h, c->salt, sizeof(c->salt));
	if (r >= 0)
		r = hash_u32(h, vflags);
	if (r >= 0)
		r = hash_u32(h, (uint32_t)n);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = hash_crt(h, v[i]);
	if (r >= 0)
		r = hash_crt(h, anchor);
	gnutls_hash_deinit(h, key);
	return r < 0 ? SMIME_E_NOMEM : 0;
}

static cache_entry *set_of(smime_chain_cache *c,
			   const unsigned char key[SMIME_CHAIN_KEY_SIZE])
{
	size_t i = ((size_t)key[0] << 8 | key[1]) % CACHE_SETS;

	return c->set[i];
}

static cache_entry *find(cache_entry *set,
			 const unsigned char key[SMIME_CHAIN_KEY_SIZE])
{
	for (size_t w = 0; w < CACHE_WAYS; w++)
		if (set[w].used != 0 &&
		    memcmp(set[w].key, key, SMIME_CHAIN_KEY_SIZE) == 0)
			return &set[w];
	return NULL;
}

bool smime_chain_cache_get(smime_chain_cache *c,
			   const unsigned char key[SMIME_CHAIN_KEY_SIZE],
			   uint32_t *verdict)
{
	cache_entry *e;

	if (c == NULL)
		return false;
	pthread_mutex_lock(&c->lock);
	e = find(set_of(c, key), key);
	if (e != NULL) {
		e->used = ++c->clock;
		*verdict = e->verdict;
		c->stats.hits++;
	} else {
		c->stats.misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return e != NULL;
}

/* The way a new key takes: an empty one, else the least recently used. */
static cache_entry *victim(cache_entry *set)
{
	cache_entry *v = &set[0];

	for (size_t w = 0; w < CACHE_WAYS; w++) {
		if (set[w].used == 0)
			return &set[w];
		if (set[w].used < v->used)
			v = &set[w];
	}
	return v;
}

void smime_chain_cache_put(smime_chain_cache *c,
			   const unsigned char key[SMIME_CHAIN_KEY_SIZE],
			   uint32_t verdict)
{
	cache_entry *set, *e;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	set = set_of(c, key);
	e = find(set, key); /* another thread verified it meanwhile */
	if (e == NULL) {
		e = victim(set);
		if (e->used != 0)
			c->stats.evictions++;
		else
			c->stats.entries++;
		memcpy(e->key, key, SMIME_CHAIN_KEY_SIZE);
		c->stats.inserts++;
	}
	e->verdict = verdict;
	e->used = ++c->clock;
	pthread_mutex_unlock(&c->lock);
}

void smime_chain_cache_stats_get(smime_chain_cache *c,
				 smime_chain_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
