/*
 * cipher.c - the one content-cipher table of SPEC section 6.
 *
 * Every module that names, classifies, decrypts or writes a content cipher
 * reads this table: SPEC name, algorithm OID, libgcrypt algorithm and
 * mode, key and IV sizes, effective key bits.  It also owns the RC2
 * effective-bits rule (RFC 3370/8018), the strength classes of SPEC
 * section 6/7, and the printable names of strengths and layer kinds.
 *
 * eff_bits is 8 * key_len for every non-RC2 cipher (so DES counts its
 * parity bits: 64, 3DES 192), as smime.h documents.
 *
 * Lookups return NULL for anything not in the table; nothing here fails
 * in another way.
 */
#include "internal.h"
#include "oid.h"

#include <gcrypt.h>
#include <string.h>

/* RC2CBCParameter versions for the three standard effective sizes
 * (RFC 3370 section 5.2; RFC 2268 section 6 gives the mapping). */
#define RC2_VERSION_40 160
#define RC2_VERSION_64 120
#define RC2_VERSION_128 58

/*
 * RC2: libgcrypt's effective bits always equal 8 * key length, so the
 * standard sizes map to RFC2268_40/128 with a key of that length.  The
 * odd-size rc2-cbc has no fixed key length (0) and needs nettle's
 * arctwo_set_key_ekb(); so does any RC2 whose key length and effective
 * bits disagree (the decryptor checks that, not this table).
 */
static const smime_cipher_info cipher_table[] = {
	{SMIME_CIPHER_RC2_40_CBC, "rc2-40-cbc", OID_RC2_CBC,
	 GCRY_CIPHER_RFC2268_40, GCRY_CIPHER_MODE_CBC, 5, 8, 40, false, true},
	{SMIME_CIPHER_RC2_64_CBC, "rc2-64-cbc", OID_RC2_CBC,
	 GCRY_CIPHER_RFC2268_128, GCRY_CIPHER_MODE_CBC, 8, 8, 64, false, true},
	{SMIME_CIPHER_RC2_128_CBC, "rc2-128-cbc", OID_RC2_CBC,
	 GCRY_CIPHER_RFC2268_128, GCRY_CIPHER_MODE_CBC, 16, 8, 128, false,
	 true},
	{SMIME_CIPHER_RC2_CBC, "rc2-cbc", OID_RC2_CBC, 0, GCRY_CIPHER_MODE_CBC,
	 0, 8, 0, false, true},
	{SMIME_CIPHER_DES_CBC, "des-cbc", OID_DES_CBC, GCRY_CIPHER_DES,
	 GCRY_CIPHER_MODE_CBC, 8, 8, 64, false, true},
	{SMIME_CIPHER_DES_EDE3_CBC, "des-ede3-cbc", OID_DES_EDE3_CBC,
	 GCRY_CIPHER_3DES, GCRY_CIPHER_MODE_CBC, 24, 8, 192, false, true},
	{SMIME_CIPHER_AES_128_CBC, "aes-128-cbc", OID_NIST_AES "2",
	 GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CBC, 16, 16, 128, false, true},
	{SMIME_CIPHER_AES_192_CBC, "aes-192-cbc", OID_NIST_AES "22",
	 GCRY_CIPHER_AES192, GCRY_CIPHER_MODE_CBC, 24, 16, 192, false, true},
	{SMIME_CIPHER_AES_256_CBC, "aes-256-cbc", OID_NIST_AES "42",
	 GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 32, 16, 256, false, true},
	/* GCM: 12-byte nonce is the RFC 5084 recommendation; the message's
	 * GCMParameters carry the actual nonce and ICV length. */
	{SMIME_CIPHER_AES_128_GCM, "aes-128-gcm", OID_NIST_AES "6",
	 GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 16, 12, 128, true, true},
	{SMIME_CIPHER_AES_192_GCM, "aes-192-gcm", OID_NIST_AES "26",
	 GCRY_CIPHER_AES192, GCRY_CIPHER_MODE_GCM, 24, 12, 192, true, true},
	{SMIME_CIPHER_AES_256_GCM, "aes-256-gcm", OID_NIST_AES "46",
	 GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, 32, 12, 256, true, true},
	/* CCM (RFC 5084) and ChaCha20-Poly1305 (RFC 8103): read and opened
	 * for reencrypt, never written, because no peer we test against
	 * (OpenSSL 3.0, NSS, gpgsm) reads them. */
	{SMIME_CIPHER_AES_128_CCM, "aes-128-ccm", OID_NIST_AES "7",
	 GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CCM, 16, 12, 128, true, false},
	{SMIME_CIPHER_AES_192_CCM, "aes-192-ccm", OID_NIST_AES "27",
	 GCRY_CIPHER_AES192, GCRY_CIPHER_MODE_CCM, 24, 12, 192, true, false},
	{SMIME_CIPHER_AES_256_CCM, "aes-256-ccm", OID_NIST_AES "47",
	 GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CCM, 32, 12, 256, true, false},
	{SMIME_CIPHER_CHACHA20_POLY1305, "chacha20-poly1305", OID_CHACHA_POLY,
	 GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 32, 12, 256, true,
	 false},
};

#define NCIPHERS (sizeof(cipher_table) / sizeof(cipher_table[0]))

