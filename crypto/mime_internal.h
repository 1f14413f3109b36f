/*
 * mime_internal.h - what headers.c, mime.c and mime_params.c share and
 * nobody else needs: the bounded header-section scanner and the
 * Content-Type / Content-Transfer-Encoding parsers.
 */
#ifndef SMIME_MIME_INTERNAL_H
#define SMIME_MIME_INTERNAL_H

#include "internal.h"

/*
 * Scans the header section of data[start, end): RFC 5322 fields with
 * continuation lines, LF or CRLF line ends.
 *
 * - A blank line ends the section; *body_off is the byte after it.
 * - A line that is neither a field ("name:" with a printable name,
 *   blanks allowed before the colon) nor a continuation ends the section
 *   too, and the body starts at that line (what Postfix and Python's
 *   email package do): a part whose header is missing starts with its
 *   body.  Exception: with allow_from_line, an mbox "From " line at start
 *   is skipped.  A continuation line with no field before it is skipped.
 * - No blank line: *body_off is end (no body).
 * - max_headers / max_line (0: unlimited) bound the fields kept and the
 *   bytes of one field including its continuation lines; a field past
 *   either is dropped, *truncated is set, and the scan still finds the
 *   body.
 * Fails only with SMIME_E_NOMEM.
 */
int smime_headers_scan(const unsigned char *data, size_t start, size_t end,
		       bool allow_from_line, size_t max_headers,
		       size_t max_line, smime_headers *hdrs, size_t *body_off,
		       bool *truncated);

/* Deep copy of at most max (0: all) fields of src appended to dst; sets
 * *truncated when fields were left out. */
int smime_headers_copy(const smime_headers *src, size_t max, smime_headers *dst,
		       bool *truncated);

/*
 * Parses a Content-Type value: "type/subtype" lowercased ("text/plain"
 * when missing or malformed, RFC 2045 section 5.2), and its parameters
 * (names lowercased, values unquoted, RFC 2231 sections joined and
 * percent-decoded; the first instance of a name wins, an RFC 2231 form
 * wins over a plain one).  value may be NULL.  Fails only on NOMEM;
 * outputs are set on success only.
 */
int smime_content_type_parse(const char *value, const char *default_type,
			     const char *default_subtype, char **type,
			     char **subtype, smime_param **params,
			     size_t *nparams);
void smime_params_free(smime_param *params, size_t n);

/* Content-Transfer-Encoding value (NULL: absent) to its smime_cte. */
smime_cte smime_cte_parse(const char *value);

#endif
