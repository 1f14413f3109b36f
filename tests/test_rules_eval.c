/*
 * test_rules_eval.c - evaluation of rules over facts (rules/eval.c): every
 * condition both true and false, 'not', the precedence of actions
 * (terminal actions stop, the first transform of a kind wins, tags add up
 * once per label), the file:line each action reports, and the SPEC
 * section 5 example evaluated as its comments say.
 */
#include "rules.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const from_alice[] = {"alice@example.org"};
static const char *const rcpts2[] = {"bob@example.org", "carol@example.org"};
static const rules_header_fact hdrs[] = {
	{"Subject", "quarterly report"},
	{"X-Mailer", "Microsoft Windows Mobile 5.0"},
	{"Received", "from a by b"},
	{"Received", "from c by d"},
};

/* An inbound, unauthenticated, unsigned, unencrypted message. */
static rules_facts base(void)
{
	rules_facts f = {0};

	f.direction = RULES_INBOUND;
	f.client_ip = "192.0.2.1";
	f.from = from_alice;
	f.nfrom = 1;
	f.sender = "alice@example.org";
	f.rcpts = rcpts2;
	f.nrcpts = 2;
	f.headers = hdrs;
	f.nheaders = sizeof(hdrs) / sizeof(hdrs[0]);
	f.size = 1000;
	return f;
}

static rules_set *load_or_null(const char *text)
{
	rules_diag d = RULES_DIAG_INIT;
	rules_set *rs = NULL;

	if (rules_load_buffer("t.rules", text, strlen(text), RULES_CAP_ALL, &rs,
			      &d) < 0)
		for (size_t i = 0; i < d.n; i++)
			printf("# %s\n", d.v[i].text);
	rules_diag_free(&d);
	return rs;
}

/* 1 when "when COND then tag hit" fires for f, 0 when not, -1 when the
 * rule does not load or evaluate. */
static int fires(const char *cond, const rules_facts *f)
{
	rules_result r = RULES_RESULT_INIT;
	char text[512];
	rules_set *rs;
	int ret = -1;

	snprintf(text, sizeof(text), "when %s then tag hit", cond);
	rs = load_or_null(text);
	if (rs != NULL && rules_eval(rs, f, &r) == 0)
		ret = r.n == 1 && strcmp(r.v[0]->arg, "hit") == 0;
	rules_result_free(&r);
	rules_set_free(rs);
	return ret;
}

/* cond holds for yes and not for no; "not cond" the other way round. */
static void truth(const char *cond, const rules_facts *yes,
		  const rules_facts *no, const char *why)
{
	char neg[300];

	snprintf(neg, sizeof(neg), "not %s", cond);
	ok(fires(cond, yes) == 1 && fires(cond, no) == 0 &&
		   fires(neg, yes) == 0 && fires(neg, no) == 1,
	   "%s: '%s' true, then false; 'not' inverts both", why, cond);
}

static void test_direction_and_client(void)
{
	rules_facts in = base(), out = base(), auth = base(), v6 = base(),
		    mapped = base(), other = base(), none = base();

	out.direction = RULES_OUTBOUND;
	auth.authenticated = true;
	truth("outbound", &out, &in, "direction");
	truth("inbound", &in, &out, "direction");
	truth("authenticated", &auth, &in, "{auth_authen}");

	other.client_ip = "198.51.100.7";
	mapped.client_ip = "::ffff:192.0.2.77";
	none.client_ip = NULL;
	v6.client_ip = "2001:db8::25";
	truth("client-ip 192.0.2.0/24", &in, &other, "IPv4 CIDR");
	truth("client-ip 192.0.2.0/24", &mapped, &none,
	      "IPv4-mapped client, and an unknown client");
	truth("client-ip 2001:db8::/32", &v6, &in, "IPv6 CIDR");
	truth("client-ip 192.0.2.1", &in, &mapped, "single IPv4 host");
}

