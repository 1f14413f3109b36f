/*
 * keystore.c - the KeyStore directory of SPEC section 4: the private keys
 * the gateway holds, each with its certificate and chain.
 *
 * An entry NAME is NAME.p12 + NAME.pass, or NAME.crt (certificate, then
 * its chain, PEM) + NAME.key (PEM private key, PKCS#8 or PKCS#1), or
 * NAME.crt + NAME.uri (a pkcs11: URL: the key in a token, through
 * GnuTLS and p11-kit; the PIN read by us, SPEC 9; keystore_token.c).  Files with other extensions are not ours and are left alone.
 * The certificates, each key's and those of its chain, are also indexed by
 * subject Name: issuers for a correspondent's certificate
 * (trust_recipient.c).
 *
 * Promises: a private key, PKCS#12 or passphrase file that group or
 * others may read is refused, checked with fstat() on the descriptor the
 * key is then read from; every problem names its file; any problem fails
 * the whole load, so the gateway never runs with part of the keys the
 * operator gave it.  Key files pass through wiped buffers only; keys live
 * on as gnutls_privkey_t.  A loaded store is never written again.
 */
#include "keystore_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/pkcs12.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* struct smime_key, struct smime_keystore and the loader:
 * keystore_internal.h */

enum { F_P12 = 1, F_PASS = 2, F_CRT = 4, F_KEY = 8, F_URI = 16 };

static const struct {
	const char *ext;
	unsigned flag;
} key_exts[] = {
	{".p12", F_P12}, {".pass", F_PASS}, {".crt", F_CRT},
	{".key", F_KEY}, {".uri", F_URI},
};

struct stem {
	char *name;
	unsigned have;
};

int ks_problem(loader *l, const char *path, const char *msg, const char *detail)
{
	smime_diag(l->diags, path, "%s%s%s", msg, detail ? ": " : "",
		   detail ? detail : "");
	l->problems++;
	return SMIME_E_PARSE;
}

int ks_entry_path(loader *l, const char *stem, const char *ext, smime_buf *path)
{
	smime_buf_reset(path);
	return smime_buf_printf(path, "%s/%s%s", l->dir, stem, ext);
}

const char *smime_keystore_unsafe_mode(unsigned mode)
{
	if (mode & (S_IRGRP | S_IROTH))
		return "readable";
	if (mode & (S_IWGRP | S_IWOTH))
		return "writable";
	return NULL;
}

/* Whether a secret file of this mode is unsafe; if so, says why. */
bool ks_unsafe(loader *l, const char *path, const char *what, unsigned mode)
{
	const char *how = smime_keystore_unsafe_mode(mode);

	if (how == NULL)
		return false;
	smime_diag(l->diags, path,
		   "%s %s by group or others (mode %04o); chmod 600", what, how,
		   mode & 07777);
	l->problems++;
	return true;
}

/*
 * Opens and reads a file of the entry.  Secrets must not be readable or
 * writable by group or others; the mode is taken from the open
 * descriptor, so the file checked is the file read.
 */
int ks_read_entry_file(loader *l, const char *path, bool secret,
		       const char *what, smime_buf *content, unsigned *mode)
{
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: a FIFO must not block the load (fuzz finding F2). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOMEM
			       ? SMIME_E_NOMEM
			       : ks_problem(l, path, strerror(errno), NULL);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ks_problem(l, path, "not a regular file", NULL);
	}
	if (secret && ks_unsafe(l, path, what, st.st_mode)) {
		close(fd);
		return SMIME_E_PARSE;
	}
	if (mode != NULL)
		*mode = st.st_mode;
	/* A key or passphrase: kept out of core dumps (buf.c). */
	ret = secret ? smime_buf_secret(content) : 0;
	if (ret == 0)
		ret = smime_fd_read(fd, content);
	close(fd);
	if (ret == SMIME_E_IO || ret == SMIME_E_LIMIT)
		return ks_problem(l, path, smime_strerror(ret), NULL);
	return ret;
}

static gnutls_datum_t datum(const smime_buf *b)
{
	gnutls_datum_t d = {b->data, (unsigned)b->len};
	return d;
}

