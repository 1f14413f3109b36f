/*
 * test_verify.c - the trust store (trust.c) and the verdicts of
 * verify.c/verify_sig.c/verify_chain.c, through smime_analyze() as the
 * milter calls them, on copies of corpus messages (tests/data/verify,
 * see its README).  The clock is fixed with opts.now, so the results do
 * not change as the certificates age.  Who may have signed (the
 * certificate's names against From and Sender, verify_names.c) is
 * test_verify_authors.c; the recipient-certificate check is
 * test_trust_recipient.c.
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

static void test_names(void)
{
	smime_result r = SMIME_RESULT_NONE;

	is_str(smime_result_name(SMIME_RESULT_PERMERROR), "permerror",
	       "result names follow SPEC section 7");
	is_str(smime_reason_name(SMIME_REASON_NOT_YET_VALID), "not-yet-valid",
	       "reason words follow SPEC section 7");
	ok(smime_reason_name(SMIME_REASON_NONE) == NULL,
	   "pass has no reason word");
	is_long(smime_reason_result(SMIME_REASON_CRL_UNAVAILABLE),
		SMIME_RESULT_TEMPERROR, "crl-unavailable belongs to temperror");
	is_long(smime_reason_result(SMIME_REASON_NO_CERTIFICATE),
		SMIME_RESULT_PERMERROR, "no-certificate belongs to permerror");
	is_long(smime_reason_result(SMIME_REASON_UNTRUSTED),
		SMIME_RESULT_POLICY, "untrusted belongs to policy, never fail");
	ok(smime_result_by_name("Policy", &r) == 0 && r == SMIME_RESULT_POLICY,
	   "result words parse case-insensitively");
	ok(smime_result_by_name("softfail", &r) == SMIME_E_PARSE,
	   "an unknown result word is refused");
}

static void test_trust_load(void)
{
	const char *weak[1] = {"sha3"};
	smime_trust_config c = {0};
	smime_buf diags = SMIME_BUF_INIT;
	smime_trust *t = NULL;
	int ret;

	t = load(NULL, NULL, NULL, NULL, 0);
	ok(t != NULL && smime_trust_anchor_count(t) == 0,
	   "a store without TrustAnchorFile loads with no anchors");
	smime_trust_free(t);
	t = load_default("nss-testca.pem", NULL);
	is_long((long)smime_trust_anchor_count(t), 1,
		"a PEM anchor file loads");
	smime_trust_free(t);
	t = load_default("pkits-ta.crt", "pkits-crls");
	is_long((long)smime_trust_anchor_count(t), 1,
		"a single DER anchor certificate is accepted too");
	is_long((long)smime_trust_crl_count(t), 4,
		"every DER CRL of a CRL directory is loaded");
	smime_trust_free(t);
	t = load_default("pkits-ta.crt", "pkits-crls/GoodCACRL.crl");
	is_long((long)smime_trust_crl_count(t), 1, "a single CRL file loads");
	smime_trust_free(t);

	c.anchor_file = "/nonexistent/anchors.pem";
	ret = smime_trust_load(&c, &t, &diags);
	is_long(ret, SMIME_E_IO, "a missing anchor file fails the load");
	ok(diags.len > 0 && strstr((char *)diags.data,
				   "/nonexistent/anchors.pem: ") != NULL,
	   "the diagnostic names the file");
	smime_buf_reset(&diags);
	c.anchor_file = path("sig-sha256-detached.eml");
	ret = smime_trust_load(&c, &t, &diags);
	is_long(ret, SMIME_E_PARSE,
		"an anchor file without certificates fails");
	smime_buf_reset(&diags);
	c.anchor_file = NULL;
	c.crl_path = path("nss-testca.pem");
	ret = smime_trust_load(&c, &t, &diags);
	is_long(ret, SMIME_E_PARSE, "a CRL file that holds no CRL fails");
	smime_buf_reset(&diags);
	c.crl_path = NULL;
	c.weak_digests = weak;
	c.nweak_digests = 1;
	ret = smime_trust_load(&c, &t, &diags);
	is_long(ret, SMIME_E_ARG, "an unknown WeakDigests name fails");
	ok(t == NULL, "a failed load hands out no store");
	smime_buf_free(&diags);
}

static void test_signature(void)
{
	smime_trust *ossl = load_default("smroot-cert.pem", NULL);
	smime_trust *nss = load_default("nss-testca.pem", NULL);
	smime_facts f;
	const smime_sigcheck *c;

	/* The OpenSSL test certificates carry no e-mail address. */
	expect_file("sig-sha256-detached.eml", ossl, NOW,
		    "policy/address-mismatch",
		    "a good signature whose certificate has no address");
	expect_file("sig-sha256-opaque.eml", ossl, NOW,
		    "policy/address-mismatch", "opaque SignedData verifies");
	expect_file("sig-sha256-detached-tampered.eml", ossl, NOW,
		    "fail/bad-signature", "a changed body byte fails");
	expect_file("sig-sha256-detached.eml", nss, NOW, "policy/untrusted",
		    "an unknown CA is policy untrusted, never fail");
	expect_file("sig-sha256-rsapss.eml", ossl, NOW,
		    "policy/address-mismatch",
		    "RSASSA-PSS with OpenSSL's maximum salt (222) verifies");
	expect_file("sig-sha256-nocerts.eml", ossl, NOW,
		    "permerror/no-certificate",
		    "no certificate for the signer anywhere is permerror");
	expect_file("no_md_attr.cms", ossl, NOW, "neutral/malformed",
		    "signed attributes without messageDigest are malformed");
	expect_file("bad_signtime_attr.cms", ossl, NOW, "neutral/malformed",
		    "signingTime as an unsigned attribute is malformed");
	expect_file(
		"pkcs7-empty-digest-set.eml", ossl, NOW, "neutral/malformed",
		"a signer digest missing from digestAlgorithms is malformed");

	analyze_file("sig-sha256-detached-tampered.eml", ossl, NOW, &f);
	c = verdict(&f, 0, 0);
	ok(has(c, SMIME_REASON_ADDRESS_MISMATCH) &&
		   has(c, SMIME_REASON_BAD_SIGNATURE),
	   "every problem is recorded, not only the deciding one");
	smime_facts_free(&f);

	analyze_file("sig-sha256-detached.eml", nss, NOW, &f);
	c = verdict(&f, 0, 0);
	ok(!has(c, SMIME_REASON_BAD_SIGNATURE),
	   "with an unknown CA the signature itself still counts as good");
	smime_facts_free(&f);

	analyze_file("sig-sha256-detached.eml", ossl, NOW, &f);
	c = verdict(&f, 0, 0);
	ok(c != NULL && c->has_caps && c->caps.n == 8 &&
		   c->caps.cipher[0] == SMIME_CIPHER_AES_256_CBC &&
		   c->caps.cipher[3] == SMIME_CIPHER_DES_EDE3_CBC &&
		   c->caps.cipher[7] == SMIME_CIPHER_RC2_40_CBC,
	   "the signer's SMIMECapabilities are read: OpenSSL's eight "
	   "ciphers, in its order");
	smime_facts_free(&f);

	analyze_file("SignedInvalidRevokedEETest3.eml", ossl, NOW, &f);
	c = verdict(&f, 0, 0);
	ok(c != NULL && !c->has_caps,
	   "a signer without SMIMECapabilities has none");
	smime_facts_free(&f);

	analyze_file("sig-sha256-2signers.eml", ossl, NOW, &f);
	is_long(f.nlayers ? (long)f.layers[0].nchecks : -1, 2,
		"two SignerInfos give two verdicts");
	is_str(rr(verdict(&f, 0, 1)), "policy/address-mismatch",
	       "the second signer is judged on its own");
	smime_facts_free(&f);

	analyze_file("alice.env.dsig.SHA256.multipart.eml", nss, NOW, &f);
	c = verdict(&f, 0, 0);
	is_str(rr(c), "pass", "a signer that hashed bare LF still passes");
	ok(c != NULL && c->lf_form,
	   "and the verdict says the LF form verified");
	smime_facts_free(&f);

	analyze_file("alice.dsig.SHA256.multipart.eml", nss, NOW, &f);
	c = verdict(&f, 0, 0);
	is_str(rr(c), "pass", "Alice's signature passes with the NSS test CA");
	ok(c != NULL && !c->lf_form, "over the canonical CRLF form");
	is_str(c ? c->identifier : NULL, "Alice@example.com",
	       "the identifier is the certificate's matching address");
	ok(c != NULL && c->has_signing_time, "the signingTime was read");
	smime_facts_free(&f);
	smime_trust_free(ossl);
	smime_trust_free(nss);
}

