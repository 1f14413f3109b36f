/*
 * test_rules_parse.c - the rules parser (rules/): a table of valid rules
 * that must load, a table of malformed rules whose exact diagnostics
 * ("FILE:LINE:COLUMN: message") are asserted, the parsed arguments and
 * defaults of every action, capabilities, collecting several errors,
 * the error cap, file loading, and garbage input that must never crash.
 */
#include "rules.h"
#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Loads text as "t.rules"; returns the RULES_* code and the diagnostics
 * joined by newlines in *diag (malloc'd, "" when none). */
static int load(const char *text, size_t len, unsigned caps, rules_set **rs,
		char **diag)
{
	rules_diag d = RULES_DIAG_INIT;
	size_t total = 1;
	int ret;

	*rs = NULL;
	ret = rules_load_buffer("t.rules", text, len, caps, rs, &d);
	for (size_t i = 0; i < d.n; i++)
		total += strlen(d.v[i].text) + 1;
	*diag = calloc(1, total);
	for (size_t i = 0; i < d.n && *diag != NULL; i++) {
		if (i > 0)
			strcat(*diag, "\n");
		strcat(*diag, d.v[i].text);
	}
	rules_diag_free(&d);
	return ret;
}

/* A rule for a test name, on one line: line ends and tabs as \n, \r,
 * \t, other bytes outside printable ASCII as \xNN. */
static const char *one_line(const char *s)
{
	static char buf[512];
	size_t o = 0;

	for (; *s != '\0' && o + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\r' || c == '\t')
			o += (size_t)snprintf(buf + o, 3, "\\%c",
					      c == '\n'   ? 'n'
					      : c == '\r' ? 'r'
							  : 't');
		else if (c < 0x20 || c > 0x7e)
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static const char *const valid[] = {
	"when outbound then sign",
	"when inbound then tag",
	"when authenticated then accept",
	"when client-ip 192.0.2.0/24 then discard",
	"when client-ip 2001:db8::/32 then tag v6",
	"when client-ip ::ffff:192.0.2.1 then tag mapped",
	"when client-ip 10.1.2.3 then tag host",
	"when client-ip [2001:db8::1] then tag bracketed",
	"when from *@example.org then sign",
	"when from \"*@[a-z]*.example.org\" then sign alice",
	"when sender \"\" then tag bounce",
	"when sender *@example.org and not authenticated then reject",
	"when to *@mobile.example.org then reencrypt des-ede3-cbc",
	"when all-to *@example.org then tag internal-only",
	"when header X-Mailer \"*Windows Mobile*\" then tag legacy-mobile",
	"when header subject *[!a-z]* then tag odd",
	"when header \"X-Spam-Flag\" YES then tag spam",
	"when signed then tag signed",
	"when signature pass then accept",
	"when signature fail then reject \"5.7.1 S/MIME signature did not "
	"verify\"",
	"when signature policy then tag untrusted",
	"when signature neutral then tag",
	"when signature temperror then tempfail",
	"when signature permerror then quarantine",
	"when signature none and outbound then sign",
	"when encrypted then tag encrypted",
	"when cipher weak then reencrypt aes-256-cbc, tag",
	"when cipher legacy then tag legacy",
	"when cipher strong then accept",
	"when cipher unknown then quarantine",
	"when cipher chacha20-poly1305 and not cipher aes-256-ccm then tag",
	"when cipher rc2-40-cbc then reencrypt aes-128-cbc",
	"when cipher rc2-cbc then tag odd-rc2",
	"when size > 10M then accept",
	"when size >512K then tag big",
	"when size > 0 then tag",
	"when not size > 1024 then tag small",
	"WHEN Outbound AND From *@Example.org THEN Sign",
	"when outbound then encrypt auto",
	"when outbound then encrypt aes-256-gcm",
	"when inbound then tempfail \"4.7.1 try again later\"",
	"when inbound then quarantine \"weak crypto\"",
	"when inbound then reject \"5.7.1\"",
	"when inbound then tag \"two words\", tag \"a,b\", "
	"tag \"quote \\\" and backslash \\\\\"",
	"when outbound \\\n  and from *@example.org \\\n  then sign",
	"when inbound then tag x # a trailing comment",
	"\twhen\tinbound\tthen\tdiscard\t",
	"when inbound then tag \"then\"",
	"when from a#b@example.org then tag hash-inside-word",
	"when outbound then sign, reencrypt aes-256-cbc, encrypt auto, "
	"tag a, tag b, reject",
	"when to \"*@[]x]*\" then tag bracket-first-in-set",
	"when from [!x]*@* then tag",
	"when not inbound and not signed and not encrypted then tag plain",
	"when inbound then discard\r\n",
	"when outbound then sign \"alice@example.org\"",
	"when inbound then tag,tag b",
	"when inbound then reject \"5.7.1 50% of it; see <http://x/>\"",
	"when size > 17592186044415M then tag largest-in-m",
	"when from boss@example.org and not signer boss@example.org "
	"then reject",
	"when SIGNER \"*@[a-z]*.example.org\" then tag signed-here",
};

struct bad {
	const char *rule;
	const char *want;
};

#define COND_LIST                                                              \
	"expected outbound, inbound, authenticated, client-ip, from, "         \
	"sender, to, all-to, header, signed, signature, signer, encrypted, "   \
	"cipher or size"
#define OUT_CIPHERS                                                            \
	"rc2-40-cbc, rc2-64-cbc, rc2-128-cbc, des-cbc, des-ede3-cbc, "         \
	"aes-128-cbc, aes-192-cbc, aes-256-cbc, aes-128-gcm, aes-192-gcm "     \
	"or aes-256-gcm"
#define CIPHER_LIST                                                            \
	"weak, legacy, strong, unknown, rc2-40-cbc, rc2-64-cbc, "              \
	"rc2-128-cbc, rc2-cbc, des-cbc, des-ede3-cbc, aes-128-cbc, "           \
	"aes-192-cbc, aes-256-cbc, aes-128-gcm, aes-192-gcm, "                 \
	"aes-256-gcm, aes-128-ccm, aes-192-ccm, aes-256-ccm or "               \
	"chacha20-poly1305"
#define ACTION_LIST                                                            \
	"expected sign, reencrypt, encrypt, tag, reject, tempfail, "           \
	"quarantine, discard or accept"

static const struct bad malformed[] = {
	{"when outbound",
	 "t.rules:1:14: expected 'and' or 'then' after the condition, got "
	 "the end of the rule"},
	{"when foo then tag",
	 "t.rules:1:6: unknown condition 'foo': " COND_LIST},
	{"when from \"*@[abc\" then tag",
	 "t.rules:1:14: bad glob '*@[abc': '[' without a closing ']': "
	 "expected ']' to end the set"},
	{"when from [z-a]* then tag",
	 "t.rules:1:12: bad glob '[z-a]*': reversed range in '[...]': "
	 "expected the lower character first, as in a-z"},
	{"when signer [z-a]* then tag",
	 "t.rules:1:14: bad glob '[z-a]*': reversed range in '[...]': "
	 "expected the lower character first, as in a-z"},
	{"when not signer then tag",
	 "t.rules:1:17: expected a glob after 'signer', got 'then' "
	 "(quote it to mean the word)"},
	{"when signer",
	 "t.rules:1:12: expected a glob after 'signer', got the end of the "
	 "rule"},
	{"then tag",
	 "t.rules:1:1: expected 'when' at the start of a rule, got 'then'"},
	{"when",
	 "t.rules:1:5: expected a condition after 'when', got the end of "
	 "the rule"},
	{"when outbound then",
	 "t.rules:1:19: expected an action after 'then', got the end of the "
	 "rule"},
	{"when outbound then tag,",
	 "t.rules:1:24: expected an action after ',', got the end of the "
	 "rule"},
	{"when outbound sign",
	 "t.rules:1:15: expected 'and' or 'then' after the condition, got "
	 "'sign'"},
	{"when inbound, outbound then tag",
	 "t.rules:1:13: expected 'and' or 'then' after the condition, got "
	 "','"},
	{"when inbound and then tag",
	 "t.rules:1:18: expected a condition after 'and', got 'then'"},
	{"when client-ip 10.0.0.0/33 then tag",
	 "t.rules:1:16: bad CIDR '10.0.0.0/33': expected an IPv4 or IPv6 "
	 "address with an optional /PREFIX"},
	{"when client-ip 2001:db8::/129 then tag",
	 "t.rules:1:16: bad CIDR '2001:db8::/129': expected an IPv4 or IPv6 "
	 "address with an optional /PREFIX"},
	{"when client-ip example.org then tag",
	 "t.rules:1:16: bad CIDR 'example.org': expected an IPv4 or IPv6 "
	 "address with an optional /PREFIX"},
	{"when client-ip then tag",
	 "t.rules:1:16: expected a CIDR after 'client-ip', got 'then' "
	 "(quote it to mean the word)"},
	{"when cipher rc2-41-cbc then tag",
	 "t.rules:1:13: unknown cipher 'rc2-41-cbc': expected " CIPHER_LIST},
	{"when cipher weak then reencrypt chacha20-poly1305",
	 "t.rules:1:33: cipher 'chacha20-poly1305' for reencrypt is read but "
	 "not written by this build (no S/MIME peer here reads it): "
	 "expected auto or " OUT_CIPHERS},
	{"when cipher weak then reencrypt aes-128-ccm",
	 "t.rules:1:33: cipher 'aes-128-ccm' for reencrypt is read but not "
	 "written by this build (no S/MIME peer here reads it): "
	 "expected auto or " OUT_CIPHERS},
	{"when cipher weak then reencrypt aes256",
	 "t.rules:1:33: unknown cipher 'aes256' for reencrypt: "
	 "expected auto or " OUT_CIPHERS},
	{"when cipher weak then reencrypt weak",
	 "t.rules:1:33: unknown cipher 'weak' for reencrypt: "
	 "expected auto or " OUT_CIPHERS},
	{"when outbound then encrypt rc4",
	 "t.rules:1:28: unknown cipher 'rc4' for encrypt: expected auto "
	 "or " OUT_CIPHERS},
	{"when outbound then reencrypt",
	 "t.rules:1:29: expected a cipher name or 'auto' after 'reencrypt', "
	 "got the end "
	 "of the rule"},
	{"when inbound then reject \"4.7.1 later\"",
	 "t.rules:1:27: bad reject text '4.7.1 later': reject needs a 5.X.Y "
	 "status code (4.X.Y is for tempfail)"},
	{"when inbound then tempfail \"5.7.1 no\"",
	 "t.rules:1:29: bad tempfail text '5.7.1 no': tempfail needs a 4.X.Y "
	 "status code (5.X.Y is for reject)"},
	{"when inbound then reject \"go away\"",
	 "t.rules:1:27: bad reject text 'go away': expected the reply to "
	 "start with a status code 5.X.Y, as in \"5.7.1 text\""},
	{"when inbound then reject \"5.7 no\"",
	 "t.rules:1:27: bad reject text '5.7 no': expected a status code of "
	 "the form C.SSS.DDD followed by a blank and text"},
	{"when inbound then reject \"5.7.1 caf\xc3\xa9\"",
	 "t.rules:1:36: bad reject text '5.7.1 caf\\xc3\\xa9': expected "
	 "printable ASCII in the reply text"},
	{"when signature good then tag",
	 "t.rules:1:16: unknown signature result 'good': expected pass, fail, "
	 "policy, neutral, temperror, permerror or none"},
	{"when size < 10M then tag",
	 "t.rules:1:11: expected '>' after 'size' (there is no '<': write "
	 "'not size > N' for N bytes or less)"},
	{"when size > 10G then tag",
	 "t.rules:1:13: bad size '10G': expected a number of bytes with an "
	 "optional K or M suffix"},
	{"when size >1.5M then tag",
	 "t.rules:1:12: bad size '1.5M': expected a number of bytes with an "
	 "optional K or M suffix"},
	{"when size > 17592186044416M then tag",
	 "t.rules:1:13: size '17592186044416M' too large: expected at "
	 "most 2^64-1 bytes"},
	{"when size 10M then tag",
	 "t.rules:1:11: expected '>' after 'size', got '10M'"},
	{"when size > then tag",
	 "t.rules:1:13: expected a number of bytes after '>', got 'then' "
	 "(quote it to mean the word)"},
	{"when not not inbound then tag",
	 "t.rules:1:10: expected a condition after 'not', got 'not' (it "
	 "cannot be doubled)"},
	{"when not then tag",
	 "t.rules:1:10: expected a condition after 'not', got 'then'"},
	{"when header X-Mailer: * then tag",
	 "t.rules:1:21: bad header name 'X-Mailer:': expected the name "
	 "without ':'"},
	{"when header \"X Mailer\" * then tag",
	 "t.rules:1:13: bad header name 'X Mailer': expected printable ASCII "
	 "without blanks or ':'"},
	{"when header X-Mailer then tag",
	 "t.rules:1:22: expected a glob for the header value after "
	 "'X-Mailer', got 'then' (quote it to mean the word)"},
	{"when \"outbound\" then tag",
	 "t.rules:1:6: expected a condition, got the quoted word 'outbound' "
	 "(keywords are never quoted)"},
	{"when inbound then \"tag\"", "t.rules:1:19: expected an action, got "
				      "the quoted word 'tag': " ACTION_LIST},
	{"when inbound then explode",
	 "t.rules:1:19: unknown action 'explode': " ACTION_LIST},
	{"when inbound then tag reject",
	 "t.rules:1:23: expected ',' before 'reject': it is an action (quote "
	 "it to use it as the argument of 'tag')"},
	{"when inbound then tag a b",
	 "t.rules:1:25: expected ',' or the end of the rule after the "
	 "action, got 'b'"},
	{"when inbound then discard, accept",
	 "t.rules:1:28: 'accept' can never run: 'discard' before it ends "
	 "the evaluation"},
	{"when outbound then sign, sign bob",
	 "t.rules:1:26: a second 'sign' in one rule: only the first one "
	 "applies"},
	{"when outbound then sign ../etc/passwd",
	 "t.rules:1:25: bad key name '../etc/passwd': expected a key store "
	 "entry name (letters, digits, '.', '_', '-', '+', '@'; not starting "
	 "with '.')"},
	{"when inbound then tag \" x\"",
	 "t.rules:1:23: bad tag label ' x': expected 1 to 256 bytes of "
	 "printable ASCII, no blank at either end"},
	{"when inbound then quarantine \"\"",
	 "t.rules:1:30: bad quarantine reason '': expected 1 to 400 bytes "
	 "of printable ASCII"},
	{"when inbound then tag \"a",
	 "t.rules:1:23: unterminated quoted word: expected a closing '\"' "
	 "on this line"},
	{"when inbound then tag \"a\\qb\"",
	 "t.rules:1:25: unknown escape in a quoted word: expected \\\" or "
	 "\\\\"},
	{"when inbound then tag a\"b\"",
	 "t.rules:1:24: unexpected '\"' inside a word: put the whole word in "
	 "quotes"},
	{"when inbound then tag \"a\"b",
	 "t.rules:1:26: expected a blank or ',' after the closing '\"'"},
	{"when inbound then tag a\001",
	 "t.rules:1:24: unexpected control character 0x01: expected "
	 "printable text"},
	{"when foo and cipher bar then explode",
	 "t.rules:1:6: unknown condition 'foo': " COND_LIST "\n"
	 "t.rules:1:21: unknown cipher 'bar': expected " CIPHER_LIST "\n"
	 "t.rules:1:30: unknown action 'explode': " ACTION_LIST},
	{"when outbound \\\n  and frm x then tag",
	 "t.rules:2:7: unknown condition 'frm': " COND_LIST},
	{"# comment\n\nwhen inbound then tag \\\n  a \\\n  b",
	 "t.rules:5:3: expected ',' or the end of the rule after the action, "
	 "got 'b'"},
	{"when outbound \\\n# a comment ends the rule\nthen sign",
	 "t.rules:1:14: expected 'and' or 'then' after the condition, got "
	 "the end of the rule\n"
	 "t.rules:3:1: expected 'when' at the start of a rule, got 'then'"},
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		rules_set *rs;
		char *diag;
		int ret = load(valid[i], strlen(valid[i]), RULES_CAP_ALL, &rs,
			       &diag);
		if (!ok(ret == 0 && rules_set_count(rs) == 1 && diag != NULL &&
				diag[0] == '\0',
			"valid rule %zu loads as one rule: %s", i,
			one_line(valid[i])))
			printf("#   ret %d, diagnostics: %s\n", ret,
			       diag ? diag : "(null)");
		free(diag);
		rules_set_free(rs);
	}
}

static void test_malformed(void)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		const struct bad *b = &malformed[i];
		rules_set *rs;
		char *diag;
		int ret = load(b->rule, strlen(b->rule), RULES_CAP_ALL, &rs,
			       &diag);
		ok(ret == RULES_E_PARSE && rs == NULL,
		   "malformed rule %zu is refused: %s", i, one_line(b->rule));
		is_str(diag, b->want, "malformed rule %zu names the error", i);
		free(diag);
	}
}

