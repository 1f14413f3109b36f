/*
 * envelope_driver.c - a small command-line front end to the
 * EnvelopedData engine, for tests/envelope_interop.sh (not installed).
 *
 *   envelope_driver open KEYSTORE IN OUT
 *       opens IN (DER, PEM or an S/MIME message) with whichever key of
 *       KEYSTORE a RecipientInfo names, and writes the content to OUT.
 *   envelope_driver reencrypt KEYSTORE CERTDIR CIPHER IN OUT [mime]
 *       opens IN like open, then seals the content again with CIPHER for
 *       every key-transport RecipientInfo of IN, with the certificate the
 *       RecipientInfo names (the key store's own, or CERTDIR's; "-" for
 *       none) and its original key transport and identifier form.  OUT
 *       is DER, or with "mime" the RFC 8551 entity.
 *
 * Exit status: 0 done, 1 the message could not be opened or a recipient
 * has no certificate (a message on stderr), 2 usage or setup errors.
 */
#include "smime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_file(const char *path, smime_buf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (smime_buf_append(out, buf, n) < 0)
			break;
	fclose(f);
	return 0;
}

static int write_file(const char *path, const smime_buf *b)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(b->data, 1, b->len, f) == b->len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The CMS DER of IN: raw DER or PEM, or the body of an S/MIME message. */
static int input_der(const char *path, smime_buf *der)
{
	smime_buf raw = SMIME_BUF_INIT;
	smime_part *root = NULL;
	int ret = -1;

	if (read_file(path, &raw) < 0 || raw.len == 0)
		goto out;
	if (smime_cms_looks_raw(raw.data, raw.len))
		ret = smime_cms_from_pem(raw.data, raw.len, der);
	else if (smime_mime_parse(raw.data, raw.len, NULL, NULL, &root) == 0)
		ret = smime_part_decode(raw.data, root, der);
out:
	smime_mime_free(root);
	smime_buf_free(&raw);
	return ret;
}

/* Opens env the way the milter does (SPEC section 8): with the first
 * key of ks whose certificate a RecipientInfo names, through the first
 * RecipientInfo naming it. */
static int open_any(const smime_keystore *ks, const smime_envelope *env,
		    smime_buf *out)
{
	size_t n = smime_envelope_info(env)->nrecipients;

	for (size_t i = 0; i < smime_keystore_count(ks); i++) {
		const smime_key *k = smime_keystore_at(ks, i);
		smime_unwrap u = {
			smime_envelope_find_ri(env, smime_key_cert(k)), k};
		bool same = false;
		int ret;

		if (u.ri >= n)
			continue;
		ret = smime_envelope_usable(env, u.ri, k);
		if (ret == 0)
			ret = smime_envelope_content_check(env, NULL);
		if (ret == 0)
			ret = smime_envelope_open(env, &u, 1, out, NULL, &same);
		if (ret == 0)
			return same ? 0 : SMIME_E_CRYPTO;
		return ret;
	}
	return SMIME_E_NOTFOUND;
}

/* The certificate a RecipientInfo names: the key store's, else CERTDIR's. */
static const smime_cert *cert_for(const smime_keystore *ks,
				  const smime_certdir *cd,
				  const smime_recipient *r)
{
	const smime_key *k;
	size_t pos = 0;

	k = smime_keystore_find_recipient(ks, r, &pos);
	if (k != NULL)
		return smime_key_cert(k);
	pos = 0;
	return cd ? smime_certdir_find_recipient(cd, r, &pos) : NULL;
}

