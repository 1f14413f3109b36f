/*
 * test_out_of_memory.c - out of memory reads as out of memory: with the
 * n-th allocation failing, for every n until a run needs no more, the
 * configuration defaults, a config setter, the config loader (with a
 * Rules file and a SenderLoginMap) and the rules loader return
 * SMIME_E_NOMEM (RULES_E_NOMEM), never a bad value (SMIME_E_ARG,
 * SMIME_REPORTED, RULES_E_PARSE) and never a diagnostic about the input.
 * And the `encrypt` action fails closed (SPEC 4): with an encrypt rule
 * and On-InternalError accept, every failed allocation anywhere in the
 * processing path (analysis, Rules, sealing) tempfails the message, and
 * the one run that completes encrypts it; none accepts the plaintext.
 *
 * The program is linked with -Wl,--wrap for malloc, calloc, realloc,
 * strdup and strndup, so every allocation the code of crypto/, rules/
 * and milter/ makes comes through fail_now() below.  Allocations inside
 * libc (getline, fopen) and GnuTLS are not counted and never fail.
 */
#include "config_internal.h"
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- The failing allocator ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long fail_at = -1; /* the allocation that fails; -1: none */
static long allocs;       /* allocations counted since arm() */
static bool failed;       /* the allocation fail_at came */

static void arm(long n)
{
	fail_at = n;
	allocs = 0;
	failed = false;
}

static void disarm(void)
{
	fail_at = -1;
}

static bool fail_now(void)
{
	if (fail_at < 0 || allocs++ != fail_at)
		return false;
	failed = true;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

/* ---- Fixtures ---- */

static char tmpdir[] = "/tmp/test_out_of_memory.XXXXXX";
static char conf[PATH_MAX], rules[PATH_MAX], loginmap[PATH_MAX];

static const char rules_text[] =
	"when outbound and from \"*@example.org\" then tag \"out\"\n"
	"when client-ip 192.0.2.0/24 and header Subject \"*[x]*\" then "
	"quarantine \"held\"\n"
	"when inbound and not signed and size > 1M then reject \"5.7.1 no\"\n"
	"when cipher weak then reencrypt aes-256-cbc, tag\n";

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
}

/* Whether every line of diags reports out of memory. */
static bool only_oom(const smime_buf *diags)
{
	const char *p = diags->data ? (const char *)diags->data : "";
	const char *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			return false;
		if ((size_t)(nl - p) < 15 ||
		    strncmp(nl - 15, ": out of memory", 15) != 0)
			return false;
	}
	return true;
}

/* ---- Tests ---- */

