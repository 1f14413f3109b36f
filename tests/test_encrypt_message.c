/*
 * test_encrypt_message.c - the whole-message pieces of the `encrypt`
 * action (crypto/encrypt_mime.c, edits.c).
 *
 * What it proves:
 * - smime_edits_apply_headers gives the header an edit list leaves,
 *   with the milter's semantics (insert at a position or the bottom,
 *   the n-th instance changed or deleted, a missing one no change), so
 *   a later transform's edits apply to what the earlier ones left;
 * - smime_encrypt_message seals exactly the Content-* fields, a blank
 *   line and the body with CRLF line ends (a binary body kept, broken
 *   MIME as it is), for every recipient, and rewrites the header into
 *   the RFC 8551 wrapper, other fields untouched, the edit list left
 *   alone when it cannot seal;
 * - smime_message_is_encrypted is SPEC 9's "already encrypted": the top
 *   level, or the signed part of a top-level multipart/signed, holding
 *   an envelope; not a multipart with an encrypted part, not a
 *   pkcs7-mime label over something else.
 */
#include "keys_internal.h"
#include "tap.h"
#include "envelope_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[256];

static void add(smime_headers *h, const char *name, const char *value)
{
	smime_headers_add(h, name, strlen(name), value, strlen(value));
}

/* "Name: value|Name: value|..." */
static void show(const smime_headers *h, smime_buf *out)
{
	smime_buf_reset(out);
	for (size_t i = 0; i < h->n; i++)
		smime_buf_printf(out, "%s%s: %s", i ? "|" : "", h->v[i].name,
				 h->v[i].value);
	smime_buf_putc(out, '\0');
}

static void test_apply_headers(void)
{
	smime_headers in = SMIME_HEADERS_INIT, out = SMIME_HEADERS_INIT;
	smime_edits e = {0};
	smime_buf s = SMIME_BUF_INIT;

	add(&in, "From", "a@example.org");
	add(&in, "Content-Type", "text/plain");
	add(&in, "Subject", "hi");
	add(&in, "content-type", "text/html");
	add(&in, "X-Gone", "1");
	smime_edits_header(&e, SMIME_EDIT_INSERT, 0, "X-Top", "t");
	smime_edits_header(&e, SMIME_EDIT_CHANGE, 1, "Content-Type", "new");
	smime_edits_header(&e, SMIME_EDIT_DELETE, 2, "CONTENT-TYPE", NULL);
	smime_edits_header(&e, SMIME_EDIT_INSERT, (unsigned)-1, "X-Bottom",
			   "b");
	smime_edits_header(&e, SMIME_EDIT_CHANGE, 1, "X-Gone", NULL);
	smime_edits_header(&e, SMIME_EDIT_DELETE, 1, "X-Missing", NULL);
	smime_edits_header(&e, SMIME_EDIT_INSERT, 2, "X-Second", "2");
	ok(smime_edits_apply_headers(&in, &e, &out) == 0,
	   "apply: the edits apply");
	show(&out, &s);
	is_str((char *)s.data,
	       "X-Top: t|From: a@example.org|X-Second: 2|Content-Type: new|"
	       "Subject: hi|X-Bottom: b",
	       "apply: inserted at the top, at a position and the bottom; "
	       "the first instance changed, the second deleted (any case), "
	       "a CHANGE without a value deletes, a missing field is no "
	       "change");
	show(&in, &s);
	is_str((char *)s.data,
	       "From: a@example.org|Content-Type: text/plain|Subject: hi|"
	       "content-type: text/html|X-Gone: 1",
	       "apply: the input header is not changed");
	smime_headers_free(&out);
	smime_headers_free(&in);
	smime_edits_free(&e);
	smime_buf_free(&s);
}

/* Seals hdrs/body for alice and bob; opens it with each key and checks
 * the plaintext is want and the header edits give want_hdrs. */