/* Loads "when outbound then ACTIONS" and evaluates it for an outbound
 * message; returns the set (the result points into it). */
static rules_set *actions_of(const char *acts, rules_result *r)
{
	char text[512];
	rules_facts f = {.direction = RULES_OUTBOUND};
	rules_set *rs = NULL;
	char *diag;

	snprintf(text, sizeof(text), "when outbound then %s", acts);
	if (load(text, strlen(text), RULES_CAP_ALL, &rs, &diag) == 0)
		rules_eval(rs, &f, r);
	free(diag);
	return rs;
}

static void test_action_args(void)
{
	rules_result r = RULES_RESULT_INIT;
	rules_set *rs;

	rs = actions_of("sign", &r);
	ok(r.n == 1 && r.sign == r.v[0] && r.sign->arg == NULL,
	   "bare sign has no key name (the From address picks the key)");
	rules_set_free(rs);
	rs = actions_of("sign alice.example", &r);
	is_str(r.n == 1 ? r.v[0]->arg : NULL, "alice.example",
	       "sign KEYNAME keeps the key name");
	rules_set_free(rs);
	rs = actions_of("reencrypt AES-256-CBC", &r);
	is_str(r.reencrypt ? r.reencrypt->arg : NULL, "aes-256-cbc",
	       "reencrypt stores the cipher name in lower case");
	rules_set_free(rs);
	rs = actions_of("encrypt Auto", &r);
	is_str(r.encrypt ? r.encrypt->arg : NULL, "auto",
	       "encrypt auto is kept as auto");
	rules_set_free(rs);
	rs = actions_of("tag", &r);
	is_str(r.n == 1 ? r.v[0]->arg : NULL, "smime-policy",
	       "bare tag means the label smime-policy");
	rules_set_free(rs);
	rs = actions_of("tag \"quote \\\" and backslash \\\\\"", &r);
	is_str(r.n == 1 ? r.v[0]->arg : NULL, "quote \" and backslash \\",
	       "quoted label resolves \\\" and \\\\");
	rules_set_free(rs);
	rs = actions_of("reject", &r);
	ok(r.verdict != NULL && r.verdict->kind == RULES_ACT_REJECT &&
		   strcmp(r.verdict->status, "5.7.1") == 0 &&
		   strcmp(r.verdict->text, "Rejected by S/MIME policy") == 0,
	   "bare reject is 5.7.1 with the default text");
	rules_set_free(rs);
	rs = actions_of("reject \"5.7.26 Unauthenticated   mail\"", &r);
	ok(r.verdict != NULL && strcmp(r.verdict->status, "5.7.26") == 0 &&
		   strcmp(r.verdict->text, "Unauthenticated   mail") == 0,
	   "reject text splits into status 5.7.26 and its text");
	rules_set_free(rs);
	rs = actions_of("reject \"5.7.1\"", &r);
	ok(r.verdict != NULL && strcmp(r.verdict->status, "5.7.1") == 0 &&
		   strcmp(r.verdict->text, "") == 0,
	   "reject with only a status code has an empty text");
	rules_set_free(rs);
	rs = actions_of("tempfail", &r);
	ok(r.verdict != NULL && r.verdict->kind == RULES_ACT_TEMPFAIL &&
		   strcmp(r.verdict->status, "4.7.1") == 0 &&
		   strcmp(r.verdict->text, "Deferred by S/MIME policy") == 0,
	   "bare tempfail is 4.7.1 with the default text");
	rules_set_free(rs);
	rs = actions_of("quarantine", &r);
	ok(r.verdict != NULL && r.verdict->kind == RULES_ACT_QUARANTINE &&
		   strcmp(r.verdict->text, "S/MIME policy") == 0,
	   "bare quarantine has the default reason");
	rules_set_free(rs);
	rs = actions_of("quarantine \"weak, old crypto\"", &r);
	is_str(r.verdict ? r.verdict->text : NULL, "weak, old crypto",
	       "quarantine keeps its reason, comma included");
	rules_set_free(rs);
	rs = actions_of("discard", &r);
	ok(r.verdict != NULL && r.verdict->kind == RULES_ACT_DISCARD &&
		   r.verdict->arg == NULL,
	   "discard takes no argument");
	rules_set_free(rs);
	rules_result_free(&r);
}

