/*
 * verify_content.c - the signed content of one SignedData layer, as the
 * signers of that layer need it: its line-end forms and their digests.
 *
 * Detached content is tried in its canonical CRLF form, then with bare
 * LF line ends (NOTES.md: some signers hash that); opaque content is its
 * eContent, one form.  Each form is made when first asked for and kept
 * (a view of the caller's bytes when they are in that form already).
 *
 * Promises: a form is built at most once, and the content is hashed at
 * most once per form and digest algorithm, however many SignerInfos ask
 * for it: 100 signers over a 10 MB layer cost one SHA-256 pass per form,
 * not 100 (issue 12, finding F4).  Only resource errors fail.
 */
#include "verify_internal.h"

#include <string.h>

void smime_content_init(smime_content *c, const unsigned char *p, size_t n,
			bool detached)
{
	memset(c, 0, sizeof(*c));
	c->data = p;
	c->len = n;
	c->detached = detached;
}

void smime_content_free(smime_content *c)
{
	smime_buf_free(&c->crlf);
	smime_buf_free(&c->lf);
	smime_wipe(c->slot, sizeof(c->slot)); /* digests of plaintext */
	memset(c, 0, sizeof(*c));
}

int smime_content_forms(const smime_content *c)
{
	return c->detached ? 2 : 1;
}

/* Whether the bytes are already in the form: no line end but CRLF
 * (crlf) or no CR at all (lf). */
static bool already(const unsigned char *p, size_t n, bool crlf)
{
	for (size_t i = 0; i < n; i++) {
		if (!crlf && p[i] == '\r')
			return false;
		if (crlf && p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return false;
		if (crlf && p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return false;
	}
	return true;
}

int smime_content_form(smime_content *c, int k, const unsigned char **p,
		       size_t *n)
{
	int ret = 0;

	if (!c->detached || k < 0 || k > 1) {
		*p = c->data;
		*n = c->len;
		return 0;
	}
	if (!c->made[k]) {
		smime_buf *b = k == 0 ? &c->crlf : &c->lf;

		if (already(c->data, c->len, k == 0)) {
			c->form[k] = c->data;
			c->form_len[k] = c->len;
		} else {
			ret = k == 0 ? smime_canon_crlf(c->data, c->len, b)
				     : smime_canon_lf(c->data, c->len, b);
			c->form[k] = b->data;
			c->form_len[k] = b->len;
		}
		if (ret < 0)
			return ret;
		c->made[k] = true;
	}
	*p = c->form[k];
	*n = c->form_len[k];
	return 0;
}

int smime_content_digest(smime_content *c, int k, gnutls_digest_algorithm_t alg,
			 const unsigned char **md, unsigned *mdlen)
{
	smime_content_digest_slot *s = NULL;
	const unsigned char *p;
	size_t n;
	unsigned len = gnutls_hash_get_len(alg);
	int ret;

	if (!c->detached)
		k = 0;
	if (alg == GNUTLS_DIG_UNKNOWN || len == 0 ||
	    len > sizeof(c->slot[0].md))
		return SMIME_E_UNSUPPORTED;
	for (size_t i = 0; i < c->nslots; i++)
		if (c->slot[i].form == k && c->slot[i].alg == alg)
			s = &c->slot[i];
	if (s == NULL) {
		/* Every digest GnuTLS knows, in both forms, fits the table:
		 * a full one would be a bug, never a reason to hash twice. */
		if (c->nslots == SMIME_CONTENT_SLOTS)
			return SMIME_E_UNSUPPORTED;
		ret = smime_content_form(c, k, &p, &n);
		if (ret < 0)
			return ret;
		s = &c->slot[c->nslots];
		if (gnutls_hash_fast(alg, p, n, s->md) < 0)
			return SMIME_E_UNSUPPORTED;
		s->form = k;
		s->alg = alg;
		c->nslots++;
	}
	*md = s->md;
	*mdlen = len;
	return 0;
}
