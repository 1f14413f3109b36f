/*
 * test_capabilities.c - SMIMECapabilities read (RFC 8551 section 2.5.2)
 * and the cipher `auto` picks from them (SPEC section 9).
 */
#include "smime.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* The SMIMECapabilities value `openssl cms -sign` (3.0) writes, byte for
 * byte: aes-256-cbc, aes-192-cbc, aes-128-cbc, des-ede3-cbc, rc2-cbc 128,
 * rc2-cbc 64, des-cbc, rc2-cbc 40. */
static const unsigned char caps_openssl[] = {
	0x30, 0x6a, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x01, 0x2a, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x01, 0x16, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x01, 0x02, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0x86, 0xf7, 0x0d, 0x03, 0x07, 0x30, 0x0e, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0x86, 0xf7, 0x0d, 0x03, 0x02, 0x02, 0x02, 0x00, 0x80, 0x30, 0x0d, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x02, 0x02, 0x01, 0x40,
	0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x07, 0x30, 0x0d, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x02, 0x02, 0x01, 0x28,
};

/* preferBinaryInside, aes-256-gcm, sha-256 (with NULL parameters),
 * aes-256-gcm again, rc2-cbc without parameters, rc2-cbc with an OCTET
 * STRING for parameters, aes-128-gcm. */
static const unsigned char caps_mixed[] = {
	0x30, 0x60, 0x30, 0x0d, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x09, 0x10, 0x0b, 0x01, 0x30, 0x0b, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e, 0x30, 0x0d, 0x06,
	0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
	0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x01, 0x2e, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86,
	0xf7, 0x0d, 0x03, 0x02, 0x30, 0x0d, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0x86, 0xf7, 0x0d, 0x03, 0x02, 0x04, 0x01, 0x28, 0x30, 0x0b, 0x06,
	0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x06,
};

/* des-ede3-cbc alone: a Windows Mobile 6 phone. */
static const unsigned char caps_3des[] = {
	0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07,
};

/* The cipher names of caps, blank-separated, into out. */
static const char *names(const smime_caps *c, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		const smime_cipher_info *ci = smime_cipher_by_id(c->cipher[i]);
		size_t len = strlen(out);
		snprintf(out + len, size - len, "%s%s", i ? " " : "",
			 ci ? ci->name : "?");
	}
	return out;
}

static void test_parse(void)
{
	smime_caps c;
	char buf[512];

	is_long(smime_caps_parse(caps_openssl, sizeof(caps_openssl), &c), 0,
		"OpenSSL's list parses");
	is_str(names(&c, buf, sizeof(buf)),
	       "aes-256-cbc aes-192-cbc aes-128-cbc des-ede3-cbc rc2-128-cbc "
	       "rc2-64-cbc des-cbc rc2-40-cbc",
	       "OpenSSL's list: eight ciphers in its order, RC2 by key size");
	is_long((long)c.other, 0, "OpenSSL's list: nothing else");

	is_long(smime_caps_parse(caps_mixed, sizeof(caps_mixed), &c), 0,
		"a list with other capabilities parses");
	is_str(names(&c, buf, sizeof(buf)), "aes-256-gcm aes-128-gcm",
	       "mixed list: the content ciphers, a repeat kept once");
	is_long((long)c.other, 4,
		"mixed list: preferBinaryInside, sha-256 and two RC2 without a "
		"key size counted as other");
}

static void test_parse_rejects(void)
{
	unsigned char buf[sizeof(caps_openssl)];
	smime_caps c;
	int bad = 0;

	for (size_t len = 0; len < sizeof(caps_openssl); len++) {
		memset(&c, 0x5a, sizeof(c));
		if (smime_caps_parse(caps_openssl, len, &c) != SMIME_E_PARSE ||
		    c.n != 0)
			bad++;
	}
	is_long(bad, 0,
		"every truncation of OpenSSL's list is a parse error, empty");
	memcpy(buf, caps_openssl, sizeof(buf));
	buf[0] = 0x31; /* a SET, not a SEQUENCE */
	is_long(smime_caps_parse(buf, sizeof(buf), &c), SMIME_E_PARSE,
		"a SET is not an SMIMECapabilities");
	{
		static const unsigned char empty[] = {0x30, 0x00};
		is_long(smime_caps_parse(empty, sizeof(empty), &c), 0,
			"an empty list parses");
		is_long((long)c.n, 0, "an empty list names no cipher");
	}
}