static void test_cipher_names(void)
{
	/* SPEC section 6, in its order. */
	static const char *const spec[] = {
		"rc2-40-cbc",   "rc2-64-cbc",  "rc2-128-cbc", "des-cbc",
		"des-ede3-cbc", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc",
		"aes-128-gcm",  "aes-192-gcm", "aes-256-gcm"};
	char text[128];
	size_t good = 0;

	for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		rules_set *rs;
		char *diag;
		snprintf(text, sizeof(text),
			 "when cipher %s then reencrypt %s, tag", spec[i],
			 spec[i]);
		if (load(text, strlen(text), RULES_CAP_ALL, &rs, &diag) == 0)
			good++;
		free(diag);
		rules_set_free(rs);
	}
	is_long((long)good, 11,
		"every SPEC section 6 cipher name is a cipher and a "
		"reencrypt target");
}

static void test_capabilities(void)
{
	const char *text = "when outbound then sign\n"
			   "when cipher weak then reencrypt aes-256-cbc\n"
			   "when outbound then encrypt auto\n"
			   "when inbound then tag, reject\n";
	rules_set *rs;
	char *diag;
	int ret;

	ret = load(text, strlen(text), RULES_CAP_BASIC, &rs, &diag);
	is_long(ret, RULES_E_PARSE,
		"actions outside the capabilities fail "
		"the load");
	is_str(diag,
	       "t.rules:1:20: action 'sign' is not available in this build: "
	       "the rule would silently do nothing\n"
	       "t.rules:2:23: action 'reencrypt' is not available in this "
	       "build: the rule would silently do nothing\n"
	       "t.rules:3:20: action 'encrypt' is not available in this build: "
	       "the rule would silently do nothing",
	       "each missing capability is named at its action");
	free(diag);
	ret = load(text, strlen(text),
		   RULES_CAP_BASIC | RULES_CAP_SIGN | RULES_CAP_REENCRYPT |
			   RULES_CAP_ENCRYPT,
		   &rs, &diag);
	ok(ret == 0 && rules_set_count(rs) == 4,
	   "the same rules load when the capabilities are there");
	is_long((long)rules_set_actions(rs),
		(long)(RULES_CAP_SIGN | RULES_CAP_REENCRYPT |
		       RULES_CAP_ENCRYPT | RULES_CAP(RULES_ACT_TAG) |
		       RULES_CAP(RULES_ACT_REJECT)),
		"rules_set_actions lists the actions in use");
	free(diag);
	rules_set_free(rs);
}