static void key_free(smime_key *k)
{
	if (k == NULL)
		return;
	smime_cert_free(k->cert);
	gnutls_privkey_deinit(k->key);
	smime_p11_ecdh_free(k->p11_ecdh);
	smime_p11_pin_free(k->pin); /* after the key, which may ask for it */
	for (unsigned i = 0; i < k->nchain; i++)
		gnutls_x509_crt_deinit(k->chain[i]);
	gnutls_free(k->chain);
	if (k->secret != NULL)
		smime_wipe(k->secret, SMIME_KEY_SECRET_LEN);
	gcry_free(k->secret);
	free(k);
}

/* The certificate must carry the private key's public half. */
static bool key_matches(gnutls_privkey_t key, gnutls_x509_crt_t crt)
{
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	gnutls_pubkey_t pub = NULL;
	bool same = false;

	if (gnutls_pubkey_init(&pub) < 0)
		return false;
	if (gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a, &alen) ==
		    0 &&
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, b,
				       &blen) == 0)
		same = alen == blen && memcmp(a, b, alen) == 0;
	gnutls_pubkey_deinit(pub);
	return same;
}

/*
 * Makes the entry from a key and a certificate list (the entity first):
 * takes ownership of key, list and its certificates on every path.
 */
static int add_key(loader *l, const char *name, const char *crt_path,
		   gnutls_privkey_t key, gnutls_x509_crt_t *list, unsigned n)
{
	smime_key *k = NULL, **v;
	int ret;

	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		ret = SMIME_E_NOMEM;
		goto fail;
	}
	k->key = key;
	key = NULL;
	k->secret = gcry_malloc_secure(SMIME_KEY_SECRET_LEN);
	if (k->secret == NULL) {
		ret = SMIME_E_NOMEM;
		goto fail;
	}
	gcry_randomize(k->secret, SMIME_KEY_SECRET_LEN, GCRY_STRONG_RANDOM);
	if (!key_matches(k->key, list[0])) {
		ret = ks_problem(
			l, crt_path,
			"the certificate does not belong to the private "
			"key",
			NULL);
		goto fail;
	}
	ret = smime_cert_new(list[0], crt_path, name, &k->cert);
	list[0] = NULL; /* owned (or freed) by smime_cert_new */
	if (ret < 0)
		goto fail;
	k->nchain = n - 1;
	k->chain = list;
	memmove(k->chain, list + 1, k->nchain * sizeof(*list));
	list = NULL;
	v = realloc(l->ks->keys, (l->ks->n + 1) * sizeof(*v));
	if (v == NULL) {
		ret = SMIME_E_NOMEM;
		goto fail;
	}
	l->ks->keys = v;
	v[l->ks->n++] = k;
	return 0;
fail:
	gnutls_privkey_deinit(key);
	if (list != NULL) {
		for (unsigned i = 0; i < n; i++)
			if (list[i] != NULL)
				gnutls_x509_crt_deinit(list[i]);
		gnutls_free(list);
	}
	key_free(k);
	return ret;
}

/* The passphrase is the first line of NAME.pass, without its line end;
 * an empty file is the empty passphrase. */
static int read_passphrase(loader *l, const char *name, smime_buf *pass)
{
	smime_buf path = SMIME_BUF_INIT;
	unsigned char *nl;
	int ret;

	ret = ks_entry_path(l, name, ".pass", &path);
	if (ret == 0)
		ret = ks_read_entry_file(l, (char *)path.data, true,
					 "passphrase", pass, NULL);
	if (ret == 0 && pass->data == NULL)
		ret = smime_buf_puts(pass, "");
	smime_buf_free(&path);
	if (ret < 0)
		return ret;
	nl = memchr(pass->data, '\n', pass->len);
	if (nl != NULL) {
		smime_wipe(nl, pass->len - (size_t)(nl - pass->data));
		pass->len = (size_t)(nl - pass->data);
	}
	if (pass->len > 0 && pass->data[pass->len - 1] == '\r')
		pass->data[--pass->len] = '\0';
	return 0;
}