/* 3,000 capabilities: the result stays bounded. */
static void test_parse_many(void)
{
	size_t count = 3000, one = sizeof(caps_3des) - 2;
	size_t body = count * one, len = 4 + body;
	unsigned char *der = malloc(len);
	smime_caps c;

	if (der == NULL) {
		ok(0, "3,000 capabilities: memory");
		return;
	}
	der[0] = 0x30, der[1] = 0x82;
	der[2] = (unsigned char)(body >> 8), der[3] = (unsigned char)body;
	for (size_t i = 0; i < count; i++)
		memcpy(der + 4 + i * one, caps_3des + 2, one);
	is_long(smime_caps_parse(der, len, &c), 0, "3,000 capabilities parse");
	is_long((long)c.n, 1, "3,000 times des-ede3-cbc is one cipher");
	is_long((long)c.dropped, (long)(count - SMIME_CAPS_SCAN),
		"only the first SMIME_CAPS_SCAN entries are read, the rest "
		"counted as dropped");
	free(der);
}

static smime_cipher_id pick(const smime_caps *a, const smime_caps *b,
			    uint32_t weak, size_t min_block)
{
	const smime_caps *r[2] = {a, b};
	return smime_auto_cipher(r, 2, SMIME_CIPHER_AES_256_CBC, weak,
				 min_block);
}

static const char *name_of(smime_cipher_id id)
{
	const smime_cipher_info *ci = smime_cipher_by_id(id);
	return id == SMIME_CIPHER_UNKNOWN ? "none" : ci ? ci->name : "?";
}

static void test_auto(void)
{
	smime_caps openssl, gcm, phone;
	uint32_t weak = SMIME_WEAK_DEFAULT;

	smime_caps_parse(caps_openssl, sizeof(caps_openssl), &openssl);
	smime_caps_parse(caps_mixed, sizeof(caps_mixed), &gcm);
	smime_caps_parse(caps_3des, sizeof(caps_3des), &phone);

	is_str(name_of(pick(&gcm, &gcm, weak, 0)), "aes-256-gcm",
	       "two GCM-first clients: aes-256-gcm");
	is_str(name_of(pick(&gcm, &phone, weak, 0)), "des-ede3-cbc",
	       "a GCM-first client and a 3DES-only phone: des-ede3-cbc");
	is_str(name_of(pick(&openssl, &openssl, weak, 0)), "aes-256-cbc",
	       "OpenSSL's list: aes-256-cbc");
	is_str(name_of(pick(NULL, NULL, weak, 0)), "aes-256-cbc",
	       "unknown capabilities: DefaultCipher");
	is_str(name_of(pick(&gcm, NULL, weak, 0)), "des-ede3-cbc",
	       "GCM-only and unknown (DefaultCipher aes-256-cbc): "
	       "des-ede3-cbc");
	is_str(name_of(pick(&openssl, NULL, weak, 0)), "aes-256-cbc",
	       "OpenSSL's list and unknown: aes-256-cbc");
	is_str(name_of(pick(&gcm, &phone,
			    weak | SMIME_CIPHER_BIT(SMIME_CIPHER_DES_EDE3_CBC),
			    0)),
	       "none", "3DES weak and a 3DES-only phone: no cipher");
	is_str(name_of(pick(&gcm, &gcm, weak, 8)), "des-ede3-cbc",
	       "reencrypt of 8-byte-block content: no GCM");
	is_str(name_of(pick(&openssl, &openssl, weak, 16)), "aes-256-cbc",
	       "reencrypt of AES-CBC content: an AES-CBC cipher");
	is_str(name_of(pick(&openssl, &phone, weak, 16)), "none",
	       "reencrypt of AES-CBC content for a 3DES-only phone: none");
	is_long(smime_caps_supports(&phone, SMIME_CIPHER_DES_EDE3_CBC,
				    SMIME_CIPHER_AES_256_CBC),
		1, "every recipient reads des-ede3-cbc");
	is_long(smime_caps_supports(&openssl, SMIME_CIPHER_RC2_40_CBC,
				    SMIME_CIPHER_AES_256_CBC),
		1, "a listed cipher is supported, weak or not");
	{
		size_t n;
		const smime_cipher_id *o = smime_auto_order(&n);
		int bad = 0;
		for (size_t i = 0; i < n; i++)
			if (o[i] == SMIME_CIPHER_RC2_40_CBC ||
			    o[i] == SMIME_CIPHER_RC2_64_CBC ||
			    o[i] == SMIME_CIPHER_RC2_128_CBC ||
			    o[i] == SMIME_CIPHER_DES_CBC)
				bad++;
		is_long(bad, 0, "RC2 and DES are never chosen");
		is_long((long)n, 6, "auto tries six ciphers");
	}
}

int main(void)
{
	test_parse();
	test_parse_rejects();
	test_parse_many();
	test_auto();
	return tap_done();
}