/* Analyses a file with MaxSignatures max. */
static int analyze_max(const char *name, const smime_trust *t, unsigned max,
		       smime_facts *f)
{
	smime_buf msg = SMIME_BUF_INIT;
	smime_analyze_opts o;
	int ret = read_file(name, &msg);

	memset(f, 0, sizeof(*f));
	smime_analyze_opts_default(&o);
	o.trust = t;
	o.now = NOW;
	o.max_signatures = max;
	if (ret == 0)
		ret = smime_analyze(msg.data, msg.len, NULL, &o, f);
	smime_buf_free(&msg);
	return ret;
}

static void test_max_signatures(void)
{
	static const char broken[] =
		"From: a@example.org\r\n"
		"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
		"--m\r\nContent-Type: multipart/signed; "
		"protocol=\"application/pkcs7-signature\"; boundary=s\r\n\r\n"
		"--s\r\n\r\none\r\n--s--\r\n"
		"--m\r\nContent-Type: multipart/signed; "
		"protocol=\"application/pkcs7-signature\"; boundary=t\r\n\r\n"
		"--t\r\n\r\ntwo\r\n--t--\r\n--m--\r\n";
	smime_trust *ossl = load_default("smroot-cert.pem", NULL);
	smime_trust *nss = load_default("nss-testca.pem", NULL);
	smime_buf msg = SMIME_BUF_INIT;
	smime_analyze_opts o;
	smime_facts f;

	smime_analyze_opts_default(&o);
	is_long(o.max_signatures, 100, "MaxSignatures defaults to 100");

	analyze_max("sig-sha256-2signers.eml", ossl, 1, &f);
	is_long(f.nlayers ? (long)f.layers[0].nchecks : -1, 1,
		"MaxSignatures 1: one of two SignerInfos gets a verdict");
	is_str(rr(verdict(&f, 0, 0)), "policy/address-mismatch",
	       "the first one, judged as always");
	is_long((long)f.unchecked_signatures, 1,
		"the other is counted as unchecked");
	smime_facts_free(&f);

	analyze_max("sig-sha256-2signers.eml", ossl, 2, &f);
	ok(f.nlayers && f.layers[0].nchecks == 2 && f.unchecked_signatures == 0,
	   "MaxSignatures 2: both checked, none left over");
	smime_facts_free(&f);

	analyze_max(
		"alice.plain.dsig.SHA256.multipart.dave.dsig.SHA256.multipart"
		".eml",
		nss, 1, &f);
	ok(f.nlayers == 2 && f.layers[0].nchecks == 1 &&
		   f.layers[1].nchecks == 0 && f.unchecked_signatures == 1,
	   "the bound holds across layers: the inner signer is not checked");
	smime_facts_free(&f);

	smime_buf_puts(&msg, broken);
	o.trust = ossl;
	o.now = NOW;
	o.max_signatures = 1;
	memset(&f, 0, sizeof(f));
	is_long(smime_analyze(msg.data, msg.len, NULL, &o, &f), 0,
		"two unreadable signed layers: analysed");
	ok(f.nlayers == 2 && f.layers[0].nchecks == 1 &&
		   f.layers[1].nchecks == 0 && f.unchecked_signatures == 1,
	   "an unreadable layer past MaxSignatures is counted, not stamped");
	smime_facts_free(&f);
	smime_buf_free(&msg);
	smime_trust_free(ossl);
	smime_trust_free(nss);
}

