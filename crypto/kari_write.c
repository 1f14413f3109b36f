/*
 * kari_write.c - a KeyAgreeRecipientInfo (RFC 5753) for an EC recipient,
 * as SPEC 9 fixes it: ephemeral-static ECDH with
 * dhSinglePass-stdDH-sha256kdf-scheme and aes128-wrap on P-256,
 * -sha384kdf and aes256-wrap on P-384, -sha512kdf and aes256-wrap on
 * P-521; a fresh ephemeral key per RecipientInfo; the originator's
 * id-ecPublicKey with absent parameters and an uncompressed point, no
 * ukm, and the recipient named by issuerAndSerialNumber, as OpenSSL 3.0
 * writes it.
 */
#include "keys_internal.h"

#include <gcrypt.h>
#include <string.h>

#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define K "recipientInfos.?LAST.kari"

/* Z, the KEK and the wrapped key, in secure memory. */
#define BUF_Z 0
#define BUF_KEK 66
#define BUF_WRAPPED 98
#define BUF_LEN (BUF_WRAPPED + SMIME_CK_MAX + 8)

static int write_originator(asn1_node node, const unsigned char *pub,
			    size_t publen)
{
	int ret = smime_asn1_write(node, K ".originator", "originatorKey", 1);

	if (ret == 0)
		ret = smime_asn1_write(
			node, K ".originator.originatorKey.algorithm.algorithm",
			OID_EC_PUBLIC_KEY, 1);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			K ".originator.originatorKey.algorithm.parameters",
			NULL, 0);
	/* a BIT STRING's length is in bits */
	if (ret == 0)
		ret = smime_asn1_write(node,
				       K ".originator.originatorKey.publicKey",
				       pub, (int)(publen * 8));
	return ret;
}

static int write_rek(asn1_node node, const smime_cert *cert,
		     const unsigned char *wrapped, size_t len)
{
	const char *r = K ".recipientEncryptedKeys.?LAST";
	smime_asn1_path p;
	int ret;

	ret = smime_asn1_write(node, K ".recipientEncryptedKeys", "NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write_rid_iasn(
			node, smime_asn1_path_fmt(&p, "%s.rid", r), cert);
	if (ret == 0)
		ret = smime_asn1_write(
			node, smime_asn1_path_fmt(&p, "%s.encryptedKey", r),
			wrapped, (int)len);
	return ret;
}

/* The ephemeral key, Z, the KEK and the wrapped content key. */
static int derive_and_wrap(const smime_cert *cert, const smime_content_key *ck,
			   unsigned char *pub, size_t *publen,
			   unsigned char *buf, const smime_ec_curve **ec)
{
	smime_buf si = SMIME_BUF_INIT;
	size_t zlen = 0;
	int ret;

	ret = smime_ecdh_ephemeral(cert, pub, publen, buf + BUF_Z, &zlen, ec);
	if (ret == 0)
		ret = smime_kari_shared_info((*ec)->wrap, NULL, 0, NULL, 0,
					     (*ec)->kek_len, &si);
	if (ret == 0)
		ret = smime_x963_kdf((*ec)->md, buf + BUF_Z, zlen, si.data,
				     si.len, buf + BUF_KEK, (*ec)->kek_len);
	if (ret == 0)
		ret = smime_aes_key_wrap(buf + BUF_KEK, (*ec)->kek_len, ck->key,
					 ck->len, buf + BUF_WRAPPED);
	smime_buf_free(&si);
	return ret;
}

int smime_kari_write(asn1_node node, const smime_cert *cert,
		     const smime_content_key *ck)
{
	unsigned char pub[1 + 2 * 66];
	unsigned char *buf;
	const smime_ec_curve *ec = NULL;
	smime_buf wrap = SMIME_BUF_INIT;
	size_t publen = 0;
	int ret;

	if (ck->len < 16 || ck->len % 8 != 0 || ck->len > SMIME_CK_MAX)
		return SMIME_E_UNSUPPORTED; /* AES key wrap's domain */
	buf = gcry_malloc_secure(BUF_LEN);
	if (buf == NULL)
		return SMIME_E_NOMEM;
	ret = derive_and_wrap(cert, ck, pub, &publen, buf, &ec);
	if (ret == 0)
		ret = smime_asn1_write(node, "recipientInfos", "NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write(node, "recipientInfos.?LAST", "kari", 1);
	if (ret == 0)
		ret = smime_asn1_write(node, K ".version", "3", 0);
	if (ret == 0)
		ret = write_originator(node, pub, publen);
	if (ret == 0)
		ret = smime_asn1_write(node, K ".ukm", NULL, 0);
	if (ret == 0)
		ret = smime_asn1_write(node,
				       K ".keyEncryptionAlgorithm.algorithm",
				       ec->scheme, 1);
	if (ret == 0)
		ret = smime_algid_der(ec->wrap, &wrap);
	if (ret == 0)
		ret = smime_asn1_write(node,
				       K ".keyEncryptionAlgorithm.parameters",
				       wrap.data, (int)wrap.len);
	if (ret == 0)
		ret = write_rek(node, cert, buf + BUF_WRAPPED, ck->len + 8);
	smime_buf_free(&wrap);
	smime_wipe(buf, BUF_LEN);
	gcry_free(buf);
	return ret;
}
