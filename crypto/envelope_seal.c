/*
 * envelope_seal.c - writes a new EnvelopedData (RFC 5652 section 6) or
 * AuthEnvelopedData (RFC 5083, AES-GCM per RFC 5084) with libtasn1, for
 * the re-encryption of SPEC section 8 and the `encrypt` action.
 *
 * Each call draws a fresh content key and IV (GCRY_STRONG_RANDOM), so
 * two runs over the same content never give the same ciphertext, and
 * wraps the key once per recipient certificate: RSA ones with the key
 * transport and identifier form the caller asks for (the original
 * RecipientInfo's), EC ones (P-256, P-384, P-521) with a
 * KeyAgreeRecipientInfo of SPEC 9's scheme (kari_write.c), which AES key
 * wrap limits to content keys of 16 bytes or more, in 8-byte steps.
 *
 * What the standards fix and the peers check (OpenSSL, NSS, gpgsm):
 * - CMSVersion: a KeyTransRecipientInfo is 0 with issuerAndSerialNumber
 *   and 2 with subjectKeyIdentifier; the EnvelopedData is 0 when every
 *   RecipientInfo is 0 (no originatorInfo, no unprotectedAttrs), else 2;
 *   AuthEnvelopedData is always 0.  Versions are written as decimal
 *   strings of length 0: a non-zero length makes libtasn1 read the text
 *   as big-endian bytes ("0" would become 48, which gpgsm refuses).
 * - rsaEncryption carries NULL parameters; RSAES-OAEP-params leave out
 *   every field equal to its default, and hash AlgorithmIdentifiers have
 *   absent parameters, as OpenSSL writes them (RFC 4055 section 2.1).
 * - RC2 carries an RC2CBCParameter whose version gives the effective
 *   bits; DES, 3DES and AES-CBC the IV as an OCTET STRING; GCM its
 *   GCMParameters with a 12-byte nonce and a 16-byte ICV.
 *
 * Promises: DER output or nothing appended; the content key and every
 * plaintext copy are wiped.
 */
#include "keys_internal.h"
#include "oid.h"

#include <gcrypt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GCM_NONCE_LEN 12
#define GCM_ICV_LEN 16

static const unsigned char der_null[] = {0x05, 0x00};

static int create(const char *type, asn1_node *node)
{
	int r = asn1_create_element(smime_cms_definitions(), type, node);

	return r == ASN1_SUCCESS ? 0 : SMIME_E_NOMEM;
}

/* ------------------------------------------------------------------ */
/* Algorithm parameters                                                 */
/* ------------------------------------------------------------------ */

int smime_algid_der(const char *oid, smime_buf *out)
{
	asn1_node n = NULL;
	int ret;

	ret = create("SmimeCMS.AlgorithmIdentifier", &n);
	if (ret == 0)
		ret = smime_asn1_write(n, "algorithm", oid, 1);
	if (ret == 0)
		ret = smime_asn1_write(n, "parameters", NULL, 0);
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&n);
	return ret;
}

/* An AlgorithmIdentifier of a digest, parameters absent (RFC 4055). */
static int hash_algid_der(const char *hash, smime_buf *out)
{
	const char *oid = smime_oid_by_name(hash, SMIME_OID_DIGEST);

	return oid != NULL ? smime_algid_der(oid, out) : SMIME_E_UNSUPPORTED;
}

static bool is_sha1(const char *h)
{
	return h == NULL || smime_ascii_casecmp(h, "sha1") == 0;
}

/* RSAES-OAEP-params with every default left out. */
static int oaep_params_der(const smime_keytrans *kt, smime_buf *out)
{
	smime_buf tmp = SMIME_BUF_INIT;
	asn1_node n = NULL;
	int ret;

	ret = create("SmimeCMS.RSAES-OAEP-params", &n);
	if (ret < 0)
		return ret;
	if (is_sha1(kt->oaep_hash)) {
		ret = smime_asn1_write(n, "hashFunc", NULL, 0);
	} else {
		const char *oid =
			smime_oid_by_name(kt->oaep_hash, SMIME_OID_DIGEST);

		ret = oid ? smime_asn1_write(n, "hashFunc.algorithm", oid, 1)
			  : SMIME_E_UNSUPPORTED;
		if (ret == 0)
			ret = smime_asn1_write(n, "hashFunc.parameters", NULL,
					       0);
	}
	if (ret == 0 && is_sha1(kt->oaep_mgf_hash)) {
		ret = smime_asn1_write(n, "maskGenFunc", NULL, 0);
	} else if (ret == 0) {
		ret = smime_asn1_write(n, "maskGenFunc.algorithm", OID_MGF1, 1);
		if (ret == 0)
			ret = hash_algid_der(kt->oaep_mgf_hash, &tmp);
		if (ret == 0)
			ret = smime_asn1_write(n, "maskGenFunc.parameters",
					       tmp.data, (int)tmp.len);
	}
	if (ret == 0 && kt->oaep_label_len == 0) {
		ret = smime_asn1_write(n, "pSourceFunc", NULL, 0);
	} else if (ret == 0) {
		asn1_node l = NULL;

		smime_buf_reset(&tmp);
		ret = create("SmimeCMS.OAEPLabel", &l);
		if (ret == 0)
			ret = smime_asn1_write(l, "", kt->oaep_label,
					       (int)kt->oaep_label_len);
		if (ret == 0)
			ret = smime_asn1_encode(l, "", &tmp);
		smime_asn1_free(&l);
		if (ret == 0)
			ret = smime_asn1_write(n, "pSourceFunc.algorithm",
					       OID_PSPECIFIED, 1);
		if (ret == 0)
			ret = smime_asn1_write(n, "pSourceFunc.parameters",
					       tmp.data, (int)tmp.len);
	}
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_buf_free(&tmp);
	smime_asn1_free(&n);
	return ret;
}

