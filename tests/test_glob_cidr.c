/*
 * test_glob_cidr.c - the matchers of rules/: globs ('*', '?', "[...]",
 * case-insensitive, no exponential backtracking) and CIDRs (IPv4, IPv6,
 * IPv4-mapped clients, brackets, prefix edges).
 */
#include "rules.h"
#include "tap.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct gcase {
	const char *pattern;
	const char *text;
	bool want;
};

static const struct gcase globs[] = {
	{"", "", true},
	{"", "a", false},
	{"*", "", true},
	{"*", "anything at all", true},
	{"?", "", false},
	{"?", "x", true},
	{"??", "x", false},
	{"*@example.org", "alice@example.org", true},
	{"*@example.org", "alice@EXAMPLE.ORG", true},
	{"*@EXAMPLE.org", "alice@example.org", true},
	{"*@example.org", "alice@example.org.evil", false},
	{"*@example.org", "alice@sub.example.org", false},
	{"*@*.example.org", "alice@sub.example.org", true},
	{"*@*example.org", "alice@badexample.org", true},
	{"alice@example.org", "alice@example.org", true},
	{"alice@example.org", "alicE@examplE.org", true},
	{"a*b*c", "abc", true},
	{"a*b*c", "aXXbYYc", true},
	{"a*b*c", "aXXbYY", false},
	{"a*b*c", "acb", false},
	{"*a", "bbba", true},
	{"*a", "bbab", false},
	{"**a**", "bab", true},
	{"[abc]", "b", true},
	{"[abc]", "B", true},
	{"[ABC]", "b", true},
	{"[abc]", "d", false},
	{"[!abc]", "d", true},
	{"[!abc]", "A", false},
	{"[^abc]", "d", true},
	{"[a-z]x", "qx", true},
	{"[a-z]x", "Qx", true},
	{"[A-Z]x", "qx", true},
	{"[a-z]x", "1x", false},
	{"[0-9][0-9]", "42", true},
	{"[0-9][0-9]", "4a", false},
	{"[]]", "]", true},
	{"[!]]", "]", false},
	{"[!]]", "a", true},
	{"[a-]", "-", true},
	{"[-a]", "-", true},
	{"[*]", "*", true},
	{"[*]", "x", false},
	{"[?]x", "?x", true},
	{"[?]x", "ax", false},
	{"*Windows Mobile*", "Microsoft Windows Mobile 5.0", true},
	{"*windows mobile*", "Microsoft Windows Mobile 5.0", true},
	{"*Windows Mobile*", "Microsoft Windows Phone", false},
	{"*[", "a[", false},
	{"[abc", "a", false},
	{"[z-a]", "m", false},
	{"caf\xc3\xa9", "CAF\xc3\xa9", true},
	{"caf\xc3\xa9", "caf\xc3\x89", false},
};

static void test_glob_table(void)
{
	for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		const struct gcase *c = &globs[i];
		ok(rules_glob_match(c->pattern, c->text) == c->want,
		   "glob '%s' %s '%s'", c->pattern,
		   c->want ? "matches" : "does not match", c->text);
	}
	ok(!rules_glob_match(NULL, "x") && !rules_glob_match("*", NULL),
	   "NULL pattern or text matches nothing");
}

static void test_glob_check(void)
{
	size_t off = 99;

	is_long(rules_glob_check("*@[a-z]*.example.org", &off), 0,
		"a well-formed glob passes the check");
	is_long(rules_glob_check("*@[abc", &off), RULES_E_PARSE,
		"an unclosed '[' fails the check");
	is_long((long)off, 2, "the offset names the unclosed '['");
	is_long(rules_glob_check("ab[]", &off), RULES_E_PARSE,
		"'[]' is unclosed: a ']' first in a set is literal");
	is_long((long)off, 2, "the offset names that '['");
	is_long(rules_glob_check("x[!z-a]", &off), RULES_E_PARSE,
		"a reversed range fails the check");
	is_long((long)off, 3, "the offset names the range's first byte");
	is_long(rules_glob_check("[a-]", &off), 0,
		"a '-' at the end of a set is literal, not a range");
	is_long(rules_glob_check("", &off), 0, "the empty glob is fine");
}

/* CPU time: the bounds are about work done, and these machines are shared
 * (wall time would count the other processes). */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Patterns that take exponential time with naive backtracking finish in
 * a blink here; 2 s leaves room for sanitizers and slow CI machines
 * while exponential time would take years. */
