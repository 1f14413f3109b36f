/*
 * test_config.c - the smime-milter configuration: every SPEC section 4
 * key, its default, every kind of error with its exact "FILE:LINE:
 * message" text, the reference count, and milter_is_outbound on top
 * of it.  The -n checks are test_config_check.c's.
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

static void test_defaults(void)
{
	milter_config *cfg = NULL;
	char host[256];

	ok(milter_config_defaults(&cfg) == 0 && cfg != NULL, "defaults: built");
	if (cfg == NULL)
		return;
	gethostname(host, sizeof host);
	host[sizeof host - 1] = '\0';
	is_str(cfg->socket, "local:/run/smime-milter/smime-milter.sock",
	       "default Socket");
	is_str(cfg->authserv_id, host, "default AuthservID is gethostname()");
	ok(cfg->trust_anchor_file == NULL && cfg->crl_file == NULL &&
		   cfg->key_store == NULL && cfg->cert_directory == NULL &&
		   cfg->rules_file == NULL && cfg->user_id == NULL &&
		   cfg->pid_file == NULL && cfg->sender_login_map == NULL,
	   "defaults: optional files are unset");
	is_long((long)cfg->ninternal_hosts, 2, "default InternalHosts: two");
	ok(cfg->ninternal_hosts == 2 &&
		   cfg->internal_hosts[0].family == AF_INET &&
		   cfg->internal_hosts[0].prefix == 32 &&
		   cfg->internal_hosts[1].family == AF_INET6 &&
		   cfg->internal_hosts[1].prefix == 128,
	   "default InternalHosts: 127.0.0.1/32 and ::1/128");
	is_long((long)cfg->noutbound_daemon_names, 0,
		"default OutboundDaemonNames empty");
	is_long((long)cfg->weak_ciphers, (long)SMIME_WEAK_DEFAULT,
		"default WeakCiphers");
	is_long(cfg->on_internal_error, MILTER_ONERR_TEMPFAIL,
		"default On-InternalError tempfail");
	is_long(cfg->socket_mode, 0660, "default SocketMode 0660");
	is_long(cfg->syslog_facility, LOG_MAIL, "default SyslogFacility mail");
	ok(!cfg->dry_run, "default DryRun no");
	ok(cfg->nweak_digests == 2 &&
		   strcmp(cfg->weak_digests[0], "md5") == 0 &&
		   strcmp(cfg->weak_digests[1], "sha1") == 0,
	   "default WeakDigests md5,sha1");
	is_long(cfg->min_rsa_bits, 2048, "default MinRSABits");
	ok(!cfg->stamp_inner_signatures, "default StampInnerSignatures no");
	ok(!cfg->sign_unauthenticated, "default SignUnauthenticated no");
	is_str(cfg->sign_digest, "sha256", "default SignDigest");
	is_str(cfg->sign_rsa_padding, "pkcs1", "default SignRSAPadding");
	is_long((long)cfg->body_memory_limit, 1024 * 1024,
		"default BodyMemoryLimit 1M");
	is_str(cfg->temp_directory, "/var/tmp", "default TempDirectory");
	is_long((long)cfg->max_crypto_size, 50L * 1024 * 1024,
		"default MaxCryptoSize 50M");
	is_long(cfg->max_nesting, 16, "default MaxNesting");
	is_long(cfg->max_recipient_infos, 1000, "default MaxRecipientInfos");
	is_long(cfg->max_certificates, 100, "default MaxCertificates");
	is_long(cfg->max_signatures, 100, "default MaxSignatures");
	ok(!cfg->harvest_certificates, "default HarvestCertificates no");
	is_str(cfg->harvest_directory, "/var/lib/smime-milter/harvest",
	       "default HarvestDirectory");
	is_long(cfg->harvest_max, 100000, "default HarvestMax");
	is_long(cfg->default_cipher, SMIME_CIPHER_AES_256_CBC,
		"default DefaultCipher aes-256-cbc");
	ok(cfg->encrypt_to_sender, "default EncryptToSender yes");
	ok(cfg->analyze.max_nesting == 16 &&
		   cfg->analyze.mime.max_depth == 16 &&
		   cfg->analyze.cms.max_recipients == 1000 &&
		   cfg->analyze.cms.max_certificates == 100 &&
		   cfg->analyze.max_signatures == 100 &&
		   cfg->analyze.weak_ciphers == SMIME_WEAK_DEFAULT,
	   "defaults: analyze options derived");
	is_long(cfg->refs, 1, "defaults: one reference");
	milter_config_unref(cfg);
}

static void test_every_key(void)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg;
	char text[4096], want[PATH_MAX + 32];

	/* Key store, certificate directory and login map load with the
	 * configuration, so they must exist (empty is fine). */
	snprintf(want, sizeof want, "%s/ks", tmpdir);
	mkdir(want, 0700);
	snprintf(want, sizeof want, "%s/certs", tmpdir);
	mkdir(want, 0755);
	snprintf(want, sizeof want, "%s/logins", tmpdir);
	write_file(want, "# no logins\n", 0644);

	snprintf(text, sizeof text,
		 "# every key, mixed case, comments and blank lines\n"
		 "\n"
		 "socket\tinet:8891@127.0.0.1   # trailing comment\n"
		 "AUTHSERVID mx.example.org\n"
		 "TrustAnchorFile " CONFIG_DATA_DIR "/ca.pem\n"
		 "CRLFile " CONFIG_DATA_DIR "/crl.pem\n"
		 "KeyStore %s/ks\n"
		 "CertDirectory %s/certs\n"
		 "Rules %s/empty.rules\n"
		 "InternalHosts 10.0.0.0/8, 192.168.1.1 ,2001:db8::/32\n"
		 "OutboundDaemonNames ORIGINATING,MSA\n"
		 "WeakCiphers des-ede3-cbc,rc2-40-cbc\n"
		 "On-InternalError reject\n"
		 "UserID root:root\n"
		 "PidFile /run/smime-milter.pid\n"
		 "SocketMode 600\n"
		 "SyslogFacility LOCAL3\n"
		 "DryRun yes\n"
		 "WeakDigests SHA1\n"
		 "MinRSABits 3072\n"
		 "StampInnerSignatures true\n"
		 "SenderLoginMap %s/logins\n"
		 "SignUnauthenticated 1\n"
		 "SignDigest SHA512\n"
		 "SignRSAPadding pss\n"
		 "BodyMemoryLimit 64K\n"
		 "TempDirectory /tmp\n"
		 "MaxCryptoSize 2M\n"
		 "MaxNesting 8\n"
		 "MaxRecipientInfos 50\n"
		 "MaxCertificates 20\n"
		 "MaxSignatures 7\n",
		 tmpdir, tmpdir, tmpdir, tmpdir);
	cfg = load_text(text, &diags);
	ok(cfg != NULL, "every key: loads");
	if (cfg == NULL) {
		printf("# %s", diags.data ? (char *)diags.data : "");
		smime_buf_free(&diags);
		return;
	}
	is_long((long)diags.len, 0, "every key: no diagnostics");
	is_str(cfg->file, conf, "file name kept");
	is_str(cfg->socket, "inet:8891@127.0.0.1", "Socket");
	is_str(cfg->authserv_id, "mx.example.org", "AuthservID");
	is_str(cfg->trust_anchor_file, CONFIG_DATA_DIR "/ca.pem",
	       "TrustAnchorFile");
	is_str(cfg->crl_file, CONFIG_DATA_DIR "/crl.pem", "CRLFile");
	ok(cfg->trust != NULL && smime_trust_anchor_count(cfg->trust) == 1 &&
		   smime_trust_crl_count(cfg->trust) == 1,
	   "TrustAnchorFile and CRLFile: the trust store is built at load");
	snprintf(want, sizeof want, "%s/ks", tmpdir);
	is_str(cfg->key_store, want, "KeyStore");
	snprintf(want, sizeof want, "%s/certs", tmpdir);
	is_str(cfg->cert_directory, want, "CertDirectory");
	snprintf(text, sizeof text, "%s/empty.rules", tmpdir);
	is_str(cfg->rules_file, text, "Rules");
	ok(cfg->rules != NULL, "Rules: the rules file is loaded with the rest");
	ok(cfg->ninternal_hosts == 3 && cfg->internal_hosts[0].prefix == 8 &&
		   cfg->internal_hosts[1].prefix == 32 &&
		   cfg->internal_hosts[2].family == AF_INET6 &&
		   cfg->internal_hosts[2].prefix == 32,
	   "InternalHosts: three CIDRs, blanks around items ignored");
	ok(cfg->noutbound_daemon_names == 2 &&
		   strcmp(cfg->outbound_daemon_names[0], "ORIGINATING") == 0 &&
		   strcmp(cfg->outbound_daemon_names[1], "MSA") == 0,
	   "OutboundDaemonNames");
	is_long((long)cfg->weak_ciphers,
		(long)(SMIME_CIPHER_BIT(SMIME_CIPHER_DES_EDE3_CBC) |
		       SMIME_CIPHER_BIT(SMIME_CIPHER_RC2_40_CBC)),
		"WeakCiphers as cipher bits");
	is_long(cfg->on_internal_error, MILTER_ONERR_REJECT,
		"On-InternalError");
	is_str(cfg->user_id, "root:root", "UserID");
	is_str(cfg->pid_file, "/run/smime-milter.pid", "PidFile");
	is_long(cfg->socket_mode, 0600, "SocketMode is octal");
	is_long(cfg->syslog_facility, LOG_LOCAL3, "SyslogFacility");
	ok(cfg->dry_run, "DryRun");
	ok(cfg->nweak_digests == 1 && strcmp(cfg->weak_digests[0], "sha1") == 0,
	   "WeakDigests canonical lower case");
	is_long(cfg->min_rsa_bits, 3072, "MinRSABits");
	ok(cfg->stamp_inner_signatures, "StampInnerSignatures");
	snprintf(want, sizeof want, "%s/logins", tmpdir);
	is_str(cfg->sender_login_map, want, "SenderLoginMap");
	ok(cfg->sign_unauthenticated, "SignUnauthenticated");
	is_str(cfg->sign_digest, "sha512", "SignDigest canonical");
	is_str(cfg->sign_rsa_padding, "pss", "SignRSAPadding");
	is_long((long)cfg->body_memory_limit, 65536, "BodyMemoryLimit 64K");
	is_str(cfg->temp_directory, "/tmp", "TempDirectory");
	is_long((long)cfg->max_crypto_size, 2L * 1024 * 1024,
		"MaxCryptoSize 2M");
	is_long(cfg->max_nesting, 8, "MaxNesting");
	is_long(cfg->max_recipient_infos, 50, "MaxRecipientInfos");
	is_long(cfg->max_certificates, 20, "MaxCertificates");
	is_long(cfg->max_signatures, 7, "MaxSignatures");
	ok(cfg->analyze.max_nesting == 8 && cfg->analyze.mime.max_depth == 8 &&
		   cfg->analyze.cms.max_recipients == 50 &&
		   cfg->analyze.cms.max_certificates == 20 &&
		   cfg->analyze.max_signatures == 7 &&
		   cfg->analyze.weak_ciphers == cfg->weak_ciphers,
	   "analyze options follow the file");
	milter_config_unref(cfg);
	smime_buf_free(&diags);
}

