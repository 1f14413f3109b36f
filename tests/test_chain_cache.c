/*
 * test_chain_cache.c - the chain-verdict cache of the trust store
 * (trust_cache.c, used by verify_chain.c): a second verification of a
 * path is served from the cache with the same verdict; a certificate that
 * differs from a cached good one by one byte is judged afresh; validity
 * times and CRLs are judged on every message, never cached; threads share
 * one store; the cache is bounded and evicts the least recently used
 * entry of a set.  Messages are those of tests/data/verify (see its
 * README); forged ones are made here from alice.dsig.SHA256.multipart.eml.
 */
#include "smime.h"
#include "tap.h"
#include "verify_fixtures.h"
#include "verify_internal.h"

#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#define ALICE "alice.dsig.SHA256.multipart.eml"

static smime_chain_cache_stats stats(const smime_trust *t)
{
	smime_chain_cache_stats s;

	smime_chain_cache_stats_get(t->chain_cache, &s);
	return s;
}

/* The verdict of the single signer of msg, as rr() writes it, but into
 * buf: rr()'s static buffer would be shared by the verifying threads. */
static const char *judge(const smime_buf *msg, const smime_trust *t, time_t now,
			 char *buf, size_t len)
{
	smime_facts f = {0};
	const smime_sigcheck *c;

	if (analyze_mem(msg, t, now, &f) < 0)
		snprintf(buf, len, "(analysis failed)");
	else if ((c = verdict(&f, 0, 0)) == NULL)
		snprintf(buf, len, "(no verdict)");
	else
		snprintf(buf, len, "%s%s%s", smime_result_name(c->result),
			 c->reason ? "/" : "",
			 c->reason ? smime_reason_name(c->reason) : "");
	smime_facts_free(&f);
	return buf;
}

/* Where Alice's certificate lies in the SignedData der: the one DER
 * certificate in it whose subject names CN=Alice. */
static bool find_alice(const smime_buf *der, size_t *at, size_t *len)
{
	const unsigned char *d = der->data;

	for (size_t i = 0; i + 4 < der->len; i++) {
		gnutls_x509_crt_t crt;
		gnutls_datum_t dn = {NULL, 0}, one;
		bool found = false;

		if (d[i] != 0x30 || d[i + 1] != 0x82)
			continue;
		one.data = (unsigned char *)d + i;
		one.size = 4u + ((unsigned)d[i + 2] << 8 | d[i + 3]);
		if (i + one.size > der->len || gnutls_x509_crt_init(&crt) < 0)
			continue;
		if (gnutls_x509_crt_import(crt, &one, GNUTLS_X509_FMT_DER) ==
			    0 &&
		    gnutls_x509_crt_get_dn2(crt, &dn) == 0)
			found = strstr((char *)dn.data, "CN=Alice") != NULL;
		gnutls_free(dn.data);
		gnutls_x509_crt_deinit(crt);
		if (found) {
			*at = i;
			*len = one.size;
			return true;
		}
	}
	return false;
}

typedef enum forgery {
	FORGE_CERT_SIGNATURE, /* the last byte of the CA's signature */
	FORGE_NOT_AFTER       /* notAfter 2031 made 2032 */
} forgery;

/* Changes one byte of Alice's certificate in the SignedData der. */
static bool forge_der(smime_buf *der, forgery how)
{
	static const char not_after[] = "310126143835Z";
	size_t at, len;
	unsigned char *c;

	if (!find_alice(der, &at, &len))
		return false;
	c = der->data + at;
	if (how == FORGE_CERT_SIGNATURE) {
		c[len - 1] ^= 0x01;
		return true;
	}
	c = memmem(c, len, not_after, strlen(not_after));
	if (c == NULL)
		return false;
	c[1] = '2';
	return true;
}

/*
 * Alice's message with one byte of her certificate changed: same
 * subject, issuer, serial number and key, so the message's own signature
 * still verifies, but the CA's signature over the certificate does not.
 */
