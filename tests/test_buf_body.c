/*
 * test_buf_body.c - smime_buf, smime_wipe, the internal string helpers
 * and the body store (memory, spill to an unlinked 0600 file, views).
 */
#include "internal.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

static void test_buf(void)
{
	smime_buf b = SMIME_BUF_INIT;
	char *s = NULL;
	size_t i;
	unsigned char *old;

	ok(smime_buf_append(&b, "abc", 3) == 0 && b.len == 3,
	   "append adds bytes");
	ok(b.data[3] == '\0', "data is NUL-terminated after append");
	ok(smime_buf_puts(&b, "de") == 0 && smime_buf_putc(&b, 'f') == 0,
	   "puts and putc succeed");
	ok(smime_buf_printf(&b, "-%d-%s", 42, "x") == 0, "printf succeeds");
	is_str((char *)b.data, "abcdef-42-x", "contents after mixed appends");
	is_long((long)b.len, 11, "len counts every byte");
	for (i = 0; i < 10000; i++)
		smime_buf_putc(&b, 'a' + (int)(i % 26));
	is_long((long)b.len, 10011, "byte-by-byte growth keeps all bytes");
	ok(b.data[5010] == 'a' + (5010 - 11) % 26 && b.data[b.len] == '\0',
	   "grown buffer keeps contents and terminator");
	old = b.data;
	smime_buf_reset(&b);
	ok(b.len == 0 && b.data == old && b.data[0] == '\0',
	   "reset empties but keeps memory");
	ok(smime_buf_append(&b, "\0\1\2", 3) == 0 && b.len == 3 &&
		   memcmp(b.data, "\0\1\2", 3) == 0,
	   "binary data with NUL bytes is kept");
	ok(smime_buf_steal(&b, &s) == 0 && s != NULL &&
		   memcmp(s, "\0\1\2", 4) == 0,
	   "steal hands over the NUL-terminated data");
	ok(b.data == NULL && b.len == 0 && b.cap == 0,
	   "steal empties the buffer");
	free(s);
	s = NULL;
	ok(smime_buf_steal(&b, &s) == 0 && s != NULL && s[0] == '\0',
	   "steal of an empty buffer gives an empty string, not NULL");
	free(s);
	ok(smime_buf_append(&b, NULL, 1) == SMIME_E_ARG,
	   "append of NULL with length is an argument error");
	ok(smime_buf_append(&b, NULL, 0) == 0, "append of nothing is fine");
	smime_buf_free(&b);
	ok(b.data == NULL && b.len == 0, "free leaves an empty buffer");
	smime_buf_free(&b); /* twice is harmless */
}

/* The kernel's VmFlags of the mapping holding p include "dd" (do not
 * dump): /proc/self/smaps. */
static bool dontdump(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool inside = false, dd = false;
	uintptr_t a = (uintptr_t)p;

	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			inside = a >= lo && a < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0)
			dd = strstr(line, " dd") != NULL;
	}
	if (f != NULL)
		fclose(f);
	return dd;
}

/* Issue 13: buffers of secrets, and large ones, stay out of core dumps. */
static void test_buf_out_of_dumps(void)
{
	smime_buf s = SMIME_BUF_INIT, big = SMIME_BUF_INIT,
		  small = SMIME_BUF_INIT;
	long page = sysconf(_SC_PAGESIZE);
	char *stolen = NULL;

	ok(smime_buf_secret(&s) == 0 && smime_buf_puts(&s, "plaintext") == 0,
	   "a secret buffer takes data");
	ok(s.paged && (uintptr_t)s.data % (uintptr_t)page == 0,
	   "a secret buffer's block is pages of its own");
	ok(dontdump(s.data), "and the kernel marks them do-not-dump (dd)");
	ok(smime_buf_puts(&small, "key material") == 0 && !small.paged,
	   "a small ordinary buffer stays with malloc");
	ok(smime_buf_secret(&small) == 0 && small.paged &&
		   dontdump(small.data) &&
		   strcmp((char *)small.data, "key material") == 0,
	   "marking it secret moves its block into do-not-dump pages, intact");
	for (int i = 0; i < 70 * 1024; i++)
		smime_buf_putc(&big, 'x');
	ok(big.paged && dontdump(big.data),
	   "a 70 KB buffer is in do-not-dump pages without being marked");
	ok(smime_buf_steal(&s, &stolen) == 0 &&
		   strcmp(stolen, "plaintext") == 0 && s.data == NULL,
	   "stealing a paged buffer gives a malloc'd copy");
	free(stolen);
	smime_buf_free(&s);
	smime_buf_free(&small);
	smime_buf_free(&big);
	ok(big.data == NULL && !big.paged, "freeing gives the pages back");
}

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* The wipe covers every byte ever handed out, also those a writer
 * dropped by shortening len, and no more: a 64 MiB block with 33 MB in
 * it leaves the rest of its pages untouched (they would all become
 * resident at the free). */
