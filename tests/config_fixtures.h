/*
 * config_fixtures.h - what test_config.c and test_config_check.c share
 * (static functions, like tap.h): a temporary directory holding the
 * configuration file, writing and copying files there, loading a
 * configuration from text and asserting its exact load error.
 */
#ifndef CONFIG_FIXTURES_H
#define CONFIG_FIXTURES_H

#include "milter.h"
#include "tap.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char conf[PATH_MAX];
#ifndef CONFIG_DATA_DIR
#define CONFIG_DATA_DIR "tests/data/config"
#endif

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

/* Copies the file from into dir/name. */
__attribute__((unused)) static void copy_file(const char *from, const char *dir,
					      const char *name)
{
	char path[PATH_MAX + 64], buf[4096];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	out = fopen(path, "wb");
	if (in == NULL || out == NULL) {
		perror(in ? path : from);
		exit(1);
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
}

/* Loads text as a config file; returns the config (NULL on failure) and
 * leaves the diagnostics in diags (reset first). */
static milter_config *load_text(const char *text, smime_buf *diags)
{
	milter_config *cfg = NULL;

	write_file(conf, text, 0644);
	smime_buf_reset(diags);
	if (milter_config_load(conf, &cfg, diags) != 0)
		return NULL;
	return cfg;
}

/* want with every "%s" replaced by the config file's name. */
static void expand(const char *want, char *out, size_t size)
{
	size_t n = 0, clen = strlen(conf);

	for (; *want != '\0' && n + clen + 1 < size; want++) {
		if (want[0] == '%' && want[1] == 's') {
			memcpy(out + n, conf, clen);
			n += clen;
			want++;
		} else {
			out[n++] = *want;
		}
	}
	out[n] = '\0';
}

/* Asserts that text fails to load with exactly want ("%s" = file). */
__attribute__((unused)) static void
load_fails(const char *text, const char *want, const char *name)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg = load_text(text, &diags);
	char expect[4096];

	expand(want, expect, sizeof expect);
	ok(cfg == NULL, "%s: load fails", name);
	is_mem(diags.data, diags.len, expect, strlen(expect), "%s: message",
	       name);
	milter_config_unref(cfg);
	smime_buf_free(&diags);
}

/* The temporary directory, the configuration's name in it, an empty
 * rules file and a sticky spool directory; 0 or -1. */
static int fixture_setup(void)
{
	char path[PATH_MAX];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(conf, sizeof conf, "%s/smime-milter.conf", tmpdir);
	snprintf(path, sizeof path, "%s/empty.rules", tmpdir);
	write_file(path, "# no rules yet\n", 0644);
	snprintf(path, sizeof path, "%s/spool", tmpdir);
	mkdir(path, 0700);
	chmod(path, 01777);
	smime_global_init();
	return 0;
}

static void fixture_teardown(void)
{
	char cmd[PATH_MAX + 16];

	smime_global_deinit();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
}

#endif
