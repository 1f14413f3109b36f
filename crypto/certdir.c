/*
 * certdir.c - the CertDirectory of SPEC section 4: other people's
 * certificates, found by address and by the identifiers RecipientInfos
 * carry.
 *
 * Every regular, non-hidden file is read: PEM with one or more
 * certificates, or one DER certificate.  No private keys live here.
 * The certificates are parsed once, here, and indexed by address, by
 * RecipientInfo identifier and by subject Name (for finding the issuers
 * of a recipient's certificate, trust_recipient.c).
 *
 * Promises: a file that holds no certificate is skipped and named in the
 * diagnostics, and the rest still loads (a stray file must not stop the
 * gateway; `smime-milter -n` shows it).  The loaded directory is never
 * written again, so lookups from many threads are safe.
 */
#include "keys_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct smime_certdir {
	smime_cert **certs;
	size_t n;
	smime_certindex ix;
};

static int add_cert(smime_certdir *cd, gnutls_x509_crt_t crt, const char *path)
{
	smime_cert *c = NULL, **v;
	int ret = smime_cert_new(crt, path, NULL, &c);

	if (ret < 0)
		return ret;
	v = realloc(cd->certs, (cd->n + 1) * sizeof(*v));
	if (v == NULL) {
		smime_cert_free(c);
		return SMIME_E_NOMEM;
	}
	cd->certs = v;
	v[cd->n++] = c;
	return 0;
}

/* Every certificate of one file.  A file without one is reported and
 * skipped (0); only resource errors fail. */
static int load_file(smime_certdir *cd, const char *path, smime_buf *diags)
{
	smime_buf content = SMIME_BUF_INIT;
	gnutls_x509_crt_t *list = NULL;
	gnutls_datum_t d;
	struct stat st;
	unsigned n = 0, i = 0;
	int fd, r, ret;

	/* O_NONBLOCK: a FIFO must not block the load (fuzz finding F2). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		smime_diag(diags, path, "%s", strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0; /* subdirectories and the like are not ours */
	}
	ret = smime_fd_read(fd, &content);
	close(fd);
	if (ret == SMIME_E_IO || ret == SMIME_E_LIMIT) {
		smime_diag(diags, path, "%s", smime_strerror(ret));
		ret = 0;
		goto cleanup;
	}
	if (ret < 0)
		goto cleanup;
	d.data = content.data;
	d.size = (unsigned)content.len;
	r = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0 || n == 0) {
		gnutls_free(list);
		list = NULL;
		n = 0;
		r = gnutls_x509_crt_list_import2(&list, &n, &d,
						 GNUTLS_X509_FMT_DER, 0);
	}
	if (r < 0 || n == 0) {
		smime_diag(diags, path, "no certificate (PEM or DER) in it");
		goto cleanup;
	}
	for (i = 0; i < n && ret == 0; i++)
		ret = add_cert(cd, list[i], path); /* takes list[i] */
cleanup:
	for (; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	smime_buf_free(&content);
	return ret;
}

int smime_certdir_load(const char *dir, smime_buf *diags, smime_certdir **out)
{
	smime_certdir *cd = NULL;
	smime_buf path = SMIME_BUF_INIT;
	char **names = NULL;
	size_t nnames = 0;
	int ret;

	if (out == NULL || dir == NULL)
		return SMIME_E_ARG;
	*out = NULL;
	ret = smime_dir_list(dir, &names, &nnames);
	if (ret < 0) {
		smime_diag(diags, dir, "cannot read the certificate directory");
		return ret;
	}
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		ret = SMIME_E_NOMEM;
	for (size_t i = 0; ret == 0 && i < nnames; i++) {
		smime_buf_reset(&path);
		ret = smime_buf_printf(&path, "%s/%s", dir, names[i]);
		if (ret == 0)
			ret = load_file(cd, (char *)path.data, diags);
	}
	for (size_t i = 0; ret == 0 && i < cd->n; i++) {
		ret = smime_certindex_add(&cd->ix, cd->certs[i], i);
		if (ret == 0)
			ret = smime_certindex_add_subject(&cd->ix, cd->certs[i],
							  i);
	}
	if (ret == 0) {
		smime_certindex_sort(&cd->ix);
		*out = cd;
		cd = NULL;
	}
	smime_certdir_free(cd);
	smime_buf_free(&path);
	smime_dir_list_free(names, nnames);
	return ret;
}

void smime_certdir_free(smime_certdir *cd)
{
	if (cd == NULL)
		return;
	for (size_t i = 0; i < cd->n; i++)
		smime_cert_free(cd->certs[i]);
	free(cd->certs);
	smime_certindex_free(&cd->ix);
	free(cd);
}

size_t smime_certdir_count(const smime_certdir *cd)
{
	return cd != NULL ? cd->n : 0;
}

const smime_cert *smime_certdir_at(const smime_certdir *cd, size_t i)
{
	return cd != NULL && i < cd->n ? cd->certs[i] : NULL;
}

const smime_cert *smime_certdir_find_address_err(const smime_certdir *cd,
						 const char *addr, size_t *pos,
						 int *err)
{
	long i =
		cd ? smime_certindex_find_address(&cd->ix, addr, pos, err) : -1;

	return i >= 0 ? cd->certs[i] : NULL;
}

const smime_cert *smime_certdir_find_address(const smime_certdir *cd,
					     const char *addr, size_t *pos)
{
	return smime_certdir_find_address_err(cd, addr, pos, NULL);
}

const smime_cert *smime_certdir_find_recipient(const smime_certdir *cd,
					       const smime_recipient *r,
					       size_t *pos)
{
	long i = cd ? smime_certindex_find_recipient(&cd->ix, r, pos) : -1;

	return i >= 0 ? cd->certs[i] : NULL;
}

const smime_cert *smime_certdir_find_issuer(const smime_certdir *cd,
					    const smime_cert *c)
{
	return cd != NULL ? smime_certindex_find_issuer(
				    &cd->ix,
				    (const smime_cert *const *)cd->certs, c)
			  : NULL;
}
