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

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
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
	smime_lookup_ctx ctx = {t, ks, cd, NOW, NULL, NULL, NULL, false};

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
	smime_lookup_ctx ctx = {none, NULL, cd, NOW, NULL, NULL, NULL, false};

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
	smime_local_certs none = {0}, others = {other_ks, cd, NULL, NULL, NULL},
			  mine = {ks, NULL, NULL, NULL, NULL};
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

/* ------------------------------------------------------------------ */
/* Harvested certificates (HarvestDirectory, SPEC section 9)            */
/* ------------------------------------------------------------------ */

#define DAY ((time_t)86400)
#define YEAR (365 * DAY)

/* SMIMECapabilities { des-ede3-cbc }. */
static const unsigned char caps_3des[] = {0x30, 0x0c, 0x30, 0x0a, 0x06,
					  0x08, 0x2a, 0x86, 0x48, 0x86,
					  0xf7, 0x0d, 0x03, 0x07};

/* A CA made here (EC), trusted beside the fixtures' root, and the
 * certificates it issues for harvested correspondents. */
typedef struct test_ca {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
} test_ca;

static gnutls_x509_privkey_t ec_key(void)
{
	gnutls_x509_privkey_t k = NULL;

	if (gnutls_x509_privkey_init(&k) < 0)
		return NULL;
	if (gnutls_x509_privkey_generate(
		    k, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0) {
		gnutls_x509_privkey_deinit(k);
		return NULL;
	}
	return k;
}

static gnutls_x509_crt_t new_crt(gnutls_x509_privkey_t key, const char *dn,
				 time_t nb, time_t na, unsigned char sn)
{
	gnutls_x509_crt_t c = NULL;
	unsigned char serial[2] = {0x02, sn};

	if (gnutls_x509_crt_init(&c) < 0)
		return NULL;
	gnutls_x509_crt_set_version(c, 3);
	gnutls_x509_crt_set_serial(c, serial, sizeof serial);
	gnutls_x509_crt_set_activation_time(c, nb);
	gnutls_x509_crt_set_expiration_time(c, na);
	gnutls_x509_crt_set_dn(c, dn, NULL);
	gnutls_x509_crt_set_key(c, key);
	return c;
}

/* The CA, its certificate appended to the anchors file. */
static int make_ca(test_ca *ca, const char *anchors)
{
	gnutls_datum_t pem = {NULL, 0};
	FILE *fp;
	int ret = -1;

	ca->key = ec_key();
	ca->crt = ca->key ? new_crt(ca->key, "CN=Harvest Test CA",
				    NOW - 9 * YEAR, NOW + 9 * YEAR, 1)
			  : NULL;
	if (ca->crt == NULL)
		return -1;
	gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1);
	gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN |
						       GNUTLS_KEY_CRL_SIGN);
	if (gnutls_x509_crt_sign2(ca->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256,
				  0) < 0 ||
	    gnutls_x509_crt_export2(ca->crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
		return -1;
	fp = fopen(anchors, "a");
	if (fp != NULL) {
		ret = fwrite(pem.data, 1, pem.size, fp) == pem.size ? 0 : -1;
		fclose(fp);
	}
	gnutls_free(pem.data);
	return ret;
}

/* A certificate for addr (EC, key agreement, e-mail protection). */
static gnutls_datum_t issue_for(const test_ca *ca, const char *addr,
				const char *cn, time_t nb, time_t na,
				unsigned char sn)
{
	gnutls_x509_privkey_t k = ec_key();
	gnutls_x509_crt_t c = k ? new_crt(k, cn, nb, na, sn) : NULL;
	gnutls_datum_t der = {NULL, 0};

	if (c != NULL) {
		gnutls_x509_crt_set_basic_constraints(c, 0, -1);
		gnutls_x509_crt_set_key_usage(c,
					      GNUTLS_KEY_DIGITAL_SIGNATURE |
						      GNUTLS_KEY_KEY_AGREEMENT);
		gnutls_x509_crt_set_key_purpose_oid(
			c, GNUTLS_KP_EMAIL_PROTECTION, 0);
		gnutls_x509_crt_set_subject_alt_name(
			c, GNUTLS_SAN_RFC822NAME, addr, (unsigned)strlen(addr),
			GNUTLS_FSAN_SET);
		if (gnutls_x509_crt_sign2(c, ca->crt, ca->key,
					  GNUTLS_DIG_SHA256, 0) == 0)
			gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der);
		gnutls_x509_crt_deinit(c);
	}
	if (k != NULL)
		gnutls_x509_privkey_deinit(k);
	return der;
}

static void harvest(const char *dir, const char *addr, gnutls_datum_t der,
		    bool caps, time_t when)
{
	smime_harvest_in in = {.addr = addr,
			       .cert_der = der.data,
			       .cert_len = der.size,
			       .caps_der = caps ? caps_3des : NULL,
			       .caps_len = caps ? sizeof caps_3des : 0,
			       .has_signing_time = true,
			       .signing_time = when,
			       .now = NOW};

	if (der.data == NULL ||
	    smime_harvest_store(dir, 100, &in, NULL) != SMIME_HARVEST_STORED)
		ok(0, "harvest %s", addr);
	gnutls_free(der.data);
}

