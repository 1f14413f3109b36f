/*
 * trust.c - the trust store: the anchors of TrustAnchorFile, the CRLs of
 * CRLFile, and the algorithm policy of WeakDigests and MinRSABits, built
 * once when the configuration is loaded.
 *
 * Promises: a store that loaded is complete (every file named was read
 * and every CRL in it parsed; a problem fails the load with a "PATH:
 * message" diagnostic, so a reload that fails keeps the old store); after
 * smime_trust_load returns, nothing in the store is ever written again, so
 * verifying threads share it without locks (the one exception, the
 * chain-verdict cache the store owns, has its own lock and dies with the
 * store: trust_cache.c).  That is also why the CRLs
 * are kept here rather than in the GnuTLS trust list: GnuTLS checks CRL
 * freshness against the wall clock, and `smime-tool process --at` needs
 * the caller's clock (verify_chain.c does revocation with it).
 *
 * The GnuTLS verification flags are derived here: GNUTLS_VERIFY_ALLOW_BROKEN
 * and GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 are always set, so MD5 and SHA-1
 * never make GnuTLS reject a signature or chain on its own; whether they
 * are acceptable is decided by WeakDigests (policy weak-digest), which is
 * what the operator configured.  Time checks are always off in GnuTLS and
 * done by us with the caller's clock.  Recipient certificates for
 * outbound re-encryption are judged against the same anchors, with flags
 * of their own (trust_recipient.c says which and why).
 */
#include "internal.h"
#include "verify_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A CRL directory is read by name; more entries than this is a mistake. */
#define MAX_CRL_FILES 100000

static void diag(smime_buf *diags, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag(smime_buf *diags, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (diags == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)smime_buf_printf(diags, "%s: %s\n", path, msg);
}

static int gnutls_to_smime(int r)
{
	return r == GNUTLS_E_MEMORY_ERROR ? SMIME_E_NOMEM : SMIME_E_PARSE;
}

static const struct {
	const char *name;
	gnutls_digest_algorithm_t dig;
} digest_names[] = {
	{"md5", GNUTLS_DIG_MD5},       {"sha1", GNUTLS_DIG_SHA1},
	{"sha224", GNUTLS_DIG_SHA224}, {"sha256", GNUTLS_DIG_SHA256},
	{"sha384", GNUTLS_DIG_SHA384}, {"sha512", GNUTLS_DIG_SHA512},
};

static int set_weak_digests(smime_trust *t, const smime_trust_config *cfg,
			    smime_buf *diags)
{
	for (size_t i = 0; i < cfg->nweak_digests; i++) {
		const char *w = cfg->weak_digests[i];
		bool found = false;

		for (size_t j = 0;
		     w != NULL &&
		     j < sizeof(digest_names) / sizeof(digest_names[0]);
		     j++) {
			if (smime_ascii_casecmp(w, digest_names[j].name) == 0) {
				t->weak_digests |=
					SMIME_DIGEST_BIT(digest_names[j].dig);
				found = true;
			}
		}
		if (!found) {
			diag(diags, "WeakDigests", "unknown digest \"%s\"",
			     w ? w : "");
			return SMIME_E_ARG;
		}
	}
	return 0;
}

/* Reads a file of certificates: PEM (one or more), else one DER. */
static int load_anchors(smime_trust *t, const char *path, smime_buf *diags)
{
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int r, ret = 0;

	r = gnutls_load_file(path, &data);
	if (r < 0) {
		diag(diags, path, "cannot read: %s", gnutls_strerror(r));
		return SMIME_E_IO;
	}
	r = gnutls_x509_crt_list_import2(&crts, &n, &data, GNUTLS_X509_FMT_PEM,
					 0);
	if (r < 0 || n == 0) {
		if (r == GNUTLS_E_MEMORY_ERROR) {
			ret = SMIME_E_NOMEM;
			goto cleanup;
		}
		n = 0;
		r = gnutls_x509_crt_list_import2(&crts, &n, &data,
						 GNUTLS_X509_FMT_DER, 0);
	}
	if (r < 0 || n == 0) {
		diag(diags, path, "expected PEM CA certificates: %s",
		     r < 0 ? gnutls_strerror(r) : "none found");
		ret = r < 0 ? gnutls_to_smime(r) : SMIME_E_PARSE;
		goto cleanup;
	}
	/* The trust list owns the certificates from here on; t->anchors only
	 * borrows them (for finding a signer certificate among them). */
	t->anchors = calloc(n, sizeof(*t->anchors));
	if (t->anchors == NULL) {
		for (unsigned i = 0; i < n; i++)
			gnutls_x509_crt_deinit(crts[i]);
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	memcpy(t->anchors, crts, n * sizeof(*crts));
	t->nanchors = n;
	r = gnutls_x509_trust_list_add_cas(t->tl, crts, n, 0);
	if (r < 0 || (unsigned)r != n) {
		/* Only memory makes add_cas stop early.  The ones it did not
		 * take are still ours. */
		for (unsigned i = r < 0 ? 0 : (unsigned)r; i < n; i++)
			gnutls_x509_crt_deinit(crts[i]);
		t->nanchors = r < 0 ? 0 : (size_t)r;
		ret = SMIME_E_NOMEM;
	}
cleanup:
	gnutls_free(crts);
	gnutls_free(data.data);
	return ret;
}

static int add_crls(smime_trust *t, gnutls_x509_crl_t *crls, unsigned n)
{
	gnutls_x509_crl_t *v;

	if (n == 0)
		return 0;
	v = realloc(t->crls, (t->ncrls + n) * sizeof(*v));
	if (v == NULL) {
		for (unsigned i = 0; i < n; i++)
			gnutls_x509_crl_deinit(crls[i]);
		return SMIME_E_NOMEM;
	}
	t->crls = v;
	memcpy(t->crls + t->ncrls, crls, n * sizeof(*crls));
	t->ncrls += n;
	return 0;
}

/* gnutls_load_file() would block for ever on a FIFO (fuzz finding F2). */
static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* One CRL file: PEM with one or more CRLs, or one DER CRL. */
static int load_crl_file(smime_trust *t, const char *path, smime_buf *diags)
{
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crl_t *crls = NULL;
	unsigned n = 0;
	int r, ret;

	if (!is_regular(path)) {
		diag(diags, path, "not a regular file");
		return SMIME_E_IO;
	}
	r = gnutls_load_file(path, &data);
	if (r < 0) {
		diag(diags, path, "cannot read: %s", gnutls_strerror(r));
		return SMIME_E_IO;
	}
	r = gnutls_x509_crl_list_import2(&crls, &n, &data, GNUTLS_X509_FMT_PEM,
					 0);
	if ((r < 0 || n == 0) && r != GNUTLS_E_MEMORY_ERROR) {
		n = 0;
		r = gnutls_x509_crl_list_import2(&crls, &n, &data,
						 GNUTLS_X509_FMT_DER, 0);
	}
	if (r < 0 || n == 0) {
		diag(diags, path, "expected PEM or DER CRLs: %s",
		     r < 0 ? gnutls_strerror(r) : "none found");
		ret = r < 0 ? gnutls_to_smime(r) : SMIME_E_PARSE;
	} else {
		ret = add_crls(t, crls, n);
	}
	gnutls_free(crls);
	gnutls_free(data.data);
	return ret;
}

static int load_crl_dir(smime_trust *t, const char *dir, smime_buf *diags)
{
	struct dirent **names = NULL;
	int n, ret = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		diag(diags, dir, "cannot list: %s", strerror(errno));
		return errno == ENOMEM ? SMIME_E_NOMEM : SMIME_E_IO;
	}
	if (n > MAX_CRL_FILES) {
		diag(diags, dir, "more than %d entries", MAX_CRL_FILES);
		ret = SMIME_E_LIMIT;
	}
	for (int i = 0; i < n; i++) {
		smime_buf path = SMIME_BUF_INIT;
		struct stat st;

		/* Hidden files (editor backups, ".." ) and subdirectories are
		 * not CRLs. */
		if (ret == 0 && names[i]->d_name[0] != '.') {
			ret = smime_buf_printf(&path, "%s/%s", dir,
					       names[i]->d_name);
			if (ret == 0 && stat((char *)path.data, &st) == 0 &&
			    S_ISREG(st.st_mode))
				ret = load_crl_file(t, (char *)path.data,
						    diags);
		}
		smime_buf_free(&path);
		free(names[i]);
	}
	free(names);
	return ret;
}

static int load_crls(smime_trust *t, const char *path, smime_buf *diags)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		diag(diags, path, "cannot read: %s", strerror(errno));
		return SMIME_E_IO;
	}
	t->crl_configured = true;
	if (S_ISDIR(st.st_mode))
		return load_crl_dir(t, path, diags);
	return load_crl_file(t, path, diags);
}

