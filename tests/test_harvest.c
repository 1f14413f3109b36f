/*
 * test_harvest.c - harvesting (SPEC section 9; crypto/harvest*.c): the
 * file name of an address (hostile names stay inside the directory), the
 * merge rules of an entry, the file read back, HarvestMax.  Certificates
 * are made here (self-signed EC, chosen notBefore); validity is no part
 * of harvesting.
 */
#include "smime.h"
#include "tap.h"

#include <dirent.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW ((time_t)1796515200) /* 2026-12-06 */
#define YEAR ((time_t)31536000)
#define DAY ((time_t)86400)

/* SMIMECapabilities { des-ede3-cbc } and { aes128-cbc, des-ede3-cbc }. */
static const unsigned char caps_3des[] = {0x30, 0x0c, 0x30, 0x0a, 0x06,
					  0x08, 0x2a, 0x86, 0x48, 0x86,
					  0xf7, 0x0d, 0x03, 0x07};
static const unsigned char caps_aes[] = {
	0x30, 0x19, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
	0x01, 0x65, 0x03, 0x04, 0x01, 0x02, 0x30, 0x0a, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07};

static gnutls_x509_privkey_t key;

/* A self-signed certificate for addr valid from nb for ten years. */
static gnutls_datum_t make_cert(const char *addr, time_t nb, unsigned char sn)
{
	gnutls_x509_crt_t c;
	gnutls_datum_t der = {NULL, 0};
	unsigned char serial[2] = {0x01, sn};

	if (gnutls_x509_crt_init(&c) < 0)
		return der;
	gnutls_x509_crt_set_version(c, 3);
	gnutls_x509_crt_set_serial(c, serial, sizeof serial);
	gnutls_x509_crt_set_activation_time(c, nb);
	gnutls_x509_crt_set_expiration_time(c, nb + 10 * YEAR);
	gnutls_x509_crt_set_dn(c, "CN=Harvest Test", NULL);
	gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_RFC822NAME, addr,
					     (unsigned)strlen(addr),
					     GNUTLS_FSAN_SET);
	gnutls_x509_crt_set_key(c, key);
	if (gnutls_x509_crt_sign2(c, c, key, GNUTLS_DIG_SHA256, 0) == 0)
		gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der);
	gnutls_x509_crt_deinit(c);
	return der;
}

static int store(const char *dir, size_t max, const char *addr,
		 const gnutls_datum_t *cert, const unsigned char *caps,
		 size_t caps_len, time_t when)
{
	smime_harvest_in in = {.addr = addr,
			       .cert_der = cert->data,
			       .cert_len = cert->size,
			       .caps_der = caps,
			       .caps_len = caps_len,
			       .has_signing_time = when != 0,
			       .signing_time = when,
			       .now = NOW};

	return smime_harvest_store(dir, max, &in, NULL);
}

static time_t not_before(const smime_found *f, size_t i)
{
	return i < f->ncerts ? smime_cert_get_info(f->certs[i])->not_before
			     : (time_t)-1;
}

static void read_back(const char *dir, const char *addr, smime_found *f)
{
	smime_found_clear(f);
	if (smime_harvest_read(dir, addr, f) != 0)
		ok(0, "reading %s back", addr);
}

