/*
 * verify_fixtures.h - what test_verify.c, test_verify_authors.c and
 * test_trust_recipient.c share: the paths of tests/data/verify, trust
 * stores loaded from them, and analysing a message with verification on.
 */
#ifndef VERIFY_FIXTURES_H
#define VERIFY_FIXTURES_H

#include "smime.h"

#include <stdio.h>
#include <string.h>

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

/* Analyses a message held in memory with verification on. */
__attribute__((unused)) static int analyze_mem(const smime_buf *msg,
					       const smime_trust *t, time_t now,
					       smime_facts *f)
{
	smime_analyze_opts o;

	smime_analyze_opts_default(&o);
	o.trust = t;
	o.now = now;
	return smime_analyze(msg->data, msg->len, NULL, &o, f);
}

__attribute__((unused)) static int
analyze_file(const char *name, const smime_trust *t, time_t now, smime_facts *f)
{
	smime_buf msg = SMIME_BUF_INIT;
	int ret = read_file(name, &msg);

	memset(f, 0, sizeof(*f));
	if (ret == 0)
		ret = analyze_mem(&msg, t, now, f);
	smime_buf_free(&msg);
	return ret;
}

/* The verdict of signer i of layer l, or NULL. */
__attribute__((unused)) static const smime_sigcheck *
verdict(const smime_facts *f, size_t l, size_t i)
{
	if (l >= f->nlayers || i >= f->layers[l].nchecks)
		return NULL;
	return &f->layers[l].checks[i];
}

__attribute__((unused)) static const char *rr(const smime_sigcheck *c)
{
	static char buf[128];

	if (c == NULL)
		return "(no verdict)";
	snprintf(buf, sizeof(buf), "%s%s%s", smime_result_name(c->result),
		 c->reason ? "/" : "",
		 c->reason ? smime_reason_name(c->reason) : "");
	return buf;
}

__attribute__((unused)) static bool has(const smime_sigcheck *c, smime_reason r)
{
	return c != NULL && (c->problems & SMIME_REASON_BIT(r)) != 0;
}

/* The one verdict of a single-signer message. */
__attribute__((unused)) static void expect_file(const char *name,
						const smime_trust *t,
						time_t now, const char *want,
						const char *why)
{
	smime_facts f;
	int ret = analyze_file(name, t, now, &f);

	is_long(ret, 0, "%s: analysed", name);
	is_str(rr(verdict(&f, 0, 0)), want, "%s: %s", name, why);
	smime_facts_free(&f);
}

#endif
