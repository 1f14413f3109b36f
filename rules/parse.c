/*
 * parse.c - the parser of one rule: "when CONDITION [and CONDITION]...
 * then ACTION [, ACTION]...", with the conditions and their arguments.
 * The actions are parse_action.c's.
 *
 * Promises: every error names the position of the offending word and
 * says what was expected there.  After an error the parser skips to the
 * next 'and', 'then' or ',' and goes on, so one pass reports every
 * independent mistake of a rule; a rule with any error is dropped whole
 * (the loader then fails), never half-kept.  Keywords fold ASCII case
 * and are never quoted: a quoted word is always a value.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COND_WORDS                                                             \
	"outbound, inbound, authenticated, client-ip, from, sender, to, "      \
	"all-to, header, signed, signature, signer, encrypted, cipher or "     \
	"size"
#define CIPHER_WORDS                                                           \
	"weak, legacy, strong, unknown, rc2-40-cbc, rc2-64-cbc, "              \
	"rc2-128-cbc, rc2-cbc, des-cbc, des-ede3-cbc, aes-128-cbc, "           \
	"aes-192-cbc, aes-256-cbc, aes-128-gcm, aes-192-gcm, "                 \
	"aes-256-gcm, aes-128-ccm, aes-192-ccm, aes-256-ccm or "               \
	"chacha20-poly1305"
#define RESULT_WORDS "pass, fail, policy, neutral, temperror, permerror or none"

const rules_token *rules_tok(const rules_line *l, size_t i)
{
	return &l->v[i < l->n ? i : l->n - 1];
}

bool rules_is_kw(const rules_token *t, const char *kw)
{
	return t->kind == TOK_WORD && !t->quoted &&
	       rules_strcaseeq(t->text, kw);
}

const char *rules_describe(const rules_token *t, char out[SHOW_MAX])
{
	if (t->kind == TOK_COMMA)
		return "','";
	if (t->kind == TOK_END)
		return "the end of the rule";
	if (t->quoted) {
		char w[SHOW_MAX];
		/* at most 16 + 166 bytes: fits SHOW_MAX */
		snprintf(out, SHOW_MAX, "the quoted word %s",
			 rules_show(t->text, w));
		return out;
	}
	return rules_show(t->text, out);
}

void rules_perr(rules_parser *ps, const rules_token *t, size_t offset,
		const char *fmt, ...)
{
	rstr msg = RSTR_INIT;
	va_list ap;
	unsigned col = t->kind == TOK_WORD && offset > 0
			       ? rules_token_column(t, offset - 1)
			       : t->column;

	va_start(ap, fmt);
	if (rstr_vprintf(&msg, fmt, ap) < 0)
		ps->errs->oom = true;
	else
		rules_err(ps->errs, t->line, col, "%s", msg.s);
	va_end(ap);
	rstr_free(&msg);
}

const rules_token *rules_need_word(rules_parser *ps, const rules_line *l,
				   size_t *i, const char *what)
{
	const rules_token *t = rules_tok(l, *i);
	const rules_token *prev = rules_tok(l, *i - 1);
	char b1[SHOW_MAX], b2[SHOW_MAX];

	if (t->kind != TOK_WORD || rules_is_kw(t, "and") ||
	    rules_is_kw(t, "then")) {
		rules_perr(ps, t, 0, "expected %s after %s, got %s%s", what,
			   rules_describe(prev, b1), rules_describe(t, b2),
			   t->kind == TOK_WORD ? " (quote it to mean the word)"
					       : "");
		return NULL;
	}
	(*i)++;
	return t;
}

int rules_oom(rules_parser *ps)
{
	ps->errs->oom = true;
	return RULES_E_NOMEM;
}

static int dup_lower(rules_parser *ps, const char *s, char **out)
{
	*out = rules_strdup(s);
	if (*out == NULL)
		return rules_oom(ps);
	rules_strlower(*out);
	return 0;
}