/* The private key and certificate chain of a PKCS#12 file (DER, or
 * PEM-armoured as "-----BEGIN PKCS12-----"). */
static int parse_p12(loader *l, const char *path, const smime_buf *content,
		     const char *pass, gnutls_x509_privkey_t *xkey,
		     gnutls_x509_crt_t **chain, unsigned *nchain)
{
	gnutls_pkcs12_t p12 = NULL;
	gnutls_x509_crt_t *extra = NULL;
	unsigned nextra = 0;
	gnutls_datum_t d = datum(content);
	int r, ret = 0;

	if (gnutls_pkcs12_init(&p12) < 0)
		return SMIME_E_NOMEM;
	r = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0);
	if (r < 0)
		r = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0) {
		ret = ks_problem(l, path, "not a PKCS#12 file",
				 gnutls_strerror(r));
		goto cleanup;
	}
	r = gnutls_pkcs12_verify_mac(p12, pass);
	if (r < 0 && r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		ret = ks_problem(l, path,
				 "wrong passphrase or damaged file (MAC check "
				 "failed)",
				 NULL);
		goto cleanup;
	}
	r = gnutls_pkcs12_simple_parse(p12, pass, xkey, chain, nchain, &extra,
				       &nextra, NULL, 0);
	if (r < 0 || *xkey == NULL || *nchain == 0)
		ret = ks_problem(l, path, "no private key with its certificate",
				 r < 0 ? gnutls_strerror(r) : NULL);
cleanup:
	for (unsigned i = 0; i < nextra; i++)
		gnutls_x509_crt_deinit(extra[i]);
	gnutls_free(extra);
	gnutls_pkcs12_deinit(p12);
	return ret;
}

