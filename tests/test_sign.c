/*
 * test_sign.c - the signer (crypto/sign.c, crypto/sign_mime.c): the
 * signed attributes decoded and checked one by one (SMIMECapabilities,
 * ESS signingCertificateV2, signingTime, messageDigest), micalg per
 * digest, and the MIME shapes smime_sign_message makes: edits, moved
 * Content-* fields, re-encoding, long lines, the boundary.  The signer is
 * alice of tests/data/cms (RSA-2048, chained to ca.pem).
 */
#include "internal.h"
#include "tap.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXED_TIME 1704103200 /* 2024-01-01 10:00:00 UTC */

static smime_keystore *make_store(char *dir)
{
	smime_buf cmd = SMIME_BUF_INIT;
	smime_keystore *ks = NULL;

	if (mkdtemp(dir) == NULL)
		return NULL;
	smime_buf_printf(&cmd,
			 "cp %s/alice.pem %s/alice.crt && cp %s/alice.key "
			 "%s/alice.key && chmod 600 %s/alice.key",
			 CMS_DATA_DIR, dir, CMS_DATA_DIR, dir, dir);
	if (system((char *)cmd.data) == 0)
		smime_keystore_load(dir, NULL, &ks);
	smime_buf_free(&cmd);
	return ks;
}

/* The value (DER) of the signed attribute oid of the first SignerInfo. */
static int attr_value(asn1_node sd, const char *oid, unsigned char **v,
		      size_t *n)
{
	smime_asn1_path p;

	for (int k = 1; k < 20; k++) {
		char *got = NULL;
		int r = smime_asn1_read_oid(
			sd,
			smime_asn1_path_fmt(
				&p, "signerInfos.?1.signedAttrs.?%d.attrType",
				k),
			&got);
		bool match = r == 0 && strcmp(got, oid) == 0;

		free(got);
		if (r < 0)
			return r;
		if (match)
			return smime_asn1_read(
				sd,
				smime_asn1_path_fmt(
					&p,
					"signerInfos.?1.signedAttrs."
					"?%d.attrValues.?1",
					k),
				v, n);
	}
	return SMIME_E_PARSE;
}

static int count_attrs(asn1_node sd)
{
	int n = 0;

	if (asn1_number_of_elements(sd, "signerInfos.?1.signedAttrs", &n) !=
	    ASN1_SUCCESS)
		return -1;
	return n;
}

static asn1_node decode_signed(const smime_buf *der)
{
	asn1_node ci = NULL, sd = NULL;
	const unsigned char *inner;
	size_t ilen;

	if (smime_asn1_decode("SmimeCMS.ContentInfo", der->data, der->len,
			      false, &ci) == 0 &&
	    smime_asn1_inner(ci, der->data, der->len, "content", &inner,
			     &ilen) == 0)
		smime_asn1_decode("SmimeCMS.SignedData", inner, ilen, false,
				  &sd);
	asn1_delete_structure(&ci);
	return sd;
}

