/*
 * buf.c - memory helpers of the engine: smime_wipe, the growable byte
 * string smime_buf (Postfix's vstring idea) and the small string helpers
 * of internal.h.
 *
 * Promises: a smime_buf's data is NUL-terminated after len bytes whenever
 * data is not NULL; growth never loses the old contents on failure; every
 * block of memory a smime_buf gives back is wiped first, because buffers
 * carry decrypted content and key material: every byte it ever handed
 * out (used), not the untouched rest of a block that doubled, whose pages
 * a wipe would only make resident (a 53 MB plaintext in a 64 MiB block
 * cost 64 MiB at the free).
 *
 * Core dumps (issue 13): a block of PAGED_MIN bytes or more, and every
 * block of a buffer marked with smime_buf_secret(), is pages of its own
 * (an anonymous mmap) marked MADV_DONTDUMP, so a core dump, should one be
 * written despite the daemon turning them off, leaves it out.  That is
 * page-granular on purpose: madvise works on whole pages, and marking the
 * pages of small malloc blocks would split the heap's mappings and leave
 * the neighbours of a block in or out by chance.  So large buffers
 * (decrypted content, decoded bodies, DER) and the buffers known to hold
 * secrets (the plaintext re-encryption decrypts, key and passphrase files)
 * are excluded; small copies elsewhere are not, and count on the daemon
 * being non-dumpable with RLIMIT_CORE 0 (milter/main.c).  The mark is
 * best effort: a kernel without MADV_DONTDUMP still gets wiped pages.
 *
 * Spilling (issue 19): a buffer marked with smime_buf_spill() takes its
 * blocks of SMIME_SPILL_MIN bytes or more from an unlinked 0600 file in
 * its directory, mapped shared, so a 50 MB body in the making is page
 * cache the kernel may write back, not anonymous memory.  The file's
 * blocks are reserved with posix_fallocate before the mapping is used: a
 * full disk is then a failed allocation that falls back to memory, never
 * a SIGBUS on a later store.  Only buffers whose content the message's
 * own spill file already holds, or ciphertext, are marked; a secret
 * buffer never spills, so spilled blocks need no wipe.
 */
#include "internal.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Blocks at least this large are pages of their own, out of core dumps. */
#define PAGED_MIN ((size_t)64 * 1024)

/*
 * A volatile function pointer: the compiler cannot prove it still points
 * at memset when called, so it cannot drop the store as dead.  Portable
 * to libcs without explicit_bzero.
 */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void smime_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		wipe_memset(p, 0, n);
}

void smime_str_free(char *s)
{
	if (s != NULL) {
		smime_wipe(s, strlen(s));
		free(s);
	}
}

/* Where a block lives. */
typedef enum { BLOCK_HEAP, BLOCK_PAGED, BLOCK_FILED } block_kind;

static block_kind kind_of(const smime_buf *b)
{
	return b->filed ? BLOCK_FILED : b->paged ? BLOCK_PAGED : BLOCK_HEAP;
}

/* A block of *cap bytes (whole pages) of a new unlinked file in dir,
 * mapped shared; NULL when none can be made there. */
static unsigned char *file_alloc(size_t cap, const char *dir)
{
	int fd = smime_tmpfile(dir, "smime-buf");
	void *p = MAP_FAILED;

	if (fd < 0)
		return NULL;
	if (cap <= (size_t)INT64_MAX && posix_fallocate(fd, 0, (off_t)cap) == 0)
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd); /* the mapping keeps the file */
	return p == MAP_FAILED ? NULL : p;
}

/* A block of at least *cap bytes: whole pages of a file, or whole pages
 * marked MADV_DONTDUMP, or malloc's, as *kind asks; a file that cannot
 * be made gives paged memory (*kind says which it became).  NULL when
 * out of memory. */
static unsigned char *block_alloc(size_t *cap, block_kind *kind,
				  const char *dir)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	if (*kind == BLOCK_HEAP)
		return malloc(*cap);
	if (*cap > SIZE_MAX - page)
		return NULL;
	*cap = (*cap + page - 1) / page * page;
	if (*kind == BLOCK_FILED && (p = file_alloc(*cap, dir)) != NULL)
		return p;
	*kind = BLOCK_PAGED;
	p = mmap(NULL, *cap, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, *cap, MADV_DONTDUMP); /* best effort */
	return p;
}

/* Wipes the used bytes of a block of memory and gives it back (the
 * rest was never handed out: wiping it would only make untouched pages
 * resident); a file's block goes unwiped (never a secret one) with its
 * file. */
static void block_free(unsigned char *p, size_t cap, size_t used,
		       block_kind kind)
{
	if (p == NULL)
		return;
	if (kind != BLOCK_FILED)
		smime_wipe(p, used < cap ? used : cap);
	if (kind == BLOCK_HEAP)
		free(p);
	else
		munmap(p, cap);
}