int smime_trust_load(const smime_trust_config *cfg, smime_trust **out,
		     smime_buf *diags)
{
	smime_trust *t;
	int ret;

	if (cfg == NULL || out == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return SMIME_E_NOMEM;
	t->min_rsa_bits = cfg->min_rsa_bits ? cfg->min_rsa_bits : 2048;
	t->vflags = GNUTLS_VERIFY_ALLOW_BROKEN |
		    GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 |
		    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
		    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
	if (gnutls_x509_trust_list_init(&t->tl, 0) < 0) {
		free(t);
		return SMIME_E_NOMEM;
	}
	ret = smime_chain_cache_new(&t->chain_cache);
	if (ret == 0)
		ret = set_weak_digests(t, cfg, diags);
	if (ret == 0 && cfg->anchor_file != NULL)
		ret = load_anchors(t, cfg->anchor_file, diags);
	if (ret == 0 && cfg->crl_path != NULL)
		ret = load_crls(t, cfg->crl_path, diags);
	if (ret < 0) {
		smime_trust_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void smime_trust_free(smime_trust *t)
{
	if (t == NULL)
		return;
	/* all = 1: the trust list frees the anchors it holds. */
	gnutls_x509_trust_list_deinit(t->tl, 1);
	free(t->anchors);
	for (size_t i = 0; i < t->ncrls; i++)
		gnutls_x509_crl_deinit(t->crls[i]);
	free(t->crls);
	smime_chain_cache_free(t->chain_cache);
	free(t);
}

size_t smime_trust_anchor_count(const smime_trust *t)
{
	return t ? t->nanchors : 0;
}

size_t smime_trust_crl_count(const smime_trust *t)
{
	return t ? t->ncrls : 0;
}

bool smime_trust_digest_weak(const smime_trust *t, gnutls_digest_algorithm_t d)
{
	if (d == GNUTLS_DIG_MD2)
		return true;
	return (t->weak_digests & SMIME_DIGEST_BIT(d)) != 0;
}
