/*
 * test_verify_authors.c - who may have signed: a signature passes only
 * for the author (the single From mailbox or the Sender mailbox), two
 * From fields or several From mailboxes without a Sender are
 * address-mismatch, and internationalised addresses compare as RFC 8398
 * and 8550 say (verify_names.c, through smime_analyze() as the milter
 * calls it, on tests/data/verify).
 */
#include "smime.h"
#include "tap.h"
#include "verify_fixtures.h"
#include "verify_internal.h" /* the names of a certificate */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* The message with its From header replaced (and a Sender added). */
static int with_from(const char *name, const char *from, const char *sender,
		     smime_buf *out)
{
	smime_buf msg = SMIME_BUF_INIT;
	const char *p, *eol;
	int ret = read_file(name, &msg);

	if (ret < 0)
		return ret;
	p = strstr((char *)msg.data, "\nFrom: ");
	eol = p ? strchr(p + 1, '\n') : NULL;
	if (eol == NULL) {
		smime_buf_free(&msg);
		return SMIME_E_PARSE;
	}
	ret = smime_buf_append(out, msg.data, (size_t)(p - (char *)msg.data));
	if (ret == 0)
		ret = smime_buf_printf(out, "\nFrom: %s\r", from);
	if (ret == 0 && sender)
		ret = smime_buf_printf(out, "\nSender: %s\r", sender);
	if (ret == 0)
		ret = smime_buf_puts(out, eol);
	smime_buf_free(&msg);
	return ret;
}

static void expect_from(const smime_trust *t, const char *from,
			const char *sender, const char *want, const char *why)
{
	smime_buf msg = SMIME_BUF_INIT;
	smime_facts f = {0};
	int ret = with_from("alice.dsig.SHA256.multipart.eml", from, sender,
			    &msg);

	if (ret == 0)
		ret = analyze_mem(&msg, t, NOW, &f);
	is_long(ret, 0, "analysed (%s)", why);
	is_str(rr(verdict(&f, 0, 0)), want, "%s", why);
	smime_facts_free(&f);
	smime_buf_free(&msg);
}

static void test_addresses(void)
{
	smime_trust *nss = load_default("nss-testca.pem", NULL);
	smime_facts f;

	expect_from(nss, "Alice <Alice@EXAMPLE.com>", NULL, "pass",
		    "the domain compares case-insensitively");
	expect_from(nss, "alice@example.com", NULL, "policy/address-mismatch",
		    "the local part compares exactly (RFC 8550 section 3)");
	expect_from(nss, "mallory@example.net", NULL, "policy/address-mismatch",
		    "a wrong From is address-mismatch");
	expect_from(nss, "list@example.net", "Alice@example.com", "pass",
		    "the Sender address may match instead of From");

	analyze_file("alice.plain.dsig.SHA256.multipart.dave.dsig.SHA256."
		     "multipart.eml",
		     nss, NOW, &f);
	is_long((long)f.nlayers, 2, "nested signatures give two layers");
	is_str(rr(verdict(&f, 0, 0)), "pass",
	       "the outer signer (Dave) matches From");
	is_str(rr(verdict(&f, 1, 0)), "policy/address-mismatch",
	       "the inner signer (Alice) does not match From: Dave");
	smime_facts_free(&f);
	smime_trust_free(nss);
}

/* SPEC 7 (issue 13, F7): the signer must match the single From mailbox
 * or the Sender mailbox.  The signer of this message is Alice. */