static void test_buf_used(void)
{
	smime_buf b = SMIME_BUF_INIT, big = SMIME_BUF_INIT;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 33u << 20;
	size_t resident = 0, pages;
	unsigned char *vec;
	int rc;

	smime_buf_puts(&b, "secret padding!!");
	b.len = 6; /* a writer removed the padding (envelope_open.c) */
	smime_buf_reset(&b);
	ok(b.used == 17 && b.len == 0 &&
		   memcmp(b.data, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0,
	   "reset wipes the bytes beyond len that were handed out");
	smime_buf_free(&b);
	ok(smime_buf_secret(&big) == 0 && smime_buf_reserve(&big, n) == 0,
	   "a secret buffer reserves 33 MB");
	memset(big.data, 'p', n);
	big.len = n;
	ok(big.cap == 64u << 20 && big.used == n + 1,
	   "its block is 64 MiB, of which 33 MB were handed out");
	pages = big.cap / page;
	vec = malloc(pages);
	rc = vec != NULL ? mincore(big.data, big.cap, vec) : -1;
	for (size_t i = 0; rc == 0 && i < pages; i++)
		resident += vec[i] & 1;
	ok(rc == 0 && resident * page <= n + page,
	   "only the pages handed out are resident (%zu of %zu)", resident,
	   pages);
	free(vec);
	smime_buf_free(&big);
}

/* The mapping holding p is an unlinked smime-buf file in dir
 * (/proc/self/maps names it "... (deleted)"). */
static bool spilled_to(const void *p, const char *dir)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	bool found = false;
	uintptr_t a = (uintptr_t)p;

	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		const char *path = strchr(line, '/');

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && a >= lo &&
		    a < hi)
			found = path != NULL &&
				strncmp(path, dir, strlen(dir)) == 0 &&
				strstr(path, "/smime-buf.") != NULL &&
				strstr(path, "(deleted)") != NULL;
	}
	if (f != NULL)
		fclose(f);
	return found;
}

static bool all_bytes(const smime_buf *b, size_t n, unsigned char c)
{
	if (b->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b->data[i] != c)
			return false;
	return true;
}

/* Issue 19: a big buffer marked for spilling is an unlinked file in
 * TempDirectory, mapped, not anonymous memory; secrets never spill. */
static void test_buf_spill(const char *dir)
{
	smime_buf b = SMIME_BUF_INIT, s = SMIME_BUF_INIT, n = SMIME_BUF_INIT;
	static unsigned char chunk[300 * 1024];
	char *stolen = NULL;
	int rc = 0;

	memset(chunk, 'z', sizeof chunk);
	smime_buf_spill(&b, dir);
	ok(smime_buf_append(&b, chunk, 1000) == 0 && !b.filed,
	   "a small spill buffer stays in memory");
	for (int i = 0; i < 10 && rc == 0; i++)
		rc = smime_buf_append(&b, chunk, sizeof chunk);
	ok(rc == 0 && b.filed && spilled_to(b.data, dir),
	   "grown past 1 MiB it is a mapped, unlinked file in its directory");
	ok(all_bytes(&b, 1000 + 10 * sizeof chunk, 'z') && b.data[b.len] == 0,
	   "every byte survives the moves, NUL after them");
	is_long(dir_entries(dir), 0, "and the directory shows no file");
	ok(smime_buf_secret(&b) == 0 && !b.filed && b.paged &&
		   !spilled_to(b.data, dir) &&
		   all_bytes(&b, 1000 + 10 * sizeof chunk, 'z'),
	   "marking it secret moves it back into memory, intact");
	smime_buf_spill(&b, dir);
	ok(smime_buf_append(&b, chunk, sizeof chunk) == 0 && !b.filed,
	   "a secret buffer cannot be marked for spilling");
	ok(smime_buf_secret(&s) == 0, "a secret buffer");
	smime_buf_spill(&s, dir);
	for (int i = 0; i < 5; i++)
		smime_buf_append(&s, chunk, sizeof chunk);
	ok(!s.filed && s.paged && dontdump(s.data),
	   "a secret buffer over 1 MiB stays in do-not-dump memory");
	smime_buf_spill(&n, "/nonexistent/smime-spill");
	for (int i = 0; i < 5; i++)
		smime_buf_append(&n, chunk, sizeof chunk);
	ok(!n.filed && n.paged && all_bytes(&n, 5 * sizeof chunk, 'z'),
	   "a directory that cannot take a file: memory, intact");
	smime_buf_free(&n);
	smime_buf_spill(&n, dir);
	for (int i = 0; i < 5; i++)
		smime_buf_append(&n, chunk, sizeof chunk);
	ok(n.filed && smime_buf_steal(&n, &stolen) == 0 &&
		   strlen(stolen) == 5 * sizeof chunk && n.data == NULL,
	   "stealing a spilled buffer gives a malloc'd copy");
	free(stolen);
	smime_buf_free(&b);
	smime_buf_free(&s);
	smime_buf_free(&n);
}

