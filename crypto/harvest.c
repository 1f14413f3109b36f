/*
 * harvest.c - the harvested certificates and capabilities of signers
 * (SPEC section 9, "Harvesting"): one file HarvestDirectory/NAME.pem per
 * address (harvest_name.c names it, harvest_file.c reads and writes its
 * text).
 *
 * How one signature merges into an entry:
 *   - no entry yet: one is made with its certificate, capabilities and
 *     signingTime (without signingTime too);
 *   - a signature without signingTime never changes an entry;
 *   - a certificate with a later notBefore than every kept one is added
 *     first; past SMIME_HARVEST_CERTS the oldest goes; one already kept
 *     (the same DER) is not added again, an older one not at all;
 *   - the capabilities are replaced by those of a signature whose
 *     certificate the entry keeps and whose signingTime is later than
 *     the stored one (or the stored capabilities have none); a signature
 *     stating no capabilities leaves them;
 *   - a signingTime more than a day after the arrival counts as the
 *     arrival, so a wrong clock cannot pin capabilities for years.
 *
 * Every store holds an exclusive flock(2) of the directory from reading
 * the entry to the rename of the new file, so two harvests (threads or
 * processes, also of two gateways sharing the directory on a local file
 * system) of one address never lose each other's change, and the
 * HarvestMax count cannot be passed by racing new addresses.  Readers
 * take no lock: a rename replaces a file whole.
 *
 * HarvestMax is counted when a new address is to be stored: the *.pem
 * files of the directory, one readdir(2) pass that stops at max.  No
 * counter is kept, so files an operator removes count at once and no
 * state survives in the process; the cost is one directory scan per new
 * correspondent, none for known ones.
 *
 * The directory is created (mode 0755) at the first store, not at load,
 * so `smime-milter -n` and smime-tool never create anything.
 */
#include "harvest_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY ((time_t)86400)
#define SUFFIX ".pem"

static bool is_entry_name(const char *name)
{
	size_t n = strlen(name), k = strlen(SUFFIX);

	return name[0] != '.' && n > k && strcmp(name + n - k, SUFFIX) == 0;
}

/* a b c joined, malloc'd; NULL when out of memory. */
static char *join3(const char *a, const char *b, const char *c)
{
	size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
	char *s = malloc(na + nb + nc + 1);

	if (s != NULL) {
		memcpy(s, a, na);
		memcpy(s + na, b, nb);
		memcpy(s + na + nb, c, nc + 1);
	}
	return s;
}

static int io_error(smime_buf *why, const char *path, const char *what)
{
	int e = errno;

	if (why != NULL)
		smime_buf_printf(why, "%s: %s: %s", path, what, strerror(e));
	return e == ENOMEM ? SMIME_E_NOMEM : SMIME_E_IO;
}

/* The capabilities of *in replace e's when the rules above say so. */
static int merge_caps(harvest_entry *e, const smime_harvest_in *in, time_t t,
		      bool *changed)
{
	unsigned char *caps;

	if (in->caps_der == NULL || in->caps_len == 0)
		return 0;
	if (e->caps != NULL && e->has_time &&
	    !(in->has_signing_time && t > e->time))
		return 0;
	caps = malloc(in->caps_len);
	if (caps == NULL)
		return SMIME_E_NOMEM;
	memcpy(caps, in->caps_der, in->caps_len);
	free(e->caps);
	e->caps = caps;
	e->caps_len = in->caps_len;
	e->has_time = in->has_signing_time;
	e->time = t;
	*changed = true;
	return 0;
}

/* Merges one signature into e (empty when the address is new). */
static int merge(harvest_entry *e, const smime_harvest_in *in, bool *changed)
{
	time_t t = in->signing_time;
	bool kept = false;
	harvest_cert c;
	int ret;

	*changed = false;
	if (e->ncerts > 0 && !in->has_signing_time)
		return 0;
	if (in->has_signing_time && t > in->now + DAY)
		t = in->now;
	for (size_t i = 0; i < e->ncerts && !kept; i++)
		kept = e->certs[i].len == in->cert_len &&
		       memcmp(e->certs[i].der, in->cert_der, in->cert_len) == 0;
	if (!kept) {
		ret = smime_harvest_cert_new(in->cert_der, in->cert_len, &c);
		if (ret < 0)
			return ret;
		if (e->ncerts == 0 || c.not_before > e->certs[0].not_before)
			kept = *changed = smime_harvest_entry_add(e, &c) == 1;
		free(c.der);
	}
	return kept ? merge_caps(e, in, t, changed) : 0;
}

/* Whether dir holds max entries already. */
static int full(const char *dir, size_t max, bool *out, smime_buf *why)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	*out = false;
	if (d == NULL)
		return io_error(why, dir, "cannot list");
	while (n < max && (de = readdir(d)) != NULL)
		if (is_entry_name(de->d_name))
			n++;
	closedir(d);
	*out = n >= max;
	return 0;
}

