/*
 * test_conf_manpage.c - smime-milter.conf(5) cannot drift from the
 * daemon's table of keys (milter/config.c): every key of the table has
 * an entry on the page (".TP", ".B KEY") whose "Default:" line states
 * the table's default (none, empty, or the value), and every entry on
 * the page is a key of the table.
 */
#include "config_internal.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DOC_DIR
#error "DOC_DIR must name the doc/ directory of the source tree"
#endif

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n)
		buf[n] = '\0';
	else if (buf != NULL) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The page's words for a default: "none." (NULL), "empty." (""), else
 * the value in bold with roff's escapes. */
static void expected(const char *def, char *out, size_t size)
{
	size_t k = 0;

	if (def == NULL) {
		snprintf(out, size, "none.");
		return;
	}
	if (*def == '\0') {
		snprintf(out, size, "empty.");
		return;
	}
	k = (size_t)snprintf(out, size, "\\fB");
	for (; *def != '\0' && k + 4 < size; def++) {
		if (*def == '-' || *def == '\\')
			out[k++] = '\\';
		out[k++] = *def == '\\' ? 'e' : *def;
	}
	snprintf(out + k, size - k, "\\fR.");
}

/* The "Default: ..." line of the entry of key, or NULL. */
static const char *default_line(const char *page, const char *key, char *line,
				size_t size)
{
	char want[128];
	const char *e, *d, *nl;

	snprintf(want, sizeof want, "\n.TP\n.B %s\n", key);
	e = strstr(page, want);
	if (e == NULL)
		return NULL;
	d = strstr(e + strlen(want), "\nDefault: ");
	nl = d ? strchr(d + 10, '\n') : NULL;
	if (d == NULL || nl == NULL || (size_t)(nl - d - 10) >= size)
		return NULL;
	memcpy(line, d + 10, (size_t)(nl - d - 10));
	line[nl - d - 10] = '\0';
	return line;
}

static bool is_key(const char *name)
{
	const char *n, *d;

	for (size_t i = 0; milter_config_key_at(i, &n, &d); i++)
		if (strcmp(n, name) == 0)
			return true;
	return false;
}

int main(void)
{
	char *page = slurp(DOC_DIR "/smime-milter.conf.5");
	const char *name, *def, *keys, *end;
	size_t i, wrong = 0, unknown = 0, entries = 0;

	if (!ok(page != NULL, "smime-milter.conf(5) is there"))
		return tap_done();
	for (i = 0; milter_config_key_at(i, &name, &def); i++) {
		char want[512], got[512];

		expected(def, want, sizeof want);
		if (default_line(page, name, got, sizeof got) == NULL ||
		    strcmp(got, want) != 0) {
			printf("# %s: page says '%s', table says '%s'\n", name,
			       default_line(page, name, got, sizeof got)
				       ? got
				       : "(no entry)",
			       want);
			wrong++;
		}
	}
	ok(i > 40 && wrong == 0,
	   "every one of the %zu keys of the table has its entry and its "
	   "default on the page",
	   i);
	/* the entries of the KEYS section, up to FILES */
	keys = strstr(page, "\n.SH KEYS\n");
	end = keys ? strstr(keys, "\n.SH ") : NULL;
	end = end ? strstr(end + 1, "\n.SH ") : NULL;
	for (const char *p = keys;
	     p != NULL && (p = strstr(p, "\n.TP\n.B ")) != NULL &&
	     (end == NULL || p < end);
	     p += 8) {
		char key[128];
		size_t n = strcspn(p + 8, "\n ");

		if (n >= sizeof key)
			n = sizeof key - 1;
		memcpy(key, p + 8, n);
		key[n] = '\0';
		entries++;
		if (!is_key(key)) {
			printf("# the page names '%s', no key of the table\n",
			       key);
			unknown++;
		}
	}
	ok(entries == i && unknown == 0,
	   "the page has no entry for a key the table lacks (%zu entries)",
	   entries);
	free(page);
	return tap_done();
}
