/*
 * test_authres.c - the Authentication-Results value (authres.c): its
 * exact form (SPEC section 7), quoting, folding and line limits; that
 * Debian's python3-authres reads back what we wrote (tests/
 * authres_parse.py); the resinfos collected from analysis facts; and the
 * detection of incoming headers that forge ours.
 */
#include "smime.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TESTS_SRCDIR
#define TESTS_SRCDIR "tests"
#endif

#define HDR_LEN 24 /* "Authentication-Results: " */

static const char *format(const char *id, const smime_resinfo *v, size_t n,
			  smime_buf *out)
{
	int ret = smime_authres_format(id, v, n, out);

	return ret == 0 ? (const char *)out->data : smime_strerror(ret);
}

/* The longest line of a value, the first counted with the header name;
 * and whether every fold is a line end followed by a blank. */
static size_t longest_line(const char *v, bool *folds_ok)
{
	size_t best = 0, col = HDR_LEN;

	*folds_ok = true;
	for (const char *p = v; *p; p++) {
		if (*p == '\n') {
			if (p[1] != '\t' && p[1] != ' ')
				*folds_ok = false;
			col = 0;
			continue;
		}
		if (++col > best)
			best = col;
	}
	return best;
}

/* The value with every fold removed (RFC 5322 unfolding). */
static char *unfold(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;

	for (; out != NULL && *v; v++)
		if (*v != '\n')
			*o++ = *v;
	if (out != NULL)
		*o = '\0';
	return out;
}

/* What python3-authres makes of a value (authres_parse.py's lines). */
static char *python_parse(const char *value)
{
	char tmpl[] = "/tmp/test_authres.XXXXXX", cmd[512], line[4096];
	smime_buf out = SMIME_BUF_INIT;
	char *res = NULL;
	FILE *f, *p;
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmpl);
		return NULL;
	}
	fputs(value, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/authres_parse.py %s",
		 TESTS_SRCDIR, tmpl);
	p = popen(cmd, "r");
	while (p != NULL && fgets(line, sizeof(line), p) != NULL)
		smime_buf_puts(&out, line);
	if (p != NULL && pclose(p) == 0)
		smime_buf_steal(&out, &res);
	smime_buf_free(&out);
	unlink(tmpl);
	return res;
}

static const smime_resinfo spec_example = {
	SMIME_RESULT_PASS, SMIME_REASON_NONE,         "alice@example.org", "1",
	"3a9f01c2",        "CN=Example CA,O=Example",
};

static void test_spec_form(void)
{
	smime_buf b = SMIME_BUF_INIT;
	smime_resinfo two[2] = {spec_example, spec_example};

	is_str(format("mx.example.org", &spec_example, 1, &b),
	       "mx.example.org;\n"
	       "\tsmime=pass body.smime-identifier=alice@example.org "
	       "body.smime-part=1\n"
	       "\tbody.smime-serial=3a9f01c2 body.smime-issuer=\"CN=Example "
	       "CA,O=Example\"",
	       "the SPEC section 7 example comes out exactly");
	two[1].result = SMIME_RESULT_POLICY;
	two[1].reason = SMIME_REASON_ADDRESS_MISMATCH;
	two[1].identifier = NULL;
	two[1].part = "1.2";
	is_str(format("mx.example.org", two, 2, &b),
	       "mx.example.org;\n"
	       "\tsmime=pass body.smime-identifier=alice@example.org "
	       "body.smime-part=1\n"
	       "\tbody.smime-serial=3a9f01c2 body.smime-issuer=\"CN=Example "
	       "CA,O=Example\";\n"
	       "\tsmime=policy reason=\"address-mismatch\" "
	       "body.smime-part=1.2\n"
	       "\tbody.smime-serial=3a9f01c2 body.smime-issuer=\"CN=Example "
	       "CA,O=Example\"",
	       "several resinfos: each on its own line, separated by ';'");
	two[0].result = SMIME_RESULT_FAIL;
	two[0].reason = SMIME_REASON_NONE;
	two[0].serial = NULL;
	two[0].identifier = NULL;
	two[0].part = "TEXT";
	is_str(format("mx.example.org", two, 1, &b),
	       "mx.example.org;\n\tsmime=fail body.smime-part=TEXT",
	       "an issuer without a serial is left out with it (RFC 7281 "
	       "3.2.3)");
	is_str(format("mx.example.org", two, 0, &b),
	       smime_strerror(SMIME_E_ARG), "no resinfo, no header");
	smime_buf_free(&b);
}