/* milter_process under `encrypt`, the n-th allocation failing. */
static void test_process_encrypt(void)
{
	static const char msg[] =
		"From: alice@example.org\r\nTo: bob@example.org\r\n"
		"Subject: hi\r\nContent-Type: text/plain\r\n\r\n"
		"The plaintext nobody may see.\r\n";
	char ks[PATH_MAX - 16], path[PATH_MAX], text[3 * PATH_MAX];
	smime_buf diags = SMIME_BUF_INIT, pem = SMIME_BUF_INIT;
	milter_config *cfg = NULL;
	milter_msg *m = NULL;
	size_t off = 0;
	long n, wrong = 0;
	FILE *fp;
	int rc;

	snprintf(ks, sizeof ks, "%s/ks", tmpdir);
	mkdir(ks, 0700);
	for (int i = 0; i < 2; i++) {
		char buf[4096];
		size_t got;

		snprintf(path, sizeof path, "%s/bob.%s", CMS_DATA_DIR,
			 i ? "key" : "pem");
		fp = fopen(path, "rb");
		smime_buf_reset(&pem);
		while (fp && (got = fread(buf, 1, sizeof buf, fp)) > 0)
			smime_buf_append(&pem, buf, got);
		if (fp)
			fclose(fp);
		smime_buf_putc(&pem, '\0');
		snprintf(path, sizeof path, "%s/bob.%s", ks, i ? "key" : "crt");
		write_file(path, (const char *)pem.data);
		chmod(path, i ? 0600 : 0644);
	}
	snprintf(path, sizeof path, "%s/encrypt.rules", tmpdir);
	write_file(path, "when outbound then encrypt aes-256-cbc\n");
	snprintf(text, sizeof text,
		 "Socket inet:8891@localhost\nKeyStore %s\nRules %s\n"
		 "On-InternalError accept\n",
		 ks, path);
	write_file(conf, text);
	rc = milter_config_load(conf, &cfg, &diags);
	if (rc == 0)
		rc = milter_msg_new(cfg, &m);
	if (rc == 0 && (rc = milter_msg_set(&m->auth_user, "alice")) == 0 &&
	    (rc = milter_msg_set(&m->env_from, "alice@example.org")) == 0 &&
	    (rc = milter_msg_add_rcpt(m, "bob@example.org")) == 0 &&
	    (rc = smime_message_split((const unsigned char *)msg, strlen(msg),
				      &m->headers, &off)) == 0)
		rc = smime_body_append(m->body,
				       (const unsigned char *)msg + off,
				       strlen(msg) - off);
	if (rc != 0) {
		ok(0, "encrypt: the fixture loads (%s)",
		   diags.data ? (const char *)diags.data : "");
		goto out;
	}
	for (n = 0;; n++) {
		smime_edits e = {0};
		smime_buf log = SMIME_BUF_INIT;

		arm(n);
		rc = milter_process(cfg, m, &e, &log);
		disarm();
		if (!failed) {
			ok(rc == 0 && e.verdict == SMIME_VERDICT_ACCEPT &&
				   e.replace_body &&
				   memmem(e.body.data, e.body.len, "plaintext",
					  9) == NULL,
			   "encrypt: encrypted after %ld allocations", n);
			smime_edits_free(&e);
			smime_buf_free(&log);
			break;
		}
		if ((rc >= 0 || e.verdict != SMIME_VERDICT_TEMPFAIL) &&
		    wrong++ == 0)
			printf("# allocation %ld failed: %d, verdict %d\n", n,
			       rc, (int)e.verdict);
		smime_edits_free(&e);
		smime_buf_free(&log);
	}
	ok(n > 0 && wrong == 0,
	   "encrypt, On-InternalError accept: each of %ld failed allocations "
	   "tempfails the message, none accepts the plaintext",
	   n);
out:
	milter_msg_free(m);
	milter_config_unref(cfg);
	smime_buf_free(&diags);
	smime_buf_free(&pem);
}

static void test_defaults(void)
{
	long n, wrong = 0;
	int rc;

	for (n = 0;; n++) {
		milter_config *cfg = NULL;

		arm(n);
		rc = milter_config_defaults(&cfg);
		disarm();
		if (!failed) {
			is_long(rc, 0, "defaults: fine after %ld allocations",
				n);
			milter_config_unref(cfg);
			break;
		}
		if (rc != SMIME_E_NOMEM || cfg != NULL) {
			if (wrong++ == 0)
				printf("# allocation %ld failed: %s\n", n,
				       smime_strerror(rc));
			milter_config_unref(cfg);
		}
	}
	ok(n > 0 && wrong == 0,
	   "defaults: each of %ld failed allocations is SMIME_E_NOMEM, "
	   "never SMIME_E_ARG",
	   n);
}

/* InternalHosts' setter, as config.c's table row would call it. */
static void test_setter(void)
{
	static const cfg_key key = {"InternalHosts",
				    &milter_cfgtype_cidrs,
				    NULL,
				    0,
				    0,
				    offsetof(milter_config, internal_hosts),
				    offsetof(milter_config, ninternal_hosts),
				    NULL};
	static const char value[] = "10.0.0.0/8, 192.0.2.1, ::1, 2001:db8::/32";
	milter_config cfg;
	smime_buf why = SMIME_BUF_INIT;
	long n, wrong = 0;
	int rc;

	memset(&cfg, 0, sizeof cfg);
	rc = key.type->set(&key, "10.0.0.0/33", &cfg, &why);
	is_long(rc, SMIME_REPORTED, "setter: a bad value is SMIME_REPORTED");
	ok(why.len > 0 && cfg.internal_hosts == NULL,
	   "setter: ... with what was expected written to why");
	for (n = 0;; n++) {
		smime_buf_reset(&why);
		arm(n);
		rc = key.type->set(&key, value, &cfg, &why);
		disarm();
		if (!failed) {
			ok(rc == 0 && cfg.ninternal_hosts == 4,
			   "setter: fine after %ld allocations", n);
			break;
		}
		if ((rc != SMIME_E_NOMEM || why.len != 0) && wrong++ == 0)
			printf("# allocation %ld failed: %d, why '%.*s'\n", n,
			       rc, (int)why.len, (const char *)why.data);
	}
	ok(n > 0 && wrong == 0,
	   "setter: each of %ld failed allocations is SMIME_E_NOMEM with "
	   "nothing written to why",
	   n);
	key.type->release(&key, &cfg);
	smime_buf_free(&why);
}

