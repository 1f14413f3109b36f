/*
 * fuzz_process.c - fuzz harness for milter_process(), the whole path a
 * message takes through the milter and `smime-tool process`: analysis
 * and verification against trust anchors, the Rules, the encryption
 * findings and re-encryption (decryption of the stranger's EnvelopedData
 * with a key the gateway holds, then a new one), signing, the
 * Authentication-Results stamp, the log line, and milter_apply_file()
 * writing the result.
 *
 * Set up once, in a private temporary directory: a key store holding
 * alice, bob and erin (ecrcpt, EC P-256) of tests/data/cms (0600
 * copies; the CMS fixtures there are encrypted to alice, env-kari.der to
 * erin), a rules file that reencrypts weak and legacy ciphers to CBC
 * ciphers and AES-128-GCM to AES-256-GCM, tags, signs
 * outbound mail from example.org and encrypts outbound mail to it
 * (reencrypt, sign and encrypt in a row), and a config naming them and
 * tests/fuzz/trust-anchors.pem, with ReencryptOutbound on.
 *
 * The input is a whole message.  Its To and Cc addresses are the
 * envelope recipients (so a seed addressed to alice gets decrypted); an
 * input of even length is inbound from 192.0.2.1, an odd one outbound,
 * authenticated as alice@example.org.  The clock is fixed.
 *
 * FUZZ_VERBOSE=1 in the environment prints each log line and edit list.
 *
 * Checks: only resource errors fail; the log line is one line without
 * ASCII control characters (values come from the message); every header
 * edit has a printable name and a value folded only as "\n" + blank; a
 * reject or tempfail carries its reply; apply writes the result.
 */
#include "fuzz.h"
#include "milter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_DIR
#error "FUZZ_DIR must name tests/fuzz of the source tree"
#endif

#define CMS_DATA FUZZ_DIR "/../data/cms"
#define FIXED_NOW ((time_t)1796083200) /* 2026-12-01, after the fixtures */
#define MAX_RCPTS 8

static const char rules_text[] =
	"when cipher weak and to *@mobile.example.org then reencrypt "
	"des-ede3-cbc, tag legacy-mobile\n"
	"when cipher weak then reencrypt aes-256-cbc, tag\n"
	"when cipher aes-128-gcm then reencrypt aes-256-gcm\n"
	"when cipher legacy then reencrypt aes-128-cbc\n"
	"when header X-Mailer \"*Windows Mobile*\" then tag legacy-mobile\n"
	"when outbound and from *@example.org then sign\n"
	"when outbound and to *@example.org then encrypt auto\n"
	"when inbound and signature fail then tag bad-signature\n";

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[8192];
	int in, out, rc = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (in < 0 || out < 0)
		rc = -1;
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

static int write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		return -1;
	fputs(text, fp);
	return fclose(fp) == 0 ? 0 : -1;
}

static char work_dir[] = "/tmp/fuzz_process.XXXXXX";

/* Removes what set_up() made (atexit). */
static void tear_down(void)
{
	static const char *const files[] = {"ks/alice.crt",
					    "ks/alice.key",
					    "ks/bob.crt",
					    "ks/bob.key",
					    "ks/ecrcpt.crt",
					    "ks/ecrcpt.key",
					    "ks",
					    "rules",
					    "smime-milter.conf",
					    ""};
	char path[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", work_dir, files[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
}

/* The key store, rules and config in a fresh directory; the config. */
static milter_config *set_up(void)
{
	static const char *const names[] = {"alice", "bob", "ecrcpt"};
	char *dir = work_dir, path[4096], from[4096];
	char conf[8192];
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg = NULL;

	fuzz_check(smime_global_init() == 0);
	if (mkdtemp(dir) == NULL)
		fuzz_fail("mkdtemp");
	atexit(tear_down);
	snprintf(path, sizeof(path), "%s/ks", dir);
	if (mkdir(path, 0700) != 0)
		fuzz_fail("mkdir key store");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s.pem", CMS_DATA, names[i]);
		snprintf(path, sizeof(path), "%s/ks/%s.crt", dir, names[i]);
		if (copy_file(from, path, 0644) != 0)
			fuzz_fail(from);
		snprintf(from, sizeof(from), "%s/%s.key", CMS_DATA, names[i]);
		snprintf(path, sizeof(path), "%s/ks/%s.key", dir, names[i]);
		if (copy_file(from, path, 0600) != 0)
			fuzz_fail(from);
	}
	snprintf(path, sizeof(path), "%s/rules", dir);
	if (write_text(path, rules_text) != 0)
		fuzz_fail("rules file");
	snprintf(conf, sizeof(conf),
		 "AuthservID mx.example.org\n"
		 "TrustAnchorFile %s/trust-anchors.pem\n"
		 "KeyStore %s/ks\n"
		 "Rules %s/rules\n"
		 "TempDirectory %s\n"
		 "StampInnerSignatures yes\n"
		 "ReencryptOutbound yes\n",
		 FUZZ_DIR, dir, dir, dir);
	snprintf(path, sizeof(path), "%s/smime-milter.conf", dir);
	if (write_text(path, conf) != 0)
		fuzz_fail("config file");
	if (milter_config_load(path, &cfg, &diags) != 0) {
		fprintf(stderr, "%.*s", (int)diags.len,
			(const char *)diags.data);
		fuzz_fail("the fuzz config does not load");
	}
	smime_buf_free(&diags);
	/* The directory stays until exit: bodies spill to TempDirectory. */
	return cfg;
}