static void test_attributes(const smime_key *key)
{
	static const char content[] = "Content-Type: text/plain\r\n\r\nhi\r\n";
	smime_sign_opts o = {.digest = "sha256", .signing_time = FIXED_TIME};
	smime_buf der = SMIME_BUF_INIT;
	unsigned char *v = NULL, md[32], ch[32];
	const unsigned char *cder;
	size_t n, clen;
	asn1_node sd = NULL, a = NULL;
	char *s = NULL;
	int len;

	is_long(smime_sign_detached(key, &o, (const unsigned char *)content,
				    strlen(content), &der),
		0, "RSA key signs");
	sd = decode_signed(&der);
	ok(sd != NULL, "the output decodes as ContentInfo/SignedData");
	if (sd == NULL)
		goto cleanup;
	is_long(count_attrs(sd), 5, "five signed attributes");
	if (smime_asn1_read(sd, "version", &v, &n) == 0)
		is_mem(v, n, "\x01", 1, "SignedData version 1 (not 48)");
	free(v);
	v = NULL;
	if (smime_asn1_read(sd, "signerInfos.?1.version", &v, &n) == 0)
		is_mem(v, n, "\x01", 1, "SignerInfo version 1");
	free(v);
	v = NULL;
	ok(!smime_asn1_present(sd, "encapContentInfo.eContent"),
	   "detached: no eContent");
	len = 0;
	asn1_number_of_elements(sd, "certificates", &len);
	is_long(len, 1, "the certificate set holds alice (her chain is empty)");
	smime_asn1_read_oid(sd, "signerInfos.?1.signatureAlgorithm.algorithm",
			    &s);
	is_str(s, "1.2.840.113549.1.1.1", "PKCS#1 v1.5: rsaEncryption");
	free(s);
	s = NULL;

	/* contentType id-data */
	ok(attr_value(sd, "1.2.840.113549.1.9.3", &v, &n) == 0 &&
		   smime_asn1_decode("SmimeCMS.ContentType", v, n, false, &a) ==
			   0 &&
		   smime_asn1_read_oid(a, "", &s) == 0 &&
		   strcmp(s, "1.2.840.113549.1.7.1") == 0,
	   "contentType is id-data");
	free(v), free(s), asn1_delete_structure(&a);
	v = NULL, s = NULL;

	/* messageDigest = SHA-256 of the content */
	gnutls_hash_fast(GNUTLS_DIG_SHA256, content, strlen(content), md);
	if (attr_value(sd, "1.2.840.113549.1.9.4", &v, &n) == 0 &&
	    smime_asn1_decode("SmimeCMS.MessageDigest", v, n, false, &a) == 0) {
		unsigned char *d = NULL;
		size_t dn = 0;
		smime_asn1_read(a, "", &d, &dn);
		is_mem(d, dn, md, 32,
		       "messageDigest is SHA-256 of the content");
		free(d);
	} else {
		ok(0, "messageDigest is SHA-256 of the content");
	}
	free(v), asn1_delete_structure(&a);
	v = NULL;

	/* signingTime */
	if (attr_value(sd, "1.2.840.113549.1.9.5", &v, &n) == 0 &&
	    smime_asn1_decode("SmimeCMS.SigningTime", v, n, false, &a) == 0) {
		unsigned char *t = NULL;
		size_t tn = 0;
		smime_asn1_read(a, "utcTime", &t, &tn);
		is_str((char *)t, "240101100000Z",
		       "signingTime is the given time as UTCTime");
		free(t);
	} else {
		ok(0, "signingTime is the given time as UTCTime");
	}
	free(v), asn1_delete_structure(&a);
	v = NULL;

	/* SMIMECapabilities: the preference list, in order, no RC2/DES */
	if (attr_value(sd, "1.2.840.113549.1.9.15", &v, &n) == 0 &&
	    smime_asn1_decode("SmimeCMS.SMIMECapabilities", v, n, false, &a) ==
		    0) {
		static const char *want[] = {"aes-256-gcm", "aes-128-gcm",
					     "aes-256-cbc", "aes-128-cbc",
					     "des-ede3-cbc"};
		smime_buf got = SMIME_BUF_INIT;
		smime_asn1_path p;
		int k = 0;

		asn1_number_of_elements(a, "", &k);
		is_long(k, 5, "SMIMECapabilities lists five ciphers");
		for (int i = 1; i <= k; i++) {
			const smime_cipher_info *ci;
			s = NULL;
			smime_asn1_read_oid(
				a,
				smime_asn1_path_fmt(&p, "?%d.capabilityID", i),
				&s);
			ci = s ? smime_cipher_by_oid(s, 0) : NULL;
			smime_buf_printf(&got, "%s%s", i > 1 ? " " : "",
					 ci ? ci->name : "?");
			ok(!smime_asn1_present(
				   a, smime_asn1_path_fmt(&p, "?%d.parameters",
							  i)),
			   "capability %d has no parameters", i);
			free(s);
			s = NULL;
		}
		is_str((char *)got.data,
		       "aes-256-gcm aes-128-gcm aes-256-cbc aes-128-cbc "
		       "des-ede3-cbc",
		       "SMIMECapabilities: our preference, strongest first");
		for (size_t i = 0; i < 5; i++)
			ok(strcmp(smime_cipher_by_id(smime_sign_capabilities[i])
					  ->name,
				  want[i]) == 0,
			   "exported capability %zu is %s", i, want[i]);
		ok(strstr((char *)got.data, "rc2") == NULL &&
			   strstr((char *)got.data, "des-cbc") == NULL,
		   "no RC2 or single DES announced");
		smime_buf_free(&got);
		{
			/* what a harvesting peer reads back from it */
			smime_caps c;
			int same = smime_caps_parse(v, n, &c) == 0 &&
				   c.n == smime_sign_ncapabilities;
			for (size_t i = 0; same && i < c.n; i++)
				same = c.cipher[i] ==
				       smime_sign_capabilities[i];
			ok(same, "smime_caps_parse reads our SMIMECapabilities "
				 "back as we listed them");
		}
	} else {
		ok(0, "SMIMECapabilities decodes");
	}
	free(v), asn1_delete_structure(&a);
	v = NULL;

	/* ESS signingCertificateV2: SHA-256 of alice's certificate */
	smime_cert_der(smime_key_cert(key), &cder, &clen);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, cder, clen, ch);
	if (attr_value(sd, "1.2.840.113549.1.9.16.2.47", &v, &n) == 0 &&
	    smime_asn1_decode("SmimeCMS.SigningCertificateV2", v, n, false,
			      &a) == 0) {
		unsigned char *h = NULL, *ser = NULL;
		size_t hn = 0, sn = 0;
		char *hex = NULL;
		smime_asn1_read(a, "certs.?1.certHash", &h, &hn);
		is_mem(h, hn, ch, 32,
		       "signingCertificateV2 hashes the signer's certificate");
		ok(!smime_asn1_present(a, "certs.?1.hashAlgorithm"),
		   "hashAlgorithm left at its DEFAULT (sha256)");
		smime_asn1_read(a, "certs.?1.issuerSerial.serialNumber", &ser,
				&sn);
		if (ser != NULL) {
			const unsigned char *sp = ser;
			smime_serial_trim(&sp, &sn);
			smime_serial_hex(sp, sn, &hex);
		}
		is_str(hex, smime_cert_get_info(smime_key_cert(key))->serial,
		       "issuerSerial names alice's serial");
		free(h), free(ser), free(hex);
	} else {
		ok(0, "signingCertificateV2 decodes");
	}
	free(v), asn1_delete_structure(&a);
	v = NULL;