static void test_booleans(void)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {{"yes", true},    {"no", false},   {"true", true},
		     {"false", false}, {"1", true},     {"0", false},
		     {"YES", true},    {"False", false}};
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg;
	char text[64];
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		snprintf(text, sizeof text, "DryRun %s\n", words[i].word);
		cfg = load_text(text, &diags);
		ok(cfg != NULL && cfg->dry_run == words[i].value,
		   "boolean '%s' is %s", words[i].word,
		   words[i].value ? "true" : "false");
		milter_config_unref(cfg);
	}
	smime_buf_free(&diags);
}

static void test_sizes(void)
{
	static const struct {
		const char *text;
		int rc;
		size_t value;
	} cases[] = {
		{"0", 0, 0},
		{"1024", 0, 1024},
		{"1K", 0, 1024},
		{"1k", 0, 1024},
		{"2M", 0, 2 * 1024 * 1024},
		{"50M", 0, 50 * 1024 * 1024},
		{"", -1, 0},
		{"K", -1, 0},
		{"1G", -1, 0},
		{"-1", -1, 0},
		{" 1", -1, 0},
		{"1 K", -1, 0},
		{"1.5M", -1, 0},
		{"1KB", -1, 0},
		{"99999999999999999999", -1, 0},
		{"18014398509481984M", -1, 0},
	};
	size_t i, v;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = 12345;
		rc = milter_parse_size(cases[i].text, &v);
		if (cases[i].rc == 0)
			ok(rc == 0 && v == cases[i].value, "size '%s' is %zu",
			   cases[i].text, cases[i].value);
		else
			ok(rc == SMIME_E_PARSE, "size '%s' is refused",
			   cases[i].text);
	}
}

