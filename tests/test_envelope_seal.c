/*
 * test_envelope_seal.c - writing EnvelopedData and AuthEnvelopedData
 * (crypto/envelope_seal.c) and the RFC 8551 wrapper (pkcs7_mime.c).
 *
 * What it proves: every cipher of SPEC section 6 seals for three
 * recipients whose keys all open the result; identifiers and key
 * transports are the ones asked for; versions are numbers (the libtasn1
 * INTEGER trap), 0 or 2 as RFC 5652 says; OAEP parameters are written
 * with their defaults left out; two runs differ; what cannot be sealed is
 * refused with nothing written; the wrapper's header fields and 76-column
 * base64.  tests/envelope_interop.sh has OpenSSL, NSS and gpgsm read the
 * results.
 */
#include "keys_internal.h"
#include "tap.h"
#include "envelope_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The version INTEGER at name as a number, or -1. */
static long version_at(asn1_node node, const char *name)
{
	unsigned char *v = NULL;
	size_t n = 0;
	long val = -1;

	if (smime_asn1_read(node, name, &v, &n) == 0 && n == 1)
		val = v[0];
	free(v);
	return val;
}

/* Versions of the written structure: the outer one, and the only
 * KeyTransRecipientInfo's when want_ri0 >= 0. */
static void check_versions(const smime_buf *der, bool auth, long want,
			   long want_ri0, const char *what)
{
	asn1_node ci = NULL, node = NULL;
	const unsigned char *inner = NULL;
	size_t innerlen = 0;

	smime_asn1_decode("SmimeCMS.ContentInfo", der->data, der->len, false,
			  &ci);
	if (ci)
		smime_asn1_inner(ci, der->data, der->len, "content", &inner,
				 &innerlen);
	if (inner)
		smime_asn1_decode(auth ? "SmimeCMS.AuthEnvelopedData"
				       : "SmimeCMS.EnvelopedData",
				  inner, innerlen, false, &node);
	is_long(node ? version_at(node, "version") : -2, want,
		"%s: version %ld as a number, not the digit", what, want);
	if (want_ri0 >= 0)
		is_long(node ? version_at(node,
					  "recipientInfos.?1.ktri.version")
			     : -2,
			want_ri0, "%s: KeyTransRecipientInfo version %ld", what,
			want_ri0);
	asn1_delete_structure(&ci);
	asn1_delete_structure(&node);
}

static const char *const names[] = {"alice", "bob", "carol"};

/* Opens env with each of the three keys; ri[i] is the RecipientInfo
 * that opened with names[i]'s key. */
static bool all_open(const smime_keystore *ks, const smime_envelope *env,
		     size_t ri[3])
{
	smime_buf out = SMIME_BUF_INIT;
	bool opened = env != NULL;

	for (int i = 0; env && i < 3; i++) {
		const smime_key *k = smime_keystore_by_name(ks, names[i]);
		int ret;

		smime_buf_reset(&out);
		ret = open_with(env, k, &out, &ri[i]);
		opened &= ret == 0 && out.len == strlen(cms_content) &&
			  memcmp(out.data, cms_content, out.len) == 0;
	}
	smime_buf_free(&out);
	return opened;
}

/* One cipher for alice (issuerAndSerial, PKCS#1 v1.5), bob (SKI) and
 * carol (OAEP with SHA-256 and a label). */
static void seal_one(const smime_keystore *ks, const char *cipher,
		     const smime_seal_recipient r[3])
{
	const smime_cipher_info *ci = smime_cipher_by_name(cipher);
	smime_buf der = SMIME_BUF_INIT, der2 = SMIME_BUF_INIT;
	smime_envelope *env = NULL;
	size_t ri[3] = {0, 0, 0};
	bool opened;
	int ret;

	ret = smime_envelope_seal(ci->id, (const unsigned char *)cms_content,
				  strlen(cms_content), r, 3, &der);
	is_long(ret, 0, "seal %s for three recipients", cipher);
	ret = smime_envelope_parse(der.data, der.len, NULL, &env);
	ok(ret == 0 && env->info.cipher == ci &&
		   env->info.kind == (ci->aead ? SMIME_KIND_AUTH_ENVELOPED
					       : SMIME_KIND_ENVELOPED) &&
		   env->info.nrecipients == 3,
	   "%s: reads back as %s with three recipients", cipher,
	   ci->aead ? "AuthEnvelopedData" : "EnvelopedData");
	/* RecipientInfos is a SET OF: DER sorts it, so each key's
	 * RecipientInfo is found, not assumed at its input index */
	opened = all_open(ks, env, ri);
	ok(opened, "%s: every recipient's key opens it to the content", cipher);
	if (opened) {
		const smime_recipient *rr = env->info.recipients;
		const smime_recipient *a = &rr[ri[0]], *b = &rr[ri[1]],
				      *d = &rr[ri[2]];

		ok(!a->by_ski && b->by_ski && !d->by_ski && !a->oaep &&
			   !b->oaep && d->oaep &&
			   strcmp(d->oaep_hash, "sha256") == 0 &&
			   strcmp(d->oaep_mgf_hash, "sha256") == 0 &&
			   d->oaep_label,
		   "%s: identifier forms and key transports as asked", cipher);
	}
	check_versions(&der, ci->aead, ci->aead ? 0 : 2, -1, cipher);
	smime_envelope_seal(ci->id, (const unsigned char *)cms_content,
			    strlen(cms_content), r, 3, &der2);
	ok(der.len != der2.len || memcmp(der.data, der2.data, der.len) != 0,
	   "%s: a second run gives other bytes (fresh key and IV)", cipher);
	smime_envelope_free(env);
	smime_buf_free(&der);
	smime_buf_free(&der2);
}