cleanup:
	asn1_delete_structure(&sd);
	smime_buf_free(&der);
}

static void test_algorithms(const smime_key *key)
{
	smime_sign_opts o = {0};
	const char *d = NULL, *m = NULL;

	is_long(smime_sign_algorithms(key, &o, &d, &m), 0, "default digest");
	is_str(m, "sha-256", "default micalg sha-256");
	o.digest = "SHA384";
	smime_sign_algorithms(key, &o, &d, &m);
	is_str(m, "sha-384", "sha384 gives micalg sha-384");
	o.digest = "sha512";
	smime_sign_algorithms(key, &o, &d, &m);
	is_str(d, "sha512", "sha512 digest");
	is_str(m, "sha-512", "sha512 gives micalg sha-512");
	o.digest = "md5";
	is_long(smime_sign_algorithms(key, &o, &d, &m), SMIME_E_ARG,
		"md5 is refused");
	o.digest = "sha1";
	is_long(smime_sign_algorithms(key, &o, &d, &m), SMIME_E_ARG,
		"sha1 is refused");
}

/* Signs a message and applies nothing: checks the edits and the body. */
typedef struct signed_msg {
	smime_edits e;
	smime_part *root;
	smime_headers top; /* the new top-level header as the edits leave
			    * it (Content-Type only) */
	int rc;
} signed_msg;

static void sign_msg(const smime_key *key, const char *msg, signed_msg *out)
{
	smime_headers h = SMIME_HEADERS_INIT;
	smime_sign_opts o = {0};
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	smime_message_split((const unsigned char *)msg, strlen(msg), &h, &off);
	out->rc = smime_sign_message(key, &o, &h,
				     (const unsigned char *)msg + off,
				     strlen(msg) - off, NULL, &out->e);
	for (size_t i = 0; out->rc == 0 && i < out->e.n; i++)
		if (smime_ascii_casecmp(out->e.v[i].name, "Content-Type") ==
			    0 &&
		    out->e.v[i].value != NULL)
			smime_headers_add(&out->top, "Content-Type", 12,
					  out->e.v[i].value,
					  strlen(out->e.v[i].value));
	if (out->rc == 0)
		smime_mime_parse(out->e.body.data, out->e.body.len, &out->top,
				 NULL, &out->root);
	smime_headers_free(&h);
}

