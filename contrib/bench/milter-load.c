/*
 * milter-load - replays messages into a milter over N concurrent
 * connections, speaking the MTA side of the protocol as Postfix 3.7 does,
 * and reports messages/s and the latency of each message from MAIL FROM
 * to the filter's final reply.
 *
 *   milter-load -s SOCKET [options] MESSAGE-FILE...
 *
 * It drives any milter (smime-milter, OpenDKIM, ...) over inet: or unix:
 * sockets.  Each connection carries -m messages (an ABORT between them,
 * as Postfix sends), then a fresh connection is made.  Connection set-up
 * counts in messages/s but not in the per-message latency.  A protocol
 * error makes the exit status 1.  contrib/bench/README says how to run it
 * and RESULTS.md what it measured.
 */
#include "mload.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct run {
	mload_config cfg;
	mload_message *msgs;
	size_t nmsgs;
	unsigned long total, per_conn;
	atomic_ulong next;
	atomic_bool stop;
	double *latency;      /* ms, by message number; < 0: not done */
	pthread_mutex_t lock; /* guards everything below */
	unsigned long kinds[MLOAD_K_COUNT], quarantined, errors, conns;
	unsigned long hdr_add, hdr_ins, hdr_chg, rcpt_edits, bodies;
	unsigned long actions, steps;
	char first_error[300];
} run;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void note_error(run *r, const char *what)
{
	pthread_mutex_lock(&r->lock);
	if (r->errors++ == 0)
		snprintf(r->first_error, sizeof r->first_error, "%s", what);
	pthread_mutex_unlock(&r->lock);
}

static void note_result(run *r, const mload_result *res)
{
	pthread_mutex_lock(&r->lock);
	r->kinds[res->kind]++;
	r->quarantined += res->quarantined;
	r->hdr_add += res->hdr_add;
	r->hdr_ins += res->hdr_ins;
	r->hdr_chg += res->hdr_chg;
	r->rcpt_edits += res->rcpt_edits;
	r->bodies += res->body_chunks > 0;
	pthread_mutex_unlock(&r->lock);
}

static void *worker(void *arg)
{
	run *r = arg;
	mload_conn c = {.fd = -1};
	unsigned long i, on_conn = 0;
	mload_result res;
	char qid[32];
	double t0;

	while (!atomic_load(&r->stop) &&
	       (i = atomic_fetch_add(&r->next, 1)) < r->total) {
		if (c.fd < 0) {
			if (mload_conn_open(&c, &r->cfg) < 0) {
				/* Nothing will work better next time. */
				note_error(r, c.err);
				atomic_store(&r->stop, true);
				break;
			}
			on_conn = 0;
			pthread_mutex_lock(&r->lock);
			r->conns++;
			r->actions = c.actions;
			r->steps = c.steps;
			pthread_mutex_unlock(&r->lock);
		}
		/* Unique per message, Postfix-like: hex digits. */
		snprintf(qid, sizeof qid, "%04X%07lX",
			 (unsigned)getpid() & 0xFFFF, i);
		t0 = now_ms();
		if (mload_conn_message(&c, &r->cfg, &r->msgs[i % r->nmsgs], qid,
				       &res) < 0) {
			note_error(r, c.err);
			mload_conn_close(&c);
			continue;
		}
		r->latency[i] = now_ms() - t0;
		note_result(r, &res);
		if (++on_conn == r->per_conn || c.dead)
			mload_conn_close(&c);
	}
	mload_conn_close(&c);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The done latencies, sorted, moved to the front; their number. */
static size_t sorted_latencies(run *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->total; i++)
		if (r->latency[i] >= 0)
			r->latency[n++] = r->latency[i];
	qsort(r->latency, n, sizeof *r->latency, cmp_double);
	return n;
}

static double pct(const double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.5);
	return v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}