static void test_addresses(void)
{
	static const char *const two_from[] = {"eve@evil.example",
					       "Alice@EXAMPLE.org"};
	static const char *const mixed[] = {"bob@example.org",
					    "dave@other.example"};
	static const char *const one[] = {"bob@Example.ORG"};
	rules_facts f = base(), g = base(), nofrom = base(), bounce = base(),
		    nosender = base(), mix = base(), single = base(),
		    norcpt = base();

	g.from = two_from;
	g.nfrom = 2;
	g.sender = "eve@evil.example";
	nofrom.from = NULL;
	nofrom.nfrom = 0;
	truth("from alice@example.org", &f, &nofrom, "From, no From header");
	truth("from *@evil.example", &g, &f,
	      "From with two mailboxes, any of them");
	truth("from ALICE@*.ORG", &g, &nofrom, "From case-insensitive");
	ok(fires("from *", &nofrom) == 0 && fires("not from *", &nofrom) == 1,
	   "a message without From matches no 'from', even '*'");

	bounce.sender = "";
	nosender.sender = NULL;
	truth("sender *@example.org", &f, &g, "envelope sender");
	truth("sender \"\"", &bounce, &f, "the null sender <>");
	ok(fires("sender *", &nosender) == 0,
	   "an unknown sender matches nothing");

	mix.rcpts = mixed;
	single.rcpts = one;
	single.nrcpts = 1;
	norcpt.rcpts = NULL;
	norcpt.nrcpts = 0;
	truth("to dave@*", &mix, &f, "any recipient");
	truth("to *@example.org", &mix, &norcpt, "any recipient, none at all");
	truth("all-to *@example.org", &f, &mix, "every recipient");
	truth("all-to *@example.org", &single, &norcpt,
	      "every recipient (case-insensitive), none at all");
	ok(fires("all-to *", &norcpt) == 0,
	   "all-to is false without recipients (documented choice)");
}

static void test_headers(void)
{
	static const rules_header_fact lower[] = {
		{"x-mailer", "Microsoft Windows Mobile 5.0"}};
	rules_facts f = base(), none = base(), lc = base();

	none.headers = NULL;
	none.nheaders = 0;
	lc.headers = lower;
	lc.nheaders = 1;
	truth("header X-Mailer \"*Windows Mobile*\"", &f, &none,
	      "header glob on the value");
	truth("header X-MAILER \"*windows mobile*\"", &lc, &none,
	      "header name and value case-insensitive");
	truth("header Received \"from c *\"", &f, &lc,
	      "any instance of a repeated header");
	ok(fires("header Subject report", &f) == 0,
	   "a header glob must match the whole value");
	ok(fires("header X-Missing *", &f) == 0,
	   "an absent header matches nothing, even '*'");
}

static void test_crypto_facts(void)
{
	static const char *const pass_policy[] = {"policy", "pass"};
	static const char *const fail[] = {"FAIL"};
	static const rules_entity_fact rc2[] = {{"rc2-40-cbc", "weak"}};
	static const rules_entity_fact two[] = {{"aes-256-cbc", "strong"},
						{"des-ede3-cbc", "legacy"}};
	static const rules_entity_fact odd[] = {{"rc2-cbc", "weak"},
						{NULL, "unknown"}};
	rules_facts plain = base(), sig = base(), bad = base(), nores = base(),
		    weak = base(), mixed = base(), oddf = base();

	sig.is_signed = true;
	sig.signature_results = pass_policy;
	sig.nsignature_results = 2;
	bad.is_signed = true;
	bad.signature_results = fail;
	bad.nsignature_results = 1;
	nores.is_signed = true;
	truth("signed", &sig, &plain, "signed");
	truth("signed", &nores, &plain, "signed without a reachable result");
	truth("signature pass", &sig, &bad, "any result pass");
	truth("signature policy", &sig, &plain, "second result policy");
	truth("signature fail", &bad, &sig, "result fail, case-insensitive");
	truth("signature none", &plain, &sig, "no signature");
	truth("signature none", &nores, &bad,
	      "a signature none could be reached");
	ok(fires("signature neutral", &sig) == 0 &&
		   fires("signature temperror", &sig) == 0 &&
		   fires("signature permerror", &sig) == 0,
	   "results not in the list do not match");

	weak.encrypted = rc2;
	weak.nencrypted = 1;
	mixed.encrypted = two;
	mixed.nencrypted = 2;
	oddf.encrypted = odd;
	oddf.nencrypted = 2;
	truth("encrypted", &weak, &plain, "encrypted");
	truth("cipher weak", &weak, &mixed, "strength weak");
	truth("cipher legacy", &mixed, &weak, "strength legacy, any entity");
	truth("cipher strong", &mixed, &weak, "strength strong");
	truth("cipher rc2-40-cbc", &weak, &mixed, "cipher name");
	truth("cipher DES-EDE3-CBC", &mixed, &plain, "cipher name any case");
	truth("cipher rc2-cbc", &oddf, &weak, "rc2 of an odd key size");
	ok(fires("cipher aes-128-cbc", &oddf) == 0,
	   "an entity with an unknown cipher matches no cipher name");
	truth("cipher unknown", &oddf, &mixed,
	      "cipher unknown: an entity whose cipher this build cannot name");
	ok(fires("cipher strong", &oddf) == 0,
	   "an unknown cipher is never counted strong");
}

