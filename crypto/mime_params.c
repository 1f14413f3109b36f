/*
 * mime_params.c - Content-Type and Content-Transfer-Encoding values
 * (RFC 2045 section 5 and 6, RFC 822 comments, RFC 2231 parameter
 * continuations and charset'language'%XX values).
 *
 * Promises: any input string gives a defined result in time linear in
 * its length (n log n for RFC 2231 section sorting); only memory
 * exhaustion fails.  Leniency follows real mail: unquoted values may hold
 * tspecials such as '=' (JavaMail's boundary=----=_Part_1), an
 * unterminated quoted string runs to the end, parameters without '=' are
 * skipped.
 */
#include "mime_internal.h"

#include <stdlib.h>
#include <string.h>

/* RFC 2231 allows any number of sections; a few thousand is plenty and
 * keeps the numbers small. */
#define MAX_SECTION 9999

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + ('a' - 'A'));
}

/* Skips blanks and comments (nested, with quoted-pairs). */
static void skip_cfws(const char *s, size_t n, size_t *i)
{
	unsigned depth;

	while (*i < n) {
		if (is_blank(s[*i])) {
			(*i)++;
			continue;
		}
		if (s[*i] != '(')
			return;
		for (depth = 0; *i < n; (*i)++) {
			if (s[*i] == '\\' && *i + 1 < n)
				(*i)++;
			else if (s[*i] == '(')
				depth++;
			else if (s[*i] == ')' && --depth == 0) {
				(*i)++;
				break;
			}
		}
	}
}

/* A token for type, subtype and parameter names: up to a tspecial,
 * blank or control character. */
static size_t token_len(const char *s, size_t n, size_t i)
{
	size_t a = i;

	while (i < n && (unsigned char)s[i] > 32 && s[i] != 127 &&
	       strchr("()<>@,;:\\\"/[]?=", s[i]) == NULL)
		i++;
	return i - a;
}

/* One raw parameter before RFC 2231 assembly. */
struct raw_param {
	char *name;    /* lowercased, without the section and '*' */
	char *value;   /* unquoted, still percent-encoded if extended */
	long section;  /* -1: no section number */
	bool extended; /* name ended in '*' */
	size_t order;  /* position in the header, for stable sorting */
};

struct raw_list {
	struct raw_param *v;
	size_t n, cap;
};

static void raw_free(struct raw_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		smime_str_free(l->v[i].name);
		smime_str_free(l->v[i].value);
	}
	free(l->v);
}

/* Reads a parameter value at s[*i]: a quoted string (escapes removed) or
 * everything up to ';', a blank or a comment. */
static char *read_value(const char *s, size_t n, size_t *i)
{
	smime_buf b = SMIME_BUF_INIT;
	char *out = NULL;
	size_t a;

	if (*i < n && s[*i] == '"') {
		for ((*i)++; *i < n && s[*i] != '"'; (*i)++) {
			if (s[*i] == '\\' && *i + 1 < n)
				(*i)++;
			/* Folding inside a quoted string is not content. */
			if (s[*i] == '\r' || s[*i] == '\n')
				continue;
			if (smime_buf_putc(&b, s[*i]) < 0)
				goto cleanup;
		}
		if (*i < n)
			(*i)++;
		if (smime_buf_steal(&b, &out) < 0)
			out = NULL;
		goto cleanup;
	}
	for (a = *i; *i < n && s[*i] != ';' && s[*i] != '(' && !is_blank(s[*i]);
	     (*i)++)
		;
	out = smime_strndup(s + a, *i - a);
cleanup:
	smime_buf_free(&b);
	return out;
}

/* Splits "name*3*" into base name, section and extended flag. */
static void split_name(char *name, long *section, bool *extended)
{
	size_t n = strlen(name);
	char *star, *end;
	long v;

	*section = -1;
	*extended = false;
	if (n > 0 && name[n - 1] == '*') {
		*extended = true;
		name[--n] = '\0';
	}
	star = strchr(name, '*');
	if (star == NULL || star[1] == '\0')
		return;
	/* Decimal, no sign, no leading zero (RFC 2231 section 3). */
	if (star[1] < '0' || star[1] > '9' || (star[1] == '0' && star[2]))
		return;
	v = strtol(star + 1, &end, 10);
	if (*end != '\0' || v > MAX_SECTION)
		return;
	*section = v;
	*star = '\0';
}