/* A directory that counts its calls and states capabilities (none) at
 * a given time for its harvested entries. */
static int dir_calls;
static time_t dir_caps_time;

static int counting_directory(void *arg, const char *addr, smime_found *placed,
			      smime_found *harvested)
{
	(void)arg;
	(void)addr;
	(void)placed;
	dir_calls++;
	if (dir_caps_time != 0) {
		harvested->has_caps = true;
		memset(&harvested->caps, 0, sizeof harvested->caps);
		harvested->caps_time = dir_caps_time;
	}
	return SMIME_DIR_ANSWERED;
}

/* n: the number of ciphers in the capabilities, -1 for unknown. */
static void expect_caps(const smime_lookup_ctx *ctx, const char *addr, int n,
			int calls, const char *what)
{
	smime_lookup_result r;

	dir_calls = 0;
	ok(smime_lookup_recipient(ctx, addr, &r) == 0 &&
		   (n < 0 ? !r.has_caps : r.has_caps && r.caps.n == (size_t)n),
	   "%s: capabilities", what);
	is_long(dir_calls, calls, "%s: directory asked %d times", what, calls);
	smime_lookup_result_clear(&r);
}

static void test_harvested(smime_certdir *cd)
{
	char dir[] = "/tmp/test_lookup_harvest.XXXXXX", anchors[4096], hdir[64];
	char cmd[8300];
	smime_trust_config tc = {0};
	smime_trust *t = NULL;
	test_ca ca = {NULL, NULL};
	smime_lookup_ctx ctx = {NULL, NULL, cd, NOW, NULL, NULL, NULL, false};

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(anchors, sizeof anchors, "%s/anchors.pem", dir);
	snprintf(cmd, sizeof cmd, "cp %s/root.pem %s", LOOKUP_DATA_DIR,
		 anchors);
	tc.anchor_file = anchors;
	if (system(cmd) != 0 || make_ca(&ca, anchors) < 0 ||
	    smime_trust_load(&tc, &t, NULL) < 0) {
		ok(0, "harvested: set up");
		goto cleanup;
	}
	snprintf(hdir, sizeof hdir, "%s/h", dir);
	harvest(hdir, "hana@example.org",
		issue_for(&ca, "hana@example.org", "CN=Hana", NOW - 2 * YEAR,
			  NOW + 5 * YEAR, 10),
		true, NOW - 3 * DAY);
	harvest(hdir, "hana@example.org",
		issue_for(&ca, "Hana@Example.org", "CN=Hana Expired",
			  NOW - YEAR, NOW - DAY, 11),
		false, NOW - 2 * DAY);
	harvest(hdir, "carol@example.org",
		issue_for(&ca, "carol@example.org", "CN=Carol Harvested",
			  NOW - DAY, NOW + 5 * YEAR, 12),
		true, NOW - DAY);
	ctx.trust = t;
	ctx.harvest_dir = hdir;
	expect(&ctx, "HANA@example.org", "harvest", "Hana", "ok",
	       "harvested: the newest expired, the one before is used");
	expect(&ctx, "carol@example.org", "certdir", "Carol New", "ok",
	       "harvested: CertDirectory outranks a harvested certificate");
	expect_caps(&ctx, "hana@example.org", 1, 0,
		    "harvested: the capabilities of a harvested address");
	ctx.now = NOW + 6 * YEAR;
	expect(&ctx, "hana@example.org", "(none)", "(none)", "expired",
	       "harvested: none usable, the reason");
	ctx.now = NOW;
	ctx.harvest_dir = NULL;
	expect(&ctx, "hana@example.org", "(none)", "(none)", "no-certificate",
	       "harvested: without HarvestDirectory, none");
	ctx.harvest_dir = hdir;
	ctx.directory = counting_directory;
	expect_caps(&ctx, "carol@example.org", 1, 0,
		    "harvested: CertDirectory certificate and harvested "
		    "capabilities, the directory is not asked");
	expect_caps(&ctx, "dave@example.org", -1, 1,
		    "harvested: without harvested capabilities it is asked");
	dir_caps_time = NOW - DAY / 2;
	expect_caps(&ctx, "hana@example.org", 0, 1,
		    "harvested: the directory's newer capabilities win");
	dir_caps_time = NOW - 5 * DAY;
	expect_caps(&ctx, "hana@example.org", 1, 1,
		    "harvested: HarvestDirectory's newer capabilities win");
	dir_caps_time = 0;
cleanup:
	if (ca.crt != NULL)
		gnutls_x509_crt_deinit(ca.crt);
	if (ca.key != NULL)
		gnutls_x509_privkey_deinit(ca.key);
	smime_trust_free(t);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
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
		test_harvested(cd);
	}
	smime_certdir_free(cd);
	smime_keystore_free(ks);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	smime_global_deinit();
	return tap_done();
}
