/*
 * authres.c - the Authentication-Results header (RFC 8601 syntax, RFC
 * 7281 smime method, SPEC section 7): collecting the resinfos and writing
 * our value.
 *
 * Writing promises: one resinfo per verdict, outermost layer first, each
 * starting on its own line; "smime=RESULT", then reason="..." unless the
 * result is pass, then body.smime-identifier, body.smime-part,
 * body.smime-serial and body.smime-issuer (serial and issuer together or
 * neither).  A value that is not an RFC 2045 token is a quoted-string;
 * the identifier is local-part@domain with the local part quoted when it
 * is not a dot-atom (RFC 8601 pvalue).  The field is ASCII, as RFC 8601
 * has it and parsers such as python3-authres expect: an identifier with
 * non-ASCII characters (an SmtpUTF8Mailbox, RFC 8398) is left out rather
 * than mangled; the log line and the rules still see it.  Folding
 * replaces a blank between two properties by "\n\t".  Lines, counted
 * from the start of the header name, stay within LINE_SOFT where the
 * tokens allow: a property longer than that (a long issuer DN) gets a
 * line of its own and is not broken, because parsers that do not unfold
 * would read a changed value.  Only a property that would pass LINE_HARD
 * even so is folded inside, before one of its own spaces (RFC 5322 3.2.2
 * FWS, which unfolding removes); one that cannot be folded under
 * LINE_HARD is left out.
 *
 * The whole field, name and CRLF line ends counted, stays within
 * SMIME_AUTHRES_MAX (24 KB): the fields the milter adds to one message
 * must stay under 32 KB together (SPEC section 4), since Sendmail refuses
 * a header over 32 KB and libmilter a field over 65,535 bytes, and 400
 * signers once made a 74 KB field the milter could not add, so that
 * every retry of the message was tempfailed (issue 12, F5).  The other
 * 8 KB are for the rest: up to 32 X-SMIME-Encryption fields of about
 * 200 bytes, X-SMIME-Tag, and the fields signing or re-encryption
 * change.  The resinfos that would pass the budget are left out, and one
 * last resinfo, smime=neutral reason="too-many-signatures", stands for
 * them and for the signatures MaxSignatures left unchecked: a resinfo
 * with that reason anywhere in the input is written once, last.
 *
 * Reading an incoming value is authres_read.c.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_NAME "Authentication-Results: "
#define LINE_SOFT 77  /* under 78 */
#define LINE_HARD 997 /* under 998 */
#define FOLD "\n\t"
/* The too-many-signatures resinfo on the wire: CRLF, tab, its text. */
#define TOO_MANY_WIRE                                                          \
	(3 + sizeof("smime=neutral reason=\"too-many-signatures\"") - 1)

/* ------------------------------------------------------------------ */
/* Collecting                                                           */
/* ------------------------------------------------------------------ */

int smime_authres_collect(const smime_facts *facts, smime_resinfo **out,
			  size_t *n)
{
	smime_resinfo *v = NULL;
	size_t total = 0, k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < facts->nlayers; i++)
		total += facts->layers[i].nchecks;
	if (facts->unchecked_signatures > 0)
		total++;
	if (total == 0)
		return 0;
	v = calloc(total, sizeof(*v));
	if (v == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < facts->nlayers; i++) {
		const smime_layer *l = &facts->layers[i];

		for (size_t j = 0; j < l->nchecks; j++, k++) {
			const smime_sigcheck *c = &l->checks[j];
			const smime_signer *s =
				j < l->cms.nsigners ? &l->cms.signers[j] : NULL;

			v[k].result = c->result;
			v[k].reason = c->reason;
			v[k].identifier = c->identifier;
			v[k].part = l->part[0] ? l->part : NULL;
			if (s != NULL && s->issuer != NULL &&
			    s->serial != NULL) {
				v[k].issuer = s->issuer;
				v[k].serial = s->serial;
			} else {
				v[k].issuer = c->cert_issuer;
				v[k].serial = c->cert_serial;
			}
		}
	}
	if (facts->unchecked_signatures > 0) {
		/* One resinfo stands for every signature MaxSignatures left
		 * unchecked (SPEC section 4). */
		v[k].result = SMIME_RESULT_NEUTRAL;
		v[k].reason = SMIME_REASON_TOO_MANY_SIGNATURES;
	}
	*out = v;
	*n = total;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */
/* ------------------------------------------------------------------ */

static bool is_tspecial(int c)
{
	return c != 0 && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || is_tspecial(*p))
			return false;
	return true;
}

/* RFC 5322 atext. */
static bool is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A dot-atom: atext runs separated by single dots. */
static bool is_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' ? s[i + 1] == '.'
				: !is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Printable ASCII and blanks only. */
static bool is_ascii_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* An RFC 5322 quoted-string of printable ASCII, exactly n bytes. */
static bool is_quoted_string(const char *s, size_t n)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (size_t i = 1; i + 1 < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
		if (s[i] == '\\' && i + 2 < n) {
			/* The escaped byte must be printable too, or a CR LF
			 * could start a new header line (fuzz finding F3). */
			i++;
			if ((unsigned char)s[i] < 0x20 ||
			    (unsigned char)s[i] > 0x7e)
				return false;
		} else if (s[i] == '"' || s[i] == '\\') {
			return false;
		}
	}
	return true;
}

/* Appends n bytes as a quoted-string. */
static int put_quoted(smime_buf *b, const char *value, size_t n)
{
	int ret = smime_buf_putc(b, '"');

	for (size_t i = 0; ret == 0 && i < n; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '"' || c == '\\')
			ret = smime_buf_putc(b, '\\');
		if (ret == 0)
			ret = smime_buf_putc(b, c < 0x20 || c > 0x7e ? '?' : c);
	}
	return ret == 0 ? smime_buf_putc(b, '"') : ret;
}

/* RFC 8601 pvalue: local-part "@" domain-name, where the local part is a
 * dot-atom or a quoted-string (not the whole value quoted: parsers such as
 * python3-authres take a quoted-string pvalue only at a resinfo's end). */
static int put_address(smime_buf *b, const char *value)
{
	const char *at = strrchr(value, '@');
	size_t local;
	int ret;

	if (at == NULL || !is_dot_atom(at + 1, strlen(at + 1)))
		return put_quoted(b, value, strlen(value));
	local = (size_t)(at - value);
	if (is_dot_atom(value, local) || is_quoted_string(value, local))
		ret = smime_buf_append(b, value, local);
	else
		ret = put_quoted(b, value, local);
	return ret ? ret : smime_buf_puts(b, at);
}

/* Appends a value bare or as a quoted-string. */
static int put_value(smime_buf *b, const char *value, bool address,
		     bool force_quotes)
{
	if (address)
		return put_address(b, value);
	if (!force_quotes && is_token(value))
		return smime_buf_puts(b, value);
	return put_quoted(b, value, strlen(value));
}

/* "name=value" into a fresh buffer. */
static int make_prop(smime_buf *b, const char *name, const char *value,
		     bool address, bool force_quotes)
{
	int ret;

	smime_buf_reset(b);
	ret = smime_buf_printf(b, "%s=", name);
	return ret ? ret : put_value(b, value, address, force_quotes);
}

/* Whether tok[i] is escaped: an odd run of backslashes before it. */
static bool escaped(const unsigned char *tok, size_t i)
{
	size_t n = 0;

	while (n < i && tok[i - 1 - n] == '\\')
		n++;
	return n % 2 == 1;
}

/* The longest run without a blank the token may be folded at (a blank
 * starts a run; an escaped one does not): the least a line must hold
 * once the token is folded at its own blanks. */