/* The entry in dir (open as dfd) under file; *exists false when none. */
static int load(int dfd, const char *path, const char *file, harvest_entry *e,
		bool *exists, smime_buf *why)
{
	smime_buf text = SMIME_BUF_INIT;
	int fd, ret;

	memset(e, 0, sizeof *e);
	*exists = false;
	fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : io_error(why, path, "cannot read");
	*exists = true;
	ret = smime_fd_read(fd, &text);
	if (ret == SMIME_E_IO)
		ret = io_error(why, path, "cannot read");
	close(fd);
	if (ret == 0)
		ret = smime_harvest_entry_parse(text.data, text.len, e);
	smime_buf_free(&text);
	return ret;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* e as dir/file: a temporary file in dir, then rename. */
static int write_entry(const char *dir, const char *path,
		       const harvest_entry *e, smime_buf *why)
{
	smime_buf text = SMIME_BUF_INIT;
	char *tmp = NULL;
	int fd = -1, ret;

	ret = smime_harvest_entry_format(e, &text);
	if (ret == 0 && (tmp = join3(dir, "/", ".harvest.XXXXXX")) == NULL)
		ret = SMIME_E_NOMEM;
	if (ret < 0)
		goto cleanup;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = io_error(why, dir, "cannot create a file");
		goto cleanup;
	}
	if (fchmod(fd, 0644) < 0 || write_all(fd, text.data, text.len) < 0 ||
	    fsync(fd) < 0)
		ret = io_error(why, tmp, "cannot write");
	if (close(fd) < 0 && ret == 0)
		ret = io_error(why, tmp, "cannot write");
	if (ret == 0 && rename(tmp, path) < 0)
		ret = io_error(why, path, "cannot rename into place");
	if (ret < 0)
		unlink(tmp);
cleanup:
	free(tmp);
	smime_buf_free(&text);
	return ret;
}

/* Opens dir (created 0755 when missing) locked for this store. */
static int lock_dir(const char *dir, int *dfd, smime_buf *why)
{
	if (mkdir(dir, 0755) == 0) {
		if (chmod(dir, 0755) < 0) /* whatever the umask */
			return io_error(why, dir, "cannot set mode");
	} else if (errno != EEXIST) {
		return io_error(why, dir, "cannot create");
	}
	*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		return io_error(why, dir, "cannot open");
	while (flock(*dfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int ret = io_error(why, dir, "cannot lock");

			close(*dfd);
			*dfd = -1;
			return ret;
		}
	}
	return 0;
}

int smime_harvest_store(const char *dir, size_t max, const smime_harvest_in *in,
			smime_buf *why)
{
	harvest_entry e;
	char *name = NULL, *file = NULL, *path = NULL;
	bool exists = false, changed = false, over = false;
	int dfd = -1, ret;

	memset(&e, 0, sizeof e);
	if (dir == NULL || in == NULL || in->cert_der == NULL)
		return SMIME_E_ARG;
	ret = smime_harvest_name(in->addr, &name);
	if (ret == SMIME_E_UNSUPPORTED)
		return SMIME_HARVEST_UNNAMED;
	if (ret == 0 && ((file = join3(name, SUFFIX, "")) == NULL ||
			 (path = join3(dir, "/", file)) == NULL))
		ret = SMIME_E_NOMEM;
	if (ret == 0)
		ret = lock_dir(dir, &dfd, why);
	if (ret == 0)
		ret = load(dfd, path, file, &e, &exists, why);
	if (ret == 0 && !exists)
		ret = full(dir, max, &over, why);
	if (ret == 0 && over)
		ret = SMIME_HARVEST_FULL;
	if (ret == 0)
		ret = merge(&e, in, &changed);
	if (ret == 0 && !changed)
		ret = SMIME_HARVEST_UNCHANGED;
	if (ret == 0)
		ret = write_entry(dir, path, &e, why);
	if (dfd >= 0)
		close(dfd); /* and the lock with it */
	smime_harvest_entry_free(&e);
	free(name);
	free(file);
	free(path);
	return ret;
}

int smime_harvest_read_file(const char *path, smime_found *out)
{
	smime_buf text = SMIME_BUF_INIT;
	harvest_entry e;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : SMIME_E_IO;
	ret = smime_fd_read(fd, &text);
	close(fd);
	if (ret == 0)
		ret = smime_harvest_entry_parse(text.data, text.len, &e);
	smime_buf_free(&text);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < e.ncerts && ret == 0; i++)
		ret = smime_found_add_der(out, e.certs[i].der, e.certs[i].len,
					  path);
	if (ret == 0 && e.caps != NULL &&
	    smime_caps_parse(e.caps, e.caps_len, &out->caps) == 0) {
		out->has_caps = true;
		out->caps_time = e.has_time ? e.time : 0;
	}
	smime_harvest_entry_free(&e);
	return ret;
}

int smime_harvest_read(const char *dir, const char *addr, smime_found *out)
{
	char *name = NULL, *file = NULL, *path = NULL;
	int ret;

	if (dir == NULL || addr == NULL)
		return 0;
	ret = smime_harvest_name(addr, &name);
	if (ret == SMIME_E_UNSUPPORTED)
		return 0;
	if (ret == 0 && ((file = join3(name, SUFFIX, "")) == NULL ||
			 (path = join3(dir, "/", file)) == NULL))
		ret = SMIME_E_NOMEM;
	if (ret == 0)
		ret = smime_harvest_read_file(path, out);
	free(name);
	free(file);
	free(path);
	return ret;
}

void smime_harvest_list_free(char **names, size_t n)
{
	smime_dir_list_free(names, n);
}

int smime_harvest_list(const char *dir, char ***names, size_t *n)
{
	size_t k = 0;
	int ret;

	*names = NULL;
	*n = 0;
	if (access(dir, F_OK) < 0 && errno == ENOENT)
		return 0;
	ret = smime_dir_list(dir, names, n);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < *n; i++) {
		if (is_entry_name((*names)[i]))
			(*names)[k++] = (*names)[i];
		else
			free((*names)[i]);
	}
	*n = k;
	return 0;
}