static void test_glob_pathological(void)
{
	size_t n = 20000;
	char *text = malloc(n + 1), *pat = malloc(2 * 40 + 2);
	double t0, t;
	bool m1, m2, m3;

	memset(text, 'a', n);
	text[n] = '\0';
	pat[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(pat, "*a");
	strcat(pat, "b");
	t0 = now();
	m1 = rules_glob_match("*a*a*a*a*b", text);
	m2 = rules_glob_match(pat, text);
	text[n - 1] = 'b';
	m3 = rules_glob_match(pat, text);
	t = now() - t0;
	ok(!m1 && !m2, "'*a*a*a*a*b' and (*a)x40 b do not match a run of a's");
	ok(m3, "(*a)x40 b matches once the text ends in b");
	ok(t < 2.0, "pathological globs over 20000 bytes finish fast (%.3f s)",
	   t);
	memset(text, '?', n);
	text[n] = '\0';
	t0 = now();
	m1 = rules_glob_match("*?*?*?*?*?*?*?*?*?*?*[!?]", text);
	t = now() - t0;
	ok(!m1 && t < 2.0,
	   "'?' and set stars over 20000 bytes: no match, "
	   "fast (%.3f s)",
	   t);
	free(text);
	free(pat);
}

static void test_cidr_parse(void)
{
	rules_cidr c;
	static const unsigned char net10[4] = {10, 0, 0, 0};

	ok(rules_cidr_parse("10.1.2.3/8", &c) == 0 && c.family == AF_INET &&
		   c.prefix == 8 && memcmp(c.addr, net10, 4) == 0,
	   "IPv4 CIDR parses; host bits are cleared");
	ok(rules_cidr_parse("192.0.2.1", &c) == 0 && c.prefix == 32,
	   "a bare IPv4 address is a /32");
	ok(rules_cidr_parse("2001:db8::1", &c) == 0 && c.family == AF_INET6 &&
		   c.prefix == 128,
	   "a bare IPv6 address is a /128");
	ok(rules_cidr_parse("0.0.0.0/0", &c) == 0 && c.prefix == 0,
	   "/0 is allowed");
	ok(rules_cidr_parse("::/0", &c) == 0 && c.family == AF_INET6,
	   "::/0 is allowed");
	ok(rules_cidr_parse("10.0.0.0/33", &c) < 0, "IPv4 /33 is refused");
	ok(rules_cidr_parse("2001:db8::/129", &c) < 0, "IPv6 /129 is refused");
	ok(rules_cidr_parse("10.0.0.0/", &c) < 0, "an empty prefix is refused");
	ok(rules_cidr_parse("10.0.0.0/8x", &c) < 0,
	   "a prefix with junk is refused");
	ok(rules_cidr_parse("10.0.0.256", &c) < 0,
	   "an octet over 255 is refused");
	ok(rules_cidr_parse("example.org", &c) < 0, "a host name is refused");
	ok(rules_cidr_parse("", &c) < 0, "the empty string is refused");
}

/* Refusing is RULES_E_PARSE, one of the error space's codes; the -1 it
 * used to be is RULES_E_NOMEM there. */
static void test_cidr_refusal_is_parse(void)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/8x",
		"10.0.0.256",  "example.org",    "",          "[10.0.0.1]/33",
	};
	rules_cidr c;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_long(rules_cidr_parse(bad[i], &c), RULES_E_PARSE,
			"'%s' is refused as RULES_E_PARSE", bad[i]);
}

static bool in(const char *cidr, const char *ip)
{
	rules_cidr c;

	return rules_cidr_parse(cidr, &c) == 0 && rules_cidr_match(&c, ip);
}

static void test_cidr_match(void)
{
	ok(in("192.0.2.0/24", "192.0.2.200"), "IPv4 inside /24");
	ok(!in("192.0.2.0/24", "192.0.3.1"), "IPv4 outside /24");
	ok(in("10.0.0.0/8", "10.255.255.255"), "the last address of a /8");
	ok(in("192.0.2.128/25", "192.0.2.128") &&
		   !in("192.0.2.128/25", "192.0.2.127"),
	   "a /25 splits at the prefix bit");
	ok(in("0.0.0.0/0", "203.0.113.9"), "0.0.0.0/0 holds every IPv4");
	ok(in("127.0.0.1", "127.0.0.1") && !in("127.0.0.1", "127.0.0.2"),
	   "a /32 holds one address");
	ok(in("2001:db8::/32", "2001:db8:1::25"), "IPv6 inside /32");
	ok(!in("2001:db8::/32", "2001:db9::1"), "IPv6 outside /32");
	ok(in("2001:db8::/33", "2001:db8:7fff::1") &&
		   !in("2001:db8::/33", "2001:db8:8000::1"),
	   "an IPv6 /33 splits inside a group");
	ok(in("::1", "::1") && !in("::1", "::2"), "IPv6 loopback /128");
	ok(in("192.0.2.0/24", "::ffff:192.0.2.7"),
	   "an IPv4-mapped client matches the IPv4 network");
	ok(!in("192.0.2.0/24", "::ffff:198.51.100.7"),
	   "an IPv4-mapped client outside the network does not");
	ok(in("::ffff:0:0/96", "::ffff:192.0.2.7"),
	   "a mapped client also matches the IPv6 mapped range");
	ok(in("2001:db8::/32", "[2001:db8::1]"),
	   "a client in [ ] (Sendmail's form) matches");
	ok(in("192.0.2.0/24", "[192.0.2.1]"), "an IPv4 client in [ ] matches");
	ok(!in("0.0.0.0/0", "2001:db8::1") && !in("::/0", "192.0.2.1"),
	   "families never match across, except mapped clients");
	ok(!in("192.0.2.0/24", "not-an-ip") && !in("192.0.2.0/24", "") &&
		   !in("192.0.2.0/24", NULL),
	   "an unparsable or missing client matches nothing");
}

int main(void)
{
	test_glob_table();
	test_glob_check();
	test_glob_pathological();
	test_cidr_parse();
	test_cidr_refusal_is_parse();
	test_cidr_match();
	return tap_done();
}