static void test_quoting(void)
{
	smime_buf b = SMIME_BUF_INIT;
	smime_resinfo r = spec_example;
	char *py;

	r.result = SMIME_RESULT_NEUTRAL;
	r.reason = SMIME_REASON_MALFORMED;
	r.identifier = "\"odd;local\"@example.org";
	r.issuer = "CN=a \"b\" \\c,O=\xc3\xa9t\x01";
	is_str(format("mx.example.org", &r, 1, &b),
	       "mx.example.org;\n"
	       "\tsmime=neutral reason=\"malformed\"\n"
	       "\tbody.smime-identifier=\"odd;local\"@example.org "
	       "body.smime-part=1\n"
	       "\tbody.smime-serial=3a9f01c2 body.smime-issuer=\"CN=a "
	       "\\\"b\\\" \\\\c,O=??t?\"",
	       "specials are quoted and escaped; other bytes become '?'");
	py = python_parse((char *)b.data);
	is_str(py,
	       "id mx.example.org\n"
	       "smime neutral malformed "
	       "body.smime-identifier=\"odd;local\"@example.org "
	       "body.smime-part=1 body.smime-serial=3a9f01c2 "
	       "body.smime-issuer=CN=a \\\"b\\\" \\\\c,O=??t?\n",
	       "python3-authres reads the quoted values back (it keeps "
	       "quoted-pair backslashes)");
	free(py);
	r = spec_example;
	r.identifier = "odd,local@example.org";
	is_str(format("mx.example.org", &r, 1, &b),
	       "mx.example.org;\n"
	       "\tsmime=pass body.smime-identifier=\"odd,local\"@example.org "
	       "body.smime-part=1\n"
	       "\tbody.smime-serial=3a9f01c2 body.smime-issuer=\"CN=Example "
	       "CA,O=Example\"",
	       "a local part that is no dot-atom is quoted on its own");
	is_str(format("id with space", &spec_example, 1, &b),
	       "\"id with space\";\n"
	       "\tsmime=pass body.smime-identifier=alice@example.org "
	       "body.smime-part=1\n"
	       "\tbody.smime-serial=3a9f01c2 body.smime-issuer=\"CN=Example "
	       "CA,O=Example\"",
	       "an authserv-id that is no token is a quoted-string");
	smime_buf_free(&b);
}

static void test_long_values(void)
{
	smime_buf b = SMIME_BUF_INIT, dn = SMIME_BUF_INIT;
	smime_resinfo r = spec_example;
	char *py, *flat, want[4096];
	bool folds_ok;
	size_t longest;

	/* A realistic long issuer: longer than a line, shorter than 998. */
	r.issuer = "CN=Sectigo RSA Client Authentication and Secure Email CA,"
		   "O=Sectigo Limited,L=Salford,ST=Greater Manchester,C=GB";
	format("mx.example.org", &r, 1, &b);
	longest = longest_line((char *)b.data, &folds_ok);
	ok(strstr((char *)b.data,
		  "\n\tbody.smime-issuer=\"CN=Sectigo RSA Client "
		  "Authentication and Secure Email CA,O=Sectigo "
		  "Limited,L=Salford,ST=Greater Manchester,C=GB\"") != NULL,
	   "a long issuer gets a line of its own and is not broken");
	ok(longest < 998 && folds_ok, "that line stays under 998 (%zu)",
	   longest);
	py = python_parse((char *)b.data);
	snprintf(want, sizeof(want),
		 "id mx.example.org\nsmime pass - "
		 "body.smime-identifier=alice@example.org "
		 "body.smime-part=1 body.smime-serial=3a9f01c2 "
		 "body.smime-issuer=%s\n",
		 r.issuer);
	is_str(py, want, "python3-authres reads the long issuer unchanged");
	free(py);

	/* An issuer of 1500 characters with blanks: folded inside. */
	for (int i = 0; i < 100; i++)
		smime_buf_printf(&dn, "%sOU=Unit number %03d", i ? "," : "", i);
	r.issuer = (char *)dn.data;
	format("mx.example.org", &r, 1, &b);
	longest = longest_line((char *)b.data, &folds_ok);
	ok(longest <= 77 && folds_ok,
	   "a 2000-character issuer is folded at its own blanks (%zu)",
	   longest);
	flat = unfold((char *)b.data);
	ok(flat != NULL && strstr(flat, (char *)dn.data) != NULL,
	   "unfolding gives the issuer back unchanged");
	free(flat);

	/* No blank anywhere: it cannot fit, so serial and issuer go. */
	smime_buf_reset(&dn);
	for (int i = 0; i < 150; i++)
		smime_buf_printf(&dn, "%sOU=Unit%03d", i ? "," : "", i);
	r.issuer = (char *)dn.data;
	is_str(format("mx.example.org", &r, 1, &b),
	       "mx.example.org;\n"
	       "\tsmime=pass body.smime-identifier=alice@example.org "
	       "body.smime-part=1",
	       "an unfoldable issuer is left out together with its serial");
	r.issuer = spec_example.issuer;
	r.serial = (char *)dn.data + 2; /* 1600 characters, no blank */
	is_str(format("mx.example.org", &r, 1, &b),
	       "mx.example.org;\n"
	       "\tsmime=pass body.smime-identifier=alice@example.org "
	       "body.smime-part=1",
	       "so is an absurd serial, together with its issuer");
	smime_buf_free(&dn);
	smime_buf_free(&b);
}