static int parse_glob(rules_parser *ps, const rules_token *t, char **out)
{
	const char *why;
	char b[SHOW_MAX];
	size_t off;

	if (rules_glob_check_why(t->text, &off, &why) < 0) {
		rules_perr(ps, t, off + 1, "bad glob %s: %s",
			   rules_show(t->text, b), why);
		return RULES_REPORTED;
	}
	*out = rules_strdup(t->text);
	return *out == NULL ? rules_oom(ps) : 0;
}

/* "size > BYTES" or "size >BYTES". */
static int parse_size(rules_parser *ps, const rules_line *l, size_t *i,
		      rules_cond *c)
{
	const rules_token *t = rules_tok(l, *i);
	const char *num;
	char b[SHOW_MAX];
	size_t off = 0;
	int ret;

	if (t->kind == TOK_WORD && !t->quoted && t->text[0] == '<') {
		rules_perr(ps, t, 0,
			   "expected '>' after 'size' (there is no "
			   "'<': write 'not size > N' for N bytes "
			   "or less)");
		return RULES_REPORTED;
	}
	if (t->kind != TOK_WORD || t->quoted || t->text[0] != '>') {
		rules_perr(ps, t, 0, "expected '>' after 'size', got %s",
			   rules_describe(t, b));
		return RULES_REPORTED;
	}
	(*i)++;
	if (t->text[1] != '\0') {
		num = t->text + 1;
		off = 2; /* the byte after '>' */
	} else {
		t = rules_need_word(ps, l, i, "a number of bytes");
		if (t == NULL)
			return RULES_REPORTED;
		num = t->text;
	}
	ret = rules_parse_size(num, &c->size);
	if (ret == RULES_E_LIMIT) {
		rules_perr(ps, t, off,
			   "size %s too large: expected at most "
			   "2^64-1 bytes",
			   rules_show(num, b));
		return RULES_REPORTED;
	}
	if (ret < 0) {
		rules_perr(ps, t, off,
			   "bad size %s: expected a number of bytes "
			   "with an optional K or M suffix",
			   rules_show(num, b));
		return RULES_REPORTED;
	}
	return 0;
}

static int parse_header(rules_parser *ps, const rules_line *l, size_t *i,
			rules_cond *c)
{
	const rules_token *t = rules_need_word(ps, l, i, "a header name");
	char b[SHOW_MAX];
	size_t n;

	if (t == NULL)
		return RULES_REPORTED;
	if (!rules_is_header_name(t->text)) {
		n = strlen(t->text);
		if (n > 1 && t->text[n - 1] == ':' &&
		    strchr(t->text, ':') == t->text + n - 1)
			rules_perr(ps, t, n,
				   "bad header name %s: expected "
				   "the name without ':'",
				   rules_show(t->text, b));
		else
			rules_perr(ps, t, 0,
				   "bad header name %s: expected "
				   "printable ASCII without blanks "
				   "or ':'",
				   rules_show(t->text, b));
		return RULES_REPORTED;
	}
	c->arg = rules_strdup(t->text);
	if (c->arg == NULL)
		return rules_oom(ps);
	t = rules_need_word(ps, l, i, "a glob for the header value");
	return t == NULL ? RULES_REPORTED : parse_glob(ps, t, &c->glob);
}

/* The argument of condition def; the condition word is behind *i. */
static int parse_cond_arg(rules_parser *ps, const rules_line *l, size_t *i,
			  const rules_word *def, rules_cond *c)
{
	const rules_token *t;
	char b[SHOW_MAX];

	switch (def->arg) {
	case ARG_CIDR:
		if ((t = rules_need_word(ps, l, i, "a CIDR")) == NULL)
			return RULES_REPORTED;
		if (rules_cidr_parse(t->text, &c->cidr) < 0) {
			rules_perr(ps, t, 0,
				   "bad CIDR %s: expected an IPv4 or "
				   "IPv6 address with an optional "
				   "/PREFIX",
				   rules_show(t->text, b));
			return RULES_REPORTED;
		}
		return 0;
	case ARG_GLOB:
		if ((t = rules_need_word(ps, l, i, "a glob")) == NULL)
			return RULES_REPORTED;
		return parse_glob(ps, t, &c->arg);
	case ARG_HEADER:
		return parse_header(ps, l, i, c);
	case ARG_RESULT:
		if ((t = rules_need_word(ps, l, i, "a signature result")) ==
		    NULL)
			return RULES_REPORTED;
		if (!rules_is_result(t->text)) {
			rules_perr(ps, t, 0,
				   "unknown signature result %s: "
				   "expected " RESULT_WORDS,
				   rules_show(t->text, b));
			return RULES_REPORTED;
		}
		return dup_lower(ps, t->text, &c->arg);
	case ARG_CIPHER:
		if ((t = rules_need_word(ps, l, i, "a cipher")) == NULL)
			return RULES_REPORTED;
		if (!rules_is_cipher(t->text) && !rules_is_strength(t->text) &&
		    !rules_strcaseeq(t->text, "rc2-cbc")) {
			rules_perr(ps, t, 0,
				   "unknown cipher %s: expected " CIPHER_WORDS,
				   rules_show(t->text, b));
			return RULES_REPORTED;
		}
		return dup_lower(ps, t->text, &c->arg);
	case ARG_SIZE:
		return parse_size(ps, l, i, c);
	default:
		return 0;
	}
}

