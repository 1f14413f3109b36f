/*
 * internal.h - what the files of rules/ share and nobody else sees: the
 * parsed form of a rule, the tokens of the lexer, the vocabulary tables,
 * the parser's error sink and a small growable string.
 */
#ifndef RULES_INTERNAL_H
#define RULES_INTERNAL_H

#include "rules.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The parsed form ---- */

typedef enum cond_kind {
	COND_OUTBOUND = 0,
	COND_INBOUND,
	COND_AUTHENTICATED,
	COND_CLIENT_IP,
	COND_FROM,
	COND_SENDER,
	COND_TO,
	COND_ALL_TO,
	COND_HEADER,
	COND_SIGNED,
	COND_SIGNATURE,
	COND_SIGNER,
	COND_ENCRYPTED,
	COND_CIPHER,
	COND_SIZE
} cond_kind;

typedef struct rules_cond {
	cond_kind kind;
	bool negate;
	char *arg;       /* glob; header name; result word; cipher or
			  * strength word (lower case) */
	char *glob;      /* header: the glob on the value */
	rules_cidr cidr; /* client-ip */
	uint64_t size;   /* size > size */
} rules_cond;

typedef struct rules_rule {
	unsigned line;
	rules_cond *conds;
	size_t nconds;
	rules_action *acts; /* strings owned: freed with the rule */
	size_t nacts;
} rules_rule;

struct rules_set {
	char *file;
	rules_rule *v;
	size_t n;
	size_t cap;
	unsigned actions; /* RULES_CAP_* bits in use */
};

void rules_rule_free(rules_rule *r);

/* ---- A growable string ---- */

typedef struct rstr {
	char *s; /* NUL-terminated when not NULL */
	size_t len;
	size_t cap;
} rstr;

/* clang-format off */
#define RSTR_INIT {NULL, 0, 0}
/* clang-format on */

