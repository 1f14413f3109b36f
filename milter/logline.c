/*
 * logline.c - the per-message log line of SPEC section 7:
 *
 *   QUEUEID: dir=inbound from=<a@b> kind=enveloped cipher=rc2-40-cbc ...
 *
 * Promises: keys appear in SPEC order and only when their field is set
 * (ms only when >= 0); a value is written bare unless it is empty or
 * holds a blank, a double quote, a backslash or a control character, in
 * which case it is double-quoted with \" \\ \t \n \r and \xHH escapes.
 * So one message is always exactly one line that `smime-tool report`
 * can split on blanks, whatever the sender put in its headers.
 */
#include "milter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool needs_quotes(const char *v)
{
	const unsigned char *p;

	if (*v == '\0')
		return true;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\')
			return true;
	return false;
}

static int put_quoted(smime_buf *out, const char *v)
{
	const unsigned char *p;
	int rc = smime_buf_putc(out, '"');

	for (p = (const unsigned char *)v; *p != '\0' && rc == 0; p++) {
		switch (*p) {
		case '"':
			rc = smime_buf_puts(out, "\\\"");
			break;
		case '\\':
			rc = smime_buf_puts(out, "\\\\");
			break;
		case '\t':
			rc = smime_buf_puts(out, "\\t");
			break;
		case '\n':
			rc = smime_buf_puts(out, "\\n");
			break;
		case '\r':
			rc = smime_buf_puts(out, "\\r");
			break;
		default:
			if (*p < ' ' || *p == 0x7f)
				rc = smime_buf_printf(out, "\\x%02x", *p);
			else
				rc = smime_buf_putc(out, *p);
		}
	}
	if (rc == 0)
		rc = smime_buf_putc(out, '"');
	return rc;
}

/* " key=value", value quoted when it must be. */
static int put_field(smime_buf *out, const char *key, const char *value)
{
	int rc;

	if (value == NULL)
		return 0;
	rc = smime_buf_printf(out, " %s=", key);
	if (rc < 0)
		return rc;
	if (needs_quotes(value))
		return put_quoted(out, value);
	return smime_buf_puts(out, value);
}

/* The queue id comes from the MTA; anything but printable non-blank
 * characters would break the line format, so those become '?'. */
static int put_queue_id(smime_buf *out, const char *qid)
{
	const unsigned char *p;
	int rc = 0;

	if (qid == NULL || *qid == '\0')
		qid = "NOQUEUE";
	for (p = (const unsigned char *)qid; *p != '\0' && rc == 0; p++)
		rc = smime_buf_putc(out, *p > ' ' && *p < 0x7f ? *p : '?');
	return rc;
}

int milter_logline_format(const milter_logline *l, smime_buf *out)
{
	char *from = NULL;
	int rc;

	rc = put_queue_id(out, l->queue_id);
	if (rc == 0)
		rc = smime_buf_putc(out, ':');
	if (rc == 0)
		rc = put_field(out, "dir", l->dir);
	if (rc == 0 && l->from != NULL) {
		/* from=<addr>: the brackets are part of the value, so the
		 * null sender is from=<> and a quoted local part with a
		 * blank quotes the whole value. */
		size_t n = strlen(l->from) + 3;

		from = malloc(n);
		if (from == NULL)
			rc = SMIME_E_NOMEM;
		else
			snprintf(from, n, "<%s>", l->from);
		if (rc == 0)
			rc = put_field(out, "from", from);
	}
	if (rc == 0)
		rc = put_field(out, "kind", l->kind);
	if (rc == 0)
		rc = put_field(out, "cipher", l->cipher);
	if (rc == 0)
		rc = put_field(out, "strength", l->strength);
	if (rc == 0)
		rc = put_field(out, "action", l->action);
	if (rc == 0)
		rc = put_field(out, "new-cipher", l->new_cipher);
	if (rc == 0)
		rc = put_field(out, "signer", l->signer);
	if (rc == 0)
		rc = put_field(out, "result", l->result);
	if (rc == 0)
		rc = put_field(out, "reason", l->reason);
	if (rc == 0 && l->entities > 1)
		rc = smime_buf_printf(out, " entities=%lu", l->entities);
	if (rc == 0)
		rc = put_field(out, "mailer", l->mailer);
	if (rc == 0 && l->note)
		rc = put_field(out, "note", l->note);
	if (rc == 0 && l->ms >= 0)
		rc = smime_buf_printf(out, " ms=%ld", l->ms);
	free(from);
	return rc;
}