static void test_python_every_result(void)
{
	static const struct {
		smime_result r;
		smime_reason why;
		const char *line;
	} cases[] = {
		{SMIME_RESULT_PASS, SMIME_REASON_NONE, "smime pass -"},
		{SMIME_RESULT_FAIL, SMIME_REASON_BAD_SIGNATURE,
		 "smime fail bad-signature"},
		{SMIME_RESULT_POLICY, SMIME_REASON_NOT_YET_VALID,
		 "smime policy not-yet-valid"},
		{SMIME_RESULT_NEUTRAL, SMIME_REASON_UNSUPPORTED_ALGORITHM,
		 "smime neutral unsupported-algorithm"},
		{SMIME_RESULT_TEMPERROR, SMIME_REASON_CRL_UNAVAILABLE,
		 "smime temperror crl-unavailable"},
		{SMIME_RESULT_PERMERROR, SMIME_REASON_NO_CERTIFICATE,
		 "smime permerror no-certificate"},
	};
	smime_resinfo v[6];
	smime_buf b = SMIME_BUF_INIT, want = SMIME_BUF_INIT;
	char *py;

	smime_buf_puts(&want, "id mx.example.org\n");
	for (size_t i = 0; i < 6; i++) {
		v[i] = (smime_resinfo){cases[i].r, cases[i].why, NULL,
				       "2",        NULL,         NULL};
		smime_buf_printf(&want, "%s body.smime-part=2\n",
				 cases[i].line);
	}
	format("mx.example.org", v, 6, &b);
	py = python_parse((char *)b.data);
	is_str(py, (char *)want.data,
	       "python3-authres reads every result and reason word");
	free(py);
	smime_buf_free(&b);
	smime_buf_free(&want);
}

