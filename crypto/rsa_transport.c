/*
 * rsa_transport.c - RSA key transport of the content-encryption key
 * (RFC 5652 section 6.2.1, RFC 8017): PKCS#1 v1.5 and RSAES-OAEP, both
 * ways: wrapping here, unwrapping in rsa_unwrap.c; and the content keys
 * themselves.
 *
 * GnuTLS 3.7 has no OAEP, so OAEP goes through libgcrypt with the key's
 * parameters exported from GnuTLS into secure memory and wiped right
 * after (NOTES.md).  libgcrypt's OAEP uses one hash for both the label
 * hash and MGF1: other combinations are refused as unsupported, which is
 * public information, never a decryption outcome.
 *
 * Promises: content keys live in libgcrypt secure memory and are wiped
 * when freed.
 */
#include "keys_internal.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

int smime_content_key_new(size_t len, smime_content_key **out)
{
	smime_content_key *ck;

	*out = NULL;
	if (len == 0 || len > SMIME_CK_MAX)
		return SMIME_E_ARG;
	ck = calloc(1, sizeof(*ck));
	if (ck == NULL)
		return SMIME_E_NOMEM;
	ck->key = gcry_malloc_secure(len);
	if (ck->key == NULL) {
		free(ck);
		return SMIME_E_NOMEM;
	}
	ck->len = len;
	*out = ck;
	return 0;
}

void smime_content_key_free(smime_content_key *ck)
{
	if (ck == NULL)
		return;
	smime_wipe(ck->key, ck->len);
	gcry_free(ck->key);
	free(ck);
}

static const char *hash_or_sha1(const char *h)
{
	return h != NULL ? h : "sha1";
}

bool smime_keytrans_supported(const smime_keytrans *kt)
{
	const char *h, *m;

	if (!kt->oaep)
		return true;
	h = hash_or_sha1(kt->oaep_hash);
	m = hash_or_sha1(kt->oaep_mgf_hash);
	return smime_ascii_casecmp(h, m) == 0 && gcry_md_map_name(h) != 0;
}

/* ------------------------------------------------------------------ */
/* Keys as libgcrypt S-expressions                                      */
/* ------------------------------------------------------------------ */

/* A big-endian number as an MPI in secure memory: libgcrypt allocates
 * the MPI securely because the buffer it reads from is secure.  The
 * GnuTLS datum is wiped and freed here in every case. */
static int datum_to_mpi(gnutls_datum_t *d, gcry_mpi_t *out)
{
	unsigned char *s = gcry_malloc_secure(d->size ? d->size : 1);
	int ret = 0;

	*out = NULL;
	if (s == NULL)
		ret = SMIME_E_NOMEM;
	else {
		memcpy(s, d->data, d->size);
		if (gcry_mpi_scan(out, GCRYMPI_FMT_USG, s, d->size, NULL) != 0)
			ret = SMIME_E_CRYPTO;
		smime_wipe(s, d->size);
		gcry_free(s);
	}
	smime_wipe(d->data, d->size);
	gnutls_free(d->data);
	d->data = NULL;
	d->size = 0;
	return ret;
}

/*
 * The private key for libgcrypt.  libgcrypt's u is p^-1 mod q, GnuTLS's
 * (PKCS#1's) coefficient is q^-1 mod p: swapping p and q makes them the
 * same number.
 */
int smime_rsa_private_sexp(gnutls_privkey_t key, gcry_sexp_t *out)
{
	gnutls_datum_t d[8]; /* n e d p q u e1 e2 */
	gcry_mpi_t m[6] = {NULL};
	int ret = 0;

	*out = NULL;
	memset(d, 0, sizeof(d));
	if (gnutls_privkey_export_rsa_raw2(key, &d[0], &d[1], &d[2], &d[3],
					   &d[4], &d[5], &d[6], &d[7], 0) < 0)
		ret = SMIME_E_CRYPTO;
	for (int i = 0; i < 6; i++) {
		int r = ret == 0 ? datum_to_mpi(&d[i], &m[i]) : 0;

		if (r < 0)
			ret = r;
	}
	for (int i = 0; i < 8; i++) { /* whatever datum_to_mpi did not take */
		smime_wipe(d[i].data, d[i].size);
		gnutls_free(d[i].data);
	}
	if (ret == 0 &&
	    gcry_sexp_build(out, NULL,
			    "(private-key(rsa(n%m)(e%m)(d%m)(p%m)(q%m)(u%m)))",
			    m[0], m[1], m[2], m[4], m[3], m[5]) != 0)
		ret = SMIME_E_NOMEM;
	for (int i = 0; i < 6; i++)
		gcry_mpi_release(m[i]);
	return ret;
}