static void signed_msg_free(signed_msg *m)
{
	smime_edits_free(&m->e);
	smime_mime_free(m->root);
	smime_headers_free(&m->top);
}

static int count_edits(const smime_edits *e, smime_edit_op op, const char *name)
{
	int n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->v[i].op == op &&
		     smime_ascii_casecmp(e->v[i].name, name) == 0;
	return n;
}

/* The header field value of part p, or NULL. */
static const char *field(const smime_part *p, const char *name)
{
	return smime_headers_get(&p->headers, name, 0);
}

static bool lines_short(const smime_buf *b)
{
	size_t col = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\n')
			col = 0;
		else if (++col > 999) /* 998 + the CR */
			return false;
	}
	return true;
}

static void test_mime(const smime_key *key)
{
	signed_msg m;
	char *big;

	sign_msg(key,
		 "From: a@example.org\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: 8bit\r\n"
		 "Content-Language: de\r\n\r\n"
		 "Gr\xc3\xbc\xc3\x9f"
		 "e\r\n",
		 &m);
	is_long(m.rc, 0, "8bit text: signed");
	ok(m.root != NULL && strcmp(m.root->subtype, "signed") == 0 &&
		   m.root->nchildren == 2,
	   "8bit text: multipart/signed with two parts");
	ok(strstr(smime_headers_get(&m.top, "Content-Type", 0),
		  "protocol=\"application/pkcs7-signature\"") != NULL &&
		   strstr(smime_headers_get(&m.top, "Content-Type", 0),
			  "micalg=sha-256") != NULL,
	   "protocol and micalg=sha-256 in the new Content-Type");
	is_long(count_edits(&m.e, SMIME_EDIT_CHANGE, "Content-Type"), 1,
		"Content-Type changed in place");
	is_long(count_edits(&m.e, SMIME_EDIT_DELETE,
			    "Content-Transfer-Encoding"),
		1, "top Content-Transfer-Encoding deleted");
	is_long(count_edits(&m.e, SMIME_EDIT_DELETE, "Content-Language"), 1,
		"top Content-Language deleted");
	is_long(count_edits(&m.e, SMIME_EDIT_INSERT, "MIME-Version"), 0,
		"the existing MIME-Version is kept, none added");
	ok(m.e.replace_body, "body replaced");
	if (m.root != NULL && m.root->nchildren == 2) {
		const smime_part *c = &m.root->children[0];
		smime_buf dec = SMIME_BUF_INIT;

		is_str(field(c, "Content-Transfer-Encoding"),
		       "quoted-printable",
		       "8bit text re-encoded quoted-printable");
		is_str(field(c, "Content-Language"), "de",
		       "Content-Language moved into the signed part");
		ok(field(c, "MIME-Version") == NULL,
		   "no MIME-Version inside the signed part");
		smime_part_decode(m.e.body.data, c, &dec);
		is_mem(dec.data, dec.len,
		       "Gr\xc3\xbc\xc3\x9f"
		       "e\r\n",
		       9, "the decoded text is the original");
		smime_buf_free(&dec);
		is_str(m.root->children[1].type, "application",
		       "second part application/...");
		is_str(m.root->children[1].subtype, "pkcs7-signature",
		       "second part is the pkcs7-signature");
	}
	signed_msg_free(&m);

	/* no MIME at all, duplicated MIME-Version: exactly one remains */
	sign_msg(key, "From: a@example.org\nSubject: x\n\nbare\n", &m);
	is_long(count_edits(&m.e, SMIME_EDIT_INSERT, "MIME-Version"), 1,
		"no MIME-Version: one is inserted");
	is_long(count_edits(&m.e, SMIME_EDIT_INSERT, "Content-Type"), 1,
		"no Content-Type: one is inserted");
	ok(m.root != NULL && m.root->nchildren == 2 && m.e.body.len > 0 &&
		   memmem(m.e.body.data, m.e.body.len, "\r\nbare\r\n", 8) !=
			   NULL,
	   "LF-only body becomes CRLF in the signed part");
	signed_msg_free(&m);
	sign_msg(key,
		 "From: a@example.org\r\nMIME-Version: 1.0\r\n"
		 "Mime-Version: 1.0\r\n\r\nx\r\n",
		 &m);
	is_long(count_edits(&m.e, SMIME_EDIT_DELETE, "MIME-Version"), 1,
		"a second MIME-Version is deleted");
	signed_msg_free(&m);

	/* multipart/mixed, 8bit declared, with a binary leaf and a long line */
	big = malloc(2100);
	memset(big, 'y', 2000);
	big[2000] = '\0';
	{
		smime_buf msg = SMIME_BUF_INIT;

		smime_buf_printf(
			&msg,
			"From: a@example.org\r\nMIME-Version: 1.0\r\n"
			"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
			"Content-Transfer-Encoding: 8bit\r\n\r\n"
			"--b1\r\nContent-Type: text/plain\r\n\r\n%s\r\n"
			"--b1\r\nContent-Type: application/octet-stream\r\n"
			"Content-Transfer-Encoding: 8bit\r\n\r\n\x80\x81 "
			"raw\r\n"
			"--b1\r\nContent-Type: text/plain\r\n\r\n"
			"------=_smime_ looks like ours\r\n--b1--\r\n",
			big);
		sign_msg(key, (char *)msg.data, &m);
		smime_buf_free(&msg);
	}
	is_long(m.rc, 0, "multipart/mixed: signed");
	ok(lines_short(&m.e.body), "no line of the new body passes 998");
	if (m.root != NULL && m.root->nchildren == 2 &&
	    m.root->children[0].nchildren == 3) {
		const smime_part *mix = &m.root->children[0];
		smime_buf dec = SMIME_BUF_INIT;

		is_str(field(mix, "Content-Transfer-Encoding"), "7bit",
		       "the multipart's 8bit becomes 7bit");
		is_str(field(&mix->children[0], "Content-Transfer-Encoding"),
		       "quoted-printable", "long text line: quoted-printable");
		smime_part_decode(m.e.body.data, &mix->children[0], &dec);
		is_long((long)dec.len, 2000, "the long line decodes whole");
		smime_buf_reset(&dec);
		is_str(field(&mix->children[1], "Content-Transfer-Encoding"),
		       "base64", "8bit non-text: base64");
		smime_part_decode(m.e.body.data, &mix->children[1], &dec);
		is_mem(dec.data, dec.len, "\x80\x81 raw", 6,
		       "the octet-stream decodes to its bytes");
		smime_buf_reset(&dec);
		ok(field(&mix->children[2], "Content-Transfer-Encoding") ==
			   NULL,
		   "a clean 7bit part is left as it is");
		smime_part_decode(m.e.body.data, &mix->children[2], &dec);
		is_mem(dec.data, dec.len, "------=_smime_ looks like ours", 30,
		       "a boundary-like line in the content survives");
		smime_buf_free(&dec);
	} else {
		ok(0, "multipart/mixed keeps its three parts");
	}
	signed_msg_free(&m);
	free(big);

	sign_msg(key,
		 "From: a@example.org\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: multipart/mixed\r\n\r\n\xff no boundary\r\n",
		 &m);
	is_long(m.rc, SMIME_E_PARSE,
		"an 8-bit multipart without a boundary is not signed");
	is_long((long)m.e.n, 0, "and no edit is written");
	ok(!m.e.replace_body, "and the body stays");
	signed_msg_free(&m);
}

int main(void)
{
	char dir[] = "/tmp/test_sign.XXXXXX";
	smime_keystore *ks;
	const smime_key *key;

	if (smime_global_init() < 0)
		return 99;
	ks = make_store(dir);
	key = ks ? smime_keystore_by_name(ks, "alice") : NULL;
	ok(key != NULL, "alice's key loads");
	if (key != NULL) {
		test_algorithms(key);
		test_attributes(key);
		test_mime(key);
	}
	smime_keystore_free(ks);
	{
		smime_buf cmd = SMIME_BUF_INIT;
		smime_buf_printf(&cmd, "rm -rf %s", dir);
		if (system((char *)cmd.data) != 0)
			ok(0, "temp dir removed");
		smime_buf_free(&cmd);
	}
	smime_global_deinit();
	return tap_done();
}
