/*
 * reencrypt_entity.c - the entity that takes the place of an encrypted
 * entity nested in a plain multipart once it is re-encrypted (issue 13,
 * F10).
 *
 * It keeps every header field of the original entity but Content-Type and
 * Content-Transfer-Encoding, byte for byte and in order: Content-ID (an
 * HTML part's cid: link points at it), Content-Description,
 * Content-Disposition with its filename, and whatever else the sender's
 * client wrote.  The new Content-Type is the RFC 8551 one with the
 * original's name= parameter (smime.p7m when it had none); a
 * Content-Disposition (attachment; filename=smime.p7m) is added only when
 * the original had none.
 *
 * The name comes from the MIME parser, quotes removed and RFC 2231
 * sections joined and percent-decoded (their charset is not kept).  A
 * name of printable ASCII up to NAME_QUOTED bytes is written as a
 * quoted-string; any other as RFC 2231 sections (name*0*=CHARSET''...,
 * one folded line each), charset us-ascii, utf-8 when the bytes are
 * UTF-8, else unknown-8bit (RFC 1428).  The Content-Disposition, kept as
 * it was, still carries the file name in its original encoding.  Every
 * line written here stays under 78 characters; the kept fields are the
 * original's own.
 */
#include "reencrypt.h"

#include <string.h>
#include <strings.h>

#define NAME_QUOTED 900 /* a quoted name's line stays under 998 */
#define SECTION 48      /* encoded bytes per RFC 2231 section line */

static size_t line_end(const unsigned char *s, size_t i, size_t end)
{
	while (i < end && s[i] != '\n')
		i++;
	return i < end ? i + 1 : end;
}

/* Whether the field at s (up to end) is named name, blanks before the
 * colon allowed (RFC 5322 obsolete syntax). */
static bool field_is(const unsigned char *s, size_t end, const char *name)
{
	size_t n = strlen(name), i = n;

	if (end < n || strncasecmp((const char *)s, name, n) != 0)
		return false;
	while (i < end && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < end && s[i] == ':';
}

/* Appends p's header fields but Content-Type and
 * Content-Transfer-Encoding, exact bytes; *disposition tells whether one
 * of them was Content-Disposition. */
static int keep_fields(const unsigned char *body, const smime_part *p,
		       smime_buf *out, bool *disposition)
{
	size_t i = p->start;
	int rc = 0;

	*disposition = false;
	while (rc == 0 && i < p->body_start && body[i] != '\n' &&
	       !(body[i] == '\r' && i + 1 < p->body_start &&
		 body[i + 1] == '\n')) {
		size_t e = line_end(body, i, p->body_start);
		size_t n;

		while (e < p->body_start && (body[e] == ' ' || body[e] == '\t'))
			e = line_end(body, e, p->body_start);
		n = e - i;
		if (field_is(body + i, n, "Content-Type") ||
		    field_is(body + i, n, "Content-Transfer-Encoding")) {
			i = e;
			continue;
		}
		*disposition |= field_is(body + i, n, "Content-Disposition");
		rc = smime_buf_append(out, body + i, n);
		if (rc == 0 && body[e - 1] != '\n')
			rc = smime_buf_puts(out, "\r\n");
		i = e;
	}
	return rc;
}

static bool is_printable(const unsigned char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* Well-formed UTF-8 sequences only (lead byte, then its continuation
 * bytes); ASCII counts. */
static bool is_utf8(const unsigned char *s)
{
	while (*s != '\0') {
		int more = *s < 0x80                  ? 0
			   : *s >= 0xc2 && *s <= 0xdf ? 1
			   : *s >= 0xe0 && *s <= 0xef ? 2
			   : *s >= 0xf0 && *s <= 0xf4 ? 3
						      : -1;

		if (more < 0)
			return false;
		for (s++; more > 0; more--, s++)
			if ((*s & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* RFC 2231 attribute-char: any printable ASCII but blanks, '*', '\'',
 * '%' and the tspecials. */
static bool attribute_char(int c)
{
	return c > 0x20 && c < 0x7f &&
	       strchr("*'%()<>@,;:\\\"/[]?=", c) == NULL;
}

/* ";" then name*0*=CHARSET''..., name*1*=... on folded lines. */
static int put_sections(smime_buf *out, const unsigned char *name)
{
	const char *charset = is_printable(name) ? "us-ascii"
			      : is_utf8(name)    ? "utf-8"
						 : "unknown-8bit";
	size_t k = 0, col = SECTION;
	int rc = 0;

	for (; *name != '\0' && rc == 0; name++) {
		if (col + 3 > SECTION) {
			rc = smime_buf_printf(out, ";\r\n\tname*%zu*=%s", k,
					      k == 0 ? charset : "");
			if (rc == 0 && k++ == 0)
				rc = smime_buf_puts(out, "''");
			col = 0;
		}
		if (rc == 0 && attribute_char(*name)) {
			rc = smime_buf_putc(out, *name);
			col++;
		} else if (rc == 0) {
			rc = smime_buf_printf(out, "%%%02X", *name);
			col += 3;
		}
	}
	return rc;
}

/* The name parameter of the new Content-Type, after a ';'. */
static int put_name(smime_buf *out, const char *name)
{
	int rc;

	if (name == NULL || *name == '\0')
		return smime_buf_puts(out, ";\r\n\tname=smime.p7m");
	if (!is_printable((const unsigned char *)name) ||
	    strlen(name) > NAME_QUOTED)
		return put_sections(out, (const unsigned char *)name);
	rc = smime_buf_puts(out, ";\r\n\tname=\"");
	for (; *name != '\0' && rc == 0; name++) {
		if (*name == '"' || *name == '\\')
			rc = smime_buf_putc(out, '\\');
		if (rc == 0)
			rc = smime_buf_putc(out, *name);
	}
	return rc == 0 ? smime_buf_putc(out, '"') : rc;
}

int milter_reencrypted_entity(const unsigned char *body, const smime_part *p,
			      smime_kind kind, const smime_buf *der,
			      smime_buf *out)
{
	bool disposition = false;
	int rc;

	rc = smime_buf_printf(out,
			      "Content-Type: application/pkcs7-mime; "
			      "smime-type=%s",
			      kind == SMIME_KIND_AUTH_ENVELOPED
				      ? "authEnveloped-data"
				      : "enveloped-data");
	if (rc == 0)
		rc = put_name(out, smime_part_param(p, "name"));
	if (rc == 0)
		rc = smime_buf_printf(out,
				      "\r\nContent-Transfer-Encoding: %s\r\n",
				      SMIME_P7M_TRANSFER_ENCODING);
	if (rc == 0)
		rc = keep_fields(body, p, out, &disposition);
	if (rc == 0 && !disposition)
		rc = smime_buf_printf(out, "Content-Disposition: %s\r\n",
				      SMIME_P7M_DISPOSITION);
	if (rc == 0)
		rc = smime_buf_puts(out, "\r\n");
	return rc == 0 ? smime_p7m_body(der->data, der->len, out) : rc;
}
