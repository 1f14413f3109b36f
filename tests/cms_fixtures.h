/*
 * cms_fixtures.h - what test_cms.c and test_cms_hostile.c share (static
 * functions, like tap.h): where tests/data/cms is, and reading a fixture.
 */
#ifndef CMS_FIXTURES_H
#define CMS_FIXTURES_H

#include "smime.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef CMS_DATA_DIR
#define CMS_DATA_DIR "tests/data/cms"
#endif

static const char *data_dir(void)
{
	const char *top = getenv("top_srcdir");
	static char dir[4096];

	if (top == NULL || *top == '\0')
		return CMS_DATA_DIR;
	snprintf(dir, sizeof(dir), "%s/tests/data/cms", top);
	return dir;
}

/* The file's bytes, or an empty buffer (and a failed check) if absent. */
static smime_buf load(const char *name)
{
	smime_buf b = SMIME_BUF_INIT;
	char path[4200], chunk[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	f = fopen(path, "rb");
	if (f == NULL) {
		ok(0, "fixture %s is readable", path);
		return b;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		smime_buf_append(&b, chunk, n);
	fclose(f);
	return b;
}

#endif
