/*
 * fuzz_rules.c - fuzz harness for the rules language (rules/): the input
 * is a rules file given to rules_load_buffer() with every capability;
 * a set that loads is evaluated against two fixed facts structs (a busy
 * inbound message that is signed, encrypted with a weak cipher and has
 * headers; an outbound message where every optional fact is absent).
 * The file is loaded a second time with only the basic capabilities, so
 * the refusal of transform actions is fuzzed too.
 *
 * Checks: the documented return codes, a set exactly when 0 is returned,
 * every diagnostic and action string readable, and the rules.h promises
 * on a result (at most one terminal action, last and equal to verdict;
 * at most one sign/reencrypt/encrypt, the ones recorded).
 */
#include "fuzz.h"
#include "rules.h"

static const char *const from_v[] = {"alice@example.org", "x@[192.0.2.1]"};
static const char *const rcpt_v[] = {"bob@mobile.example.org",
				     "carol@example.org", ""};
static const rules_header_fact hdr_v[] = {
	{"From", "Alice <alice@example.org>"},
	{"X-Mailer", "Microsoft Windows Mobile 5.0"},
	{"Subject", "quarterly \"report\", draft"},
	{"Received", ""},
};
static const char *const sig_v[] = {"fail", "pass", "policy"};
static const rules_entity_fact enc_v[] = {
	{"rc2-40-cbc", "weak"},
	{NULL, "strong"},
	{"des-ede3-cbc", "legacy"},
};

static rules_facts inbound_facts(void)
{
	rules_facts f = {0};

	f.direction = RULES_INBOUND;
	f.client_ip = "2001:db8::25";
	f.from = from_v;
	f.nfrom = 2;
	f.sender = "alice@example.org";
	f.rcpts = rcpt_v;
	f.nrcpts = 3;
	f.headers = hdr_v;
	f.nheaders = sizeof(hdr_v) / sizeof(hdr_v[0]);
	f.is_signed = true;
	f.signature_results = sig_v;
	f.nsignature_results = 3;
	f.encrypted = enc_v;
	f.nencrypted = 3;
	f.size = 1536 * 1024;
	return f;
}

/* Outbound, authenticated, and nothing else known. */
static rules_facts bare_facts(void)
{
	rules_facts f = {0};

	f.direction = RULES_OUTBOUND;
	f.authenticated = true;
	return f;
}

/* rules.h: action strings are NUL-free printable ASCII (they end up in
 * headers and SMTP replies). */
static void check_printable(const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		fuzz_check(*s >= 0x20 && *s <= 0x7e);
}

static void check_action(const rules_action *a)
{
	fuzz_check(a != NULL);
	fuzz_check((unsigned)a->kind < RULES_ACT_COUNT);
	check_printable(a->arg);
	check_printable(a->status);
	check_printable(a->text);
	fuzz_touch_str(a->file);
	fuzz_touch_str(rules_action_name(a->kind));
	switch (a->kind) {
	case RULES_ACT_REENCRYPT:
	case RULES_ACT_ENCRYPT:
	case RULES_ACT_TAG:
		fuzz_check(a->arg != NULL);
		break;
	case RULES_ACT_REJECT:
		fuzz_check(a->status != NULL && a->status[0] == '5');
		fuzz_check(a->text != NULL);
		break;
	case RULES_ACT_TEMPFAIL:
		fuzz_check(a->status != NULL && a->status[0] == '4');
		fuzz_check(a->text != NULL);
		break;
	case RULES_ACT_QUARANTINE:
		fuzz_check(a->text != NULL && a->text[0] != '\0');
		break;
	default:
		break;
	}
}

static void check_result(const rules_result *r)
{
	size_t nterminal = 0, nsign = 0, nre = 0, nenc = 0;

	for (size_t i = 0; i < r->n; i++) {
		const rules_action *a = r->v[i];

		check_action(a);
		if (rules_action_is_terminal(a->kind)) {
			nterminal++;
			fuzz_check(i == r->n - 1 && a == r->verdict);
		}
		/* One tag per distinct label. */
		for (size_t j = 0; a->kind == RULES_ACT_TAG && j < i; j++)
			fuzz_check(r->v[j]->kind != RULES_ACT_TAG ||
				   strcmp(r->v[j]->arg, a->arg) != 0);
		nsign += a->kind == RULES_ACT_SIGN;
		nre += a->kind == RULES_ACT_REENCRYPT;
		nenc += a->kind == RULES_ACT_ENCRYPT;
	}
	fuzz_check(nterminal <= 1);
	fuzz_check((nterminal == 1) == (r->verdict != NULL));
	fuzz_check(nsign <= 1 && (nsign == 1) == (r->sign != NULL));
	fuzz_check(nre <= 1 && (nre == 1) == (r->reencrypt != NULL));
	fuzz_check(nenc <= 1 && (nenc == 1) == (r->encrypt != NULL));
}

static void load_and_eval(const uint8_t *data, size_t size, unsigned caps)
{
	rules_diag diags = RULES_DIAG_INIT;
	rules_result res = RULES_RESULT_INIT;
	rules_facts in = inbound_facts(), bare = bare_facts();
	rules_set *rs = NULL;
	int rc;

	rc = rules_load_buffer("fuzz.rules", (const char *)data, size, caps,
			       &rs, &diags);
	fuzz_check(rc == 0 || rc == RULES_E_PARSE || rc == RULES_E_LIMIT ||
		   rc == RULES_E_NOMEM);
	fuzz_check((rc == 0) == (rs != NULL));
	if (rc == RULES_E_PARSE)
		fuzz_check(diags.n > 0);
	for (size_t i = 0; i < diags.n; i++) {
		fuzz_touch_str(diags.v[i].file);
		fuzz_touch_str(diags.v[i].message);
		fuzz_check(diags.v[i].text != NULL);
		fuzz_touch_str(diags.v[i].text);
	}
	if (rs != NULL) {
		fuzz_check((rules_set_actions(rs) & ~caps) == 0);
		(void)rules_set_count(rs);
		rc = rules_eval(rs, &in, &res);
		fuzz_check(rc == 0 || rc == RULES_E_NOMEM);
		if (rc == 0)
			check_result(&res);
		/* The same result reused, as rules.h allows. */
		rc = rules_eval(rs, &bare, &res);
		fuzz_check(rc == 0 || rc == RULES_E_NOMEM);
		if (rc == 0)
			check_result(&res);
	}
	rules_result_free(&res);
	rules_set_free(rs);
	rules_diag_free(&diags);
}

int fuzz_rules(const uint8_t *data, size_t size)
{
	load_and_eval(data, size, RULES_CAP_ALL);
	load_and_eval(data, size, RULES_CAP_BASIC);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_rules)
