/*
 * diag.c - diagnostics of the rules loader: the public rules_diag list
 * and the parser's error sink.
 *
 * Promises: every entry carries its position and a ready
 * "FILE:LINE:COLUMN: message" text; a rules file with errors reports all
 * of them up to RULES_MAX_ERRORS, then one "too many errors" entry; words
 * quoted in messages are cut to 40 bytes and shown in printable ASCII, so
 * a hostile file cannot put control characters into a log line.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_WORD_MAX 40

int rules_diag_add(rules_diag *d, const char *file, unsigned line,
		   unsigned column, const char *message)
{
	rules_diag_entry *e;
	rstr text = RSTR_INIT;
	int ret;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		rules_diag_entry *v = realloc(d->v, cap * sizeof(*v));
		if (v == NULL)
			return RULES_E_NOMEM;
		d->v = v;
		d->cap = cap;
	}
	if (line > 0)
		ret = rstr_printf(&text, "%s:%u:%u: %s", file, line, column,
				  message);
	else
		ret = rstr_printf(&text, "%s: %s", file, message);
	if (ret < 0)
		return ret;
	e = &d->v[d->n];
	e->file = rules_strdup(file);
	e->message = rules_strdup(message);
	if (e->file == NULL || e->message == NULL) {
		free(e->file);
		free(e->message);
		rstr_free(&text);
		return RULES_E_NOMEM;
	}
	e->line = line;
	e->column = line > 0 ? column : 0;
	e->text = text.s;
	d->n++;
	return 0;
}

void rules_diag_free(rules_diag *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
		free(d->v[i].text);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

bool rules_errs_full(const rules_errs *e)
{
	return e->n > RULES_MAX_ERRORS;
}

void rules_err(rules_errs *e, unsigned line, unsigned column, const char *fmt,
	       ...)
{
	rstr msg = RSTR_INIT;
	va_list ap;
	int ret;

	e->n++;
	if (e->diag == NULL || e->n > RULES_MAX_ERRORS + 1)
		return;
	if (e->n == RULES_MAX_ERRORS + 1) {
		ret = rstr_printf(&msg, "too many errors (%u), giving up",
				  RULES_MAX_ERRORS);
	} else {
		va_start(ap, fmt);
		ret = rstr_vprintf(&msg, fmt, ap);
		va_end(ap);
	}
	if (ret == 0)
		ret = rules_diag_add(e->diag, e->file, line, column, msg.s);
	if (ret < 0)
		e->oom = true;
	rstr_free(&msg);
}

const char *rules_show(const char *word, char out[SHOW_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	out[o++] = '\'';
	for (i = 0; word[i] != '\0' && i < SHOW_WORD_MAX; i++) {
		unsigned char c = (unsigned char)word[i];
		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (word[i] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}
