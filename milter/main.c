/*
 * main.c - the smime-milter daemon: command line, start-up, signals.
 *
 *   smime-milter -c FILE [-f] [-n] [-V]       (SPEC section 3)
 *
 * Start-up order matters: turn core dumps off, load and check the
 * configuration, open the socket (may need root), detach, write the pid
 * file, drop privileges (and turn core dumps off again), and only then
 * start libmilter's threads.
 *
 * Signals.  libmilter's own signal thread (mi_signal_thread) sigwaits for
 * SIGHUP, SIGTERM and SIGINT and stops the milter on any of them, so a
 * plain SIGHUP would stop us.  We therefore run smfi_main in a thread of
 * its own and keep the main thread apart: the main thread never blocks
 * SIGHUP/SIGTERM/SIGINT and has handlers for them, while every libmilter
 * thread inherits them blocked.  Linux offers a process-directed signal
 * to the thread group leader first whenever it does not block it (see
 * complete_signal() in kernel/signal.c), and a standard signal already
 * pending is not queued twice, so our handler receives every SIGHUP and
 * libmilter's sigwait never sees one.  The handlers only write one byte
 * to a pipe; the main thread reads it and reloads, or calls smfi_stop.
 * tests/milter_protocol.sh checks this with a burst of SIGHUPs.
 *
 * The main thread also writes MetricsFile (metrics_file.c): its poll on
 * the pipe times out when the next write is due, and it writes at once
 * after a reload and once more after the stop.
 */
#include "config.h"

#include "callbacks.h"
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* Exit statuses: 0 ok / config usable, 1 config unusable or start-up
 * failed, 2 usage. */
enum { EXIT_USAGE = 2 };

static int signal_pipe[2] = {-1, -1};

/* ------------------------------------------------------------------ */
/* Configuration                                                        */
/* ------------------------------------------------------------------ */

/* Loads file (the Rules file with it, config_rules.c) and runs every
 * check of -n; 0 and a config, or what milter_config_load() returns on
 * failure (SMIME_REPORTED or SMIME_E_NOMEM, diags says why).  Start, -n
 * and SIGHUP all come through here, so they cannot disagree about what
 * is usable. */
static int load_checked(const char *file, milter_config **out, smime_buf *diags)
{
	milter_config *cfg;
	int rc;

	*out = NULL;
	rc = milter_config_load(file, &cfg, diags);
	if (rc != 0)
		return rc;
	if (milter_config_check(cfg, diags) > 0) {
		milter_config_unref(cfg);
		return SMIME_REPORTED;
	}
	*out = cfg;
	return 0;
}

/* Logs every line of diags as its own message. */
static void log_diags(int prio, const smime_buf *diags)
{
	char *copy, *line, *save = NULL;

	if (diags->len == 0)
		return;
	copy = strndup((const char *)diags->data, diags->len);
	if (copy == NULL)
		return;
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		milter_log(prio, NULL, "%s", line);
	free(copy);
}

static void reload(const char *file, bool foreground)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg, *old;

	if (load_checked(file, &cfg, &diags) != 0) {
		log_diags(LOG_ERR, &diags);
		milter_log(LOG_ERR, NULL,
			   "reload of %s failed; keeping the running "
			   "configuration",
			   file);
		milter_metrics_reload_failed();
		goto cleanup;
	}
	old = milter_callbacks_get_config();
	if (old != NULL) {
		/* These were used once, at start, before privileges were
		 * dropped; say so rather than pretend. */
		if (strcmp(old->socket, cfg->socket) != 0)
			milter_log(LOG_WARNING, NULL,
				   "Socket changed: takes effect on restart");
		if ((old->user_id == NULL) != (cfg->user_id == NULL) ||
		    (old->user_id && strcmp(old->user_id, cfg->user_id) != 0))
			milter_log(LOG_WARNING, NULL,
				   "UserID changed: takes effect on restart");
		milter_config_unref(old);
	}
	if (!foreground)
		milter_log_open(cfg->syslog_facility, false);
	milter_callbacks_set_config(cfg);
	milter_metrics_config_loaded(time(NULL));
	milter_log(LOG_INFO, NULL, "reloaded configuration from %s", file);
