/*
 * mload_wire.c - milter-load's bytes on the socket: connecting to the
 * filter, building packets, writing them and reading the filter's.
 *
 * Promises:
 * - packets are written as Postfix writes them: into a buffer (VSTREAM)
 *   that goes out when a reply is to be read, or when it is full (4 KB
 *   on a unix socket; 64 KB over TCP, where Postfix sizes it to the
 *   loopback MSS), and at DATA, where smtpd hands the connection to
 *   cleanup.  A macro list and its command, or the headers and body
 *   chunks the filter does not answer, thus leave in one write, and
 *   Nagle's algorithm and delayed ACKs act on both ends as they do
 *   behind Postfix;
 * - a read or a write that takes longer than the configured timeout, a
 *   short read, or a reply longer than 64 MB is an error, with its reason
 *   in c->err.
 */
#include "mload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int mload_fail(mload_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Packets                                                              */
/* ------------------------------------------------------------------ */

static int out_reserve(mload_conn *c, size_t more)
{
	unsigned char *p;
	size_t cap;

	if (c->out_len + more <= c->out_cap)
		return 0;
	cap = c->out_cap ? c->out_cap : 1024;
	while (cap < c->out_len + more)
		cap *= 2;
	p = realloc(c->out, cap);
	if (p == NULL)
		return mload_fail(c, "out of memory");
	c->out = p;
	c->out_cap = cap;
	return 0;
}

int mload_put(mload_conn *c, const void *data, size_t n)
{
	if (out_reserve(c, n) < 0)
		return -1;
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
	return 0;
}

int mload_put_str(mload_conn *c, const char *s)
{
	return mload_put(c, s, strlen(s) + 1);
}

int mload_put_u32(mload_conn *c, uint32_t v)
{
	uint32_t n = htonl(v);

	return mload_put(c, &n, 4);
}

/* Starts a packet; its length is filled in by mload_send. */
int mload_begin(mload_conn *c, char cmd)
{
	c->out_len = 0;
	return mload_put(c, "\0\0\0\0", 4) < 0 ? -1 : mload_put(c, &cmd, 1);
}

/* Writes what is buffered. */
int mload_flush(mload_conn *c)
{
	size_t off = 0;
	ssize_t w;

	while (off < c->pend_len) {
		w = write(c->fd, c->pend + off, c->pend_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return mload_fail(c, "write: %s",
					  w < 0 ? strerror(errno) : "closed");
		off += (size_t)w;
	}
	c->pend_len = 0;
	return 0;
}

/* Buffers the packet built in c->out; writes when the buffer is full. */
int mload_send(mload_conn *c)
{
	uint32_t n = htonl((uint32_t)(c->out_len - 4));
	unsigned char *p;
	size_t cap;

	memcpy(c->out, &n, 4);
	if (c->pend_len + c->out_len > c->pend_cap) {
		cap = c->pend_len + c->out_len;
		p = realloc(c->pend, cap);
		if (p == NULL)
			return mload_fail(c, "out of memory");
		c->pend = p;
		c->pend_cap = cap;
	}
	memcpy(c->pend + c->pend_len, c->out, c->out_len);
	c->pend_len += c->out_len;
	return c->pend_len >= c->bufsize ? mload_flush(c) : 0;
}

static int read_exact(mload_conn *c, void *buf, size_t n)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = read(c->fd, (char *)buf + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return mload_fail(c,
					  "the filter closed the connection");
		if (r < 0)
			return mload_fail(c, "read: %s",
					  errno == EAGAIN ? "timed out"
							  : strerror(errno));
		off += (size_t)r;
	}
	return 0;
}

/* One reply packet: *cmd, and its data NUL-terminated in c->in. */
int mload_read_packet(mload_conn *c, char *cmd, size_t *len)
{
	uint32_t n;
	unsigned char *p;

	if (mload_flush(c) < 0 || read_exact(c, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n == 0 || n > 64 * 1024 * 1024)
		return mload_fail(c, "reply length %lu out of range",
				  (unsigned long)n);
	if (c->in_cap < n + 1) {
		p = realloc(c->in, n + 1);
		if (p == NULL)
			return mload_fail(c, "out of memory");
		c->in = p;
		c->in_cap = n + 1;
	}
	if (read_exact(c, c->in, n) < 0)
		return -1;
	*cmd = (char)c->in[0];
	*len = n - 1;
	memmove(c->in, c->in + 1, n - 1);
	c->in[n - 1] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connecting                                                           */
/* ------------------------------------------------------------------ */

static int connect_unix(mload_conn *c, const char *path)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return mload_fail(c, "%s: path too long", path);
	strcpy(sun.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof sun))
		return mload_fail(c, "%s: %s", path, strerror(errno));
	return 0;
}

static int connect_inet(mload_conn *c, const char *spec, bool nodelay)
{
	struct addrinfo hints, *ai = NULL;
	const char *at = strchr(spec, '@');
	char port[16];
	int one = 1, rc;

	if (at == NULL || (size_t)(at - spec) >= sizeof port)
		return mload_fail(c, "inet:%s: want inet:PORT@HOST", spec);
	memcpy(port, spec, (size_t)(at - spec));
	port[at - spec] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(at + 1, port, &hints, &ai);
	if (rc != 0)
		return mload_fail(c, "%s: %s", spec, gai_strerror(rc));
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0;
	freeaddrinfo(ai);
	if (rc)
		return mload_fail(c, "inet:%s: %s", spec, strerror(errno));
	if (nodelay &&
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one))
		return mload_fail(c, "TCP_NODELAY: %s", strerror(errno));
	return 0;
}

int mload_connect(mload_conn *c, const mload_config *cfg)
{
	struct timeval tv = {(time_t)cfg->timeout, 0};
	int rc;

	c->bufsize = 4096; /* VSTREAM_BUFSIZE */
	if (strncmp(cfg->socket, "unix:", 5) == 0)
		rc = connect_unix(c, cfg->socket + 5);
	else if (strncmp(cfg->socket, "local:", 6) == 0)
		rc = connect_unix(c, cfg->socket + 6);
	else if (strncmp(cfg->socket, "inet:", 5) == 0) {
		c->bufsize = 65536; /* vstream_tweak_tcp: the MSS */
		rc = connect_inet(c, cfg->socket + 5, cfg->nodelay);
	} else
		rc = mload_fail(c, "%s: want inet:PORT@HOST or unix:PATH",
				cfg->socket);
	if (rc == 0 &&
	    (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) ||
	     setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)))
		rc = mload_fail(c, "socket timeouts: %s", strerror(errno));
	return rc;
}