static void test_names(void)
{
	static const struct {
		const char *addr, *name;
	} cases[] = {
		{"Bob@Example.ORG", "bob@example.org"},
		{"\"../../x\"@evil.example", "%22..%2F..%2Fx%22@evil.example"},
		{"a/b+c@evil.example", "a%2Fb+c@evil.example"},
		{".hidden@example.org", "%2Ehidden@example.org"},
		{"a\001b c@example.org", "a%01b%20c@example.org"},
		{"x@B\xc3\xbc"
		 "cher.example",
		 "x@xn--bcher-kva.example"},
		{"\xc3\xa9t\xc3\xa9@example.org", "%C3%A9t%C3%A9@example.org"},
	};
	char long_addr[300], *name;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		name = NULL;
		smime_harvest_name(cases[i].addr, &name);
		is_str(name, cases[i].name, "harvest name of case %zu", i);
		free(name);
	}
	memset(long_addr, 'a', sizeof long_addr);
	strcpy(long_addr + 230, "@example.org"); /* 242 bytes */
	ok(smime_harvest_name(long_addr, &name) == 0,
	   "a 242-byte address is harvested");
	free(name);
	memset(long_addr, 'a', sizeof long_addr);
	strcpy(long_addr + 250, "@example.org"); /* 262 bytes */
	ok(smime_harvest_name(long_addr, &name) == SMIME_E_UNSUPPORTED,
	   "an address over 254 bytes is not harvested");
	ok(smime_harvest_name("no-at-sign", &name) == SMIME_E_UNSUPPORTED,
	   "an address without @ is not harvested");
	memset(long_addr, '/', 100);
	strcpy(long_addr + 100, "@example.org");
	ok(smime_harvest_name(long_addr, &name) == SMIME_E_UNSUPPORTED,
	   "a name too long for the file system is not harvested");
}

/* Hostile addresses: the files land inside dir, under their names. */
static void test_hostile_stay_inside(const char *dir)
{
	gnutls_datum_t c = make_cert("x@evil.example", NOW - YEAR, 1);
	char sub[4096];
	struct stat st;

	snprintf(sub, sizeof sub, "%s/inside", dir);
	is_long(store(sub, 10, "\"../../x\"@evil.example", &c, NULL, 0, NOW),
		SMIME_HARVEST_STORED, "a \"../../x\" address is harvested");
	is_long(store(sub, 10, "a/b+c@evil.example", &c, NULL, 0, NOW),
		SMIME_HARVEST_STORED, "an a/b+c address is harvested");
	snprintf(sub, sizeof sub,
		 "%s/inside/%%22..%%2F..%%2Fx%%22@evil.example.pem", dir);
	ok(stat(sub, &st) == 0 && S_ISREG(st.st_mode) &&
		   (st.st_mode & 0777) == 0644,
	   "the \"../../x\" file is inside the directory, mode 0644");
	snprintf(sub, sizeof sub, "%s/inside/a%%2Fb+c@evil.example.pem", dir);
	ok(stat(sub, &st) == 0, "the a/b+c file is inside the directory");
	snprintf(sub, sizeof sub, "%s/x\"@evil.example.pem", dir);
	ok(stat(sub, &st) < 0, "nothing landed outside it");
	snprintf(sub, sizeof sub, "%s/inside", dir);
	ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0755,
	   "the missing directory was created with mode 0755");
	gnutls_free(c.data);
}

