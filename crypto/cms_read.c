/*
 * cms_read.c - reads a CMS ContentInfo (RFC 5652) and says what it is.
 *
 * Owns: the parsed ASN.1 definitions of cms.asn, the libtasn1 helpers the
 * CMS modules share, the ContentInfo dispatch of smime_cms_read(), the
 * freeing of smime_cms_info, and the recognition of raw CMS files (DER or
 * PEM).  The content types are decoded and read in cms_enveloped.c
 * (EnvelopedData, AuthEnvelopedData) and cms_signed.c (SignedData);
 * smime_cms_read_tree() hands the decoded content on to the verifier and
 * to smime_envelope_parse(), which read it rather than decode it again.
 *
 * Promises: any byte string gives a result or an SMIME_E_* error, never
 * a crash or a hang; DER and the indefinite-length BER of streaming
 * clients are both read; limits give SMIME_E_LIMIT; the info is valid to
 * free on every path.
 *
 * Why the ContentInfo is decoded twice: libtasn1 4.19 cannot decode an
 * indefinite-length [0] EXPLICIT around a typed element, so cms.asn has
 * content as ANY.  We decode the outer ContentInfo, locate the content in
 * the caller's buffer (no copy), drop the outer tree, and decode the
 * content as its own type.
 */
#include "internal.h"
#include "oid.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#define DEFAULT_MAX_RECIPIENTS 1000
#define DEFAULT_MAX_CERTIFICATES 100

/* ------------------------------------------------------------------ */
/* The definitions                                                      */
/* ------------------------------------------------------------------ */

static asn1_node cms_definitions;
static once_flag cms_definitions_once = ONCE_FLAG_INIT;

static void cms_definitions_create(void)
{
	asn1_node defs = NULL;

	/* Fails only on a broken cms.asn or no memory; callers see NULL. */
	if (asn1_array2tree(smime_cms_asn1_tab, &defs, NULL) == ASN1_SUCCESS)
		cms_definitions = defs;
}

asn1_node smime_cms_definitions(void)
{
	call_once(&cms_definitions_once, cms_definitions_create);
	return cms_definitions;
}

/* ------------------------------------------------------------------ */
/* libtasn1 helpers                                                     */
/* ------------------------------------------------------------------ */

int smime_asn1_err(int r)
{
	switch (r) {
	case ASN1_SUCCESS:
		return 0;
	case ASN1_MEM_ALLOC_ERROR:
		return SMIME_E_NOMEM;
	default:
		return SMIME_E_PARSE;
	}
}

const char *smime_asn1_path_fmt(smime_asn1_path *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->s, sizeof(p->s), fmt, ap);
	va_end(ap);
	/* "" would name the root node; no element is called "?". */
	if (n < 0 || (size_t)n >= sizeof(p->s))
		strcpy(p->s, "?");
	return p->s;
}

int smime_asn1_write(asn1_node node, const char *name, const void *value,
		     int len)
{
	int r = asn1_write_value(node, name, value, len);

	if (r == ASN1_SUCCESS)
		return 0;
	return r == ASN1_MEM_ALLOC_ERROR ? SMIME_E_NOMEM : SMIME_E_ARG;
}

int smime_asn1_encode(asn1_node node, const char *name, smime_buf *out)
{
	unsigned char *buf;
	int n = 0, r, ret;

	r = asn1_der_coding(node, name, NULL, &n, NULL);
	if (r != ASN1_MEM_ERROR || n <= 0)
		return SMIME_E_ARG;
	buf = malloc((size_t)n);
	if (buf == NULL)
		return SMIME_E_NOMEM;
	r = asn1_der_coding(node, name, buf, &n, NULL);
	ret = r == ASN1_SUCCESS ? smime_buf_append(out, buf, (size_t)n)
				: SMIME_E_ARG;
	free(buf);
	return ret;
}

void smime_asn1_free(asn1_node *node)
{
	asn1_delete_structure2(node, ASN1_DELETE_FLAG_ZEROIZE);
}

