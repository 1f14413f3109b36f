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
#include "metrics.h"
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 +
	       (long)(now.tv_nsec - start->tv_nsec) / 1000000;
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

bool milter_rules_may_encrypt(const milter_config *cfg)
{
	return (rules_set_actions(cfg->rules) & RULES_CAP_ENCRYPT) != 0;
}

void milter_internal_error(const milter_config *cfg, smime_edits *edits,
			   bool encrypt)
{
	milter_onerr action = cfg->on_internal_error;

	smime_edits_free(edits);
	if (action == MILTER_ONERR_ACCEPT && encrypt)
		action = MILTER_ONERR_TEMPFAIL;
	switch (action) {
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
		edits->reply_text =
			strdup("S/MIME gateway busy, try again later");
		break;
	}
}

int milter_note(milter_pipe *p, const char *text)
{
	int rc = 0;

	if (p->note.len > 0)
		rc = smime_buf_puts(&p->note, "; ");
	if (rc == 0)
		rc = smime_buf_puts(&p->note, text);
	if (rc == 0)
		p->log.note = (const char *)p->note.data;
	return rc;
}

/* The analysis, and what the log line says of it: kind=, cipher= and
 * strength= of the first encrypted entity as it arrived (SPEC 7), or
 * over MaxCryptoSize result=neutral reason=too-large (not analysed at
 * all: say so instead of guessing; SPEC section 4). */
int milter_step_classify(milter_pipe *p)
{
	smime_analyze_opts opts = p->cfg->analyze;
	const smime_layer *first;
	int rc;

	if (p->too_large) {
		p->log.result = "neutral";
		p->log.reason = "too-large";
		return SMIME_OK;
	}
	opts.now = p->now;
	/* A signer certificate the SignedData lacks may be in the
	 * directory or among the harvested ones.  Only here: the signatures inside content the gateway
	 * decrypted never ask it (reencrypt.c analyze_inner), so the time a
	 * message takes does not depend on what a private key revealed. */
	if (p->cfg->directory != NULL) {
		opts.local.directory = milter_directory_find;
		opts.local.directory_arg = &p->dir;
	}
	if (p->cfg->harvest_certificates)
		opts.local.harvest_dir = p->cfg->harvest_directory;
	rc = smime_analyze(p->body, p->bodylen, &p->m->headers, &opts,
			   &p->facts);
	if (rc < 0)
		return rc;
	p->log.kind = p->facts.nlayers
			      ? smime_kind_name(p->facts.layers[0].kind)
			      : "none";
	first = smime_facts_first_encrypted(&p->facts);
	if (first != NULL) {
		if (first->cms.cipher != NULL || first->cms.cipher_oid != NULL)
			p->log.cipher = milter_cipher_label(first);
		p->log.strength = smime_strength_name(first->strength);
	}
	return SMIME_OK;
}

/* The steps, in order.  Rules before the findings (their verdict decides
 * whether reencrypt runs); the transforms in SPEC 5's order, reencrypt
 * (with the findings), sign, encrypt, each on the result of the one
 * before; the A-R stamp when the inner signatures are known;
 * harvesting, which changes nothing of the message, last. */
static int (*const steps[])(milter_pipe *) = {
	milter_step_classify, milter_step_policy,  milter_step_encryption,
	milter_step_signing,  milter_step_encrypt, milter_step_authres,
	milter_step_harvest,
};

/* The log line, and the debug line after it when asked for. */
static int finish_log(milter_pipe *p, smime_buf *logline)
{
	int rc = 0;

	/* smime-milter(8): passing a nesting limit is logged, not hidden. */
	if (p->facts.truncated)
		rc = milter_note(p, "a nesting or MIME limit stopped the "
				    "analysis");
	if (rc < 0)
		return rc;
	p->log.ms = elapsed_ms(&p->m->started);
	rc = milter_logline_format(&p->log, logline);
	if (rc == 0 && p->cfg->debug_counters)
		/* A second line, never part of the SPEC line. */
		rc = smime_buf_printf(logline,
				      "\n%s: debug unwraps=%lu "
				      "decrypted=%lu",
				      p->log.queue_id, p->log.debug.unwraps,
				      p->log.debug.decrypted);
	return rc;
}

int milter_process(const milter_config *cfg, milter_msg *m, smime_edits *edits,
		   smime_buf *logline)
{
	milter_pipe p = {.cfg = cfg,
			 .m = m,
			 .edits = edits,
			 .now = m->now,
			 .note = SMIME_BUF_INIT,
			 .dir = {cfg->directory, m->queue_id, false, {0, 0}}};
	char *from = NULL, *mailer = NULL;
	bool ruled = false; /* the Rules ran: p.encrypt says it all */
	smime_verdict decided;
	int rc;

	/* ms= is the time this path takes, not the SMTP dialogue's. */
	clock_gettime(CLOCK_MONOTONIC, &m->started);
	edits->verdict = SMIME_VERDICT_ACCEPT;
	rc = smime_body_view(m->body, &p.body, &p.bodylen);
	if (rc == 0)
		rc = find_from(&m->headers, &from);
	if (rc == 0)
		rc = find_mailer(&m->headers, &mailer);
	if (rc < 0)
		goto cleanup;
	p.outbound = milter_is_outbound(cfg, m);
	p.too_large = p.bodylen > cfg->max_crypto_size;
	p.log.queue_id = m->queue_id ? m->queue_id : "NOQUEUE";
	p.log.dir = p.outbound ? "outbound" : "inbound";
	p.log.from = from;
	p.log.mailer = mailer;
	for (size_t i = 0; rc == 0 && i < sizeof(steps) / sizeof(*steps); i++) {
		rc = steps[i](&p);
		ruled = ruled || (rc == 0 && steps[i] == milter_step_policy);
	}
	if (rc < 0)
		goto cleanup;
	decided = edits->verdict;
	if (cfg->dry_run) {
		/* Log the decision, change nothing. */
		smime_edits_free(edits);
		edits->verdict = SMIME_VERDICT_ACCEPT;
	}
	rc = finish_log(&p, logline);
	if (rc == 0) /* the metrics count what the line says (SPEC 10) */
		milter_metrics_message(&p.log, decided, p.tagged);
cleanup:
	if (rc < 0)
		milter_internal_error(
			cfg, edits,
			p.encrypt != NULL ||
				(!ruled && milter_rules_may_encrypt(cfg)));
	smime_facts_free(&p.facts);
	smime_facts_free(&p.inner); /* wipes what it kept of the plaintext */
	smime_buf_free(&p.note);
	free(from);
	free(mailer);
	return rc;
}
