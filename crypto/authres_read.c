/*
 * authres_read.c - reading an incoming Authentication-Results value far
 * enough to know whether it forges ours (SPEC section 7).
 *
 * The value is read by the grammar of RFC 8601 section 2.2: authserv-id,
 * an optional version, then "; none" or resinfos (method[/version] =
 * result, an optional reason=, properties ptype.property=pvalue), with
 * comments, quoted-strings, quoted-pairs and folding wherever CFWS may
 * stand.  It is lenient where no reader could see another structure: a
 * pvalue is any run of printable bytes without blanks, parentheses,
 * ';', '"' or '\' (IPv6 addresses, base64 with '/' and '='), and a last
 * ';' with nothing after it is allowed.
 *
 * Why "read to its end" matters (issue 13, F8): a reader that stops at
 * an unterminated comment or quoted-string, or knows no quoted-pair,
 * finds "smime=pass" in "mx.example.org (; smime=pass" or in
 * reason="x\"; smime=pass", where this grammar finds none.  So a field
 * under our id is forged (smime_authres_is_forged) when it has an smime
 * resinfo, when it cannot be read to its end, or when it mentions the
 * word smime anywhere after the authserv-id (in a comment, a quoted
 * string, a property value; quoted-pairs undone, so "s\mime" counts).
 * The word must stand alone: "smime" next to a letter, digit, '-', '_'
 * or '.' (smime.example.com, body.smime-part) is no mention.  When the
 * value cannot be read to its end, the authserv-id is also read the
 * lenient way (one leading '"', then our id and a byte that cannot
 * continue it), so "\"mx.example.org; smime=pass" counts as ours.
 *
 * Promises: any C string gives an answer and never a crash; the reader
 * never reads past the terminating NUL.
 */
#include "internal.h"

#include <string.h>

typedef struct reader {
	const char *p;
	bool bad; /* left the grammar: not readable to its end */
	smime_authres_info *info;
} reader;

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Leaves the grammar: the value cannot be read to its end. */
static bool fail(reader *r)
{
	r->bad = true;
	return false;
}

static bool is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool is_ctl(int c)
{
	return (c > 0 && c < 0x20) || c == 0x7f;
}

/* The bytes that cannot stand next to a word "smime" or continue our
 * authserv-id in the lenient reading. */
static bool is_word(int c)
{
	return is_ldh(c) || c == '.';
}

/* A quoted-pair: '\' and one byte that is neither a line end nor the
 * end of the string.  false (and bad) otherwise. */
static bool quoted_pair(reader *r)
{
	if (r->p[1] == '\0' || r->p[1] == '\r' || r->p[1] == '\n') {
		r->bad = true;
		r->p += r->p[1] == '\0' ? 1 : 2;
		return false;
	}
	r->p += 2;
	return true;
}

/* One comment, nested ones inside; r->p at its '('. */
static void comment(reader *r)
{
	int depth = 0;

	while (*r->p != '\0') {
		char c = *r->p;

		if (c == '\\') {
			quoted_pair(r);
			continue;
		}
		if (is_ctl((unsigned char)c) && c != '\t' && c != '\r' &&
		    c != '\n')
			r->bad = true;
		r->p++;
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return;
	}
	r->bad = true; /* unterminated */
}

/* Blanks, line ends and comments. */
static void cfws(reader *r)
{
	for (;;) {
		while (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' ||
		       *r->p == '\n')
			r->p++;
		if (*r->p != '(')
			return;
		comment(r);
	}
}

/* A quoted-string; r->p at its opening quote. */
static void quoted(reader *r)
{
	for (r->p++; *r->p != '\0' && *r->p != '"';) {
		if (*r->p == '\\') {
			quoted_pair(r);
			continue;
		}
		if (is_ctl((unsigned char)*r->p) && *r->p != '\t' &&
		    *r->p != '\r' && *r->p != '\n')
			r->bad = true;
		r->p++;
	}
	if (*r->p == '"')
		r->p++;
	else
		r->bad = true;
}

/* A Keyword (ldh-str, '_' allowed); its length, 0 when none. */
static size_t keyword(reader *r)
{
	const char *s = r->p;

	while (is_ldh((unsigned char)*r->p))
		r->p++;
	return (size_t)(r->p - s);
}

static bool expect(reader *r, char c)
{
	cfws(r);
	if (*r->p != c)
		return fail(r);
	r->p++;
	cfws(r);
	return true;
}

/* A run of printable bytes but blanks ( ) ; " \; at least one. */
static bool run(reader *r)
{
	const char *s = r->p;

	while ((unsigned char)*r->p > 0x20 && *r->p != 0x7f &&
	       strchr("();\"\\", *r->p) == NULL)
		r->p++;
	return r->p > s;
}

/* A value or a pvalue: a quoted-string (then maybe "@domain"), or a run. */
static bool value(reader *r)
{
	if (*r->p == '"') {
		quoted(r);
		if (*r->p == '@' && !run(r))
			return fail(r);
		return !r->bad;
	}
	return run(r) || fail(r);
}