int smime_asn1_read(asn1_node node, const char *name, unsigned char **out,
		    size_t *len)
{
	unsigned char *buf = NULL;
	unsigned etype;
	int l = 0, r;

	*out = NULL;
	*len = 0;
	r = asn1_read_value_type(node, name, NULL, &l, &etype);
	if (r != ASN1_MEM_ERROR && r != ASN1_SUCCESS)
		return smime_asn1_err(r);
	if (l < 0 || etype == ASN1_ETYPE_BIT_STRING)
		return SMIME_E_PARSE; /* bit lengths are not byte lengths */
	buf = malloc((size_t)l + 1);
	if (buf == NULL)
		return SMIME_E_NOMEM;
	if (l > 0) {
		r = asn1_read_value(node, name, buf, &l);
		if (r != ASN1_SUCCESS) {
			free(buf);
			return smime_asn1_err(r);
		}
	}
	buf[l] = '\0';
	*out = buf;
	*len = (size_t)l;
	return 0;
}

int smime_asn1_read_bits(asn1_node node, const char *name, unsigned char **out,
			 size_t *len)
{
	unsigned char *buf;
	int bits = 0, size, r;

	*out = NULL;
	*len = 0;
	r = asn1_read_value(node, name, NULL, &bits);
	if (r != ASN1_MEM_ERROR && r != ASN1_SUCCESS)
		return smime_asn1_err(r);
	if (bits <= 0 || bits % 8 != 0)
		return SMIME_E_PARSE;
	buf = malloc((size_t)bits / 8);
	if (buf == NULL)
		return SMIME_E_NOMEM;
	/* On the way in the length is the buffer's size in bytes, on the
	 * way out the bit count.  A BIT STRING whose unused-bits octet says
	 * 8 or more (not DER) has more content bytes than its bits fill:
	 * libtasn1 then says the buffer is too small, and that is a parse
	 * error, never a copy past the buffer (fuzz_cms found the copy). */
	size = bits / 8;
	r = asn1_read_value(node, name, buf, &size);
	if (r != ASN1_SUCCESS || size != bits) {
		free(buf);
		return r == ASN1_MEM_ERROR || r == ASN1_SUCCESS
			       ? SMIME_E_PARSE
			       : smime_asn1_err(r);
	}
	*out = buf;
	*len = (size_t)bits / 8;
	return 0;
}

int smime_asn1_read_oid(asn1_node node, const char *name, char **out)
{
	unsigned char *v;
	size_t n;
	int ret = smime_asn1_read(node, name, &v, &n);

	*out = NULL;
	if (ret < 0)
		return ret;
	/* libtasn1 counts the terminating NUL of an OID in its length. */
	if (strlen((char *)v) == 0) {
		free(v);
		return SMIME_E_PARSE;
	}
	*out = (char *)v;
	return 0;
}

bool smime_asn1_present(asn1_node node, const char *name)
{
	/* Decoding removes absent OPTIONAL elements from the tree. */
	return asn1_find_node(node, name) != NULL;
}

int smime_asn1_decode(const char *type, const unsigned char *der, size_t len,
		      bool allow_zeros, asn1_node *out)
{
	asn1_node defs = smime_cms_definitions(), node = NULL;
	int r, used;

	*out = NULL;
	if (defs == NULL)
		return SMIME_E_NOMEM;
	if (len > INT_MAX)
		return SMIME_E_LIMIT; /* libtasn1 counts in int */
	if (der == NULL || len == 0)
		return SMIME_E_PARSE;
	r = asn1_create_element(defs, type, &node);
	if (r != ASN1_SUCCESS)
		return smime_asn1_err(r);
	used = (int)len;
	r = asn1_der_decoding2(&node, der, &used,
			       ASN1_DECODE_FLAG_ALLOW_PADDING, NULL);
	if (r != ASN1_SUCCESS) {
		smime_asn1_free(&node);
		return smime_asn1_err(r);
	}
	if (used < 0 || (size_t)used > len)
		goto bad;
	for (size_t i = (size_t)used; i < len; i++)
		if (!allow_zeros || der[i] != 0)
			goto bad;
	*out = node;
	return 0;
bad:
	smime_asn1_free(&node);
	return SMIME_E_PARSE;
}