static int load_p12(loader *l, const char *name)
{
	smime_buf path = SMIME_BUF_INIT, pass = SMIME_BUF_INIT,
		  content = SMIME_BUF_INIT;
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_privkey_t key = NULL;
	gnutls_x509_crt_t *chain = NULL;
	unsigned nchain = 0;
	int ret;

	ret = read_passphrase(l, name, &pass);
	if (ret == 0)
		ret = ks_entry_path(l, name, ".p12", &path);
	if (ret == 0)
		ret = ks_read_entry_file(l, (char *)path.data, true,
					 "private key", &content, NULL);
	if (ret == 0)
		ret = parse_p12(l, (char *)path.data, &content,
				(char *)pass.data, &xkey, &chain, &nchain);
	if (ret < 0)
		goto cleanup;
	if (gnutls_privkey_init(&key) < 0 ||
	    gnutls_privkey_import_x509(
		    key, xkey, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0) {
		ret = ks_problem(l, (char *)path.data, "unusable private key",
				 NULL);
		goto cleanup;
	}
	xkey = NULL; /* owned by key */
	ret = add_key(l, name, (char *)path.data, key, chain, nchain);
	key = NULL;
	chain = NULL;
cleanup:
	gnutls_privkey_deinit(key);
	gnutls_x509_privkey_deinit(xkey);
	for (unsigned i = 0; chain != NULL && i < nchain; i++)
		gnutls_x509_crt_deinit(chain[i]);
	gnutls_free(chain);
	smime_buf_free(&content);
	smime_buf_free(&pass);
	smime_buf_free(&path);
	return ret;
}

/* NAME.crt (the certificate, then its chain) read and made one entry
 * with *key, which it takes (*key NULL then) once the certificates are
 * read; the token PIN, when there is one, goes with the key. */
int ks_add_cert_key(loader *l, const char *name, const char *crt_path,
		    gnutls_privkey_t *key, smime_p11_pin *pin)
{
	smime_buf content = SMIME_BUF_INIT;
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	gnutls_datum_t d;
	int r, ret;

	ret = ks_read_entry_file(l, crt_path, false, NULL, &content, NULL);
	if (ret < 0)
		return ret;
	d = datum(&content);
	r = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM,
					 GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	smime_buf_free(&content);
	if (r < 0 || n == 0)
		return ks_problem(l, crt_path,
				  "not a PEM certificate followed by its chain",
				  r < 0 ? gnutls_strerror(r) : NULL);
	ret = add_key(l, name, crt_path, *key, list, n);
	*key = NULL;
	if (ret == 0)
		l->ks->keys[l->ks->n - 1]->pin = pin;
	return ret;
}

static int load_pem(loader *l, const char *name)
{
	smime_buf path = SMIME_BUF_INIT, content = SMIME_BUF_INIT;
	gnutls_privkey_t key = NULL;
	gnutls_datum_t d;
	int r, ret;

	ret = ks_entry_path(l, name, ".key", &path);
	if (ret == 0)
		ret = ks_read_entry_file(l, (char *)path.data, true,
					 "private key", &content, NULL);
	if (ret < 0)
		goto cleanup;
	if (gnutls_privkey_init(&key) < 0) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	d = datum(&content);
	r = gnutls_privkey_import_x509_raw(key, &d, GNUTLS_X509_FMT_PEM, NULL,
					   0);
	if (r < 0) {
		ret = ks_problem(
			l, (char *)path.data,
			"cannot read the PEM private key (an encrypted "
			"key belongs in NAME.p12 with NAME.pass)",
			gnutls_strerror(r));
		goto cleanup;
	}
	ret = ks_entry_path(l, name, ".crt", &path);
	if (ret == 0)
		ret = ks_add_cert_key(l, name, (char *)path.data, &key, NULL);
cleanup:
	gnutls_privkey_deinit(key);
	smime_buf_free(&content);
	smime_buf_free(&path);
	return ret;
}

/*
 * An unsafe secret is the first thing an operator must hear about, before
 * any complaint about what the entry lacks: every private key, PKCS#12 and
 * passphrase file of the entry readable or writable by group or others is
 * named.
 */
static int check_secret_modes(loader *l, const struct stem *s)
{
	static const struct {
		unsigned flag;
		const char *ext, *what;
	} sec[] = {{F_KEY, ".key", "private key"},
		   {F_P12, ".p12", "private key"},
		   {F_PASS, ".pass", "passphrase"}};
	smime_buf path = SMIME_BUF_INIT;
	struct stat st;
	int ret = SMIME_OK;

	for (size_t i = 0; i < sizeof(sec) / sizeof(sec[0]); i++) {
		if (!(s->have & sec[i].flag))
			continue;
		if (ks_entry_path(l, s->name, sec[i].ext, &path) < 0) {
			ret = SMIME_E_NOMEM;
			break;
		}
		if (stat((char *)path.data, &st) == 0 &&
		    ks_unsafe(l, (char *)path.data, sec[i].what, st.st_mode))
			ret = SMIME_E_PARSE;
	}
	smime_buf_free(&path);
	return ret;
}

/* Which files an entry has decides how it loads, or what is missing. */
static int load_stem(loader *l, const struct stem *s)
{
	smime_buf path = SMIME_BUF_INIT;
	const char *ext = NULL, *msg = NULL;
	unsigned h = s->have;
	int ret;

	ret = check_secret_modes(l, s);
	if (ret < 0)
		return ret;
	if ((h & F_P12) && (h & (F_CRT | F_KEY | F_URI)))
		ext = ".p12", msg = "NAME.p12 and NAME.crt/.key/.uri both "
				    "present: keep one form";
	else if ((h & F_P12) && !(h & F_PASS))
		ext = ".p12", msg = "no passphrase file NAME.pass";
	else if (h & F_P12)
		return load_p12(l, s->name);
	else if (h & F_PASS)
		ext = ".pass", msg = "passphrase without NAME.p12";
	else if ((h & F_KEY) && (h & F_URI))
		ext = ".uri", msg = "NAME.key and NAME.uri both present";
	else if ((h & F_KEY) && !(h & F_CRT))
		ext = ".key", msg = "private key without its certificate "
				    "NAME.crt";
	else if (h & F_KEY)
		return load_pem(l, s->name);
	else if (h & F_URI)
		return ks_load_uri(l, s->name);
	else
		ext = ".crt", msg = "certificate without a private key "
				    "(NAME.key, NAME.p12 or NAME.uri)";
	ret = ks_entry_path(l, s->name, ext, &path);
	if (ret == 0)
		ret = ks_problem(l, (char *)path.data, msg, NULL);
	smime_buf_free(&path);
	return ret;
}

/* Groups the directory's key files by entry name. */
static int collect_stems(char **names, size_t nnames, struct stem **out,
			 size_t *nout)
{
	struct stem *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < nnames; i++) {
		size_t len = strlen(names[i]), j, e;
		unsigned flag = 0;

		for (e = 0; e < sizeof(key_exts) / sizeof(key_exts[0]); e++) {
			size_t el = strlen(key_exts[e].ext);

			if (len > el &&
			    strcmp(names[i] + len - el, key_exts[e].ext) == 0) {
				flag = key_exts[e].flag;
				len -= el;
				break;
			}
		}
		if (flag == 0)
			continue; /* not a key store file */
		for (j = 0; j < n; j++)
			if (strlen(v[j].name) == len &&
			    strncmp(v[j].name, names[i], len) == 0)
				break;
		if (j == n) {
			struct stem *nv = realloc(v, (n + 1) * sizeof(*nv));

			if (nv == NULL)
				goto nomem;
			v = nv;
			v[n].have = 0;
			v[n].name = smime_strndup(names[i], len);
			if (v[n].name == NULL)
				goto nomem;
			n++;
		}
		v[j].have |= flag;
	}
	*out = v;
	*nout = n;
	return 0;
nomem:
	for (size_t j = 0; j < n; j++)
		free(v[j].name);
	free(v);
	return SMIME_E_NOMEM;
}

