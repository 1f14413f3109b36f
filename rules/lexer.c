/*
 * lexer.c - splits a rules file into logical lines of tokens.
 *
 * The lexical rules (smime-milter.rules(5), LEXICAL STRUCTURE):
 *  - words are separated by blanks (space, tab); a ',' is a token of its
 *    own wherever it stands outside quotes;
 *  - '#' where a word could start begins a comment to the end of the
 *    physical line (inside a word it is an ordinary byte);
 *  - a '\' that is the last non-blank byte of a line, outside quotes and
 *    comments, joins the next line and counts as a blank; a comment
 *    never continues;
 *  - "..." is one word that may hold blanks, commas and '#'; inside it \"
 *    stands for " and \\ for \, any other '\' is an error, and the word
 *    must end on its line and be followed by a blank, ',' or line end;
 *  - LF and CRLF end lines; other control bytes are errors, and so is a
 *    '"' inside an unquoted word.
 *
 * Promises: every byte sequence gives a defined result in one pass
 * (linear time); each token knows its line and 1-based byte column; only
 * the first lexical error of a logical line is reported, and that line
 * is marked bad so the parser does not pile guesses on top of it.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void rules_lexer_init(rules_lexer *lx, const char *text, size_t len)
{
	lx->p = text;
	lx->end = text + len;
	lx->line_start = text;
	lx->line = 1;
}

static unsigned col_of(const rules_lexer *lx, const char *p)
{
	return (unsigned)(p - lx->line_start) + 1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static bool at_eol(const rules_lexer *lx, const char *p)
{
	return p == lx->end || *p == '\n' ||
	       (*p == '\r' && p + 1 < lx->end && p[1] == '\n');
}

/* A '\' followed by nothing but blanks up to the line end. */
static bool is_join(const rules_lexer *lx, const char *p)
{
	if (p == lx->end || *p != '\\')
		return false;
	for (p++; p < lx->end && is_blank(*p); p++)
		;
	return at_eol(lx, p);
}

/* Steps over a line end at p (which at_eol() accepted). */
static void next_line(rules_lexer *lx, const char *p)
{
	if (p < lx->end)
		p += *p == '\r' ? 2 : 1;
	lx->p = p;
	lx->line++;
	lx->line_start = p;
}

static void lex_error(rules_lexer *lx, rules_errs *e, rules_line *l,
		      const char *p, const char *msg)
{
	if (!l->bad)
		rules_err(e, lx->line, col_of(lx, p), "%s", msg);
	l->bad = true;
}

static void lex_control(rules_lexer *lx, rules_errs *e, rules_line *l,
			const char *p)
{
	if (!l->bad)
		rules_err(e, lx->line, col_of(lx, p),
			  "unexpected control character 0x%02x: expected "
			  "printable text",
			  (unsigned char)*p);
	l->bad = true;
}

static int push(rules_line *l, tok_kind kind, char *text, bool quoted,
		unsigned line, unsigned column, const char *raw)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		rules_token *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			free(text);
			return RULES_E_NOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (rules_token){kind, quoted, text, line, column, raw};
	return 0;
}

/* A quoted word starting at lx->p (the '"'). */
static int lex_quoted(rules_lexer *lx, rules_errs *e, rules_line *l)
{
	const char *start = lx->p, *p = lx->p + 1;
	rstr w = RSTR_INIT;
	bool closed = false;
	int ret = 0;

	if (rstr_putn(&w, "", 0) < 0)
		return RULES_E_NOMEM;
	while (!at_eol(lx, p) && ret == 0) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			closed = true;
			p++;
			break;
		}
		if (c == '\\' && !at_eol(lx, p + 1)) {
			if (p[1] == '"' || p[1] == '\\') {
				ret = rstr_putc(&w, p[1]);
			} else {
				lex_error(lx, e, l, p,
					  "unknown escape in a quoted word: "
					  "expected \\\" or \\\\");
				ret = rstr_putc(&w, p[1]);
			}
			p += 2;
			continue;
		}
		if (c == '\\')
			break; /* a '\' before the line end: unterminated */
		if (is_control(c))
			lex_control(lx, e, l, p);
		ret = rstr_putc(&w, c);
		p++;
	}
	if (ret == 0 && !closed)
		lex_error(lx, e, l, start,
			  "unterminated quoted word: expected a closing '\"' "
			  "on this line");
	if (ret == 0 && closed && !at_eol(lx, p) && !is_blank(*p) &&
	    *p != ',' && !is_join(lx, p))
		lex_error(lx, e, l, p,
			  "expected a blank or ',' after the closing '\"'");
	if (ret == 0)
		ret = push(l, TOK_WORD, w.s, true, lx->line, col_of(lx, start),
			   start);
	else
		rstr_free(&w);
	lx->p = p;
	return ret;
}

/* An unquoted word starting at lx->p. */
static int lex_bare(rules_lexer *lx, rules_errs *e, rules_line *l)
{
	const char *start = lx->p, *p = lx->p;
	char *text;

	while (!at_eol(lx, p) && !is_blank(*p) && *p != ',' &&
	       !is_join(lx, p)) {
		if (*p == '"')
			lex_error(lx, e, l, p,
				  "unexpected '\"' inside a word: put the "
				  "whole word in quotes");
		else if (is_control((unsigned char)*p))
			lex_control(lx, e, l, p);
		p++;
	}
	lx->p = p;
	text = rules_strndup(start, (size_t)(p - start));
	if (text == NULL)
		return RULES_E_NOMEM;
	return push(l, TOK_WORD, text, false, lx->line, col_of(lx, start),
		    start);
}

static void line_reset(rules_line *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	l->n = 0;
	l->bad = false;
}

void rules_line_free(rules_line *l)
{
	line_reset(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

int rules_lexer_next(rules_lexer *lx, rules_errs *e, rules_line *out)
{
	unsigned end_line = 0, end_col = 0;
	int ret;

	line_reset(out);
	for (;;) {
		const char *p = lx->p;
		while (p < lx->end && is_blank(*p))
			p++;
		lx->p = p;
		if (at_eol(lx, p)) {
			if (out->n > 0 || out->bad)
				break;
			if (p == lx->end)
				return 0;
			next_line(lx, p); /* a blank or comment line */
			continue;
		}
		if (out->n == 0 && !out->bad)
			out->line = lx->line;
		if (is_join(lx, p) || *p == '#') {
			bool join = *p == '\\';
			while (!at_eol(lx, p))
				p++;
			lx->p = p;
			if (join)
				next_line(lx, p);
			continue;
		}
		if (*p == ',') {
			ret = push(out, TOK_COMMA, NULL, false, lx->line,
				   col_of(lx, p), p);
			lx->p = p + 1;
		} else if (*p == '"') {
			ret = lex_quoted(lx, e, out);
		} else {
			ret = lex_bare(lx, e, out);
		}
		if (ret < 0)
			return ret;
		end_line = lx->line;
		end_col = col_of(lx, lx->p);
	}
	if (lx->p < lx->end)
		next_line(lx, lx->p);
	ret = push(out, TOK_END, NULL, false, end_line, end_col, NULL);
	return ret < 0 ? ret : 1;
}

unsigned rules_token_column(const rules_token *t, size_t k)
{
	const char *raw = t->raw;
	size_t j = 0;

	if (!t->quoted || raw == NULL)
		return t->column + (unsigned)k;
	raw++; /* the opening quote */
	for (size_t i = 0; i < k; i++) {
		if (raw[j] == '\\' && (raw[j + 1] == '"' || raw[j + 1] == '\\'))
			j += 2;
		else
			j++;
	}
	return t->column + 1 + (unsigned)j;
}