/* Where the named element sits in der: [*start, *end). */
static int element_range(asn1_node node, const unsigned char *der, size_t len,
			 const char *name, size_t *start, size_t *end)
{
	int s, e, r;

	if (len > INT_MAX)
		return SMIME_E_LIMIT;
	r = asn1_der_decoding_startEnd(node, der, (int)len, name, &s, &e);
	if (r != ASN1_SUCCESS)
		return smime_asn1_err(r);
	if (s < 0 || e < s || (size_t)e >= len)
		return SMIME_E_PARSE;
	*start = (size_t)s;
	*end = (size_t)e + 1;
	return 0;
}

int smime_asn1_inner(asn1_node node, const unsigned char *der, size_t len,
		     const char *name, const unsigned char **out,
		     size_t *outlen)
{
	size_t start, end;
	smime_ber e;
	int ret;

	*out = NULL;
	*outlen = 0;
	ret = element_range(node, der, len, name, &start, &end);
	if (ret < 0)
		return ret;
	if (!smime_ber_at(der + start, end - start, &e) || !e.cons ||
	    e.len != end - start)
		return SMIME_E_PARSE;
	*out = e.v;
	*outlen = e.vlen;
	return 0;
}

int smime_asn1_view(asn1_node node, const unsigned char *der, size_t len,
		    const char *name, const unsigned char **out, size_t *outlen)
{
	size_t start, end;
	smime_ber e;
	int ret;

	*out = NULL;
	*outlen = 0;
	ret = element_range(node, der, len, name, &start, &end);
	if (ret < 0)
		return ret;
	if (!smime_ber_at(der + start, end - start, &e))
		return SMIME_E_PARSE;
	if (e.cons)
		return SMIME_E_UNSUPPORTED; /* BER chunks: no single view */
	if (e.len != end - start)
		return SMIME_E_PARSE;
	*out = e.v;
	*outlen = e.vlen;
	return 0;
}

int smime_asn1_read_iasn(asn1_node node, const char *name, char **issuer,
			 unsigned char **issuer_der, size_t *issuer_der_len,
			 char **serial_hex)
{
	smime_asn1_path p;
	unsigned char *dn = NULL, *serial = NULL;
	size_t dnlen, slen;
	int ret;

	*issuer = NULL;
	*serial_hex = NULL;
	if (issuer_der != NULL) {
		*issuer_der = NULL;
		*issuer_der_len = 0;
	}
	ret = smime_asn1_read(node, smime_asn1_path_fmt(&p, "%s.issuer", name),
			      &dn, &dnlen);
	if (ret < 0)
		goto cleanup;
	ret = smime_asn1_read(node,
			      smime_asn1_path_fmt(&p, "%s.serialNumber", name),
			      &serial, &slen);
	if (ret < 0)
		goto cleanup;
	if (slen == 0) {
		ret = SMIME_E_PARSE;
		goto cleanup;
	}
	ret = smime_dn_to_string(dn, dnlen, issuer);
	if (ret < 0)
		goto cleanup;
	ret = smime_serial_hex(serial, slen, serial_hex);
	if (ret < 0)
		goto cleanup;
	if (issuer_der != NULL) {
		*issuer_der = dn;
		*issuer_der_len = dnlen;
		dn = NULL;
	}
cleanup:
	if (ret < 0) {
		free(*issuer);
		*issuer = NULL;
	}
	free(dn);
	free(serial);
	return ret;
}

/* ------------------------------------------------------------------ */
/* ContentInfo                                                          */
/* ------------------------------------------------------------------ */

void smime_cms_limits_default(smime_cms_limits *l)
{
	l->max_recipients = DEFAULT_MAX_RECIPIENTS;
	l->max_certificates = DEFAULT_MAX_CERTIFICATES;
}

int smime_cms_signed_data(const unsigned char *der, size_t len,
			  const unsigned char **sd, size_t *sdlen)
{
	asn1_node ci = NULL;
	char *ct = NULL;
	int ret;

	ret = smime_asn1_decode("SmimeCMS.ContentInfo", der, len, true, &ci);
	if (ret == 0)
		ret = smime_asn1_read_oid(ci, "contentType", &ct);
	if (ret == 0 && strcmp(ct, OID_SIGNED_DATA) != 0)
		ret = SMIME_E_PARSE;
	if (ret == 0)
		ret = smime_asn1_inner(ci, der, len, "content", sd, sdlen);
	free(ct);
	smime_asn1_free(&ci);
	return ret;
}

