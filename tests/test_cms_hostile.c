/*
 * test_cms_hostile.c - the CMS reader (crypto/cms_*.c) against hostile
 * input: every truncation and random bit flips of the fixtures in
 * tests/data/cms, deep nesting and absurd lengths must give a defined
 * error or a sane result, never a crash or an over-read (this runs under
 * ASan/UBSan in CI).
 */
#include "cms_fixtures.h"
#include "smime.h"
#include "tap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Hostile input                                                        */
/* ------------------------------------------------------------------ */

/* [p, p + n) lies within [base, base + len). */
static bool inside(const unsigned char *p, size_t n, const unsigned char *base,
		   size_t len)
{
	return base != NULL && p >= base && n <= len &&
	       (size_t)(p - base) <= len - n;
}

/* What any successful read must satisfy, whatever the input: views
 * point into the bytes read, or into the copy without the encrypted
 * content that was decoded instead (cms_hollow.c). */
static bool sane(int ret, const unsigned char *der, size_t len,
		 const smime_cms_info *info)
{
	if (ret != 0)
		return ret == SMIME_E_PARSE || ret == SMIME_E_LIMIT ||
		       ret == SMIME_E_UNSUPPORTED;
	if (info->kind == SMIME_KIND_NONE || info->content_type_oid == NULL)
		return false;
	if (info->kind == SMIME_KIND_ENVELOPED ||
	    info->kind == SMIME_KIND_AUTH_ENVELOPED) {
		if (info->nrecipients == 0 || info->cipher_oid == NULL)
			return false;
		for (size_t i = 0; i < info->nrecipients; i++) {
			const smime_recipient *r = &info->recipients[i];

			if (r->key_alg == NULL ||
			    (r->enc_key != NULL &&
			     !inside(r->enc_key, r->enc_key_len, der, len) &&
			     !inside(r->enc_key, r->enc_key_len,
				     info->hollow.data, info->hollow.len)))
				return false;
		}
	}
	for (size_t i = 0; i < info->nsigners; i++)
		if (info->signers[i].digest == NULL ||
		    info->signers[i].sig_alg == NULL)
			return false;
	return true;
}

/* Reads a private, exact-size copy so ASan sees any over-read. */
static int read_copy(const unsigned char *src, size_t len, bool *ok_out)
{
	unsigned char *copy = malloc(len ? len : 1);
	smime_cms_info info;
	int ret;

	memcpy(copy, src, len);
	ret = smime_cms_read(copy, len, NULL, &info);
	*ok_out = sane(ret, copy, len, &info);
	smime_cms_info_free(&info);
	free(copy);
	return ret;
}

static void test_truncations(const char *name)
{
	smime_buf der = load(name);
	size_t accepted = 0, insane = 0;
	bool good;

	for (size_t n = 0; n < der.len; n++) {
		if (read_copy(der.data, n, &good) == 0)
			accepted++;
		if (!good)
			insane++;
	}
	is_long((long)accepted, 0, "no truncation of %s is read as CMS", name);
	is_long((long)insane, 0, "every truncation of %s gives a defined error",
		name);
	smime_buf_free(&der);
}

static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
	/* xorshift32: deterministic, so a failure replays */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_bit_flips(const char *name, unsigned rounds)
{
	smime_buf der = load(name);
	unsigned char *m = malloc(der.len ? der.len : 1);
	unsigned insane = 0, read_ok = 0;
	bool good;

	for (unsigned i = 0; der.len > 0 && i < rounds; i++) {
		memcpy(m, der.data, der.len);
		for (unsigned k = 1 + rng() % 3; k > 0; k--)
			m[rng() % der.len] ^=
				(unsigned char)(1u << (rng() % 8));
		if (read_copy(m, der.len, &good) == 0)
			read_ok++;
		if (!good)
			insane++;
	}
	is_long(insane, 0, "%u bit-flipped copies of %s: results all sane",
		rounds, name);
	printf("# %u of %u flipped copies of %s still read\n", read_ok, rounds,
	       name);
	free(m);
	smime_buf_free(&der);
}

/* A ContentInfo header with content type ct (the DER bytes of the OID
 * value), then [0] wrapping body; lengths as given (may lie). */
static size_t build_ci(unsigned char *out, const unsigned char *oid,
		       size_t oidlen, const unsigned char *body, size_t bodylen)
{
	size_t n = 0;

	out[n++] = 0x30;
	out[n++] = 0x80;
	out[n++] = 0x06;
	out[n++] = (unsigned char)oidlen;
	memcpy(out + n, oid, oidlen);
	n += oidlen;
	out[n++] = 0xa0;
	out[n++] = 0x80;
	memcpy(out + n, body, bodylen);
	n += bodylen;
	memset(out + n, 0, 4); /* EOC of [0], EOC of the SEQUENCE */
	return n + 4;
}

static void test_nesting_and_lengths(void)
{
	static const unsigned char signed_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
						   0x0d, 0x01, 0x07, 0x02};
	static const unsigned char data_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
						 0x0d, 0x01, 0x07, 0x01};
	static const unsigned char huge[][12] = {
		{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06, 0x09, 0x2a, 0x86},
		{0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x30, 0x82, 0x00, 0x08, 0x06, 0x84, 0x7f, 0xff, 0xff, 0xff},
		{0x30, 0x0a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d},
	};
	const size_t depth = 20000;
	unsigned char *body = malloc(4 * depth), *msg = malloc(4 * depth + 64);
	size_t n;
	bool good;
	int ret;

	/* 20000 nested indefinite-length SEQUENCEs inside an ANY and inside
	 * a SignedData: libtasn1 must neither recurse itself to death nor
	 * loop. */
	for (size_t i = 0; i < depth; i++) {
		body[2 * i] = 0x30;
		body[2 * i + 1] = 0x80;
	}
	memset(body + 2 * depth, 0, 2 * depth);
	n = build_ci(msg, data_oid, sizeof(data_oid), body, 4 * depth);
	ret = read_copy(msg, n, &good);
	ok(good, "deeply nested BER in an ANY: defined result (%d)", ret);
	n = build_ci(msg, signed_oid, sizeof(signed_oid), body, 4 * depth);
	ret = read_copy(msg, n, &good);
	ok(ret < 0 && good, "deeply nested BER as SignedData is an error");

	/* The same depth with definite lengths that claim too much. */
	for (size_t i = 0; i < depth; i++) {
		body[2 * i] = 0x30;
		body[2 * i + 1] = 0x7f;
	}
	n = build_ci(msg, signed_oid, sizeof(signed_oid), body, 2 * depth);
	ret = read_copy(msg, n, &good);
	ok(ret < 0 && good, "nested lying lengths are an error");

	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		ret = read_copy(huge[i], sizeof(huge[i]), &good);
		ok(ret < 0 && good,
		   "huge or lying length field %zu is an error", i);
	}
	free(body);
	free(msg);
}

int main(void)
{
	static const char *const hostile[] = {
		"env-stream.ber",         "signed-2signers.der",
		"env-kari.der",           "env-oaep-label.der",
		"env-rc2-v58-key5.der",   "env-pwri.der",
		"env-kekri.der",          "signed-opaque-stream.ber",
		"authenv-aes128-gcm.der", "corpus-kari-3des.der",
	};

	if (smime_global_init() != 0) {
		ok(0, "smime_global_init");
		return tap_done();
	}
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		test_truncations(hostile[i]);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		test_bit_flips(hostile[i], 400);
	test_nesting_and_lengths();
	smime_global_deinit();
	return tap_done();
}