/* Moves b's data to a new block of cap bytes of the given kind. */
static int block_move(smime_buf *b, size_t cap, block_kind kind)
{
	unsigned char *p = block_alloc(&cap, &kind, b->spill_dir);

	if (p == NULL)
		return SMIME_E_NOMEM;
	if (b->data != NULL)
		memcpy(p, b->data, b->len);
	block_free(b->data, b->cap, b->used, kind_of(b));
	p[b->len] = '\0';
	b->data = p;
	b->cap = cap;
	b->used = b->len + 1;
	b->paged = kind != BLOCK_HEAP;
	b->filed = kind == BLOCK_FILED;
	return 0;
}

/* Makes room for at least need more bytes plus the terminating NUL.
 * Growth is geometric so appending byte by byte stays linear; the old
 * block is wiped before it is given back. */
static int buf_reserve(smime_buf *b, size_t need)
{
	size_t want, cap;
	block_kind kind = BLOCK_HEAP;

	if (need > SIZE_MAX - 1 - b->len)
		return SMIME_E_NOMEM;
	want = b->len + need + 1;
	if (b->data == NULL || want > b->cap) {
		int ret;

		cap = b->cap < 64 ? 64 : b->cap;
		while (cap < want)
			cap = cap > SIZE_MAX / 2 ? want : cap * 2;
		if (b->spill_dir != NULL && !b->secret &&
		    cap >= SMIME_SPILL_MIN)
			kind = BLOCK_FILED;
		else if (b->secret || cap >= PAGED_MIN)
			kind = BLOCK_PAGED;
		ret = block_move(b, cap, kind);
		if (ret < 0)
			return ret;
	}
	/* Whatever the caller writes lies below this. */
	if (b->used < want)
		b->used = want;
	return 0;
}

int smime_buf_reserve(smime_buf *b, size_t need)
{
	return b == NULL ? SMIME_E_ARG : buf_reserve(b, need);
}

int smime_buf_secret(smime_buf *b)
{
	if (b == NULL)
		return SMIME_E_ARG;
	if (b->data != NULL && (!b->paged || b->filed)) {
		int ret = block_move(b, b->cap, BLOCK_PAGED);

		if (ret < 0)
			return ret;
	}
	b->secret = true;
	b->spill_dir = NULL;
	return 0;
}

void smime_buf_spill(smime_buf *b, const char *dir)
{
	if (b != NULL && !b->secret)
		b->spill_dir = dir;
}

int smime_buf_append(smime_buf *b, const void *p, size_t n)
{
	int ret;

	if (b == NULL || (p == NULL && n > 0))
		return SMIME_E_ARG;
	ret = buf_reserve(b, n);
	if (ret < 0)
		return ret;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int smime_buf_puts(smime_buf *b, const char *s)
{
	if (s == NULL)
		return SMIME_E_ARG;
	return smime_buf_append(b, s, strlen(s));
}

int smime_buf_putc(smime_buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return smime_buf_append(b, &ch, 1);
}

int smime_buf_printf(smime_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, ret;

	if (b == NULL || fmt == NULL)
		return SMIME_E_ARG;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SMIME_E_ARG;
	ret = buf_reserve(b, (size_t)n);
	if (ret < 0)
		return ret;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void smime_buf_reset(smime_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		smime_wipe(b->data, b->used < b->cap ? b->used : b->cap);
		b->data[0] = '\0';
	}
	b->len = 0;
}

void smime_buf_free(smime_buf *b)
{
	if (b == NULL)
		return;
	block_free(b->data, b->cap, b->used, kind_of(b));
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->used = 0;
	b->paged = false;
	b->filed = false;
}

int smime_buf_steal(smime_buf *b, char **out)
{
	int ret;

	if (b == NULL || out == NULL)
		return SMIME_E_ARG;
	/* An empty buffer may have no block yet: make one so the caller
	 * always gets a C string. */
	ret = buf_reserve(b, 0);
	if (ret < 0)
		return ret;
	if (b->paged) {
		/* The caller frees with free(): a malloc'd copy. */
		*out = smime_strndup((const char *)b->data, b->len);
		if (*out == NULL)
			return SMIME_E_NOMEM;
		smime_buf_free(b);
		return 0;
	}
	*out = (char *)b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->used = 0;
	return 0;
}

/* ---- internal.h string helpers ----------------------------------- */

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int smime_ascii_casecmp(const char *a, const char *b)
{
	return smime_ascii_ncasecmp(a, b, SIZE_MAX);
}

int smime_ascii_ncasecmp(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ca = ascii_lower((unsigned char)a[i]);
		int cb = ascii_lower((unsigned char)b[i]);

		if (ca != cb)
			return ca - cb;
		if (ca == '\0')
			break;
	}
	return 0;
}

char *smime_strndup(const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = malloc(n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