/* base() with these From mailboxes and passing signers. */
static rules_facts signed_by(const char *const *from, size_t nfrom,
			     const char *const *signers, size_t nsigners)
{
	rules_facts f = base();

	f.from = from;
	f.nfrom = nfrom;
	f.signers = signers;
	f.nsigners = nsigners;
	return f;
}

/* signer GLOB: the identifiers of passing signatures (SPEC section 5). */
static void test_signer(void)
{
	static const char *const mallory_boss[] = {"mallory@example.org",
						   "boss@example.org"};
	static const char *const by_boss[] = {"Boss@Example.ORG"};
	const char *boss_rule =
		"from boss@example.org and not signer boss@example.org";
	rules_facts forged = signed_by(mallory_boss, 2, mallory_boss, 1),
		    good = signed_by(mallory_boss + 1, 1, by_boss, 1),
		    both = signed_by(from_alice, 1, mallory_boss, 2),
		    unsigned_ = signed_by(mallory_boss + 1, 1, NULL, 0);

	truth("signer boss@example.org", &good, &forged,
	      "a passing signature by the address, not by another");
	truth("signer *@example.org", &forged, &unsigned_,
	      "no passing signature matches no signer");
	truth("signer boss@example.org", &both, &unsigned_,
	      "any of several passing signers");
	ok(fires(boss_rule, &forged) == 1 &&
		   fires(boss_rule, &unsigned_) == 1 &&
		   fires(boss_rule, &good) == 0,
	   "'mail from the boss must be signed by the boss': mallory's "
	   "co-authored and the unsigned message match, the boss's does not");
}

static void test_size(void)
{
	rules_facts big = base(), edge = base(), huge = base();

	big.size = 1025;
	edge.size = 1024;
	huge.size = 10u * 1024 * 1024 + 1;
	truth("size > 1K", &big, &edge, "size is strictly greater");
	truth("size >1024", &big, &edge, "size without a blank");
	truth("size > 10M", &huge, &big, "M is 1024*1024");
	truth("size > 0", &edge, &(rules_facts){.size = 0}, "size > 0");
}

static void test_conjunction(void)
{
	rules_facts f = base(), o = base();

	o.direction = RULES_OUTBOUND;
	ok(fires("inbound and from *@example.org and size > 999", &f) == 1,
	   "'and' of true conditions holds");
	ok(fires("inbound and from *@example.org and size > 1000", &f) == 0,
	   "one false condition makes the rule fail");
	ok(fires("not outbound and not signed and not encrypted", &f) == 1,
	   "'not' applies to each condition alone");
	ok(fires("not outbound and not signed", &o) == 0,
	   "'not' of a true condition is false");
}

static const char *kinds(const rules_result *r)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		const rules_action *a = r->v[i];
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "%s%s%s%s@%u",
			 i ? " " : "", rules_action_name(a->kind),
			 a->arg ? "=" : "", a->arg ? a->arg : "", a->line);
	}
	return buf;
}

static void eval_text(const char *text, const rules_facts *f, const char *want,
		      const char *why)
{
	rules_result r = RULES_RESULT_INIT;
	rules_set *rs = load_or_null(text);

	if (rs == NULL || rules_eval(rs, f, &r) < 0)
		ok(0, "%s (did not load or evaluate)", why);
	else
		is_str(kinds(&r), want, "%s", why);
	rules_result_free(&r);
	rules_set_free(rs);
}

