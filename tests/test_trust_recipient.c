/*
 * test_trust_recipient.c - whether a certificate is usable for
 * encryption (trust_recipient.c, SPEC section 9): validity, key usage,
 * the path to a trust anchor, CRLs, on the fixtures of tests/data/verify
 * (rcpt/, PKITS); the clock is fixed.
 */
#include "smime.h"
#include "tap.h"
#include "verify_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const smime_cert *by_cn(const smime_certdir *cd, const char *cn)
{
	for (size_t i = 0; i < smime_certdir_count(cd); i++) {
		const smime_cert *c = smime_certdir_at(cd, i);

		if (strstr(smime_cert_get_info(c)->subject, cn) != NULL)
			return c;
	}
	return NULL;
}

/* Recipient certificates (trust_recipient.c): PKITS certificates in a
 * certificate directory, the PKITS trust anchor in the store. */
static void test_recipient(void)
{
	smime_trust *t = load_default("pkits-ta.crt", NULL);
	smime_trust *none = load_default(NULL, NULL);
	smime_trust *other = load_default("smroot-cert.pem", NULL);
	smime_certdir *cd = NULL;
	const smime_cert *ee, *ca, *bad, *rollover;

	if (t == NULL || none == NULL || other == NULL ||
	    smime_certdir_load(path("rcpt"), NULL, &cd) < 0) {
		ok(0, "recipient: set up");
		goto cleanup;
	}
	ee = by_cn(cd, "Valid EE Certificate Test1");
	ca = by_cn(cd, "CN=Good CA");
	bad = by_cn(cd, "Invalid EE Signature Test3");
	rollover = by_cn(cd, "Valid Rollover PrintableString");
	ok(ee && ca && bad && rollover, "recipient: the certificates load");
	ok(smime_trust_recipient(t, ee, cd, NULL, NOW),
	   "recipient: chains through a directory CA to the anchor");
	ok(!smime_trust_recipient(t, ca, cd, NULL, NOW),
	   "recipient: a CA certificate (keyCertSign, cRLSign) is no "
	   "recipient");
	ok(!smime_trust_recipient(t, ee, NULL, NULL, NOW),
	   "recipient: without its issuer it does not chain");
	ok(!smime_trust_recipient(t, ee, cd, NULL, YEAR_2100),
	   "recipient: expired at the caller's clock");
	ok(!smime_trust_recipient(t, ee, cd, NULL, YEAR_2000),
	   "recipient: not yet valid at the caller's clock");
	ok(!smime_trust_recipient(t, bad, cd, NULL, NOW),
	   "recipient: a signature that does not verify");
	ok(smime_trust_recipient(t, rollover, cd, NULL, NOW),
	   "recipient: an issuer Name in another string type (PKITS 4.3.10)");
	ok(!smime_trust_recipient(none, ee, cd, NULL, NOW),
	   "recipient: without TrustAnchorFile nothing chains");
	ok(!smime_trust_recipient(other, ee, cd, NULL, NOW),
	   "recipient: another anchor is no anchor");
	ok(!smime_trust_recipient(NULL, ee, cd, NULL, NOW),
	   "recipient: no store, no trust");
cleanup:
	smime_certdir_free(cd);
	smime_trust_free(t);
	smime_trust_free(none);
	smime_trust_free(other);
}

/* Recipient certificates against CRLs: PKITS 4.4.3 (Good CA's CRL lists
 * the EE), with the PKITS CRLs configured (the anchor's CRL for Good CA,
 * Good CA's for the EEs), with only the anchor's, and with none. */
