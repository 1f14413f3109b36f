/* syslog_shim.c - an LD_PRELOAD object that turns syslog(3) into lines
 * appended to a file, for the private Sendmail of tests/sendmail_lib.sh.
 *
 * Sendmail logs only through syslog, and the test machines have no
 * /dev/log.  With this object preloaded, openlog, syslog, vsyslog,
 * __syslog_chk (what a _FORTIFY_SOURCE build such as Debian's calls) and
 * closelog write "Mon DD HH:MM:SS ident[pid]: message" lines to the file
 * named by SMIME_SYSLOG_FILE.  The name is read in a constructor, because
 * Sendmail clears its environment soon after it starts, and the file is
 * opened anew for every line, because Sendmail closes the descriptors it
 * did not open itself.  Without SMIME_SYSLOG_FILE the lines are dropped.
 */
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* The fortified entry point glibc's <bits/syslog.h> maps syslog to. */
void __syslog_chk(int pri, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static char shim_path[PATH_MAX];
static char shim_ident[64] = "syslog";

__attribute__((constructor)) static void shim_init(void)
{
	const char *p = getenv("SMIME_SYSLOG_FILE");

	if (p != NULL && strlen(p) < sizeof shim_path)
		strcpy(shim_path, p);
}

void openlog(const char *ident, int option, int facility)
{
	if (ident != NULL)
		snprintf(shim_ident, sizeof shim_ident, "%s", ident);
}

void closelog(void)
{
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	char line[8192], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t n, room;
	int fd, len;

	if (shim_path[0] == '\0')
		return;
	strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", localtime_r(&now, &tm));
	len = snprintf(line, sizeof line, "%s %s[%ld]: ", stamp, shim_ident,
		       (long)getpid());
	if (len < 0 || (size_t)len >= sizeof line)
		return;
	n = (size_t)len;
	/* What fits before the newline; a longer message is cut. */
	room = sizeof line - n - 1;
	len = vsnprintf(line + n, room, fmt, ap);
	if (len < 0)
		return;
	n += (size_t)len < room ? (size_t)len : room - 1;
	line[n++] = '\n';
	fd = open(shim_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* One write per line: O_APPEND keeps concurrent lines whole. */
	if (write(fd, line, n) < 0) {
		/* nowhere to say so */
	}
	close(fd);
}

void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	vsyslog(pri, fmt, ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}
