/*
 * test_keywrap.c - the key derivation and key wraps of ECDH recipients
 * (crypto/keywrap.c): the ANSI X9.63 KDF, RFC 3394 AES key wrap and
 * RFC 3217 Triple-DES key wrap, against known answers computed
 * independently of libgcrypt.
 */
#include "internal.h"
#include "tap.h"

#include <gcrypt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Hex (spaces allowed) into out; the number of bytes, or 0 when it does
 * not fit or is not hex. */
static size_t unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (n == max || sscanf(s, "%2x", &v) != 1)
			return 0;
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

/* A TAP diagnostic line: label and n bytes in hex. */
static void print_hex(const char *label, const unsigned char *p, size_t n)
{
	printf("#   %s (hex): ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* rc 0 and the n bytes of got equal to want (wantlen bytes). */
__attribute__((format(printf, 6, 7))) static void
check_bytes(int rc, const unsigned char *got, size_t n,
	    const unsigned char *want, size_t wantlen, const char *fmt, ...)
{
	char name[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (rc != 0)
		ok(0, "%s (returned %d)", name, rc);
	else if (!is_mem(got, n, want, wantlen, "%s", name))
		print_hex("got", got, n);
}

static int all_zero(const unsigned char *p, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= p[i];
	return d == 0;
}

/* ------------------------------------------------------------------ */
/* RFC 3394 AES key wrap                                                */
/* ------------------------------------------------------------------ */

/* RFC 3394 section 4: KEK, key data, ciphertext. */
static const char *const aes_vectors[][4] = {
	{"4.1 (128-bit key, 128-bit KEK)", "000102030405060708090A0B0C0D0E0F",
	 "00112233445566778899AABBCCDDEEFF",
	 "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"},
	{"4.2 (128-bit key, 192-bit KEK)",
	 "000102030405060708090A0B0C0D0E0F1011121314151617",
	 "00112233445566778899AABBCCDDEEFF",
	 "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"},
	{"4.3 (128-bit key, 256-bit KEK)",
	 "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	 "00112233445566778899AABBCCDDEEFF",
	 "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"},
	{"4.4 (192-bit key, 192-bit KEK)",
	 "000102030405060708090A0B0C0D0E0F1011121314151617",
	 "00112233445566778899AABBCCDDEEFF0001020304050607",
	 "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"},
	{"4.5 (192-bit key, 256-bit KEK)",
	 "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	 "00112233445566778899AABBCCDDEEFF0001020304050607",
	 "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"},
	{"4.6 (256-bit key, 256-bit KEK)",
	 "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	 "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
	 "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B "
	 "FB988B9B7A02DD21"},
};

static void test_aes_vectors(void)
{
	for (size_t i = 0; i < sizeof(aes_vectors) / sizeof(aes_vectors[0]);
	     i++) {
		unsigned char kek[32], key[32], ct[40], out[40];
		size_t keklen = unhex(aes_vectors[i][1], kek, sizeof(kek));
		size_t keylen = unhex(aes_vectors[i][2], key, sizeof(key));
		size_t ctlen = unhex(aes_vectors[i][3], ct, sizeof(ct));
		int rc;

		rc = smime_aes_key_wrap(kek, keklen, key, keylen, out);
		check_bytes(rc, out, keylen + 8, ct, ctlen,
			    "AES key wrap gives the ciphertext of RFC 3394 %s",
			    aes_vectors[i][0]);
		memset(out, 0, sizeof(out));
		rc = smime_aes_key_unwrap(kek, keklen, ct, ctlen, out);
		check_bytes(rc, out, ctlen - 8, key, keylen,
			    "AES key unwrap gives the key of RFC 3394 %s",
			    aes_vectors[i][0]);
	}
}

/* RFC 3394 2.2.3: a ciphertext with one bit changed fails the integrity
 * check, and nothing of what it decrypted to is left in out. */
static void test_aes_tampered(void)
{
	unsigned char kek[32], ct[40], out[32];
	size_t keklen = unhex(aes_vectors[5][1], kek, sizeof(kek));
	size_t ctlen = unhex(aes_vectors[5][3], ct, sizeof(ct));
	int rc = 0;

	for (size_t bit = 0; bit < ctlen * 8; bit += 67) {
		ct[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		memset(out, 0xaa, sizeof(out));
		rc = smime_aes_key_unwrap(kek, keklen, ct, ctlen, out);
		ct[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		if (rc != SMIME_E_CRYPTO || !all_zero(out, sizeof(out)))
			break;
	}
	is_long(rc, SMIME_E_CRYPTO,
		"AES key unwrap of an RFC 3394 4.6 ciphertext with one bit "
		"flipped fails the integrity check (every 67th bit tried)");
	ok(all_zero(out, sizeof(out)),
	   "AES key unwrap that fails its integrity check wipes its output");
	memset(kek, 0, sizeof(kek));
	rc = smime_aes_key_unwrap(kek, keklen, ct, ctlen, out);
	is_long(rc, SMIME_E_CRYPTO,
		"AES key unwrap under the wrong KEK fails the integrity check");
}

static void test_aes_args(void)
{
	unsigned char kek[32] = {0}, key[40] = {0}, out[48];

	is_long(smime_aes_key_wrap(kek, 20, key, 16, out), SMIME_E_ARG,
		"AES key wrap refuses a KEK of 20 bytes");
	is_long(smime_aes_key_wrap(kek, 16, key, 8, out), SMIME_E_ARG,
		"AES key wrap refuses a key of one 64-bit block");
	is_long(smime_aes_key_wrap(kek, 16, key, 20, out), SMIME_E_ARG,
		"AES key wrap refuses a key that is no multiple of 8 bytes");
	is_long(smime_aes_key_wrap(NULL, 16, key, 16, out), SMIME_E_ARG,
		"AES key wrap refuses a NULL KEK");
	is_long(smime_aes_key_unwrap(kek, 16, key, 16, out), SMIME_E_ARG,
		"AES key unwrap refuses 16 bytes of input (a key of 8)");
	is_long(smime_aes_key_unwrap(kek, 16, key, 25, out), SMIME_E_ARG,
		"AES key unwrap refuses input that is no multiple of 8 bytes");
	is_long(smime_aes_key_unwrap(kek, 33, key, 24, out), SMIME_E_ARG,
		"AES key unwrap refuses a KEK of 33 bytes");
}

/* ------------------------------------------------------------------ */
/* RFC 3217 Triple-DES key wrap                                         */
/* ------------------------------------------------------------------ */

#define DES3_KEK "0123456789abcdeffedcba987654321089abcdef01234567"
/* A three-key 3DES key with odd parity in every octet. */
#define DES3_CEK "a2c7f1195b3d64e9c1087fd52a9e3b4616f48c73e05bc83b"
/* The same key with its parity bits not set (8 of its octets even). */
#define DES3_CEK_EVEN "a2c7f0185b3d64e9c1087fd52a9e3b4616f48d72e05ac93b"

/*
 * The wrap of DES3_CEK under DES3_KEK with the IV 5f8c1d2e3a4b6c7d,
 * computed step by step (RFC 3217 3.1) with the OpenSSL 3.0 command
 * line, not with libgcrypt:
 *
 *   KEK=0123456789abcdeffedcba987654321089abcdef01234567
 *   IV=5f8c1d2e3a4b6c7d
 *   CEK=a2c7f1195b3d64e9c1087fd52a9e3b4616f48c73e05bc83b
 *   ICV=$(printf %s "$CEK" | xxd -r -p | openssl dgst -sha1 -binary |
 *         head -c 8 | xxd -p)                                # step 2
 *   TEMP1=$(printf %s "$CEK$ICV" | xxd -r -p |
 *           openssl enc -des-ede3-cbc -nopad -K $KEK -iv $IV |
 *           xxd -p -c 64)                                    # steps 3-5
 *   TEMP3=$(printf %s "$IV$TEMP1" | xxd -r -p | xxd -p -c 1 | tac |
 *           tr -d '\n')                                      # steps 6-7
 *   printf %s "$TEMP3" | xxd -r -p |
 *     openssl enc -des-ede3-cbc -nopad -K $KEK -iv 4adda22c79e82105 |
 *     xxd -p -c 64                                           # step 8
 *
 * DES3_WRAPPED_EVEN is the same with CEK=DES3_CEK_EVEN: a checksum that
 * matches over a key whose parity is wrong.
 */
#define DES3_WRAPPED                                                           \
	"fd381fc9912845573019c8589b376d69a3ce950fa137e508"                     \
	"3af9cfa644d7bb6c4a334ac2a63b3dbc"
#define DES3_WRAPPED_EVEN                                                      \
	"c689aabee0866e19352f47cebf6ee7ffd97ef38eeb9e8b2d"                     \
	"ea42a2d288c49deb53a563ad19936cc9"

static void test_3des_known_answer(void)
{
	unsigned char kek[24], cek[24], in[40], out[24];
	int rc;

	unhex(DES3_KEK, kek, sizeof(kek));
	unhex(DES3_CEK, cek, sizeof(cek));
	unhex(DES3_WRAPPED, in, sizeof(in));
	rc = smime_3des_key_unwrap(kek, in, out);
	check_bytes(rc, out, sizeof(out), cek, sizeof(cek),
		    "3DES key unwrap of a value wrapped with the openssl "
		    "command line gives its key");

	unhex(DES3_WRAPPED_EVEN, in, sizeof(in));
	memset(out, 0xaa, sizeof(out));
	rc = smime_3des_key_unwrap(kek, in, out);
	is_long(rc, SMIME_E_CRYPTO,
		"3DES key unwrap refuses a key without odd parity even when "
		"its checksum matches (RFC 3217 3.2 step 8)");
	ok(all_zero(out, sizeof(out)),
	   "3DES key unwrap that finds bad parity wipes its output");
}

static void test_3des_round_trip(void)
{
	unsigned char kek[24], cek[24], even[24], w1[40], w2[40], out[24];
	int rc;

	unhex(DES3_KEK, kek, sizeof(kek));
	unhex(DES3_CEK, cek, sizeof(cek));
	unhex(DES3_CEK_EVEN, even, sizeof(even));

	rc = smime_3des_key_wrap(kek, cek, w1);
	if (rc == 0)
		rc = smime_3des_key_unwrap(kek, w1, out);
	check_bytes(rc, out, sizeof(out), cek, sizeof(cek),
		    "3DES key unwrap gives back the key 3DES key wrap wrapped");

	rc = smime_3des_key_wrap(kek, cek, w2);
	ok(rc == 0 && memcmp(w1, w2, sizeof(w1)) != 0,
	   "3DES key wrap of the same key twice differs (a fresh random IV)");

	rc = smime_3des_key_wrap(kek, even, w1);
	memset(out, 0, sizeof(out));
	if (rc == 0)
		rc = smime_3des_key_unwrap(kek, w1, out);
	check_bytes(rc, out, sizeof(out), cek, sizeof(cek),
		    "3DES key wrap sets odd parity first: a key with even "
		    "octets comes back parity-adjusted (RFC 3217 3.1 step 1)");
}

static void test_3des_tampered(void)
{
	unsigned char kek[24], cek[24], w[40], out[24];
	int rc, bad = 0;

	unhex(DES3_KEK, kek, sizeof(kek));
	unhex(DES3_CEK, cek, sizeof(cek));
	rc = smime_3des_key_wrap(kek, cek, w);
	/* Each byte changed in turn: the IV, the key and the checksum
	 * all pass through the outer CBC, so each change must show. */
	for (size_t i = 0; rc == 0 && i < sizeof(w); i++) {
		int r;

		w[i] ^= 0x10;
		memset(out, 0xaa, sizeof(out));
		r = smime_3des_key_unwrap(kek, w, out);
		w[i] ^= 0x10;
		if (r != SMIME_E_CRYPTO || !all_zero(out, sizeof(out)))
			bad++;
	}
	ok(rc == 0 && bad == 0,
	   "3DES key unwrap of a wrapped key with any one byte changed "
	   "fails with SMIME_E_CRYPTO and wipes its output (%d of 40 did not)",
	   bad);

	kek[23] ^= 0x02; /* not a parity bit: a different KEK */
	rc = smime_3des_key_unwrap(kek, w, out);
	is_long(rc, SMIME_E_CRYPTO,
		"3DES key unwrap under the wrong KEK fails the checksum");
	is_long(smime_3des_key_wrap(NULL, cek, w), SMIME_E_ARG,
		"3DES key wrap refuses a NULL KEK");
	is_long(smime_3des_key_unwrap(kek, NULL, out), SMIME_E_ARG,
		"3DES key unwrap refuses NULL input");
}

/* ------------------------------------------------------------------ */
/* ANSI X9.63 KDF                                                       */
/* ------------------------------------------------------------------ */

/*
 * The expected outputs come from this Python 3 (hashlib), and agree with
 * `openssl kdf -keylen N -kdfopt digest:SHAxxx -kdfopt hexsecret:Z
 * -kdfopt hexinfo:INFO X963KDF` of OpenSSL 3.0 for all seven (no hexinfo
 * for the empty SharedInfo):
 *
 *   import hashlib
 *   def x963(h, z, info, n):
 *       out = b""; c = 1
 *       while len(out) < n:
 *           out += hashlib.new(h, z + c.to_bytes(4, "big") + info).digest()
 *           c += 1
 *       return out[:n]
 *   z = bytes(range(1, 33))
 *   info = bytes.fromhex("3015300b0609608648016503040105a206040400000080")
 *   for h, zz, i, n in [("sha1", z[:20], info, 32), ("sha1", z[:20], b"", 16),
 *                       ("sha256", z, info, 80), ("sha256", z, b"", 32),
 *                       ("sha224", z[:28], info, 24),
 *                       ("sha384", z[:24], info, 16),
 *                       ("sha512", z, info, 32)]:
 *       print(h, len(zz), len(i), n, x963(h, zz, i, n).hex())
 *
 * info is a DER ECC-CMS-SharedInfo (RFC 5753 7.2) for id-aes128-wrap
 * with suppPubInfo 128.
 */
#define KDF_INFO "3015300b0609608648016503040105a206040400000080"

static const struct {
	const char *name;
	int algo;
	size_t zlen;
	const char *info;
	const char *want;
} kdf_vectors[] = {
	{"SHA-1, 32 bytes (counter 2 used), ECC-CMS-SharedInfo", GCRY_MD_SHA1,
	 20, KDF_INFO,
	 "5de8f6100d40fc0408e55323647c8138d91623b9d8c7db5ab03f72dcf68aa29c"},
	{"SHA-1, 16 bytes, empty SharedInfo", GCRY_MD_SHA1, 20, "",
	 "218d06f577154486fa8d3003f1785c08"},
	{"SHA-256, 80 bytes (counters 2 and 3 used), ECC-CMS-SharedInfo",
	 GCRY_MD_SHA256, 32, KDF_INFO,
	 "66865a004fb011c34f6cbaa075c7e787683313d819e4a3029ee880f78cf9b82b"
	 "1ef9d9595895a113e08c6dbd95c3a889ef5c52cc19fedba3c5be1bd4e2b7cbee"
	 "c995bce6959f315515057bc0d92b384b"},
	{"SHA-256, 32 bytes, empty SharedInfo", GCRY_MD_SHA256, 32, "",
	 "c1f5124b1177700ea2c0db6d9b1c0cfa370aa91149fa1d94920a1040f0ccd54f"},
	{"SHA-224, 24 bytes, ECC-CMS-SharedInfo", GCRY_MD_SHA224, 28, KDF_INFO,
	 "70328587f06e5a2572ad5ae3ab4b5c174f6267f645604294"},
	{"SHA-384, 16 bytes, ECC-CMS-SharedInfo", GCRY_MD_SHA384, 24, KDF_INFO,
	 "3bf022d2c292e2f70973cf28c43c4487"},
	{"SHA-512, 32 bytes, ECC-CMS-SharedInfo", GCRY_MD_SHA512, 32, KDF_INFO,
	 "2879a4dce45d43409c7d66355dce4d4d5509c421849b056ad68830adc1eeeb17"},
};

static void test_kdf_vectors(void)
{
	unsigned char z[32];

	for (size_t i = 0; i < sizeof(z); i++)
		z[i] = (unsigned char)(i + 1);
	for (size_t i = 0; i < sizeof(kdf_vectors) / sizeof(kdf_vectors[0]);
	     i++) {
		unsigned char info[64], want[80], out[80];
		size_t infolen = unhex(kdf_vectors[i].info, info, sizeof(info));
		size_t n = unhex(kdf_vectors[i].want, want, sizeof(want));
		int rc = smime_x963_kdf(
			kdf_vectors[i].algo, z, kdf_vectors[i].zlen,
			infolen > 0 ? info : NULL, infolen, out, n);

		check_bytes(rc, out, n, want, n, "X9.63 KDF known answer: %s",
			    kdf_vectors[i].name);
	}
}

static void test_kdf_args(void)
{
	unsigned char z[20] = {0}, out[16];

	is_long(smime_x963_kdf(GCRY_MD_SHA256, z, sizeof(z), NULL, 0, out, 0),
		SMIME_E_ARG, "X9.63 KDF refuses an output of 0 bytes");
	is_long(smime_x963_kdf(GCRY_MD_SHA256, NULL, 20, NULL, 0, out, 16),
		SMIME_E_ARG, "X9.63 KDF refuses a NULL Z of 20 bytes");
	is_long(smime_x963_kdf(GCRY_MD_SHA256, z, sizeof(z), NULL, 5, out, 16),
		SMIME_E_ARG, "X9.63 KDF refuses a NULL SharedInfo of 5 bytes");
	is_long(smime_x963_kdf(GCRY_MD_SHA256, z, sizeof(z), NULL, 0, NULL, 16),
		SMIME_E_ARG, "X9.63 KDF refuses a NULL output of 16 bytes");
	is_long(smime_x963_kdf(12345, z, sizeof(z), NULL, 0, out, 16),
		SMIME_E_ARG, "X9.63 KDF refuses an unknown hash algorithm");
	is_long(smime_x963_kdf(GCRY_MD_SHAKE128, z, sizeof(z), NULL, 0, out,
			       16),
		SMIME_E_ARG,
		"X9.63 KDF refuses a hash without a fixed output (SHAKE128)");
}

int main(void)
{
	if (smime_global_init() != 0) {
		printf("Bail out! smime_global_init\n");
		return 1;
	}
	test_aes_vectors();
	test_aes_tampered();
	test_aes_args();
	test_3des_known_answer();
	test_3des_round_trip();
	test_3des_tampered();
	test_kdf_vectors();
	test_kdf_args();
	smime_global_deinit();
	return tap_done();
}