static void test_lists(void)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg;

	cfg = load_text("InternalHosts\nOutboundDaemonNames\nWeakCiphers\n"
			"WeakDigests\n",
			&diags);
	ok(cfg != NULL && cfg->ninternal_hosts == 0 &&
		   cfg->noutbound_daemon_names == 0 && cfg->weak_ciphers == 0 &&
		   cfg->nweak_digests == 0,
	   "lists: an empty value is an empty list");
	milter_config_unref(cfg);
	cfg = load_text("InternalHosts ::ffff:10.1.2.3/104,fe80::1\n", &diags);
	ok(cfg != NULL && cfg->ninternal_hosts == 2 &&
		   cfg->internal_hosts[0].family == AF_INET6 &&
		   cfg->internal_hosts[0].prefix == 104,
	   "lists: IPv6 CIDRs");
	milter_config_unref(cfg);
	cfg = load_text("WeakCiphers aes-128-gcm, rc2-cbc\n", &diags);
	ok(cfg != NULL && cfg->weak_ciphers ==
				  (SMIME_CIPHER_BIT(SMIME_CIPHER_AES_128_GCM) |
				   SMIME_CIPHER_BIT(SMIME_CIPHER_RC2_CBC)),
	   "lists: any SPEC cipher name can be weak");
	milter_config_unref(cfg);
	smime_buf_free(&diags);
}

