/*
 * metrics.c - the counters of SPEC section 10 and their Prometheus text.
 *
 * Owns one set of process-global counters behind one mutex, held for a
 * few increments per message or for one copy when the text is made, so
 * the text is always one consistent snapshot (a histogram's +Inf bucket
 * equals its _count, whatever the threads do meanwhile).  A reload never
 * touches them.
 *
 * What is counted is what the log line of SPEC section 7 says, one line
 * per message, with the log's own words as label values:
 *   messages_total{dir}            dir=
 *   signatures_total{result}       result= (the outermost signature's);
 *                                  "none" when the line has no result=
 *   encrypted_total{strength,action}
 *                                  strength= and action= of the first
 *                                  encrypted entity (action "none" when
 *                                  the line has no action=, as its
 *                                  X-SMIME-Encryption field says);
 *                                  action=encrypted counts under
 *                                  strength="none"
 *   signed_total{action}           sign= (signed or kept)
 *   actions_total{action}          the verdict decided (reject, tempfail,
 *                                  quarantine, discard) and tag when the
 *                                  Rules tagged the message
 *   processing_seconds             ms=
 * Every label combination is written from the start, at zero, so a
 * rate() sees a series before its first message.
 */
#include "metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const dirs[] = {"inbound", "outbound"};
static const char *const results[] = {
	"pass", "fail", "policy", "neutral", "temperror", "permerror", "none"};
static const char *const strengths[] = {"weak", "legacy", "strong", "unknown"};
/* X-SMIME-Encryption's action words, less "encrypted" (counted apart). */
static const char *const enc_actions[] = {
	"none",       "tagged",      "reencrypted", "rejected",
	"tempfailed", "quarantined", "discarded",   "kept"};
static const char *const sign_actions[] = {"signed", "kept"};
/* Indexed by smime_verdict less one (accept is no action), then tag. */
static const char *const actions[] = {"reject", "tempfail", "discard",
				      "quarantine", "tag"};
static const char *const ldap_outcomes[] = {"found", "not-found", "cached",
					    "error"};
/* processing_seconds buckets: the upper bounds in ms and as written. */
static const long bucket_ms[] = {5,   10,   25,   50,   100,  250,
				 500, 1000, 2500, 5000, 10000};
static const char *const bucket_le[] = {"0.005", "0.01", "0.025", "0.05",
					"0.1",   "0.25", "0.5",   "1",
					"2.5",   "5",    "10"};
#define TAG_ACTION (N(actions) - 1)

typedef struct counters {
	uint64_t messages[N(dirs)];
	uint64_t signatures[N(results)];
	uint64_t encrypted[N(strengths)][N(enc_actions)];
	uint64_t wrapped; /* strength="none", action="encrypted" */
	uint64_t signed_[N(sign_actions)];
	uint64_t actions[N(actions)];
	uint64_t internal_errors;
	uint64_t ldap[N(ldap_outcomes)];
	uint64_t bucket[N(bucket_ms)]; /* not cumulative; +Inf is count */
	uint64_t count, sum_ms;
	uint64_t reloads_failed;
	int64_t loaded_at;
} counters;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static counters now;

/* The index of word in v, or -1 (NULL is -1 too). */
static int word_at(const char *const *v, size_t n, const char *word)
{
	for (size_t i = 0; word != NULL && i < n; i++)
		if (strcmp(v[i], word) == 0)
			return (int)i;
	return -1;
}

#define WORD(v, w) word_at((v), N(v), (w))

/* Where one message lands, worked out before the lock is taken. */
typedef struct landing {
	int dir, result, strength, enc_action, sign, action, bucket;
	bool wrapped, tagged;
	long ms;
} landing;

