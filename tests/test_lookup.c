/*
 * test_lookup.c - the certificate lookup of SPEC section 9 (lookup.c) and
 * the reasons smime_judge_recipient gives (trust_recipient.c), on the
 * fixtures of tests/data/lookup (see make.sh there): a trust anchor, its
 * CRL, a certificate directory, and the key store of
 * tests/data/verify/rcpt/gen/ks (me@example.com); and the signer
 * certificate a SignedData lacks, found among the local certificates of
 * the From address (verify.c).  The clock is fixed, so the results do
 * not change as the certificates age.
 */
#include "smime.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LOOKUP_DATA_DIR
#define LOOKUP_DATA_DIR "tests/data/lookup"
#endif
#ifndef VERIFY_DATA_DIR
#define VERIFY_DATA_DIR "tests/data/verify"
#endif

#define NOW ((time_t)1796083200)        /* 2026-12-01 */
#define YEAR_2045 ((time_t)2366841600)  /* after every fixture expired */
#define SIGNED_NOW ((time_t)1796515200) /* 2026-12-06, after the signing */

static smime_trust *load_trust(bool anchor, bool crl)
{
	const char *weak[] = {"md5", "sha1"};
	smime_trust_config c = {.weak_digests = weak, .nweak_digests = 2};
	smime_trust *t = NULL;

	if (anchor)
		c.anchor_file = LOOKUP_DATA_DIR "/root.pem";
	if (crl)
		c.crl_path = LOOKUP_DATA_DIR "/crl.pem";
	return smime_trust_load(&c, &t, NULL) < 0 ? NULL : t;
}

/* A key store in the new temporary directory dir made from the files
 * SRC/FROM copied to TO (the key among them made private). */
static smime_keystore *load_keystore(char *dir, const char *src,
				     const char *crt_from, const char *crt_to,
				     const char *key)
{
	smime_keystore *ks = NULL;
	char cmd[8192];

	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(cmd, sizeof(cmd),
		 "cp %s/%s %s/%s && cp %s/%s %s/ && chmod 600 %s/%s", src,
		 crt_from, dir, crt_to, src, key, dir, dir, key);
	if (system(cmd) == 0)
		smime_keystore_load(dir, NULL, &ks);
	return ks;
}

static const char *cn_of(const smime_lookup_result *r)
{
	const char *s = r->cert ? smime_cert_get_info(r->cert)->subject : NULL;
	const char *cn = s ? strstr(s, "CN=") : NULL;
	static char buf[128];
	size_t n;

	if (cn == NULL)
		return "(none)";
	cn += 3;
	n = strcspn(cn, ",");
	snprintf(buf, sizeof(buf), "%.*s", (int)n, cn);
	return buf;
}

/* One lookup: the source, the certificate's CN and the reason. */
static void expect(const smime_lookup_ctx *ctx, const char *addr,
		   const char *source, const char *cn, const char *reason,
		   const char *what)
{
	smime_lookup_result r;

	ok(smime_lookup_recipient(ctx, addr, &r) == 0, "%s: looked up", what);
	is_str(r.source ? r.source : "(none)", source, "%s: source", what);
	is_str(cn_of(&r), cn, "%s: certificate", what);
	is_str(smime_rcpt_status_name(r.reason), reason, "%s: reason", what);
	smime_lookup_result_clear(&r);
}

static void test_lookup(smime_keystore *ks, smime_certdir *cd)
{
	smime_trust *t = load_trust(true, false);
	smime_trust *crl = load_trust(true, true);
	smime_trust *none = load_trust(false, false);
	smime_lookup_ctx ctx = {t, ks, cd, NOW, NULL, NULL};

	if (t == NULL || crl == NULL || none == NULL) {
		ok(0, "lookup: trust stores load");
		goto cleanup;
	}
	expect(&ctx, "me@example.com", "keystore", "Key Store User", "ok",
	       "the key store beats a directory certificate with a later "
	       "notBefore");
	expect(&ctx, "carol@example.org", "certdir", "Carol New", "ok",
	       "the latest notBefore wins");
	expect(&ctx, "CAROL@EXAMPLE.org", "certdir", "Carol New", "ok",
	       "the address is compared without regard to ASCII case");
	expect(&ctx, "dave@example.org", "certdir", "Dave", "ok",
	       "an expired certificate gives way to a usable one");
	expect(&ctx, "nobody@example.org", "(none)", "(none)", "no-certificate",
	       "an address no source carries");
	expect(&ctx, "old@example.org", "(none)", "(none)", "expired",
	       "the only certificate expired");
	expect(&ctx, "later@example.org", "(none)", "(none)", "not-yet-valid",
	       "the only certificate is not valid yet");
	expect(&ctx, "sign@example.org", "(none)", "(none)", "key-usage",
	       "the only certificate does not allow key encipherment");
	expect(&ctx, "rev@example.org", "certdir", "Revoked", "ok",
	       "without CRLs nothing is revoked");
	ctx.trust = crl;
	expect(&ctx, "rev@example.org", "(none)", "(none)", "revoked",
	       "the root's CRL lists the only certificate");
	expect(&ctx, "carol@example.org", "certdir", "Carol New", "ok",
	       "the root's CRL does not list the others");
	ctx.trust = none;
	expect(&ctx, "carol@example.org", "(none)", "(none)", "untrusted",
	       "without the anchor a directory certificate is untrusted");
	expect(&ctx, "me@example.com", "keystore", "Key Store User", "ok",
	       "key store certificates are trusted as they are");
	ctx.trust = t;
	ctx.now = YEAR_2045;
	expect(&ctx, "me@example.com", "(none)", "(none)", "expired",
	       "an expired key store certificate is not used");
	ctx.now = NOW;
	ctx.keys = NULL;
	expect(&ctx, "me@example.com", "certdir", "Me In The Directory", "ok",
	       "without the key store the directory answers");
	ctx.certdir = NULL;
	expect(&ctx, "me@example.com", "(none)", "(none)", "no-certificate",
	       "no sources, no certificate");
cleanup:
	smime_trust_free(t);
	smime_trust_free(crl);
	smime_trust_free(none);
}