/* A certificate of its own for a chain certificate, for the subject
 * index: copied through its DER at load, never parsed again. */
static int copy_cert(gnutls_x509_crt_t crt, const char *file, smime_cert **out)
{
	gnutls_datum_t d = {NULL, 0};
	gnutls_x509_crt_t copy = NULL;
	int r;

	r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d);
	if (r >= 0)
		r = gnutls_x509_crt_init(&copy);
	if (r >= 0)
		r = gnutls_x509_crt_import(copy, &d, GNUTLS_X509_FMT_DER);
	gnutls_free(d.data);
	if (r < 0) {
		if (copy != NULL)
			gnutls_x509_crt_deinit(copy);
		return r == GNUTLS_E_MEMORY_ERROR ? SMIME_E_NOMEM
						  : SMIME_E_PARSE;
	}
	return smime_cert_new(copy, file, NULL, out); /* takes copy */
}

static int index_issuers(smime_keystore *ks)
{
	size_t total = ks->n + 1;
	int ret = 0;

	for (size_t i = 0; i < ks->n; i++)
		total += ks->keys[i]->nchain;
	ks->issuers = calloc(total, sizeof(*ks->issuers));
	if (ks->issuers == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < ks->n; i++)
		ks->issuers[ks->nissuers++] = ks->keys[i]->cert;
	for (size_t i = 0; ret == 0 && i < ks->n; i++) {
		const smime_key *k = ks->keys[i];

		for (unsigned j = 0; ret == 0 && j < k->nchain; j++) {
			ret = copy_cert(k->chain[j], k->cert->file,
					&ks->issuers[ks->nissuers]);
			if (ret == 0)
				ks->nissuers++;
		}
	}
	for (size_t i = 0; ret == 0 && i < ks->nissuers; i++)
		ret = smime_certindex_add_subject(&ks->subjects, ks->issuers[i],
						  i);
	if (ret == 0)
		smime_certindex_sort(&ks->subjects);
	return ret;
}