static void test_merge(const char *dir)
{
	gnutls_datum_t c[5];
	smime_found f = {0};
	const char *a = "Dana@Example.org";

	for (int i = 0; i < 5; i++)
		c[i] = make_cert(a, NOW - (time_t)(5 - i) * YEAR,
				 (unsigned char)i);
	is_long(store(dir, 10, a, &c[1], caps_3des, sizeof caps_3des,
		      NOW - 10 * DAY),
		SMIME_HARVEST_STORED, "a new address makes an entry");
	read_back(dir, "dana@example.org", &f);
	ok(f.ncerts == 1 && f.has_caps && f.caps.n == 1 &&
		   f.caps.cipher[0] == SMIME_CIPHER_DES_EDE3_CBC &&
		   f.caps_time == NOW - 10 * DAY,
	   "read back: its certificate, capabilities and signingTime");

	is_long(store(dir, 10, a, &c[0], caps_aes, sizeof caps_aes, NOW - DAY),
		SMIME_HARVEST_UNCHANGED,
		"an older certificate than the kept ones is not added");
	is_long(store(dir, 10, a, &c[2], caps_aes, sizeof caps_aes,
		      NOW - 9 * DAY),
		SMIME_HARVEST_STORED, "a later notBefore is added");
	read_back(dir, a, &f);
	ok(f.ncerts == 2 && not_before(&f, 0) > not_before(&f, 1),
	   "two certificates, newest first");
	ok(f.has_caps && f.caps.n == 2 && f.caps_time == NOW - 9 * DAY,
	   "its later signingTime brought its capabilities");

	is_long(store(dir, 10, a, &c[1], caps_3des, sizeof caps_3des,
		      NOW - 8 * DAY),
		SMIME_HARVEST_STORED,
		"the same certificate with a later signingTime updates");
	read_back(dir, a, &f);
	ok(f.ncerts == 2 && f.caps.n == 1 && f.caps_time == NOW - 8 * DAY,
	   "... the capabilities only, no certificate twice");
	is_long(store(dir, 10, a, &c[2], caps_aes, sizeof caps_aes,
		      NOW - 20 * DAY),
		SMIME_HARVEST_UNCHANGED,
		"an earlier signingTime does not update the capabilities");
	is_long(store(dir, 10, a, &c[3], caps_aes, sizeof caps_aes, 0),
		SMIME_HARVEST_UNCHANGED,
		"a signature without signingTime never updates an entry");

	is_long(store(dir, 10, a, &c[3], NULL, 0, NOW - 7 * DAY),
		SMIME_HARVEST_STORED, "a third certificate");
	is_long(store(dir, 10, a, &c[4], NULL, 0, NOW - 6 * DAY),
		SMIME_HARVEST_STORED, "a fourth certificate");
	read_back(dir, a, &f);
	ok(f.ncerts == 4 && f.caps.n == 1 && f.caps_time == NOW - 8 * DAY,
	   "four kept; a signature without capabilities leaves them");
	gnutls_free(c[0].data);
	c[0] = make_cert(a, NOW - DAY, 9);
	is_long(store(dir, 10, a, &c[0], caps_aes, sizeof caps_aes,
		      NOW + 30 * DAY),
		SMIME_HARVEST_STORED, "a fifth certificate");
	read_back(dir, a, &f);
	ok(f.ncerts == 4 && not_before(&f, 0) == NOW - DAY &&
		   not_before(&f, 3) == NOW - 3 * YEAR,
	   "still four, newest first, the oldest dropped");
	ok(f.caps.n == 2 && f.caps_time == NOW,
	   "a signingTime a month ahead counts as the arrival");
	is_long(store(dir, 10, a, &c[0], caps_3des, sizeof caps_3des,
		      NOW + DAY / 2),
		SMIME_HARVEST_STORED, "half a day ahead is taken as it is");
	read_back(dir, a, &f);
	ok(f.caps_time == NOW + DAY / 2, "... and stored so");
	smime_found_clear(&f);
	for (int i = 0; i < 5; i++)
		gnutls_free(c[i].data);
}

static void test_no_signing_time(const char *dir)
{
	gnutls_datum_t c = make_cert("eve@example.org", NOW - YEAR, 1);
	smime_found f = {0};
	char path[4096], text[8192];
	FILE *fp;
	size_t n = 0;

	is_long(store(dir, 10, "eve@example.org", &c, caps_3des,
		      sizeof caps_3des, 0),
		SMIME_HARVEST_STORED,
		"a signature without signingTime makes an entry");
	read_back(dir, "eve@example.org", &f);
	ok(f.ncerts == 1 && f.has_caps && f.caps_time == 0,
	   "its capabilities have no time");
	snprintf(path, sizeof path, "%s/eve@example.org.pem", dir);
	fp = fopen(path, "r");
	if (fp != NULL) {
		n = fread(text, 1, sizeof text - 1, fp);
		fclose(fp);
	}
	text[n] = '\0';
	ok(strstr(text, "-----BEGIN SMIME CAPABILITIES-----") != NULL &&
		   strstr(text, "Signing-Time:") == NULL,
	   "the file has the capabilities block and no Signing-Time line");
	smime_found_clear(&f);
	read_back(dir, "nobody@example.org", &f);
	ok(f.ncerts == 0 && !f.has_caps, "a missing file is nothing");
	gnutls_free(c.data);
}