/* Every kind of error, with its exact text. */
static void test_errors(void)
{
	load_fails("Socket inet:8891@localhost\n# c\nBogus 1\n",
		   "%s:3: unknown key 'Bogus'\n", "unknown key");
	load_fails("\nSocket inet:1@h\nMaxNesting 4\nsocket inet:2@h\n",
		   "%s:4: Socket: duplicate key (first set on line 2)\n",
		   "duplicate key, case-insensitive");
	load_fails("DryRun maybe\n",
		   "%s:1: DryRun: expected yes, no, true, false, 1 or 0, got "
		   "'maybe'\n",
		   "bad boolean");
	load_fails("MaxNesting\n", "%s:1: MaxNesting: missing value\n",
		   "missing value");
	load_fails("MaxNesting 65\n",
		   "%s:1: MaxNesting: expected a number from 1 to 64, got "
		   "'65'\n",
		   "number above its bound");
	load_fails("MaxSignatures 0\n",
		   "%s:1: MaxSignatures: expected a number from 1 to 10000, "
		   "got '0'\n",
		   "MaxSignatures 0 would stamp nothing: refused");
	load_fails("MinRSABits 2k\n",
		   "%s:1: MinRSABits: expected a number from 512 to 16384, got "
		   "'2k'\n",
		   "number with junk");
	load_fails("BodyMemoryLimit 2G\n",
		   "%s:1: BodyMemoryLimit: expected a size from 0 to "
		   "1073741824 bytes (K and M suffixes allowed, 1024-based), "
		   "got '2G'\n",
		   "bad size");
	load_fails("MaxCryptoSize 10\n",
		   "%s:1: MaxCryptoSize: expected a size from 1024 to "
		   "1073741824 bytes (K and M suffixes allowed, 1024-based), "
		   "got '10'\n",
		   "size below its bound");
	load_fails("SocketMode 0999\n",
		   "%s:1: SocketMode: expected an octal mode such as 0660, got "
		   "'0999'\n",
		   "mode not octal");
	load_fails("SocketMode 01000\n",
		   "%s:1: SocketMode: expected an octal mode such as 0660, got "
		   "'01000'\n",
		   "mode too large");
	load_fails("SyslogFacility kernel\n",
		   "%s:1: SyslogFacility: expected a syslog facility: mail, "
		   "daemon, user, auth, authpriv, local0 ... local7, ..., got "
		   "'kernel'\n",
		   "bad facility");
	load_fails("On-InternalError maybe\n",
		   "%s:1: On-InternalError: expected accept, tempfail or "
		   "reject, got 'maybe'\n",
		   "bad enumeration");
	load_fails("SignDigest md5\n",
		   "%s:1: SignDigest: expected sha256, sha384 or sha512, got "
		   "'md5'\n",
		   "SignDigest outside its choices");
	load_fails("WeakDigests md5,sha999\n",
		   "%s:1: WeakDigests: expected md5, sha1, sha224, sha256, "
		   "sha384 or sha512, got 'sha999'\n",
		   "unknown digest in a list");
	load_fails("WeakCiphers rc2-40-cbc,rot13\n",
		   "%s:1: WeakCiphers: expected cipher names such as "
		   "rc2-40-cbc, des-cbc, des-ede3-cbc, aes-128-cbc (SPEC "
		   "section 6), got 'rot13'\n",
		   "unknown cipher");
	load_fails("InternalHosts 10.0.0.0/33\n",
		   "%s:1: InternalHosts: expected an IPv4 or IPv6 address, "
		   "optionally with /PREFIX, got '10.0.0.0/33'\n",
		   "bad CIDR");
	load_fails("InternalHosts 127.0.0.1,,::1\n",
		   "%s:1: InternalHosts: expected a comma-separated list "
		   "without empty items, got '127.0.0.1,,::1'\n",
		   "empty list item");
	load_fails("OutboundDaemonNames a b\n",
		   "%s:1: OutboundDaemonNames: expected names without blanks, "
		   "got 'a b'\n",
		   "name with a blank");
	load_fails("Socket unix:/run/x.sock\n",
		   "%s:1: Socket: expected inet:PORT@HOST, inet6:PORT@HOST or "
		   "local:/path, got 'unix:/run/x.sock'\n",
		   "unknown socket type");
	load_fails("Socket inet:99999@localhost\n",
		   "%s:1: Socket: expected inet:PORT@HOST, inet6:PORT@HOST or "
		   "local:/path, got 'inet:99999@localhost'\n",
		   "port out of range");
	load_fails("Socket local:run/x.sock\n",
		   "%s:1: Socket: expected inet:PORT@HOST, inet6:PORT@HOST or "
		   "local:/path, got 'local:run/x.sock'\n",
		   "relative local socket");
	load_fails("AuthservID mx;evil\n",
		   "%s:1: AuthservID: expected a host name or another RFC 8601 "
		   "token (or HOSTNAME), got 'mx;evil'\n",
		   "authserv-id with a special");
	load_fails("UserID nosuchuser-smime\n",
		   "%s:1: UserID: unknown user 'nosuchuser-smime'\n",
		   "unknown user");
	load_fails("UserID root:nosuchgroup-smime\n",
		   "%s:1: UserID: unknown group 'nosuchgroup-smime'\n",
		   "unknown group");
	load_fails("KeyStore keys\n",
		   "%s:1: KeyStore: expected an absolute path, got 'keys'\n",
		   "relative path");
	load_fails("Bogus\x01key 1\n", "%s:1: unknown key 'Bogus?key'\n",
		   "control character shown as ?");
	load_fails("DryRun yes\nBogus 1\nMaxNesting 0\nDryRun no\n",
		   "%s:2: unknown key 'Bogus'\n"
		   "%s:3: MaxNesting: expected a number from 1 to 64, got '0'\n"
		   "%s:4: DryRun: duplicate key (first set on line 1)\n",
		   "every problem is reported, not just the first");
}

