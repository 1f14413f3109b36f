/*
 * test_config_check.c - the -n checks of the smime-milter configuration
 * (milter_config_check): unsafe key files above all, then files and
 * directories UserID cannot read or write, with their exact messages.
 */
#include "config_fixtures.h"
#include "milter.h"
#include "tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* Loads "KeyStore DIR" plus extra and runs the -n checks. */
static int check_text(const char *extra, smime_buf *diags)
{
	milter_config *cfg;
	char text[2 * PATH_MAX];
	int n;

	snprintf(text, sizeof text,
		 "TempDirectory %s/spool\nSocket local:%s/s\n%s", tmpdir,
		 tmpdir, extra);
	cfg = load_text(text, diags);
	if (cfg == NULL)
		return -1;
	n = milter_config_check(cfg, diags);
	milter_config_unref(cfg);
	return n;
}

static void test_checks(void)
{
	smime_buf diags = SMIME_BUF_INIT;
	char keys[PATH_MAX], path[PATH_MAX + 32], text[3 * PATH_MAX],
		want[2 * PATH_MAX];

	is_long(check_text("", &diags), 0, "check: minimal config is usable");

	/* The key store loads with the configuration (start, -n and SIGHUP
	 * alike), so an unsafe secret fails the load and names the file. */
	snprintf(keys, sizeof keys, "%s/keys", tmpdir);
	mkdir(keys, 0700);
	copy_file(CONFIG_DATA_DIR "/alice.crt", keys, "alice.crt");
	copy_file(CONFIG_DATA_DIR "/alice.key", keys, "alice.key");
	snprintf(path, sizeof path, "%s/alice.crt", keys);
	chmod(path, 0644);
	snprintf(path, sizeof path, "%s/alice.key", keys);
	chmod(path, 0644);
	snprintf(text, sizeof text, "KeyStore %s\n", keys);
	is_long(check_text(text, &diags), -1, "load: a 0644 key is refused");
	snprintf(want, sizeof want,
		 "%s: private key readable by group or others (mode 0644); "
		 "chmod 600\n",
		 path);
	ok(diags.data && strstr((const char *)diags.data, want) != NULL,
	   "load: unsafe key message names the file and the fix");
	chmod(path, 0600);
	is_long(check_text(text, &diags), 0, "check: a 0600 key is fine");

	copy_file(CONFIG_DATA_DIR "/bob.p12", keys, "bob.p12");
	copy_file(CONFIG_DATA_DIR "/bob.pass", keys, "bob.pass");
	snprintf(path, sizeof path, "%s/bob.pass", keys);
	chmod(path, 0600);
	snprintf(path, sizeof path, "%s/bob.p12", keys);
	chmod(path, 0640);
	snprintf(want, sizeof want,
		 "%s: private key readable by group or others (mode 0640); "
		 "chmod 600\n",
		 path);
	is_long(check_text(text, &diags), -1, "load: a 0640 .p12 is refused");
	ok(diags.data && strstr((const char *)diags.data, want) != NULL,
	   "load: unsafe .p12 message");
	chmod(path, 0600);
	snprintf(path, sizeof path, "%s/bob.pass", keys);
	chmod(path, 0604);
	snprintf(want, sizeof want,
		 "%s: passphrase readable by group or others (mode 0604); "
		 "chmod 600\n",
		 path);
	is_long(check_text(text, &diags), -1, "load: a 0604 .pass is refused");
	ok(diags.data && strstr((const char *)diags.data, want) != NULL,
	   "load: unsafe .pass message");
	chmod(path, 0600);
	chmod(path, 0620);
	snprintf(want, sizeof want,
		 "%s: passphrase writable by group or others (mode 0620); "
		 "chmod 600\n",
		 path);
	is_long(check_text(text, &diags), -1, "load: a 0620 .pass is refused");
	ok(diags.data && strstr((const char *)diags.data, want) != NULL,
	   "load: group-writable .pass message");
	chmod(path, 0600);
	is_long(check_text(text, &diags), 0,
		"check: a key store of a PEM pair and a PKCS#12 loads");

	/* Readable by UserID: as root, a root-owned 0600 key is not
	 * readable by nobody; as anyone else, a 0200 key is not readable
	 * by its own owner. */
	snprintf(path, sizeof path, "%s/alice.key", keys);
	if (geteuid() == 0) {
		struct passwd *nobody = getpwnam("nobody");
		const char *const others[] = {"alice.crt", "bob.p12",
					      "bob.pass"};
		char other[PATH_MAX + 32];
		size_t i;

		/* Everything else nobody can read, so alice.key is the one
		 * problem. */
		chmod(tmpdir, 0755);
		chown(keys, nobody->pw_uid, nobody->pw_gid);
		for (i = 0; i < sizeof others / sizeof others[0]; i++) {
			snprintf(other, sizeof other, "%s/%s", keys, others[i]);
			chown(other, nobody->pw_uid, nobody->pw_gid);
		}
		snprintf(text, sizeof text, "KeyStore %s\nUserID nobody\n",
			 keys);
		snprintf(want, sizeof want,
			 "%s: not readable by user nobody (owner uid 0, mode "
			 "0600)\n",
			 path);
	} else {
		chmod(path, 0200);
		snprintf(text, sizeof text, "KeyStore %s\n", keys);
		snprintf(want, sizeof want,
			 "%s: not readable by user %s (owner uid %u, mode "
			 "0200)\n",
			 path, getpwuid(geteuid())->pw_name,
			 (unsigned)geteuid());
	}
	is_long(check_text(text, &diags), 1,
		"check: a key UserID cannot read is a problem");
	is_str((const char *)diags.data, want, "check: unreadable key message");
	chmod(path, 0600);

	/* The configuration file itself is re-read as UserID on SIGHUP.
	 * Only root can make a file another user cannot read but it can. */
	if (geteuid() == 0) {
		snprintf(text, sizeof text,
			 "UserID nobody\nTempDirectory %s/spool\n"
			 "Socket local:%s/s\n",
			 tmpdir, tmpdir);
		write_file(conf, text, 0600);
		{
			milter_config *cfg = NULL;

			smime_buf_reset(&diags);
			milter_config_load(conf, &cfg, &diags);
			is_long(cfg ? milter_config_check(cfg, &diags) : -1, 1,
				"check: a config file UserID cannot read is a "
				"problem");
			snprintf(
				want, sizeof want,
				"%s: not readable by user nobody (owner uid 0, "
				"mode 0600)\n",
				conf);
			is_str((const char *)diags.data, want,
			       "check: unreadable config file message");
			milter_config_unref(cfg);
		}
	} else {
		printf("# not root: config-file-readable-by-UserID check not "
		       "run\n");
	}

	/* A CRL directory: DER and PEM files parse, dot files are skipped,
	 * anything else is named. */
	snprintf(path, sizeof path, "%s/crls", tmpdir);
	mkdir(path, 0755);
	copy_file(CONFIG_DATA_DIR "/crl.der", path, "a.crl");
	copy_file(CONFIG_DATA_DIR "/crl.pem", path, "b.pem");
	snprintf(want, sizeof want, "%s/.hidden", path);
	write_file(want, "not a CRL\n", 0644);
	snprintf(want, sizeof want, "%s/junk.crl", path);
	write_file(want, "not a CRL\n", 0644);
	snprintf(text, sizeof text, "TrustAnchorFile %s/ca.pem\nCRLFile %s\n",
		 CONFIG_DATA_DIR, path);
	/* The trust store is built when the configuration loads, so a bad
	 * CRL or anchor file is a load error (start, -n and SIGHUP alike). */
	is_long(check_text(text, &diags), -1,
		"load: in a CRL directory DER and PEM parse and one junk file "
		"fails the load");
	snprintf(want, sizeof want,
		 "%s/junk.crl: expected PEM or DER CRLs: ", path);
	ok(diags.data &&
		   strncmp((const char *)diags.data, want, strlen(want)) == 0,
	   "check: the CRL problem names the file");
	snprintf(text, sizeof text, "CRLFile %s/crl.der\n", CONFIG_DATA_DIR);
	is_long(check_text(text, &diags), 0, "check: a DER CRL file parses");
	snprintf(text, sizeof text, "CRLFile %s/crl.pem\n", CONFIG_DATA_DIR);
	is_long(check_text(text, &diags), 0, "check: a PEM CRL file parses");

	snprintf(path, sizeof path, "%s/notca.pem", tmpdir);
	write_file(path, "hello\n", 0644);
	snprintf(text, sizeof text, "TrustAnchorFile %s\n", path);
	is_long(check_text(text, &diags), -1,
		"load: a trust anchor file without certificates fails the "
		"load");
	snprintf(want, sizeof want, "%s: expected PEM CA certificates: ", path);
	ok(diags.data &&
		   strncmp((const char *)diags.data, want, strlen(want)) == 0,
	   "check: trust anchor message");

	snprintf(text, sizeof text,
		 "CertDirectory %s/nodir\nSenderLoginMap %s/nomap\n", tmpdir,
		 tmpdir);
	is_long(check_text(text, &diags), -1,
		"load: a missing CertDirectory or SenderLoginMap fails the "
		"load");
	snprintf(want, sizeof want, "%s/nodir: ", tmpdir);
	ok(diags.data && strstr((const char *)diags.data, want) != NULL,
	   "load: the missing directory is named");

	snprintf(text, sizeof text,
		 "TempDirectory %s/nodir\nSocket local:%s/nodir/s\n", tmpdir,
		 tmpdir);
	write_file(conf, text, 0644);
	{
		milter_config *cfg = NULL;

		smime_buf_reset(&diags);
		milter_config_load(conf, &cfg, &diags);
		is_long(cfg ? milter_config_check(cfg, &diags) : -1, 2,
			"check: missing TempDirectory and socket directory");
		milter_config_unref(cfg);
	}
	smime_buf_free(&diags);
}

int main(void)
{
	if (fixture_setup() != 0)
		return 1;
	test_checks();
	fixture_teardown();
	return tap_done();
}