static void land(const milter_logline *l, smime_verdict verdict, bool tagged,
		 landing *d)
{
	const char *act = milter_act_name(l->action);

	d->dir = WORD(dirs, l->dir);
	d->result = WORD(results, l->result ? l->result : "none");
	d->wrapped = l->action == MILTER_ACT_ENCRYPTED;
	d->strength = d->wrapped ? -1 : WORD(strengths, l->strength);
	d->enc_action = WORD(enc_actions, act ? act : "none");
	d->sign = WORD(sign_actions, milter_act_name(l->sign));
	d->action = verdict != SMIME_VERDICT_ACCEPT ? (int)verdict - 1 : -1;
	d->tagged = tagged;
	d->ms = l->ms;
	d->bucket = (int)N(bucket_ms);
	for (size_t i = 0; i < N(bucket_ms); i++)
		if (l->ms <= bucket_ms[i]) {
			d->bucket = (int)i;
			break;
		}
}

void milter_metrics_message(const milter_logline *l, smime_verdict verdict,
			    bool tagged)
{
	landing d;

	land(l, verdict, tagged, &d);
	pthread_mutex_lock(&lock);
	if (d.dir >= 0)
		now.messages[d.dir]++;
	if (d.result >= 0)
		now.signatures[d.result]++;
	if (d.wrapped)
		now.wrapped++;
	else if (d.strength >= 0 && d.enc_action >= 0)
		now.encrypted[d.strength][d.enc_action]++;
	if (d.sign >= 0)
		now.signed_[d.sign]++;
	if (d.action >= 0 && d.action < (int)TAG_ACTION)
		now.actions[d.action]++;
	if (d.tagged)
		now.actions[TAG_ACTION]++;
	if (d.ms >= 0) {
		if (d.bucket < (int)N(bucket_ms))
			now.bucket[d.bucket]++;
		now.count++;
		now.sum_ms += (uint64_t)d.ms;
	}
	pthread_mutex_unlock(&lock);
}

void milter_metrics_ldap(milter_ldap_outcome o)
{
	if ((unsigned)o >= N(ldap_outcomes))
		return;
	pthread_mutex_lock(&lock);
	now.ldap[o]++;
	pthread_mutex_unlock(&lock);
}

void milter_metrics_internal_error(void)
{
	pthread_mutex_lock(&lock);
	now.internal_errors++;
	pthread_mutex_unlock(&lock);
}

void milter_metrics_config_loaded(time_t when)
{
	pthread_mutex_lock(&lock);
	now.loaded_at = (int64_t)when;
	pthread_mutex_unlock(&lock);
}

