/*
 * mload_msg.c - a message file as an MTA hands it to a milter: header
 * fields one by one (name, and the value after the colon with folded
 * lines joined by LF, as Postfix sends them), then the body with CRLF
 * line ends.  A file with LF or CRLF line ends gives the same message.
 * Everything is parsed once, at start, so the timed loop only sends.
 */
#include "mload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int slurp(const char *path, char **data, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char *buf = NULL, *nb;

	if (fp == NULL)
		return -1;
	for (;;) {
		nb = realloc(buf, cap + 1);
		if (nb == NULL)
			goto fail;
		buf = nb;
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
	}
	if (ferror(fp))
		goto fail;
	fclose(fp);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(fp);
	return -1;
}

/* The line starting at p: its length without the line end, and where the
 * next line starts. */
static size_t line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (nl == NULL) {
		*next = end;
		return (size_t)(end - p);
	}
	*next = nl + 1;
	n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static int add_header(mload_message *m, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	mload_header *nh;

	if (colon == NULL) {
		fprintf(stderr, "milter-load: %s: header line without colon\n",
			m->path);
		return -1;
	}
	nh = realloc(m->h, (m->nh + 1) * sizeof *nh);
	if (nh == NULL)
		return -1;
	m->h = nh;
	nh[m->nh].name = strndup(line, (size_t)(colon - line));
	nh[m->nh].value = strndup(colon + 1, n - (size_t)(colon + 1 - line));
	if (nh[m->nh].name == NULL || nh[m->nh].value == NULL) {
		free(nh[m->nh].name);
		free(nh[m->nh].value);
		return -1;
	}
	m->nh++;
	return 0;
}

/* A continuation line: appended to the last field after an LF. */
static int fold_into_last(mload_message *m, const char *line, size_t n)
{
	mload_header *h = &m->h[m->nh - 1];
	size_t old = strlen(h->value);
	char *v = realloc(h->value, old + 1 + n + 1);

	if (v == NULL)
		return -1;
	v[old] = '\n';
	memcpy(v + old + 1, line, n);
	v[old + 1 + n] = '\0';
	h->value = v;
	return 0;
}

/* The body from p to end with every line ending in CRLF. */
static int set_body(mload_message *m, const char *p, const char *end)
{
	const char *next;
	size_t n, cap = 2 * (size_t)(end - p) + 2, len = 0;
	unsigned char *b = malloc(cap);

	if (b == NULL)
		return -1;
	while (p < end) {
		n = line_at(p, end, &next);
		memcpy(b + len, p, n);
		len += n;
		b[len++] = '\r';
		b[len++] = '\n';
		p = next;
	}
	m->body = b;
	m->body_len = len;
	return 0;
}

int mload_message_read(const char *path, mload_message *m)
{
	const char *p, *end, *next;
	char *data = NULL;
	size_t len, n;
	int rc = -1;

	memset(m, 0, sizeof *m);
	m->path = path;
	if (slurp(path, &data, &len) < 0) {
		fprintf(stderr, "milter-load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	end = data + len;
	for (p = data; p < end; p = next) {
		n = line_at(p, end, &next);
		if (n == 0) {
			p = next;
			break;
		}
		if ((p[0] == ' ' || p[0] == '\t') && m->nh > 0
			    ? fold_into_last(m, p, n) < 0
			    : add_header(m, p, n) < 0)
			goto cleanup;
	}
	if (m->nh == 0) {
		fprintf(stderr, "milter-load: %s: no header fields\n", path);
		goto cleanup;
	}
	rc = set_body(m, p, end);
cleanup:
	free(data);
	if (rc < 0)
		mload_message_free(m);
	return rc;
}

void mload_message_free(mload_message *m)
{
	size_t i;

	for (i = 0; i < m->nh; i++) {
		free(m->h[i].name);
		free(m->h[i].value);
	}
	free(m->h);
	free(m->body);
	memset(m, 0, sizeof *m);
}
