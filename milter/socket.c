/*
 * socket.c - TCP_NODELAY on the milter's listening socket.
 *
 * The milter protocol is a conversation of small packets.  With Nagle's
 * algorithm on, a small write waits while an earlier one is not yet
 * acknowledged, and the peer delays that ACK (40 ms and more on Linux)
 * when it has nothing to send: a reply written in two parts, or two
 * edits at end of message, stall for it.  libmilter never sets
 * TCP_NODELAY and keeps its listening descriptor in a static variable
 * with no accessor, so after smfi_opensocket() we find it among our
 * open descriptors (the only listening TCP socket the process has at that
 * point) and set the option there: on Linux, accepted sockets inherit it
 * from the listener.  tests/milter_sockets.sh checks an accepted
 * connection.  A local: socket has no Nagle and needs nothing.
 */
#include "callbacks.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

/* Whether fd is a listening IPv4 or IPv6 TCP socket. */
static bool is_tcp_listener(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int on = 0;
	socklen_t olen = sizeof on;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) != 0 || !on)
		return false;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return false;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

int milter_socket_nodelay(void)
{
	struct rlimit rl;
	int fd, max, one = 1, n = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > 65536)
		max = 65536;
	else
		max = (int)rl.rlim_cur;
	for (fd = 0; fd < max; fd++) {
		if (!is_tcp_listener(fd))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof one) != 0)
			return -1;
		milter_log(LOG_DEBUG, NULL,
			   "TCP_NODELAY set on listening socket %d; accepted "
			   "connections inherit it",
			   fd);
		n++;
	}
	return n;
}
