/*
 * ecdh.c - elliptic-curve Diffie-Hellman for key agreement recipients
 * (RFC 5753): the curves the gateway uses (P-256, P-384, P-521), the
 * shared secret of a KeyStore EC key and an originator's public key, and
 * a fresh ephemeral key with its shared secret for a recipient's
 * certificate.  GnuTLS 3.7 has no ECDH derive function, so the keys are
 * handed to libgcrypt (secure memory) and wiped afterwards.
 *
 * libgcrypt's ECDH (gcry_pk_decrypt with an ECC key) checks that the
 * other side's point lies on the curve before it multiplies; a point that
 * does not, or one that is not an uncompressed point of the curve's
 * length (the point at infinity has no such form), is refused here
 * without any multiplication.  SPEC 8 step 2 turns that into a
 * substitute key like any other unwrap failure.
 */
#include "keys_internal.h"
#include "oid.h"

#include <gcrypt.h>
#include <string.h>

static const smime_ec_curve curves[] = {
	{GNUTLS_ECC_CURVE_SECP256R1, "NIST P-256", "1.2.840.10045.3.1.7", 32,
	 OID_SECG_SCHEME "11.1", GCRY_MD_SHA256, OID_NIST_AES "5", 16},
	{GNUTLS_ECC_CURVE_SECP384R1, "NIST P-384", "1.3.132.0.34", 48,
	 OID_SECG_SCHEME "11.2", GCRY_MD_SHA384, OID_NIST_AES "45", 32},
	{GNUTLS_ECC_CURVE_SECP521R1, "NIST P-521", "1.3.132.0.35", 66,
	 OID_SECG_SCHEME "11.3", GCRY_MD_SHA512, OID_NIST_AES "45", 32},
};

const smime_ec_curve *smime_ec_curve_by_gnutls(gnutls_ecc_curve_t c)
{
	for (size_t i = 0; i < sizeof curves / sizeof *curves; i++)
		if (curves[i].gnutls == c)
			return &curves[i];
	return NULL;
}

/* What gnutls_privkey_export_ecc_raw2 gave, the secret wiped. */
static void free_raw(gnutls_datum_t *x, gnutls_datum_t *y, gnutls_datum_t *k)
{
	gnutls_free(x->data);
	gnutls_free(y->data);
	if (k->data != NULL)
		smime_wipe(k->data, k->size);
	gnutls_free(k->data);
}

/* n bytes of v, big-endian, left-padded with zeros; false when v is
 * longer (after leading zeros). */
static bool put_padded(unsigned char *out, size_t n, const gnutls_datum_t *v)
{
	const unsigned char *p = v->data;
	size_t len = v->size;

	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (len > n)
		return false;
	memset(out, 0, n - len);
	memcpy(out + n - len, p, len);
	return true;
}

const smime_ec_curve *smime_cert_ec_curve(const smime_cert *c,
					  unsigned char *point, size_t *len)
{
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
	const smime_ec_curve *ec = NULL;

	if (c == NULL ||
	    gnutls_x509_crt_get_pk_algorithm(c->crt, NULL) != GNUTLS_PK_EC ||
	    gnutls_x509_crt_get_pk_ecc_raw(c->crt, &curve, &x, &y) != 0)
		return NULL;
	ec = smime_ec_curve_by_gnutls(curve);
	if (ec != NULL && point != NULL) {
		point[0] = 0x04;
		if (!put_padded(point + 1, ec->field, &x) ||
		    !put_padded(point + 1 + ec->field, ec->field, &y))
			ec = NULL;
		else
			*len = 1 + 2 * ec->field;
	}
	gnutls_free(x.data);
	gnutls_free(y.data);
	return ec;
}

const smime_ec_curve *smime_key_ec_curve(gnutls_privkey_t key)
{
	unsigned bits = 0;
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x = {NULL, 0}, y = {NULL, 0}, k = {NULL, 0};
	const smime_ec_curve *ec;

	if (gnutls_privkey_get_pk_algorithm(key, &bits) != GNUTLS_PK_EC ||
	    gnutls_privkey_export_ecc_raw2(key, &curve, &x, &y, &k,
					   GNUTLS_EXPORT_FLAG_NO_LZ) != 0)
		return NULL;
	ec = smime_ec_curve_by_gnutls(curve);
	free_raw(&x, &y, &k);
	return ec;
}

/* The private key as a libgcrypt ECC key (secure memory). */
static int private_sexp(gnutls_privkey_t key, const smime_ec_curve **ec,
			gcry_sexp_t *out)
{
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x = {NULL, 0}, y = {NULL, 0}, k = {NULL, 0};
	unsigned char *buf = NULL;
	int ret = SMIME_E_CRYPTO;

	*out = NULL;
	if (gnutls_privkey_export_ecc_raw2(key, &curve, &x, &y, &k,
					   GNUTLS_EXPORT_FLAG_NO_LZ) != 0)
		return SMIME_E_CRYPTO;
	*ec = smime_ec_curve_by_gnutls(curve);
	buf = gcry_malloc_secure(1 + 2 * 66 + 66);
	if (buf == NULL) {
		ret = SMIME_E_NOMEM;
		goto cleanup;
	}
	if (*ec == NULL) {
		ret = SMIME_E_KEY_AGREEMENT;
		goto cleanup;
	}
	buf[0] = 0x04;
	if (put_padded(buf + 1, (*ec)->field, &x) &&
	    put_padded(buf + 1 + (*ec)->field, (*ec)->field, &y) &&
	    put_padded(buf + 1 + 2 * (*ec)->field, (*ec)->field, &k) &&
	    gcry_sexp_build(out, NULL,
			    "(private-key (ecc (curve %s) (q %b) (d %b)))",
			    (*ec)->gcry, (int)(1 + 2 * (*ec)->field), buf,
			    (int)(*ec)->field, buf + 1 + 2 * (*ec)->field) == 0)
		ret = 0;
cleanup:
	if (buf != NULL)
		smime_wipe(buf, 1 + 2 * 66 + 66);
	gcry_free(buf);
	free_raw(&x, &y, &k);
	return ret;
}

