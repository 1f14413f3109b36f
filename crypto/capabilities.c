/*
 * capabilities.c - a correspondent's SMIMECapabilities (RFC 8551 section
 * 2.5.2) and the cipher `auto` picks from them (SPEC section 9).
 *
 * smime_caps_parse() reads the DER of an SMIMECapabilities value, as a
 * signed attribute or an LDAP userSMIMECertificate carries it, into the
 * content ciphers it names, in the sender's order of preference.  rc2-cbc
 * names its key size in its parameters (40, 64, 128); other
 * capabilities (signature algorithms, preferBinaryInside, ...) are
 * counted, not kept.  A cipher listed twice is kept once; past
 * SMIME_CAPS_MAX distinct ciphers, and past the first SMIME_CAPS_SCAN
 * entries, the rest are counted in `dropped`, so
 * a list of 10,000 entries costs a bounded result.
 *
 * smime_auto_cipher() is SPEC 9's choice for the envelope recipients
 * together: the first of aes-256-gcm, aes-128-gcm, aes-256-cbc,
 * aes-192-cbc, aes-128-cbc, des-ede3-cbc that is not weak and that every
 * recipient supports; a recipient supports what its capabilities list
 * plus des-ede3-cbc (RFC 3851: every S/MIME v3 client reads it), one with
 * unknown capabilities DefaultCipher and des-ede3-cbc.  For `reencrypt
 * auto` of CBC content only CBC ciphers with a block at least as long
 * as the content's count.
 */
#include "internal.h"
#include "keys_internal.h"
#include "oid.h"

#include <stdlib.h>
#include <string.h>

static const smime_cipher_id auto_order[] = {
	SMIME_CIPHER_AES_256_GCM, SMIME_CIPHER_AES_128_GCM,
	SMIME_CIPHER_AES_256_CBC, SMIME_CIPHER_AES_192_CBC,
	SMIME_CIPHER_AES_128_CBC, SMIME_CIPHER_DES_EDE3_CBC,
};

const smime_cipher_id *smime_auto_order(size_t *n)
{
	*n = sizeof(auto_order) / sizeof(auto_order[0]);
	return auto_order;
}

/* The key size an rc2-cbc capability names in its parameters; 0 when
 * they are absent or not a small INTEGER. */
static int rc2_bits(asn1_node caps, const char *name, unsigned *bits)
{
	unsigned char *der = NULL, *v = NULL;
	size_t len, n;
	asn1_node prm = NULL;
	int ret;

	*bits = 0;
	if (!smime_asn1_present(caps, name))
		return 0;
	ret = smime_asn1_read(caps, name, &der, &len);
	if (ret < 0)
		return ret == SMIME_E_NOMEM ? ret : 0;
	ret = smime_asn1_decode("SmimeCMS.RC2CapabilityBits", der, len, false,
				&prm);
	if (ret == 0)
		ret = smime_asn1_read(prm, "", &v, &n);
	if (ret == 0 && n >= 1 && n <= 2 && !(v[0] & 0x80))
		*bits = n == 1 ? v[0] : ((unsigned)v[0] << 8) | v[1];
	free(v);
	free(der);
	smime_asn1_free(&prm);
	return ret == SMIME_E_NOMEM ? ret : 0;
}

static bool listed(const smime_caps *c, smime_cipher_id id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->cipher[i] == id)
			return true;
	return false;
}

/* Adds capability i of the decoded list to out. */
static int add_capability(asn1_node caps, unsigned long i, smime_caps *out)
{
	smime_asn1_path id, prm;
	const smime_cipher_info *ci;
	unsigned bits = 0;
	char *oid = NULL;
	bool rc2;
	int ret;

	ret = smime_asn1_read_oid(
		caps, smime_asn1_path_fmt(&id, "?%lu.capabilityID", i), &oid);
	if (ret < 0)
		return ret;
	rc2 = strcmp(oid, OID_RC2_CBC) == 0;
	if (rc2)
		ret = rc2_bits(caps,
			       smime_asn1_path_fmt(&prm, "?%lu.parameters", i),
			       &bits);
	ci = ret == 0 && (!rc2 || bits > 0) ? smime_cipher_by_oid(oid, bits)
					    : NULL;
	free(oid);
	if (ret < 0)
		return ret;
	if (ci == NULL || ci->id == SMIME_CIPHER_UNKNOWN)
		out->other++;
	else if (listed(out, ci->id))
		; /* a repeat keeps its first place */
	else if (out->n < SMIME_CAPS_MAX)
		out->cipher[out->n++] = ci->id;
	else
		out->dropped++;
	return 0;
}

int smime_caps_parse(const unsigned char *der, size_t len, smime_caps *out)
{
	asn1_node caps = NULL;
	int n = 0, ret;

	memset(out, 0, sizeof(*out));
	ret = smime_asn1_decode("SmimeCMS.SMIMECapabilities", der, len, false,
				&caps);
	if (ret == 0)
		ret = smime_asn1_err(asn1_number_of_elements(caps, "", &n));
	/* libtasn1 finds element ?i by walking the list, so reading every
	 * one would be quadratic in a count the signer picks: only the
	 * first SMIME_CAPS_SCAN are read, the rest counted as dropped. */
	for (int i = 1; ret == 0 && i <= n && i <= SMIME_CAPS_SCAN; i++)
		ret = add_capability(caps, (unsigned long)i, out);
	if (ret == 0 && n > SMIME_CAPS_SCAN)
		out->dropped += (size_t)(n - SMIME_CAPS_SCAN);
	smime_asn1_free(&caps);
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

bool smime_caps_supports(const smime_caps *caps, smime_cipher_id id,
			 smime_cipher_id default_cipher)
{
	if (id == SMIME_CIPHER_DES_EDE3_CBC)
		return true;
	if (caps == NULL)
		return id == default_cipher;
	return listed(caps, id);
}

smime_cipher_id smime_auto_cipher(const smime_caps *const *rcpts, size_t n,
				  smime_cipher_id default_cipher,
				  uint32_t weak_set, size_t min_block)
{
	for (size_t k = 0; k < sizeof(auto_order) / sizeof(auto_order[0]);
	     k++) {
		smime_cipher_id id = auto_order[k];
		const smime_cipher_info *ci = smime_cipher_by_id(id);
		bool all = true;

		if (weak_set & SMIME_CIPHER_BIT(id))
			continue;
		if (min_block > 0 &&
		    (ci->aead || smime_cipher_block_len(ci) < min_block))
			continue;
		for (size_t r = 0; r < n && all; r++)
			all = smime_caps_supports(rcpts[r], id, default_cipher);
		if (all)
			return id;
	}
	return SMIME_CIPHER_UNKNOWN;
}