int rstr_putn(rstr *b, const char *p, size_t n);
int rstr_putc(rstr *b, int c);
int rstr_printf(rstr *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rstr_vprintf(rstr *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void rstr_free(rstr *b);

char *rules_strdup(const char *s);
char *rules_strndup(const char *s, size_t n);
/* ASCII-only case folding: the language never depends on the locale. */
int rules_lower(int c);
bool rules_strcaseeq(const char *a, const char *b);
/* Lower-cases an ASCII string in place. */
void rules_strlower(char *s);

/* ---- Diagnostics and the parser's error sink ---- */

/* Appends one entry; line 0 formats as "FILE: message". */
int rules_diag_add(rules_diag *d, const char *file, unsigned line,
		   unsigned column, const char *message);

/*
 * Where the parser's errors go.  Errors are counted even without a diag
 * list; past RULES_MAX_ERRORS one last "too many errors" entry is added
 * and the rest only counted.  Running out of memory is sticky (oom), so
 * the parser can carry on and the loader fails once at the end.
 */
typedef struct rules_errs {
	const char *file;
	rules_diag *diag;
	size_t n;
	bool oom;
} rules_errs;

void rules_err(rules_errs *e, unsigned line, unsigned column, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
/* True once more than RULES_MAX_ERRORS were counted (the "too many
 * errors" entry is out): the loader stops reading. */
bool rules_errs_full(const rules_errs *e);

/* Writes a word for an error message into out: at most 40 bytes of it,
 * quoted, with bytes other than printable ASCII as \xNN. */
#define SHOW_MAX 200
const char *rules_show(const char *word, char out[SHOW_MAX]);

/* ---- Tokens of one logical line (lexer.c) ---- */

/* TOK_END sits just after the last byte of the last token, where an
 * error about something missing points. */
typedef enum tok_kind { TOK_WORD = 0, TOK_COMMA, TOK_END } tok_kind;

typedef struct rules_token {
	tok_kind kind;
	bool quoted;     /* written in double quotes: never a keyword */
	char *text;      /* WORD: the word, escapes resolved; else NULL */
	unsigned line;   /* physical line of the first byte */
	unsigned column; /* 1-based byte column of the first byte */
	const char *raw; /* the source bytes (valid while parsing) */
} rules_token;

typedef struct rules_line {
	rules_token *v; /* ends with one TOK_END */
	size_t n;
	size_t cap;
	unsigned line; /* where the logical line starts */
	bool bad;      /* the lexer reported an error in it */
} rules_line;

typedef struct rules_lexer {
	const char *p; /* next byte */
	const char *end;
	const char *line_start; /* first byte of the current physical line */
	unsigned line;
} rules_lexer;

void rules_lexer_init(rules_lexer *lx, const char *text, size_t len);
/* Reads the next logical line that holds at least one token (blank and
 * comment lines are skipped) into out, replacing what it held.  1 with a
 * line, 0 at the end of the text, RULES_E_NOMEM.  Lexical errors go to e
 * (the first of each line only) and mark the line bad. */
int rules_lexer_next(rules_lexer *lx, rules_errs *e, rules_line *out);
void rules_line_free(rules_line *l);
/* The column of byte k of a quoted word's text (escapes counted). */
unsigned rules_token_column(const rules_token *t, size_t k);

/* ---- Vocabulary (names.c) ---- */

typedef enum arg_kind {
	ARG_NONE = 0,
	ARG_CIDR,
	ARG_GLOB,
	ARG_HEADER, /* NAME GLOB */
	ARG_RESULT,
	ARG_CIPHER, /* cipher name, rc2-cbc, weak, legacy, strong or
		      * unknown */
	ARG_SIZE,
	ARG_OPT_KEY,     /* sign [KEYNAME] */
	ARG_CIPHER_OUT,  /* reencrypt CIPHER */
	ARG_CIPHER_AUTO, /* encrypt CIPHER|auto */
	ARG_OPT_LABEL,
	ARG_OPT_REPLY5,
	ARG_OPT_REPLY4,
	ARG_OPT_REASON
} arg_kind;

typedef struct rules_word {
	const char *name;
	int kind; /* cond_kind or rules_action_kind */
	arg_kind arg;
} rules_word;

/* NULL when the word names no condition / action (ASCII case folded). */
const rules_word *rules_find_cond(const char *word);
const rules_word *rules_find_action(const char *word);
/* The SPEC section 6 cipher names, NULL-terminated. */
extern const char *const rules_cipher_names[];
bool rules_is_cipher(const char *word);
/* A cipher this build can seal with (reencrypt, encrypt). */
bool rules_is_write_cipher(const char *word);
bool rules_is_result(const char *word);
bool rules_is_strength(const char *word);

/* ---- Argument checks (args.c) ---- */

/* BYTES with an optional K or M suffix (1024-based): 0, RULES_E_PARSE, or
 * RULES_E_LIMIT when it does not fit 64 bits. */
int rules_parse_size(const char *text, uint64_t *out);
bool rules_is_header_name(const char *text);
bool rules_is_key_name(const char *text);
bool rules_is_label(const char *text);
/*
 * Splits an SMTP reply "C.S.D text" into status and text.  cls is the
 * class digit the action needs ('5' or '4').  0, RULES_E_NOMEM, or
 * RULES_E_PARSE with *why set to a message and *at to the byte offset it refers to.
 */
int rules_split_reply(const char *reply, char cls, char **status, char **text,
		      const char **why, size_t *at);
bool rules_is_reason(const char *text);

/* ---- Glob internals (glob.c) ---- */

/* Like rules_glob_check(), with a message for the error. */
int rules_glob_check_why(const char *pattern, size_t *err_offset,
			 const char **why);

/* ---- The parser (parse.c, parse_action.c) ---- */

typedef struct rules_parser {
	rules_errs *errs;
	unsigned caps;
	const char *file;
} rules_parser;

/* Token i of the line; past the end, its TOK_END. */
const rules_token *rules_tok(const rules_line *l, size_t i);
/* An unquoted word equal to kw (ASCII case folded). */
bool rules_is_kw(const rules_token *t, const char *kw);
/* A token for an error message: a quoted word, "','" or "the end of
 * the rule". */
const char *rules_describe(const rules_token *t, char out[SHOW_MAX]);
/* The word at toks[*i], the argument of the word before it; what names
 * it in the error when it is missing.  Advances *i; NULL after reporting
 * an error. */
const rules_token *rules_need_word(rules_parser *ps, const rules_line *l,
				   size_t *i, const char *what);
/* Reports an error at token t (offset 0: its first byte, the opening
 * quote of a quoted word) or at byte offset - 1 of its text. */
void rules_perr(rules_parser *ps, const rules_token *t, size_t offset,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The parse steps below return 0; RULES_REPORTED after reporting an
 * error through rules_perr(); or RULES_E_NOMEM when memory ran out, with
 * errs->oom set so the loader fails once at the end.  RULES_REPORTED is
 * positive: not a RULES_E_* code, and never taken for out of memory.
 */
#define RULES_REPORTED 1

/* Sets ps->errs->oom; returns RULES_E_NOMEM. */
int rules_oom(rules_parser *ps);
/* Parses one logical line into out (freed again unless the result is
 * 0). */
int rules_parse_rule(rules_parser *ps, const rules_line *l, rules_rule *out);
/* Parses the action at toks[*i] into a, advancing *i past it. */
int rules_parse_action(rules_parser *ps, const rules_line *l, size_t *i,
		       rules_action *a);
void rules_action_clear(rules_action *a);

#endif /* RULES_INTERNAL_H */