static void test_wipe_and_strings(void)
{
	unsigned char secret[32];
	char *d;
	size_t i;
	int zero = 1;

	memset(secret, 0xA5, sizeof(secret));
	smime_wipe(secret, sizeof(secret));
	for (i = 0; i < sizeof(secret); i++)
		if (secret[i] != 0)
			zero = 0;
	ok(zero, "smime_wipe zeroes every byte");
	smime_wipe(NULL, 10); /* defined: nothing happens */

	ok(smime_ascii_casecmp("Content-Type", "content-TYPE") == 0,
	   "casecmp ignores ASCII case");
	ok(smime_ascii_casecmp("abc", "abd") < 0 &&
		   smime_ascii_casecmp("abd", "abc") > 0,
	   "casecmp orders like strcmp");
	ok(smime_ascii_casecmp("ab", "abc") < 0, "casecmp: prefix sorts first");
	ok(smime_ascii_ncasecmp("FROMx", "fromy", 4) == 0,
	   "ncasecmp compares n bytes only");
	ok(smime_ascii_casecmp("\xc4", "\xe4") != 0,
	   "casecmp does not fold non-ASCII bytes");
	d = smime_strndup("hello world", 5);
	is_str(d, "hello", "strndup copies n bytes and terminates");
	free(d);
	d = smime_strndup("", 0);
	is_str(d, "", "strndup of zero bytes gives an empty string");
	free(d);
}

/* Finds the open spill file of this process under dir: the fd whose
 * link reads "dir/smime-body.XXXXXX (deleted)".  Returns its mode, or
 * -1 when there is none. */
static long spill_file_mode(const char *dir, int *deleted)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[PATH_MAX], target[PATH_MAX];
	struct stat st;
	long mode = -1;
	ssize_t n;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, dir, strlen(dir)) != 0 ||
		    strstr(target, "/smime-body.") == NULL)
			continue;
		if (stat(path, &st) == 0)
			mode = (long)(st.st_mode & 07777);
		*deleted = strstr(target, "(deleted)") != NULL;
	}
	closedir(d);
	return mode;
}

static void test_body_spill(const char *dir)
{
	smime_body *b = NULL;
	const unsigned char *v;
	size_t len;
	int deleted = 0;
	mode_t old;

	ok(smime_body_new(16, dir, &b) == 0 && b != NULL, "body_new succeeds");
	ok(smime_body_view(b, &v, &len) == 0 && v != NULL && len == 0,
	   "empty body gives a valid empty view");
	ok(smime_body_append(b, "0123456789", 10) == 0, "append 10 bytes");
	ok(!smime_body_spilled(b),
	   "10 bytes under a 16-byte limit stay in memory");
	ok(smime_body_view(b, &v, &len) == 0, "view in memory");
	is_mem(v, len, "0123456789", 10, "memory view holds the bytes");
	ok(smime_body_append(b, "abcdef", 6) == 0 && !smime_body_spilled(b),
	   "exactly mem_limit bytes still stay in memory");
	/* umask 0 shows the 0600 comes from the store, not the umask. */
	old = umask(0);
	ok(smime_body_append(b, "X", 1) == 0, "append past the limit");
	umask(old);
	ok(smime_body_spilled(b), "one byte past the limit spills to a file");
	is_long((long)smime_body_size(b), 17,
		"size counts all bytes after spill");
	is_long(spill_file_mode(dir, &deleted), 0600,
		"spill file mode is 0600 even with umask 0");
	ok(deleted, "spill file is unlinked while open");
	is_long(dir_entries(dir), 0, "nothing is left in tmpdir");
	ok(smime_body_view(b, &v, &len) == 0, "view after spill");
	is_mem(v, len, "0123456789abcdefX", 17,
	       "mapped view holds memory and later bytes in order");
	ok(smime_body_append(b, "YZ", 2) == 0, "append after a view");
	ok(smime_body_view(b, &v, &len) == 0, "new view after append");
	is_mem(v, len, "0123456789abcdefXYZ", 19,
	       "new view sees the appended bytes");
	smime_body_free(b);
	is_long(spill_file_mode(dir, &deleted), -1,
		"free closes the spill file");

	ok(smime_body_new(0, dir, &b) == 0, "body_new with limit 0");
	ok(smime_body_view(b, &v, &len) == 0 && v != NULL && len == 0,
	   "empty body with limit 0 gives a valid empty view");
	ok(smime_body_append(b, "", 0) == 0 && !smime_body_spilled(b),
	   "appending nothing does not spill");
	smime_body_free(b);

	ok(smime_body_new(4, "/nonexistent-dir-for-smime-test", &b) == 0,
	   "body_new with a missing tmpdir");
	ok(smime_body_append(b, "abc", 3) == 0,
	   "in-memory append needs no tmpdir");
	ok(smime_body_errno(b) == 0, "no errno before a file operation failed");
	is_long(smime_body_append(b, "defg", 4), SMIME_E_IO,
		"spill into a missing tmpdir is SMIME_E_IO");
	is_long(smime_body_errno(b), ENOENT,
		"smime_body_errno says why: ENOENT for a missing tmpdir");
	smime_body_free(b);
}

