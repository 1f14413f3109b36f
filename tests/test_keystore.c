/*
 * test_keystore.c - the KeyStore and CertDirectory of SPEC section 4:
 * which files load, which are refused and how the refusal names the
 * file, and that every identifier finds its key or certificate.
 *
 * Key stores are built at test time in a temporary directory, because
 * file modes are part of what is tested and git does not keep them.
 */
#include "keys_internal.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];
static int ndirs;

static void copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[4096];
	size_t n;

	if (in == NULL) {
		printf("Bail out! cannot read %s\n", from);
		exit(1);
	}
	out = fopen(to, "wb");
	if (out == NULL) {
		printf("Bail out! cannot write %s\n", to);
		exit(1);
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	chmod(to, mode);
}

/* A fresh directory under tmpdir. */
static const char *new_dir(char *path, size_t size)
{
	snprintf(path, size, "%s/d%d", tmpdir, ndirs++);
	if (mkdir(path, 0700) != 0) {
		printf("Bail out! mkdir %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return path;
}

/* Copies SRCDIR/SRC to DIR/DST with mode. */
static void put(const char *dir, const char *srcdir, const char *src,
		const char *dst, mode_t mode)
{
	char from[512], to[512];

	snprintf(from, sizeof(from), "%s/%s", srcdir, src);
	snprintf(to, sizeof(to), "%s/%s", dir, dst);
	copy_file(from, to, mode);
}

static void write_text(const char *dir, const char *name, const char *text,
		       mode_t mode)
{
	char to[512];
	FILE *f;

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	f = fopen(to, "w");
	if (f == NULL) {
		printf("Bail out! cannot write %s\n", to);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(to, mode);
}

/* The p12 entries of tests/data/envelope/keys and their passphrases. */
static void put_p12(const char *dir, const char *name, mode_t mode)
{
	char a[128], b[128];

	snprintf(a, sizeof(a), "%s.p12", name);
	snprintf(b, sizeof(b), "%s.pass", name);
	put(dir, ENV_DATA_DIR "/keys", a, a, mode);
	put(dir, ENV_DATA_DIR "/keys", b, b, 0600);
}

static void put_pem(const char *dir, const char *srcdir, const char *src,
		    const char *name)
{
	char a[128], b[128], c[128], d[128];

	snprintf(a, sizeof(a), "%s.pem", src);
	snprintf(b, sizeof(b), "%s.crt", name);
	snprintf(c, sizeof(c), "%s.key", src);
	snprintf(d, sizeof(d), "%s.key", name);
	put(dir, srcdir, strcmp(srcdir, CMS_DATA_DIR) == 0 ? a : b, b, 0644);
	put(dir, srcdir, c, d, 0600);
}

static void set_mode(const char *dir, const char *name, mode_t mode)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	chmod(p, mode);
}

static bool contains(const smime_buf *b, const char *s)
{
	return b->data != NULL && strstr((char *)b->data, s) != NULL;
}

/* Loads dir and expects one refusal naming file with text. */
static void expect_refused(const char *dir, const char *file, const char *text,
			   const char *what)
{
	smime_buf diags = SMIME_BUF_INIT;
	smime_keystore *ks = (smime_keystore *)1;
	char path[512];
	int ret = smime_keystore_load(dir, &diags, &ks);

	snprintf(path, sizeof(path), "%s/%s: ", dir, file);
	is_long(ret, SMIME_E_PARSE, "%s: the load fails", what);
	ok(ks == NULL, "%s: no partial key store is handed out", what);
	ok(contains(&diags, path) && contains(&diags, text),
	   "%s: the problem names %s and says '%s'", what, file, text);
	if (!contains(&diags, path) || !contains(&diags, text))
		printf("#   diags: %s\n", diags.data ? (char *)diags.data : "");
	smime_keystore_free(ks);
	smime_buf_free(&diags);
}

/* By the identifiers a RecipientInfo carries. */
static void test_find_recipient(const smime_keystore *ks)
{
	const smime_key *k, *k2;
	size_t pos;
	smime_recipient r;

	k = smime_keystore_by_name(ks, "smrsa1");
	memset(&r, 0, sizeof(r));
	r.type = SMIME_RI_KTRI;
	r.issuer_der = smime_key_cert(k)->issuer_der;
	r.issuer_der_len = smime_key_cert(k)->issuer_der_len;
	r.serial = "33a5353dea37c337c0248af320d7a32497e64739";
	pos = 0;
	k2 = smime_keystore_find_recipient(ks, &r, &pos);
	ok(k2 == k, "issuer and serial find the key");
	ok(smime_cert_names_recipient(smime_key_cert(k), &r),
	   "the certificate says the RecipientInfo names it");
	r.issuer_der_len--;
	pos = 0;
	ok(smime_keystore_find_recipient(ks, &r, &pos) == NULL &&
		   !smime_cert_names_recipient(smime_key_cert(k), &r),
	   "a different issuer DER does not match");
	r.issuer_der_len++;
	r.serial = "33a5353dea37c337c0248af320d7a32497e64738";
	pos = 0;
	ok(smime_keystore_find_recipient(ks, &r, &pos) == NULL,
	   "a different serial does not match");
	r.by_ski = true;
	r.ski = "1f0e14b3b157c202ed67524130e0074a43587c49";
	pos = 0;
	ok(smime_keystore_find_recipient(ks, &r, &pos) == k,
	   "subjectKeyIdentifier finds the key");
	r.type = SMIME_RI_KEKRI;
	pos = 0;
	ok(smime_keystore_find_recipient(ks, &r, &pos) == NULL,
	   "a KEK recipient names no certificate");
}

static void test_good_store(void)
{
	char dir[300];
	smime_buf diags = SMIME_BUF_INIT;
	smime_keystore *ks = NULL;
	const smime_key *k;
	const smime_cert_info *info;
	size_t pos;
	int ret;

	new_dir(dir, sizeof(dir));
	put_pem(dir, ENV_DATA_DIR "/keys", "smrsa1", "smrsa1");
	put_pem(dir, CMS_DATA_DIR, "alice", "alice");
	put_pem(dir, CMS_DATA_DIR, "dave", "dave");
	put_p12(dir, "nss-bob", 0600);
	put_p12(dir, "nss-dave-pem", 0600); /* PEM-armoured PKCS#12 */
	put_p12(dir, "sjm-user", 0400); /* read-only for the owner is fine */
	put_p12(dir, "nss-eve", 0600);
	write_text(dir, "README", "not a key store file\n", 0644);
	ret = smime_keystore_load(dir, &diags, &ks);
	is_long(ret, 0, "key store with PEM pairs, DER and PEM PKCS#12 loads");
	is_long(diags.len, 0, "no problems reported (README is not ours)");
	if (diags.len)
		printf("#   %s\n", diags.data);
	is_long((long)smime_keystore_count(ks), 7, "seven entries");
	k = smime_keystore_at(ks, 0);
	is_str(k ? smime_cert_get_info(smime_key_cert(k))->name : NULL, "alice",
	       "entries come in NAME order");

	k = smime_keystore_by_name(ks, "smrsa1");
	info = k ? smime_cert_get_info(smime_key_cert(k)) : NULL;
	ok(info != NULL, "entry found by name");
	if (info != NULL) {
		is_str(info->serial, "33a5353dea37c337c0248af320d7a32497e64739",
		       "serial as lowercase hex");
		is_str(info->ski, "1f0e14b3b157c202ed67524130e0074a43587c49",
		       "subjectKeyIdentifier as lowercase hex");
		is_str(info->key_type, "RSA-2048", "key type");
		is_str(info->issuer,
		       "CN=Test S/MIME RSA Root,O=OpenSSL Group,C=UK",
		       "issuer as RFC 4514");
		ok(info->not_after > info->not_before, "validity read");
		ok(smime_key_can_oaep(k), "a file key can do OAEP");
	}

	pos = 0;
	k = smime_keystore_find_address(ks, "alice@example.org", &pos);
	is_str(k ? smime_cert_get_info(smime_key_cert(k))->name : NULL, "alice",
	       "SAN rfc822Name finds the key");
	ok(smime_keystore_find_address(ks, "alice@example.org", &pos) == NULL,
	   "the cursor ends after the one match");
	pos = 0;
	k = smime_keystore_find_address(ks, "dave@EXAMPLE.org", &pos);
	is_str(k ? smime_cert_get_info(smime_key_cert(k))->name : NULL, "dave",
	       "subject emailAddress finds the key, domain case ignored");
	pos = 0;
	k = smime_keystore_find_address(ks, "bob@example.com", &pos);
	is_str(k ? smime_cert_get_info(smime_key_cert(k))->name : NULL,
	       "nss-bob", "certificate's Bob@example.com found as bob@...");
	info = k ? smime_cert_get_info(smime_key_cert(k)) : NULL;
	ok(info && info->naddresses == 1 &&
		   strcmp(info->addresses[0], "Bob@example.com") == 0,
	   "the address is listed once (CN and emailAddress), as written");
	pos = 0;
	k = smime_keystore_find_address(ks, "dave@example.com", &pos);
	is_str(k ? smime_cert_get_info(smime_key_cert(k))->name : NULL,
	       "nss-dave-pem",
	       "the PEM-armoured PKCS#12's certificate is indexed");
	pos = 0;
	ok(smime_keystore_find_address(ks, "nobody@example.org", &pos) == NULL,
	   "unknown address finds nothing");
	pos = 0;
	ok(smime_keystore_find_address(ks, "not-an-address", &pos) == NULL,
	   "a string without @ finds nothing");

	test_find_recipient(ks);
	smime_keystore_free(ks);
	smime_buf_free(&diags);
}

/* Secrets that group or others may read, or write (a stranger's key or
 * passphrase could take their place). */
static void test_refused_modes(void)
{
	static const struct {
		bool p12; /* nss-bob.p12 + .pass, else alice.crt + .key */
		const char *file; /* the file given the mode */
		mode_t mode;
		const char *want;
	} cases[] = {
		{false, "alice.key", 0644,
		 "private key readable by group or others (mode 0644)"},
		{true, "nss-bob.p12", 0604,
		 "private key readable by group or others (mode 0604)"},
		{true, "nss-bob.pass", 0640,
		 "passphrase readable by group or others (mode 0640)"},
		{false, "alice.key", 0620,
		 "private key writable by group or others (mode 0620)"},
		{true, "nss-bob.p12", 0602,
		 "private key writable by group or others (mode 0602)"},
		{true, "nss-bob.pass", 0620,
		 "passphrase writable by group or others (mode 0620)"},
	};
	char dir[300], what[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		new_dir(dir, sizeof(dir));
		if (cases[i].p12)
			put_p12(dir, "nss-bob", 0600);
		else
			put_pem(dir, CMS_DATA_DIR, "alice", "alice");
		set_mode(dir, cases[i].file, cases[i].mode);
		snprintf(what, sizeof(what), "%s mode %04o", cases[i].file,
			 (unsigned)cases[i].mode);
		expect_refused(dir, cases[i].file, cases[i].want, what);
	}

	new_dir(dir, sizeof(dir));
	put_pem(dir, CMS_DATA_DIR, "alice", "alice");
	put_pem(dir, CMS_DATA_DIR, "bob", "bob");
	set_mode(dir, "bob.key", 0640);
	expect_refused(dir, "bob.key", "readable by group or others",
		       "one bad key among good ones");
}

/* Entries whose files do not make a key. */
static void test_refused_entries(void)
{
	char dir[300];
	smime_buf diags = SMIME_BUF_INIT;
	smime_keystore *ks = NULL;
	int ret;

	new_dir(dir, sizeof(dir));
	put(dir, ENV_DATA_DIR "/keys", "nss-bob.p12", "x.p12", 0600);
	write_text(dir, "x.pass", "wrong\n", 0600);
	expect_refused(dir, "x.p12", "wrong passphrase", "wrong passphrase");

	new_dir(dir, sizeof(dir));
	put(dir, ENV_DATA_DIR "/keys", "nss-bob.p12", "x.p12", 0600);
	expect_refused(dir, "x.p12", "no passphrase file", "p12 without .pass");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	put(dir, CMS_DATA_DIR, "bob.key", "x.key", 0600);
	expect_refused(dir, "x.crt", "does not belong to the private key",
		       "certificate of another key");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "bob.key", "x.key", 0600);
	expect_refused(dir, "x.key", "without its certificate",
		       "key without certificate");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	expect_refused(dir, "x.crt", "certificate without a private key",
		       "certificate alone");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	write_text(dir, "x.uri",
		   "pkcs11:token=no-such-token-here;object=alice\n", 0644);
	expect_refused(dir, "x.uri", "cannot use the PKCS#11 key",
		       "a pkcs11 entry whose token is not there");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	write_text(dir, "x.uri", "pkcs11:token=t;object=alice?pin-value=1234\n",
		   0644);
	expect_refused(dir, "x.uri", "holding pin-value readable by group",
		       "a world-readable NAME.uri with pin-value");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	write_text(dir, "x.uri", "pkcs11:token=t;object=a?pin-value=%zz\n",
		   0600);
	expect_refused(dir, "x.uri", "not a pkcs11: URL",
		       "a pkcs11 URL with a bad percent escape");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	write_text(dir, "x.uri", "file:///etc/key\n", 0644);
	expect_refused(dir, "x.uri", "not a pkcs11: URL",
		       "uri of another kind");

	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	write_text(dir, "x.key",
		   "-----BEGIN PRIVATE KEY-----\nAAAA\n"
		   "-----END PRIVATE KEY-----\n",
		   0600);
	expect_refused(dir, "x.key", "cannot read the PEM private key",
		       "garbage key");

	new_dir(dir, sizeof(dir));
	put(dir, ENV_DATA_DIR "/keys", "sjm-user.p12", "x.p12", 0600);
	put(dir, ENV_DATA_DIR "/keys", "sjm-user.pass", "x.pass", 0600);
	put(dir, CMS_DATA_DIR, "alice.pem", "x.crt", 0644);
	expect_refused(dir, "x.p12", "both present",
		       "p12 and crt for one NAME");

	/* every problem of one directory is reported in one run */
	new_dir(dir, sizeof(dir));
	put(dir, CMS_DATA_DIR, "bob.key", "a.key", 0644);
	put(dir, CMS_DATA_DIR, "alice.pem", "a.crt", 0644);
	put(dir, CMS_DATA_DIR, "alice.pem", "b.crt", 0644);
	ret = smime_keystore_load(dir, &diags, &ks);
	ok(ret == SMIME_E_PARSE && contains(&diags, "/a.key: ") &&
		   contains(&diags, "/b.crt: "),
	   "all problems of a directory are reported together");
	smime_buf_reset(&diags);

	snprintf(dir, sizeof(dir), "%s/missing", tmpdir);
	ret = smime_keystore_load(dir, &diags, &ks);
	is_long(ret, SMIME_E_IO, "a missing directory is an I/O error");
	ok(contains(&diags, "missing: cannot read the key store directory"),
	   "and says which directory");
	smime_buf_free(&diags);
}

static void test_certdir(void)
{
	char dir[300], path[512];
	smime_buf diags = SMIME_BUF_INIT, bundle = SMIME_BUF_INIT;
	smime_certdir *cd = NULL;
	const smime_cert *c;
	size_t pos;
	FILE *f;
	int ret;

	new_dir(dir, sizeof(dir));
	/* a PEM bundle of two, a DER one, a key store style .crt, junk */
	put(dir, CMS_DATA_DIR, "alice.pem", "bundle.pem", 0644);
	snprintf(path, sizeof(path), "%s/bundle.pem", dir);
	f = fopen(path, "a");
	{
		FILE *in = fopen(CMS_DATA_DIR "/bob.pem", "r");
		char buf[4096];
		size_t n;

		while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, f);
		if (in)
			fclose(in);
	}
	fclose(f);
	snprintf(path, sizeof(path),
		 "openssl x509 -in %s/carol.pem -outform DER -out %s/carol.der",
		 CMS_DATA_DIR, dir);
	if (system(path) != 0)
		printf("# openssl x509 failed\n");
	put(dir, CMS_DATA_DIR, "dave.pem", "dave.crt", 0644);
	write_text(dir, "notes.txt", "hello\n", 0644);
	ret = smime_certdir_load(dir, &diags, &cd);
	is_long(ret, 0, "certificate directory loads despite a junk file");
	is_long((long)smime_certdir_count(cd), 4,
		"four certificates: two from the bundle, DER, PEM");
	ok(contains(&diags, "/notes.txt: no certificate"),
	   "the junk file is named in the diagnostics");
	pos = 0;
	c = smime_certdir_find_address(cd, "bob@example.org", &pos);
	ok(c != NULL && strcmp(smime_cert_get_info(c)->subject,
			       "CN=Bob,O=smime-milter tests") == 0,
	   "second certificate of a bundle found by address");
	ok(c != NULL && smime_cert_get_info(c)->name == NULL,
	   "certificate directory entries have no key name");
	pos = 0;
	c = smime_certdir_find_address(cd, "Carol@Example.ORG", &pos);
	is_str(c ? smime_cert_get_info(c)->serial : NULL, "9f03",
	       "DER certificate found; serial without its DER leading zero");
	pos = 0;
	c = smime_certdir_find_address(cd, "dave@example.org", &pos);
	is_str(c ? smime_cert_get_info(c)->key_type : NULL, "EC-SECP256R1",
	       "EC certificate found by subject emailAddress");
	{
		const unsigned char *der;
		size_t len;

		smime_cert_der(c, &der, &len);
		ok(c != NULL && len > 100 && der[0] == 0x30,
		   "the certificate's DER is available");
	}
	smime_certdir_free(cd);
	smime_buf_free(&diags);
	smime_buf_free(&bundle);

	snprintf(dir, sizeof(dir), "%s/missing", tmpdir);
	ok(smime_certdir_load(dir, NULL, &cd) == SMIME_E_IO && cd == NULL,
	   "a missing certificate directory is an I/O error");
}

static void test_normalise(void)
{
	char *s = NULL;

	is_long(smime_address_normalise("Bob@Example.ORG", &s), 0,
		"normalise an address");
	is_str(s, "Bob@example.org", "domain lowercased, local part kept");
	free(s);
	is_long(smime_address_normalise("@example.org", &s), SMIME_E_PARSE,
		"no local part");
	is_long(smime_address_normalise("bob@", &s), SMIME_E_PARSE,
		"no domain");
	is_long(smime_address_normalise("bob", &s), SMIME_E_PARSE, "no @");
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char cmd[300];

	if (smime_global_init() != 0) {
		printf("Bail out! smime_global_init\n");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_keystore.XXXXXX",
		 t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_normalise();
	test_good_store();
	test_refused_modes();
	test_refused_entries();
	test_certdir();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	smime_global_deinit();
	return tap_done();
}