/* Envelope recipients: the addresses of To and Cc, at most MAX_RCPTS. */
static int add_rcpts(milter_msg *m)
{
	static const char *const fields[] = {"To", "Cc"};
	int rc = 0;

	for (size_t f = 0; f < 2 && rc >= 0; f++) {
		const char *v;

		for (size_t k = 0;
		     rc >= 0 &&
		     (v = smime_headers_get(&m->headers, fields[f], k));
		     k++) {
			char **addrs = NULL;
			size_t n = 0;

			rc = smime_address_list(v, &addrs, &n);
			for (size_t i = 0; rc >= 0 && i < n; i++)
				if (m->nrcpts < MAX_RCPTS)
					rc = milter_msg_add_rcpt(m, addrs[i]);
			smime_address_list_free(addrs, n);
			if (rc == SMIME_E_PARSE)
				rc = 0;
		}
	}
	return rc;
}

/* A header value: no ASCII control character but the tab (8-bit bytes
 * of the original header pass through), folded only as "\n" + blank
 * (libmilter's convention: the MTA turns "\n" into its line end). */
static void check_folded(const char *name, const char *v)
{
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool good = c == '\n' ? p[1] == '\t' || p[1] == ' '
				      : (c >= 0x20 && c != 0x7f) || c == '\t';

		if (!good) {
			fprintf(stderr,
				"header %s: byte 0x%02x at %zu of '%s'\n", name,
				(unsigned char)*p, (size_t)(p - v), v);
			fuzz_fail("header value not printable or badly folded");
		}
	}
}

static void check_result(const smime_edits *e, const smime_buf *logline)
{
	/* One line without ASCII control characters (bytes from 0x80 up are
	 * UTF-8 addresses and headers, passed through as they came). */
	for (size_t i = 0; i < logline->len; i++)
		fuzz_check(logline->data[i] >= 0x20 &&
			   logline->data[i] != 0x7f);
	for (size_t i = 0; i < e->n; i++) {
		const smime_edit *ed = &e->v[i];

		fuzz_check(ed->name != NULL && *ed->name != '\0');
		for (const char *p = ed->name; *p; p++)
			fuzz_check(*p > 0x20 && *p < 0x7f && *p != ':');
		if (ed->value != NULL)
			check_folded(ed->name, ed->value);
		else
			fuzz_check(ed->op != SMIME_EDIT_INSERT);
	}
	fuzz_check(e->verdict >= SMIME_VERDICT_ACCEPT &&
		   e->verdict <= SMIME_VERDICT_QUARANTINE);
	if (e->verdict == SMIME_VERDICT_REJECT ||
	    e->verdict == SMIME_VERDICT_TEMPFAIL)
		fuzz_check(e->reply_code != NULL && strlen(e->reply_code) == 3);
	if (e->replace_body)
		fuzz_check(e->body.len > 0);
}

int fuzz_process(const uint8_t *data, size_t size)
{
	static milter_config *cfg;
	static int devnull = -1;
	smime_edits edits;
	smime_buf logline = SMIME_BUF_INIT;
	milter_msg *m = NULL;
	size_t body_off = 0;
	bool outbound = size % 2 == 1;
	int rc;

	if (cfg == NULL) {
		cfg = set_up();
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		fuzz_check(devnull >= 0);
	}
	memset(&edits, 0, sizeof(edits));
	fuzz_check(milter_msg_new(cfg, &m) == 0);
	m->now = FIXED_NOW;
	rc = milter_msg_set(&m->queue_id, "4FUZZ");
	if (rc == 0)
		rc = milter_msg_set(&m->client_ip,
				    outbound ? "127.0.0.1" : "192.0.2.1");
	if (rc == 0 && outbound)
		rc = milter_msg_set(&m->auth_user, "alice@example.org");
	if (rc == 0)
		rc = milter_msg_set(&m->env_from, "sender@example.net");
	if (rc == 0)
		rc = smime_message_split(data, size, &m->headers, &body_off);
	if (rc == 0)
		rc = add_rcpts(m);
	if (rc == 0)
		rc = smime_body_append(m->body, data + body_off,
				       size - body_off);
	fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
	if (rc == 0) {
		rc = milter_process(cfg, m, &edits, &logline);
		fuzz_check(rc == 0 || smime_err_is_resource(rc));
		if (rc == 0 && getenv("FUZZ_VERBOSE") != NULL) {
			/* For seeing what a seed reaches. */
			fprintf(stderr, "%s\n", (const char *)logline.data);
			for (size_t i = 0; i < edits.n; i++)
				fprintf(stderr, "  edit %d %s: %s\n",
					edits.v[i].op, edits.v[i].name,
					edits.v[i].value ? edits.v[i].value
							 : "-");
		}
		if (rc == 0) {
			check_result(&edits, &logline);
			fuzz_check(milter_apply_file(data, size, body_off,
						     &edits, devnull) == 0);
		}
	}
	smime_edits_free(&edits);
	smime_buf_free(&logline);
	milter_msg_free(m);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_process)
