/*
 * pkcs7_mime.c - the RFC 8551 section 3.2 wrapper around an encrypted
 * CMS object: application/pkcs7-mime with its smime-type, name=smime.p7m,
 * base64 in 76-column lines ending in CRLF, and a Content-Disposition
 * with filename=smime.p7m (RFC 8551 section 3.2.1).
 *
 * The milter replaces a message's body and its Content-* headers with
 * these; a nested entity is replaced as a whole by smime_p7m_entity().
 */
#include "internal.h"

#include <string.h>

#define B64_LINE 76

const char *smime_p7m_content_type(smime_kind kind)
{
	switch (kind) {
	case SMIME_KIND_ENVELOPED:
		return "application/pkcs7-mime; smime-type=enveloped-data; "
		       "name=smime.p7m";
	case SMIME_KIND_AUTH_ENVELOPED:
		return "application/pkcs7-mime; smime-type=authEnveloped-data; "
		       "name=smime.p7m";
	default:
		return NULL;
	}
}

int smime_p7m_content_type_folded(smime_kind kind, smime_buf *out)
{
	const char *ct = smime_p7m_content_type(kind);
	const char *name = ct != NULL ? strstr(ct, " name=") : NULL;

	if (name == NULL)
		return SMIME_E_ARG;
	if (smime_buf_append(out, ct, (size_t)(name - ct)) < 0 ||
	    smime_buf_puts(out, "\n\t") < 0 ||
	    smime_buf_puts(out, name + 1) < 0)
		return SMIME_E_NOMEM;
	return SMIME_OK;
}

int smime_p7m_body(const unsigned char *der, size_t len, smime_buf *out)
{
	if (der == NULL || out == NULL || len == 0)
		return SMIME_E_ARG;
	return smime_base64_encode(der, len, B64_LINE, out);
}

int smime_p7m_entity(smime_kind kind, const unsigned char *der, size_t len,
		     smime_buf *out)
{
	const char *smime_type;
	size_t old;
	int ret;

	if (out == NULL)
		return SMIME_E_ARG;
	if (kind == SMIME_KIND_ENVELOPED)
		smime_type = "enveloped-data";
	else if (kind == SMIME_KIND_AUTH_ENVELOPED)
		smime_type = "authEnveloped-data";
	else
		return SMIME_E_ARG;
	old = out->len;
	/* Folded so every header line stays under 78 characters. */
	ret = smime_buf_printf(out,
			       "Content-Type: application/pkcs7-mime; "
			       "smime-type=%s;\r\n\tname=smime.p7m\r\n"
			       "Content-Transfer-Encoding: %s\r\n"
			       "Content-Disposition: %s\r\n\r\n",
			       smime_type, SMIME_P7M_TRANSFER_ENCODING,
			       SMIME_P7M_DISPOSITION);
	if (ret == 0)
		ret = smime_p7m_body(der, len, out);
	if (ret < 0 && out->data != NULL) {
		out->len = old;
		out->data[old] = '\0';
	}
	return ret;
}
