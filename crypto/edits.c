/*
 * edits.c - the edit list: header operations in milter terms, an optional
 * replacement body and a verdict.  The engine fills it; milter/ applies it
 * through libmilter or writes it to a file, so both paths do the same.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int smime_edits_header(smime_edits *e, smime_edit_op op, unsigned index,
		       const char *name, const char *value)
{
	smime_edit *ed;

	if (name == NULL)
		return SMIME_E_ARG;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		smime_edit *v = realloc(e->v, cap * sizeof(*v));
		if (v == NULL)
			return SMIME_E_NOMEM;
		e->v = v;
		e->cap = cap;
	}
	ed = &e->v[e->n];
	memset(ed, 0, sizeof(*ed));
	ed->op = op;
	ed->index = index;
	ed->name = strdup(name);
	ed->value = value ? strdup(value) : NULL;
	if (ed->name == NULL || (value && ed->value == NULL)) {
		free(ed->name);
		free(ed->value);
		return SMIME_E_NOMEM;
	}
	e->n++;
	return SMIME_OK;
}

void smime_edits_free(smime_edits *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].name);
		free(e->v[i].value);
	}
	free(e->v);
	smime_buf_free(&e->body);
	free(e->reply_code);
	free(e->reply_xcode);
	free(e->reply_text);
	free(e->quarantine_reason);
	memset(e, 0, sizeof(*e));
}

/* The position in h of the index-th (1-based) instance of name, or h->n. */
static size_t nth_instance(const smime_headers *h, const char *name,
			   unsigned index)
{
	unsigned seen = 0;

	for (size_t i = 0; i < h->n; i++)
		if (smime_ascii_casecmp(h->v[i].name, name) == 0 &&
		    ++seen == index)
			return i;
	return h->n;
}

static void remove_at(smime_headers *h, size_t i)
{
	free(h->v[i].name);
	free(h->v[i].value);
	memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(*h->v));
	h->n--;
}

/* Appends a field, then moves it to position at (at most h->n - 1). */
static int insert_at(smime_headers *h, size_t at, const char *name,
		     const char *value)
{
	smime_header f;
	int rc = smime_headers_add(h, name, strlen(name), value,
				   value ? strlen(value) : 0);

	if (rc < 0)
		return rc;
	if (at >= h->n - 1)
		return SMIME_OK;
	f = h->v[h->n - 1];
	memmove(&h->v[at + 1], &h->v[at], (h->n - 1 - at) * sizeof(*h->v));
	h->v[at] = f;
	return SMIME_OK;
}

int smime_edits_apply_headers(const smime_headers *in, const smime_edits *e,
			      smime_headers *out)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < in->n; i++)
		rc = smime_headers_add(out, in->v[i].name,
				       strlen(in->v[i].name), in->v[i].value,
				       strlen(in->v[i].value));
	for (size_t k = 0; rc == 0 && k < e->n; k++) {
		const smime_edit *ed = &e->v[k];
		size_t at;
		char *v;

		if (ed->op == SMIME_EDIT_INSERT) {
			rc = insert_at(out, ed->index, ed->name, ed->value);
			continue;
		}
		at = nth_instance(out, ed->name, ed->index);
		if (at == out->n)
			continue; /* as the MTA: no such field, no change */
		if (ed->op == SMIME_EDIT_DELETE || ed->value == NULL) {
			remove_at(out, at);
			continue;
		}
		v = strdup(ed->value);
		if (v == NULL)
			return SMIME_E_NOMEM;
		free(out->v[at].value);
		out->v[at].value = v;
	}
	return rc;
}