/* The content-encryption parameters: RC2CBCParameter, the IV, or
 * GCMParameters. */
static int content_params_der(const smime_content_params *p, smime_buf *out)
{
	const smime_cipher_info *c = p->cipher;
	asn1_node n = NULL;
	char num[16];
	int ret;

	if (c->aead) {
		ret = create("SmimeCMS.GCMParameters", &n);
		if (ret == 0)
			ret = smime_asn1_write(n, "aes-nonce", p->iv,
					       (int)p->iv_len);
		snprintf(num, sizeof(num), "%zu", p->icv_len);
		if (ret == 0)
			ret = smime_asn1_write(n, "aes-ICVlen", num, 0);
	} else if (smime_rc2_version(c->eff_bits) >= 0 &&
		   strcmp(c->oid,
			  smime_cipher_by_id(SMIME_CIPHER_RC2_CBC)->oid) == 0) {
		ret = create("SmimeCMS.RC2CBCParameter", &n);
		snprintf(num, sizeof(num), "%ld",
			 smime_rc2_version(c->eff_bits));
		if (ret == 0)
			ret = smime_asn1_write(n, "rc2ParameterVersion", num,
					       0);
		if (ret == 0)
			ret = smime_asn1_write(n, "iv", p->iv, (int)p->iv_len);
	} else {
		ret = create("SmimeCMS.CBCParameter", &n);
		if (ret == 0)
			ret = smime_asn1_write(n, "", p->iv, (int)p->iv_len);
	}
	if (ret == 0)
		ret = smime_asn1_encode(n, "", out);
	smime_asn1_free(&n);
	return ret;
}

/* ------------------------------------------------------------------ */
/* RecipientInfos                                                       */
/* ------------------------------------------------------------------ */

int smime_asn1_write_serial(asn1_node node, const char *name,
			    const smime_cert *cert)
{
	unsigned char *v = NULL;
	size_t size = 0;
	int r, ret;

	r = gnutls_x509_crt_get_serial(cert->crt, NULL, &size);
	if (r != GNUTLS_E_SHORT_MEMORY_BUFFER || size == 0)
		return SMIME_E_ARG;
	v = malloc(size);
	if (v == NULL)
		return SMIME_E_NOMEM;
	r = gnutls_x509_crt_get_serial(cert->crt, v, &size);
	/* The INTEGER's content octets exactly as the certificate has them */
	ret = r == 0 ? smime_asn1_write(node, name, v, (int)size) : SMIME_E_ARG;
	free(v);
	return ret;
}

int smime_asn1_write_rid_iasn(asn1_node node, const char *rid,
			      const smime_cert *cert)
{
	smime_asn1_path p;
	int ret = smime_asn1_write(node, rid, "issuerAndSerialNumber", 1);

	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(
				&p, "%s.issuerAndSerialNumber.issuer", rid),
			cert->issuer_der, (int)cert->issuer_der_len);
	if (ret == 0)
		ret = smime_asn1_write_serial(
			node,
			smime_asn1_path_fmt(
				&p, "%s.issuerAndSerialNumber.serialNumber",
				rid),
			cert);
	return ret;
}