static void test_unreadable_files(void)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg = NULL;
	char path[PATH_MAX + 32], want[PATH_MAX + 128];
	static const char nul_line[] = "DryRun yes\nMax\0Nesting 3\n";
	FILE *fp;

	snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
	ok(milter_config_load(path, &cfg, &diags) == SMIME_REPORTED &&
		   cfg == NULL,
	   "missing file: load fails");
	snprintf(want, sizeof want,
		 "%s: cannot open: No such file or directory\n", path);
	is_str((const char *)diags.data, want, "missing file: message");

	fp = fopen(conf, "w");
	fwrite(nul_line, 1, sizeof nul_line - 1, fp);
	fclose(fp);
	smime_buf_reset(&diags);
	ok(milter_config_load(conf, &cfg, &diags) == SMIME_REPORTED,
	   "NUL byte: load fails");
	snprintf(want, sizeof want, "%s:2: NUL byte in line\n", conf);
	is_str((const char *)diags.data, want, "NUL byte: message");
	smime_buf_free(&diags);
}

/* The Rules file loads with the configuration: its errors make the
 * configuration unusable, in the rules' FILE:LINE:COLUMN form. */
static void test_rules_file(void)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg;
	char rules[PATH_MAX + 32], text[2 * PATH_MAX], want[PATH_MAX + 64];

	snprintf(rules, sizeof rules, "%s/bad.rules", tmpdir);
	write_file(rules, "when inbound then explode\n", 0644);
	snprintf(text, sizeof text, "Rules %s\n", rules);
	cfg = load_text(text, &diags);
	ok(cfg == NULL,
	   "rules: a rules file that does not parse fails the load");
	snprintf(want, sizeof want, "%s:1:", rules);
	ok(diags.data &&
		   strncmp((const char *)diags.data, want, strlen(want)) == 0,
	   "rules: its error is reported as RULESFILE:LINE:...");
	milter_config_unref(cfg);

	snprintf(text, sizeof text, "Rules %s/none.rules\n", tmpdir);
	cfg = load_text(text, &diags);
	ok(cfg == NULL, "rules: a missing rules file fails the load");
	milter_config_unref(cfg);
	smime_buf_free(&diags);
}

