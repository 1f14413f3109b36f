/*
 * publish.c - the userSMIMECertificate value (RFC 2798) the gateway
 * writes for a harvested signer (SPEC section 9, HarvestToLDAP): the
 * message's own SignedData cut down to what Outlook publishes, a
 * SignedData without content holding the certificates and the one
 * SignerInfo whose signed attributes carry the signer's
 * SMIMECapabilities and signingTime.
 *
 * The gateway holds no key of the signer, so it cannot sign anew: the
 * SignerInfo is the signer's own, its signature over the original
 * content (which the value no longer carries).  Readers take the
 * certificates and capabilities (found.c) and judge the certificates by
 * themselves, as they do every value in the directory.
 *
 * Promises: the output is a DER ContentInfo that smime_found_add_smime_cert
 * reads back with the same certificates and, as its first SignerInfo's,
 * the same capabilities; CRLs and every other SignerInfo are left out.
 */
#include "internal.h"
#include "oid.h"

#include <stdlib.h>

/* Leaves signerInfos holding only element keep (1-based). */
static int keep_one_signer(asn1_node sd, int keep)
{
	smime_asn1_path p;
	int n = 0, ret;

	ret = smime_asn1_err(asn1_number_of_elements(sd, "signerInfos", &n));
	if (ret == 0 && (keep < 1 || keep > n))
		ret = SMIME_E_PARSE;
	for (int k = n; ret == 0 && k >= 1; k--)
		if (k != keep)
			ret = smime_asn1_write(
				sd,
				smime_asn1_path_fmt(&p, "signerInfos.?%d", k),
				NULL, 0);
	return ret;
}

int smime_publish_signer(const unsigned char *ci, size_t len, int index,
			 smime_buf *out)
{
	smime_cms_tree t = {0};
	smime_buf sd = SMIME_BUF_INIT;
	asn1_node wrap = NULL;
	int ret = smime_cms_signed_decode(ci, len, NULL, 0, &t);

	if (ret == 0 && smime_asn1_present(t.node, "encapContentInfo.eContent"))
		ret = smime_asn1_write(t.node, "encapContentInfo.eContent",
				       NULL, 0);
	if (ret == 0 && smime_asn1_present(t.node, "crls"))
		ret = smime_asn1_write(t.node, "crls", NULL, 0);
	if (ret == 0)
		ret = keep_one_signer(t.node, index + 1);
	if (ret == 0)
		ret = smime_asn1_encode(t.node, "", &sd);
	if (ret == 0)
		ret = asn1_create_element(smime_cms_definitions(),
					  "SmimeCMS.ContentInfo",
					  &wrap) == ASN1_SUCCESS
			      ? 0
			      : SMIME_E_NOMEM;
	if (ret == 0)
		ret = smime_asn1_write(wrap, "contentType", OID_SIGNED_DATA, 1);
	if (ret == 0)
		ret = smime_asn1_write(wrap, "content", sd.data, (int)sd.len);
	if (ret == 0)
		ret = smime_asn1_encode(wrap, "", out);
	smime_asn1_free(&wrap);
	smime_buf_free(&sd);
	smime_cms_tree_free(&t);
	/* what libtasn1 cannot write back came from the input */
	return ret == SMIME_E_ARG ? SMIME_E_PARSE : ret;
}