/* Z, the x-coordinate of d * point, into z (ec->field bytes).
 * SMIME_E_CRYPTO when the point is not one of the curve's. */
static int multiply(gcry_sexp_t skey, const smime_ec_curve *ec,
		    const unsigned char *point, size_t len, unsigned char *z)
{
	gcry_sexp_t data = NULL, res = NULL, v = NULL;
	const unsigned char *s;
	size_t n = 0;
	int ret = SMIME_E_CRYPTO;

	if (len != 1 + 2 * ec->field || point[0] != 0x04)
		return SMIME_E_CRYPTO;
	if (gcry_sexp_build(&data, NULL, "(enc-val (ecdh (e %b)))", (int)len,
			    point) != 0)
		return SMIME_E_NOMEM;
	if (gcry_pk_decrypt(&res, data, skey) == 0 &&
	    (v = gcry_sexp_find_token(res, "value", 0)) != NULL &&
	    (s = (const unsigned char *)gcry_sexp_nth_data(v, 1, &n)) != NULL &&
	    n == 1 + 2 * ec->field && s[0] == 0x04) {
		memcpy(z, s + 1, ec->field);
		ret = 0;
	}
	gcry_sexp_release(v);
	gcry_sexp_release(res);
	gcry_sexp_release(data);
	return ret;
}

int smime_ecdh_shared(gnutls_privkey_t key, const unsigned char *point,
		      size_t len, unsigned char *z, size_t *zlen)
{
	const smime_ec_curve *ec = NULL;
	gcry_sexp_t skey = NULL;
	int ret = private_sexp(key, &ec, &skey);

	if (ret == 0)
		ret = multiply(skey, ec, point, len, z);
	if (ret == 0)
		*zlen = ec->field;
	gcry_sexp_release(skey);
	return ret;
}

int smime_ecdh_ephemeral(const smime_cert *recipient, unsigned char *pub,
			 size_t *publen, unsigned char *z, size_t *zlen,
			 const smime_ec_curve **out)
{
	unsigned char q[1 + 2 * 66];
	size_t qlen = 0;
	const smime_ec_curve *ec = smime_cert_ec_curve(recipient, q, &qlen);
	gcry_sexp_t parms = NULL, pair = NULL, skey = NULL, pk = NULL;
	const unsigned char *e;
	size_t n = 0;
	int ret = SMIME_E_NOMEM;

	if (ec == NULL)
		return SMIME_E_UNSUPPORTED;
	if (gcry_sexp_build(&parms, NULL,
			    "(genkey (ecc (curve %s) (flags transient-key)))",
			    ec->gcry) != 0 ||
	    gcry_pk_genkey(&pair, parms) != 0)
		goto cleanup;
	skey = gcry_sexp_find_token(pair, "private-key", 0);
	pk = gcry_sexp_find_token(pair, "public-key", 0);
	if (skey == NULL || pk == NULL)
		goto cleanup;
	gcry_sexp_release(parms);
	parms = gcry_sexp_find_token(pk, "q", 0);
	e = parms ? (const unsigned char *)gcry_sexp_nth_data(parms, 1, &n)
		  : NULL;
	ret = SMIME_E_CRYPTO;
	if (e == NULL || n != qlen || e[0] != 0x04)
		goto cleanup;
	memcpy(pub, e, n);
	*publen = n;
	ret = multiply(skey, ec, q, qlen, z);
	if (ret == 0) {
		*zlen = ec->field;
		*out = ec;
	}
cleanup:
	gcry_sexp_release(parms);
	gcry_sexp_release(pk);
	gcry_sexp_release(skey);
	gcry_sexp_release(pair);
	return ret;
}

bool smime_ec_point_valid(const smime_ec_curve *ec, const unsigned char *point,
			  size_t len)
{
	gcry_ctx_t ctx = NULL;
	gcry_mpi_point_t pt = NULL;
	gcry_mpi_t m = NULL;
	bool ok = false;

	if (ec == NULL || len != 1 + 2 * ec->field || point[0] != 0x04 ||
	    gcry_mpi_ec_new(&ctx, NULL, ec->gcry) != 0)
		return false;
	pt = gcry_mpi_point_new(0);
	m = gcry_mpi_set_opaque_copy(NULL, point, (unsigned)(len * 8));
	if (pt != NULL && m != NULL &&
	    gcry_mpi_ec_decode_point(pt, m, ctx) == 0)
		ok = gcry_mpi_ec_curve_point(pt, ctx) == 1;
	gcry_mpi_release(m);
	gcry_mpi_point_release(pt);
	gcry_ctx_release(ctx);
	return ok;
}
