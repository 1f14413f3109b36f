/*
 * verify_fixtures.h - what test_verify.c and test_trust_recipient.c
 * share: the paths of tests/data/verify and trust stores loaded from
 * them.
 */
#ifndef VERIFY_FIXTURES_H
#define VERIFY_FIXTURES_H

#include "smime.h"

#include <stdio.h>

#ifndef VERIFY_DATA_DIR
#define VERIFY_DATA_DIR "tests/data/verify"
#endif

#define NOW ((time_t)1796083200) /* 2026-12-01 */
#define YEAR_2000 ((time_t)946684800)
#define YEAR_2100 ((time_t)4102444800)

__attribute__((unused)) static const char *path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", VERIFY_DATA_DIR, name);
	return buf;
}

__attribute__((unused)) static int read_file(const char *name, smime_buf *out)
{
	FILE *f = fopen(path(name), "rb");
	char chunk[8192];
	size_t n;
	int ret = 0;

	if (f == NULL)
		return SMIME_E_IO;
	while (ret == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ret = smime_buf_append(out, chunk, n);
	fclose(f);
	return ret;
}

__attribute__((unused)) static smime_trust *
load(const char *anchors, const char *crls, const char *weak1,
     const char *weak2, unsigned min_rsa)
{
	const char *weak[2] = {weak1, weak2};
	smime_trust_config c = {0};
	smime_trust *t = NULL;
	char a[4096], r[4096];

	if (anchors) {
		snprintf(a, sizeof(a), "%s", path(anchors));
		c.anchor_file = a;
	}
	if (crls) {
		snprintf(r, sizeof(r), "%s", path(crls));
		c.crl_path = r;
	}
	c.weak_digests = weak;
	c.nweak_digests = weak2 ? 2 : weak1 ? 1 : 0;
	c.min_rsa_bits = min_rsa;
	if (smime_trust_load(&c, &t, NULL) < 0)
		return NULL;
	return t;
}

__attribute__((unused)) static smime_trust *load_default(const char *anchors,
							 const char *crls)
{
	return load(anchors, crls, "md5", "sha1", 2048);
}

#endif