static int public_sexp(gnutls_pubkey_t pub, gcry_sexp_t *out)
{
	gnutls_datum_t n = {NULL, 0}, e = {NULL, 0};
	int ret = 0;

	*out = NULL;
	if (gnutls_pubkey_export_rsa_raw2(pub, &n, &e, 0) < 0)
		return SMIME_E_CRYPTO;
	if (gcry_sexp_build(out, NULL, "(public-key(rsa(n%b)(e%b)))",
			    (int)n.size, n.data, (int)e.size, e.data) != 0)
		ret = SMIME_E_NOMEM;
	gnutls_free(n.data);
	gnutls_free(e.data);
	return ret;
}

/* The OAEP flags, hash and label part of a data or enc-val expression. */
static int oaep_sexp(const char *kind, const smime_keytrans *kt,
		     const char *tail_fmt, const unsigned char *v, size_t vlen,
		     gcry_sexp_t *out)
{
	smime_buf fmt = SMIME_BUF_INIT;
	static const unsigned char empty[1];
	const unsigned char *label = kt->oaep_label ? kt->oaep_label : empty;
	int ret;

	/* libgcrypt takes an empty label as no label: leave it out. */
	ret = smime_buf_printf(&fmt, "(%s(flags oaep)(hash-algo %%s)%s%s)",
			       kind, kt->oaep_label_len ? "(label %b)" : "",
			       tail_fmt);
	if (ret < 0)
		return ret;
	if (kt->oaep_label_len)
		ret = gcry_sexp_build(out, NULL, (char *)fmt.data,
				      hash_or_sha1(kt->oaep_hash),
				      (int)kt->oaep_label_len, label, (int)vlen,
				      v);
	else
		ret = gcry_sexp_build(out, NULL, (char *)fmt.data,
				      hash_or_sha1(kt->oaep_hash), (int)vlen,
				      v);
	smime_buf_free(&fmt);
	return ret != 0 ? SMIME_E_CRYPTO : 0;
}

/* ------------------------------------------------------------------ */
/* Wrapping                                                             */
/* ------------------------------------------------------------------ */

static int wrap_oaep(gnutls_pubkey_t pub, const smime_keytrans *kt,
		     const smime_content_key *ck, smime_buf *out)
{
	gcry_sexp_t pkey = NULL, data = NULL, enc = NULL, a = NULL;
	const char *v;
	size_t vlen = 0, k;
	int ret;

	ret = public_sexp(pub, &pkey);
	if (ret == 0)
		ret = oaep_sexp("data", kt, "(value%b)", ck->key, ck->len,
				&data);
	if (ret < 0)
		goto cleanup;
	if (gcry_pk_encrypt(&enc, data, pkey) != 0) {
		ret = SMIME_E_CRYPTO;
		goto cleanup;
	}
	a = gcry_sexp_find_token(enc, "a", 0);
	v = a != NULL ? gcry_sexp_nth_data(a, 1, &vlen) : NULL;
	k = (gcry_pk_get_nbits(pkey) + 7) / 8;
	if (v == NULL || vlen > k) {
		ret = SMIME_E_CRYPTO;
		goto cleanup;
	}
	/* RFC 8017: the ciphertext is exactly k octets; libgcrypt drops
	 * leading zeros. */
	for (; k > vlen && ret == 0; k--)
		ret = smime_buf_putc(out, 0);
	if (ret == 0)
		ret = smime_buf_append(out, v, vlen);
cleanup:
	gcry_sexp_release(pkey);
	gcry_sexp_release(data);
	gcry_sexp_release(enc);
	gcry_sexp_release(a);
	return ret;
}

int smime_rsa_wrap(const smime_cert *cert, const smime_keytrans *kt,
		   const smime_content_key *ck, smime_buf *out)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t pt = {ck->key, (unsigned)ck->len}, ct = {NULL, 0};
	int ret = 0;

	if (!smime_cert_is_rsa(cert) || !smime_keytrans_supported(kt))
		return SMIME_E_UNSUPPORTED;
	if (gnutls_pubkey_init(&pub) < 0)
		return SMIME_E_NOMEM;
	if (gnutls_pubkey_import_x509(pub, cert->crt, 0) < 0) {
		ret = SMIME_E_CRYPTO;
		goto cleanup;
	}
	if (kt->oaep) {
		ret = wrap_oaep(pub, kt, ck, out);
		goto cleanup;
	}
	if (gnutls_pubkey_encrypt_data(pub, 0, &pt, &ct) < 0) {
		ret = SMIME_E_CRYPTO;
		goto cleanup;
	}
	ret = smime_buf_append(out, ct.data, ct.size);
cleanup:
	gnutls_free(ct.data);
	gnutls_pubkey_deinit(pub);
	return ret;
}