/* The field's size as a message carries it (CRLF line ends). */
static size_t wire_size(const char *value)
{
	size_t n = HDR_LEN + strlen(value) + 2;

	for (const char *p = value; *p; p++)
		n += *p == '\n';
	return n;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

#define TOO_MANY "smime=neutral reason=\"too-many-signatures\""

static void test_budget(void)
{
	static const smime_resinfo tm = {
		.result = SMIME_RESULT_NEUTRAL,
		.reason = SMIME_REASON_TOO_MANY_SIGNATURES,
	};
	enum { N = 400 };
	smime_resinfo *v = calloc(N + 1, sizeof(*v));
	char serials[N][8];
	smime_buf out = SMIME_BUF_INIT, cut = SMIME_BUF_INIT;
	size_t k, end;
	char *py;

	if (v == NULL)
		return;
	for (size_t i = 0; i < N; i++) {
		snprintf(serials[i], sizeof(serials[i]), "%zx", 0x1000 + i);
		v[i] = (smime_resinfo){
			SMIME_RESULT_PERMERROR,
			SMIME_REASON_NO_CERTIFICATE,
			NULL,
			"1.1.1",
			serials[i],
			"CN=Bad Input issuing CA with a name long enough for a "
			"line of its own,O=Bad Input"};
	}
	/* 400 resinfos of about 190 bytes: the 74 KB field of F5. */
	is_long(smime_authres_format("mx.example.org", v, N, &out), 0,
		"400 resinfos: formatted");
	ok(wire_size((char *)out.data) <= SMIME_AUTHRES_MAX,
	   "the field stays within SMIME_AUTHRES_MAX (24 KB), name and CRLFs "
	   "counted (%zu bytes)",
	   wire_size((char *)out.data));
	ok(wire_size((char *)out.data) > SMIME_AUTHRES_MAX - 400,
	   "and uses it: no resinfo that fits is left out");
	is_long((long)count((char *)out.data, TOO_MANY), 1,
		"one too-many-signatures resinfo");
	end = strlen((char *)out.data) - strlen(TOO_MANY);
	ok(strcmp((char *)out.data + end, TOO_MANY) == 0 &&
		   strncmp((char *)out.data + end - 3, ";\n\t", 3) == 0,
	   "it ends the field, on a line of its own");
	/* What came before are the first k resinfos, whole. */
	k = count((char *)out.data, "smime=") - 1;
	ok(k > 100 && k < N, "%zu of 400 resinfos fit", k);
	v[k] = tm;
	smime_authres_format("mx.example.org", v, k + 1, &cut);
	is_str((char *)out.data, (char *)cut.data,
	       "the first resinfos, whole, then the too-many-signatures one");
	py = python_parse((char *)out.data);
	ok(py != NULL && count(py, "\nsmime permerror no-certificate") == k &&
		   count(py, "\nsmime neutral too-many-signatures\n") == 1,
	   "python3-authres reads every resinfo of the cut field");
	free(py);

	/* A field that fits is left as it is; a too-many-signatures
	 * resinfo given anywhere is written once, last. */
	v[0] = spec_example;
	v[1] = tm;
	v[2] = spec_example;
	v[3] = tm;
	smime_authres_format("mx.example.org", v, 4, &out);
	v[1] = spec_example;
	v[2] = tm;
	smime_authres_format("mx.example.org", v, 3, &cut);
	is_str((char *)out.data, (char *)cut.data,
	       "too-many-signatures resinfos in the list: one, at the end");
	smime_authres_format("mx.example.org", v, 2, &cut);
	ok(count((char *)cut.data, TOO_MANY) == 0,
	   "without one, and within the budget, none is added");
	smime_buf_free(&out);
	smime_buf_free(&cut);
	free(v);
}

static void test_collect(void)
{
	smime_signer signers[2] = {
		{.issuer = "CN=A", .serial = "01"},
		{.ski = "abcd"},
	};
	smime_sigcheck checks[4] = {
		{.result = SMIME_RESULT_PASS, .identifier = "a@example.org"},
		{.result = SMIME_RESULT_POLICY,
		 .reason = SMIME_REASON_UNTRUSTED,
		 .cert_issuer = "CN=B",
		 .cert_serial = "02"},
		{.result = SMIME_RESULT_NEUTRAL,
		 .reason = SMIME_REASON_MALFORMED},
	};
	smime_layer layers[3];
	smime_facts f = {.layers = layers, .nlayers = 3};
	smime_resinfo *v = NULL;
	size_t n = 0;

	memset(layers, 0, sizeof(layers));
	layers[0].kind = SMIME_KIND_SIGNED;
	strcpy(layers[0].part, "1");
	layers[0].cms.signers = signers;
	layers[0].cms.nsigners = 2;
	layers[0].checks = checks;
	layers[0].nchecks = 2;
	layers[1].kind = SMIME_KIND_ENVELOPED; /* not verified: nothing */
	strcpy(layers[1].part, "1.1");
	layers[2].kind = SMIME_KIND_OPAQUE_SIGNED; /* unreadable */
	strcpy(layers[2].part, "2");
	layers[2].checks = &checks[2];
	layers[2].nchecks = 1;
	is_long(smime_authres_collect(&f, &v, &n), 0, "collecting works");
	is_long((long)n, 3, "one resinfo per verdict, layers without none");
	if (n == 3) {
		is_str(v[0].issuer, "CN=A",
		       "issuer and serial come from the SignerInfo");
		is_str(v[1].serial, "02",
		       "a signer named by key identifier gets the "
		       "certificate's");
		is_str(v[1].part, "1", "each resinfo names its layer's part");
		ok(v[2].serial == NULL && v[2].issuer == NULL &&
			   strcmp(v[2].part, "2") == 0,
		   "an unreadable layer gets its verdict without identifiers");
	}
	free(v);
	v = NULL;
	f.unchecked_signatures = 5;
	is_long(smime_authres_collect(&f, &v, &n), 0,
		"collecting with unchecked signatures works");
	is_long((long)n, 4,
		"signatures MaxSignatures left unchecked add one resinfo");
	if (n == 4)
		ok(v[3].result == SMIME_RESULT_NEUTRAL &&
			   v[3].reason == SMIME_REASON_TOO_MANY_SIGNATURES &&
			   v[3].part == NULL && v[3].issuer == NULL &&
			   v[3].identifier == NULL,
		   "it comes last: neutral, too-many-signatures, no "
		   "properties");
	free(v);
}

typedef struct forged_case {
	const char *value;
	bool ours, smime, other;
	const char *what;
} forged_case;

static void test_forged(void)
{
	static const forged_case cases[] = {
		{"mx.example.org; smime=pass body.smime-part=1", true, true,
		 false, "our id with smime"},
		{"MX.Example.ORG;smime=fail", true, true, false,
		 "the id compares case-insensitively"},
		{"mx.example.org; dkim=pass header.d=example.org", true, false,
		 true, "our id with only DKIM is someone else's result"},
		{"mx.example.org; dkim=pass "
		 "header.d=example.org;\r\n\tsmime=pass",
		 true, true, true, "a mixed header under our id carries smime"},
		{"other.example; smime=pass", false, true, false,
		 "another authserv-id"},
		{"mx.example.org.evil; smime=pass", false, true, false,
		 "an id that merely starts like ours"},
		{"\"mx.example.org\"; smime=pass", true, true, false,
		 "a quoted authserv-id"},
		{" (comment (nested)) mx.example.org (c) 1; (x) SMIME/1=pass",
		 true, true, false, "comments, a version and a method version"},
		{"mx.example.org; none", true, false, false, "no-result"},
		{"mx.example.org; dkim=pass reason=\"a; smime=pass\"", true,
		 false, true, "';' inside a quoted-string is no resinfo"},
		{"mx.example.org; dkim=pass (x; smime=pass)", true, false, true,
		 "';' inside a comment is no resinfo"},
		{"mx.example.org; smime", true, true, false,
		 "a bare method name still counts"},
		{"mx.example.org; (unterminated", true, false, false,
		 "an unterminated comment ends the value"},
		{"mx.example.org; dkim=\"unterminated; smime=pass", true, false,
		 true, "an unterminated quote ends the value"},
		{"", false, false, false, "an empty value"},
		{";;;", false, false, false, "no authserv-id"},
	};
	smime_authres_info info;
	smime_buf b = SMIME_BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const forged_case *c = &cases[i];

		smime_authres_inspect(c->value, "mx.example.org", &info);
		ok(info.ours == c->ours && info.has_smime == c->smime &&
			   info.has_other == c->other,
		   "inspect: %s", c->what);
		if (info.ours != c->ours || info.has_smime != c->smime ||
		    info.has_other != c->other)
			printf("#   got ours=%d smime=%d other=%d\n", info.ours,
			       info.has_smime, info.has_other);
	}
	ok(smime_authres_is_forged("mx.example.org; dkim=pass; smime=pass",
				   "mx.example.org"),
	   "a mixed header under our id is removed whole");
	ok(!smime_authres_is_forged("mx.example.org; dkim=pass",
				    "mx.example.org"),
	   "OpenDKIM's header under our id is kept");
	ok(!smime_authres_is_forged(NULL, "mx.example.org"),
	   "no value is no forgery");
	format("mx.example.org", &spec_example, 1, &b);
	ok(smime_authres_is_forged((char *)b.data, "mx.example.org"),
	   "our own output, arriving again, is recognised");
	smime_buf_free(&b);
}