static void test_time_and_strength(void)
{
	smime_trust *nss = load_default("nss-testca.pem", NULL);
	smime_trust *big = load("nss-testca.pem", NULL, "md5", "sha1", 4096);
	smime_trust *ossl = load_default("smroot-cert.pem", NULL);
	smime_trust *md5ok = load("smroot-cert.pem", NULL, "sha1", NULL, 2048);
	smime_facts f;
	const smime_sigcheck *c;

	expect_file("alice.dsig.SHA256.multipart.eml", nss, YEAR_2100,
		    "policy/expired", "a certificate expired now is policy");
	expect_file("alice.dsig.SHA256.multipart.eml", nss, YEAR_2000,
		    "policy/not-yet-valid",
		    "a certificate not valid yet is policy");
	expect_file("alice.dsig.SHA256.multipart.eml", big, NOW,
		    "policy/weak-key", "an RSA key under MinRSABits is weak");
	expect_file("sig-md5-detached.eml", ossl, NOW, "policy/weak-digest",
		    "MD5 in WeakDigests is policy weak-digest");
	expect_file("sig-md5-detached.eml", md5ok, NOW,
		    "policy/address-mismatch",
		    "MD5 is accepted when WeakDigests leaves it out");

	analyze_file("sig-md5-detached.eml", ossl, NOW, &f);
	c = verdict(&f, 0, 0);
	ok(has(c, SMIME_REASON_ADDRESS_MISMATCH),
	   "weak-digest decides over address-mismatch (fixed policy order)");
	smime_facts_free(&f);
	smime_trust_free(nss);
	smime_trust_free(big);
	smime_trust_free(ossl);
	smime_trust_free(md5ok);
}

