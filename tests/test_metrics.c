/*
 * test_metrics.c - the counters of SPEC section 10 land where the log
 * line says (metrics.c), at the edges tests/metrics.sh does not reach:
 * the histogram's bucket bounds, a line without result= or action=, the
 * encrypt action's strength="none", the verdict decided, directory
 * lookups; and milter_metrics_write is atomic, 0644 under any umask, and
 * leaves nothing behind when it fails.
 */
#include "metrics.h"
#include "tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The value of the sample line starting with series (name{labels}),
 * -1 when there is none. */
static long long sample(const char *series)
{
	smime_buf b = SMIME_BUF_INIT;
	long long v = -1;
	size_t n = strlen(series);

	if (milter_metrics_format(&b) != 0 || smime_buf_putc(&b, '\0') != 0)
		return -2;
	for (const char *p = (const char *)b.data; p && *p;) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			v = atoll(p + n + 1);
			break;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	smime_buf_free(&b);
	return v;
}

#define M "smime_milter_"

static void one(long ms)
{
	milter_logline l = {.dir = "inbound", .ms = ms};

	milter_metrics_message(&l, SMIME_VERDICT_ACCEPT, false);
}

static void test_buckets(void)
{
	one(0);
	one(5);
	one(6);
	one(10000);
	one(10001);
	is_long(sample(M "processing_seconds_bucket{le=\"0.005\"}"), 2,
		"ms=0 and ms=5 are in le=0.005");
	is_long(sample(M "processing_seconds_bucket{le=\"0.01\"}"), 3,
		"ms=6 is in le=0.01 (buckets are cumulative)");
	is_long(sample(M "processing_seconds_bucket{le=\"10\"}"), 4,
		"ms=10000 is in le=10");
	is_long(sample(M "processing_seconds_bucket{le=\"+Inf\"}"), 5,
		"ms=10001 only in +Inf");
	is_long(sample(M "processing_seconds_count"), 5, "_count is +Inf");
	is_long(sample(M "messages_total{dir=\"inbound\"}"), 5,
		"five inbound messages");
	is_long(sample(M "signatures_total{result=\"none\"}"), 5,
		"a line without result= counts as result none");
}

static void test_words(void)
{
	milter_logline weak = {.dir = "outbound",
			       .strength = "weak",
			       .result = "pass",
			       .ms = -1};
	milter_logline wrapped = {.dir = "outbound",
				  .strength = "strong",
				  .action = MILTER_ACT_ENCRYPTED,
				  .sign = MILTER_ACT_SIGNED,
				  .ms = 1};
	milter_logline kept = {.dir = "outbound",
			       .strength = "legacy",
			       .action = MILTER_ACT_KEPT,
			       .sign = MILTER_ACT_KEPT,
			       .ms = 1};

	milter_metrics_message(&weak, SMIME_VERDICT_REJECT, true);
	milter_metrics_message(&wrapped, SMIME_VERDICT_ACCEPT, false);
	milter_metrics_message(&kept, SMIME_VERDICT_QUARANTINE, false);
	is_long(sample(M "encrypted_total{strength=\"weak\",action=\"none\"}"),
		1, "strength= without action= counts as action none");
	is_long(sample(M "encrypted_total{strength=\"none\","
			 "action=\"encrypted\"}"),
		1, "action=encrypted counts under strength none");
	is_long(sample(M "encrypted_total{strength=\"strong\","
			 "action=\"encrypted\"}"),
		-1, "and there is no other strength for it");
	is_long(sample(M "encrypted_total{strength=\"legacy\","
			 "action=\"kept\"}"),
		1, "legacy, kept");
	is_long(sample(M "signatures_total{result=\"pass\"}"), 1, "pass");
	is_long(sample(M "signed_total{action=\"signed\"}"), 1, "signed");
	is_long(sample(M "signed_total{action=\"kept\"}"), 1, "sign kept");
	is_long(sample(M "actions_total{action=\"reject\"}"), 1,
		"the decided verdict: reject");
	is_long(sample(M "actions_total{action=\"quarantine\"}"), 1,
		"quarantine");
	is_long(sample(M "actions_total{action=\"tag\"}"), 1, "tag");
	is_long(sample(M "processing_seconds_count"), 7,
		"a line without ms= is not in the histogram");
	milter_metrics_ldap(MILTER_LDAP_NOT_FOUND);
	milter_metrics_ldap(MILTER_LDAP_CACHED);
	milter_metrics_ldap(MILTER_LDAP_CACHED);
	is_long(sample(M "ldap_lookups_total{outcome=\"cached\"}"), 2,
		"LDAP lookups by outcome");
	is_long(sample(M "ldap_lookups_total{outcome=\"error\"}"), 0,
		"every outcome is there, 0 or not");
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_write(void)
{
	char dir[] = "/tmp/test_metrics.XXXXXX", path[64], sub[80];
	const char *step = NULL;
	struct stat st;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/m.prom", dir);
	umask(077);
	is_long(milter_metrics_write(path, "a 1\n", 4, &step), 0,
		"writes under umask 077");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644,
	   "the file is mode 0644 whatever the umask");
	is_long(milter_metrics_write(path, "a 2\n", 4, &step), 0,
		"replaces the file");
	is_long(entries(dir), 1, "and leaves no temporary file");
	snprintf(sub, sizeof sub, "%s/d.prom", dir);
	mkdir(sub, 0755);
	ok(milter_metrics_write(sub, "a 1\n", 4, &step) < 0,
	   "a path that is a directory fails");
	is_str(step, "rename", "at the rename");
	is_long(entries(dir), 2, "and its temporary file is gone");
	rmdir(sub);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_buckets();
	test_words();
	test_write();
	return tap_done();
}
