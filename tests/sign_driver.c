/*
 * sign_driver.c - a small command-line front end to the signer, for
 * tests/sign_interop.sh (not installed).
 *
 *   sign_driver detached KEYSTORE NAME DIGEST PADDING IN OUT
 *       signs the bytes of IN and writes the detached SignedData (DER).
 *   sign_driver message KEYSTORE NAME DIGEST PADDING IN OUT
 *       signs the message IN as smime-milter would and writes it with
 *       the edits applied (the smime-tool writer).
 *
 * DIGEST is sha256, sha384 or sha512; PADDING pkcs1 or pss.
 * Exit status: 0 done, 1 signing failed (a message on stderr), 2 usage
 * or setup errors.
 */
#include "milter.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_file(const char *path, smime_buf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;
	int ret = 0;

	if (f == NULL)
		return -1;
	while (ret == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		ret = smime_buf_append(out, buf, n);
	fclose(f);
	return ret;
}

static int sign_message(const smime_key *key, const smime_sign_opts *o,
			const smime_buf *in, const char *out)
{
	smime_headers hdrs = SMIME_HEADERS_INIT;
	smime_edits edits = {0};
	size_t off = 0;
	int fd, ret;

	ret = smime_message_split(in->data, in->len, &hdrs, &off);
	if (ret == 0)
		ret = smime_sign_message(key, o, &hdrs, in->data + off,
					 in->len - off, NULL, &edits);
	if (ret < 0) {
		fprintf(stderr, "sign_driver: %s\n", smime_strerror(ret));
		ret = 1;
		goto cleanup;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || milter_apply_file(in->data, in->len, off, &edits, fd) < 0)
		ret = 2;
	if (fd >= 0 && close(fd) < 0)
		ret = 2;
cleanup:
	smime_headers_free(&hdrs);
	smime_edits_free(&edits);
	return ret;
}

int main(int argc, char **argv)
{
	smime_buf in = SMIME_BUF_INIT, der = SMIME_BUF_INIT;
	smime_keystore *ks = NULL;
	smime_buf diags = SMIME_BUF_INIT;
	const smime_key *key;
	smime_sign_opts o = {0};
	int ret = 2;
	FILE *f;

	if (argc != 8) {
		fprintf(stderr, "usage: sign_driver detached|message KEYSTORE "
				"NAME DIGEST PADDING IN OUT\n");
		return 2;
	}
	o.digest = argv[4];
	o.rsa_padding =
		strcmp(argv[5], "pss") == 0 ? SMIME_SIGN_PSS : SMIME_SIGN_PKCS1;
	if (smime_global_init() < 0)
		return 2;
	if (smime_keystore_load(argv[2], &diags, &ks) < 0) {
		fprintf(stderr, "sign_driver: key store: %s",
			diags.data ? (char *)diags.data : "?\n");
		goto cleanup;
	}
	key = smime_keystore_by_name(ks, argv[3]);
	if (key == NULL || read_file(argv[6], &in) < 0) {
		fprintf(stderr, "sign_driver: no key %s or no %s\n", argv[3],
			argv[6]);
		goto cleanup;
	}
	if (strcmp(argv[1], "message") == 0) {
		ret = sign_message(key, &o, &in, argv[7]);
		goto cleanup;
	}
	ret = smime_sign_detached(key, &o, in.data, in.len, &der);
	if (ret < 0) {
		fprintf(stderr, "sign_driver: %s\n", smime_strerror(ret));
		ret = 1;
		goto cleanup;
	}
	ret = 2;
	f = fopen(argv[7], "wb");
	if (f != NULL && fwrite(der.data, 1, der.len, f) == der.len)
		ret = 0;
	if (f != NULL && fclose(f) != 0)
		ret = 2;
cleanup:
	smime_buf_free(&in);
	smime_buf_free(&der);
	smime_buf_free(&diags);
	smime_keystore_free(ks);
	smime_global_deinit();
	return ret;
}
