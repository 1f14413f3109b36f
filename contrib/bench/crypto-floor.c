/*
 * crypto-floor.c - the cost of the primitives smime-milter's per-message
 * work is made of, measured on this machine in the same run as the milter
 * (contrib/bench/run), so that the milter's figures can be read as a
 * multiple of what the libraries can do at best:
 *
 *   rsa2048-sign-gnutls    gnutls_privkey_sign_data, PKCS#1 v1.5, SHA-256
 *                          (what `sign` does once a message)
 *   rsa2048-sign-gcrypt    gcry_pk_sign, the same operation in libgcrypt
 *   rsa2048-decrypt-gnutls gnutls_privkey_decrypt_data2, the PKCS#1 v1.5
 *                          unwrap SPEC 8 step 2 fixes (re-encryption
 *                          does one per allowed key length)
 *   rsa2048-verify-gnutls  gnutls_pubkey_verify_data2 (verification does
 *                          one per signature and one per chain link)
 *   aes-256-cbc, rc2-40-cbc (decrypt), des-ede3-cbc, sha256: MB/s
 *
 * Each runs on one thread for about --seconds (default 1) and prints
 *   NAME VALUE UNIT
 * per line (ops/s for the RSA operations, MB/s for the rest).  Usage:
 *   crypto-floor [--seconds S] KEY.pem
 * KEY.pem: an RSA-2048 private key (PKCS#8 or PKCS#1 PEM).
 */
#include <gcrypt.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds = 1.0;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef int (*op_fn)(void *arg);

/* Runs op until `seconds` passed; returns operations a second, or -1
 * when op failed. */
static double rate(op_fn op, void *arg)
{
	double t0 = now(), t;
	long n = 0;

	do {
		for (int i = 0; i < 8; i++, n++)
			if (op(arg) != 0)
				return -1;
		t = now() - t0;
	} while (t < seconds);
	return (double)n / t;
}

static void report(const char *name, double v, const char *unit)
{
	if (v < 0)
		printf("%s failed -\n", name);
	else
		printf("%s %.1f %s\n", name, v, unit);
	fflush(stdout);
}

struct rsa {
	gnutls_privkey_t key;
	gnutls_pubkey_t pub;
	gnutls_datum_t msg, sig, ct;
	gcry_sexp_t gkey, gdata;
};

static int gnutls_sign(void *arg)
{
	struct rsa *r = arg;
	gnutls_datum_t sig;

	if (gnutls_privkey_sign_data(r->key, GNUTLS_DIG_SHA256, 0, &r->msg,
				     &sig) < 0)
		return -1;
	gnutls_free(sig.data);
	return 0;
}

static int gnutls_decrypt(void *arg)
{
	struct rsa *r = arg;
	unsigned char out[32];

	return gnutls_privkey_decrypt_data2(r->key, 0, &r->ct, out,
					    sizeof(out)) < 0
		       ? -1
		       : 0;
}

static int gnutls_verify(void *arg)
{
	struct rsa *r = arg;

	return gnutls_pubkey_verify_data2(r->pub, GNUTLS_SIGN_RSA_SHA256, 0,
					  &r->msg, &r->sig) < 0
		       ? -1
		       : 0;
}

static int gcrypt_sign(void *arg)
{
	struct rsa *r = arg;
	gcry_sexp_t sig = NULL;

	if (gcry_pk_sign(&sig, r->gdata, r->gkey) != 0)
		return -1;
	gcry_sexp_release(sig);
	return 0;
}

/* libgcrypt's private key from the GnuTLS one (the same numbers). */
static int gcrypt_key(struct rsa *r)
{
	gnutls_datum_t m, e, d, p, q, u, e1, e2;
	gcry_mpi_t v[6] = {0};
	gnutls_datum_t *in[6] = {&m, &e, &d, &p, &q, &u};
	unsigned char hash[32] = {1};
	int ret = -1;

	if (gnutls_privkey_export_rsa_raw2(r->key, &m, &e, &d, &p, &q, &u, &e1,
					   &e2, 0) < 0)
		return -1;
	for (int i = 0; i < 6; i++)
		gcry_mpi_scan(&v[i], GCRYMPI_FMT_USG, in[i]->data, in[i]->size,
			      NULL);
	/* libgcrypt wants p < q and u = p^-1 mod q: swap, recompute u. */
	if (gcry_mpi_cmp(v[3], v[4]) > 0) {
		gcry_mpi_t t = v[3];

		v[3] = v[4];
		v[4] = t;
	}
	gcry_mpi_invm(v[5], v[3], v[4]);
	if (gcry_sexp_build(&r->gkey, NULL,
			    "(private-key(rsa(n%m)(e%m)(d%m)(p%m)(q%m)(u%m)))",
			    v[0], v[1], v[2], v[3], v[4], v[5]) == 0 &&
	    gcry_sexp_build(&r->gdata, NULL,
			    "(data(flags pkcs1)(hash sha256 %b))",
			    (int)sizeof(hash), hash) == 0)
		ret = 0;
	for (int i = 0; i < 6; i++) {
		gcry_mpi_release(v[i]);
		gnutls_free(in[i]->data);
	}
	gnutls_free(e1.data);
	gnutls_free(e2.data);
	return ret;
}