cleanup:
	smime_buf_free(&diags);
}

/* ------------------------------------------------------------------ */
/* Process set-up                                                       */
/* ------------------------------------------------------------------ */

/*
 * No core dumps: one would hold private keys and the plaintext the
 * gateway decrypted (issue 13).  RLIMIT_CORE 0, soft and hard, so nothing
 * raises it again, and not dumpable, which also keeps other users'
 * ptrace and /proc/PID/mem out.  Called before any key is read, and again
 * after the drop of privileges, since a change of uid sets the dumpable
 * flag to fs.suid_dumpable.  crypto/buf.c also keeps large and secret
 * buffers out of a dump (MADV_DONTDUMP), should one be written anyway.
 */
static int no_core_dumps(void)
{
	const struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		fprintf(stderr,
			"smime-milter: cannot turn core dumps off: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = sig == SIGHUP ? 'h' : 't';

	/* The pipe is non-blocking: if it is full, a byte is already
	 * waiting and this signal adds nothing. */
	if (write(signal_pipe[1], &c, 1) < 0) {
		/* nothing to do: see above */
	}
	errno = saved;
}

static void on_kick(int sig)
{
	(void)sig;
}

static int setup_signals(void)
{
	struct sigaction sa;
	int i;

	if (pipe(signal_pipe) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC) != 0)
			return -1;
	if (fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* SA_NODEFER: SIGHUP stays unblocked in the main thread even while
	 * the handler runs, so libmilter's thread is never the only taker. */
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	if (sigaction(SIGHUP, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	/* SIGUSR2 only interrupts the listener's select() (see stop_kick);
	 * no SA_RESTART, and the handler does nothing. */
	sa.sa_handler = on_kick;
	sa.sa_flags = 0;
	if (sigaction(SIGUSR2, &sa, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* For a local: socket: the mode of SocketMode, and the owner of UserID so
 * its group (the MTA's, typically) can connect. */
static int prepare_socket(const milter_config *cfg)
{
	const char *path;
	struct passwd *pw;
	struct group *gr;
	const char *colon;
	struct stat st;
	char *user;

	if (strncmp(cfg->socket, "local:", 6) != 0)
		return 0;
	path = cfg->socket + 6;
	/* What libmilter just bound, not what a symlink put there points
	 * to: chmod and chown run as root. */
	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "smime-milter: %s: not the socket just made\n",
			path);
		return -1;
	}
	if (chmod(path, cfg->socket_mode) != 0) {
		fprintf(stderr, "smime-milter: %s: chmod: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (cfg->user_id == NULL || geteuid() != 0)
		return 0;
	colon = strchr(cfg->user_id, ':');
	user = strndup(cfg->user_id, colon ? (size_t)(colon - cfg->user_id)
					   : strlen(cfg->user_id));
	pw = user ? getpwnam(user) : NULL;
	gr = colon ? getgrnam(colon + 1) : NULL;
	free(user);
	if (pw == NULL ||
	    lchown(path, pw->pw_uid, gr ? gr->gr_gid : pw->pw_gid) != 0) {
		fprintf(stderr, "smime-milter: %s: chown to %s failed\n", path,
			cfg->user_id);
		return -1;
	}
	return 0;
}

static int drop_privileges(const char *user_id)
{
	const char *colon = strchr(user_id, ':');
	struct passwd *pw;
	struct group *gr;
	char *user;
	gid_t gid;
	int rc = -1;

	user = strndup(user_id,
		       colon ? (size_t)(colon - user_id) : strlen(user_id));
	if (user == NULL)
		return -1;
	pw = getpwnam(user);
	if (pw == NULL)
		goto cleanup;
	gid = pw->pw_gid;
	if (colon != NULL) {
		gr = getgrnam(colon + 1);
		if (gr == NULL)
			goto cleanup;
		gid = gr->gr_gid;
	}
	if (geteuid() == pw->pw_uid) {
		rc = 0; /* already that user */
		goto cleanup;
	}
	if (initgroups(user, gid) != 0 || setgid(gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		goto cleanup;
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && setuid(0) == 0)
		goto cleanup;
	rc = 0;
cleanup:
	if (rc < 0)
		fprintf(stderr, "smime-milter: cannot switch to user %s: %s\n",
			user_id, strerror(errno));
	free(user);
	return rc;
}

/* Detaches from the terminal; the parent exits 0 once the child runs. */
static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (chdir("/") != 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/* Written as root, so a symlink planted in its place is not followed. */
static int write_pid_file(const char *path)
{
	int fd = open(path,
		      O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		      0644);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (fp == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	return fclose(fp) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Running                                                              */
/* ------------------------------------------------------------------ */

static int milter_result = MI_SUCCESS;

static void *milter_thread(void *arg)
{
	char c = 'x';

	(void)arg;
	milter_result = smfi_main();
	while (write(signal_pipe[1], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Starts smfi_main in its own thread with SIGHUP/SIGTERM/SIGINT blocked
 * (libmilter's threads inherit that), leaving them open in this one. */
static int start_milter_thread(pthread_t *tid)
{
	sigset_t set, old;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	rc = pthread_create(tid, NULL, milter_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

/*
 * smfi_stop() sets libmilter's stop flag and then waits for the listener,
 * which sits in select() for up to MI_CHK_TIME (5 s) holding its lock.
 * So smfi_stop runs in a thread of its own, and the main thread
 * interrupts the listener's select() with SIGUSR2 until it has noticed
 * the flag: the listener then leaves at once.
 */
static void *stop_thread(void *arg)
{
	(void)arg;
	smfi_stop();
	return NULL;
}

/* Starts the stop; true when *tid is a thread to join afterwards. */
static bool stop_milter(pthread_t *tid)
{
	if (pthread_create(tid, NULL, stop_thread, NULL) == 0)
		return true;
	smfi_stop(); /* slower, but still a stop */
	return false;
}

/* Writes MetricsFile when it is due (force: now) with the current
 * configuration; the milliseconds until the next write, or -1. */
static int write_metrics(bool force)
{
	milter_config *cfg = milter_callbacks_get_config();
	int ms = milter_metrics_tick(cfg, force);

	milter_config_unref(cfg);
	return ms;
}

/* Waits up to seconds for connections still open to finish. */
static void drain(unsigned seconds)
{
	struct timespec tick = {0, 100 * 1000 * 1000};
	unsigned i;

	for (i = 0; i < seconds * 10 && milter_callbacks_active() > 0; i++)
		nanosleep(&tick, NULL);
}

static int run(const char *file, bool foreground)
{
	bool stopping = false, stopper = false;
	struct pollfd pfd;
	pthread_t tid, stop_tid;
	ssize_t n;
	char c;

	if (start_milter_thread(&tid) < 0) {
		milter_log(LOG_ERR, NULL, "cannot start the milter thread");
		return 1;
	}
	for (;;) {
		/* While stopping, kick the listener every 100 ms until
		 * smfi_main has returned ('x'); until then, wake up when
		 * MetricsFile is due. */
		pfd.fd = signal_pipe[0];
		pfd.events = POLLIN;
		n = poll(&pfd, 1, stopping ? 100 : write_metrics(false));
		if (n == 0) {
			if (stopping)
				pthread_kill(tid, SIGUSR2);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		n = n < 0 ? n : read(signal_pipe[0], &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == 'x')
			break;
		if (c == 'h' && !stopping) {
			reload(file, foreground);
			write_metrics(true); /* the reload's own counters */
		} else if (c == 't' && !stopping) {
			milter_log(LOG_INFO, NULL, "stopping");
			stopping = true;
			stopper = stop_milter(&stop_tid);
		}
	}
	pthread_join(tid, NULL);
	if (stopper)
		pthread_join(stop_tid, NULL);
	drain(5);
	write_metrics(true); /* the last messages counted */
	milter_log(LOG_INFO, NULL, "stopped");
	return milter_result == MI_SUCCESS ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: smime-milter [-c FILE] [-f] [-n] [-V]\n"
		"  -c FILE  configuration (default %s)\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -n       check configuration, rules, keys; exit\n"
		"  -V       print the version and exit\n",
		MILTER_DEFAULT_CONFIG);
}

/* -n: every problem on stderr, exit 0 when usable. */
static int check_only(const char *file)
{
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg = NULL;
	int rc = load_checked(file, &cfg, &diags);

	if (diags.len > 0)
		fwrite(diags.data, 1, diags.len, stderr);
	smime_buf_free(&diags);
	milter_config_unref(cfg);
	return rc != 0 ? 1 : 0;
}

/* Everything up to the first libmilter thread; 0, or an exit status. */
static int start(milter_config *cfg, bool foreground)
{
	int nodelay;

	if (setup_signals() < 0) {
		fprintf(stderr, "smime-milter: signals: %s\n", strerror(errno));
		return 1;
	}
	if (milter_callbacks_register() < 0 ||
	    smfi_setconn(cfg->socket) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "smime-milter: cannot open socket %s\n",
			cfg->socket);
		return 1;
	}
	if (prepare_socket(cfg) < 0)
		return 1;
	milter_log_open(cfg->syslog_facility, foreground);
	nodelay = milter_socket_nodelay();
	if (nodelay < 0) {
		milter_log(LOG_ERR, NULL, "%s: TCP_NODELAY: %s", cfg->socket,
			   strerror(errno));
		return 1;
	}
	if (nodelay == 0 && strncmp(cfg->socket, "local:", 6) != 0)
		milter_log(LOG_WARNING, NULL,
			   "%s: no listening TCP socket found; TCP_NODELAY "
			   "not set, expect 40 ms stalls",
			   cfg->socket);
	if (!foreground && daemonize() < 0) {
		milter_log(LOG_ERR, NULL, "cannot detach: %s", strerror(errno));
		return 1;
	}
	if (cfg->pid_file != NULL && write_pid_file(cfg->pid_file) < 0) {
		milter_log(LOG_ERR, NULL, "%s: %s", cfg->pid_file,
			   strerror(errno));
		return 1;
	}
	if (cfg->user_id != NULL && drop_privileges(cfg->user_id) < 0) {
		milter_log(LOG_ERR, NULL, "cannot switch to user %s",
			   cfg->user_id);
		return 1;
	}
	if (no_core_dumps() < 0) {
		milter_log(LOG_ERR, NULL, "cannot turn core dumps off");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = MILTER_DEFAULT_CONFIG;
	bool foreground = false, check = false;
	smime_buf diags = SMIME_BUF_INIT;
	milter_config *cfg = NULL;
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'V':
			printf("smime-milter %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage();
		return EXIT_USAGE;
	}
	if (no_core_dumps() < 0)
		return 1;
	if (smime_global_init() < 0) {
		fprintf(stderr, "smime-milter: crypto libraries failed to "
				"initialise\n");
		return 1;
	}
	if (check) {
		rc = check_only(file);
		goto cleanup;
	}
	if (load_checked(file, &cfg, &diags) != 0) {
		fwrite(diags.data, 1, diags.len, stderr);
		rc = 1;
		goto cleanup;
	}
	rc = start(cfg, foreground);
	if (rc != 0)
		goto cleanup;
	milter_log(LOG_INFO, NULL, "smime-milter %s starting on %s",
		   PACKAGE_VERSION, cfg->socket);
	milter_callbacks_set_config(milter_config_ref(cfg));
	milter_metrics_config_loaded(time(NULL));
	rc = run(file, foreground);
	/* Both may fail after privileges were dropped; a stale socket is
	 * removed at the next start anyway. */
	if (cfg->pid_file != NULL)
		unlink(cfg->pid_file);
	if (strncmp(cfg->socket, "local:", 6) == 0)
		unlink(cfg->socket + 6);
	milter_callbacks_set_config(NULL);
cleanup:
	milter_config_unref(cfg);
	smime_buf_free(&diags);
	smime_global_deinit();
	return rc;
}
