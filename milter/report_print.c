/*
 * report_print.c - the output of `smime-tool report` (smime-tool(1)).
 *
 * Text: a summary line, then one section per grouping, each entry one
 * line of key=value words after its name, most recent first; a sender's
 * ciphers and mailers on indented lines under it.  Names and values are
 * written as the log line writes them (bare, or quoted with escapes); "-"
 * stands for what is unknown: a time the line did not have, a message
 * without From or mailer.
 *
 *   summary: lines=12 messages=9 counted=4 untimed=1 older=0
 *   senders:
 *     <carol@legacy.example> messages=3 first=2026-12-01T08:00:00Z last=...
 *       cipher=rc2-40-cbc strength=weak messages=3
 *       mailer="Microsoft Windows Mobile 5.0" messages=3
 *   domains:
 *     legacy.example messages=3 senders=1 first=... last=...
 *   ciphers:
 *     rc2-40-cbc strength=weak messages=3 senders=1 first=... last=...
 *     weak-digest messages=1 senders=1 first=... last=...
 *   mailers:
 *     "Microsoft Windows Mobile 5.0" messages=3 senders=1 first=... last=...
 *
 * JSON: the same as one object; unknown values are null, strings are
 * valid UTF-8 (a byte that is not becomes U+FFFD).
 */
#include "report.h"

#include <string.h>

/* A time as RFC 3339 UTC, e.g. 2026-12-06T04:05:06Z. */
static void utc(char *buf, size_t n, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "@%lld", (long long)t);
}

/* ---- text ---------------------------------------------------------- */

/* A value as the log line writes it; "-" for none (and "-" itself
 * quoted, so the two differ). */
static int text_value(smime_buf *b, const char *v)
{
	if (v == NULL)
		return smime_buf_putc(b, '-');
	if (strcmp(v, "-") == 0)
		return smime_buf_puts(b, "\"-\"");
	return milter_logline_value(b, v);
}

/* A sender as the log line writes it: <address>. */
static int text_sender(smime_buf *b, const char *from)
{
	smime_buf s = SMIME_BUF_INIT;
	int rc;

	if (from == NULL)
		return smime_buf_putc(b, '-');
	rc = smime_buf_printf(&s, "<%s>", from);
	if (rc == 0)
		rc = milter_logline_value(b, (const char *)s.data);
	smime_buf_free(&s);
	return rc;
}

static int text_times(smime_buf *b, const report_group *g)
{
	char first[40], last[40];

	if (!g->timed)
		return smime_buf_puts(b, " first=- last=-");
	utc(first, sizeof(first), g->first);
	utc(last, sizeof(last), g->last);
	return smime_buf_printf(b, " first=%s last=%s", first, last);
}

/* The line so far to o, and the buffer emptied. */
static int text_flush(FILE *o, smime_buf *b)
{
	int rc = smime_buf_putc(b, '\n');

	if (rc == 0 && fwrite(b->data, 1, b->len, o) != b->len)
		rc = SMIME_E_IO;
	smime_buf_reset(b);
	return rc;
}

/* A sender's ciphers and mailers, indented under it. */
static int text_pairs(FILE *o, smime_buf *b, const report *r, const char *from)
{
	size_t i, n = report_pairs_of(&r->sender_ciphers, from, &i);
	int rc = 0;

	for (size_t end = i + n; rc == 0 && i < end; i++) {
		const report_group *g = r->sender_ciphers.v[i];
		rc = smime_buf_puts(b, "    cipher=");
		if (rc == 0)
			rc = text_value(b, g->k[1]);
		if (rc == 0 && g->k[2] != NULL)
			rc = smime_buf_puts(b, " strength=");
		if (rc == 0 && g->k[2] != NULL)
			rc = text_value(b, g->k[2]);
		if (rc == 0)
			rc = smime_buf_printf(b, " messages=%lu", g->messages);
		if (rc == 0)
			rc = text_flush(o, b);
	}
	n = report_pairs_of(&r->sender_mailers, from, &i);
	for (size_t end = i + n; rc == 0 && i < end; i++) {
		const report_group *g = r->sender_mailers.v[i];
		rc = smime_buf_puts(b, "    mailer=");
		if (rc == 0)
			rc = text_value(b, g->k[1]);
		if (rc == 0)
			rc = smime_buf_printf(b, " messages=%lu", g->messages);
		if (rc == 0)
			rc = text_flush(o, b);
	}
	return rc;
}

/* One section: its header line, then an entry per group. */
static int text_section(FILE *o, smime_buf *b, const report *r,
			const char *name, const report_table *t)
{
	bool senders = t == &r->senders, ciphers = t == &r->ciphers;
	int rc = smime_buf_printf(b, "%s:", name);

	if (rc == 0)
		rc = text_flush(o, b);
	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		const report_group *g = t->v[i];
		rc = smime_buf_puts(b, "  ");
		if (rc == 0)
			rc = senders ? text_sender(b, g->k[0])
				     : text_value(b, g->k[0]);
		if (rc == 0 && ciphers && g->k[1] != NULL)
			rc = smime_buf_puts(b, " strength=");
		if (rc == 0 && ciphers && g->k[1] != NULL)
			rc = text_value(b, g->k[1]);
		if (rc == 0)
			rc = smime_buf_printf(b, " messages=%lu", g->messages);
		if (rc == 0 && !senders)
			rc = smime_buf_printf(b, " senders=%lu", g->senders);
		if (rc == 0)
			rc = text_times(b, g);
		if (rc == 0)
			rc = text_flush(o, b);
		if (rc == 0 && senders)
			rc = text_pairs(o, b, r, g->k[0]);
	}
	return rc;
}