static void test_revocation(void)
{
	smime_trust *t = load_default("pkits-ta.crt", "pkits-crls");
	smime_trust *none = load_default("pkits-ta.crt", NULL);
	smime_facts f;

	expect_file("SignedInvalidRevokedEETest3.eml", t, NOW, "policy/revoked",
		    "a certificate on its issuer's CRL is revoked");
	expect_file("SignedInvalidRevokedEETest3.eml", none, NOW,
		    "policy/address-mismatch",
		    "without CRLs nothing is revoked (checked when present)");
	expect_file("SignedValidRFC822nameConstraintsTest21.eml", t, NOW,
		    "pass", "a PKITS path with matching rfc822Name passes");
	analyze_file("SignedInvalidOldCRLnextUpdateTest11.eml", t, NOW, &f);
	ok(has(verdict(&f, 0, 0), SMIME_REASON_CRL_UNAVAILABLE),
	   "a CRL past its nextUpdate cannot decide: crl-unavailable");
	is_str(rr(verdict(&f, 0, 0)), "policy/address-mismatch",
	       "a policy verdict decides over temperror");
	smime_facts_free(&f);
	smime_trust_free(t);
	smime_trust_free(none);
}

/* msg with its first pkcs7-signature part repeated before the close
 * delimiter: content, signature, signature. */
static int two_signatures(const smime_buf *msg, smime_buf *out)
{
	static const char bnd[] = "--"
				  "----757E07C1F47E20215B5C7692C9D3A872";
	const char *m = (const char *)msg->data, *first, *sig, *close;

	first = m ? strstr(m, bnd) : NULL; /* the Content-Type has 4 dashes */
	sig = first ? strstr(first + 1, bnd) : NULL;
	close = sig ? strstr(sig + 1, bnd) : NULL;
	if (close == NULL || strncmp(close + strlen(bnd), "--", 2) != 0)
		return -1;
	if (smime_buf_append(out, m, (size_t)(close - m)) < 0 ||
	    smime_buf_append(out, sig, (size_t)(close - sig)) < 0 ||
	    smime_buf_puts(out, close) < 0)
		return -1;
	return 0;
}

/* An S/MIME multipart/signed is exactly [content, pkcs7-signature]
 * (RFC 1847 2.1, RFC 8551 3.5.3): anything else is a signed layer that
 * cannot be read, neutral/malformed, never unsigned and never a verdict
 * on one of two signatures. */
