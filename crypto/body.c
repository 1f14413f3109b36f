/*
 * body.c - the body store: holds a message body while it arrives.
 *
 * Up to mem_limit bytes live in a heap buffer.  The append that would
 * pass the limit moves everything to a temporary file in tmpdir, created
 * with mkstemp, set to 0600 with fchmod (whatever the umask) and
 * unlinked at once, so no other user can read it and nothing is left
 * behind after a crash.  smime_body_view() then maps the file read-only:
 * a 50 MB message costs address space, not heap.  The heap copy is wiped
 * when it is dropped, since bodies may be decrypted content.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct smime_body {
	size_t mem_limit;
	char *tmpdir;
	smime_buf mem; /* the body while it is in memory */
	int fd;        /* the spill file, -1 while in memory */
	size_t size;   /* bytes appended so far */
	void *map;     /* current read-only mapping, or NULL */
	size_t map_len;
	int err; /* errno of the last failed file operation */
};

int smime_body_new(size_t mem_limit, const char *tmpdir, smime_body **out)
{
	smime_body *b;

	if (out == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SMIME_E_NOMEM;
	b->mem_limit = mem_limit;
	b->fd = -1;
	if (tmpdir == NULL)
		tmpdir = "/var/tmp"; /* the TempDirectory default */
	b->tmpdir = smime_strndup(tmpdir, strlen(tmpdir));
	if (b->tmpdir == NULL) {
		free(b);
		return SMIME_E_NOMEM;
	}
	*out = b;
	return 0;
}

static void body_unmap(smime_body *b)
{
	if (b->map != NULL)
		munmap(b->map, b->map_len);
	b->map = NULL;
	b->map_len = 0;
}

/* Writes all n bytes, riding out short writes and EINTR. */
static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return SMIME_E_IO;
		}
		p += (size_t)w;
		n -= (size_t)w;
	}
	return 0;
}

int smime_tmpfile(const char *dir, const char *prefix)
{
	smime_buf path = SMIME_BUF_INIT;
	int fd = -1, err;

	if (smime_buf_printf(&path, "%s/%s.XXXXXX", dir, prefix) < 0) {
		errno = ENOMEM;
		return -1;
	}
	fd = mkostemp((char *)path.data, O_CLOEXEC);
	/* Unlink first: from here on a crash leaves nothing on disk. */
	if (fd >= 0 &&
	    (unlink((char *)path.data) != 0 || fchmod(fd, 0600) != 0)) {
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	err = errno;
	smime_buf_free(&path);
	errno = err;
	return fd;
}

/* Creates the unlinked 0600 spill file and moves the memory copy to it. */
static int body_spill(smime_body *b)
{
	int fd, ret;

	fd = smime_tmpfile(b->tmpdir, "smime-body");
	if (fd < 0) {
		b->err = errno;
		return SMIME_E_IO;
	}
	ret = write_all(fd, b->mem.data, b->mem.len);
	if (ret < 0) {
		b->err = errno; /* ENOSPC: the disk is full */
		close(fd);
		return ret;
	}
	b->fd = fd;
	smime_buf_free(&b->mem);
	return 0;
}

int smime_body_append(smime_body *b, const void *p, size_t n)
{
	int ret;

	if (b == NULL || (p == NULL && n > 0))
		return SMIME_E_ARG;
	if (n == 0)
		return 0;
	if (b->size > SIZE_MAX - n)
		return SMIME_E_NOMEM;
	/* The view promise ends here; dropping the mapping now also keeps
	 * its length in step with the file. */
	body_unmap(b);
	if (b->fd < 0 && b->size + n > b->mem_limit) {
		ret = body_spill(b);
		if (ret < 0)
			return ret;
	}
	if (b->fd >= 0) {
		ret = write_all(b->fd, p, n);
		if (ret < 0)
			b->err = errno;
	} else
		ret = smime_buf_append(&b->mem, p, n);
	if (ret < 0)
		return ret;
	b->size += n;
	return 0;
}

int smime_body_view(smime_body *b, const unsigned char **data, size_t *len)
{
	void *m;

	if (b == NULL || data == NULL || len == NULL)
		return SMIME_E_ARG;
	if (b->fd < 0 || b->size == 0) {
		/* In memory (or empty): always a valid pointer, even for an
		 * empty body. */
		*data = b->mem.data != NULL ? b->mem.data
					    : (const unsigned char *)"";
		*len = b->mem.len;
		return 0;
	}
	if (b->map == NULL) {
		m = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, b->fd, 0);
		if (m == MAP_FAILED) {
			b->err = errno;
			return SMIME_E_IO;
		}
		b->map = m;
		b->map_len = b->size;
	}
	*data = b->map;
	*len = b->map_len;
	return 0;
}

size_t smime_body_size(const smime_body *b)
{
	return b != NULL ? b->size : 0;
}

bool smime_body_spilled(const smime_body *b)
{
	return b != NULL && b->fd >= 0;
}

int smime_body_errno(const smime_body *b)
{
	return b != NULL ? b->err : 0;
}

void smime_body_free(smime_body *b)
{
	if (b == NULL)
		return;
	body_unmap(b);
	if (b->fd >= 0)
		close(b->fd);
	smime_buf_free(&b->mem);
	free(b->tmpdir);
	free(b);
}