static void test_two_authors(void)
{
	smime_trust *nss = load_default("nss-testca.pem", NULL);

	expect_from(nss, "Alice@example.com, boss@example.com", NULL,
		    "policy/address-mismatch",
		    "two From mailboxes without Sender leave no author, even "
		    "when the first is the signer");
	expect_from(nss, "boss@example.com, Alice@example.com", NULL,
		    "policy/address-mismatch",
		    "two From mailboxes without Sender: the second is no "
		    "author either");
	expect_from(nss, "team: Alice@example.com, boss@example.com;", NULL,
		    "policy/address-mismatch",
		    "a group of two From mailboxes leaves no author");
	expect_from(nss, "Alice@example.com\r\nFrom: boss@example.com", NULL,
		    "policy/address-mismatch",
		    "two From fields leave no author, even when the first is "
		    "the signer");
	expect_from(nss, "Alice@example.com\r\nFrom: boss@example.com",
		    "Alice@example.com", "policy/address-mismatch",
		    "two From fields leave no author, whatever Sender says");
	expect_from(
		nss, "boss@example.com, Alice@example.com", "Alice@example.com",
		"pass",
		"two From mailboxes with a Sender: the Sender is the author");
	expect_from(nss, "Alice@example.com, boss@example.com",
		    "boss@example.com", "policy/address-mismatch",
		    "two From mailboxes with a Sender: only the Sender counts");
	expect_from(nss, "list@example.net",
		    "Alice@example.com, boss@example.com",
		    "policy/address-mismatch",
		    "a Sender with two mailboxes names no author");
	expect_from(nss, "Alice@example.com",
		    "list@example.net\r\nSender: boss@example.com", "pass",
		    "two Sender fields name no Sender; the single From does");
	expect_from(nss, "undisclosed:;", "Alice@example.com", "pass",
		    "a From without a mailbox: the Sender is the author");
	smime_trust_free(nss);
}

/* RFC 8398/8550 (issue 13, 3a): the names a certificate vouches for
 * include SmtpUTF8Mailbox, and domains compare as IDNA A- and U-labels
 * alike, case-insensitively; the local part compares exactly. */
static void test_idn_names(void)
{
	static const struct {
		const char *cert, *from;
		int want;
		const char *why;
	} cmp[] = {
		{"l\xc3\xb5ks@n\xc3\xa4ide.ee", "l\xc3\xb5ks@n\xc3\xa4ide.ee",
		 1, "an SmtpUTF8Mailbox equals the same From"},
		{"l\xc3\xb5ks@n\xc3\xa4ide.ee", "l\xc3\xb5ks@N\xc3\x84IDE.ee",
		 1, "a U-label domain compares case-insensitively"},
		{"l\xc3\xb5ks@n\xc3\xa4ide.ee", "l\xc3\xb5ks@xn--nide-loa.ee",
		 1, "a U-label domain equals its A-label"},
		{"user@xn--nide-loa.ee", "user@n\xc3\xa4ide.ee", 1,
		 "an A-label rfc822Name equals a U-label From"},
		{"user@XN--NIDE-LOA.EE", "user@N\xc3\x84IDE.ee", 1,
		 "A-label and U-label, both in capitals"},
		{"l\xc3\xb5ks@n\xc3\xa4ide.ee", "L\xc3\xb5ks@n\xc3\xa4ide.ee",
		 0, "the local part compares exactly"},
		{"l\xc3\xb5ks@n\xc3\xa4ide.ee", "l\xc3\xb5ks@naide.ee", 0,
		 "another domain is another domain"},
		{"user@xn--nide-loa.ee", "user@n\xc3\xa3ide.ee", 0,
		 "an A-label differs from another U-label"},
		{"a@fa\xc3\x9f.de", "a@fass.de", 0,
		 "IDNA2008: sharp s is not ss"},
		{"a@xn--fa-hia.de", "a@FA\xc3\x9f.de", 1,
		 "IDNA2008: sharp s is its own A-label"},
		{"a@\xff.example", "a@\xff.example", 1,
		 "a domain that is no IDN still equals itself"},
	};
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = {NULL, 0};
	char **names = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++)
		is_long(smime_address_equal(cmp[i].cert, cmp[i].from),
			cmp[i].want, "%s", cmp[i].why);
	if (gnutls_load_file(path("idn-names.pem"), &pem) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
	    smime_cert_addresses(crt, &names, &n) < 0)
		n = 0;
	is_long((long)n, 2, "idn-names.pem vouches for two addresses");
	is_str(n > 0 ? names[0] : "", "l\xc3\xb5ks@n\xc3\xa4ide.ee",
	       "the SmtpUTF8Mailbox, UTF-8 kept");
	is_str(n > 1 ? names[1] : "", "user@xn--nide-loa.ee",
	       "the rfc822Name; SmtpUTF8Mailbox values with a control "
	       "character, invalid UTF-8 or another string type are refused");
	smime_strv_free(names, n);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);
}

int main(void)
{
	if (smime_global_init() < 0) {
		printf("Bail out! smime_global_init failed\n");
		return 1;
	}
	test_addresses();
	test_two_authors();
	test_idn_names();
	smime_global_deinit();
	return tap_done();
}
