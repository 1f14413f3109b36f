/*
 * logline.c - the per-message log line of SPEC section 7:
 *
 *   QUEUEID: dir=inbound from=<a@b> kind=enveloped cipher=rc2-40-cbc ...
 *
 * Promises: keys appear in SPEC order and only when their field is set
 * (ms only when >= 0); a value is written bare unless it is empty or
 * holds a blank, a double quote, a backslash, a control character or a
 * byte that is not UTF-8, in which case it is double-quoted with \" \\
 * \t \n \r and \xHH escapes.  Well-formed UTF-8 is kept, so an
 * internationalised sender (RFC 6532) keeps its letters; control
 * characters are C0, DEL, C1 (NEL among them), U+2028 and U+2029
 * (smime_utf8_printable), each of whose bytes is escaped, and so is
 * every byte that is not part of well-formed UTF-8, so the line stays
 * UTF-8.  So one message is always exactly one line that `smime-tool
 * report` can split on blanks, whatever the sender put in its headers.
 */
#include "milter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The length of the character at p that may be written as it is, or 0
 * when its bytes must be escaped (a control character, not UTF-8). */
static size_t plain_len(const unsigned char *p)
{
	if (*p >= 0x20 && *p < 0x7f)
		return 1; /* printable ASCII, the common case */
	return smime_utf8_printable(p, strnlen((const char *)p, 4));
}

static bool needs_quotes(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t k;

	if (*p == '\0')
		return true;
	for (; *p != '\0'; p += k) {
		k = plain_len(p);
		if (k == 0 || *p == ' ' || *p == '"' || *p == '\\')
			return true;
	}
	return false;
}

/* One character, or one byte that cannot be written as it is. */
static int put_char(smime_buf *out, const unsigned char *p, size_t *k)
{
	*k = plain_len(p);
	if (*k > 0 && *p != '"' && *p != '\\')
		return smime_buf_append(out, p, *k);
	*k = 1;
	switch (*p) {
	case '"':
		return smime_buf_puts(out, "\\\"");
	case '\\':
		return smime_buf_puts(out, "\\\\");
	case '\t':
		return smime_buf_puts(out, "\\t");
	case '\n':
		return smime_buf_puts(out, "\\n");
	case '\r':
		return smime_buf_puts(out, "\\r");
	default:
		return smime_buf_printf(out, "\\x%02x", *p);
	}
}

/* v with its quotable characters escaped, between open and close. */
static int put_escaped(smime_buf *out, const char *open, const char *v,
		       const char *close)
{
	const unsigned char *p;
	size_t k = 0;
	int rc = smime_buf_puts(out, open);

	for (p = (const unsigned char *)v; *p != '\0' && rc == 0; p += k)
		rc = put_char(out, p, &k);
	if (rc == 0)
		rc = smime_buf_puts(out, close);
	return rc;
}

int milter_logline_value(smime_buf *out, const char *value)
{
	if (needs_quotes(value))
		return put_escaped(out, "\"", value, "\"");
	return smime_buf_puts(out, value);
}

/* " key=" (no printf: this runs for every field of every message). */
static int put_key(smime_buf *out, const char *key)
{
	int rc = smime_buf_putc(out, ' ');

	if (rc == 0)
		rc = smime_buf_puts(out, key);
	if (rc == 0)
		rc = smime_buf_putc(out, '=');
	return rc;
}

/* " key=value", value quoted when it must be. */
static int put_field(smime_buf *out, const char *key, const char *value)
{
	int rc;

	if (value == NULL)
		return 0;
	rc = put_key(out, key);
	if (rc < 0)
		return rc;
	return milter_logline_value(out, value);
}

/* " key=N" */
static int put_number(smime_buf *out, const char *key, long n)
{
	char text[24];
	int rc = put_key(out, key);

	snprintf(text, sizeof text, "%ld", n);
	return rc < 0 ? rc : smime_buf_puts(out, text);
}