/* The content of the ContentInfo der decoded into t and read into info;
 * keep: the caller reads t next. */
static int read_content_info(const unsigned char *der, size_t len,
			     const smime_cms_limits *limits, bool keep,
			     smime_cms_info *info, smime_cms_tree *t)
{
	asn1_node ci = NULL;
	const unsigned char *inner;
	size_t innerlen;
	const char *ct;
	int ret;

	/* A big encrypted content stays out of libtasn1's trees. */
	ret = smime_cms_hollow(der, len, &info->hollow, t);
	if (ret < 0)
		goto cleanup;
	if (ret == 1) {
		der = info->hollow.data;
		len = info->hollow.len;
	}
	/* Trailing zero bytes are block padding some encoders leave. */
	ret = smime_asn1_decode("SmimeCMS.ContentInfo", der, len, true, &ci);
	if (ret < 0)
		goto cleanup;
	ret = smime_asn1_read_oid(ci, "contentType", &info->content_type_oid);
	if (ret < 0)
		goto cleanup;
	ct = info->content_type_oid;
	if (strcmp(ct, OID_SIGNED_DATA) == 0)
		info->kind = SMIME_KIND_SIGNED; /* opaque or not: see below */
	else if (strcmp(ct, OID_ENVELOPED_DATA) == 0)
		info->kind = SMIME_KIND_ENVELOPED;
	else if (strcmp(ct, OID_AUTH_ENVELOPED_DATA) == 0)
		info->kind = SMIME_KIND_AUTH_ENVELOPED;
	else {
		info->kind = SMIME_KIND_OTHER;
		goto cleanup; /* a well-formed ContentInfo we do not read */
	}
	if (!smime_asn1_present(ci, "content")) {
		ret = SMIME_E_PARSE;
		goto cleanup;
	}
	ret = smime_asn1_inner(ci, der, len, "content", &inner, &innerlen);
	if (ret < 0)
		goto cleanup;
	/* The outer tree holds a copy of the content: free it first. */
	smime_asn1_free(&ci);
	if (info->kind == SMIME_KIND_SIGNED) {
		ret = smime_cms_signed_decode(der, len, inner, innerlen, t);
		if (ret == 0)
			ret = smime_cms_read_signed(t, limits, keep, info);
	} else {
		t->ci = der;
		t->ci_len = len;
		t->der = inner;
		t->len = innerlen;
		ret = smime_cms_read_enveloped(
			t, info->kind == SMIME_KIND_AUTH_ENVELOPED, limits,
			info);
	}
cleanup:
	smime_asn1_free(&ci);
	return ret;
}

int smime_cms_read_tree(const unsigned char *der, size_t len,
			const smime_cms_limits *limits, smime_cms_info *info,
			smime_cms_tree *tree)
{
	smime_cms_limits deflimits;
	smime_cms_tree local;
	smime_cms_tree *t = tree != NULL ? tree : &local;
	int ret;

	memset(t, 0, sizeof(*t));
	if (info == NULL)
		return SMIME_E_ARG;
	memset(info, 0, sizeof(*info));
	if (der == NULL)
		return SMIME_E_ARG;
	if (limits == NULL) {
		smime_cms_limits_default(&deflimits);
		limits = &deflimits;
	}
	/* A SignedData with empty SETs of indefinite length is decoded a
	 * second time made readable (smime_cms_signed_decode); the copy
	 * goes with the tree. */
	ret = read_content_info(der, len, limits, tree != NULL, info, t);
	if (ret < 0 || tree == NULL)
		smime_cms_tree_free(t);
	return ret;
}

int smime_cms_read(const unsigned char *der, size_t len,
		   const smime_cms_limits *limits, smime_cms_info *info)
{
	return smime_cms_read_tree(der, len, limits, info, NULL);
}

static void recipient_free(smime_recipient *r)
{
	free(r->issuer);
	free(r->serial);
	free(r->ski);
	free(r->issuer_der);
	free(r->kek_id);
	free(r->key_alg);
	free(r->key_alg_oid);
	free(r->oaep_hash);
	free(r->oaep_mgf_hash);
}

