/*
 * policy.c - applies the Rules file to one message.
 *
 * It fills the rules' facts from the message and the analysis, runs
 * rules_eval(), and turns the actions into the edit list: one
 * X-SMIME-Tag per distinct label, and the verdict with its SMTP reply.
 * Incoming X-SMIME-Tag and X-SMIME-Encryption fields are always removed
 * first (SPEC section 7), so nobody upstream can forge our findings.
 * The facts are those of the message as it arrived: signatures inside
 * content the gateway decrypts are found only after the Rules ran, so
 * they never drive a rule (SPEC sections 5 and 8).
 */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

/* Everything the facts point to, owned here for one evaluation. */
typedef struct facts_store {
	rules_facts f;
	char **from;
	size_t nfrom;
	rules_header_fact *headers;
	char **unfolded;
	rules_entity_fact *enc;
	const char **results;
	const char **signers; /* views of the verdicts' identifiers */
} facts_store;

static void facts_store_free(facts_store *s)
{
	smime_address_list_free(s->from, s->nfrom);
	for (size_t i = 0; s->unfolded && i < s->f.nheaders; i++)
		free(s->unfolded[i]);
	free(s->unfolded);
	free(s->headers);
	free(s->enc);
	free(s->results);
	free(s->signers);
}

/* Every mailbox of every From field. */
static int collect_from(const smime_headers *h, facts_store *s)
{
	const char *v;
	int rc;

	for (size_t k = 0; (v = smime_headers_get(h, "From", k)) != NULL; k++) {
		char **list = NULL, **grown;
		size_t n = 0;
		rc = smime_address_list(v, &list, &n);
		if (rc < 0)
			return rc;
		grown = realloc(s->from, (s->nfrom + n + 1) * sizeof(*grown));
		if (grown == NULL) {
			smime_address_list_free(list, n);
			return SMIME_E_NOMEM;
		}
		s->from = grown;
		if (n > 0) /* a From: without a mailbox gives list == NULL */
			memcpy(s->from + s->nfrom, list, n * sizeof(*list));
		s->nfrom += n;
		free(list);
	}
	return SMIME_OK;
}

static int collect_headers(const smime_headers *h, facts_store *s)
{
	s->headers = calloc(h->n + 1, sizeof(*s->headers));
	s->unfolded = calloc(h->n + 1, sizeof(*s->unfolded));
	if (s->headers == NULL || s->unfolded == NULL)
		return SMIME_E_NOMEM;
	s->f.nheaders = h->n; /* also what facts_store_free walks */
	for (size_t i = 0; i < h->n; i++) {
		int rc = smime_header_unfold(h->v[i].value, &s->unfolded[i]);
		if (rc < 0)
			return rc;
		s->headers[i].name = h->v[i].name;
		s->headers[i].value = s->unfolded[i];
	}
	return SMIME_OK;
}

static int collect_layers(const smime_facts *facts, facts_store *s)
{
	size_t nchecks = 0;

	for (size_t i = 0; i < facts->nlayers; i++)
		nchecks += facts->layers[i].nchecks;
	s->enc = calloc(facts->nlayers + 1, sizeof(*s->enc));
	s->results = calloc(nchecks + 1, sizeof(*s->results));
	s->signers = calloc(nchecks + 1, sizeof(*s->signers));
	if (s->enc == NULL || s->results == NULL || s->signers == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < facts->nlayers; i++) {
		const smime_layer *l = &facts->layers[i];
		if (l->kind == SMIME_KIND_SIGNED ||
		    l->kind == SMIME_KIND_OPAQUE_SIGNED)
			s->f.is_signed = true;
		for (size_t k = 0; k < l->nchecks; k++) {
			const smime_sigcheck *c = &l->checks[k];

			s->results[s->f.nsignature_results++] =
				smime_result_name(c->result);
			if (c->result == SMIME_RESULT_PASS &&
			    c->identifier != NULL)
				s->signers[s->f.nsigners++] = c->identifier;
		}
		if (l->kind != SMIME_KIND_ENVELOPED &&
		    l->kind != SMIME_KIND_AUTH_ENVELOPED)
			continue;
		s->enc[s->f.nencrypted].cipher =
			l->cms.cipher ? l->cms.cipher->name : NULL;
		s->enc[s->f.nencrypted].strength =
			smime_strength_name(l->strength);
		s->f.nencrypted++;
	}
	s->f.encrypted = s->enc;
	s->f.signature_results = s->results;
	s->f.signers = s->signers;
	return SMIME_OK;
}

/* The size as received with CRLF line ends: header fields, the blank
 * line and the body, counting each bare LF as two bytes. */
