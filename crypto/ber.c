/*
 * ber.c - measures one BER element: its tag and length octets, its value
 * and its whole length, an indefinite length by walking to its
 * end-of-contents octets (at most MAX_DEPTH nested indefinite lengths).
 *
 * asn1_get_length_ber() cannot be trusted with this: it stops at the end
 * of the first nested indefinite element, so for an indefinite element
 * with none it counts the end-of-contents octets and for one with some
 * it does not.  A ContentInfo of indefinite length around a definite
 * SignedData read as malformed because of it (cms_read.c).
 *
 * Promises: never reads past avail; any bytes give an answer.
 */
#include "internal.h"

#include <limits.h>

#define MAX_DEPTH 32 /* nested indefinite lengths measured */

/* Tag and length octets at p: *hdr bytes, then *clen content bytes
 * within avail, or an indefinite length (*indef, *clen 0). */
static bool header(const unsigned char *p, size_t avail, size_t *hdr,
		   size_t *clen, bool *indef, bool *cons)
{
	unsigned char cls;
	unsigned long tag;
	int tl, ll, n = avail > INT_MAX ? INT_MAX : (int)avail;
	long l;

	if (asn1_get_tag_der(p, n, &cls, &tl, &tag) != ASN1_SUCCESS ||
	    tl <= 0 || tl >= n)
		return false;
	l = asn1_get_length_der(p + tl, n - tl, &ll);
	if (l < -1 || ll <= 0)
		return false;
	*cons = (cls & ASN1_CLASS_STRUCTURED) != 0;
	*indef = l == -1;
	*hdr = (size_t)tl + (size_t)ll;
	*clen = *indef ? 0 : (size_t)l;
	return *hdr <= avail && *clen <= avail - *hdr && (*cons || !*indef);
}

bool smime_ber_at(const unsigned char *p, size_t avail, smime_ber *t)
{
	size_t hdr, clen, q, depth = 1;
	bool indef, cons;

	if (!header(p, avail, &hdr, &clen, &indef, &t->cons))
		return false;
	t->p = p;
	t->v = p + hdr;
	if (!indef) {
		t->vlen = clen;
		t->len = hdr + clen;
		return true;
	}
	for (q = hdr; depth > 0;) {
		if (avail - q >= 2 && p[q] == 0 && p[q + 1] == 0) {
			q += 2;
			depth--;
		} else if (!header(p + q, avail - q, &hdr, &clen, &indef,
				   &cons)) {
			return false;
		} else if (indef && ++depth > MAX_DEPTH) {
			return false;
		} else {
			q += hdr + clen;
		}
	}
	t->len = q;
	t->vlen = q - (size_t)(t->v - p) - 2;
	return true;
}