static void test_precedence(void)
{
	rules_facts f = base();
	rules_result r = RULES_RESULT_INIT;
	rules_set *rs;

	eval_text("when inbound then tag a\n"
		  "when inbound then reject\n"
		  "when inbound then tag b\n",
		  &f, "tag=a@1 reject@2",
		  "reject ends the evaluation: later rules do not apply");
	eval_text("when inbound then accept\nwhen inbound then reject\n", &f,
		  "accept@1", "accept ends the evaluation before a reject");
	eval_text("when outbound then discard\n"
		  "when inbound then tag early, tempfail\n"
		  "when inbound then tag late\n",
		  &f, "tag=early@2 tempfail@2",
		  "a rule that does not match ends nothing; actions before "
		  "the terminal one in its rule apply");
	eval_text("when inbound then quarantine\nwhen inbound then discard\n",
		  &f, "quarantine@1", "quarantine ends the evaluation");
	eval_text("when inbound then discard\nwhen inbound then accept\n", &f,
		  "discard@1", "discard ends the evaluation");
	eval_text("when inbound then reencrypt des-ede3-cbc\n"
		  "when inbound then reencrypt aes-256-cbc, sign, tag\n"
		  "when inbound then sign other, encrypt auto\n"
		  "when inbound then encrypt aes-128-gcm\n",
		  &f,
		  "reencrypt=des-ede3-cbc@1 sign@2 tag=smime-policy@2 "
		  "encrypt=auto@3",
		  "the first transform of each kind wins");
	eval_text("when inbound then tag x, tag\n"
		  "when inbound then tag x, tag smime-policy, tag X\n",
		  &f, "tag=x@1 tag=smime-policy@1 tag=X@2",
		  "tags add up once per distinct label (byte for byte)");
	eval_text("when outbound then tag no\n", &f, "",
		  "no matching rule: no action");
	eval_text("# one\n\nwhen inbound \\\n and signed then tag a\n"
		  "when inbound \\\n\\\n then tag b\n",
		  &(rules_facts){.direction = RULES_INBOUND, .is_signed = true},
		  "tag=a@3 tag=b@5",
		  "each action names the line where its rule starts");

	rs = load_or_null("when inbound then reencrypt aes-256-cbc, tag t\n"
			  "when inbound then sign\n"
			  "when inbound then reject \"5.7.1 no\"\n");
	rules_eval(rs, &f, &r);
	ok(r.n == 4 && r.reencrypt == r.v[0] && r.sign == r.v[2] &&
		   r.verdict == r.v[3] && r.encrypt == NULL && r.matched == 3,
	   "the result points at each transform, the verdict and counts "
	   "the matching rules");
	ok(r.verdict != NULL && strcmp(r.verdict->file, "t.rules") == 0 &&
		   r.verdict->line == 3,
	   "the verdict names its file and line for the log");
	f.direction = RULES_OUTBOUND;
	rules_eval(rs, &f, &r);
	ok(r.n == 0 && r.verdict == NULL && r.reencrypt == NULL &&
		   r.matched == 0,
	   "a result reused for another message starts empty");
	rules_result_free(&r);
	rules_set_free(rs);

	is_long(rules_eval(NULL, &f, &r), 0, "no rules file: evaluation works");
	ok(r.n == 0 && r.verdict == NULL, "no rules file: no actions");
	is_long(rules_eval(NULL, NULL, &r), RULES_E_ARG,
		"no facts: caller "
		"error");
	rules_result_free(&r);
}

static const char spec_example[] =
	"# sign everything our users send\n"
	"when outbound and from *@example.org then sign\n"
	"# Windows Mobile 5 sends RC2-40; Windows Mobile 6 reads 3DES but not "
	"AES\n"
	"when cipher weak and to *@mobile.example.org then reencrypt "
	"des-ede3-cbc, tag legacy-mobile\n"
	"when cipher weak then reencrypt aes-256-cbc, tag\n"
	"when header X-Mailer \"*Windows Mobile*\" then tag legacy-mobile\n"
	"when inbound and signature fail then reject \"5.7.1 S/MIME signature "
	"did not verify\"\n";

static void spec_case(const rules_set *rs, const rules_facts *f,
		      const char *want, const char *why)
{
	rules_result r = RULES_RESULT_INIT;

	if (rules_eval(rs, f, &r) < 0)
		ok(0, "%s (evaluation failed)", why);
	else
		is_str(kinds(&r), want, "SPEC example: %s", why);
	rules_result_free(&r);
}