/* method [/ version] = result; notes the method name. */
static bool methodspec(reader *r)
{
	const char *m = r->p;
	size_t n = keyword(r);

	if (n == 5 && smime_ascii_ncasecmp(m, "smime", 5) == 0)
		r->info->has_smime = true;
	else if (n > 0)
		r->info->has_other = true;
	if (n == 0)
		return fail(r);
	cfws(r);
	if (*r->p == '/') {
		r->p++;
		cfws(r);
		if (keyword(r) == 0)
			return fail(r);
	}
	if (!expect(r, '='))
		return false;
	return keyword(r) > 0 || fail(r);
}

/* reason=value or ptype.property=pvalue, r->p at its first byte. */
static bool propspec(reader *r)
{
	const char *k = r->p;
	size_t n = keyword(r);

	if (n == 0)
		return fail(r);
	cfws(r);
	if (n == 6 && smime_ascii_ncasecmp(k, "reason", 6) == 0 &&
	    *r->p == '=') {
		r->p++;
		cfws(r);
		return value(r);
	}
	if (!expect(r, '.') || keyword(r) == 0 || !expect(r, '='))
		return fail(r);
	return value(r);
}

/* One resinfo after its ';' (or "none", or nothing after a last ';'). */
static bool resinfo(reader *r, bool first)
{
	const char *s;

	cfws(r);
	if (*r->p == '\0')
		return true;
	s = r->p;
	if (first && keyword(r) == 4 &&
	    smime_ascii_ncasecmp(s, "none", 4) == 0) {
		cfws(r);
		if (*r->p == '\0')
			return true;
	}
	r->p = s;
	if (!methodspec(r))
		return false;
	for (;;) {
		cfws(r);
		if (*r->p == '\0' || *r->p == ';')
			return true;
		if (!propspec(r))
			return false;
	}
}

/* Compares the authserv-id at p (token or quoted-string) with ours,
 * case-insensitively; *end is past it. */
static bool id_matches(const char *p, const char *ours, const char **end)
{
	reader r = {p, false, NULL};
	const char *q = p;
	size_t i = 0;
	bool same = true;

	if (*p == '"') {
		quoted(&r);
		for (q = p + 1; q < r.p && *q != '"'; q++, i++) {
			if (*q == '\\' && q[1] != '\0')
				q++;
			if (ours[i] == '\0' || lower(*q) != lower(ours[i]))
				same = false;
			if (ours[i] == '\0')
				i--; /* stay at the end */
		}
		*end = r.p;
		return same && ours[i] == '\0' && i > 0;
	}
	while ((unsigned char)*q > 0x20 && (unsigned char)*q < 0x7f &&
	       strchr("()<>@,;:\\\"/[]?=", *q) == NULL)
		q++;
	*end = q;
	return (size_t)(q - p) == strlen(ours) && q > p &&
	       smime_ascii_ncasecmp(p, ours, (size_t)(q - p)) == 0;
}

/* The lenient reading of an id: one optional '"', our id, and a byte
 * that cannot continue it.  *end is past our id. */
static bool id_loosely(const char *p, const char *ours, const char **end)
{
	size_t n = strlen(ours);

	if (*p == '"')
		p++;
	if (smime_ascii_ncasecmp(p, ours, n) != 0 ||
	    is_word((unsigned char)p[n]))
		return false;
	*end = p + n;
	return true;
}

/* The word smime (any case) after p, quoted-pairs undone. */
static bool mentions_smime(const char *p)
{
	static const char word[] = "smime";
	int prev = 0;

	for (; *p != '\0'; p++) {
		const char *q = p;
		size_t i = 0;

		if (*p == '\\')
			continue;
		while (i < 5 && *q != '\0' &&
		       (*q == '\\' || lower(*q) == word[i])) {
			if (*q != '\\')
				i++;
			q++;
		}
		while (*q == '\\')
			q++;
		if (i == 5 && !is_word(prev) && !is_word((unsigned char)*q))
			return true;
		prev = (unsigned char)*p;
	}
	return false;
}

int smime_authres_inspect(const char *value, const char *authserv_id,
			  smime_authres_info *out)
{
	reader r;
	const char *id, *end;
	bool first = true;

	if (out == NULL)
		return SMIME_E_ARG;
	memset(out, 0, sizeof(*out));
	if (value == NULL || authserv_id == NULL || *authserv_id == '\0')
		return 0;
	r = (reader){value, false, out};
	cfws(&r);
	id = r.p;
	out->ours = id_matches(id, authserv_id, &end);
	r.p = end;
	if (end == id)
		r.bad = true;
	cfws(&r);
	while (*r.p >= '0' && *r.p <= '9') /* authres-version */
		r.p++;
	cfws(&r);
	if (*r.p != ';')
		r.bad = true;
	while (!r.bad && *r.p == ';') {
		r.p++;
		if (!resinfo(&r, first))
			break;
		first = false;
	}
	out->complete = !r.bad && *r.p == '\0';
	if (!out->ours && !out->complete)
		out->ours = id_loosely(id, authserv_id, &end);
	/* An smime resinfo mentions smime, whatever the word scan saw
	 * (a fuzz finding: the scan and the parser disagreed on one). */
	out->mentions_smime = out->has_smime || mentions_smime(end);
	return 0;
}

bool smime_authres_is_forged(const char *value, const char *authserv_id)
{
	smime_authres_info info;

	return smime_authres_inspect(value, authserv_id, &info) == 0 &&
	       info.ours &&
	       (info.has_smime || info.mentions_smime || !info.complete);
}