void milter_metrics_reload_failed(void)
{
	pthread_mutex_lock(&lock);
	now.reloads_failed++;
	pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------------ */
/* The text                                                             */
/* ------------------------------------------------------------------ */

#define PREFIX "smime_milter_"

static int family(smime_buf *b, const char *name, const char *type,
		  const char *help)
{
	return smime_buf_printf(
		b, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name,
		help, name, type);
}

/* A family of one unlabelled series: its HELP and TYPE, then name v. */
static int scalar(smime_buf *b, const char *name, const char *type,
		  const char *help, int64_t v)
{
	int rc = family(b, name, type, help);

	return rc == 0 ? smime_buf_printf(b, PREFIX "%s %" PRId64 "\n", name, v)
		       : rc;
}

/* A counter family with one label: HELP and TYPE, then
 * name{label="v[i]"} n[i] for every i. */
static int labelled(smime_buf *b, const char *name, const char *help,
		    const char *label, const char *const *v, const uint64_t *n,
		    size_t count)
{
	int rc = family(b, name, "counter", help);

	for (size_t i = 0; i < count && rc == 0; i++)
		rc = smime_buf_printf(b, PREFIX "%s{%s=\"%s\"} %" PRIu64 "\n",
				      name, label, v[i], n[i]);
	return rc;
}

static int encrypted(smime_buf *b, const counters *c)
{
	int rc = family(b, "encrypted_total", "counter",
			"Messages by the strength and action of their first "
			"encrypted entity as the log line says them; "
			"strength none with action encrypted: the gateway "
			"encrypted the message.");

	for (size_t s = 0; s < N(strengths) && rc == 0; s++)
		for (size_t a = 0; a < N(enc_actions) && rc == 0; a++)
			rc = smime_buf_printf(b,
					      PREFIX
					      "encrypted_total{strength=\"%s\","
					      "action=\"%s\"} %" PRIu64 "\n",
					      strengths[s], enc_actions[a],
					      c->encrypted[s][a]);
	if (rc == 0)
		rc = smime_buf_printf(b,
				      PREFIX
				      "encrypted_total{strength=\"none\","
				      "action=\"encrypted\"} %" PRIu64 "\n",
				      c->wrapped);
	return rc;
}

static int histogram(smime_buf *b, const counters *c)
{
	uint64_t below = 0;
	int rc = family(b, "processing_seconds", "histogram",
			"Time the milter took for a message (the log line's "
			"ms=).");

	for (size_t i = 0; i < N(bucket_ms) && rc == 0; i++) {
		below += c->bucket[i];
		rc = smime_buf_printf(b,
				      PREFIX
				      "processing_seconds_bucket{le=\"%s\"}"
				      " %" PRIu64 "\n",
				      bucket_le[i], below);
	}
	if (rc == 0)
		rc = smime_buf_printf(
			b,
			PREFIX "processing_seconds_bucket{le=\"+Inf\"} %" PRIu64
			       "\n" PREFIX "processing_seconds_sum %" PRIu64
			       ".%03" PRIu64 "\n" PREFIX
			       "processing_seconds_count %" PRIu64 "\n",
			c->count, c->sum_ms / 1000, c->sum_ms % 1000, c->count);
	return rc;
}

/* The families with one label, in the order of SPEC section 10. */
static int simple_families(smime_buf *b, const counters *c)
{
	int rc = labelled(b, "messages_total",
			  "Messages processed (one per log line), by "
			  "direction.",
			  "dir", dirs, c->messages, N(dirs));

	if (rc == 0)
		rc = labelled(b, "signatures_total",
			      "Messages by the result of their outermost "
			      "signature (the log line's result=; none: no "
			      "signature reached).",
			      "result", results, c->signatures, N(results));
	if (rc == 0)
		rc = encrypted(b, c);
	if (rc == 0)
		rc = labelled(
			b, "signed_total",
			"Messages the sign action signed or kept unsigned "
			"(the log line's sign=).",
			"action", sign_actions, c->signed_, N(sign_actions));
	if (rc == 0)
		rc = labelled(b, "actions_total",
			      "Messages rejected, tempfailed, quarantined or "
			      "discarded by the Rules or the encrypt action, "
			      "and messages the Rules tagged.",
			      "action", actions, c->actions, N(actions));
	return rc;
}

int milter_metrics_format(smime_buf *out)
{
	counters c;
	int rc;

	pthread_mutex_lock(&lock);
	c = now;
	pthread_mutex_unlock(&lock);
	rc = simple_families(out, &c);
	if (rc == 0)
		rc = scalar(out, "internal_errors_total", "counter",
			    "Messages handed to On-InternalError after a "
			    "resource failure.",
			    (int64_t)c.internal_errors);
	if (rc == 0)
		rc = labelled(out, "ldap_lookups_total",
			      "Directory lookups of an address, by outcome.",
			      "outcome", ldap_outcomes, c.ldap,
			      N(ldap_outcomes));
	if (rc == 0)
		rc = histogram(out, &c);
	if (rc == 0)
		rc = scalar(out, "config_reload_timestamp_seconds", "gauge",
			    "When the running configuration was loaded, at "
			    "start or on SIGHUP (Unix time).",
			    c.loaded_at);
	if (rc == 0)
		rc = scalar(out, "config_reloads_failed_total", "counter",
			    "Reloads refused; the running configuration was "
			    "kept.",
			    (int64_t)c.reloads_failed);
	return rc;
}