const smime_cipher_info *smime_cipher_by_id(smime_cipher_id id)
{
	for (size_t i = 0; i < NCIPHERS; i++)
		if (cipher_table[i].id == id)
			return &cipher_table[i];
	return NULL;
}

const smime_cipher_info *smime_cipher_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < NCIPHERS; i++)
		if (smime_ascii_casecmp(cipher_table[i].name, name) == 0)
			return &cipher_table[i];
	return NULL;
}

const smime_cipher_info *smime_cipher_by_oid(const char *oid, unsigned eff_bits)
{
	if (oid == NULL)
		return NULL;
	if (strcmp(oid, OID_RC2_CBC) == 0) {
		switch (eff_bits) {
		case 40:
			return smime_cipher_by_id(SMIME_CIPHER_RC2_40_CBC);
		case 64:
			return smime_cipher_by_id(SMIME_CIPHER_RC2_64_CBC);
		case 128:
			return smime_cipher_by_id(SMIME_CIPHER_RC2_128_CBC);
		default:
			return smime_cipher_by_id(SMIME_CIPHER_RC2_CBC);
		}
	}
	for (size_t i = 0; i < NCIPHERS; i++)
		if (strcmp(cipher_table[i].oid, oid) == 0)
			return &cipher_table[i];
	return NULL;
}

unsigned smime_rc2_effective_bits(long version)
{
	switch (version) {
	case -1:
		return 32; /* RFC 3370: parameter without a version */
	case RC2_VERSION_40:
		return 40;
	case RC2_VERSION_64:
		return 64;
	case RC2_VERSION_128:
		return 128;
	default:
		break;
	}
	/* RFC 2268: from 256 on the version is the bit count itself; RC2
	 * keys stop at 1024 bits. */
	if (version >= 256 && version <= 1024)
		return (unsigned)version;
	return 0;
}

smime_strength smime_cipher_strength(smime_cipher_id id, uint32_t weak_set)
{
	/* SPEC section 6: an RC2 effective size outside 40/64/128 is weak
	 * whatever WeakCiphers says. */
	if (id == SMIME_CIPHER_RC2_CBC)
		return SMIME_STRENGTH_WEAK;
	/* An unknown algorithm cannot be judged: it is neither weak nor
	 * strong (SPEC 7), and `cipher unknown` names it.  The layer still
	 * reports its OID. */
	if (id == SMIME_CIPHER_UNKNOWN)
		return SMIME_STRENGTH_UNKNOWN;
	if ((unsigned)id < 32 && (weak_set & SMIME_CIPHER_BIT(id)))
		return SMIME_STRENGTH_WEAK;
	if (id == SMIME_CIPHER_DES_EDE3_CBC)
		return SMIME_STRENGTH_LEGACY;
	return SMIME_STRENGTH_STRONG;
}

const char *smime_strength_name(smime_strength s)
{
	switch (s) {
	case SMIME_STRENGTH_STRONG:
		return "strong";
	case SMIME_STRENGTH_LEGACY:
		return "legacy";
	case SMIME_STRENGTH_WEAK:
		return "weak";
	case SMIME_STRENGTH_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

const char *smime_cipher_params_type(const smime_cipher_info *c)
{
	switch (c->gcry_mode) {
	case GCRY_CIPHER_MODE_GCM:
		return "SmimeCMS.GCMParameters";
	case GCRY_CIPHER_MODE_CCM:
		return "SmimeCMS.CCMParameters";
	case GCRY_CIPHER_MODE_POLY1305:
		return "SmimeCMS.AEADChaCha20Poly1305Nonce";
	default:
		break;
	}
	if (c->id >= SMIME_CIPHER_RC2_40_CBC && c->id <= SMIME_CIPHER_RC2_CBC)
		return "SmimeCMS.RC2CBCParameterChoice";
	return "SmimeCMS.CBCParameter";
}

bool smime_aead_icv_ok(const smime_cipher_info *c, long icv)
{
	switch (c->gcry_mode) {
	case GCRY_CIPHER_MODE_GCM: /* RFC 5084 section 3.2 */
		return icv >= 12 && icv <= 16;
	case GCRY_CIPHER_MODE_CCM: /* RFC 5084 section 3.1 */
		return icv >= 4 && icv <= 16 && icv % 2 == 0;
	case GCRY_CIPHER_MODE_POLY1305: /* RFC 8103: always 16 */
		return icv == 16;
	default:
		return false;
	}
}

bool smime_aead_nonce_ok(const smime_cipher_info *c, size_t len)
{
	switch (c->gcry_mode) {
	case GCRY_CIPHER_MODE_CCM: /* RFC 5084 section 3.1 */
		return len >= 7 && len <= 13;
	case GCRY_CIPHER_MODE_POLY1305: /* RFC 8103 section 3 */
		return len == 12;
	default:
		return len > 0 && len <= 64;
	}
}

const char *smime_kind_name(smime_kind k)
{
	switch (k) {
	case SMIME_KIND_NONE:
		return "none";
	case SMIME_KIND_SIGNED:
		return "signed";
	case SMIME_KIND_OPAQUE_SIGNED:
		return "opaque-signed";
	case SMIME_KIND_CERTS_ONLY:
		return "certs-only";
	case SMIME_KIND_ENVELOPED:
		return "enveloped";
	case SMIME_KIND_AUTH_ENVELOPED:
		return "authEnveloped";
	case SMIME_KIND_OTHER:
		return "other";
	}
	return "other";
}