static void test_seal_ciphers(const smime_keystore *ks)
{
	static const char *const ciphers[] = {
		"rc2-40-cbc",   "rc2-64-cbc",  "rc2-128-cbc", "des-cbc",
		"des-ede3-cbc", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc",
		"aes-128-gcm",  "aes-192-gcm", "aes-256-gcm",
	};
	static const unsigned char label[] = "smime-milter";
	smime_seal_recipient r[3];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		r[i].cert =
			smime_key_cert(smime_keystore_by_name(ks, names[i]));
	r[1].kt.by_ski = true;
	r[2].kt.oaep = true;
	r[2].kt.oaep_hash = "sha256";
	r[2].kt.oaep_mgf_hash = "sha256";
	r[2].kt.oaep_label = label;
	r[2].kt.oaep_label_len = sizeof(label) - 1;
	for (size_t c = 0; c < sizeof(ciphers) / sizeof(ciphers[0]); c++)
		seal_one(ks, ciphers[c], r);
}

/* RFC 5652 versions and the RSAES-OAEP-params defaults. */
static void test_seal_encoding(const smime_keystore *ks)
{
	static const unsigned char oaep_default[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
		0x0d, 0x01, 0x01, 0x07, 0x30, 0x00};
	smime_seal_recipient one[1];
	smime_buf der = SMIME_BUF_INIT;

	memset(one, 0, sizeof(one));
	one[0].cert = smime_key_cert(smime_keystore_by_name(ks, "alice"));
	ok(smime_envelope_seal(SMIME_CIPHER_AES_256_CBC,
			       (const unsigned char *)"", 0, one, 1, &der) == 0,
	   "seal empty content");
	check_versions(&der, false, 0, 0, "issuerAndSerial only");
	{
		smime_envelope *env = NULL;
		smime_buf out = SMIME_BUF_INIT;

		smime_buf_reset(&der);
		ok(smime_envelope_seal(SMIME_CIPHER_AES_128_GCM,
				       (const unsigned char *)"", 0, one, 1,
				       &der) == 0 &&
			   smime_envelope_parse(der.data, der.len, NULL,
						&env) == 0 &&
			   open_with(env, smime_keystore_by_name(ks, "alice"),
				     &out, NULL) == 0 &&
			   out.len == 0,
		   "empty content through AES-GCM and back");
		smime_envelope_free(env);
		smime_buf_free(&out);
	}
	one[0].kt.by_ski = true;
	smime_buf_reset(&der);
	smime_envelope_seal(SMIME_CIPHER_AES_256_CBC,
			    (const unsigned char *)"x", 1, one, 1, &der);
	check_versions(&der, false, 2, 2, "SKI recipient");
	one[0].kt.by_ski = false;
	one[0].kt.oaep = true;
	smime_buf_reset(&der);
	smime_envelope_seal(SMIME_CIPHER_AES_128_CBC,
			    (const unsigned char *)"x", 1, one, 1, &der);
	ok(der.len > 0 && memmem(der.data, der.len, oaep_default,
				 sizeof(oaep_default)) != NULL,
	   "OAEP with SHA-1 defaults writes empty RSAES-OAEP-params");
	smime_buf_free(&der);
}