static size_t longest_run(const unsigned char *s, size_t n)
{
	size_t best = 0, run = 0;

	for (size_t i = 0; i < n; i++) {
		run = s[i] == ' ' && !escaped(s, i) ? 1 : run + 1;
		if (run > best)
			best = run;
	}
	return best;
}

/* Whether a token fits some line: after the fold's tab, with room for
 * the ';' that may end a resinfo. */
static bool fits_hard(const smime_buf *tok)
{
	return 1 + longest_run(tok->data, tok->len) + 1 <= LINE_HARD;
}

typedef struct layout {
	smime_buf *out;
	size_t col;   /* characters on the current line */
	size_t folds; /* line breaks so far: each a CRLF on the wire */
} layout;

/* The field's size as a message carries it: name, value with CRLF line
 * ends, final CRLF. */
static size_t wire_size(const layout *l)
{
	return strlen(HEADER_NAME) + l->out->len + l->folds + 2;
}

/* Places one token after a blank, or on a new line; a token too long for
 * a line of its own is folded before its own blanks. */
static int place(layout *l, const unsigned char *tok, size_t n, bool new_line)
{
	int ret;

	if (!new_line && l->col + 1 + n <= LINE_SOFT) {
		l->col += 1 + n;
		ret = smime_buf_putc(l->out, ' ');
		return ret ? ret : smime_buf_append(l->out, tok, n);
	}
	ret = smime_buf_puts(l->out, FOLD);
	l->col = 1;
	l->folds++;
	/* A value stays whole on a line of its own even past LINE_SOFT:
	 * parsers that do not unfold (python-authres keeps the line break in
	 * the value) would see a different issuer.  Only a token that could
	 * not fit LINE_HARD is folded inside. */
	if (ret < 0 || 1 + n + 1 <= LINE_HARD) {
		l->col += n;
		return ret ? ret : smime_buf_append(l->out, tok, n);
	}
	for (size_t i = 0; i < n && ret == 0;) {
		size_t j = i + 1;

		/* A run ends at the next blank a fold may precede. */
		while (j < n && (tok[j] != ' ' || escaped(tok, j)))
			j++;
		/* Break before this blank when its run would pass the soft
		 * limit: "\n" + the blank is a fold unfolding undoes.  Never
		 * inside a quoted-pair: "\\" CRLF " " is no quoted-pair to a
		 * reader that does not unfold first (fuzz finding F7). */
		if (tok[i] == ' ' && !escaped(tok, i) &&
		    l->col + (j - i) > LINE_SOFT) {
			ret = smime_buf_putc(l->out, '\n');
			l->col = 0;
			l->folds++;
		}
		if (ret == 0)
			ret = smime_buf_append(l->out, tok + i, j - i);
		l->col += j - i;
		i = j;
	}
	return ret;
}

/* Appends the tokens of one resinfo to toks, each ending in a NUL; a
 * property that could not fit a line is left out (serial and issuer
 * always together, RFC 7281 3.2.3). */
static int resinfo_tokens(const smime_resinfo *r, bool last, smime_buf *toks)
{
	const char *reason = smime_reason_name(r->reason);
	smime_buf a = SMIME_BUF_INIT, b = SMIME_BUF_INIT;
	int ret;

	ret = smime_buf_printf(toks, "smime=%s", smime_result_name(r->result));
	if (ret == 0 && r->result != SMIME_RESULT_PASS && reason != NULL)
		ret = smime_buf_printf(toks, "%creason=\"%s\"", 0, reason);
	if (ret == 0 && r->identifier != NULL && *r->identifier &&
	    is_ascii_text(r->identifier)) {
		ret = make_prop(&a, "body.smime-identifier", r->identifier,
				true, false);
		if (ret == 0 && fits_hard(&a))
			ret = smime_buf_printf(toks, "%c%s", 0, (char *)a.data);
	}
	if (ret == 0 && r->part != NULL && *r->part) {
		ret = make_prop(&a, "body.smime-part", r->part, false, false);
		if (ret == 0 && fits_hard(&a))
			ret = smime_buf_printf(toks, "%c%s", 0, (char *)a.data);
	}
	if (ret == 0 && r->serial != NULL && *r->serial && r->issuer != NULL) {
		ret = make_prop(&a, "body.smime-serial", r->serial, false,
				false);
		if (ret == 0)
			ret = make_prop(&b, "body.smime-issuer", r->issuer,
					false, true);
		if (ret == 0 && fits_hard(&a) && fits_hard(&b))
			ret = smime_buf_printf(toks, "%c%s%c%s", 0,
					       (char *)a.data, 0,
					       (char *)b.data);
	}
	if (ret == 0 && !last)
		ret = smime_buf_putc(toks, ';');
	if (ret == 0)
		ret = smime_buf_putc(toks, 0);
	smime_buf_free(&a);
	smime_buf_free(&b);
	return ret;
}