/* s as a JSON string: quotes, backslashes and control characters
 * escaped (a socket path is the user's). */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void report(run *r, unsigned conns, double secs, bool json)
{
	size_t n = sorted_latencies(r), k;
	double rate = secs > 0 ? (double)n / secs : 0;

	if (json) {
		printf("{\"socket\":");
		json_string(r->cfg.socket);
		printf(",\"connections\":%u,"
		       "\"messages\":%zu,\"seconds\":%.3f,\"msgs_per_s\":%.1f,"
		       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		       "\"errors\":%lu,\"replies\":{",
		       conns, n, secs, rate, pct(r->latency, n, 50),
		       pct(r->latency, n, 99), n ? r->latency[n - 1] : 0.0,
		       r->errors);
		for (k = 0; k < MLOAD_K_COUNT; k++)
			printf("%s\"%s\":%lu", k ? "," : "",
			       mload_kind_names[k], r->kinds[k]);
		printf("},\"quarantined\":%lu,\"headers_added\":%lu,"
		       "\"headers_inserted\":%lu,\"headers_changed\":%lu,"
		       "\"bodies_replaced\":%lu,\"steps\":\"0x%lx\"}\n",
		       r->quarantined, r->hdr_add, r->hdr_ins, r->hdr_chg,
		       r->bodies, r->steps);
		return;
	}
	printf("milter-load: %s, %u connections, %lu per connection, "
	       "%zu file(s)\n",
	       r->cfg.socket, conns, r->per_conn, r->nmsgs);
	printf("messages   %zu in %.3f s: %.1f msg/s (%lu connections made)\n",
	       n, secs, rate, r->conns);
	printf("latency    p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
	       pct(r->latency, n, 50), pct(r->latency, n, 99),
	       n ? r->latency[n - 1] : 0.0);
	printf("replies   ");
	for (k = 0; k < MLOAD_K_COUNT; k++)
		printf(" %s %lu", mload_kind_names[k], r->kinds[k]);
	printf(" (quarantined %lu)\n", r->quarantined);
	printf("edits      headers added %lu inserted %lu changed %lu, "
	       "recipients %lu, bodies replaced %lu\n",
	       r->hdr_add, r->hdr_ins, r->hdr_chg, r->rcpt_edits, r->bodies);
	printf("negotiated actions 0x%lx steps 0x%lx\n", r->actions, r->steps);
	printf("errors     %lu%s%s\n", r->errors, r->errors ? ": " : "",
	       r->first_error);
}

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: milter-load -s SOCKET [options] MESSAGE-FILE...\n"
		"  -s inet:PORT@HOST | unix:PATH   the milter's socket\n"
		"  -c N      concurrent connections (default 1)\n"
		"  -n N      messages in all (default 100), files round-robin\n"
		"  -m N      messages per connection, then a new one\n"
		"            (default 10; 0: one connection for the run)\n"
		"  -f FROM   envelope sender (default sender@load.test)\n"
		"  -t TO     envelope recipient, repeatable\n"
		"            (default rcpt@load.test)\n"
		"  -C ADDR   client address (default 127.0.0.1)\n"
		"  -N NAME   client host name (default localhost)\n"
		"  -H NAME   HELO name (default client.load.test)\n"
		"  -D NAME   {daemon_name} (default smtpd)\n"
		"  -a USER   {auth_authen}: the client authenticated as USER\n"
		"  -j NAME   j, the MTA's host name (default mx.load.test)\n"
		"  -P HEX    protocol steps offered (default 0x%lx, Postfix "
		"3.7)\n"
		"  -A HEX    actions offered (default 0x%lx)\n"
		"  -R        offer no SMFIP_NR_* steps (the filter must reply\n"
		"            to every step)\n"
		"  -d        TCP_NODELAY on our side (Postfix does not set "
		"it)\n"
		"  -T SECS   timeout for each read and write (default 60)\n"
		"  -J        one line of JSON instead of the text report\n"
		"Exit status: 0, 1 on protocol or I/O errors, 2 on usage.\n",
		MLOAD_P_POSTFIX6, MLOAD_F_POSTFIX6);
}

static bool parse_ulong(const char *s, int base, unsigned long *out)
{
	char *end;

	*out = strtoul(s, &end, base);
	return *s != '\0' && *end == '\0';
}