static void test_broken_multipart_signed(void)
{
	static const char *const one_part =
		"From: a@example.org\r\nContent-Type: multipart/signed; "
		"protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";
	static const char *const no_parts =
		"From: a@example.org\r\nContent-Type: multipart/signed; "
		"protocol=\"application/x-pkcs7-signature\"; boundary=b\r\n\r\n"
		"no delimiter at all\r\n";
	static const char *const pgp =
		"From: a@example.org\r\nContent-Type: multipart/signed; "
		"protocol=\"application/pgp-signature\"; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";
	smime_trust *ossl = load_default("smroot-cert.pem", NULL);
	smime_buf msg = SMIME_BUF_INIT, two = SMIME_BUF_INIT;
	smime_facts f;

	smime_buf_puts(&msg, one_part);
	analyze_mem(&msg, ossl, NOW, &f);
	ok(f.nlayers == 1 && f.layers[0].kind == SMIME_KIND_SIGNED &&
		   strcmp(f.layers[0].part, "1") == 0,
	   "multipart/signed without its signature part: a signed layer, part "
	   "1");
	is_str(rr(verdict(&f, 0, 0)), "neutral/malformed",
	       "multipart/signed without its signature part is malformed");
	smime_facts_free(&f);
	smime_buf_reset(&msg);
	smime_buf_puts(&msg, no_parts);
	analyze_mem(&msg, ossl, NOW, &f);
	is_str(rr(verdict(&f, 0, 0)), "neutral/malformed",
	       "multipart/signed with no parts at all is malformed");
	smime_facts_free(&f);
	smime_buf_reset(&msg);
	smime_buf_puts(&msg, pgp);
	analyze_mem(&msg, ossl, NOW, &f);
	is_long((long)f.nlayers, 0, "a PGP multipart/signed is not ours");
	smime_facts_free(&f);
	smime_buf_reset(&msg);
	if (ok(read_file("sig-sha256-detached.eml", &msg) == 0 &&
		       two_signatures(&msg, &two) == 0,
	       "sig-sha256-detached.eml with its signature part twice")) {
		analyze_mem(&two, ossl, NOW, &f);
		is_str(rr(verdict(&f, 0, 0)), "neutral/malformed",
		       "two signature parts are malformed, not the first one's "
		       "verdict");
		smime_facts_free(&f);
	}
	smime_buf_free(&msg);
	smime_buf_free(&two);
	smime_trust_free(ossl);
}

/*
 * Every gnutls_x509_crt_import() of the library goes through here
 * (Makefile.am links this test with --wrap=gnutls_x509_crt_import), so
 * a test can count the certificates imported.
 */
int __real_gnutls_x509_crt_import(gnutls_x509_crt_t crt,
				  const gnutls_datum_t *data,
				  gnutls_x509_crt_fmt_t format);
int __wrap_gnutls_x509_crt_import(gnutls_x509_crt_t crt,
				  const gnutls_datum_t *data,
				  gnutls_x509_crt_fmt_t format);

static atomic_ulong crt_imports;

int __wrap_gnutls_x509_crt_import(gnutls_x509_crt_t crt,
				  const gnutls_datum_t *data,
				  gnutls_x509_crt_fmt_t format)
{
	atomic_fetch_add(&crt_imports, 1);
	return __real_gnutls_x509_crt_import(crt, data, format);
}

/* The facts and the verdicts read one decoded SignedData: each of its
 * certificates is imported once, not once for each (issue 14). */
static void test_certificates_imported_once(void)
{
	smime_trust *t = load_default("nss-testca.pem", NULL);
	const char *files[] = {
		"sig-sha256-2signers.eml",
		"sig-sha256-opaque.eml",
		"SignedInvalidRevokedEETest3.eml",
		("alice.plain.dsig.SHA256.multipart.dave.dsig.SHA256.multipart."
		 "eml"),
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		smime_facts f = {0};
		size_t certs = 0, checks = 0;
		unsigned long n;
		int ret;

		atomic_store(&crt_imports, 0);
		ret = analyze_file(files[i], t, NOW, &f);
		n = atomic_load(&crt_imports);
		for (size_t l = 0; l < f.nlayers; l++) {
			certs += f.layers[l].cms.ncertificates;
			checks += f.layers[l].nchecks;
		}
		ok(ret == 0 && checks > 0 && certs > 0 && n == certs,
		   "%s: %lu certificate imports for %zu certificates, %zu "
		   "verdicts",
		   files[i], n, certs, checks);
		smime_facts_free(&f);
	}
	smime_trust_free(t);
}

/* smime_verify_signed() decodes the SignedData itself and gives the
 * verdicts the analysis gives, importing each certificate once too. */