static void test_many_errors(void)
{
	const char *text = "when inbound then tag ok\n"
			   "when foo then tag\n"
			   "# fine\n"
			   "when inbound then tag ok2\n"
			   "when size > x then tag\n"
			   "when inbound then explode\n";
	char *big, *diag;
	rules_diag d = RULES_DIAG_INIT;
	rules_set *rs;
	size_t n = 0;
	int ret;

	ret = load(text, strlen(text), RULES_CAP_ALL, &rs, &diag);
	ok(ret == RULES_E_PARSE && rs == NULL,
	   "a file with some bad rules yields no set at all");
	is_str(diag,
	       "t.rules:2:6: unknown condition 'foo': " COND_LIST "\n"
	       "t.rules:5:13: bad size 'x': expected a number of bytes with "
	       "an optional K or M suffix\n"
	       "t.rules:6:19: unknown action 'explode': " ACTION_LIST,
	       "errors of every line are collected, not just the first");
	free(diag);

	big = malloc(200 * 10 + 1);
	big[0] = '\0';
	for (int i = 0; i < 200; i++)
		strcat(big, "when foo\n");
	ret = rules_load_buffer("t.rules", big, strlen(big), RULES_CAP_ALL, &rs,
				&d);
	is_long(ret, RULES_E_PARSE, "200 bad lines fail the load");
	is_long((long)d.n, RULES_MAX_ERRORS + 1,
		"errors stop at RULES_MAX_ERRORS plus one last note");
	if (d.n > 0)
		is_str(d.v[d.n - 1].text,
		       "t.rules:101:6: too many errors (100), giving up",
		       "the last note says the loader gave up, and where");
	ok(d.n > 0 && d.v[0].line == 1 && d.v[0].column == 6 &&
		   strcmp(d.v[0].file, "t.rules") == 0 &&
		   strncmp(d.v[0].message, "unknown condition 'foo'", 23) == 0,
	   "diagnostic entries carry file, line, column and message apart");
	rules_diag_free(&d);
	free(big);
	(void)n;
}