static int raw_push(struct raw_list *l, char *name, char *value)
{
	struct raw_param *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;

		p = realloc(l->v, cap * sizeof(*p));
		if (p == NULL)
			return SMIME_E_NOMEM;
		l->v = p;
		l->cap = cap;
	}
	p = &l->v[l->n];
	p->name = name;
	p->value = value;
	p->order = l->n;
	split_name(name, &p->section, &p->extended);
	l->n++;
	return 0;
}

/* Reads "; name=value" pairs from s[i, n) into l. */
static int read_params(const char *s, size_t n, size_t i, struct raw_list *l)
{
	size_t tl;
	char *name = NULL, *value = NULL;
	int ret;

	while (i < n) {
		/* Go to the next ';' outside quotes (garbage is skipped). */
		while (i < n && s[i] != ';') {
			if (s[i] == '"') {
				for (i++; i < n && s[i] != '"'; i++)
					if (s[i] == '\\' && i + 1 < n)
						i++;
			}
			i++;
		}
		if (i >= n)
			break;
		i++;
		skip_cfws(s, n, &i);
		tl = token_len(s, n, i);
		if (tl == 0)
			continue;
		name = smime_strndup(s + i, tl);
		if (name == NULL)
			return SMIME_E_NOMEM;
		i += tl;
		skip_cfws(s, n, &i);
		if (i >= n || s[i] != '=') {
			smime_str_free(name);
			continue;
		}
		i++;
		skip_cfws(s, n, &i);
		value = read_value(s, n, &i);
		if (value == NULL) {
			smime_str_free(name);
			return SMIME_E_NOMEM;
		}
		lower(name);
		ret = raw_push(l, name, value);
		if (ret < 0) {
			smime_str_free(name);
			smime_str_free(value);
			return ret;
		}
	}
	return 0;
}

/* Appends an RFC 2231 extended value: %XX decoded, a bad escape kept. */
static int put_pct(smime_buf *b, const char *v)
{
	int ret = 0, h, l;

	for (; *v != '\0' && ret == 0; v++) {
		if (*v == '%' && (h = smime_hexval((unsigned char)v[1])) >= 0 &&
		    (l = smime_hexval((unsigned char)v[2])) >= 0) {
			ret = smime_buf_putc(b, h * 16 + l);
			v += 2;
		} else {
			ret = smime_buf_putc(b, *v);
		}
	}
	return ret;
}

/* Drops "charset'language'" from the first extended section. */
static const char *skip_charset(const char *v)
{
	const char *q1 = strchr(v, '\''), *q2;

	if (q1 == NULL || (q2 = strchr(q1 + 1, '\'')) == NULL)
		return v;
	return q2 + 1;
}

