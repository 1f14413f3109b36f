/*
 * mime_fixtures.h - what test_mime.c and test_mime_hostile.c share (static
 * functions, like tap.h): finding a part, parsing a string, comparing a
 * byte range, the CPU time used so far.
 */
#ifndef MIME_FIXTURES_H
#define MIME_FIXTURES_H

#include "smime.h"
#include "tap.h"

#include <string.h>
#include <time.h>

__attribute__((unused)) static const smime_part *find(const smime_part *p,
						      const char *partnum)
{
	size_t i;
	const smime_part *r;

	if (strcmp(p->partnum, partnum) == 0)
		return p;
	for (i = 0; i < p->nchildren; i++)
		if ((r = find(&p->children[i], partnum)) != NULL)
			return r;
	return NULL;
}

static smime_part *parse(const char *msg)
{
	smime_part *root = NULL;

	if (smime_mime_parse((const unsigned char *)msg, strlen(msg), NULL,
			     NULL, &root) != 0)
		return NULL;
	return root;
}

/* The bytes of [a, b) equal want. */
__attribute__((unused)) static int range_is(const char *buf, size_t a, size_t b,
					    const char *want, const char *name)
{
	if (b < a)
		return ok(0, "%s (range %zu..%zu inverted)", name, a, b);
	return is_mem(buf + a, b - a, want, strlen(want), "%s", name);
}

/* CPU time: the bounds are about work done, and these machines are shared
 * (wall time would count the other processes). */
__attribute__((unused)) static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((unused)) static const char nested[] =
	"From: a@example.org\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
	"\r\n"
	"preamble text\r\n"
	"--outer\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"first\r\n"
	"--outer\r\n"
	"Content-Type: multipart/alternative; boundary=inner\r\n"
	"\r\n"
	"--inner\r\n"
	"\r\n"
	"plain body\r\n"
	"--inner\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<p>html</p>\r\n"
	"--inner--\r\n"
	"inner epilogue\r\n"
	"--outer--\r\n"
	"epilogue\r\n";

#endif
