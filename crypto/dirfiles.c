/*
 * dirfiles.c - the file-system side of the key store and the certificate
 * directory: listing a directory in a stable order, reading a file that
 * is already open (so its mode was checked on the very file read), and
 * the "PATH: message" diagnostics both report with.
 *
 * Promises: listings skip hidden entries and come sorted by name, so a
 * load is deterministic; file contents land in a smime_buf, which wipes
 * its memory, because key files pass through here.
 */
#include "keys_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Key and certificate files are small; a larger one is a mistake. */
#define MAX_FILE_SIZE (16u * 1024 * 1024)

void smime_diag(smime_buf *diags, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (diags == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return; /* out of memory: the load's own result says so */
	(void)smime_buf_printf(diags, "%s: %s\n", path, msg);
	free(msg);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void smime_dir_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int smime_dir_list(const char *dir, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int ret = 0;

	*names = NULL;
	*n = 0;
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOMEM ? SMIME_E_NOMEM : SMIME_E_IO;
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			char **nv = realloc(v, ncap * sizeof(*nv));

			if (nv == NULL) {
				ret = SMIME_E_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt] = smime_strndup(e->d_name, strlen(e->d_name));
		if (v[cnt] == NULL) {
			ret = SMIME_E_NOMEM;
			break;
		}
		cnt++;
	}
	if (ret == 0 && errno != 0)
		ret = SMIME_E_IO;
	closedir(d);
	if (ret < 0) {
		smime_dir_list_free(v, cnt);
		return ret;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*names = v;
	*n = cnt;
	return 0;
}

int smime_fd_read(int fd, smime_buf *out)
{
	unsigned char chunk[4096];
	ssize_t r;
	int ret = 0;

	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = SMIME_E_IO;
			break;
		}
		if (r == 0)
			break;
		if (out->len + (size_t)r > MAX_FILE_SIZE) {
			ret = SMIME_E_LIMIT;
			break;
		}
		ret = smime_buf_append(out, chunk, (size_t)r);
		if (ret < 0)
			break;
	}
	smime_wipe(chunk, sizeof(chunk));
	return ret;
}
