/*
 * envelope_fixtures.h - fixture helpers shared by test_envelope.c and
 * test_envelope_seal.c (static functions, like tap.h): reading CMS
 * fixtures in any form, and one key store with every published key the
 * fixtures need, built in a temporary directory with mode 0600 keys.
 */
#ifndef ENVELOPE_FIXTURES_H
#define ENVELOPE_FIXTURES_H

#include "keys_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char cms_content[] =
	"Content-Type: text/plain\r\n\r\nHello CMS fixtures.\r\n";

__attribute__((unused)) static int read_file(const char *path, smime_buf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[4096];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		smime_buf_append(out, buf, n);
	fclose(f);
	return 0;
}

/* The CMS DER of a fixture: raw DER, PEM, or the body of a message. */
static int fixture_der(const char *path, smime_buf *der)
{
	smime_buf raw = SMIME_BUF_INIT;
	smime_part *root = NULL;
	int ret = -1;

	if (read_file(path, &raw) < 0 || raw.len == 0) {
		printf("# cannot read %s\n", path);
		goto out;
	}
	if (smime_cms_looks_raw(raw.data, raw.len)) {
		ret = smime_cms_from_pem(raw.data, raw.len, der);
		goto out;
	}
	if (smime_mime_parse(raw.data, raw.len, NULL, NULL, &root) == 0)
		ret = smime_part_decode(raw.data, root, der);
out:
	smime_mime_free(root);
	smime_buf_free(&raw);
	return ret;
}

static void copy_key_file(const char *from, const char *dir, const char *name,
			  mode_t mode)
{
	smime_buf b = SMIME_BUF_INIT;
	char to[512];
	FILE *f;

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	if (read_file(from, &b) < 0 || (f = fopen(to, "wb")) == NULL) {
		printf("Bail out! cannot copy %s\n", from);
		exit(1);
	}
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	chmod(to, mode);
	smime_buf_free(&b);
}

/* One key store with every published key the fixtures need. */
static smime_keystore *make_keystore(const char *tmpdir)
{
	static const char *const p12[] = {"nss-bob", "nss-fran", "sjm-user"};
	static const char *const cms[] = {"alice", "bob", "carol", "dave",
					  "ecrcpt"};
	char from[512], name[128], dir[300];
	smime_buf diags = SMIME_BUF_INIT;
	smime_keystore *ks = NULL;

	snprintf(dir, sizeof(dir), "%s/keys", tmpdir);
	mkdir(dir, 0700);
	for (int i = 1; i <= 3; i++) {
		snprintf(from, sizeof(from), ENV_DATA_DIR "/keys/smrsa%d.crt",
			 i);
		snprintf(name, sizeof(name), "smrsa%d.crt", i);
		copy_key_file(from, dir, name, 0644);
		snprintf(from, sizeof(from), ENV_DATA_DIR "/keys/smrsa%d.key",
			 i);
		snprintf(name, sizeof(name), "smrsa%d.key", i);
		copy_key_file(from, dir, name, 0600);
	}
	for (size_t i = 0; i < sizeof(p12) / sizeof(p12[0]); i++) {
		snprintf(from, sizeof(from), ENV_DATA_DIR "/keys/%s.p12",
			 p12[i]);
		snprintf(name, sizeof(name), "%s.p12", p12[i]);
		copy_key_file(from, dir, name, 0600);
		snprintf(from, sizeof(from), ENV_DATA_DIR "/keys/%s.pass",
			 p12[i]);
		snprintf(name, sizeof(name), "%s.pass", p12[i]);
		copy_key_file(from, dir, name, 0600);
	}
	for (size_t i = 0; i < sizeof(cms) / sizeof(cms[0]); i++) {
		snprintf(from, sizeof(from), CMS_DATA_DIR "/%s.pem", cms[i]);
		snprintf(name, sizeof(name), "%s.crt", cms[i]);
		copy_key_file(from, dir, name, 0644);
		snprintf(from, sizeof(from), CMS_DATA_DIR "/%s.key", cms[i]);
		snprintf(name, sizeof(name), "%s.key", cms[i]);
		copy_key_file(from, dir, name, 0600);
	}
	if (smime_keystore_load(dir, &diags, &ks) != 0) {
		printf("Bail out! key store: %s\n",
		       diags.data ? (char *)diags.data : "");
		exit(1);
	}
	smime_buf_free(&diags);
	return ks;
}

/* The start of a test program: the libraries initialised, a fresh
 * temporary directory (TMPDIR, else /tmp) for NAME in dir, and the key
 * store of make_keystore in it.  Bails out on failure. */
__attribute__((unused)) static smime_keystore *
fixture_start(const char *name, char *dir, size_t size)
{
	const char *t = getenv("TMPDIR");

	if (smime_global_init() != 0) {
		printf("Bail out! smime_global_init\n");
		exit(1);
	}
	snprintf(dir, size, "%s/%s.XXXXXX", t ? t : "/tmp", name);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		exit(1);
	}
	return make_keystore(dir);
}

/* Its end: the key store freed, the directory removed. */
__attribute__((unused)) static void fixture_end(smime_keystore *ks,
						const char *dir)
{
	char cmd[600];

	smime_keystore_free(ks);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	smime_global_deinit();
}

/*
 * Opens env with key the one way the milter does (SPEC section 8): the
 * first RecipientInfo naming key's certificate, the public checks, then
 * smime_envelope_open with that one unwrap.  0 with the plaintext in out;
 * SMIME_E_NOTFOUND when no RecipientInfo names the key, a step-1 error,
 * or SMIME_E_CRYPTO when smime_envelope_open said the keys or the tag
 * did not agree.
 */
__attribute__((unused)) static int open_with(const smime_envelope *env,
					     const smime_key *key,
					     smime_buf *out, size_t *ri_out)
{
	smime_unwrap u = {smime_envelope_find_ri(env, smime_key_cert(key)),
			  key};
	bool same = false;
	int ret;

	if (u.ri >= smime_envelope_info(env)->nrecipients)
		return SMIME_E_NOTFOUND;
	ret = smime_envelope_usable(env, u.ri, key);
	if (ret == 0)
		ret = smime_envelope_content_check(env, NULL);
	if (ret == 0)
		ret = smime_envelope_open(env, &u, 1, out, NULL, &same);
	if (ret == 0 && !same)
		ret = SMIME_E_CRYPTO;
	if (ret == 0 && ri_out != NULL)
		*ri_out = u.ri;
	return ret;
}

/* Opens env with the first key of ks that a RecipientInfo names. */
__attribute__((unused)) static int open_any(const smime_keystore *ks,
					    const smime_envelope *env,
					    smime_buf *out, size_t *ri_out)
{
	int best = SMIME_E_NOTFOUND;

	for (size_t i = 0; i < smime_keystore_count(ks); i++) {
		int ret = open_with(env, smime_keystore_at(ks, i), out, ri_out);

		if (ret == 0)
			return 0;
		if (ret != SMIME_E_NOTFOUND)
			best = ret;
	}
	return best;
}

__attribute__((unused)) static smime_envelope *parse_fixture(const char *path,
							     smime_buf *der)
{
	smime_envelope *env = NULL;
	int ret;

	smime_buf_reset(der);
	if (fixture_der(path, der) < 0)
		return NULL;
	ret = smime_envelope_parse(der->data, der->len, NULL, &env);
	if (ret < 0)
		printf("# %s: parse %s\n", path, smime_strerror(ret));
	return env;
}

__attribute__((unused)) static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

#endif