static void test_seal_refusals(const smime_keystore *ks)
{
	smime_seal_recipient bad[1];
	const smime_cert *dave =
		smime_key_cert(smime_keystore_by_name(ks, "dave"));
	smime_buf der = SMIME_BUF_INIT;

	memset(bad, 0, sizeof(bad));
	bad[0].cert = smime_key_cert(smime_keystore_by_name(ks, "alice"));
	is_long(smime_envelope_seal(SMIME_CIPHER_RC2_CBC,
				    (const unsigned char *)"x", 1, bad, 1,
				    &der),
		SMIME_E_UNSUPPORTED, "the odd-size rc2-cbc is not sealed");
	is_long(smime_envelope_seal(SMIME_CIPHER_AES_128_CBC,
				    (const unsigned char *)"x", 1, bad, 0,
				    &der),
		SMIME_E_ARG, "no recipients: argument error");
	bad[0].kt.oaep = true;
	bad[0].kt.oaep_hash = "sha256";
	is_long(smime_envelope_seal(SMIME_CIPHER_AES_128_CBC,
				    (const unsigned char *)"x", 1, bad, 1,
				    &der),
		SMIME_E_UNSUPPORTED,
		"OAEP SHA-256 with MGF1-SHA1 is not sealed");
	memset(bad, 0, sizeof(bad));
	bad[0].cert = dave;
	is_long(dave ? smime_envelope_seal(SMIME_CIPHER_RC2_40_CBC,
					   (const unsigned char *)"x", 1, bad,
					   1, &der)
		     : -99,
		SMIME_E_UNSUPPORTED,
		"an EC recipient and a 5-byte content key (RC2-40): AES key "
		"wrap cannot carry it");
	is_long((long)der.len, 0, "refusals append nothing");
	smime_buf_free(&der);
}

/* An EC recipient gets a KeyAgreeRecipientInfo it opens (kari.c reads
 * what kari_write.c wrote), next to an RSA one in the same envelope. */
static void test_seal_ec(const smime_keystore *ks)
{
	const smime_key *dave = smime_keystore_by_name(ks, "dave");
	const smime_key *alice = smime_keystore_by_name(ks, "alice");
	static const smime_cipher_id ids[] = {SMIME_CIPHER_AES_128_CBC,
					      SMIME_CIPHER_DES_EDE3_CBC,
					      SMIME_CIPHER_AES_256_GCM};
	smime_seal_recipient r[2];

	memset(r, 0, sizeof(r));
	r[0].cert = smime_key_cert(alice);
	r[1].cert = smime_key_cert(dave);
	ok(smime_cert_sealable(r[1].cert) && smime_cert_sealable(r[0].cert),
	   "EC P-256 and RSA certificates are sealable");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *name = smime_cipher_by_id(ids[i])->name;
		smime_buf der = SMIME_BUF_INIT, out = SMIME_BUF_INIT;
		smime_envelope *env = NULL;
		size_t ri = 0;

		ok(smime_envelope_seal(ids[i],
				       (const unsigned char *)cms_content,
				       strlen(cms_content), r, 2, &der) == 0 &&
			   smime_envelope_parse(der.data, der.len, NULL,
						&env) == 0,
		   "%s: sealed for an RSA and an EC recipient", name);
		ok(env != NULL && open_with(env, dave, &out, &ri) == 0 &&
			   env->info.recipients[ri].type == SMIME_RI_KARI &&
			   out.len == strlen(cms_content) &&
			   memcmp(out.data, cms_content, out.len) == 0,
		   "%s: the EC key opens its KeyAgreeRecipientInfo", name);
		smime_buf_reset(&out);
		ok(env != NULL && open_with(env, alice, &out, NULL) == 0 &&
			   out.len == strlen(cms_content),
		   "%s: the RSA key opens its KeyTransRecipientInfo", name);
		if (!smime_cipher_by_id(ids[i])->aead)
			check_versions(&der, false, 2, -1, name);
		smime_envelope_free(env);
		smime_buf_free(&der);
		smime_buf_free(&out);
	}
}

/* ------------------------------------------------------------------ */
/* The RFC 8551 wrapper                                                 */
/* ------------------------------------------------------------------ */

