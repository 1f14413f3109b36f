/*
 * tap.h - a tiny TAP producer for the C unit tests (run by automake's
 * tap-driver.sh).  Every check prints "ok N - name" or "not ok N - name"
 * and a diagnostic; tap_done() prints the plan and returns the exit
 * status, so a failed check fails the program even under NDEBUG.
 */
#ifndef SMIME_TAP_H
#define SMIME_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 0), unused)) static void
tap_vresult(int pass, const char *fmt, va_list ap)
{
	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((format(printf, 2, 3), unused)) static int
ok(int pass, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vresult(pass, fmt, ap);
	va_end(ap);
	return pass;
}

__attribute__((format(printf, 3, 4), unused)) static int
is_long(long got, long want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vresult(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got: %ld\n#   expected: %ld\n", got, want);
	return got == want;
}

__attribute__((format(printf, 3, 4), unused)) static int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	int pass = (got == NULL && want == NULL) ||
		   (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_list ap;
	va_start(ap, fmt);
	tap_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got: '%s'\n#   expected: '%s'\n",
		       got ? got : "(null)", want ? want : "(null)");
	return pass;
}

/* Compares byte strings: got (gotlen bytes) against want (wantlen). */
__attribute__((format(printf, 5, 6), unused)) static int
is_mem(const void *got, size_t gotlen, const void *want, size_t wantlen,
       const char *fmt, ...)
{
	int pass = gotlen == wantlen &&
		   (wantlen == 0 || memcmp(got, want, wantlen) == 0);
	va_list ap;
	va_start(ap, fmt);
	tap_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got %zu bytes: '%.*s'\n#   expected %zu bytes: "
		       "'%.*s'\n",
		       gotlen, (int)(gotlen > 200 ? 200 : gotlen),
		       got ? (const char *)got : "", wantlen,
		       (int)(wantlen > 200 ? 200 : wantlen),
		       want ? (const char *)want : "");
	return pass;
}

/* Prints the plan; the exit status is non-zero when anything failed or
 * nothing ran. */
__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_count == 0) {
		printf("# no checks ran\n");
		return 1;
	}
	if (tap_failed)
		printf("# %d of %d checks failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif
