/*
 * parse_action.c - the parser of one action after 'then' or ',', with its
 * argument and the capability check.
 *
 * Promises: an action the caller's capability set lacks is an error
 * naming the action (SPEC: policy never silently does nothing); every
 * string a parsed action carries is filled (defaults included) and has
 * passed args.c, so the milter can put it into a header or an SMTP reply
 * as it is.  A bare action word where an optional argument could stand
 * ("tag reject") is an error: a forgotten ',' is far likelier than a tag
 * labelled "reject", which can still be written quoted.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define ACTION_WORDS                                                           \
	"sign, reencrypt, encrypt, tag, reject, tempfail, quarantine, "        \
	"discard or accept"
#define OUT_CIPHERS                                                            \
	"rc2-40-cbc, rc2-64-cbc, rc2-128-cbc, des-cbc, des-ede3-cbc, "         \
	"aes-128-cbc, aes-192-cbc, aes-256-cbc, aes-128-gcm, aes-192-gcm "     \
	"or aes-256-gcm"

void rules_action_clear(rules_action *a)
{
	free((char *)a->arg);
	free((char *)a->status);
	free((char *)a->text);
	a->arg = a->status = a->text = NULL;
}

static int set(rules_parser *ps, const char **field, const char *value,
	       bool lower)
{
	char *s = rules_strdup(value);

	if (s == NULL)
		return rules_oom(ps);
	if (lower)
		rules_strlower(s);
	*field = s;
	return 0;
}

/* The optional argument at toks[*i], or *out = NULL when a ',' or the end
 * of the rule follows. */
static int opt_word(rules_parser *ps, const rules_line *l, size_t *i,
		    const char *action, const rules_token **out)
{
	const rules_token *t = rules_tok(l, *i);
	char b[SHOW_MAX];

	*out = NULL;
	if (t->kind != TOK_WORD)
		return 0;
	if (!t->quoted && rules_find_action(t->text) != NULL) {
		rules_perr(ps, t, 0,
			   "expected ',' before %s: it is an action "
			   "(quote it to use it as the argument of "
			   "'%s')",
			   rules_show(t->text, b), action);
		return RULES_REPORTED;
	}
	(*i)++;
	*out = t;
	return 0;
}

static int parse_cipher(rules_parser *ps, const rules_line *l, size_t *i,
			rules_action *a, bool auto_ok)
{
	const char *name = rules_action_name(a->kind);
	const rules_token *t;
	char b[SHOW_MAX];

	t = rules_need_word(ps, l, i,
			    auto_ok ? "a cipher name or 'auto'"
				    : "a cipher name");
	if (t == NULL)
		return RULES_REPORTED;
	if (rules_is_cipher(t->text) && !rules_is_write_cipher(t->text)) {
		rules_perr(ps, t, 0,
			   "cipher %s for %s is read but not written "
			   "by this build (no S/MIME peer here reads "
			   "it): expected %s" OUT_CIPHERS,
			   rules_show(t->text, b), name,
			   auto_ok ? "auto or " : "");
		return RULES_REPORTED;
	}
	if (!rules_is_cipher(t->text) &&
	    !(auto_ok && rules_strcaseeq(t->text, "auto"))) {
		rules_perr(ps, t, 0,
			   "unknown cipher %s for %s: expected %s" OUT_CIPHERS,
			   rules_show(t->text, b), name,
			   auto_ok ? "auto or " : "");
		return RULES_REPORTED;
	}
	a->arg_line = t->line;
	a->arg_column = t->column;
	return set(ps, &a->arg, t->text, true);
}

static int parse_reply(rules_parser *ps, const rules_line *l, size_t *i,
		       rules_action *a, char cls)
{
	const char *name = rules_action_name(a->kind), *why;
	const rules_token *t;
	char b[SHOW_MAX], *status, *text;
	size_t at;
	int ret;

	ret = opt_word(ps, l, i, name, &t);
	if (ret != 0)
		return ret;
	if (t == NULL) {
		ret = set(ps, &a->status,
			  cls == '5' ? RULES_DEFAULT_REJECT_STATUS
				     : RULES_DEFAULT_TEMPFAIL_STATUS,
			  false);
		if (ret != 0)
			return ret;
		return set(ps, &a->text,
			   cls == '5' ? RULES_DEFAULT_REJECT_TEXT
				      : RULES_DEFAULT_TEMPFAIL_TEXT,
			   false);
	}
	ret = rules_split_reply(t->text, cls, &status, &text, &why, &at);
	if (ret == RULES_E_NOMEM)
		return rules_oom(ps);
	if (ret < 0) {
		rules_perr(ps, t, at + 1, "bad %s text %s: %s", name,
			   rules_show(t->text, b), why);
		return RULES_REPORTED;
	}
	a->status = status;
	a->text = text;
	return 0;
}