static int cmp_raw(const void *a, const void *b)
{
	const struct raw_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	/* Sections in order (none, -1, first); then header order. */
	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Builds the value of one parameter from its raw instances g[0, n),
 * sorted by section: "name*" wins, then "name*0" "name*1"..., joined up
 * to the first gap, then the plain "name". */
static int assemble(const struct raw_param *g, size_t n, char **out)
{
	smime_buf b = SMIME_BUF_INIT;
	const struct raw_param *plain = NULL, *ext = NULL;
	size_t i;
	long expect = 0;
	int ret = 0;

	for (i = 0; i < n && g[i].section < 0; i++) {
		if (g[i].extended && ext == NULL)
			ext = &g[i];
		if (!g[i].extended && plain == NULL)
			plain = &g[i];
	}
	if (ext != NULL) {
		ret = put_pct(&b, skip_charset(ext->value));
	} else if (i < n && g[i].section == 0) {
		for (; i < n && ret == 0; i++) {
			if (g[i].section < expect)
				continue; /* a repeated section: first wins */
			if (g[i].section > expect)
				break;
			if (!g[i].extended)
				ret = smime_buf_puts(&b, g[i].value);
			else
				ret = put_pct(&b,
					      expect == 0
						      ? skip_charset(g[i].value)
						      : g[i].value);
			expect++;
		}
	} else if (plain != NULL) {
		ret = smime_buf_puts(&b, plain->value);
	} else {
		/* Only sections that do not start at 0: no usable value. */
		ret = smime_buf_puts(&b, "");
	}
	if (ret == 0)
		ret = smime_buf_steal(&b, out);
	smime_buf_free(&b);
	return ret;
}

void smime_params_free(smime_param *params, size_t n)
{
	size_t i;

	if (params == NULL)
		return;
	for (i = 0; i < n; i++) {
		smime_str_free(params[i].name);
		smime_str_free(params[i].value);
	}
	free(params);
}

/* Groups the raw list by name into the final parameter array. */
static int assemble_all(struct raw_list *l, smime_param **params,
			size_t *nparams)
{
	smime_param *v = NULL;
	size_t i, j, n = 0;
	int ret = 0;

	if (l->n == 0)
		goto done;
	qsort(l->v, l->n, sizeof(*l->v), cmp_raw);
	v = calloc(l->n, sizeof(*v));
	if (v == NULL)
		return SMIME_E_NOMEM;
	for (i = 0; i < l->n; i = j) {
		for (j = i + 1;
		     j < l->n && strcmp(l->v[i].name, l->v[j].name) == 0; j++)
			;
		ret = assemble(&l->v[i], j - i, &v[n].value);
		if (ret < 0)
			goto cleanup;
		v[n].name = l->v[i].name;
		l->v[i].name = NULL;
		n++;
	}
done:
	*params = v;
	*nparams = n;
	return 0;
cleanup:
	for (i = 0; i < n; i++) {
		smime_str_free(v[i].name);
		smime_str_free(v[i].value);
	}
	free(v);
	return ret;
}

int smime_content_type_parse(const char *value, const char *default_type,
			     const char *default_subtype, char **type,
			     char **subtype, smime_param **params,
			     size_t *nparams)
{
	struct raw_list raw = {NULL, 0, 0};
	size_t n = value != NULL ? strlen(value) : 0, i = 0, tl, sl = 0, si;
	char *t = NULL, *st = NULL;
	int ret;

	skip_cfws(value, n, &i);
	tl = token_len(value, n, i);
	si = i + tl;
	skip_cfws(value, n, &si);
	if (tl > 0 && si < n && value[si] == '/') {
		si++;
		skip_cfws(value, n, &si);
		sl = token_len(value, n, si);
	}
	if (tl > 0 && sl > 0) {
		t = smime_strndup(value + i, tl);
		st = smime_strndup(value + si, sl);
	} else {
		/* Missing or malformed: the RFC 2045 default. */
		t = smime_strndup(default_type, strlen(default_type));
		st = smime_strndup(default_subtype, strlen(default_subtype));
	}
	ret = SMIME_E_NOMEM;
	if (t == NULL || st == NULL)
		goto cleanup;
	lower(t);
	lower(st);
	ret = read_params(value, n, 0, &raw);
	if (ret < 0)
		goto cleanup;
	ret = assemble_all(&raw, params, nparams);
	if (ret < 0)
		goto cleanup;
	*type = t;
	*subtype = st;
	t = st = NULL;
cleanup:
	raw_free(&raw);
	free(t);
	free(st);
	return ret;
}

smime_cte smime_cte_parse(const char *value)
{
	static const struct {
		const char *name;
		smime_cte cte;
	} names[] = {
		{"7bit", SMIME_CTE_7BIT},
		{"8bit", SMIME_CTE_8BIT},
		{"binary", SMIME_CTE_BINARY},
		{"base64", SMIME_CTE_BASE64},
		{"quoted-printable", SMIME_CTE_QP},
	};
	size_t n, i = 0, tl, k;

	if (value == NULL)
		return SMIME_CTE_7BIT;
	n = strlen(value);
	skip_cfws(value, n, &i);
	tl = token_len(value, n, i);
	if (tl == 0)
		return SMIME_CTE_7BIT; /* empty: as if absent */
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strlen(names[k].name) == tl &&
		    smime_ascii_ncasecmp(value + i, names[k].name, tl) == 0)
			return names[k].cte;
	return SMIME_CTE_OTHER;
}
