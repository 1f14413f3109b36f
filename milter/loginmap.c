/*
 * loginmap.c - SenderLoginMap (SPEC section 4): which From addresses an
 * authenticated login may use, for signing and for opening outbound mail
 * with a KeyStore key (SPEC section 8, "no oracle").
 *
 * The file holds `LOGIN ADDRESS-GLOB...` lines (blanks or commas between
 * words, `#` comments).  A login on several lines gets the union.  Globs
 * are the rules globs (case-insensitive).  Logins compare exactly, since
 * the MTA hands us the SASL name as the client gave it.
 *
 * Promises: every bad line is reported as FILE:LINE: message and fails
 * the load (a map with a hole in it must not widen or narrow anyone's
 * rights silently); the loaded map is immutable.  Without a map a login
 * may use only the address equal to it (ASCII case ignored).
 */
#include "milter.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct loginmap_entry {
	char *login;
	char *glob;
} loginmap_entry;

struct milter_loginmap {
	loginmap_entry *v;
	size_t n, cap;
};

void milter_loginmap_free(milter_loginmap *map)
{
	if (map == NULL)
		return;
	for (size_t i = 0; i < map->n; i++) {
		free(map->v[i].login);
		free(map->v[i].glob);
	}
	free(map->v);
	free(map);
}

static int add_entry(milter_loginmap *map, const char *login, const char *glob)
{
	if (map->n == map->cap) {
		size_t cap = map->cap ? map->cap * 2 : 16;
		loginmap_entry *v = realloc(map->v, cap * sizeof(*v));
		if (v == NULL)
			return SMIME_E_NOMEM;
		map->v = v;
		map->cap = cap;
	}
	map->v[map->n].login = strdup(login);
	map->v[map->n].glob = strdup(glob);
	if (map->v[map->n].login == NULL || map->v[map->n].glob == NULL) {
		free(map->v[map->n].login);
		free(map->v[map->n].glob);
		return SMIME_E_NOMEM;
	}
	map->n++;
	return SMIME_OK;
}

static bool is_sep(int c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n';
}

/* Cuts the next word out of *p (in place); NULL at the end of line. */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s != '\0' && is_sep((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return NULL;
	w = s;
	while (*s != '\0' && !is_sep((unsigned char)*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return w;
}

/* One line: 0, SMIME_REPORTED when it is bad, or SMIME_E_NOMEM. */
static int load_line(milter_loginmap *map, const char *file, unsigned lineno,
		     char *line, smime_buf *diags)
{
	char *p = line, *login, *glob;
	size_t globs = 0, bad;
	int rc;

	login = next_word(&p);
	if (login == NULL)
		return 0;
	while ((glob = next_word(&p)) != NULL) {
		if (rules_glob_check(glob, &bad) < 0) {
			rc = smime_buf_printf(diags,
					      "%s:%u: bad address glob "
					      "at column %zu\n",
					      file, lineno,
					      (size_t)(glob - line) + bad + 1);
			return rc < 0 ? rc : SMIME_REPORTED;
		}
		rc = add_entry(map, login, glob);
		if (rc < 0)
			return rc;
		globs++;
	}
	if (globs == 0) {
		rc = smime_buf_printf(diags,
				      "%s:%u: login without any address "
				      "glob\n",
				      file, lineno);
		return rc < 0 ? rc : SMIME_REPORTED;
	}
	return 0;
}

int milter_loginmap_load(const char *file, milter_loginmap **out,
			 smime_buf *diags)
{
	milter_loginmap *map;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int rc = 0, problems = 0;

	*out = NULL;
	fp = fopen(file, "r");
	if (fp == NULL) {
		smime_buf_printf(diags, "%s: cannot open: %s\n", file,
				 strerror(errno));
		return SMIME_REPORTED;
	}
	map = calloc(1, sizeof(*map));
	if (map == NULL)
		rc = SMIME_E_NOMEM;
	while (rc >= 0 && (n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (strlen(line) != (size_t)n) {
			rc = smime_buf_printf(diags,
					      "%s:%u: NUL byte in line\n", file,
					      lineno);
			problems++;
			continue;
		}
		rc = load_line(map, file, lineno, line, diags);
		if (rc > 0)
			problems++;
	}
	if (rc >= 0 && ferror(fp)) {
		smime_buf_printf(diags, "%s: read error: %s\n", file,
				 strerror(errno));
		problems++;
	}
	fclose(fp);
	free(line);
	if (rc < 0)
		smime_buf_printf(diags, "%s: %s\n", file, smime_strerror(rc));
	if (rc < 0 || problems > 0) {
		milter_loginmap_free(map);
		return milter_cfg_reported(rc);
	}
	*out = map;
	return SMIME_OK;
}

bool milter_login_may_use(const milter_loginmap *map, const char *login,
			  const char *addr)
{
	if (login == NULL || *login == '\0' || addr == NULL)
		return false;
	if (map == NULL)
		return strcasecmp(login, addr) == 0;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->v[i].login, login) == 0 &&
		    rules_glob_match(map->v[i].glob, addr))
			return true;
	return false;
}

bool milter_login_is_exactly(const milter_loginmap *map, const char *login,
			     const char *addr)
{
	if (login == NULL || *login == '\0' || addr == NULL)
		return false;
	if (strcasecmp(login, addr) == 0)
		return true;
	for (size_t i = 0; map != NULL && i < map->n; i++)
		if (strcmp(map->v[i].login, login) == 0 &&
		    strpbrk(map->v[i].glob, "*?[\\") == NULL &&
		    strcasecmp(map->v[i].glob, addr) == 0)
			return true;
	return false;
}