/* The optional word of sign, tag and quarantine. */
static int parse_opt(rules_parser *ps, const rules_line *l, size_t *i,
		     rules_action *a, arg_kind kind)
{
	const char *name = rules_action_name(a->kind);
	const rules_token *t;
	char b[SHOW_MAX];
	int ret;

	ret = opt_word(ps, l, i, name, &t);
	if (ret != 0)
		return ret;
	if (kind == ARG_OPT_KEY) {
		if (t == NULL)
			return 0;
		if (rules_is_key_name(t->text))
			return set(ps, &a->arg, t->text, false);
		rules_perr(ps, t, 0,
			   "bad key name %s: expected a key store "
			   "entry name (letters, digits, '.', '_', "
			   "'-', '+', '@'; not starting with '.')",
			   rules_show(t->text, b));
		return RULES_REPORTED;
	}
	if (kind == ARG_OPT_LABEL) {
		if (t == NULL)
			return set(ps, &a->arg, RULES_DEFAULT_TAG, false);
		if (rules_is_label(t->text))
			return set(ps, &a->arg, t->text, false);
		rules_perr(ps, t, 0,
			   "bad tag label %s: expected 1 to 256 bytes "
			   "of printable ASCII, no blank at either "
			   "end",
			   rules_show(t->text, b));
		return RULES_REPORTED;
	}
	if (t == NULL)
		return set(ps, &a->text, RULES_DEFAULT_QUARANTINE, false);
	if (rules_is_reason(t->text))
		return set(ps, &a->text, t->text, false);
	rules_perr(ps, t, 0,
		   "bad quarantine reason %s: expected 1 to 400 "
		   "bytes of printable ASCII",
		   rules_show(t->text, b));
	return RULES_REPORTED;
}

int rules_parse_action(rules_parser *ps, const rules_line *l, size_t *i,
		       rules_action *a)
{
	const rules_token *t = rules_tok(l, *i);
	const rules_word *def;
	char b1[SHOW_MAX], b2[SHOW_MAX];
	int ret = 0, arg = 0;

	memset(a, 0, sizeof(*a));
	if (t->kind != TOK_WORD) {
		rules_perr(ps, t, 0, "expected an action after %s, got %s",
			   rules_describe(rules_tok(l, *i - 1), b1),
			   rules_describe(t, b2));
		return RULES_REPORTED;
	}
	def = rules_find_action(t->text);
	if (def == NULL || t->quoted) {
		rules_perr(ps, t, 0, "%s %s: expected " ACTION_WORDS,
			   def == NULL ? "unknown action"
				       : "expected an action, got the quoted "
					 "word",
			   rules_show(t->text, b1));
		return RULES_REPORTED;
	}
	(*i)++;
	a->kind = (rules_action_kind)def->kind;
	a->file = ps->file;
	a->line = l->line;
	if ((ps->caps & RULES_CAP(a->kind)) == 0) {
		rules_perr(ps, t, 0,
			   "action '%s' is not available in this "
			   "build: the rule would silently do nothing",
			   def->name);
		ret = RULES_REPORTED;
	}
	switch (def->arg) {
	case ARG_CIPHER_OUT:
	case ARG_CIPHER_AUTO:
		arg = parse_cipher(ps, l, i, a, def->arg == ARG_CIPHER_AUTO);
		break;
	case ARG_OPT_REPLY5:
	case ARG_OPT_REPLY4:
		arg = parse_reply(ps, l, i, a,
				  def->arg == ARG_OPT_REPLY5 ? '5' : '4');
		break;
	case ARG_OPT_KEY:
	case ARG_OPT_LABEL:
	case ARG_OPT_REASON:
		arg = parse_opt(ps, l, i, a, def->arg);
		break;
	default:
		break;
	}
	if (arg != 0)
		ret = arg;
	if (ret != 0)
		rules_action_clear(a);
	return ret;
}