/* Lays one resinfo out, its first token on a new line. */
static int place_resinfo(layout *l, const smime_resinfo *r, bool last,
			 smime_buf *toks)
{
	int ret;

	smime_buf_reset(toks);
	ret = resinfo_tokens(r, last, toks);
	for (size_t pos = 0; ret == 0 && pos < toks->len;) {
		const unsigned char *tok = toks->data + pos;
		size_t tl = strlen((const char *)tok);

		ret = place(l, tok, tl,
			    strncmp((const char *)tok, "smime=", 6) == 0);
		pos += tl + 1;
	}
	return ret;
}

static bool is_too_many(const smime_resinfo *r)
{
	return r->reason == SMIME_REASON_TOO_MANY_SIGNATURES;
}

/* Lays out the resinfos that fit the budget, each with room left for a
 * too-many-signatures resinfo after it unless it ends the field; *more
 * says whether that resinfo is due (asked for, or some did not fit). */
static int place_all(layout *l, const smime_resinfo *v, size_t n,
		     smime_buf *toks, bool *more)
{
	size_t end = n;
	int ret = 0;

	while (end > 0 && is_too_many(&v[end - 1]))
		end--;
	*more = end < n;
	for (size_t i = 0; i < end; i++)
		*more = *more || is_too_many(&v[i]);
	for (size_t i = 0; i < end && ret == 0; i++) {
		layout saved = *l;
		size_t len = l->out->len;
		bool last = i + 1 == end && !*more;

		if (is_too_many(&v[i]))
			continue;
		ret = place_resinfo(l, &v[i], last, toks);
		if (ret == 0 && wire_size(l) + (last ? 0 : TOO_MANY_WIRE) >
					SMIME_AUTHRES_MAX) {
			*l = saved;
			l->out->len = len;
			l->out->data[len] = '\0';
			*more = true;
			break;
		}
	}
	return ret;
}

int smime_authres_format(const char *authserv_id, const smime_resinfo *v,
			 size_t n, smime_buf *out)
{
	static const smime_resinfo too_many = {
		.result = SMIME_RESULT_NEUTRAL,
		.reason = SMIME_REASON_TOO_MANY_SIGNATURES,
	};
	smime_buf toks = SMIME_BUF_INIT;
	layout l = {out, strlen(HEADER_NAME), 0};
	bool more = false;
	int ret;

	if (authserv_id == NULL || *authserv_id == '\0' || v == NULL ||
	    n == 0 || out == NULL)
		return SMIME_E_ARG;
	smime_buf_reset(out);
	ret = put_value(out, authserv_id, false, false);
	if (ret == 0)
		ret = smime_buf_putc(out, ';');
	l.col += out->len;
	if (ret == 0 && l.col > LINE_HARD)
		ret = SMIME_E_ARG; /* an authserv-id no header can carry */
	if (ret == 0)
		ret = place_all(&l, v, n, &toks, &more);
	if (ret == 0 && more)
		ret = place_resinfo(&l, &too_many, true, &toks);
	smime_buf_free(&toks);
	if (ret < 0)
		smime_buf_reset(out);
	return ret;
}