static int write_ktri(asn1_node node, const smime_seal_recipient *r,
		      const smime_content_key *ck, bool *by_ski)
{
	const char *k = "recipientInfos.?LAST.ktri";
	smime_asn1_path p;
	smime_buf buf = SMIME_BUF_INIT;
	int ret;

	*by_ski = r->kt.by_ski && r->cert->ski_raw != NULL;
	ret = smime_asn1_write(node, "recipientInfos", "NEW", 1);
	if (ret == 0)
		ret = smime_asn1_write(node, "recipientInfos.?LAST", "ktri", 1);
	if (ret == 0)
		ret = smime_asn1_write(node,
				       smime_asn1_path_fmt(&p, "%s.version", k),
				       *by_ski ? "2" : "0", 0);
	if (ret == 0 && *by_ski) {
		ret = smime_asn1_write(node,
				       smime_asn1_path_fmt(&p, "%s.rid", k),
				       "subjectKeyIdentifier", 1);
		if (ret == 0)
			ret = smime_asn1_write(
				node,
				smime_asn1_path_fmt(
					&p, "%s.rid.subjectKeyIdentifier", k),
				r->cert->ski_raw, (int)r->cert->ski_len);
	} else if (ret == 0) {
		ret = smime_asn1_write_rid_iasn(
			node, smime_asn1_path_fmt(&p, "%s.rid", k), r->cert);
	}
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(
				&p, "%s.keyEncryptionAlgorithm.algorithm", k),
			r->kt.oaep ? OID_RSAES_OAEP : OID_RSA_ENCRYPTION, 1);
	if (ret == 0 && r->kt.oaep)
		ret = oaep_params_der(&r->kt, &buf);
	else if (ret == 0)
		ret = smime_buf_append(&buf, der_null, sizeof(der_null));
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(
				&p, "%s.keyEncryptionAlgorithm.parameters", k),
			buf.data, (int)buf.len);
	smime_buf_reset(&buf);
	if (ret == 0)
		ret = smime_rsa_wrap(r->cert, &r->kt, ck, &buf);
	if (ret == 0)
		ret = smime_asn1_write(
			node, smime_asn1_path_fmt(&p, "%s.encryptedKey", k),
			buf.data, (int)buf.len);
	smime_buf_free(&buf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The structures                                                       */
/* ------------------------------------------------------------------ */

/* The EncryptedContentInfo without its content: smime_cms_fill() writes
 * that in. */
static int write_eci(asn1_node node, const char *eci,
		     const smime_content_params *p)
{
	smime_asn1_path path;
	smime_buf prm = SMIME_BUF_INIT;
	int ret;

	ret = smime_asn1_write(
		node, smime_asn1_path_fmt(&path, "%s.contentType", eci),
		OID_DATA, 1);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(
				&path,
				"%s.contentEncryptionAlgorithm.algorithm", eci),
			p->cipher->oid, 1);
	if (ret == 0)
		ret = content_params_der(p, &prm);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(
				&path,
				"%s.contentEncryptionAlgorithm.parameters",
				eci),
			prm.data, (int)prm.len);
	if (ret == 0)
		ret = smime_asn1_write(
			node,
			smime_asn1_path_fmt(&path, "%s.encryptedContent", eci),
			NULL, 0);
	smime_buf_free(&prm);
	return ret;
}

/* The inner EnvelopedData or AuthEnvelopedData without its encrypted
 * content, DER, into out; an AuthEnvelopedData's mac is zeros for now. */
static int write_inner(const smime_content_params *p,
		       const smime_content_key *ck,
		       const smime_seal_recipient *rcpts, size_t n,
		       smime_buf *out)
{
	static const unsigned char zeros[GCM_ICV_LEN];
	bool auth = p->cipher->aead, any_ski = false, ski;
	asn1_node node = NULL;
	int ret;

	ret = create(auth ? "SmimeCMS.AuthEnvelopedData"
			  : "SmimeCMS.EnvelopedData",
		     &node);
	if (ret == 0)
		ret = smime_asn1_write(node, "originatorInfo", NULL, 0);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if (smime_cert_is_rsa(rcpts[i].cert)) {
			ret = write_ktri(node, &rcpts[i], ck, &ski);
		} else {
			ret = smime_kari_write(node, rcpts[i].cert, ck);
			ski = true; /* a version 3 RecipientInfo */
		}
		any_ski |= ski;
	}
	/* RFC 5652 6.1: 2 when any RecipientInfo's version is not 0 */
	if (ret == 0)
		ret = smime_asn1_write(node, "version",
				       auth || !any_ski ? "0" : "2", 0);
	if (ret == 0)
		ret = write_eci(node,
				auth ? "authEncryptedContentInfo"
				     : "encryptedContentInfo",
				p);
	if (ret == 0 && auth) {
		ret = smime_asn1_write(node, "authAttrs", NULL, 0);
		if (ret == 0)
			ret = smime_asn1_write(node, "mac", zeros,
					       (int)p->icv_len);
		if (ret == 0)
			ret = smime_asn1_write(node, "unauthAttrs", NULL, 0);
	} else if (ret == 0) {
		ret = smime_asn1_write(node, "unprotectedAttrs", NULL, 0);
	}
	if (ret == 0)
		ret = smime_asn1_encode(node, "", out);
	smime_asn1_free(&node);
	return ret;
}