static void test_verify_signed_alone(void)
{
	smime_trust *t = load_default("smroot-cert.pem", NULL);
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	smime_buf msg = SMIME_BUF_INIT, der = SMIME_BUF_INIT;
	smime_part *root = NULL;
	smime_sigcheck *v = NULL;
	smime_verify_req req = {.now = NOW};
	smime_facts f = {0};
	size_t n = 0, left = 9;
	unsigned long imports;

	analyze_file("sig-sha256-opaque.eml", t, NOW, &f);
	read_file("sig-sha256-opaque.eml", &msg);
	if (smime_mime_parse(msg.data, msg.len, NULL, NULL, &root) == 0)
		smime_part_decode(msg.data, root, &der);
	smime_mime_free(root);
	req.der = der.data;
	req.der_len = der.len;
	atomic_store(&crt_imports, 0);
	is_long(smime_verify_signed(t, &req, &v, &n, &left), 0,
		"smime_verify_signed reads a SignedData on its own");
	imports = atomic_load(&crt_imports);
	ok(n == 1 && f.nlayers == 1 && f.layers[0].nchecks == 1 &&
		   v[0].match == SMIME_SIGMATCH_OK &&
		   strcmp(rr(&v[0]), rr(verdict(&f, 0, 0))) == 0 && left == 0,
	   "its verdict is the analysis's: %s", n ? rr(&v[0]) : "none");
	ok(imports == f.layers[0].cms.ncertificates,
	   "it imports each of the %zu certificates once (%lu imports)",
	   f.layers[0].cms.ncertificates, imports);
	smime_sigchecks_free(v, n);
	req.der = junk;
	req.der_len = sizeof(junk);
	is_long(smime_verify_signed(t, &req, &v, &n, NULL), 0,
		"bytes that are no SignedData are a verdict, not an error");
	is_str(n == 1 ? rr(&v[0]) : "?", "neutral/malformed",
	       "one neutral/malformed verdict for them");
	smime_sigchecks_free(v, n);
	smime_facts_free(&f);
	smime_buf_free(&msg);
	smime_buf_free(&der);
	smime_trust_free(t);
}

static void test_no_trust(void)
{
	smime_facts f;

	analyze_file("sig-sha256-detached.eml", NULL, NOW, &f);
	ok(f.nlayers == 1 && f.layers[0].nchecks == 0 &&
		   f.layers[0].checks == NULL,
	   "without a trust store nothing is verified");
	smime_facts_free(&f);
}

/* One store shared by verifying threads, as the milter shares it. */
typedef struct shared_run {
	const smime_trust *t;
	const smime_buf *msg;
	int passes;
} shared_run;

static int verify_thread(void *arg)
{
	shared_run *r = arg;

	for (int i = 0; i < 25; i++) {
		smime_facts f = {0};

		if (analyze_mem(r->msg, r->t, NOW, &f) == 0 &&
		    strcmp(rr(verdict(&f, 0, 0)), "pass") == 0)
			r->passes++;
		smime_facts_free(&f);
	}
	return 0;
}

static void test_threads(void)
{
	smime_trust *t = load_default("nss-testca.pem", "pkits-crls");
	smime_buf msg = SMIME_BUF_INIT;
	shared_run runs[4];
	thrd_t th[4];
	int started = 0, passes = 0;

	read_file("alice.dsig.SHA256.multipart.eml", &msg);
	for (int i = 0; i < 4; i++) {
		runs[i] = (shared_run){t, &msg, 0};
		if (thrd_create(&th[i], verify_thread, &runs[i]) ==
		    thrd_success)
			started++;
		else
			break;
	}
	for (int i = 0; i < started; i++) {
		thrd_join(th[i], NULL);
		passes += runs[i].passes;
	}
	is_long(passes, 100, "four threads verifying with one store all pass");
	smime_buf_free(&msg);
	smime_trust_free(t);
}

int main(void)
{
	if (smime_global_init() < 0) {
		printf("Bail out! smime_global_init failed\n");
		return 1;
	}
	test_names();
	test_trust_load();
	test_signature();
	test_max_signatures();
	test_time_and_strength();
	test_revocation();
	test_no_trust();
	test_certificates_imported_once();
	test_verify_signed_alone();
	test_broken_multipart_signed();
	test_threads();
	smime_global_deinit();
	return tap_done();
}