static void test_spec_example(void)
{
	static const rules_entity_fact rc2[] = {{"rc2-40-cbc", "weak"}};
	static const rules_entity_fact aes[] = {{"aes-256-cbc", "strong"}};
	static const char *const mobile[] = {"carol@mobile.example.org"};
	static const char *const mobile_and_desk[] = {
		"carol@mobile.example.org", "dave@example.org"};
	static const char *const fail[] = {"fail"};
	static const rules_header_fact wm[] = {
		{"X-Mailer", "Microsoft Windows Mobile 5.0"}};
	rules_set *rs = load_or_null(spec_example);
	rules_facts f;

	ok(rs != NULL && rules_set_count(rs) == 5,
	   "SPEC example loads as written: five rules");
	if (rs == NULL)
		return;

	f = (rules_facts){
		.direction = RULES_OUTBOUND, .from = from_alice, .nfrom = 1};
	spec_case(rs, &f, "sign@2", "our users' outbound mail is signed");
	f.from = (const char *const[]){"alice@example.net"};
	spec_case(rs, &f, "", "mail from another domain is not signed");

	f = (rules_facts){.direction = RULES_INBOUND,
			  .encrypted = rc2,
			  .nencrypted = 1,
			  .rcpts = mobile,
			  .nrcpts = 1};
	spec_case(rs, &f,
		  "reencrypt=des-ede3-cbc@4 tag=legacy-mobile@4 "
		  "tag=smime-policy@5",
		  "RC2-40 to a mobile user becomes 3DES; the AES rule's "
		  "reencrypt loses, its bare tag adds up");
	f.headers = wm;
	f.nheaders = 1;
	spec_case(rs, &f,
		  "reencrypt=des-ede3-cbc@4 tag=legacy-mobile@4 "
		  "tag=smime-policy@5",
		  "from a Windows Mobile mailer the legacy-mobile tag is "
		  "added once");
	f.rcpts = mobile_and_desk;
	f.nrcpts = 2;
	spec_case(rs, &f,
		  "reencrypt=des-ede3-cbc@4 tag=legacy-mobile@4 "
		  "tag=smime-policy@5",
		  "'to' means any recipient: one mobile user is enough");
	f = (rules_facts){.direction = RULES_INBOUND,
			  .encrypted = rc2,
			  .nencrypted = 1,
			  .rcpts = mobile_and_desk + 1,
			  .nrcpts = 1};
	spec_case(rs, &f, "reencrypt=aes-256-cbc@5 tag=smime-policy@5",
		  "RC2-40 to everyone else becomes AES-256 with the default "
		  "tag");
	f.encrypted = aes;
	spec_case(rs, &f, "", "strong encryption is left alone");

	f = (rules_facts){
		.direction = RULES_INBOUND, .headers = wm, .nheaders = 1};
	spec_case(rs, &f, "tag=legacy-mobile@6",
		  "a Windows Mobile mailer alone is tagged");

	f = (rules_facts){.direction = RULES_INBOUND,
			  .is_signed = true,
			  .signature_results = fail,
			  .nsignature_results = 1};
	{
		rules_result r = RULES_RESULT_INIT;
		rules_eval(rs, &f, &r);
		ok(r.n == 1 && r.verdict != NULL &&
			   r.verdict->kind == RULES_ACT_REJECT &&
			   strcmp(r.verdict->status, "5.7.1") == 0 &&
			   strcmp(r.verdict->text,
				  "S/MIME signature did not verify") == 0 &&
			   r.verdict->line == 7,
		   "SPEC example: a failed signature on inbound mail is "
		   "rejected with its 5.7.1 text");
		rules_result_free(&r);
	}
	f.direction = RULES_OUTBOUND;
	spec_case(rs, &f, "",
		  "a failed signature on outbound mail is not "
		  "rejected");
	rules_set_free(rs);
}

int main(void)
{
	test_direction_and_client();
	test_addresses();
	test_headers();
	test_crypto_facts();
	test_signer();
	test_size();
	test_conjunction();
	test_precedence();
	test_spec_example();
	return tap_done();
}