static void test_recipient_crl(void)
{
	smime_trust *all = load_default("pkits-ta.crt", "pkits-crls");
	smime_trust *root = load_default("pkits-ta.crt",
					 "pkits-crls/TrustAnchorRootCRL.crl");
	smime_trust *none = load_default("pkits-ta.crt", NULL);
	smime_certdir *cd = NULL;
	const smime_cert *ee, *revoked;

	if (all == NULL || root == NULL || none == NULL ||
	    smime_certdir_load(path("rcpt"), NULL, &cd) < 0) {
		ok(0, "recipient CRL: set up");
		goto cleanup;
	}
	ee = by_cn(cd, "Valid EE Certificate Test1");
	revoked = by_cn(cd, "Invalid Revoked EE Certificate Test3");
	ok(ee && revoked, "recipient CRL: the certificates load");
	ok(smime_trust_recipient(all, ee, cd, NULL, NOW),
	   "recipient CRL: current CRLs that list nothing of the path");
	ok(!smime_trust_recipient(all, revoked, cd, NULL, NOW),
	   "recipient CRL: a revoked certificate is refused");
	ok(!smime_trust_recipient(root, ee, cd, NULL, NOW),
	   "recipient CRL: CRLs configured, none of the issuer: refused");
	ok(smime_trust_recipient(none, revoked, cd, NULL, NOW),
	   "recipient CRL: without CRLs no revocation check");
cleanup:
	smime_certdir_free(cd);
	smime_trust_free(all);
	smime_trust_free(root);
	smime_trust_free(none);
}

/* A copy of rcpt/gen/ks with its key file private, as the store wants. */
static smime_keystore *load_rcpt_keystore(char *dir)
{
	smime_keystore *ks = NULL;
	char cmd[8192];

	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(cmd, sizeof(cmd), "cp %s/* %s/ && chmod 600 %s/me.key",
		 path("rcpt/gen/ks"), dir, dir);
	if (system(cmd) == 0)
		smime_keystore_load(dir, NULL, &ks);
	return ks;
}

/* Recipient key usage and issuers from the key store: the certificates
 * rcpt/gen/make.sh made, each looked up with the directory and the key
 * store as pools or not. */
static const struct usage_case {
	const char *cn;
	bool dir, keys, trusted;
	const char *what;
} usage_cases[] = {
	{"Good Usage EE", true, false, true,
	 "recipient usage: keyEncipherment and emailProtection"},
	{"Any EKU EE", true, false, true,
	 "recipient usage: anyExtendedKeyUsage"},
	{"Signing Only EE", true, false, false,
	 "recipient usage: keyUsage without keyEncipherment is refused"},
	{"Server EKU EE", true, false, false,
	 "recipient usage: extKeyUsage without emailProtection is refused"},
	{"Sub CA EE", true, false, false,
	 "recipient issuers: the sub CA is in no pool"},
	{"Sub CA EE", true, true, true,
	 "recipient issuers: the sub CA from a key's chain in the key store"},
	{"Sub CA EE", false, true, true,
	 "recipient issuers: the key store alone"},
};

static void test_recipient_usage(void)
{
	smime_trust *t = load_default("rcpt/gen/root.pem", NULL);
	smime_certdir *cd = NULL;
	smime_keystore *ks = NULL;
	char dir[] = "/tmp/test_verify_ks.XXXXXX", cmd[64];

	ks = load_rcpt_keystore(dir);
	if (t == NULL || ks == NULL ||
	    smime_certdir_load(path("rcpt/gen/certs"), NULL, &cd) < 0) {
		ok(0, "recipient usage: set up");
		goto cleanup;
	}
	for (size_t i = 0; i < sizeof(usage_cases) / sizeof(usage_cases[0]);
	     i++) {
		const struct usage_case *u = &usage_cases[i];
		const smime_cert *c = by_cn(cd, u->cn);

		ok(c != NULL && smime_trust_recipient(t, c, u->dir ? cd : NULL,
						      u->keys ? ks : NULL,
						      NOW) == u->trusted,
		   "%s", u->what);
	}
cleanup:
	smime_keystore_free(ks);
	smime_certdir_free(cd);
	smime_trust_free(t);
	if (strchr(dir, 'X') == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			ok(0, "recipient usage: clean up");
	}
}

int main(void)
{
	if (smime_global_init() < 0) {
		printf("Bail out! smime_global_init failed\n");
		return 1;
	}
	test_recipient();
	test_recipient_crl();
	test_recipient_usage();
	smime_global_deinit();
	return tap_done();
}
