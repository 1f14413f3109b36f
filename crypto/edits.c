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