static bool forged_alice(forgery how, smime_buf *out)
{
	smime_buf msg = SMIME_BUF_INIT, der = SMIME_BUF_INIT;
	smime_buf b64 = SMIME_BUF_INIT;
	smime_part *root = NULL;
	const smime_part *sig;
	bool done = false;

	if (read_file(ALICE, &msg) < 0 ||
	    smime_mime_parse(msg.data, msg.len, NULL, NULL, &root) < 0 ||
	    root->nchildren != 2)
		goto cleanup;
	sig = &root->children[1];
	if (smime_part_decode(msg.data, sig, &der) < 0 ||
	    !forge_der(&der, how) ||
	    smime_base64_encode(der.data, der.len, 64, &b64) < 0)
		goto cleanup;
	done = smime_buf_append(out, msg.data, sig->body_start) == 0 &&
	       smime_buf_append(out, b64.data, b64.len) == 0 &&
	       smime_buf_append(out, msg.data + sig->end, msg.len - sig->end) ==
		       0;
cleanup:
	smime_mime_free(root);
	smime_buf_free(&msg);
	smime_buf_free(&der);
	smime_buf_free(&b64);
	return done;
}

/* (1) The second verification of a message gives the first one's verdict
 * and takes it from the cache. */
static void test_second_verification_hits(void)
{
	smime_trust *t = load_default("nss-testca.pem", NULL);
	smime_buf msg = SMIME_BUF_INIT;
	smime_chain_cache_stats s;
	char v[128];

	if (!ok(t != NULL && read_file(ALICE, &msg) == 0, "hits: set up"))
		goto cleanup;
	s = stats(t);
	ok(s.hits == 0 && s.misses == 0 && s.entries == 0,
	   "hits: a new store's cache is empty");
	is_str(judge(&msg, t, NOW, v, sizeof(v)), "pass",
	       "hits: Alice's message passes the first time");
	s = stats(t);
	ok(s.hits == 0 && s.misses == 1 && s.inserts == 1 && s.entries == 1,
	   "hits: the first verification misses and stores the verdict "
	   "(hits %llu, misses %llu, entries %zu)",
	   (unsigned long long)s.hits, (unsigned long long)s.misses, s.entries);
	is_str(judge(&msg, t, NOW, v, sizeof(v)), "pass",
	       "hits: and passes the second time");
	s = stats(t);
	ok(s.hits == 1 && s.misses == 1 && s.entries == 1,
	   "hits: the second verification is a cache hit (hits %llu)",
	   (unsigned long long)s.hits);
cleanup:
	smime_buf_free(&msg);
	smime_trust_free(t);
}

/* Content a private key revealed leaves no trace in the cache and takes
 * nothing from it (SPEC 8): a hit or a miss would let the time of one
 * message depend on what another's key revealed. */
static void test_decrypted_not_cached(void)
{
	smime_trust *t = load_default("nss-testca.pem", NULL);
	smime_buf msg = SMIME_BUF_INIT;
	smime_chain_cache_stats s;
	smime_analyze_opts o;
	smime_facts f = {0};
	const smime_sigcheck *c;
	char v[128];

	if (!ok(t != NULL && read_file(ALICE, &msg) == 0, "decrypted: set up"))
		goto cleanup;
	smime_analyze_opts_default(&o);
	o.trust = t;
	o.now = NOW;
	o.decrypted = true;
	c = smime_analyze(msg.data, msg.len, NULL, &o, &f) == 0
		    ? verdict(&f, 0, 0)
		    : NULL;
	s = stats(t);
	ok(c != NULL && c->result == SMIME_RESULT_PASS && s.hits == 0 &&
		   s.misses == 0 && s.entries == 0,
	   "decrypted: Alice's message passes and the cache saw nothing");
	smime_facts_free(&f);
	is_str(judge(&msg, t, NOW, v, sizeof(v)), "pass",
	       "decrypted: the same message as it arrived is cached");
	memset(&f, 0, sizeof(f));
	c = smime_analyze(msg.data, msg.len, NULL, &o, &f) == 0
		    ? verdict(&f, 0, 0)
		    : NULL;
	s = stats(t);
	ok(c != NULL && c->result == SMIME_RESULT_PASS && s.hits == 0 &&
		   s.misses == 1,
	   "decrypted: and as decrypted content it still takes no hit");
	smime_facts_free(&f);
cleanup:
	smime_buf_free(&msg);
	smime_trust_free(t);
}

/* (2) A certificate one byte away from a cached good one is judged on its
 * own: the cache key covers every byte of the path, not names or serial
 * numbers. */
