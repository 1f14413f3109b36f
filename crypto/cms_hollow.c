/*
 * cms_hollow.c - an EnvelopedData or AuthEnvelopedData ContentInfo with
 * its encrypted content taken out, for libtasn1 to decode, and one
 * libtasn1 encoded without it filled in (issue 19).
 *
 * libtasn1 copies every value it decodes into its tree, and the
 * encrypted content is nearly all of a big message: decoding a 50 MB
 * message's ContentInfo put two more 37 MB copies in the heap (the
 * ContentInfo's tree, then the EnvelopedData's), and reading the content
 * out of the tree a third.  So before decoding, the ContentInfo is
 * walked by hand down to the encryptedContent ([0] IMPLICIT, the last
 * field of EncryptedContentInfo), and a copy without it is written: every
 * other field as it came (BER or DER), the EncryptedContentInfo, the
 * EnvelopedData, its [0] and the ContentInfo around them with definite
 * lengths.  The reader (envelope_parse.c) then takes the content from
 * the caller's bytes, where this walk found it: a view for a primitive
 * OCTET STRING, the chunks joined for a constructed one.
 *
 * Only the shape RFC 5652 and RFC 5083 give is taken out: a ContentInfo
 * of one of the two types whose [0] holds one SEQUENCE, whose
 * EncryptedContentInfo is its first SEQUENCE field after the version and
 * ends with the content, primitive or a constructed string of primitive
 * OCTET STRINGs.  Anything else is left alone (0) for the decoders to
 * judge as before, so this changes what is copied, never what is read.
 *
 * Writing is the same in reverse (smime_cms_fill): libtasn1 encodes the
 * EnvelopedData without its content, and the ContentInfo is written
 * around it here with room for the content, which the seal encrypts
 * straight into place.  libtasn1 would otherwise hold the ciphertext in
 * its tree and copy it out again.
 *
 * Promises: der is never written; only resource errors fail.
 */
#include "internal.h"
#include "oid.h"

#include <limits.h>
#include <string.h>

#define MAX_FIELDS 8 /* an EnvelopedData has at most five */

/* The elements of t's value, at most MAX_FIELDS: their count, or -1. */
static int fields(const smime_ber *t, smime_ber *out)
{
	const unsigned char *q = t->v, *end = t->v + t->vlen;
	int n = 0;

	if (!t->cons)
		return -1;
	while (q < end) {
		if (n == MAX_FIELDS ||
		    !smime_ber_at(q, (size_t)(end - q), &out[n]))
			return -1;
		q += out[n++].len;
	}
	return n;
}

/* The OID's encoding is one of the two enveloped types. */
static bool enveloped_oid(const smime_ber *t)
{
	static const char *const oids[] = {OID_ENVELOPED_DATA,
					   OID_AUTH_ENVELOPED_DATA};
	unsigned char enc[32];

	for (size_t i = 0; i < 2; i++) {
		int n = sizeof(enc);

		if (asn1_object_id_der(oids[i], enc, &n, 0) == ASN1_SUCCESS &&
		    (size_t)n == t->len && memcmp(enc, t->p, t->len) == 0)
			return true;
	}
	return false;
}

/* A primitive [0], or a constructed one of primitive OCTET STRINGs. */
static bool content_shape(const smime_ber *c)
{
	const unsigned char *q = c->v, *end = c->v + c->vlen;

	if (c->p[0] == 0x80)
		return true;
	if (c->p[0] != 0xa0)
		return false;
	while (q < end) {
		smime_ber s;

		if (!smime_ber_at(q, (size_t)(end - q), &s) || s.p[0] != 0x04)
			return false;
		q += s.len;
	}
	return true;
}

/* Only zero bytes after the ContentInfo: block padding some encoders
 * leave, which the decoders allow and nothing else. */
static bool zeros_after(const unsigned char *der, size_t len, size_t used)
{
	for (size_t i = used; i < len; i++)
		if (der[i] != 0)
			return false;
	return true;
}

/* The walk: ContentInfo, [0], EnvelopedData and its
 * EncryptedContentInfo (*eci_at its index), whose last field is the
 * content; false when der has not that shape. */
static bool walk(const unsigned char *der, size_t len, smime_ber *oid,
		 smime_ber *ed, smime_ber *edf, int *nedf, int *eci_at,
		 smime_ber *ecif, int *necif)
{
	smime_ber ci, cif[MAX_FIELDS], exp[MAX_FIELDS];

	if (!smime_ber_at(der, len, &ci) || ci.p[0] != 0x30 ||
	    !zeros_after(der, len, ci.len) || fields(&ci, cif) != 2 ||
	    cif[0].p[0] != 0x06 || !enveloped_oid(&cif[0]) ||
	    cif[1].p[0] != 0xa0 || fields(&cif[1], exp) != 1 ||
	    exp[0].p[0] != 0x30)
		return false;
	*oid = cif[0];
	*ed = exp[0];
	*nedf = fields(ed, edf);
	if (*nedf < 3 || edf[0].p[0] != 0x02)
		return false;
	for (*eci_at = 1; *eci_at < *nedf && edf[*eci_at].p[0] != 0x30;
	     (*eci_at)++)
		;
	if (*eci_at == *nedf)
		return false;
	*necif = fields(&edf[*eci_at], ecif);
	return *necif == 3 && ecif[0].p[0] == 0x06 && ecif[1].p[0] == 0x30 &&
	       content_shape(&ecif[2]);
}

/* tag, the definite length of n bytes, then those n bytes' header only:
 * the caller appends the value. */