static void test_config_load(void)
{
	char text[3 * PATH_MAX + 512];
	long n, wrong = 0;
	int rc;

	snprintf(text, sizeof text,
		 "Socket inet:8891@localhost\n"
		 "AuthservID mx.example.org\n"
		 "InternalHosts 127.0.0.1, ::1, 10.0.0.0/8\n"
		 "OutboundDaemonNames ORIGINATING, submission\n"
		 "WeakCiphers rc2-40-cbc, des-cbc\n"
		 "WeakDigests md5, sha1\n"
		 "SignDigest sha384\n"
		 "MinRSABits 2048\n"
		 "BodyMemoryLimit 2M\n"
		 "Rules %s\n"
		 "SenderLoginMap %s\n",
		 rules, loginmap);
	write_file(conf, text);
	for (n = 0;; n++) {
		smime_buf diags = SMIME_BUF_INIT;
		milter_config *cfg = NULL;

		arm(n);
		rc = milter_config_load(conf, &cfg, &diags);
		disarm();
		if (!failed) {
			ok(rc == 0 && cfg != NULL && diags.len == 0,
			   "config file: loads after %ld allocations", n);
			milter_config_unref(cfg);
			smime_buf_free(&diags);
			break;
		}
		if ((rc != SMIME_E_NOMEM || cfg != NULL || !only_oom(&diags)) &&
		    wrong++ == 0)
			printf("# allocation %ld failed: %d, diagnostics "
			       "'%.*s'\n",
			       n, rc, (int)diags.len, (const char *)diags.data);
		milter_config_unref(cfg);
		smime_buf_free(&diags);
	}
	ok(n > 0 && wrong == 0,
	   "config file: each of %ld failed allocations is SMIME_E_NOMEM, "
	   "and no diagnostic but 'out of memory'",
	   n);
}

static void test_rules_load(void)
{
	long n, wrong = 0;
	int rc;

	for (n = 0;; n++) {
		rules_diag d = RULES_DIAG_INIT;
		rules_set *rs = NULL;

		arm(n);
		rc = rules_load_buffer("oom.rules", rules_text,
				       strlen(rules_text), RULES_CAP_ALL, &rs,
				       &d);
		disarm();
		if (!failed) {
			ok(rc == 0 && rules_set_count(rs) == 4 && d.n == 0,
			   "rules: load after %ld allocations", n);
			rules_set_free(rs);
			rules_diag_free(&d);
			break;
		}
		if ((rc != RULES_E_NOMEM || rs != NULL || d.n != 0) &&
		    wrong++ == 0)
			printf("# allocation %ld failed: %d, %zu "
			       "diagnostics%s%s\n",
			       n, rc, d.n, d.n ? ", first: " : "",
			       d.n ? d.v[0].text : "");
		rules_set_free(rs);
		rules_diag_free(&d);
	}
	ok(n > 0 && wrong == 0,
	   "rules: each of %ld failed allocations is RULES_E_NOMEM with no "
	   "diagnostic, never RULES_E_PARSE",
	   n);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(conf, sizeof conf, "%s/smime-milter.conf", tmpdir);
	snprintf(rules, sizeof rules, "%s/oom.rules", tmpdir);
	snprintf(loginmap, sizeof loginmap, "%s/login.map", tmpdir);
	write_file(rules, rules_text);
	write_file(loginmap, "alice alice@example.org *@alice.example.org\n"
			     "bob bob@example.org\n");
	smime_global_init();
	test_defaults();
	test_setter();
	test_config_load();
	test_rules_load();
	test_process_encrypt();
	smime_global_deinit();
	unlink(conf);
	unlink(rules);
	unlink(loginmap);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return tap_done();
}