static void test_files(void)
{
	char path[] = "/tmp/test_rules_parseXXXXXX";
	const char *text = "# policy\nwhen inbound and signature fail "
			   "then reject\n";
	rules_diag d = RULES_DIAG_INIT;
	rules_set *rs = NULL;
	int fd, ret;

	ret = rules_load("/nonexistent/dir/policy.rules", RULES_CAP_ALL, &rs,
			 &d);
	is_long(ret, RULES_E_IO, "a missing file is an I/O error");
	is_str(d.n == 1 ? d.v[0].text : NULL,
	       "/nonexistent/dir/policy.rules: cannot open: No such file or "
	       "directory",
	       "a missing file is named with the reason");
	rules_diag_free(&d);

	fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
	ret = rules_load(path, RULES_CAP_ALL, &rs, &d);
	ok(ret == 0 && rules_set_count(rs) == 1 && d.n == 0,
	   "a rules file on disk loads");
	rules_set_free(rs);
	unlink(path);

	ret = rules_load("/tmp", RULES_CAP_ALL, &rs, &d);
	ok(ret == RULES_E_IO && d.n == 1 &&
		   strcmp(d.v[0].text, "/tmp: cannot read: Is a directory") ==
			   0,
	   "a directory is refused as unreadable");
	rules_diag_free(&d);

	ret = rules_load_buffer("empty", "", 0, RULES_CAP_ALL, &rs, NULL);
	ok(ret == 0 && rs != NULL && rules_set_count(rs) == 0,
	   "an empty file is a valid set of no rules");
	rules_set_free(rs);
	ret = rules_load_buffer("c", "# only\n\n   # comments\n", 22,
				RULES_CAP_ALL, &rs, NULL);
	ok(ret == 0 && rules_set_count(rs) == 0,
	   "comments and blank lines are no rules");
	rules_set_free(rs);
	ret = rules_load_buffer("nul", "when inbound\0 then tag", 22,
				RULES_CAP_ALL, &rs, NULL);
	is_long(ret, RULES_E_PARSE, "a NUL byte in the file is an error");
	is_long(rules_load_buffer(NULL, "", 0, 0, &rs, NULL), RULES_E_ARG,
		"a missing name is a caller error");
}