static int put_header(smime_buf *out, unsigned char tag, size_t n)
{
	unsigned char l[sizeof(unsigned long) + 1];
	int ll = sizeof(l), ret;

	asn1_length_der(n, l, &ll);
	ret = smime_buf_putc(out, tag);
	return ret == 0 ? smime_buf_append(out, l, (size_t)ll) : ret;
}

static size_t header_len(size_t n)
{
	unsigned char l[sizeof(unsigned long) + 1];
	int ll = sizeof(l);

	asn1_length_der(n, l, &ll);
	return 1 + (size_t)ll;
}

/*
 * Appends the ContentInfo of type oid around an EnvelopedData of the
 * fields edf, whose field eci_at, the EncryptedContentInfo, holds eci
 * (its contentType and algorithm, as they came) and then, when ct_off is
 * not NULL, a primitive encryptedContent of ctlen bytes left for the
 * caller to fill at *ct_off.  Lengths definite, everything else as it
 * came.
 */
static int put_content_info(smime_buf *out, const unsigned char *oid,
			    size_t oid_len, const smime_ber *edf, int nedf,
			    int eci_at, const unsigned char *eci,
			    size_t eci_len, size_t ctlen, size_t *ct_off)
{
	size_t ecin = eci_len + (ct_off ? header_len(ctlen) + ctlen : 0);
	size_t edn = 0, expn, cin;
	int ret;

	for (int i = 0; i < nedf; i++)
		edn += i == eci_at ? header_len(ecin) + ecin : edf[i].len;
	expn = header_len(edn) + edn;
	cin = oid_len + header_len(expn) + expn;
	ret = smime_buf_reserve(out, header_len(cin) + cin);
	if (ret == 0)
		ret = put_header(out, 0x30, cin);
	if (ret == 0)
		ret = smime_buf_append(out, oid, oid_len);
	if (ret == 0)
		ret = put_header(out, 0xa0, expn);
	if (ret == 0)
		ret = put_header(out, 0x30, edn);
	for (int i = 0; ret == 0 && i < nedf; i++) {
		if (i != eci_at) {
			ret = smime_buf_append(out, edf[i].p, edf[i].len);
			continue;
		}
		ret = put_header(out, 0x30, ecin);
		if (ret == 0)
			ret = smime_buf_append(out, eci, eci_len);
		if (ret == 0 && ct_off != NULL)
			ret = put_header(out, 0x80, ctlen);
		if (ret == 0 && ct_off != NULL) {
			/* reserved above: the caller fills these bytes */
			*ct_off = out->len;
			out->len += ctlen;
			out->data[out->len] = '\0';
		}
	}
	return ret;
}

int smime_cms_hollow(const unsigned char *der, size_t len, smime_buf *out,
		     smime_cms_tree *t)
{
	smime_ber oid, ed, edf[MAX_FIELDS], ecif[MAX_FIELDS];
	int nedf, eci_at, necif, ret;

	if (der == NULL || len > INT_MAX ||
	    !walk(der, len, &oid, &ed, edf, &nedf, &eci_at, ecif, &necif))
		return 0;
	/* contentType and algorithm are adjacent: one slice */
	ret = put_content_info(out, oid.p, oid.len, edf, nedf, eci_at,
			       ecif[0].p, ecif[0].len + ecif[1].len, 0, NULL);
	if (ret < 0)
		return ret;
	t->econtent = ecif[2].v;
	t->econtent_len = ecif[2].vlen;
	t->econtent_chunks = ecif[2].cons;
	return 1;
}

int smime_cms_econtent(const smime_cms_tree *t, smime_buf *joined,
		       const unsigned char **ct, size_t *ct_len)
{
	const unsigned char *q = t->econtent, *end = q + t->econtent_len;
	int ret = 0;

	if (!t->econtent_chunks) {
		*ct = t->econtent;
		*ct_len = t->econtent_len;
		return 0;
	}
	/* content_shape() checked every chunk: primitive OCTET STRINGs */
	ret = smime_buf_reserve(joined, t->econtent_len);
	while (ret == 0 && q < end) {
		smime_ber s;

		if (!smime_ber_at(q, (size_t)(end - q), &s))
			return SMIME_E_PARSE;
		ret = smime_buf_append(joined, s.v, s.vlen);
		q += s.len;
	}
	*ct = joined->data;
	*ct_len = joined->len;
	return ret;
}

int smime_cms_fill(bool auth, const unsigned char *ed, size_t edlen,
		   size_t ctlen, smime_buf *out, size_t *ct_off)
{
	unsigned char oid[32];
	int oid_len = sizeof(oid), nedf, eci_at = 1;
	smime_ber t, edf[MAX_FIELDS], ecif[MAX_FIELDS];

	if (asn1_object_id_der(auth ? OID_AUTH_ENVELOPED_DATA
				    : OID_ENVELOPED_DATA,
			       oid, &oid_len, 0) != ASN1_SUCCESS ||
	    !smime_ber_at(ed, edlen, &t) || t.len != edlen || t.p[0] != 0x30 ||
	    (nedf = fields(&t, edf)) < 3)
		return SMIME_E_ARG; /* not what the seal's libtasn1 wrote */
	while (eci_at < nedf && edf[eci_at].p[0] != 0x30)
		eci_at++;
	if (eci_at == nedf || fields(&edf[eci_at], ecif) != 2)
		return SMIME_E_ARG;
	return put_content_info(out, oid, (size_t)oid_len, edf, nedf, eci_at,
				edf[eci_at].v, edf[eci_at].vlen, ctlen, ct_off);
}
