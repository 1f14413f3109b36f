/*
 * encrypt_mime.c - a whole message made into an RFC 8551 enveloped
 * message (SPEC section 9, the `encrypt` action), and the test for mail
 * that is already encrypted.
 *
 * The encrypted entity is the message's Content-* fields, a blank line
 * and the body, every line end made CRLF (RFC 8551 3.1.1), except a body
 * declared binary, whose bytes are kept.  Broken MIME is encrypted as it
 * is: nothing here parses the body, so nothing in it can make the
 * message leave unencrypted.  The other header fields stay outside
 * (RFC 8551 3.1).
 *
 * Promises: nothing is written to the edit list before the whole
 * EnvelopedData is built; the plaintext copy is wiped when freed
 * (smime_buf_free); header values use libmilter folding ("\n\t").
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The top-level Content-Transfer-Encoding says binary. */
static bool declared_binary(const smime_headers *hdrs)
{
	const char *v = smime_headers_get(hdrs, "Content-Transfer-Encoding", 0);

	if (v == NULL)
		return false;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	return smime_ascii_ncasecmp(v, "binary", 6) == 0 &&
	       strspn(v + 6, " \t\r\n") == strlen(v + 6);
}

static int build_entity(const smime_headers *hdrs, const unsigned char *body,
			size_t len, smime_buf *out)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < hdrs->n; i++)
		if (smime_is_content_field(hdrs->v[i].name))
			ret = smime_put_field(out, hdrs->v[i].name,
					      hdrs->v[i].value);
	if (ret == 0)
		ret = smime_buf_puts(out, "\r\n");
	if (ret == 0 && len > 0)
		ret = declared_binary(hdrs) ? smime_buf_append(out, body, len)
					    : smime_canon_crlf(body, len, out);
	return ret;
}

int smime_encrypt_message(smime_cipher_id cipher,
			  const smime_seal_recipient *rcpts, size_t n,
			  const smime_headers *hdrs, const unsigned char *body,
			  size_t len, const char *spill_dir, smime_edits *edits)
{
	const smime_cipher_info *ci = smime_cipher_by_id(cipher);
	smime_buf entity = SMIME_BUF_INIT, der = SMIME_BUF_INIT;
	smime_buf newbody = SMIME_BUF_INIT, ct = SMIME_BUF_INIT;
	smime_kind kind;
	int ret;

	if (ci == NULL || hdrs == NULL || (body == NULL && len > 0) ||
	    edits == NULL || n == 0)
		return SMIME_E_ARG;
	kind = ci->aead ? SMIME_KIND_AUTH_ENVELOPED : SMIME_KIND_ENVELOPED;
	smime_buf_spill(&der, spill_dir); /* ciphertext only */
	smime_buf_spill(&newbody, spill_dir);
	ret = smime_buf_secret(&entity);
	if (ret == 0)
		ret = build_entity(hdrs, body, len, &entity);
	if (ret == 0)
		ret = smime_envelope_seal(cipher, entity.data, entity.len,
					  rcpts, n, &der);
	if (ret == 0)
		ret = smime_p7m_body(der.data, der.len, &newbody);
	if (ret == 0)
		ret = smime_p7m_content_type_folded(kind, &ct);
	/* Complete: only now does the edit list change. */
	if (ret == 0)
		ret = smime_content_header_edits(hdrs, (const char *)ct.data,
						 edits);
	if (ret == 0)
		ret = smime_edits_header(edits, SMIME_EDIT_INSERT, (unsigned)-1,
					 "Content-Transfer-Encoding",
					 SMIME_P7M_TRANSFER_ENCODING);
	if (ret == 0)
		ret = smime_edits_header(edits, SMIME_EDIT_INSERT, (unsigned)-1,
					 "Content-Disposition",
					 SMIME_P7M_DISPOSITION);
	if (ret == 0) {
		smime_buf_free(&edits->body);
		edits->body = newbody;
		newbody = (smime_buf)SMIME_BUF_INIT;
		edits->replace_body = true;
	}
	smime_buf_free(&entity);
	smime_buf_free(&der);
	smime_buf_free(&newbody);
	smime_buf_free(&ct);
	return ret;
}

/* An EnvelopedData or AuthEnvelopedData with a RecipientInfo. */
static bool is_envelope(const unsigned char *der, size_t len,
			const smime_cms_limits *cms)
{
	smime_cms_info info;
	bool yes;

	memset(&info, 0, sizeof info);
	yes = smime_cms_read(der, len, cms, &info) == 0 &&
	      (info.kind == SMIME_KIND_ENVELOPED ||
	       info.kind == SMIME_KIND_AUTH_ENVELOPED) &&
	      info.nrecipients > 0;
	smime_cms_info_free(&info);
	return yes;
}

int smime_message_is_encrypted(const smime_headers *hdrs,
			       const unsigned char *body, size_t len,
			       const smime_mime_limits *limits,
			       const smime_cms_limits *cms, bool *yes)
{
	smime_part *root = NULL;
	const smime_part *e;
	smime_buf der = SMIME_BUF_INIT;
	int ret;

	*yes = false;
	ret = smime_mime_parse(body, len, hdrs, limits, &root);
	if (ret < 0)
		return ret;
	e = root;
	if (strcmp(e->type, "multipart") == 0 &&
	    strcmp(e->subtype, "signed") == 0 && e->nchildren > 0)
		e = &e->children[0];
	if (e->nchildren == 0) {
		ret = smime_part_decode(body, e, &der);
		if (ret == 0)
			*yes = is_envelope(der.data, der.len, cms);
		else if (!smime_err_is_resource(ret))
			ret = SMIME_OK; /* undecodable: not encrypted */
	}
	smime_buf_free(&der);
	smime_mime_free(root);
	return ret;
}