/* The best failing candidate's reason: untrusted beats expired. */
static void test_reason_precedence(smime_certdir *cd)
{
	smime_trust *none = load_trust(false, false);
	smime_lookup_ctx ctx = {none, NULL, cd, NOW, NULL, NULL};

	/* dave@: one expired, one untrusted without the anchor. */
	expect(&ctx, "dave@example.org", "(none)", "(none)", "untrusted",
	       "the candidate closest to usable names the reason");
	smime_trust_free(none);
}

/* smime_judge_recipient agrees with smime_trust_recipient. */
static void test_judge_agrees(smime_keystore *ks, smime_certdir *cd)
{
	smime_trust *crl = load_trust(true, true);
	size_t bad = 0;

	for (size_t i = 0; i < smime_certdir_count(cd); i++) {
		const smime_cert *c = smime_certdir_at(cd, i);
		bool yes = smime_trust_recipient(crl, c, cd, ks, NOW);
		smime_rcpt_status s =
			smime_judge_recipient(crl, c, cd, ks, NOW);

		if (yes != (s == SMIME_RCPT_OK))
			bad++;
	}
	ok(smime_certdir_count(cd) == 9 && bad == 0,
	   "judge: ok exactly when smime_trust_recipient is true");
	is_str(smime_rcpt_status_name(
		       smime_judge_recipient(crl, NULL, cd, ks, NOW)),
	       "no-certificate", "judge: no certificate");
	smime_trust_free(crl);
}

/* The verdict on signed-nocerts.eml, whose SignedData carries no
 * certificate, with the given local certificates. */
static const char *nocerts_verdict(const smime_trust *t,
				   const smime_local_certs *local)
{
	static char buf[64];
	smime_buf msg = SMIME_BUF_INIT;
	smime_analyze_opts o;
	smime_facts f = {0};
	FILE *in = fopen(LOOKUP_DATA_DIR "/signed-nocerts.eml", "rb");
	char chunk[4096];
	size_t n;

	snprintf(buf, sizeof(buf), "(unread)");
	while (in != NULL && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		smime_buf_append(&msg, chunk, n);
	if (in != NULL)
		fclose(in);
	smime_analyze_opts_default(&o);
	o.trust = t;
	o.now = SIGNED_NOW;
	o.local = *local;
	if (msg.len > 0 &&
	    smime_analyze(msg.data, msg.len, NULL, &o, &f) == 0 &&
	    f.nlayers == 1 && f.layers[0].nchecks == 1) {
		const smime_sigcheck *c = &f.layers[0].checks[0];
		const char *reason = smime_reason_name(c->reason);

		snprintf(buf, sizeof(buf), "%s/%s",
			 smime_result_name(c->result), reason ? reason : "-");
	}
	smime_facts_free(&f);
	smime_buf_free(&msg);
	return buf;
}

/* A signer certificate the SignedData lacks comes from the local
 * certificates of the From address (verify.c find_cert). */
static void test_local_signer(smime_keystore *other_ks, smime_certdir *cd)
{
	char dir[] = "/tmp/test_lookup_signer.XXXXXX";
	/* A key store entry for the signer: signer.pem + signer.key. */
	smime_keystore *ks = load_keystore(dir, LOOKUP_DATA_DIR, "signer.pem",
					   "signer.crt", "signer.key");
	smime_trust *t = load_trust(true, false);
	smime_local_certs none = {0}, others = {other_ks, cd, NULL, NULL},
			  mine = {ks, NULL, NULL, NULL};
	char cmd[4096];

	ok(ks != NULL && t != NULL, "local signer: set up");
	is_str(nocerts_verdict(t, &none), "permerror/no-certificate",
	       "local signer: without local certificates, no certificate");
	is_str(nocerts_verdict(t, &others), "permerror/no-certificate",
	       "local signer: local certificates of other addresses are not "
	       "used");
	is_str(nocerts_verdict(t, &mine), "pass/-",
	       "local signer: the key store's certificate of the From address "
	       "verifies it");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	smime_keystore_free(ks);
	smime_trust_free(t);
}

int main(void)
{
	char dir[] = "/tmp/test_lookup.XXXXXX";
	smime_keystore *ks;
	smime_certdir *cd = NULL;
	char cmd[4096];

	if (smime_global_init() < 0) {
		printf("Bail out! smime_global_init failed\n");
		return 1;
	}
	/* The key store of the recipient tests: me@example.com. */
	ks = load_keystore(dir, VERIFY_DATA_DIR "/rcpt/gen/ks", "me.crt",
			   "me.crt", "me.key");
	if (ks == NULL ||
	    smime_certdir_load(LOOKUP_DATA_DIR "/certs", NULL, &cd) < 0) {
		ok(0, "lookup: the fixtures load");
	} else {
		test_lookup(ks, cd);
		test_reason_precedence(cd);
		test_judge_agrees(ks, cd);
		test_local_signer(ks, cd);
	}
	smime_certdir_free(cd);
	smime_keystore_free(ks);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	smime_global_deinit();
	return tap_done();
}
