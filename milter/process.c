/*
 * process.c - the one processing path for a message, run by the milter at
 * end of message and by `smime-tool process` for a file.
 *
 * It analyses the message (crypto/), decides what to do, fills the edit
 * list and writes the SPEC section 7 log line.  Nothing here talks to
 * libmilter, so the tool and the daemon cannot drift apart.  The Rules
 * (policy.c) add tags and set the verdict; with DryRun the decision is
 * logged and the edit list emptied.
 */
#include "milter.h"

#include <stdlib.h>
#include <string.h>

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 +
	       (long)(now.tv_nsec - start->tv_nsec) / 1000000;
}

/*
 * SMIME_DEBUG_COUNTERS=1 in the environment adds a line after each log
 * line with the private-key unwraps and the bytes decrypted for the
 * message: what the oracle tests compare (SPEC section 8).  Off by
 * default; both counts are decided before any private-key operation.
 */
static bool debug_counters(void)
{
	const char *v = getenv("SMIME_DEBUG_COUNTERS");

	return v != NULL && strcmp(v, "1") == 0;
}

/* The X-Mailer or User-Agent header, unfolded; NULL when neither. */
static int find_mailer(const smime_headers *h, char **out)
{
	const char *v = smime_headers_get(h, "X-Mailer", 0);

	*out = NULL;
	if (v == NULL)
		v = smime_headers_get(h, "User-Agent", 0);
	if (v == NULL)
		return SMIME_OK;
	return smime_header_unfold(v, out);
}

static int find_from(const smime_headers *h, char **out)
{
	const char *v = smime_headers_get(h, "From", 0);
	int rc;

	*out = NULL;
	if (v == NULL)
		return SMIME_OK;
	rc = smime_address_first(v, out);
	return smime_err_is_resource(rc) ? rc : SMIME_OK;
}

void milter_internal_error(const milter_config *cfg, smime_edits *edits)
{
	smime_edits_free(edits);
	switch (cfg->on_internal_error) {
	case MILTER_ONERR_ACCEPT:
		edits->verdict = SMIME_VERDICT_ACCEPT;
		break;
	case MILTER_ONERR_REJECT:
		edits->verdict = SMIME_VERDICT_REJECT;
		edits->reply_code = strdup("550");
		edits->reply_xcode = strdup("5.3.0");
		edits->reply_text = strdup("S/MIME gateway internal error");
		break;
	default:
		edits->verdict = SMIME_VERDICT_TEMPFAIL;
		edits->reply_code = strdup("451");
		edits->reply_xcode = strdup("4.3.0");
		edits->reply_text = strdup("S/MIME gateway busy, try again later");
		break;
	}
}

/* The analysis, and what the log line says of it: kind=, cipher= and
 * strength= of the first encrypted entity as it arrived (SPEC 7), or
 * over MaxCryptoSize result=neutral reason=too-large (not analysed at
 * all: say so instead of guessing; SPEC section 4). */
static int classify(const milter_config *cfg, const milter_msg *m,
		    const unsigned char *body, size_t bodylen,
		    smime_facts *facts, milter_logline *l)
{
	smime_analyze_opts opts = cfg->analyze;
	const smime_layer *first;
	int rc;

	if (bodylen > cfg->max_crypto_size) {
		l->result = "neutral";
		l->reason = "too-large";
		return 0;
	}
	opts.now = m->now ? m->now : time(NULL);
	rc = smime_analyze(body, bodylen, &m->headers, &opts, facts);
	if (rc < 0)
		return rc;
	l->kind = facts->nlayers ? smime_kind_name(facts->layers[0].kind)
				 : "none";
	first = smime_facts_first_encrypted(facts);
	if (first != NULL) {
		if (first->cms.cipher != NULL || first->cms.cipher_oid != NULL)
			l->cipher = milter_cipher_label(first);
		l->strength = smime_strength_name(first->strength);
	}
	return 0;
}

int milter_process(const milter_config *cfg, milter_msg *m, smime_edits *edits,
		   smime_buf *logline)
{
	smime_facts facts = {0}, inner = {0};
	smime_buf note = SMIME_BUF_INIT;
	milter_logline l = {0};
	const rules_action *reencrypt = NULL, *sign = NULL;
	const unsigned char *body;
	size_t bodylen;
	char *from = NULL, *mailer = NULL;
	bool outbound;
	int rc;

	/* ms= is the time this path takes, not the SMTP dialogue's. */
	clock_gettime(CLOCK_MONOTONIC, &m->started);
	edits->verdict = SMIME_VERDICT_ACCEPT;
	rc = smime_body_view(m->body, &body, &bodylen);
	if (rc < 0)
		goto cleanup;
	rc = find_from(&m->headers, &from);
	if (rc < 0)
		goto cleanup;
	rc = find_mailer(&m->headers, &mailer);
	if (rc < 0)
		goto cleanup;

	outbound = milter_is_outbound(cfg, m);
	l.queue_id = m->queue_id ? m->queue_id : "NOQUEUE";
	l.dir = outbound ? "outbound" : "inbound";
	l.from = from;
	l.mailer = mailer;
	rc = classify(cfg, m, body, bodylen, &facts, &l);
	if (rc < 0)
		goto cleanup;
	rc = milter_policy_apply(cfg, m, outbound, &facts, body, bodylen, edits,
				 &l.action, &reencrypt, &sign);
	if (rc < 0)
		goto cleanup;
	/* Encryption findings and reencrypt: after the Rules, before A-R. */
	rc = milter_encryption_apply(cfg, m, outbound, &facts, body, bodylen,
				     bodylen > cfg->max_crypto_size, reencrypt,
				     edits, &l, &inner);
	if (rc < 0)
		goto cleanup;
	/* Signing after reencrypt, which it yields to; before A-R. */
	rc = milter_signing_apply(cfg, m, outbound, &facts, body, bodylen,
				  bodylen > cfg->max_crypto_size, sign, edits,
				  &l);
	if (rc < 0)
		goto cleanup;
	rc = milter_authres_stamp(cfg, m, &facts, &inner,
				  bodylen > cfg->max_crypto_size, edits, &l,
				  &note);
	if (rc < 0)
		goto cleanup;
	/* smime-milter(8): passing a nesting limit is logged, not hidden. */
	if (facts.truncated && l.note == NULL)
		l.note = "a nesting or MIME limit stopped the analysis";
	if (cfg->dry_run) {
		/* Log the decision, change nothing. */
		smime_edits_free(edits);
		edits->verdict = SMIME_VERDICT_ACCEPT;
	}
	l.ms = elapsed_ms(&m->started);
	rc = milter_logline_format(&l, logline);
	if (rc == 0 && debug_counters())
		/* A second line, never part of the SPEC line. */
		rc = smime_buf_printf(logline, "\n%s: debug unwraps=%lu "
					       "decrypted=%lu",
				      l.queue_id, l.debug.unwraps,
				      l.debug.decrypted);
cleanup:
	if (rc < 0)
		milter_internal_error(cfg, edits);
	smime_facts_free(&facts);
	smime_facts_free(&inner); /* wipes what it kept of the plaintext */
	smime_buf_free(&note);
	free(from);
	free(mailer);
	return rc;
}
