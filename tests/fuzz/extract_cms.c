/*
 * extract_cms.c - seed helper for the CMS fuzzer: writes the DER of every
 * CMS object found in the given files to OUTDIR, one file each.
 *
 *   extract_cms OUTDIR FILE...
 *
 * A raw CMS file (DER, or PEM with a PKCS7/CMS label) gives its DER.  A
 * message gives every application/pkcs7-mime and pkcs7-signature
 * entity (also the x- spellings and names ending in .p7m or .p7s) with
 * its transfer encoding undone, and, recursively, the CMS inside the eContent of opaque SignedData
 * (sign-then-encrypt, triple wrapping).  Files that hold nothing are
 * skipped silently.  Built by contrib/fuzz/build with the project's own
 * MIME and CMS code, so the seeds are what the milter would extract.
 */
#include "smime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *outdir;
static unsigned written;

static int write_der(const char *base, const unsigned char *der, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s-%u.der", outdir, base, written);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(der, 1, len, fp) != len) {
		perror(path);
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	written++;
	return fclose(fp) == 0 ? 0 : -1;
}

static int from_message(const char *base, const unsigned char *buf, size_t len,
			unsigned depth);

/* Writes one DER object, then looks inside opaque SignedData. */
static int from_der(const char *base, const unsigned char *der, size_t len,
		    unsigned depth)
{
	smime_cms_info info;
	int rc;

	if (len == 0 || der[0] != 0x30)
		return 0;
	if (write_der(base, der, len) < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	rc = 0;
	if (smime_cms_read(der, len, NULL, &info) == 0 &&
	    info.econtent.len > 0 && depth < 8)
		rc = from_message(base, info.econtent.data, info.econtent.len,
				  depth + 1);
	smime_cms_info_free(&info);
	return rc;
}

static int is_cms_part(const smime_part *p)
{
	const char *name = smime_part_param(p, "name");
	size_t n = name ? strlen(name) : 0;

	if (strcmp(p->type, "application") == 0 &&
	    (strcmp(p->subtype, "pkcs7-mime") == 0 ||
	     strcmp(p->subtype, "x-pkcs7-mime") == 0 ||
	     strcmp(p->subtype, "pkcs7-signature") == 0 ||
	     strcmp(p->subtype, "x-pkcs7-signature") == 0))
		return 1;
	return n > 4 && (strcmp(name + n - 4, ".p7m") == 0 ||
			 strcmp(name + n - 4, ".p7s") == 0);
}

static int walk(const char *base, const unsigned char *buf, const smime_part *p,
		unsigned depth)
{
	smime_buf der = SMIME_BUF_INIT;
	int rc = 0;

	if (is_cms_part(p) && smime_part_decode(buf, p, &der) == 0)
		rc = from_der(base, der.data, der.len, depth);
	smime_buf_free(&der);
	for (size_t i = 0; rc == 0 && i < p->nchildren; i++)
		rc = walk(base, buf, &p->children[i], depth);
	return rc;
}

static int from_message(const char *base, const unsigned char *buf, size_t len,
			unsigned depth)
{
	smime_part *root = NULL;
	smime_buf der = SMIME_BUF_INIT;
	int rc;

	if (smime_cms_looks_raw(buf, len)) {
		rc = smime_cms_from_pem(buf, len, &der);
		if (rc == 0)
			rc = from_der(base, der.data, der.len, depth);
		smime_buf_free(&der);
		return rc < 0 && rc != SMIME_E_PARSE ? rc : 0;
	}
	rc = smime_mime_parse(buf, len, NULL, NULL, &root);
	if (rc == 0)
		rc = walk(base, buf, root, depth);
	smime_mime_free(root);
	return rc;
}

static int read_file(const char *path, smime_buf *out)
{
	unsigned char chunk[65536];
	FILE *fp = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (fp == NULL)
		return -1;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = smime_buf_append(out, chunk, n);
	if (ferror(fp))
		rc = -1;
	fclose(fp);
	return rc;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: extract_cms OUTDIR FILE...\n");
		return 2;
	}
	if (smime_global_init() != 0)
		return 1;
	outdir = argv[1];
	for (int i = 2; i < argc; i++) {
		smime_buf data = SMIME_BUF_INIT;
		const char *base = strrchr(argv[i], '/');
		char name[256];

		snprintf(name, sizeof(name), "%s", base ? base + 1 : argv[i]);
		for (char *c = name; *c != '\0'; c++)
			if (*c == ' ' || *c == '#' || *c == '/')
				*c = '_';
		if (read_file(argv[i], &data) < 0) {
			perror(argv[i]);
			status = 1;
		} else if (from_message(name, data.data, data.len, 0) < 0) {
			status = 1;
		}
		smime_buf_free(&data);
	}
	printf("%u CMS objects written to %s\n", written, outdir);
	return status;
}