int smime_keystore_load(const char *dir, smime_buf *diags, smime_keystore **out)
{
	loader l = {dir, diags, 0, NULL};
	struct stem *stems = NULL;
	char **names = NULL;
	size_t nnames = 0, nstems = 0;
	int ret;

	if (out == NULL || dir == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	ret = smime_dir_list(dir, &names, &nnames);
	if (ret < 0) {
		smime_diag(diags, dir, "cannot read the key store directory");
		return ret;
	}
	ret = collect_stems(names, nnames, &stems, &nstems);
	l.ks = calloc(1, sizeof(*l.ks));
	if (ret == 0 && l.ks == NULL)
		ret = SMIME_E_NOMEM;
	/* Every entry is tried, so one run reports every problem. */
	for (size_t i = 0; ret == 0 && i < nstems; i++) {
		int r = load_stem(&l, &stems[i]);

		if (r < 0 && r != SMIME_E_PARSE)
			ret = r;
	}
	for (size_t i = 0; ret == 0 && i < l.ks->n; i++)
		ret = smime_certindex_add(&l.ks->ix, l.ks->keys[i]->cert, i);
	if (ret == 0)
		ret = index_issuers(l.ks);
	if (ret == 0 && l.problems > 0)
		ret = SMIME_E_PARSE;
	if (ret == 0) {
		smime_certindex_sort(&l.ks->ix);
		*out = l.ks;
		l.ks = NULL;
	}
	smime_keystore_free(l.ks);
	for (size_t i = 0; i < nstems; i++)
		free(stems[i].name);
	free(stems);
	smime_dir_list_free(names, nnames);
	return ret;
}

void smime_keystore_free(smime_keystore *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		key_free(ks->keys[i]);
	for (size_t i = ks->n; i < ks->nissuers; i++)
		smime_cert_free(ks->issuers[i]);
	free(ks->issuers);
	smime_certindex_free(&ks->subjects);
	free(ks->keys);
	smime_certindex_free(&ks->ix);
	free(ks);
}

size_t smime_keystore_count(const smime_keystore *ks)
{
	return ks != NULL ? ks->n : 0;
}

const smime_key *smime_keystore_at(const smime_keystore *ks, size_t i)
{
	return ks != NULL && i < ks->n ? ks->keys[i] : NULL;
}

const smime_key *smime_keystore_by_name(const smime_keystore *ks,
					const char *name)
{
	if (ks == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i]->cert->name, name) == 0)
			return ks->keys[i];
	return NULL;
}

const smime_key *smime_keystore_find_address_err(const smime_keystore *ks,
						 const char *addr, size_t *pos,
						 int *err)
{
	long i =
		ks ? smime_certindex_find_address(&ks->ix, addr, pos, err) : -1;

	return i >= 0 ? ks->keys[i] : NULL;
}

const smime_key *smime_keystore_find_address(const smime_keystore *ks,
					     const char *addr, size_t *pos)
{
	return smime_keystore_find_address_err(ks, addr, pos, NULL);
}

const smime_key *smime_keystore_find_recipient(const smime_keystore *ks,
					       const smime_recipient *r,
					       size_t *pos)
{
	long i = ks ? smime_certindex_find_recipient(&ks->ix, r, pos) : -1;

	return i >= 0 ? ks->keys[i] : NULL;
}

const smime_cert *smime_keystore_find_issuer(const smime_keystore *ks,
					     const smime_cert *c)
{
	return ks != NULL ? smime_certindex_find_issuer(
				    &ks->subjects,
				    (const smime_cert *const *)ks->issuers, c)
			  : NULL;
}

const smime_cert *smime_key_cert(const smime_key *k)
{
	return k != NULL ? k->cert : NULL;
}

const smime_p11_ecdh *smime_key_p11_ecdh(const smime_key *k)
{
	return k != NULL ? k->p11_ecdh : NULL;
}

const unsigned char *smime_key_secret(const smime_key *k)
{
	return k->secret;
}

bool smime_key_can_oaep(const smime_key *k)
{
	return k != NULL &&
	       gnutls_privkey_get_type(k->key) == GNUTLS_PRIVKEY_X509 &&
	       gnutls_privkey_get_pk_algorithm(k->key, NULL) == GNUTLS_PK_RSA;
}

gnutls_privkey_t smime_key_privkey(const smime_key *k)
{
	return k->key;
}

void smime_key_chain(const smime_key *k, const gnutls_x509_crt_t **chain,
		     unsigned *n)
{
	*chain = k->chain;
	*n = k->nchain;
}
