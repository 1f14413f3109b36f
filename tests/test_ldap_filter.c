/*
 * test_ldap_filter.c - the LDAP search filter and DN checks of the
 * directory glue (milter/directory.c, milter/ldap_search.c): an address
 * is escaped as RFC 4515 says, so no address can widen or change a
 * search, and LDAPHarvestBase is recognised under LDAPBase the way the
 * directory compares DNs.
 */
#include "directory.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void filter_is(const char *tmpl, const char *addr, const char *want,
		      const char *what)
{
	char *f = milter_ldap_filter(tmpl, addr);

	is_str(f ? f : "(null)", want, "%s", what);
	free(f);
}

int main(void)
{
	filter_is("(mail=%s)", "bob@example.org", "(mail=bob@example.org)",
		  "a plain address goes in as it is");
	filter_is("(mail=%s)", "*)(mail=*", "(mail=\\2a\\29\\28mail=\\2a)",
		  "a hostile address cannot widen the search");
	filter_is("(mail=%s)", "a\\b(c)@x", "(mail=a\\5cb\\28c\\29@x)",
		  "backslash and parentheses are escaped");
	filter_is("(mail=%s)", "a b\t@x", "(mail=a\\20b\\09@x)",
		  "blanks and control bytes are escaped");
	filter_is("(mail=%s)", "j\xc3\xb6rg@x", "(mail=j\\c3\\b6rg@x)",
		  "bytes outside printable ASCII are escaped");
	filter_is("(|(mail=%s)(mailAlternateAddress=%s))", "a@x",
		  "(|(mail=a@x)(mailAlternateAddress=a@x))",
		  "every %s is the address");
	filter_is("(&(mail=%s)(objectClass=%%))", "a@x",
		  "(&(mail=a@x)(objectClass=%))", "%% is a percent sign");
	ok(milter_dn_under("ou=harvest,dc=example,dc=test",
			   "dc=example,dc=test"),
	   "a DN under the base");
	ok(milter_dn_under("mail=a@x,OU=Harvest, DC=Example,DC=Test",
			   "ou=harvest,dc=example,dc=test"),
	   "compared without regard to case and blanks");
	ok(!milter_dn_under("dc=example,dc=test", "dc=example,dc=test"),
	   "the base itself is not under itself");
	ok(!milter_dn_under("ou=x,dc=badexample,dc=test", "dc=example,dc=test"),
	   "a suffix that is not a whole RDN does not count");
	ok(!milter_dn_under("not a dn", "dc=example,dc=test"),
	   "a DN that does not parse is not under anything");
	return tap_done();
}