static void test_p7m(const smime_keystore *ks)
{
	smime_seal_recipient r[1];
	smime_buf der = SMIME_BUF_INIT, ent = SMIME_BUF_INIT,
		  back = SMIME_BUF_INIT;
	smime_part *root = NULL;
	unsigned char big[3000];
	bool lines_ok = true;
	const char *body;

	memset(r, 0, sizeof(r));
	memset(big, 'y', sizeof(big));
	r[0].cert = smime_key_cert(smime_keystore_by_name(ks, "alice"));
	smime_envelope_seal(SMIME_CIPHER_AES_256_GCM, big, sizeof(big), r, 1,
			    &der);
	ok(smime_p7m_entity(SMIME_KIND_AUTH_ENVELOPED, der.data, der.len,
			    &ent) == 0,
	   "an authEnveloped-data entity is written");
	is_str(smime_p7m_content_type(SMIME_KIND_ENVELOPED),
	       "application/pkcs7-mime; smime-type=enveloped-data; "
	       "name=smime.p7m",
	       "Content-Type value for enveloped-data");
	ok(smime_p7m_content_type(SMIME_KIND_SIGNED) == NULL,
	   "no pkcs7-mime Content-Type for signed data here");
	body = ent.data ? strstr((char *)ent.data, "\r\n\r\n") : NULL;
	ok(body && strncmp((char *)ent.data,
			   "Content-Type: application/pkcs7-mime; "
			   "smime-type=authEnveloped-data;\r\n\tname=smime."
			   "p7m\r\n"
			   "Content-Transfer-Encoding: base64\r\n"
			   "Content-Disposition: attachment; "
			   "filename=smime.p7m\r\n\r\n",
			   (size_t)(body + 4 - (char *)ent.data)) == 0,
	   "the RFC 8551 header fields");
	for (const char *l = body ? body + 4 : ""; *l != '\0';) {
		const char *e = strstr(l, "\r\n");

		if (e == NULL || (e - l != 76 && e[2] != '\0'))
			lines_ok = false;
		if (e == NULL)
			break;
		l = e + 2;
	}
	ok(lines_ok, "base64 in 76-column lines, each ending in CRLF");
	if (smime_mime_parse(ent.data, ent.len, NULL, NULL, &root) == 0) {
		ok(strcmp(root->type, "application") == 0 &&
			   strcmp(root->subtype, "pkcs7-mime") == 0 &&
			   strcmp(smime_part_param(root, "smime-type"),
				  "authEnveloped-data") == 0,
		   "our MIME parser reads the entity back");
		smime_part_decode(ent.data, root, &back);
		is_mem(back.data, back.len, der.data, der.len,
		       "the body decodes to the DER");
	}
	smime_mime_free(root);
	smime_buf_free(&der);
	smime_buf_free(&ent);
	smime_buf_free(&back);
}

static char tmpdir[256];

/*
 * Issue 19: a 3 MB content sealed into a buffer that spills, then
 * analysed as a message: the EnvelopedData went to a mapped file, the
 * analysis decoded a copy of its ContentInfo without the content (a few
 * hundred bytes), kept no DER, and the envelope reads the content where
 * it lies and opens it to the original.
 */
static void test_big_content(const smime_keystore *ks)
{
	size_t n = 3u << 20;
	unsigned char *big = malloc(n);
	smime_seal_recipient r[1];
	smime_buf der = SMIME_BUF_INIT, ent = SMIME_BUF_INIT,
		  out = SMIME_BUF_INIT;
	smime_analyze_opts o;
	smime_facts f;
	smime_envelope *env = NULL;
	const smime_layer *l;

	memset(r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	r[0].cert = smime_key_cert(smime_keystore_by_name(ks, "alice"));
	for (size_t i = 0; big != NULL && i < n; i++)
		big[i] = (unsigned char)(i * 7);
	smime_buf_spill(&der, tmpdir);
	ok(big != NULL &&
		   smime_envelope_seal(SMIME_CIPHER_AES_256_CBC, big, n, r, 1,
				       &der) == 0 &&
		   der.filed && der.len > n,
	   "3 MB sealed straight into a buffer that spilled to a file");
	smime_analyze_opts_default(&o);
	o.cms.spill_dir = tmpdir;
	ok(smime_p7m_entity(SMIME_KIND_ENVELOPED, der.data, der.len, &ent) ==
			   0 &&
		   smime_analyze(ent.data, ent.len, NULL, &o, &f) == 0 &&
		   f.nlayers == 1,
	   "the 4 MB entity analyses as one layer");
	l = f.nlayers == 1 ? &f.layers[0] : NULL;
	ok(l != NULL && l->kind == SMIME_KIND_ENVELOPED &&
		   l->cms.hollow.len > 0 && l->cms.hollow.len < 2048 &&
		   l->der.data == NULL && l->cms.nrecipients == 1,
	   "its layer holds a %zu-byte ContentInfo without the content, and "
	   "no DER",
	   l != NULL ? l->cms.hollow.len : 0);
	ok(smime_envelope_parse(der.data, der.len, NULL, &env) == 0 &&
		   open_with(env, smime_keystore_by_name(ks, "alice"), &out,
			     NULL) == 0 &&
		   out.len == n && memcmp(out.data, big, n) == 0,
	   "the envelope reads the content in place and opens to the 3 MB");
	smime_envelope_free(env);
	smime_facts_free(&f);
	smime_buf_free(&der);
	smime_buf_free(&ent);
	smime_buf_free(&out);
	free(big);
}

int main(void)
{
	smime_keystore *ks =
		fixture_start("test_envelope_seal", tmpdir, sizeof(tmpdir));

	test_seal_ciphers(ks);
	test_seal_encoding(ks);
	test_seal_refusals(ks);
	test_seal_ec(ks);
	test_p7m(ks);
	test_big_content(ks);
	fixture_end(ks, tmpdir);
	return tap_done();
}
