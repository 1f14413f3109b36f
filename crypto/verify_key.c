/*
 * verify_key.c - the signer keys the verifier refuses before it uses
 * them (SPEC section 7).
 *
 * A sender chooses the signer's certificate, and with it the cost of
 * checking its signature: an RSA public exponent as long as an 8192-bit
 * modulus makes one verification a full-length modular exponentiation
 * (about 90 ms here, issue 12 finding F4), a huge modulus likewise.  So
 * an RSA key whose exponent is even, equals 1 or has more than 256 bits,
 * or whose modulus has more than 16384 bits, is refused before any
 * modular exponentiation: the signature is `neutral`,
 * `unsupported-algorithm`.  Small odd exponents (3, 65537) stay valid;
 * RFC 8017 allows any odd e > 1, real keys use 3 or 65537, and 256 bits
 * is FIPS 186-5's upper bound.  Other key types have no such knob.
 *
 * Promises: reads the key only; fails only on resource errors.
 */
#include "verify_internal.h"

#define MAX_EXPONENT_BITS 256
#define MAX_MODULUS_BITS 16384

/* Bits of a big-endian unsigned integer (leading zero bytes allowed). */
static size_t bit_length(const gnutls_datum_t *d)
{
	size_t i = 0, bits;
	unsigned char top;

	while (i < d->size && d->data[i] == 0)
		i++;
	if (i == d->size)
		return 0;
	bits = (d->size - i) * 8;
	for (top = d->data[i]; !(top & 0x80); top <<= 1)
		bits--;
	return bits;
}

int smime_verify_key_check(gnutls_pubkey_t pub)
{
	gnutls_datum_t m = {NULL, 0}, e = {NULL, 0};
	int pk = gnutls_pubkey_get_pk_algorithm(pub, NULL);
	size_t ebits;
	int r, ret = 0;

	if (pk != GNUTLS_PK_RSA && pk != GNUTLS_PK_RSA_PSS)
		return 0;
	r = gnutls_pubkey_export_rsa_raw2(pub, &m, &e, 0);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return SMIME_E_NOMEM;
	if (r < 0)
		return SMIME_E_UNSUPPORTED;
	ebits = bit_length(&e);
	if (ebits == 0 || ebits == 1 || ebits > MAX_EXPONENT_BITS ||
	    !(e.data[e.size - 1] & 1) || bit_length(&m) > MAX_MODULUS_BITS)
		ret = SMIME_E_UNSUPPORTED;
	gnutls_free(m.data);
	gnutls_free(e.data);
	return ret;
}