/* DES keys carry odd parity in the low bit of every byte. */
static void des_parity(unsigned char *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned b = k[i] & 0xfe, ones = 0;

		for (unsigned v = b; v; v >>= 1)
			ones += v & 1;
		k[i] = (unsigned char)(b | ((ones & 1) ? 0 : 1));
	}
}

bool smime_cert_sealable(const smime_cert *c)
{
	return c != NULL && (smime_cert_is_rsa(c) ||
			     smime_cert_ec_curve(c, NULL, NULL) != NULL);
}

static int check_args(const smime_cipher_info *c, size_t len,
		      const smime_seal_recipient *rcpts, size_t n)
{
	if (c == NULL || c->key_len == 0 || !c->writable)
		return SMIME_E_UNSUPPORTED; /* unknown, odd-size rc2-cbc, or
					     * read-only (CCM, ChaCha20) */
	if (rcpts == NULL || n == 0 || len > INT_MAX / 2)
		return len > INT_MAX / 2 ? SMIME_E_LIMIT : SMIME_E_ARG;
	for (size_t i = 0; i < n; i++)
		if (rcpts[i].cert == NULL ||
		    (smime_cert_is_rsa(rcpts[i].cert)
			     ? !smime_keytrans_supported(&rcpts[i].kt)
			     : smime_cert_ec_curve(rcpts[i].cert, NULL, NULL) ==
					       NULL ||
				       c->key_len < 16 || c->key_len % 8 != 0))
			return SMIME_E_UNSUPPORTED;
	return 0;
}

/* The mac, an AuthEnvelopedData's last field, in place of the zeros
 * write_inner() left. */
static int put_mac(smime_buf *der, size_t old, const unsigned char *tag,
		   size_t n)
{
	unsigned char *m = der->data + der->len - n;

	if (der->len - old < n + 2 || m[-2] != 0x04 || m[-1] != n)
		return SMIME_E_ARG;
	memcpy(m, tag, n);
	return 0;
}

int smime_envelope_seal(smime_cipher_id cipher, const unsigned char *content,
			size_t len, const smime_seal_recipient *rcpts, size_t n,
			smime_buf *der)
{
	const smime_cipher_info *c = smime_cipher_by_id(cipher);
	smime_content_params p;
	smime_content_key *ck = NULL;
	smime_buf inner = SMIME_BUF_INIT;
	unsigned char iv[16], tag[GCM_ICV_LEN];
	size_t old = der != NULL ? der->len : 0, at = 0;
	int ret;

	if (der == NULL || (content == NULL && len > 0))
		return SMIME_E_ARG;
	ret = check_args(c, len, rcpts, n);
	if (ret == 0 && c->iv_len > sizeof(iv))
		ret = SMIME_E_UNSUPPORTED;
	if (ret == 0)
		ret = smime_content_key_new(c->key_len, &ck);
	if (ret < 0)
		return ret;
	gcry_randomize(ck->key, ck->len, GCRY_STRONG_RANDOM);
	if (c->id == SMIME_CIPHER_DES_CBC || c->id == SMIME_CIPHER_DES_EDE3_CBC)
		des_parity(ck->key, ck->len);
	memset(&p, 0, sizeof(p));
	p.cipher = c;
	p.eff_bits = c->eff_bits;
	p.iv_len = c->aead ? GCM_NONCE_LEN : c->iv_len;
	p.icv_len = c->aead ? GCM_ICV_LEN : 0;
	gcry_randomize(iv, p.iv_len, GCRY_STRONG_RANDOM);
	p.iv = iv;
	/* The structure first, with room for the content, which is then
	 * encrypted straight into der: no other copy of it. */
	ret = write_inner(&p, ck, rcpts, n, &inner);
	if (ret == 0)
		ret = smime_cms_fill(c->aead, inner.data, inner.len,
				     smime_content_encrypted_len(&p, len), der,
				     &at);
	smime_buf_free(&inner);
	if (ret == 0)
		ret = smime_content_encrypt(&p, ck, content, len,
					    der->data + at, tag);
	if (ret == 0 && c->aead)
		ret = put_mac(der, old, tag, p.icv_len);
	if (ret < 0 && der->len > old) {
		smime_wipe(der->data + old, der->len - old);
		der->len = old;
		der->data[old] = '\0';
	}
	smime_content_key_free(ck);
	smime_wipe(tag, sizeof(tag));
	return ret;
}
