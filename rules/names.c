/*
 * names.c - the vocabulary of the rules language: condition and action
 * words with the argument each takes, cipher names (SPEC section 6),
 * signature results and strength words.
 *
 * The cipher names are kept here as plain strings on purpose: rules/ must
 * not depend on crypto/, and SPEC section 6 fixes the names.
 * tests/test_rules_parse.c checks that each SPEC name is accepted.
 * All look-ups fold ASCII case.
 */
#include "internal.h"

#include <stddef.h>

static const rules_word conds[] = {
	{"outbound", COND_OUTBOUND, ARG_NONE},
	{"inbound", COND_INBOUND, ARG_NONE},
	{"authenticated", COND_AUTHENTICATED, ARG_NONE},
	{"client-ip", COND_CLIENT_IP, ARG_CIDR},
	{"from", COND_FROM, ARG_GLOB},
	{"sender", COND_SENDER, ARG_GLOB},
	{"to", COND_TO, ARG_GLOB},
	{"all-to", COND_ALL_TO, ARG_GLOB},
	{"header", COND_HEADER, ARG_HEADER},
	{"signed", COND_SIGNED, ARG_NONE},
	{"signature", COND_SIGNATURE, ARG_RESULT},
	{"signer", COND_SIGNER, ARG_GLOB},
	{"encrypted", COND_ENCRYPTED, ARG_NONE},
	{"cipher", COND_CIPHER, ARG_CIPHER},
	{"size", COND_SIZE, ARG_SIZE},
};

static const rules_word acts[] = {
	{"sign", RULES_ACT_SIGN, ARG_OPT_KEY},
	{"reencrypt", RULES_ACT_REENCRYPT, ARG_CIPHER_AUTO},
	{"encrypt", RULES_ACT_ENCRYPT, ARG_CIPHER_AUTO},
	{"tag", RULES_ACT_TAG, ARG_OPT_LABEL},
	{"reject", RULES_ACT_REJECT, ARG_OPT_REPLY5},
	{"tempfail", RULES_ACT_TEMPFAIL, ARG_OPT_REPLY4},
	{"quarantine", RULES_ACT_QUARANTINE, ARG_OPT_REASON},
	{"discard", RULES_ACT_DISCARD, ARG_NONE},
	{"accept", RULES_ACT_ACCEPT, ARG_NONE},
};

const char *const rules_cipher_names[] = {
	"rc2-40-cbc",   "rc2-64-cbc",  "rc2-128-cbc",       "des-cbc",
	"des-ede3-cbc", "aes-128-cbc", "aes-192-cbc",       "aes-256-cbc",
	"aes-128-gcm",  "aes-192-gcm", "aes-256-gcm",       "aes-128-ccm",
	"aes-192-ccm",  "aes-256-ccm", "chacha20-poly1305", NULL};

/* What this build reads but does not write (no peer we check against
 * reads it): a reencrypt or encrypt target of these is a load error. */
static const char *const read_only_ciphers[] = {
	"aes-128-ccm", "aes-192-ccm", "aes-256-ccm", "chacha20-poly1305", NULL};

static const char *const results[] = {"pass",    "fail",      "policy",
				      "neutral", "temperror", "permerror",
				      "none",    NULL};

static const char *const strengths[] = {"weak", "legacy", "strong", "unknown",
					NULL};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const rules_word *rules_find_cond(const char *word)
{
	for (size_t i = 0; i < COUNT(conds); i++)
		if (rules_strcaseeq(word, conds[i].name))
			return &conds[i];
	return NULL;
}

const rules_word *rules_find_action(const char *word)
{
	for (size_t i = 0; i < COUNT(acts); i++)
		if (rules_strcaseeq(word, acts[i].name))
			return &acts[i];
	return NULL;
}

const char *rules_action_name(rules_action_kind kind)
{
	for (size_t i = 0; i < COUNT(acts); i++)
		if (acts[i].kind == (int)kind)
			return acts[i].name;
	return "?";
}

bool rules_action_is_terminal(rules_action_kind kind)
{
	return kind == RULES_ACT_REJECT || kind == RULES_ACT_TEMPFAIL ||
	       kind == RULES_ACT_QUARANTINE || kind == RULES_ACT_DISCARD ||
	       kind == RULES_ACT_ACCEPT;
}

static bool in_list(const char *const *list, const char *word)
{
	for (; *list != NULL; list++)
		if (rules_strcaseeq(word, *list))
			return true;
	return false;
}

bool rules_is_cipher(const char *word)
{
	return in_list(rules_cipher_names, word);
}

bool rules_is_write_cipher(const char *word)
{
	return in_list(rules_cipher_names, word) &&
	       !in_list(read_only_ciphers, word);
}

bool rules_is_result(const char *word)
{
	return in_list(results, word);
}

bool rules_is_strength(const char *word)
{
	return in_list(strengths, word);
}