int report_print_text(FILE *o, const report *r)
{
	smime_buf b = SMIME_BUF_INIT;
	char since[40];
	int rc;

	rc = smime_buf_printf(&b,
			      "summary: lines=%lu messages=%lu counted=%lu "
			      "untimed=%lu older=%lu",
			      r->lines, r->logged, r->counted, r->untimed,
			      r->old);
	if (rc == 0 && r->has_since) {
		utc(since, sizeof(since), r->since);
		rc = smime_buf_printf(&b, " since=%s", since);
	}
	if (rc == 0)
		rc = text_flush(o, &b);
	if (rc == 0)
		rc = text_section(o, &b, r, "senders", &r->senders);
	if (rc == 0)
		rc = text_section(o, &b, r, "domains", &r->domains);
	if (rc == 0)
		rc = text_section(o, &b, r, "ciphers", &r->ciphers);
	if (rc == 0)
		rc = text_section(o, &b, r, "mailers", &r->mailers);
	smime_buf_free(&b);
	return rc;
}

/* ---- JSON ---------------------------------------------------------- */

/* s as a JSON string (null for none): UTF-8 kept, control characters
 * (smime_utf8_printable's) escaped, bytes that are not UTF-8 U+FFFD. */
static void json_str(FILE *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k;

	if (s == NULL) {
		fputs("null", o);
		return;
	}
	fputc('"', o);
	for (n = strlen(s); n > 0; p += k, n -= k) {
		k = smime_utf8_len(p, n);
		if (k == 0) {
			fputs("\\ufffd", o);
			k = 1;
		} else if (*p == '"' || *p == '\\') {
			fprintf(o, "\\%c", *p);
		} else if (smime_utf8_printable(p, k) == k) {
			fwrite(p, 1, k, o);
		} else if (k == 1) {
			fprintf(o, "\\u%04x", *p);
		} else if (k == 2) { /* C1: U+0080 to U+009F */
			fprintf(o, "\\u%04x",
				((p[0] & 0x1f) << 6) | (p[1] & 0x3f));
		} else { /* U+2028, U+2029 */
			fprintf(o, "\\u%04x", 0x2000 | (p[2] & 0x3f));
		}
	}
	fputc('"', o);
}

static void json_time(FILE *o, const char *key, bool timed, time_t t)
{
	char buf[40];

	fprintf(o, ", \"%s\": ", key);
	if (!timed) {
		fputs("null", o);
		return;
	}
	utc(buf, sizeof(buf), t);
	json_str(o, buf);
}

/* "messages", ["senders",] "first_seen", "last_seen" of a group. */
static void json_counts(FILE *o, const report_group *g, bool senders)
{
	fprintf(o, ", \"messages\": %lu", g->messages);
	if (senders)
		fprintf(o, ", \"senders\": %lu", g->senders);
	json_time(o, "first_seen", g->timed, g->first);
	json_time(o, "last_seen", g->timed, g->last);
}

static void json_pairs(FILE *o, const report *r, const char *from)
{
	size_t i, n = report_pairs_of(&r->sender_ciphers, from, &i);

	fputs(", \"ciphers\": [", o);
	for (size_t j = 0; j < n; j++) {
		const report_group *g = r->sender_ciphers.v[i + j];
		fputs(j ? ", {\"cipher\": " : "{\"cipher\": ", o);
		json_str(o, g->k[1]);
		fputs(", \"strength\": ", o);
		json_str(o, g->k[2]);
		fprintf(o, ", \"messages\": %lu}", g->messages);
	}
	n = report_pairs_of(&r->sender_mailers, from, &i);
	fputs("], \"mailers\": [", o);
	for (size_t j = 0; j < n; j++) {
		const report_group *g = r->sender_mailers.v[i + j];
		fputs(j ? ", {\"mailer\": " : "{\"mailer\": ", o);
		json_str(o, g->k[1]);
		fprintf(o, ", \"messages\": %lu}", g->messages);
	}
	fputc(']', o);
}

/* "NAME": [ one object per group ] */
static void json_section(FILE *o, const report *r, const char *name,
			 const char *key, const report_table *t)
{
	bool senders = t == &r->senders, ciphers = t == &r->ciphers;

	fprintf(o, ",\n  \"%s\": [", name);
	for (size_t i = 0; i < t->n; i++) {
		const report_group *g = t->v[i];
		fprintf(o, "%s\n    {\"%s\": ", i ? "," : "", key);
		json_str(o, g->k[0]);
		if (ciphers) {
			fputs(", \"strength\": ", o);
			json_str(o, g->k[1]);
		}
		json_counts(o, g, !senders);
		if (senders)
			json_pairs(o, r, g->k[0]);
		fputc('}', o);
	}
	fputs(t->n ? "\n  ]" : "]", o);
}

int report_print_json(FILE *o, const report *r)
{
	char since[40];

	fputs("{\n  \"since\": ", o);
	if (r->has_since) {
		utc(since, sizeof(since), r->since);
		json_str(o, since);
	} else {
		fputs("null", o);
	}
	fprintf(o,
		",\n  \"lines\": %lu,\n  \"messages\": %lu,\n"
		"  \"counted\": %lu,\n  \"untimed\": %lu,\n  \"older\": %lu",
		r->lines, r->logged, r->counted, r->untimed, r->old);
	json_section(o, r, "senders", "sender", &r->senders);
	json_section(o, r, "domains", "domain", &r->domains);
	json_section(o, r, "ciphers", "cipher", &r->ciphers);
	json_section(o, r, "mailers", "mailer", &r->mailers);
	fputs("\n}\n", o);
	return ferror(o) ? SMIME_E_IO : 0;
}