static void check_encrypt(const smime_keystore *ks, smime_cipher_id cipher,
			  const smime_headers *hdrs, const char *body,
			  const char *want, const char *want_hdrs,
			  const char *what)
{
	const smime_key *keys[2] = {smime_keystore_by_name(ks, "alice"),
				    smime_keystore_by_name(ks, "bob")};
	smime_seal_recipient r[2];
	smime_edits e = {0};
	smime_headers after = SMIME_HEADERS_INIT;
	smime_buf der = SMIME_BUF_INIT, plain = SMIME_BUF_INIT;
	smime_buf s = SMIME_BUF_INIT;
	smime_envelope *env = NULL;
	smime_part *root = NULL;
	int rc;

	memset(r, 0, sizeof r);
	r[0].cert = smime_key_cert(keys[0]);
	r[1].cert = smime_key_cert(keys[1]);
	rc = smime_encrypt_message(cipher, r, 2, hdrs,
				   (const unsigned char *)body, strlen(body),
				   NULL, &e);
	ok(rc == 0 && e.replace_body, "%s: sealed", what);
	smime_edits_apply_headers(hdrs, &e, &after);
	show(&after, &s);
	is_str((char *)s.data, want_hdrs, "%s: the wrapper's header", what);
	if (smime_mime_parse(e.body.data, e.body.len, &after, NULL, &root) ==
		    0 &&
	    smime_part_decode(e.body.data, root, &der) == 0)
		smime_envelope_parse(der.data, der.len, NULL, &env);
	ok(env != NULL && smime_envelope_info(env)->nrecipients == 2,
	   "%s: the body is an envelope with two RecipientInfos", what);
	for (int i = 0; i < 2 && env != NULL; i++) {
		smime_buf_reset(&plain);
		rc = open_with(env, keys[i], &plain, NULL);
		ok(rc == 0 && plain.len == strlen(want) &&
			   memcmp(plain.data, want, plain.len) == 0,
		   "%s: %s opens it to the Content-* fields and the body", what,
		   i ? "bob" : "alice");
	}
	smime_envelope_free(env);
	smime_mime_free(root);
	smime_headers_free(&after);
	smime_edits_free(&e);
	smime_buf_free(&der);
	smime_buf_free(&plain);
	smime_buf_free(&s);
}

static void test_encrypt(const smime_keystore *ks)
{
	smime_headers h = SMIME_HEADERS_INIT, bin = SMIME_HEADERS_INIT;
	smime_headers none = SMIME_HEADERS_INIT;
	smime_seal_recipient r = {0};
	smime_edits e = {0};

	add(&h, "From", "alice@example.org");
	add(&h, "Content-Type", "multipart/mixed;\r\n\tboundary=\"b\"");
	add(&h, "Subject", "s");
	add(&h, "MIME-Version", "1.0");
	add(&h, "Content-Description", "d");
	check_encrypt(ks, SMIME_CIPHER_AES_256_CBC, &h, "--nope\nbroken MIME\n",
		      "Content-Type: multipart/mixed;\r\n\tboundary=\"b\"\r\n"
		      "Content-Description: d\r\n\r\n--nope\r\nbroken MIME\r\n",
		      "From: alice@example.org|Content-Type: "
		      "application/pkcs7-mime; smime-type=enveloped-data;\n\t"
		      "name=smime.p7m|Subject: s|MIME-Version: 1.0|"
		      "Content-Transfer-Encoding: base64|Content-Disposition: "
		      "attachment; filename=smime.p7m",
		      "aes-256-cbc, broken MIME, LF lines");
	add(&bin, "Content-Transfer-Encoding", " binary");
	check_encrypt(ks, SMIME_CIPHER_AES_128_GCM, &bin, "a\nb\r\n",
		      "Content-Transfer-Encoding:  binary\r\n\r\na\nb\r\n",
		      "MIME-Version: 1.0|Content-Type: application/pkcs7-mime; "
		      "smime-type=authEnveloped-data;\n\tname=smime.p7m|"
		      "Content-Transfer-Encoding: base64|"
		      "Content-Disposition: attachment; filename=smime.p7m",
		      "aes-128-gcm, a binary body kept byte for byte");
	check_encrypt(ks, SMIME_CIPHER_DES_EDE3_CBC, &none, "x", "\r\nx",
		      "MIME-Version: 1.0|Content-Type: application/pkcs7-mime; "
		      "smime-type=enveloped-data;\n\tname=smime.p7m|"
		      "Content-Transfer-Encoding: base64|Content-Disposition: "
		      "attachment; filename=smime.p7m",
		      "des-ede3-cbc, no header fields at all");
	ok(smime_encrypt_message(SMIME_CIPHER_AES_256_CBC, &r, 0, &h,
				 (const unsigned char *)"x", 1, NULL,
				 &e) == SMIME_E_ARG &&
		   e.n == 0 && !e.replace_body,
	   "no recipient: refused, the edit list untouched");
	smime_headers_free(&h);
	smime_headers_free(&bin);
	smime_headers_free(&none);
}

