/*
 * cms_empty_sets.c - the empty SETs of indefinite length a SignedData may
 * carry, given a definite length so that libtasn1 and GnuTLS read them.
 *
 * RFC 5652 5.1 lets certificates [0] and crls [1] be empty SETs (and
 * signerInfos, in a certs-only message), and a streaming encoder writes an
 * empty SET as `A1 80 00 00`: indefinite length, no element, end of
 * contents.  That is valid BER, but libtasn1 4.19 refuses it as a SET OF
 * (TAG_ERROR: it takes the end-of-contents octets for an element), and
 * GnuTLS's PKCS#7 reader, built on it, refuses it too; such a message was
 * `neutral` `malformed` here while OpenSSL reads it.
 *
 * smime_cms_fix_empty_sets() is the second try of a reader whose
 * SignedData did not decode: it reads the SignedData's fields as
 * cms.asn's Fields (SEQUENCE OF ANY, whose ANY does read them, libtasn1
 * finding where each one ends), and writes a new ContentInfo with every
 * empty indefinite-length field written `A1 00`, everything else as it
 * came, and the SignedData, its [0] and the ContentInfo around them with
 * definite lengths.  No signed byte lives in those outer headers or in an
 * empty SET (signed attributes and eContent are copied as they came), so
 * no signature changes meaning.
 *
 * Promises: der is never written; anything that is no SignedData
 * ContentInfo, or has no such field, is left alone (0) for the decoders
 * to judge; only resource errors fail.
 */
#include "internal.h"

#include <limits.h>

/* 1.2.840.113549.1.7.2 as an OBJECT IDENTIFIER encoding */
static const unsigned char oid_signed_data[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};

/* Each field of the SignedData sd, an empty indefinite-length SET written
 * with a definite length; *fixed counts those. */
static int copy_fields(const unsigned char *sd, size_t sdlen, smime_buf *out,
		       size_t *fixed)
{
	smime_asn1_path p;
	asn1_node f = NULL;
	int n = 0, s, e, ret;

	ret = smime_asn1_decode("SmimeCMS.Fields", sd, sdlen, true, &f);
	if (ret == 0)
		ret = smime_asn1_err(asn1_number_of_elements(f, "", &n));
	for (int i = 1; ret == 0 && i <= n; i++) {
		ret = smime_asn1_err(asn1_der_decoding_startEnd(
			f, sd, (int)sdlen, smime_asn1_path_fmt(&p, "?%d", i),
			&s, &e));
		if (ret == 0 && (s < 0 || e < s || (size_t)e >= sdlen))
			ret = SMIME_E_PARSE;
		if (ret < 0)
			break;
		if (e - s == 3 && (sd[s] & 0x20) && sd[s + 1] == 0x80) {
			ret = smime_buf_putc(out, sd[s]);
			if (ret == 0)
				ret = smime_buf_putc(out, 0x00);
			(*fixed)++;
		} else {
			ret = smime_buf_append(out, sd + s,
					       (size_t)(e - s) + 1);
		}
	}
	smime_asn1_free(&f);
	return ret;
}

/* tag, the definite length of content, content. */
static int put_tlv(smime_buf *out, unsigned char tag, const smime_buf *content)
{
	unsigned char len[sizeof(unsigned long) + 1];
	int ll = sizeof(len);
	int ret;

	asn1_length_der(content->len, len, &ll);
	ret = smime_buf_putc(out, tag);
	if (ret == 0)
		ret = smime_buf_append(out, len, (size_t)ll);
	if (ret == 0)
		ret = smime_buf_append(out, content->data, content->len);
	return ret;
}

int smime_cms_fix_empty_sets(const unsigned char *der, size_t len,
			     smime_buf *out)
{
	smime_buf a = SMIME_BUF_INIT, b = SMIME_BUF_INIT;
	const unsigned char *sd;
	size_t sdlen, fixed = 0;
	int ret;

	if (der == NULL || len > INT_MAX)
		return 0;
	ret = smime_cms_signed_data(der, len, &sd, &sdlen);
	if (ret == 0)
		ret = copy_fields(sd, sdlen, &a, &fixed);
	if (ret < 0 || fixed == 0) {
		ret = smime_err_is_resource(ret) ? ret : 0;
		goto cleanup;
	}
	/* SignedData, [0] EXPLICIT, ContentInfo: a and b take turns. */
	ret = put_tlv(&b, 0x30, &a);
	smime_buf_reset(&a);
	if (ret == 0)
		ret = smime_buf_append(&a, oid_signed_data,
				       sizeof(oid_signed_data));
	if (ret == 0)
		ret = put_tlv(&a, 0xa0, &b);
	if (ret == 0)
		ret = put_tlv(out, 0x30, &a);
	if (ret == 0)
		ret = 1;
cleanup:
	smime_buf_free(&a); /* an opaque message's content */
	smime_buf_free(&b);
	return ret;
}