/* [not] CONDITION ARGS... at toks[*i]. */
static int parse_cond(rules_parser *ps, const rules_line *l, size_t *i,
		      rules_cond *c)
{
	const rules_token *t = rules_tok(l, *i);
	const rules_word *def;
	char b1[SHOW_MAX], b2[SHOW_MAX];

	memset(c, 0, sizeof(*c));
	if (rules_is_kw(t, "not")) {
		c->negate = true;
		t = rules_tok(l, ++*i);
		if (rules_is_kw(t, "not")) {
			rules_perr(ps, t, 0,
				   "expected a condition after 'not', "
				   "got 'not' (it cannot be doubled)");
			return RULES_REPORTED;
		}
	}
	if (t->kind != TOK_WORD || rules_is_kw(t, "and") ||
	    rules_is_kw(t, "then")) {
		rules_perr(ps, t, 0, "expected a condition after %s, got %s",
			   rules_describe(rules_tok(l, *i - 1), b1),
			   rules_describe(t, b2));
		return RULES_REPORTED;
	}
	def = rules_find_cond(t->text);
	if (def != NULL && t->quoted) {
		rules_perr(ps, t, 0,
			   "expected a condition, got the quoted word "
			   "%s (keywords are never quoted)",
			   rules_show(t->text, b1));
		return RULES_REPORTED;
	}
	if (def == NULL) {
		rules_perr(ps, t, 0,
			   "unknown condition %s: expected " COND_WORDS,
			   rules_show(t->text, b1));
		return RULES_REPORTED;
	}
	c->kind = (cond_kind)def->kind;
	(*i)++;
	return parse_cond_arg(ps, l, i, def, c);
}

static void cond_clear(rules_cond *c)
{
	free(c->arg);
	free(c->glob);
	c->arg = c->glob = NULL;
}

/* Skips to the next token in stop ("and"/"then", or ","), or the end. */
static void skip_to(const rules_line *l, size_t *i, bool conds)
{
	for (;; (*i)++) {
		const rules_token *t = rules_tok(l, *i);
		if (t->kind == TOK_END)
			return;
		if (conds && (rules_is_kw(t, "and") || rules_is_kw(t, "then")))
			return;
		if (!conds && t->kind == TOK_COMMA)
			return;
	}
}

static int add_cond(rules_parser *ps, rules_rule *r, rules_cond *c)
{
	rules_cond *v = realloc(r->conds, (r->nconds + 1) * sizeof(*v));

	if (v == NULL) {
		cond_clear(c);
		return rules_oom(ps);
	}
	r->conds = v;
	r->conds[r->nconds++] = *c;
	return 0;
}

static int add_action(rules_parser *ps, rules_rule *r, rules_action *a)
{
	rules_action *v = realloc(r->acts, (r->nacts + 1) * sizeof(*v));

	if (v == NULL) {
		rules_action_clear(a);
		return rules_oom(ps);
	}
	r->acts = v;
	r->acts[r->nacts++] = *a;
	return 0;
}

/* The conditions after 'when'; *i ends past 'then'.  RULES_REPORTED
 * when the rule ends before 'then' (the error is reported). */