/* is_encrypted on the message head, b64, tail. */
static int encrypted(const char *head, const char *b64, const char *tail)
{
	smime_headers h = SMIME_HEADERS_INIT;
	smime_buf full = SMIME_BUF_INIT;
	size_t off = 0;
	bool yes = false;
	int rc;

	smime_buf_printf(&full, "%s%s%s", head, b64, tail);
	rc = smime_message_split(full.data, full.len, &h, &off);
	if (rc == 0)
		rc = smime_message_is_encrypted(
			&h, full.data + off, full.len - off, NULL, NULL, &yes);
	smime_headers_free(&h);
	smime_buf_free(&full);
	return rc < 0 ? rc : yes;
}

static void test_already_encrypted(const smime_keystore *ks)
{
	smime_seal_recipient r = {0};
	smime_buf der = SMIME_BUF_INIT, b64 = SMIME_BUF_INIT;
	smime_buf sig = SMIME_BUF_INIT, sig64 = SMIME_BUF_INIT;
	const char *b;

	r.cert = smime_key_cert(smime_keystore_by_name(ks, "bob"));
	smime_envelope_seal(SMIME_CIPHER_AES_256_CBC,
			    (const unsigned char *)"x", 1, &r, 1, &der);
	smime_base64_encode(der.data, der.len, 76, &b64);
	smime_sign_detached(smime_keystore_by_name(ks, "alice"), NULL,
			    (const unsigned char *)"x", 1, &sig);
	smime_base64_encode(sig.data, sig.len, 76, &sig64);
	b = (const char *)b64.data;
	is_long(encrypted("Content-Type: application/pkcs7-mime; "
			  "smime-type=enveloped-data\nContent-Transfer-"
			  "Encoding: base64\n\n",
			  b, ""),
		1, "already: a top-level enveloped-data");
	is_long(encrypted("Content-Type: "
			  "application/"
			  "octet-stream\nContent-Transfer-Encoding: base64\n\n",
			  b, ""),
		1, "already: whatever the label, the body is an envelope");
	is_long(encrypted("Content-Type: multipart/signed; "
			  "boundary=s\n\n--s\nContent-Type: "
			  "application/pkcs7-mime\nContent-Transfer-Encoding: "
			  "base64\n\n",
			  b,
			  "\n--s\nContent-Type: "
			  "application/pkcs7-signature\n\nAA==\n--s--\n"),
		1, "already: the signed part of a top-level multipart/signed");
	is_long(encrypted("Content-Type: multipart/mixed; "
			  "boundary=m\n\n--m\nContent-Type: "
			  "text/plain\n\nplain\n--m\nContent-Type: "
			  "application/pkcs7-mime\nContent-Transfer-Encoding: "
			  "base64\n\n",
			  b, "\n--m--\n"),
		0, "not already: a multipart with one encrypted part");
	is_long(encrypted("Content-Type: application/pkcs7-mime; "
			  "smime-type=enveloped-data\nContent-Transfer-"
			  "Encoding: base64\n\n",
			  "", "Tm90IENNUw=="),
		0,
		"not already: a pkcs7-mime label over a body that is no CMS");
	is_long(encrypted("Content-Type: application/pkcs7-mime; "
			  "smime-type=signed-data\nContent-Transfer-Encoding: "
			  "base64\n\n",
			  (const char *)sig64.data, ""),
		0, "not already: a SignedData");
	is_long(encrypted("Content-Type: text/plain\n\n", "", "hello\n"), 0,
		"not already: plain text");
	smime_buf_free(&sig);
	smime_buf_free(&sig64);
	smime_buf_free(&der);
	smime_buf_free(&b64);
}

int main(void)
{
	smime_keystore *ks =
		fixture_start("test_encrypt_message", tmpdir, sizeof(tmpdir));

	test_apply_headers();
	test_encrypt(ks);
	test_already_encrypted(ks);
	fixture_end(ks, tmpdir);
	return tap_done();
}