static void test_body_large(const char *dir)
{
	smime_body *b = NULL;
	const unsigned char *v;
	unsigned char chunk[4096];
	size_t len, i, total = 5 * 1024 * 1024 + 123, bad = 0;
	int ret = 0;

	ok(smime_body_new(1024 * 1024, dir, &b) == 0, "body_new 1 MB limit");
	for (i = 0; i < total && ret == 0; i += sizeof(chunk)) {
		size_t n =
			total - i < sizeof(chunk) ? total - i : sizeof(chunk);
		size_t k;

		for (k = 0; k < n; k++)
			chunk[k] =
				(unsigned char)((i + k) * 7 + ((i + k) >> 12));
		ret = smime_body_append(b, chunk, n);
	}
	ok(ret == 0, "5 MB appended in 4 KB chunks");
	ok(smime_body_spilled(b), "5 MB body spilled past a 1 MB limit");
	ok(smime_body_view(b, &v, &len) == 0 && len == total,
	   "one contiguous view of the whole body");
	for (i = 0; i < len; i++)
		if (v[i] != (unsigned char)(i * 7 + (i >> 12)))
			bad++;
	is_long((long)bad, 0, "every byte of the large view is right");
	smime_body_free(b);
}

/* A body past 64 KB arriving in libmilter's 65535-byte chunks: held in
 * do-not-dump pages, whole and NUL-terminated, until it spills. */
static void test_body_region(const char *dir)
{
	static unsigned char chunk[65535];
	smime_body *b = NULL;
	const unsigned char *v = NULL;
	size_t len = 0, i, bad = 0, limit = 300 * 1000;
	int ret = 0;

	for (i = 0; i < sizeof chunk; i++)
		chunk[i] = (unsigned char)(i * 13 + 1);
	ok(smime_body_new(limit, dir, &b) == 0, "body_new 300 KB limit");
	for (i = 0; i < 4 && ret == 0; i++)
		ret = smime_body_append(b, chunk, sizeof chunk);
	ok(ret == 0 && !smime_body_spilled(b),
	   "four 65535-byte chunks stay in memory under the limit");
	ok(smime_body_view(b, &v, &len) == 0 && len == 4 * sizeof chunk,
	   "the view holds all four chunks");
	for (i = 0; v != NULL && i < len; i++)
		if (v[i] != chunk[i % sizeof chunk])
			bad++;
	is_long((long)bad, 0, "every byte of the body in memory is right");
	ok(v != NULL && v[len] == '\0',
	   "and a NUL follows it, as in a smime_buf");
	ok(v != NULL && dontdump(v),
	   "a body past 64 KB is in do-not-dump pages");
	ok(smime_body_append(b, chunk, sizeof chunk) == 0 &&
		   smime_body_spilled(b),
	   "the chunk that passes the limit spills the body");
	ok(smime_body_view(b, &v, &len) == 0 && len == 5 * sizeof chunk,
	   "the spilled view holds all five chunks");
	for (i = 0, bad = 0; i < len; i++)
		if (v[i] != chunk[i % sizeof chunk])
			bad++;
	is_long((long)bad, 0, "every byte of the spilled body is right");
	smime_body_free(b);
}

int main(void)
{
	char dir[] = "/tmp/smime-test-body.XXXXXX";

	test_buf();
	test_buf_out_of_dumps();
	test_wipe_and_strings();
	if (!ok(mkdtemp(dir) != NULL, "make a private tmpdir"))
		return tap_done();
	test_body_spill(dir);
	test_body_large(dir);
	test_buf_spill(dir);
	test_buf_used();
	test_body_region(dir);
	is_long(dir_entries(dir), 0, "tmpdir is empty at the end");
	rmdir(dir);
	return tap_done();
}