static void test_max(const char *dir)
{
	gnutls_datum_t c = make_cert("m@example.org", NOW - YEAR, 1);
	char sub[4096];

	snprintf(sub, sizeof sub, "%s/max", dir);
	is_long(store(sub, 2, "m1@example.org", &c, NULL, 0, NOW - DAY),
		SMIME_HARVEST_STORED, "HarvestMax 2: the first address");
	is_long(store(sub, 2, "m2@example.org", &c, NULL, 0, NOW - DAY),
		SMIME_HARVEST_STORED, "HarvestMax 2: the second address");
	is_long(store(sub, 2, "m3@example.org", &c, NULL, 0, NOW - DAY),
		SMIME_HARVEST_FULL, "HarvestMax 2: a third is not harvested");
	is_long(store(sub, 2, "m1@example.org", &c, caps_3des, sizeof caps_3des,
		      NOW),
		SMIME_HARVEST_STORED, "a known address still updates");
	gnutls_free(c.data);
}

/* Eight processes at once, each a new address, HarvestMax 3: the lock
 * lets exactly three in; and eight at once on one address: no change is
 * lost (every one of them sees the others' file whole). */
static void test_concurrent(const char *dir)
{
	gnutls_datum_t c = make_cert("p@example.org", NOW - YEAR, 1);
	char sub[4096], addr[64];
	smime_found f = {0};
	int stored = 0, full = 0, status;
	DIR *d;
	struct dirent *de;
	size_t files = 0;

	snprintf(sub, sizeof sub, "%s/race", dir);
	for (int i = 0; i < 8; i++) {
		if (fork() == 0) {
			snprintf(addr, sizeof addr, "p%d@example.org", i);
			_exit(store(sub, 3, addr, &c, NULL, 0, NOW));
		}
	}
	while (wait(&status) > 0) {
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == SMIME_HARVEST_STORED)
			stored++;
		else if (WIFEXITED(status) &&
			 WEXITSTATUS(status) == SMIME_HARVEST_FULL)
			full++;
	}
	d = opendir(sub);
	while (d != NULL && (de = readdir(d)) != NULL)
		files += de->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	ok(stored == 3 && full == 5 && files == 3,
	   "eight new addresses at once, HarvestMax 3: three stored, five "
	   "refused, three files, no temporary file left");
	snprintf(sub, sizeof sub, "%s/race2", dir);
	for (int i = 0; i < 8; i++) {
		if (fork() == 0)
			_exit(store(sub, 10, "p0@example.org", &c, caps_3des,
				    sizeof caps_3des, NOW - 100 + i) < 0);
	}
	stored = 0;
	while (wait(&status) > 0)
		stored += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	read_back(sub, "p0@example.org", &f);
	ok(stored == 8 && f.ncerts == 1 && f.has_caps &&
		   f.caps_time == NOW - 100 + 7,
	   "eight updates of one address at once: the latest signingTime "
	   "wins, one certificate");
	smime_found_clear(&f);
	gnutls_free(c.data);
}

int main(void)
{
	char dir[] = "/tmp/test_harvest.XXXXXX", cmd[256];

	if (mkdtemp(dir) == NULL || gnutls_global_init() < 0 ||
	    gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(
		    key, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0) {
		printf("Bail out! setup\n");
		return 1;
	}
	test_names();
	test_hostile_stay_inside(dir);
	test_merge(dir);
	test_no_signing_time(dir);
	test_max(dir);
	test_concurrent(dir);
	gnutls_x509_privkey_deinit(key);
	gnutls_global_deinit();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