static void signer_free(smime_signer *s)
{
	free(s->issuer);
	free(s->serial);
	free(s->ski);
	free(s->digest);
	free(s->sig_alg);
	free(s->address);
}

void smime_cms_info_free(smime_cms_info *info)
{
	if (info == NULL)
		return;
	free(info->content_type_oid);
	free(info->cipher_oid);
	for (size_t i = 0; i < info->nrecipients; i++)
		recipient_free(&info->recipients[i]);
	free(info->recipients);
	for (size_t i = 0; i < info->nsigners; i++)
		signer_free(&info->signers[i]);
	free(info->signers);
	smime_buf_free(&info->econtent);
	free(info->econtent_type_oid);
	smime_buf_free(&info->hollow);
	memset(info, 0, sizeof(*info));
}

/* ------------------------------------------------------------------ */
/* Raw CMS files                                                        */
/* ------------------------------------------------------------------ */

/* PEM labels of CMS: OpenSSL writes PKCS7 and CMS, GnuTLS writes the
 * long PKCS #7 form. */
static const char *const pem_labels[] = {
	"PKCS7", "CMS", "PKCS #7 SIGNED DATA", "PKCS7 SIGNED DATA", NULL,
};

#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END "
#define PEM_DASHES "-----"

static const unsigned char *skip_space(const unsigned char *p,
				       const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static bool starts_with(const unsigned char *p, const unsigned char *end,
			const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* The label after "-----BEGIN " at p, or NULL; *after is past "-----". */
static const char *pem_label_at(const unsigned char *p,
				const unsigned char *end,
				const unsigned char **after)
{
	if (!starts_with(p, end, PEM_BEGIN))
		return NULL;
	p += strlen(PEM_BEGIN);
	for (size_t i = 0; pem_labels[i] != NULL; i++) {
		size_t n = strlen(pem_labels[i]);

		if (starts_with(p, end, pem_labels[i]) &&
		    starts_with(p + n, end, PEM_DASHES)) {
			*after = p + n + strlen(PEM_DASHES);
			return pem_labels[i];
		}
	}
	return NULL;
}

static bool looks_der(const unsigned char *d, size_t len)
{
	size_t i = 2;

	/* SEQUENCE, a definite (short or up to 4-byte long) or indefinite
	 * length, then the contentType OID under 1.2.840.113549 (PKCS and
	 * S/MIME): text never starts like this. */
	if (len < 8 || d[0] != 0x30)
		return false;
	if (d[1] > 0x84)
		return false;
	if (d[1] > 0x80)
		i += d[1] - 0x80;
	if (len < i + 5)
		return false;
	return d[i] == 0x06 && d[i + 1] >= 6 && d[i + 1] < 0x80 &&
	       d[i + 2] == 0x2a && d[i + 3] == 0x86 && d[i + 4] == 0x48;
}

bool smime_cms_looks_raw(const unsigned char *data, size_t len)
{
	const unsigned char *after, *end = data + len;

	if (data == NULL)
		return false;
	if (looks_der(data, len))
		return true;
	return pem_label_at(skip_space(data, end), end, &after) != NULL;
}

int smime_cms_from_pem(const unsigned char *data, size_t len, smime_buf *out)
{
	const unsigned char *p, *body, *end = data + len, *stop;
	const char *label;

	if (data == NULL || out == NULL)
		return SMIME_E_ARG;
	if (looks_der(data, len))
		return smime_buf_append(out, data, len);
	/* The first block with a CMS label, wherever it starts. */
	for (p = data; p < end; p++) {
		if (*p == '-' && (label = pem_label_at(p, end, &body)) != NULL)
			break;
	}
	if (p >= end)
		return SMIME_E_PARSE;
	for (stop = body; stop < end; stop++) {
		if (*stop == '-' && starts_with(stop, end, PEM_END) &&
		    starts_with(stop + strlen(PEM_END), end, label))
			break;
	}
	if (stop >= end)
		return SMIME_E_PARSE;
	return smime_base64_decode(body, (size_t)(stop - body), out);
}
