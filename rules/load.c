/*
 * load.c - turns a rules file into a rules_set: reading the file, driving
 * the lexer and the parser line by line, and owning the set.
 *
 * Promises: a set is returned only when the whole file is free of errors
 * (a rules file is all or nothing, so a reload that fails keeps the old
 * set); every error of the file is reported, up to RULES_MAX_ERRORS; the
 * file is read once, bounded by RULES_MAX_FILE_SIZE; the set is immutable
 * afterwards and safe to evaluate from many threads.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rules_set_free(rules_set *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rules_rule_free(&rs->v[i]);
	free(rs->v);
	free(rs->file);
	free(rs);
}

size_t rules_set_count(const rules_set *rs)
{
	return rs == NULL ? 0 : rs->n;
}

unsigned rules_set_actions(const rules_set *rs)
{
	return rs == NULL ? 0 : rs->actions;
}

const rules_action *rules_set_find(const rules_set *rs, rules_action_kind kind,
				   const char *arg)
{
	for (size_t i = 0; rs != NULL && i < rs->n; i++)
		for (size_t k = 0; k < rs->v[i].nacts; k++) {
			const rules_action *a = &rs->v[i].acts[k];

			if (a->kind == kind && a->arg != NULL && arg != NULL &&
			    rules_strcaseeq(a->arg, arg))
				return a;
		}
	return NULL;
}

static int add_rule(rules_set *rs, rules_rule *r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		rules_rule *v = realloc(rs->v, cap * sizeof(*v));
		if (v == NULL) {
			rules_rule_free(r);
			return RULES_E_NOMEM;
		}
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	for (size_t i = 0; i < r->nacts; i++)
		rs->actions |= RULES_CAP(r->acts[i].kind);
	return 0;
}

int rules_load_buffer(const char *name, const char *text, size_t len,
		      unsigned capabilities, rules_set **out, rules_diag *diags)
{
	rules_line line = {NULL, 0, 0, 0, false};
	rules_errs errs = {NULL, diags, 0, false};
	rules_parser ps;
	rules_lexer lx;
	rules_set *rs;
	int ret = 0;

	if (out == NULL || name == NULL || (text == NULL && len > 0))
		return RULES_E_ARG;
	*out = NULL;
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL || (rs->file = rules_strdup(name)) == NULL) {
		free(rs);
		return RULES_E_NOMEM;
	}
	errs.file = rs->file;
	ps = (rules_parser){&errs, capabilities, rs->file};
	rules_lexer_init(&lx, text != NULL ? text : "", len);
	while (!rules_errs_full(&errs) && !errs.oom &&
	       (ret = rules_lexer_next(&lx, &errs, &line)) > 0) {
		rules_rule r;
		if (line.bad)
			continue; /* its lexical error is reported */
		if (rules_parse_rule(&ps, &line, &r) == 0 &&
		    add_rule(rs, &r) < 0)
			errs.oom = true;
	}
	rules_line_free(&line);
	if (ret < 0 || errs.oom)
		ret = RULES_E_NOMEM;
	else if (errs.n > 0)
		ret = RULES_E_PARSE;
	else
		ret = 0;
	if (ret < 0)
		rules_set_free(rs);
	else
		*out = rs;
	return ret;
}

/* Reads the whole file, at most RULES_MAX_FILE_SIZE bytes. */
static int read_file(const char *file, char **data, size_t *len,
		     rules_diag *diags)
{
	rstr b = RSTR_INIT;
	char chunk[8192];
	int fd, ret = 0;
	ssize_t n;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rstr_printf(&b, "cannot open: %s", strerror(errno));
		ret = RULES_E_IO;
		goto cleanup;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rstr_free(&b);
			rstr_printf(&b, "cannot read: %s", strerror(errno));
			ret = RULES_E_IO;
			goto cleanup;
		}
		if (b.len + (size_t)n > RULES_MAX_FILE_SIZE) {
			rstr_free(&b);
			rstr_printf(&b, "file too large: at most %u bytes",
				    RULES_MAX_FILE_SIZE);
			ret = RULES_E_LIMIT;
			goto cleanup;
		}
		if (rstr_putn(&b, chunk, (size_t)n) < 0) {
			ret = RULES_E_NOMEM;
			goto cleanup;
		}
	}
cleanup:
	if (fd >= 0)
		close(fd);
	if (ret == 0) {
		*data = b.s;
		*len = b.len;
		return 0;
	}
	if (ret != RULES_E_NOMEM && diags != NULL && b.s != NULL &&
	    rules_diag_add(diags, file, 0, 0, b.s) < 0)
		ret = RULES_E_NOMEM;
	rstr_free(&b);
	return ret;
}

int rules_load(const char *file, unsigned capabilities, rules_set **out,
	       rules_diag *diags)
{
	char *data = NULL;
	size_t len = 0;
	int ret;

	if (file == NULL || out == NULL)
		return RULES_E_ARG;
	*out = NULL;
	ret = read_file(file, &data, &len, diags);
	if (ret < 0)
		return ret;
	ret = rules_load_buffer(file, data, len, capabilities, out, diags);
	free(data);
	return ret;
}
