/*
 * test_lookup_directory.c - the directory as the lookup's third and
 * fourth source (SPEC section 9, lookup.c and found.c), through a
 * directory callback that answers from fixture files the way the LDAP
 * glue does: the certificates the operator placed, the harvested ones,
 * or "unavailable".  And what a userSMIMECertificate gives: its
 * certificates and its first SignerInfo's SMIMECapabilities.  The
 * fixtures are tests/data/lookup (certificates, anchor) and
 * tests/data/ldap (userSMIMECertificate values); the clock is fixed.
 */
#include "smime.h"
#include "tap.h"

#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LOOKUP_DATA_DIR
#define LOOKUP_DATA_DIR "tests/data/lookup"
#endif
#ifndef LDAP_DATA_DIR
#define LDAP_DATA_DIR "tests/data/ldap"
#endif

#define NOW ((time_t)1796083200) /* 2026-12-01 */

/* What the fake directory answers: files for each list, or down. */
typedef struct fake_dir {
	bool down;
	const char *placed[3]; /* PEM certificates or .p7 values */
	const char *harvested[3];
	int calls;
} fake_dir;

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = malloc(65536);

	*len = 0;
	if (fp == NULL || buf == NULL) {
		if (fp)
			fclose(fp);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, 65536, fp);
	fclose(fp);
	return buf;
}

/* A .pem certificate becomes DER (userCertificate;binary), a .p7 is a
 * userSMIMECertificate. */
static int add_file(smime_found *f, const char *name)
{
	char path[512];
	size_t len;
	unsigned char *data;
	gnutls_datum_t pem, der = {NULL, 0};
	int rc;

	if (strstr(name, ".p7") != NULL) {
		snprintf(path, sizeof path, "%s/%s", LDAP_DATA_DIR, name);
		data = slurp(path, &len);
		rc = data ? smime_found_add_smime_cert(f, data, len, "test")
			  : -1;
		free(data);
		return rc;
	}
	snprintf(path, sizeof path, "%s/certs/%s", LOOKUP_DATA_DIR, name);
	data = slurp(path, &len);
	if (data == NULL)
		return -1;
	pem.data = data;
	pem.size = (unsigned)len;
	rc = gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der) < 0 ? -1 : 0;
	if (rc == 0)
		rc = smime_found_add_der(f, der.data, der.size, "test");
	gnutls_free(der.data);
	free(data);
	return rc;
}

static int fake_find(void *arg, const char *addr, smime_found *placed,
		     smime_found *harvested)
{
	fake_dir *d = arg;

	(void)addr;
	d->calls++;
	if (d->down)
		return SMIME_DIR_UNAVAILABLE;
	for (int i = 0; i < 3 && d->placed[i]; i++)
		if (add_file(placed, d->placed[i]) != 0)
			return SMIME_E_NOMEM;
	for (int i = 0; i < 3 && d->harvested[i]; i++)
		if (add_file(harvested, d->harvested[i]) != 0)
			return SMIME_E_NOMEM;
	return SMIME_DIR_ANSWERED;
}

static smime_trust *load_trust(void)
{
	smime_trust_config c = {.anchor_file = LOOKUP_DATA_DIR "/root.pem"};
	smime_trust *t = NULL;

	return smime_trust_load(&c, &t, NULL) < 0 ? NULL : t;
}

static const char *cn_of(const smime_lookup_result *r)
{
	const char *s = r->cert ? smime_cert_get_info(r->cert)->subject : NULL;

	return s ? s : "(none)";
}

/* One lookup with the fake directory; checks source, subject, reason. */
static void expect(smime_lookup_ctx *ctx, fake_dir *d, const char *addr,
		   const char *source, const char *subject, const char *reason,
		   const char *what)
{
	smime_lookup_result r;

	ctx->directory_arg = d;
	ok(smime_lookup_recipient(ctx, addr, &r) == 0, "%s: looked up", what);
	is_str(r.source ? r.source : "(none)", source, "%s: source", what);
	is_str(cn_of(&r), subject, "%s: certificate", what);
	is_str(smime_rcpt_status_name(r.reason), reason, "%s: reason", what);
	smime_lookup_result_clear(&r);
}

