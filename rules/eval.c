/*
 * eval.c - evaluation of a rules_set against one message's facts
 * (SPEC section 5 semantics).
 *
 * Promises: rules are read top to bottom and every matching rule's
 * actions apply in order; reject, tempfail, quarantine, discard and
 * accept end the evaluation; of sign, reencrypt and encrypt the first
 * asked for wins; tags add up, one per distinct label (labels compare
 * byte for byte).  Conditions, in the words of smime-milter.rules(5):
 *  - from: any From mailbox (no From header: nothing matches);
 *  - to: any envelope recipient; all-to: every one, and false when there
 *    are none (so an empty envelope never satisfies a policy by default);
 *  - header: any instance, name compared case-insensitively;
 *  - signed: a signature was found, or any signature result is known;
 *  - signature none: no signature result at all;
 *  - signer: the identifier of any signature whose result is pass;
 *  - cipher weak|legacy|strong|unknown: an entity of that strength, else an
 *    entity with that cipher name;
 *  - size > N: strictly larger.
 * Missing facts (NULL client address, sender, list entries) match
 * nothing.  The set is only read, so evaluation is thread-safe.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static bool any_glob(const char *glob, const char *const *list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		if (list[i] != NULL && rules_glob_match(glob, list[i]))
			return true;
	return false;
}

static bool all_glob(const char *glob, const char *const *list, size_t n)
{
	if (list == NULL || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (list[i] == NULL || !rules_glob_match(glob, list[i]))
			return false;
	return true;
}

static bool header_true(const rules_cond *c, const rules_facts *f)
{
	for (size_t i = 0; f->headers != NULL && i < f->nheaders; i++) {
		const rules_header_fact *h = &f->headers[i];
		if (h->name != NULL && h->value != NULL &&
		    rules_strcaseeq(h->name, c->arg) &&
		    rules_glob_match(c->glob, h->value))
			return true;
	}
	return false;
}

static bool signature_true(const rules_cond *c, const rules_facts *f)
{
	const char *const *r = f->signature_results;
	size_t n = r == NULL ? 0 : f->nsignature_results;

	if (n == 0)
		return strcmp(c->arg, "none") == 0;
	for (size_t i = 0; i < n; i++)
		if (r[i] != NULL && rules_strcaseeq(r[i], c->arg))
			return true;
	return false;
}

static bool cipher_true(const rules_cond *c, const rules_facts *f)
{
	bool by_strength = rules_is_strength(c->arg);

	for (size_t i = 0; f->encrypted != NULL && i < f->nencrypted; i++) {
		const char *w = by_strength ? f->encrypted[i].strength
					    : f->encrypted[i].cipher;
		if (w != NULL && rules_strcaseeq(w, c->arg))
			return true;
	}
	return false;
}

static bool cond_true(const rules_cond *c, const rules_facts *f)
{
	switch (c->kind) {
	case COND_OUTBOUND:
		return f->direction == RULES_OUTBOUND;
	case COND_INBOUND:
		return f->direction == RULES_INBOUND;
	case COND_AUTHENTICATED:
		return f->authenticated;
	case COND_CLIENT_IP:
		return f->client_ip != NULL &&
		       rules_cidr_match(&c->cidr, f->client_ip);
	case COND_FROM:
		return any_glob(c->arg, f->from, f->nfrom);
	case COND_SENDER:
		return f->sender != NULL && rules_glob_match(c->arg, f->sender);
	case COND_TO:
		return any_glob(c->arg, f->rcpts, f->nrcpts);
	case COND_ALL_TO:
		return all_glob(c->arg, f->rcpts, f->nrcpts);
	case COND_HEADER:
		return header_true(c, f);
	case COND_SIGNED:
		return f->is_signed || (f->signature_results != NULL &&
					f->nsignature_results > 0);
	case COND_SIGNATURE:
		return signature_true(c, f);
	case COND_SIGNER:
		return any_glob(c->arg, f->signers, f->nsigners);
	case COND_ENCRYPTED:
		return f->encrypted != NULL && f->nencrypted > 0;
	case COND_CIPHER:
		return cipher_true(c, f);
	case COND_SIZE:
		return f->size > c->size;
	}
	return false;
}

static bool rule_matches(const rules_rule *r, const rules_facts *f)
{
	for (size_t i = 0; i < r->nconds; i++)
		if (cond_true(&r->conds[i], f) == r->conds[i].negate)
			return false;
	return true;
}

static int push(rules_result *out, const rules_action *a)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		const rules_action **v = realloc(out->v, cap * sizeof(*v));
		if (v == NULL)
			return RULES_E_NOMEM;
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = a;
	return 0;
}

static bool has_tag(const rules_result *out, const char *label)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i]->kind == RULES_ACT_TAG &&
		    strcmp(out->v[i]->arg, label) == 0)
			return true;
	return false;
}

/* Adds one matching rule's action; 1 when it ends the evaluation. */
static int apply(rules_result *out, const rules_action *a)
{
	const rules_action **slot = NULL;

	switch (a->kind) {
	case RULES_ACT_SIGN:
		slot = &out->sign;
		break;
	case RULES_ACT_REENCRYPT:
		slot = &out->reencrypt;
		break;
	case RULES_ACT_ENCRYPT:
		slot = &out->encrypt;
		break;
	case RULES_ACT_TAG:
		return has_tag(out, a->arg) ? 0 : push(out, a);
	default:
		if (push(out, a) < 0)
			return RULES_E_NOMEM;
		out->verdict = a;
		return 1;
	}
	if (*slot != NULL)
		return 0; /* the first transform of a kind wins */
	*slot = a;
	return push(out, a);
}

static void result_reset(rules_result *r)
{
	r->n = 0;
	r->verdict = r->sign = r->reencrypt = r->encrypt = NULL;
	r->matched = 0;
}

int rules_eval(const rules_set *rs, const rules_facts *f, rules_result *out)
{
	int ret = 0;

	if (out == NULL)
		return RULES_E_ARG;
	result_reset(out);
	if (f == NULL)
		return RULES_E_ARG;
	for (size_t i = 0; rs != NULL && i < rs->n && ret == 0; i++) {
		const rules_rule *r = &rs->v[i];
		if (!rule_matches(r, f))
			continue;
		out->matched++;
		for (size_t k = 0; k < r->nacts && ret == 0; k++)
			ret = apply(out, &r->acts[k]);
	}
	if (ret < 0) {
		result_reset(out);
		return ret;
	}
	return 0;
}

void rules_result_free(rules_result *r)
{
	if (r == NULL)
		return;
	free(r->v);
	r->v = NULL;
	r->cap = 0;
	result_reset(r);
}