static void test_refcount(void)
{
	milter_config *cfg = NULL, *same;

	milter_config_defaults(&cfg);
	if (cfg == NULL) {
		ok(0, "refcount: defaults");
		return;
	}
	same = milter_config_ref(cfg);
	ok(same == cfg, "ref returns the same config");
	is_long(cfg->refs, 2, "ref counts up");
	milter_config_unref(cfg);
	is_long(cfg->refs, 1, "unref counts down and keeps it");
	milter_config_unref(cfg); /* frees: ASan reports any leak or reuse */
	ok(milter_config_ref(NULL) == NULL, "ref(NULL) is NULL");
	milter_config_unref(NULL);
}
static void test_outbound(void)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg;
	milter_msg *m = NULL;

	cfg = load_text("OutboundDaemonNames ORIGINATING\nTempDirectory /tmp\n",
			&diags);
	if (cfg == NULL || milter_msg_new(cfg, &m) < 0) {
		ok(0, "outbound: set up");
		milter_config_unref(cfg);
		return;
	}
	milter_msg_set(&m->client_ip, "192.0.2.1");
	ok(!milter_is_outbound(cfg, m), "outbound: 192.0.2.1 is inbound");
	milter_msg_set(&m->client_ip, "127.0.0.1");
	ok(milter_is_outbound(cfg, m), "outbound: 127.0.0.1 is internal");
	milter_msg_set(&m->client_ip, "::1");
	ok(milter_is_outbound(cfg, m), "outbound: ::1 is internal");
	milter_msg_set(&m->client_ip, NULL);
	ok(milter_is_outbound(cfg, m), "outbound: a local client is internal");
	milter_msg_set(&m->client_ip, "192.0.2.1");
	milter_msg_set(&m->auth_user, "alice");
	ok(milter_is_outbound(cfg, m), "outbound: authenticated");
	milter_msg_set(&m->auth_user, NULL);
	milter_msg_set(&m->daemon_name, "originating");
	ok(milter_is_outbound(cfg, m),
	   "outbound: daemon name, case-insensitive");
	milter_msg_set(&m->daemon_name, "smtpd");
	ok(!milter_is_outbound(cfg, m), "outbound: other daemon name");
	ok(milter_msg_add_rcpt(m, "a@example.org") == 0 &&
		   milter_msg_add_rcpt(m, "b@example.org") == 0 &&
		   m->nrcpts == 2 && strcmp(m->rcpts[1], "b@example.org") == 0,
	   "msg: recipients kept in order");
	ok(smime_body_append(m->body, "x", 1) == 0 &&
		   smime_body_size(m->body) == 1,
	   "msg: body store works");
	milter_msg_free(m);
	milter_config_unref(cfg);
	smime_buf_free(&diags);
}

int main(void)
{
	if (fixture_setup() != 0)
		return 1;
	test_defaults();
	test_every_key();
	test_booleans();
	test_sizes();
	test_lists();
	test_errors();
	test_unreadable_files();
	test_rules_file();
	test_refcount();
	test_outbound();
	fixture_teardown();
	return tap_done();
}