static int reencrypt(const smime_keystore *ks, const smime_certdir *cd,
		     const char *cipher, const smime_envelope *env,
		     const smime_buf *content, bool mime, smime_buf *out)
{
	const smime_cms_info *info = smime_envelope_info(env);
	const smime_cipher_info *c = smime_cipher_by_name(cipher);
	smime_seal_recipient *r;
	smime_buf der = SMIME_BUF_INIT;
	size_t n = 0;
	int ret = 0;

	if (c == NULL) {
		fprintf(stderr, "unknown cipher %s\n", cipher);
		return 2;
	}
	r = calloc(info->nrecipients + 1, sizeof(*r));
	if (r == NULL)
		return 2;
	for (size_t i = 0; i < info->nrecipients; i++) {
		if (info->recipients[i].type != SMIME_RI_KTRI)
			continue;
		r[n].cert = cert_for(ks, cd, &info->recipients[i]);
		if (r[n].cert == NULL) {
			fprintf(stderr, "recipient %zu: no certificate\n", i);
			ret = 1;
			goto out;
		}
		ret = smime_envelope_keytrans(env, i, &r[n].kt);
		if (ret < 0)
			goto fail;
		n++;
	}
	ret = smime_envelope_seal(c->id, content->data, content->len, r, n,
				  &der);
	if (ret < 0)
		goto fail;
	if (mime)
		ret = smime_p7m_entity(c->aead ? SMIME_KIND_AUTH_ENVELOPED
					       : SMIME_KIND_ENVELOPED,
				       der.data, der.len, out);
	else
		ret = smime_buf_append(out, der.data, der.len);
	if (ret < 0)
		goto fail;
	goto out;
fail:
	fprintf(stderr, "seal: %s\n", smime_strerror(ret));
	ret = 1;
out:
	free(r);
	smime_buf_free(&der);
	return ret;
}

int main(int argc, char **argv)
{
	smime_buf der = SMIME_BUF_INIT, content = SMIME_BUF_INIT,
		  out = SMIME_BUF_INIT, diags = SMIME_BUF_INIT;
	smime_keystore *ks = NULL;
	smime_certdir *cd = NULL;
	smime_envelope *env = NULL;
	const char *in, *outfile;
	bool re;
	int ret, status = 2;

	re = argc >= 7 && strcmp(argv[1], "reencrypt") == 0;
	if (!(argc == 5 && strcmp(argv[1], "open") == 0) &&
	    !(re &&
	      (argc == 7 || (argc == 8 && strcmp(argv[7], "mime") == 0)))) {
		fprintf(stderr,
			"usage: envelope_driver open KEYSTORE IN OUT\n"
			"       envelope_driver reencrypt KEYSTORE CERTDIR "
			"CIPHER IN OUT [mime]\n");
		return 2;
	}
	in = argv[re ? 5 : 3];
	outfile = argv[re ? 6 : 4];
	if (smime_global_init() != 0)
		return 2;
	if (smime_keystore_load(argv[2], &diags, &ks) < 0 ||
	    (re && strcmp(argv[3], "-") != 0 &&
	     smime_certdir_load(argv[3], &diags, &cd) < 0)) {
		fprintf(stderr, "%s", diags.data ? (char *)diags.data : "");
		goto out;
	}
	if (input_der(in, &der) < 0) {
		fprintf(stderr, "%s: no CMS object\n", in);
		goto out;
	}
	ret = smime_envelope_parse(der.data, der.len, NULL, &env);
	if (ret == 0)
		ret = open_any(ks, env, &content);
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", in, smime_strerror(ret));
		status = 1;
		goto out;
	}
	if (re)
		status = reencrypt(ks, cd, argv[4], env, &content, argc == 8,
				   &out);
	else
		status = smime_buf_append(&out, content.data, content.len) < 0;
	if (status == 0 && write_file(outfile, &out) < 0) {
		fprintf(stderr, "%s: cannot write\n", outfile);
		status = 2;
	}
out:
	smime_envelope_free(env);
	smime_keystore_free(ks);
	smime_certdir_free(cd);
	smime_buf_free(&der);
	smime_buf_free(&content);
	smime_buf_free(&out);
	smime_buf_free(&diags);
	smime_global_deinit();
	return status;
}