/* Options into r and *conns; false on a usage error. */
static bool parse_args(int argc, char **argv, run *r, unsigned long *conns,
		       bool *json, const char ***rcpts)
{
	mload_config *cfg = &r->cfg;
	bool ok = true;
	size_t n = 0;
	int opt;

	while ((opt = getopt(argc, argv,
			     "s:c:n:m:f:t:C:N:H:D:a:j:P:A:RdT:Jh")) != -1) {
		switch (opt) {
		case 's':
			cfg->socket = optarg;
			break;
		case 'c':
			ok &= parse_ulong(optarg, 10, conns) && *conns > 0 &&
			      *conns <= 1000;
			break;
		case 'n':
			ok &= parse_ulong(optarg, 10, &r->total);
			break;
		case 'm':
			ok &= parse_ulong(optarg, 10, &r->per_conn);
			break;
		case 'f':
			cfg->from = optarg;
			break;
		case 't':
			(*rcpts)[n++] = optarg;
			break;
		case 'C':
			cfg->client_addr = optarg;
			break;
		case 'N':
			cfg->client_name = optarg;
			break;
		case 'H':
			cfg->helo = optarg;
			break;
		case 'D':
			cfg->daemon_name = optarg;
			break;
		case 'a':
			cfg->auth_authen = optarg;
			break;
		case 'j':
			cfg->hostname = optarg;
			break;
		case 'P':
			ok &= parse_ulong(optarg, 16, &cfg->offer_steps);
			break;
		case 'A':
			ok &= parse_ulong(optarg, 16, &cfg->offer_actions);
			break;
		case 'R':
			cfg->offer_steps &= ~MLOAD_P_NR_ALL;
			break;
		case 'd':
			cfg->nodelay = true;
			break;
		case 'T': {
			unsigned long t;

			ok &= parse_ulong(optarg, 10, &t) && t > 0 && t < 86400;
			cfg->timeout = (unsigned)t;
			break;
		}
		case 'J':
			*json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return false;
		}
	}
	if (n > 0)
		cfg->nrcpts = n;
	return ok && cfg->socket != NULL && optind < argc;
}

static void defaults(run *r, const char **rcpts)
{
	static const char *const one[] = {"rcpt@load.test"};
	mload_config *cfg = &r->cfg;

	cfg->from = "sender@load.test";
	cfg->rcpts = rcpts;
	cfg->nrcpts = 1;
	rcpts[0] = one[0];
	cfg->client_addr = "127.0.0.1";
	cfg->client_name = "localhost";
	cfg->helo = "client.load.test";
	cfg->hostname = "mx.load.test";
	cfg->daemon_name = "smtpd";
	cfg->offer_steps = MLOAD_P_POSTFIX6;
	cfg->offer_actions = MLOAD_F_POSTFIX6;
	cfg->timeout = 60;
	r->total = 100;
	r->per_conn = 10;
}

/* Runs conns workers to the end; the elapsed seconds. */
static double run_workers(run *r, unsigned long conns)
{
	pthread_t *tids = calloc(conns, sizeof *tids);
	unsigned long i, started = 0;
	double t0 = now_ms();

	if (tids == NULL)
		return -1;
	for (i = 0; i < conns; i++)
		if (pthread_create(&tids[i], NULL, worker, r) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return started == conns ? (now_ms() - t0) / 1e3 : -1;
}

int main(int argc, char **argv)
{
	static run r = {.lock = PTHREAD_MUTEX_INITIALIZER};
	const char **rcpts = calloc((size_t)argc + 1, sizeof *rcpts);
	unsigned long conns = 1, i;
	bool json = false;
	double secs;
	int rc = 1;

	if (rcpts == NULL)
		return 1;
	defaults(&r, rcpts);
	if (!parse_args(argc, argv, &r, &conns, &json, &rcpts)) {
		usage(stderr);
		free(rcpts);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	r.nmsgs = (size_t)(argc - optind);
	r.msgs = calloc(r.nmsgs, sizeof *r.msgs);
	r.latency = malloc((r.total ? r.total : 1) * sizeof *r.latency);
	if (r.msgs == NULL || r.latency == NULL)
		goto cleanup;
	for (i = 0; i < r.nmsgs; i++)
		if (mload_message_read(argv[optind + (int)i], &r.msgs[i]) < 0)
			goto cleanup;
	for (i = 0; i < r.total; i++)
		r.latency[i] = -1;
	atomic_init(&r.next, 0);
	atomic_init(&r.stop, false);
	secs = run_workers(&r, conns);
	if (secs < 0) {
		fprintf(stderr, "milter-load: cannot start threads\n");
		goto cleanup;
	}
	report(&r, (unsigned)conns, secs, json);
	rc = r.errors > 0 ? 1 : 0;
cleanup:
	for (i = 0; r.msgs && i < r.nmsgs; i++)
		mload_message_free(&r.msgs[i]);
	free(r.msgs);
	free(r.latency);
	free(rcpts);
	return rc;
}