static int parse_conds(rules_parser *ps, const rules_line *l, size_t *i,
		       rules_rule *r, size_t errs0)
{
	char b[SHOW_MAX];

	for (;;) {
		const rules_token *t;
		rules_cond c;

		if (parse_cond(ps, l, i, &c) == 0)
			add_cond(ps, r, &c);
		else {
			cond_clear(&c);
			skip_to(l, i, true);
		}
		t = rules_tok(l, *i);
		if (!rules_is_kw(t, "and") && !rules_is_kw(t, "then") &&
		    t->kind != TOK_END) {
			rules_perr(ps, t, 0,
				   "expected 'and' or 'then' after "
				   "the condition, got %s",
				   rules_describe(t, b));
			skip_to(l, i, true);
			t = rules_tok(l, *i);
		}
		(*i)++;
		if (rules_is_kw(t, "then"))
			return 0;
		if (t->kind == TOK_END) {
			if (ps->errs->n == errs0)
				rules_perr(ps, t, 0,
					   "expected 'and' or 'then' "
					   "after the condition, got "
					   "the end of the rule");
			return RULES_REPORTED;
		}
	}
}

/* What one rule's actions may not do together: an action after a
 * terminal one never runs, and a second transform of a kind never wins. */
static void check_order(rules_parser *ps, const rules_rule *r,
			const rules_token *t)
{
	const rules_action *a = &r->acts[r->nacts - 1];
	const char *name = rules_action_name(a->kind);

	for (size_t k = 0; k + 1 < r->nacts; k++) {
		const rules_action *o = &r->acts[k];
		if (rules_action_is_terminal(o->kind)) {
			rules_perr(ps, t, 0,
				   "'%s' can never run: '%s' before "
				   "it ends the evaluation",
				   name, rules_action_name(o->kind));
			return;
		}
		if (o->kind == a->kind && a->kind <= RULES_ACT_ENCRYPT) {
			rules_perr(ps, t, 0,
				   "a second '%s' in one rule: only "
				   "the first one applies",
				   name);
			return;
		}
	}
}

static void parse_actions(rules_parser *ps, const rules_line *l, size_t *i,
			  rules_rule *r)
{
	char b[SHOW_MAX];

	for (;;) {
		const rules_token *word = rules_tok(l, *i), *t;
		rules_action a;

		if (rules_parse_action(ps, l, i, &a) == 0) {
			if (add_action(ps, r, &a) == 0)
				check_order(ps, r, word);
		} else {
			skip_to(l, i, false);
		}
		t = rules_tok(l, *i);
		if (t->kind == TOK_WORD) {
			rules_perr(ps, t, 0,
				   "expected ',' or the end of the "
				   "rule after the action, got %s",
				   rules_describe(t, b));
			skip_to(l, i, false);
			t = rules_tok(l, *i);
		}
		if (t->kind != TOK_COMMA)
			return;
		(*i)++;
	}
}

int rules_parse_rule(rules_parser *ps, const rules_line *l, rules_rule *out)
{
	size_t i = 1, errs0 = ps->errs->n;
	const rules_token *t = rules_tok(l, 0);
	char b[SHOW_MAX];

	memset(out, 0, sizeof(*out));
	out->line = l->line;
	if (!rules_is_kw(t, "when")) {
		rules_perr(ps, t, 0,
			   "expected 'when' at the start of a rule, "
			   "got %s",
			   rules_describe(t, b));
		return RULES_REPORTED;
	}
	if (parse_conds(ps, l, &i, out, errs0) == 0)
		parse_actions(ps, l, &i, out);
	if (ps->errs->n != errs0 || ps->errs->oom) {
		rules_rule_free(out);
		return ps->errs->oom ? RULES_E_NOMEM : RULES_REPORTED;
	}
	return 0;
}

void rules_rule_free(rules_rule *r)
{
	for (size_t i = 0; i < r->nconds; i++)
		cond_clear(&r->conds[i]);
	for (size_t i = 0; i < r->nacts; i++)
		rules_action_clear(&r->acts[i]);
	free(r->conds);
	free(r->acts);
	memset(r, 0, sizeof(*r));
}