struct sym {
	gnutls_cipher_algorithm_t alg;
	gnutls_cipher_hd_t h;
	unsigned char *buf;
	size_t len;
};

static int cipher_run(void *arg)
{
	struct sym *s = arg;

	return gnutls_cipher_decrypt(s->h, s->buf, s->len) < 0 ? -1 : 0;
}

static int hash_run(void *arg)
{
	struct sym *s = arg;
	unsigned char out[32];

	return gnutls_hash_fast(GNUTLS_DIG_SHA256, s->buf, s->len, out) < 0 ? -1
									    : 0;
}

static void symmetric(const char *name, gnutls_cipher_algorithm_t alg)
{
	static unsigned char key[32], iv[16];
	struct sym s = {.alg = alg, .len = 1 << 16};
	gnutls_datum_t k = {key, (unsigned)gnutls_cipher_get_key_size(alg)};
	gnutls_datum_t v = {iv, (unsigned)gnutls_cipher_get_iv_size(alg)};
	double r;

	s.buf = calloc(1, s.len);
	if (alg == GNUTLS_CIPHER_UNKNOWN)
		r = rate(hash_run, &s);
	else if (gnutls_cipher_init(&s.h, alg, &k, &v) < 0)
		r = -1;
	else {
		r = rate(cipher_run, &s);
		gnutls_cipher_deinit(s.h);
	}
	report(name, r < 0 ? r : r * (double)s.len / 1e6, "MB/s");
	free(s.buf);
}

static int load_key(const char *path, struct rsa *r)
{
	gnutls_datum_t pem = {0}, out = {0};
	int ret;

	if (gnutls_load_file(path, &pem) < 0)
		return -1;
	ret = gnutls_privkey_init(&r->key);
	if (ret >= 0)
		ret = gnutls_privkey_import_x509_raw(
			r->key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_free(pem.data);
	if (ret < 0 || gnutls_pubkey_init(&r->pub) < 0 ||
	    gnutls_pubkey_import_privkey(r->pub, r->key, 0, 0) < 0)
		return -1;
	r->msg.data = (unsigned char *)"a message digest stands in here";
	r->msg.size = 32;
	out.data = (unsigned char *)"0123456789abcdef0123456789abcdef";
	out.size = 32;
	if (gnutls_privkey_sign_data(r->key, GNUTLS_DIG_SHA256, 0, &r->msg,
				     &r->sig) < 0 ||
	    gnutls_pubkey_encrypt_data(r->pub, 0, &out, &r->ct) < 0)
		return -1;
	return gcrypt_key(r);
}

int main(int argc, char **argv)
{
	struct rsa r = {0};
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--seconds") == 0) {
		seconds = atof(argv[2]);
		i = 3;
	}
	if (i != argc - 1 || seconds <= 0) {
		fprintf(stderr, "usage: crypto-floor [--seconds S] KEY.pem\n");
		return 2;
	}
	if (!gcry_check_version(GCRYPT_VERSION) || gnutls_global_init() < 0)
		return 1;
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (load_key(argv[i], &r) != 0) {
		fprintf(stderr, "crypto-floor: %s: not a usable RSA key\n",
			argv[i]);
		return 1;
	}
	report("rsa2048-sign-gnutls", rate(gnutls_sign, &r), "ops/s");
	report("rsa2048-sign-gcrypt", rate(gcrypt_sign, &r), "ops/s");
	report("rsa2048-decrypt-gnutls", rate(gnutls_decrypt, &r), "ops/s");
	report("rsa2048-verify-gnutls", rate(gnutls_verify, &r), "ops/s");
	symmetric("aes-256-cbc", GNUTLS_CIPHER_AES_256_CBC);
	symmetric("rc2-40-cbc", GNUTLS_CIPHER_RC2_40_CBC);
	symmetric("des-ede3-cbc", GNUTLS_CIPHER_3DES_CBC);
	symmetric("sha256", GNUTLS_CIPHER_UNKNOWN);
	gnutls_privkey_deinit(r.key);
	gnutls_pubkey_deinit(r.pub);
	gnutls_free(r.sig.data);
	gnutls_free(r.ct.data);
	gcry_sexp_release(r.gkey);
	gcry_sexp_release(r.gdata);
	gnutls_global_deinit();
	return 0;
}
