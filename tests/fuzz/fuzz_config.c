/*
 * fuzz_config.c - fuzz harness for the configuration loader
 * (milter/config.c): the input is a smime-milter.conf.
 *
 * milter_config_load() takes a file name, so the input is written to an
 * in-memory file (memfd, or a temporary file where memfd_create is
 * missing) and loaded through its /proc/self/fd path; the file is reused
 * from one input to the next.
 *
 * The loader reads the files the config names (Rules, TrustAnchorFile,
 * CRLFile, KeyStore, CertDirectory, SenderLoginMap).  It blocked for ever
 * on a FIFO (a pipe of the fuzzer itself, reached as /proc/self/fd/N,
 * found in the first run; tests/fuzz/README.md, F2); it now refuses what
 * is not a regular file, and the harness no longer skips such inputs.
 * Inputs naming a path that resolves into /proc or /sys are skipped (see
 * on_kernel_fs); a pipe's /proc/self/fd/N resolves to no path, so the
 * FIFO case is still fuzzed.  contrib/fuzz/run gives the fuzzer /dev/null
 * as standard input.
 *
 * Checks: a config exactly when 0 is returned, diagnostics exactly when
 * -1 is, every diagnostic a whole "FILE:..." line (a hostile value must
 * not be able to start a line of its own in a log), every string of the
 * config readable, and the bounds of the numeric keys.
 */
#include "fuzz.h"
#include "milter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

static int conf_fd = -1;
static char conf_path[64];

static int open_conf(void)
{
	char tmpl[] = "/tmp/fuzz_config.XXXXXX";

	conf_fd = memfd_create("fuzz.conf", 0);
	if (conf_fd < 0) {
		conf_fd = mkstemp(tmpl);
		if (conf_fd >= 0)
			unlink(tmpl);
	}
	if (conf_fd < 0)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

static int write_conf(const uint8_t *data, size_t size)
{
	size_t done = 0;
	ssize_t n;

	if (ftruncate(conf_fd, 0) != 0)
		return -1;
	while (done < size) {
		n = pwrite(conf_fd, data + done, size - done, (off_t)done);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* True when path resolves into /proc or /sys.  Their files are not
 * files an operator names, and reading them costs what the host makes
 * it cost: "CertDirectory /proc/" reads 16 MB of /proc/kcore, 12 s under
 * ASan, and libFuzzer reported it as a slow unit. */
static bool on_kernel_fs(const char *path)
{
	char *real = realpath(path, NULL);
	bool kern;

	if (real == NULL)
		return false;
	kern = strcmp(real, "/proc") == 0 || strcmp(real, "/sys") == 0 ||
	       strncmp(real, "/proc/", 6) == 0 ||
	       strncmp(real, "/sys/", 5) == 0;
	free(real);
	return kern;
}

/* True when a blank-separated word of the input that starts with '/'
 * resolves into /proc or /sys (see on_kernel_fs). */
static bool names_kernel_fs(const uint8_t *data, size_t size)
{
	char path[4096];
	size_t i = 0, j;

	while (i < size) {
		if (data[i] != '/' || (i > 0 && data[i - 1] > ' ')) {
			i++;
			continue;
		}
		for (j = i; j < size && data[j] > ' '; j++)
			;
		if (j - i < sizeof(path)) {
			memcpy(path, data + i, j - i);
			path[j - i] = '\0';
			if (on_kernel_fs(path))
				return true;
		}
		i = j;
	}
	return false;
}

/* Each diagnostic is one whole line naming the config file, or (for the
 * problems of the Rules file it names, config_rules.c) an absolute path:
 * no value can start a line of its own. */
static void check_diags(const smime_buf *d)
{
	size_t plen = strlen(conf_path), i = 0;

	while (i < d->len) {
		const unsigned char *line = d->data + i;
		const unsigned char *nl = memchr(line, '\n', d->len - i);

		fuzz_check(nl != NULL); /* every diagnostic ends its line */
		fuzz_check((size_t)(nl - line) > plen);
		fuzz_check((memcmp(line, conf_path, plen) == 0 &&
			    line[plen] == ':') ||
			   line[0] == '/');
		i = (size_t)(nl - d->data) + 1;
	}
}

static void check_config(const milter_config *c)
{
	fuzz_check(c->refs == 1);
	fuzz_touch_str(c->file);
	fuzz_check(c->socket != NULL && c->authserv_id != NULL);
	fuzz_touch_str(c->socket);
	fuzz_touch_str(c->authserv_id);
	fuzz_touch_str(c->trust_anchor_file);
	fuzz_touch_str(c->crl_file);
	fuzz_touch_str(c->key_store);
	fuzz_touch_str(c->cert_directory);
	fuzz_touch_str(c->rules_file);
	fuzz_touch_str(c->user_id);
	fuzz_touch_str(c->pid_file);
	fuzz_touch_str(c->sender_login_map);
	fuzz_touch_str(c->sign_digest);
	fuzz_touch_str(c->sign_rsa_padding);
	fuzz_touch_str(c->temp_directory);
	fuzz_touch_mem(c->internal_hosts,
		       c->ninternal_hosts * sizeof(*c->internal_hosts));
	for (size_t i = 0; i < c->noutbound_daemon_names; i++)
		fuzz_touch_str(c->outbound_daemon_names[i]);
	for (size_t i = 0; i < c->nweak_digests; i++)
		fuzz_touch_str(c->weak_digests[i]);
	fuzz_check(c->socket_mode <= 0777);
	fuzz_check(c->min_rsa_bits >= 512 && c->min_rsa_bits <= 16384);
	fuzz_check(c->max_nesting >= 1 && c->max_nesting <= 64);
	fuzz_check(c->max_recipient_infos >= 1 &&
		   c->max_recipient_infos <= 100000);
	fuzz_check(c->max_certificates >= 1 && c->max_certificates <= 10000);
	fuzz_check(c->max_crypto_size >= 1024);
	fuzz_check(c->analyze.max_nesting == c->max_nesting);
}

int fuzz_config(const uint8_t *data, size_t size)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg = NULL;
	int rc;

	if (names_kernel_fs(data, size))
		return 0;
	if (conf_fd < 0 && open_conf() < 0)
		fuzz_fail("cannot create the config file");
	if (write_conf(data, size) < 0)
		fuzz_fail("cannot write the config file");
	rc = milter_config_load(conf_path, &cfg, &diags);
	fuzz_check(rc == 0 || rc == SMIME_REPORTED || rc == SMIME_E_NOMEM);
	fuzz_check((rc == 0) == (cfg != NULL));
	if (rc == SMIME_REPORTED)
		fuzz_check(diags.len > 0);
	check_diags(&diags);
	if (cfg != NULL) {
		check_config(cfg);
		fuzz_check(milter_config_ref(cfg) == cfg);
		milter_config_unref(cfg);
		milter_config_unref(cfg);
	}
	smime_buf_free(&diags);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_config)