/* Random and mutated input: any bytes give a defined result. */
static void test_garbage(void)
{
	static const char seed[] =
		"when outbound and from \"*@[a-z]*\" and not size > 10M \\\n"
		" then reencrypt aes-256-cbc, tag \"x,y\", reject \"5.7.1 "
		"no\"\n";
	static const char alphabet[] = "when then and not,\"\\#\n\r\t *?[]!-";
	unsigned seedv = 12345;
	size_t survived = 0;
	char buf[sizeof(seed)];

	for (int round = 0; round < 3000; round++) {
		rules_diag d = RULES_DIAG_INIT;
		rules_set *rs = NULL;
		size_t len = sizeof(seed) - 1;
		int ret;

		memcpy(buf, seed, sizeof(seed));
		for (int k = 0; k < 1 + round % 6; k++) {
			seedv = seedv * 1103515245u + 12345u;
			size_t at = (seedv >> 8) % len;
			seedv = seedv * 1103515245u + 12345u;
			buf[at] = (round & 1)
					  ? (char)(seedv >> 16)
					  : alphabet[(seedv >> 16) %
						     (sizeof(alphabet) - 1)];
		}
		if (round % 7 == 0)
			len = (seedv >> 4) % len;
		ret = rules_load_buffer("g", buf, len, RULES_CAP_ALL, &rs, &d);
		if ((ret == 0 && rs != NULL && d.n == 0) ||
		    (ret == RULES_E_PARSE && rs == NULL && d.n > 0))
			survived++;
		rules_diag_free(&d);
		rules_set_free(rs);
	}
	is_long((long)survived, 3000,
		"3000 mutated files each load or fail with diagnostics");
}

int main(void)
{
	test_valid();
	test_malformed();
	test_action_args();
	test_cipher_names();
	test_capabilities();
	test_many_errors();
	test_files();
	test_garbage();
	return tap_done();
}