static uint64_t crlf_size(const smime_headers *h, const unsigned char *body,
			  size_t len)
{
	uint64_t size = 2;

	for (size_t i = 0; i < h->n; i++)
		size += strlen(h->v[i].name) + 2 + strlen(h->v[i].value) + 2;
	for (size_t i = 0; i < len; i++)
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			size++;
	return size + len;
}

static int fill_facts(const milter_pipe *p, facts_store *s)
{
	const milter_msg *m = p->m;
	int rc;

	s->f.direction = p->outbound ? RULES_OUTBOUND : RULES_INBOUND;
	s->f.authenticated = m->auth_user != NULL && *m->auth_user != '\0';
	s->f.client_ip = m->client_ip;
	s->f.sender = m->env_from;
	s->f.rcpts = (const char *const *)m->rcpts;
	s->f.nrcpts = m->nrcpts;
	s->f.size = crlf_size(&m->headers, p->body, p->bodylen);
	if ((rc = collect_from(&m->headers, s)) < 0 ||
	    (rc = collect_headers(&m->headers, s)) < 0 ||
	    (rc = collect_layers(&p->facts, s)) < 0)
		return rc;
	s->f.from = (const char *const *)s->from;
	s->f.nfrom = s->nfrom;
	s->f.headers = s->headers;
	return SMIME_OK;
}

/* Deletes every incoming instance of a field, last first, so the
 * 1-based indices of the ones still to go stay right. */
static int remove_incoming(const smime_headers *h, const char *name,
			   smime_edits *edits)
{
	for (size_t k = smime_headers_count(h, name); k > 0; k--) {
		int rc = smime_edits_header(edits, SMIME_EDIT_CHANGE,
					    (unsigned)k, name, NULL);
		if (rc < 0)
			return rc;
	}
	return SMIME_OK;
}

static int set_reply(smime_edits *e, smime_verdict v, const char *code,
		     const rules_action *a)
{
	e->verdict = v;
	e->reply_code = strdup(code);
	e->reply_xcode = strdup(a->status);
	e->reply_text = strdup(a->text);
	if (!e->reply_code || !e->reply_xcode || !e->reply_text)
		return SMIME_E_NOMEM;
	return SMIME_OK;
}

/* The verdict of a terminal action, and the log's action word. */
static int apply_verdict(const rules_action *a, smime_edits *e,
			 milter_act *action)
{
	switch (a->kind) {
	case RULES_ACT_REJECT:
		*action = MILTER_ACT_REJECTED;
		return set_reply(e, SMIME_VERDICT_REJECT, "550", a);
	case RULES_ACT_TEMPFAIL:
		*action = MILTER_ACT_TEMPFAILED;
		return set_reply(e, SMIME_VERDICT_TEMPFAIL, "451", a);
	case RULES_ACT_QUARANTINE:
		*action = MILTER_ACT_QUARANTINED;
		e->verdict = SMIME_VERDICT_QUARANTINE;
		e->quarantine_reason = strdup(a->text);
		return e->quarantine_reason ? SMIME_OK : SMIME_E_NOMEM;
	case RULES_ACT_DISCARD:
		*action = MILTER_ACT_DISCARDED;
		e->verdict = SMIME_VERDICT_DISCARD;
		return SMIME_OK;
	default:
		e->verdict = SMIME_VERDICT_ACCEPT;
		return SMIME_OK;
	}
}

int milter_step_policy(milter_pipe *p)
{
	const milter_msg *m = p->m;
	smime_edits *edits = p->edits;
	facts_store s;
	rules_result r = RULES_RESULT_INIT;
	unsigned tags = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = remove_incoming(&m->headers, "X-SMIME-Tag", edits)) < 0 ||
	    (rc = remove_incoming(&m->headers, "X-SMIME-Encryption", edits)) <
		    0)
		return rc;
	if (p->cfg->rules == NULL)
		return SMIME_OK;
	rc = fill_facts(p, &s);
	if (rc == 0)
		rc = rules_eval(p->cfg->rules, &s.f, &r);
	for (size_t i = 0; rc == 0 && i < r.n; i++) {
		if (r.v[i]->kind != RULES_ACT_TAG)
			continue;
		rc = smime_edits_header(edits, SMIME_EDIT_INSERT, tags++,
					"X-SMIME-Tag", r.v[i]->arg);
		p->log.action = MILTER_ACT_TAGGED;
		p->tagged = true;
	}
	if (rc == 0 && r.verdict != NULL)
		rc = apply_verdict(r.verdict, edits, &p->log.action);
	p->reencrypt = r.reencrypt; /* points into cfg->rules, not into r */
	p->sign = r.sign;
	p->encrypt = r.encrypt;
	rules_result_free(&r);
	facts_store_free(&s);
	return rc;
}