/*
 * " from=<addr>": the brackets are part of the value, so the null sender
 * is from=<> and a quoted local part with a blank quotes the whole value.
 * '<' and '>' never need quotes and never join a neighbour into a UTF-8
 * character, so "<addr>" needs them exactly when a non-empty addr does,
 * and is written here without first being copied.
 */
static int put_from(smime_buf *out, const char *addr)
{
	int rc = put_key(out, "from");

	if (rc < 0)
		return rc;
	if (addr[0] != '\0' && needs_quotes(addr))
		return put_escaped(out, "\"<", addr, ">\"");
	rc = smime_buf_putc(out, '<');
	if (rc == 0)
		rc = smime_buf_puts(out, addr);
	if (rc == 0)
		rc = smime_buf_putc(out, '>');
	return rc;
}

/* The queue id comes from the MTA; anything but printable non-blank
 * characters would break the line format, so those become '?'. */
static int put_queue_id(smime_buf *out, const char *qid)
{
	const unsigned char *p;
	size_t n;
	int rc = 0;

	if (qid == NULL || *qid == '\0')
		qid = "NOQUEUE";
	/* Runs of printable characters at once, each other byte a '?'. */
	for (p = (const unsigned char *)qid; *p != '\0' && rc == 0; p += n) {
		n = 0;
		while (p[n] > ' ' && p[n] < 0x7f)
			n++;
		if (n > 0) {
			rc = smime_buf_append(out, p, n);
		} else {
			n = 1;
			rc = smime_buf_putc(out, '?');
		}
	}
	return rc;
}

const char *milter_act_name(milter_act a)
{
	static const char *const names[] = {
		[MILTER_ACT_NONE] = "none",
		[MILTER_ACT_TAGGED] = "tagged",
		[MILTER_ACT_REJECTED] = "rejected",
		[MILTER_ACT_TEMPFAILED] = "tempfailed",
		[MILTER_ACT_QUARANTINED] = "quarantined",
		[MILTER_ACT_DISCARDED] = "discarded",
		[MILTER_ACT_KEPT] = "kept",
		[MILTER_ACT_REENCRYPTED] = "reencrypted",
		[MILTER_ACT_SIGNED] = "signed",
		[MILTER_ACT_ENCRYPTED] = "encrypted",
	};

	if ((unsigned)a >= sizeof(names) / sizeof(*names))
		return NULL;
	return names[a];
}

int milter_logline_format(const milter_logline *l, smime_buf *out)
{
	int rc;

	rc = put_queue_id(out, l->queue_id);
	if (rc == 0)
		rc = smime_buf_putc(out, ':');
	if (rc == 0)
		rc = put_field(out, "dir", l->dir);
	if (rc == 0 && l->from != NULL)
		rc = put_from(out, l->from);
	if (rc == 0)
		rc = put_field(out, "kind", l->kind);
	if (rc == 0)
		rc = put_field(out, "cipher", l->cipher);
	if (rc == 0)
		rc = put_field(out, "strength", l->strength);
	if (rc == 0)
		rc = put_field(out, "action", milter_act_name(l->action));
	if (rc == 0)
		rc = put_field(out, "action-reason", l->action_reason);
	if (rc == 0)
		rc = put_field(out, "new-cipher", l->new_cipher);
	if (rc == 0)
		rc = put_field(out, "sign", milter_act_name(l->sign));
	if (rc == 0)
		rc = put_field(out, "sign-reason", l->sign_reason);
	if (rc == 0)
		rc = put_field(out, "signer", l->signer);
	if (rc == 0)
		rc = put_field(out, "result", l->result);
	if (rc == 0)
		rc = put_field(out, "reason", l->reason);
	if (rc == 0 && l->entities > 1)
		rc = smime_buf_printf(out, " entities=%lu", l->entities);
	if (rc == 0 && l->signatures > 1)
		rc = smime_buf_printf(out, " signatures=%lu", l->signatures);
	if (rc == 0)
		rc = put_field(out, "mailer", l->mailer);
	if (rc == 0 && l->note)
		rc = put_field(out, "note", l->note);
	if (rc == 0 && l->ms >= 0)
		rc = put_number(out, "ms", l->ms);
	return rc;
}