typedef struct removal_case {
	const char *value;
	bool removed;
	const char *what;
} removal_case;

/* Issue 13, F8: a reader that stops early (an unterminated comment or
 * quoted-string) or knows no quoted-pair reads an smime result where we
 * read none.  A field under our id that cannot be read to its end, or
 * that mentions smime outside a proper resinfo, goes; the fields other
 * filters write under our id stay. */
static void test_unreadable_forgeries(void)
{
	static const removal_case cases[] = {
		{"mx.example.org (; smime=pass", true,
		 "an unterminated comment after our id"},
		{"mx.example.org; dkim=pass (x; smime=pass", true,
		 "an unterminated comment in a resinfo"},
		{"mx.example.org; dkim=\"x; smime=pass", true,
		 "an unterminated quoted-string"},
		{"mx.example.org; dkim=pass reason=\"x\\\"; smime=pass\"", true,
		 "smime after an escaped quote inside a quoted-string"},
		{"mx.example.org; dkim=pass (see smime=pass)", true,
		 "smime inside a comment"},
		{"mx.example.org; dkim=pass header.b=\"x smime=pass\"", true,
		 "smime in a property value of another method"},
		{"mx.example.org; dkim=pass reason=\"s\\mime=pass\"", true,
		 "smime spelt with a quoted-pair"},
		{"\"mx.example.org; smime=pass", true,
		 "our id in an unterminated quoted-string"},
		{"\"mx.example.org\\\"; smime=pass\"", true,
		 "our id, then an escaped quote"},
		{"mx.example.org; dkim=pass header.d=example.org (x", true,
		 "our id, unreadable to its end, without smime"},
		{"mx.example.org; dkim=pass header.d=example.org )", true,
		 "a stray closing parenthesis"},
		{"mx.example.org; dkim=pass (2048-bit key; unprotected) "
		 "header.d=example.org header.i=@example.org "
		 "header.b=\"AbCd1234\"",
		 false, "OpenDKIM's field stays"},
		{"mx.example.org; dmarc=pass (p=none dis=none) "
		 "header.from=example.org",
		 false, "OpenDMARC's field stays"},
		{"mx.example.org;\r\n\tspf=pass (sender SPF authorized) "
		 "smtp.mailfrom=user@example.org;\r\n\tdkim=none",
		 false, "a folded field of other methods stays"},
		{"mx.example.org 1; dkim/1=pass reason=\"fine\"", false,
		 "versions and a reason stay"},
		{"mx.example.org; none", false, "no-result stays"},
		{"mx.example.org; dkim=pass header.d=smime.example.com "
		 "policy.iprev=2001:db8::1",
		 false,
		 "a domain that merely contains the word, and IPv6, stay"},
		{"other.example (; smime=pass", false,
		 "another id's unreadable field stays"},
		{"other.example; dkim=pass reason=\"x\\\"; smime=pass\"", false,
		 "another id's field mentioning smime stays"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const removal_case *c = &cases[i];
		bool got = smime_authres_is_forged(c->value, "mx.example.org");

		ok(got == c->removed, "%s: %s", c->removed ? "removed" : "kept",
		   c->what);
		if (got != c->removed)
			printf("#   value: %s\n", c->value);
	}
	ok(!smime_authres_is_forged("smime.example.org; dkim=pass",
				    "smime.example.org"),
	   "an authserv-id that itself says smime does not count as a mention");
}

/* Fuzz finding F3: a control character escaped inside a quoted local
 * part must not reach the header (no CR/LF but the "\n\t" folds). */
static void test_escaped_control(void)
{
	smime_resinfo r = {SMIME_RESULT_PASS,
			   SMIME_REASON_NONE,
			   "\"a\\\r\\\nX-Injected: yes\"@example.org",
			   "1",
			   "01",
			   "CN=CA"};
	smime_buf out = SMIME_BUF_INIT;
	const char *v = format("mx.example.org", &r, 1, &out);
	bool clean = true;

	for (const char *p = v; *p; p++)
		if (*p == '\r' || (*p == '\n' && p[1] != '\t') ||
		    ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t'))
			clean = false;
	ok(clean,
	   "an escaped CR LF in a quoted local part does not reach the "
	   "header: %s",
	   v);
	ok(strstr(v, "X-Injected") == NULL || strstr(v, "\nX-Injected") == NULL,
	   "no new header line can start inside our field");
	smime_buf_free(&out);
}

int main(void)
{
	test_escaped_control();
	test_spec_form();
	test_quoting();
	test_long_values();
	test_python_every_result();
	test_collect();
	test_budget();
	test_forged();
	test_unreadable_forgeries();
	return tap_done();
}