static void test_forged_certificate_not_good(void)
{
	smime_trust *t = load_default("nss-testca.pem", NULL);
	smime_buf msg = SMIME_BUF_INIT, sig = SMIME_BUF_INIT;
	smime_buf when = SMIME_BUF_INIT;
	smime_chain_cache_stats s;
	char v[128];

	if (!ok(t != NULL && read_file(ALICE, &msg) == 0 &&
			forged_alice(FORGE_CERT_SIGNATURE, &sig) &&
			forged_alice(FORGE_NOT_AFTER, &when),
		"forged: set up (two forgeries of Alice's certificate)"))
		goto cleanup;
	is_str(judge(&msg, t, NOW, v, sizeof(v)), "pass",
	       "forged: the genuine certificate passes and is cached");
	is_str(judge(&sig, t, NOW, v, sizeof(v)), "policy/untrusted",
	       "forged: one bit of the CA's signature changed, same names, "
	       "serial and key: untrusted, not the cached pass");
	is_str(judge(&when, t, NOW, v, sizeof(v)), "policy/untrusted",
	       "forged: notAfter moved a year on: untrusted, not the cached "
	       "pass");
	s = stats(t);
	ok(s.hits == 0 && s.misses == 3 && s.entries == 3,
	   "forged: neither forgery found the genuine path's entry (hits "
	   "%llu, misses %llu, entries %zu)",
	   (unsigned long long)s.hits, (unsigned long long)s.misses, s.entries);
	is_str(judge(&msg, t, NOW, v, sizeof(v)), "pass",
	       "forged: the genuine certificate still passes afterwards");
	is_str(judge(&sig, t, NOW, v, sizeof(v)), "policy/untrusted",
	       "forged: the forgery stays untrusted from the cache");
	s = stats(t);
	is_long((long)s.hits, 2, "forged: both of those were cache hits");
cleanup:
	smime_buf_free(&msg);
	smime_buf_free(&sig);
	smime_buf_free(&when);
	smime_trust_free(t);
}

/* (3) Validity is judged at each message's clock, with the chain's
 * verdict from the cache. */
static void test_time_not_cached(void)
{
	smime_trust *t = load_default("nss-testca.pem", NULL);
	smime_buf msg = SMIME_BUF_INIT;
	smime_chain_cache_stats s;
	char v[128];

	if (!ok(t != NULL && read_file(ALICE, &msg) == 0, "time: set up"))
		goto cleanup;
	is_str(judge(&msg, t, NOW, v, sizeof(v)), "pass",
	       "time: valid now, the chain verdict cached");
	is_str(judge(&msg, t, YEAR_2100, v, sizeof(v)), "policy/expired",
	       "time: in 2100 the same path reads expired");
	is_str(judge(&msg, t, YEAR_2100, v, sizeof(v)), "policy/expired",
	       "time: and again");
	is_str(judge(&msg, t, YEAR_2000, v, sizeof(v)), "policy/not-yet-valid",
	       "time: in 2000 it reads not yet valid");
	is_str(judge(&msg, t, NOW, v, sizeof(v)), "pass",
	       "time: and now it passes again");
	s = stats(t);
	ok(s.hits == 4 && s.misses == 1,
	   "time: every verification after the first was a cache hit (hits "
	   "%llu, misses %llu)",
	   (unsigned long long)s.hits, (unsigned long long)s.misses);
cleanup:
	smime_buf_free(&msg);
	smime_trust_free(t);
}

/* (4) Revocation is judged on every message, with the chain's verdict
 * from the cache. */
static void test_crl_not_cached(void)
{
	smime_trust *t = load_default("pkits-ta.crt", "pkits-crls");
	smime_buf revoked = SMIME_BUF_INIT, stale = SMIME_BUF_INIT;
	smime_chain_cache_stats s;
	smime_facts f = {0};
	char v[128];

	if (!ok(t != NULL &&
			read_file("SignedInvalidRevokedEETest3.eml",
				  &revoked) == 0 &&
			read_file("SignedInvalidOldCRLnextUpdateTest11.eml",
				  &stale) == 0,
		"crl: set up"))
		goto cleanup;
	is_str(judge(&revoked, t, NOW, v, sizeof(v)), "policy/revoked",
	       "crl: a certificate on its issuer's CRL is revoked");
	is_str(judge(&revoked, t, NOW, v, sizeof(v)), "policy/revoked",
	       "crl: and still revoked the second time");
	s = stats(t);
	ok(s.hits == 1 && s.misses == 1,
	   "crl: the second time the chain came from the cache (hits %llu)",
	   (unsigned long long)s.hits);
	for (int i = 0; i < 2; i++) {
		analyze_mem(&stale, t, NOW, &f);
		ok(has(verdict(&f, 0, 0), SMIME_REASON_CRL_UNAVAILABLE),
		   "crl: a CRL past its nextUpdate cannot decide, time %d", i);
		smime_facts_free(&f);
	}
	is_long((long)stats(t).hits, 2,
		"crl: the stale CRL's second verification was a hit too");
cleanup:
	smime_buf_free(&revoked);
	smime_buf_free(&stale);
	smime_trust_free(t);
}