static void test_sources(smime_trust *t, smime_certdir *cd)
{
	smime_lookup_ctx ctx = {t, NULL, cd, NOW, fake_find, NULL, NULL, false};
	fake_dir placed = {.placed = {"dave.pem"}};
	fake_dir both = {.placed = {"carol-old.pem"},
			 .harvested = {"carol-old.pem"}};
	fake_dir harvested = {.harvested = {"dave.pem"}};
	fake_dir expired_placed = {.placed = {"dave-old.pem"},
				   .harvested = {"dave.pem"}};
	fake_dir down = {.down = true};
	fake_dir empty = {0};
	fake_dir smime = {.placed = {"dave-certsonly.p7"}};

	ctx.certdir = NULL;
	expect(&ctx, &placed, "dave@example.org", "ldap", "CN=Dave", "ok",
	       "a certificate the operator placed in the directory");
	expect(&ctx, &smime, "Dave@EXAMPLE.org", "ldap", "CN=Dave", "ok",
	       "a userSMIMECertificate's certificate, address in any case");
	expect(&ctx, &harvested, "dave@example.org", "harvest", "CN=Dave", "ok",
	       "a certificate harvested into the directory");
	expect(&ctx, &expired_placed, "dave@example.org", "harvest", "CN=Dave",
	       "ok",
	       "an expired placed certificate gives way to a harvested one");
	expect(&ctx, &empty, "dave@example.org", "(none)", "(none)",
	       "no-certificate", "the directory has nothing");
	expect(&ctx, &placed, "carol@example.org", "(none)", "(none)",
	       "no-certificate",
	       "a directory certificate for another address is not used");
	ctx.certdir = cd;
	expect(&ctx, &both, "carol@example.org", "certdir", "CN=Carol New",
	       "ok", "CertDirectory outranks the directory and the harvest");
	expect(&ctx, &down, "carol@example.org", "(none)", "(none)",
	       "directory-unavailable",
	       "a directory that cannot answer is never read as none there");
	expect(&ctx, &down, "nobody@example.org", "(none)", "(none)",
	       "directory-unavailable",
	       "an unknown address with the directory down is unavailable");
	ok(down.calls == 2, "the directory is asked once per lookup");
	/* A named cipher needs no capabilities (encrypt aes-256-cbc): a
	 * CertDirectory certificate is used without the directory. */
	ctx.no_caps = true;
	down.calls = 0;
	expect(&ctx, &down, "carol@example.org", "certdir", "CN=Carol New",
	       "ok",
	       "needing no capabilities, a CertDirectory certificate does "
	       "not wait for a directory that is down");
	ok(down.calls == 0, "and the directory is not asked for it");
	expect(&ctx, &down, "nobody@example.org", "(none)", "(none)",
	       "directory-unavailable",
	       "an address only the directory could know still is "
	       "unavailable");
}

static void test_capabilities(smime_trust *t)
{
	smime_lookup_ctx ctx = {t,         NULL, NULL, NOW,
				fake_find, NULL, NULL, false};
	fake_dir d = {.placed = {"dave-certsonly.p7", "signer-caps.p7"}};
	fake_dir none = {.placed = {"dave.pem"}};
	smime_lookup_result r;
	smime_cipher_id id;
	const smime_caps *caps;

	ctx.directory_arg = &d;
	ok(smime_lookup_recipient(&ctx, "dave@example.org", &r) == 0 &&
		   r.cert != NULL,
	   "capabilities: looked up");
	ok(r.has_caps, "a userSMIMECertificate's capabilities are the "
		       "address's");
	caps = &r.caps;
	ok(r.has_caps && smime_caps_supports(caps, SMIME_CIPHER_AES_256_CBC,
					     SMIME_CIPHER_UNKNOWN),
	   "OpenSSL's list names aes-256-cbc");
	ok(r.has_caps && !smime_caps_supports(caps, SMIME_CIPHER_AES_256_GCM,
					      SMIME_CIPHER_UNKNOWN),
	   "and not aes-256-gcm");
	id = smime_auto_cipher(&caps, 1, SMIME_CIPHER_AES_128_CBC, 0, 0);
	ok(id == SMIME_CIPHER_AES_256_CBC,
	   "auto picks aes-256-cbc from them, not DefaultCipher");
	smime_lookup_result_clear(&r);
	ctx.directory_arg = &none;
	ok(smime_lookup_recipient(&ctx, "dave@example.org", &r) == 0 &&
		   !r.has_caps,
	   "userCertificate;binary alone: capabilities unknown");
	smime_lookup_result_clear(&r);
}

