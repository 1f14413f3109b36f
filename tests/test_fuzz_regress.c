/*
 * test_fuzz_regress.c - replays every input the fuzzers ever found a bug
 * with (tests/fuzz/regress/TARGET/) through the very entry points of the
 * fuzz harnesses (tests/fuzz/fuzz_TARGET.c, compiled here with
 * -DFUZZ_REGRESS and no libFuzzer), in the normal build, so a fixed crash
 * stays fixed under the ASan/UBSan run of `make check-unit`.
 *
 * The hand-written seeds of the rules, config and authres fuzzers
 * (tests/fuzz/seeds/) are replayed too: they cover each language's
 * error paths.  A harness aborts on any broken promise, and ASan on any
 * memory error or leak, so a regression ends this program before its
 * plan and the TAP driver reports the failure.
 */
#include "fuzz.h"
#include "tap.h"

#include <dirent.h>

#ifndef FUZZ_DIR
#error "FUZZ_DIR must name tests/fuzz of the source tree"
#endif

typedef struct target {
	const char *name;
	int (*entry)(const uint8_t *data, size_t size);
	bool has_seeds;
} target;

static const target targets[] = {
	{"mime", fuzz_mime, false},       {"cms", fuzz_cms, false},
	{"analyze", fuzz_analyze, false}, {"rules", fuzz_rules, true},
	{"config", fuzz_config, true},    {"authres", fuzz_authres, true},
	{"process", fuzz_process, false},
};

static int read_file(const char *path, smime_buf *out)
{
	unsigned char chunk[8192];
	FILE *fp = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (fp == NULL)
		return -1;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = smime_buf_append(out, chunk, n);
	if (ferror(fp))
		rc = -1;
	fclose(fp);
	return rc;
}

static int no_dotfiles(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Replays every file of FUZZ_DIR/sub/t->name; returns how many. */
static int replay_dir(const target *t, const char *sub)
{
	struct dirent **names = NULL;
	char dir[4096], path[4096 + 256];
	int n;

	snprintf(dir, sizeof(dir), "%s/%s/%s", FUZZ_DIR, sub, t->name);
	n = scandir(dir, &names, no_dotfiles, alphasort);
	if (!ok(n >= 0, "%s/%s: directory readable", sub, t->name))
		return 0;
	for (int i = 0; i < n; i++) {
		smime_buf data = SMIME_BUF_INIT;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (ok(read_file(path, &data) == 0, "%s/%s/%s: readable", sub,
		       t->name, names[i]->d_name))
			is_long(t->entry(data.data, data.len), 0,
				"%s/%s/%s: fuzz_%s keeps every promise", sub,
				t->name, names[i]->d_name, t->name);
		smime_buf_free(&data);
		free(names[i]);
	}
	free(names);
	return n;
}

int main(void)
{
	int replayed = 0;

	/* The harnesses initialise the crypto libraries themselves, as they
	 * do under libFuzzer. */
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		replayed += replay_dir(&targets[i], "regress");
		if (targets[i].has_seeds)
			ok(replay_dir(&targets[i], "seeds") > 0,
			   "seeds/%s: holds seeds", targets[i].name);
	}
	printf("# %d regression inputs replayed\n", replayed);
	return tap_done();
}