/* (5) Threads sharing one store, as libmilter's do.  POSIX threads, as
 * libmilter's are (and ThreadSanitizer, which does not see C11
 * thrd_create in glibc 2.36, can watch them). */
#define THREADS 4
#define ROUNDS 30

typedef struct run {
	const smime_trust *t;
	const smime_buf *genuine, *forged;
	int wrong;
} run;

static void *verify_thread(void *arg)
{
	run *r = arg;
	char v[128];

	for (int i = 0; i < ROUNDS; i++) {
		const smime_buf *m = i % 3 == 1 ? r->forged : r->genuine;
		time_t now = i % 3 == 2 ? YEAR_2100 : NOW;
		const char *want = i % 3 == 0   ? "pass"
				   : i % 3 == 1 ? "policy/untrusted"
						: "policy/expired";

		if (strcmp(judge(m, r->t, now, v, sizeof(v)), want) != 0)
			r->wrong++;
	}
	return NULL;
}

static void test_threads(void)
{
	smime_trust *t = load_default("nss-testca.pem", "pkits-crls");
	smime_buf genuine = SMIME_BUF_INIT, forged = SMIME_BUF_INIT;
	smime_chain_cache_stats s;
	run runs[THREADS];
	pthread_t th[THREADS];
	int started = 0, wrong = 0;

	if (!ok(t != NULL && read_file(ALICE, &genuine) == 0 &&
			forged_alice(FORGE_CERT_SIGNATURE, &forged),
		"threads: set up"))
		goto cleanup;
	for (int i = 0; i < THREADS; i++) {
		runs[i] = (run){t, &genuine, &forged, 0};
		if (pthread_create(&th[i], NULL, verify_thread, &runs[i]) != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		wrong += runs[i].wrong;
	}
	is_long(started, THREADS, "threads: all started");
	is_long(wrong, 0,
		"threads: %d verdicts (pass, forged untrusted, expired) from "
		"%d threads on one store, all right",
		THREADS * ROUNDS, THREADS);
	s = stats(t);
	ok(s.hits + s.misses == (uint64_t)(started * ROUNDS) &&
		   s.entries == 2 && s.misses <= 2 * THREADS,
	   "threads: two paths cached, every lookup counted, at most one "
	   "miss a path a thread (hits %llu, misses %llu)",
	   (unsigned long long)s.hits, (unsigned long long)s.misses);
cleanup:
	smime_buf_free(&genuine);
	smime_buf_free(&forged);
	smime_trust_free(t);
}

/* The key covers the salt of its cache and the flags. */
static void test_key(void)
{
	smime_chain_cache *a = NULL, *b = NULL;
	gnutls_x509_crt_t ca = NULL;
	gnutls_datum_t pem = {NULL, 0};
	unsigned char k1[SMIME_CHAIN_KEY_SIZE], k2[SMIME_CHAIN_KEY_SIZE];
	unsigned char k3[SMIME_CHAIN_KEY_SIZE], k4[SMIME_CHAIN_KEY_SIZE];

	if (!ok(smime_chain_cache_new(&a) == 0 &&
			smime_chain_cache_new(&b) == 0 &&
			gnutls_load_file(path("nss-testca.pem"), &pem) == 0 &&
			gnutls_x509_crt_init(&ca) == 0 &&
			gnutls_x509_crt_import(ca, &pem, GNUTLS_X509_FMT_PEM) ==
				0,
		"key: set up"))
		goto cleanup;
	ok(smime_chain_cache_key(a, 1, &ca, 1, ca, k1) == 0 &&
		   smime_chain_cache_key(a, 1, &ca, 1, ca, k2) == 0 &&
		   memcmp(k1, k2, sizeof(k1)) == 0,
	   "key: the same path and flags give the same key");
	ok(smime_chain_cache_key(a, 2, &ca, 1, ca, k3) == 0 &&
		   memcmp(k1, k3, sizeof(k1)) != 0,
	   "key: other flags give another key");
	ok(smime_chain_cache_key(b, 1, &ca, 1, ca, k4) == 0 &&
		   memcmp(k1, k4, sizeof(k1)) != 0,
	   "key: another store's cache (another salt) gives another key");
	is_long(smime_chain_cache_key(a, 1, &ca, 1, NULL, k1), SMIME_E_ARG,
		"key: a path without an anchor has no key");
cleanup:
	gnutls_x509_crt_deinit(ca);
	gnutls_free(pem.data);
	smime_chain_cache_free(a);
	smime_chain_cache_free(b);
}

static void fill(unsigned char key[SMIME_CHAIN_KEY_SIZE], unsigned n)
{
	memset(key, 0, SMIME_CHAIN_KEY_SIZE);
	for (int i = 0; i < 4; i++)
		key[SMIME_CHAIN_KEY_SIZE - 1 - i] =
			(unsigned char)(n >> (8 * i));
	key[0] = (unsigned char)(n * 37u); /* spread over the sets */
	key[1] = (unsigned char)(n * 101u >> 3);
}

/* The bound, replacement, and full-key comparison. */
static void test_bounded(void)
{
	smime_chain_cache *c = NULL;
	smime_chain_cache_stats s;
	unsigned char k[SMIME_CHAIN_KEY_SIZE],
		same_set[5][SMIME_CHAIN_KEY_SIZE];
	unsigned n = 5 * SMIME_CHAIN_CACHE_SIZE;
	uint32_t got = 99;
	int held = 0;

	if (!ok(smime_chain_cache_new(&c) == 0, "bounded: set up"))
		return;
	for (unsigned i = 0; i < n; i++) {
		fill(k, i);
		smime_chain_cache_put(c, k, i % 2);
	}
	smime_chain_cache_stats_get(c, &s);
	ok(s.entries == SMIME_CHAIN_CACHE_SIZE && s.inserts == n &&
		   s.evictions == n - SMIME_CHAIN_CACHE_SIZE,
	   "bounded: %u keys leave %zu entries (%llu evictions)", n, s.entries,
	   (unsigned long long)s.evictions);
	fill(k, n - 1);
	ok(smime_chain_cache_get(c, k, &got) && got == (n - 1) % 2,
	   "bounded: the last key stored is held with its verdict");
	k[SMIME_CHAIN_KEY_SIZE / 2] ^= 0x80;
	ok(!smime_chain_cache_get(c, k, &got),
	   "bounded: a key that differs in one bit of its middle misses");
	for (unsigned i = n - SMIME_CHAIN_CACHE_SIZE; i < n; i++) {
		fill(k, i);
		held += smime_chain_cache_get(c, k, &got);
	}
	ok(held > 0 && held <= SMIME_CHAIN_CACHE_SIZE,
	   "bounded: %d of the last %d keys are still held", held,
	   SMIME_CHAIN_CACHE_SIZE);

	/* Five keys of one set (the set is chosen by the first two bytes):
	 * the fifth replaces the least recently used. */
	for (int i = 0; i < 5; i++) {
		memset(same_set[i], 0xee, SMIME_CHAIN_KEY_SIZE);
		same_set[i][SMIME_CHAIN_KEY_SIZE - 1] = (unsigned char)i;
	}
	for (int i = 0; i < 4; i++)
		smime_chain_cache_put(c, same_set[i], 0);
	smime_chain_cache_get(c, same_set[0], &got); /* now the newest */
	smime_chain_cache_put(c, same_set[4], 0);
	ok(smime_chain_cache_get(c, same_set[0], &got) &&
		   !smime_chain_cache_get(c, same_set[1], &got) &&
		   smime_chain_cache_get(c, same_set[4], &got),
	   "bounded: a full set replaces its least recently used entry");
	smime_chain_cache_free(c);
}

int main(void)
{
	if (smime_global_init() < 0) {
		printf("Bail out! smime_global_init failed\n");
		return 1;
	}
	test_second_verification_hits();
	test_decrypted_not_cached();
	test_forged_certificate_not_good();
	test_time_not_cached();
	test_crl_not_cached();
	test_threads();
	test_key();
	test_bounded();
	smime_global_deinit();
	return tap_done();
}