static void test_found_parse(void)
{
	smime_found f = {0};
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};

	ok(smime_found_add_smime_cert(&f, junk, sizeof junk, "t") ==
		   SMIME_E_PARSE,
	   "a value that is no SignedData does not parse");
	ok(f.ncerts == 0 && !f.has_caps, "and adds nothing");
	ok(smime_found_add_der(&f, junk, sizeof junk, "t") == SMIME_E_PARSE,
	   "a userCertificate that is no certificate does not parse");
	ok(add_file(&f, "signer-caps.p7") == 0 && f.ncerts == 1 && f.has_caps &&
		   f.caps_time > 0,
	   "a signed userSMIMECertificate: its certificate, capabilities "
	   "and signingTime");
	smime_found_clear(&f);
	ok(f.ncerts == 0 && f.certs == NULL && !f.has_caps,
	   "clearing leaves it empty");
}

/* The value HarvestToLDAP publishes reads back with the same
 * certificate and capabilities, without content. */
static void test_publish(void)
{
	char path[512];
	size_t len;
	unsigned char *p7;
	smime_buf out = SMIME_BUF_INIT;
	smime_found orig = {0}, back = {0};
	smime_cms_info info;
	smime_cms_limits lim;

	snprintf(path, sizeof path, "%s/signer-caps.p7", LDAP_DATA_DIR);
	p7 = slurp(path, &len);
	ok(p7 != NULL && smime_publish_signer(p7, len, 0, &out) == 0,
	   "publish: the signer's value is written");
	ok(p7 != NULL && smime_found_add_smime_cert(&orig, p7, len, "o") == 0 &&
		   smime_found_add_smime_cert(&back, out.data, out.len, "b") ==
			   0,
	   "publish: the value reads back");
	ok(back.ncerts == orig.ncerts && back.ncerts == 1,
	   "publish: with the signer's certificate");
	ok(back.has_caps && orig.has_caps && back.caps.n == orig.caps.n &&
		   back.caps_time == orig.caps_time,
	   "publish: with its capabilities and signingTime");
	smime_cms_limits_default(&lim);
	memset(&info, 0, sizeof info);
	ok(smime_cms_read(out.data, out.len, &lim, &info) == 0 &&
		   info.kind == SMIME_KIND_SIGNED && info.nsigners == 1,
	   "publish: a SignedData without content, one SignerInfo");
	smime_cms_info_free(&info);
	smime_buf_free(&out);
	ok(p7 != NULL &&
		   smime_publish_signer(p7, len, 1, &out) == SMIME_E_PARSE,
	   "publish: no such SignerInfo is a parse error");
	smime_buf_free(&out);
	smime_found_clear(&orig);
	smime_found_clear(&back);
	free(p7);
}

int main(void)
{
	smime_trust *t;
	smime_certdir *cd = NULL;

	if (smime_global_init() != 0) {
		printf("Bail out! smime_global_init failed\n");
		return 1;
	}
	t = load_trust();
	if (t == NULL ||
	    smime_certdir_load(LOOKUP_DATA_DIR "/certs", NULL, &cd) < 0) {
		ok(0, "fixtures load");
		return tap_done();
	}
	test_sources(t, cd);
	test_capabilities(t);
	test_found_parse();
	test_publish();
	smime_certdir_free(cd);
	smime_trust_free(t);
	smime_global_deinit();
	return tap_done();
}
