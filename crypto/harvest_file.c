/*
 * harvest_file.c - the text of a harvest file (SPEC section 9), and the
 * entry it holds:
 *
 *   -----BEGIN CERTIFICATE-----      up to four, newest notBefore first,
 *   ...                              so `openssl x509 -in FILE` reads
 *   -----END CERTIFICATE-----        the newest
 *   Signing-Time: 2026-12-06T01:02:03Z
 *   -----BEGIN SMIME CAPABILITIES-----
 *   ...                              the DER of the SMIMECapabilities
 *   -----END SMIME CAPABILITIES-----
 *
 * The Signing-Time line is RFC 7468 explanatory text (OpenSSL and GnuTLS
 * pass over text outside blocks): the signingTime the capabilities came
 * with, in UTC; absent when the signature had none.  The capabilities
 * block is absent when no signature stated any.
 *
 * Promises: reading never fails on a damaged file, it keeps what reads
 * (a file is ours, but a disk or an editor may have damaged it); only
 * memory errors are errors.
 */
#include "harvest_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CERT_LABEL "CERTIFICATE"
#define CAPS_LABEL "SMIME CAPABILITIES"
#define TIME_TAG "Signing-Time: "
#define LABEL_MAX 64

void smime_harvest_entry_free(harvest_entry *e)
{
	for (size_t i = 0; i < e->ncerts; i++)
		free(e->certs[i].der);
	free(e->caps);
	memset(e, 0, sizeof *e);
}

int smime_harvest_cert_new(const unsigned char *der, size_t len,
			   harvest_cert *out)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
	int r;

	memset(out, 0, sizeof *out);
	if (len == 0 || len > 1u << 20)
		return SMIME_E_PARSE;
	if (gnutls_x509_crt_init(&crt) < 0)
		return SMIME_E_NOMEM;
	r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	if (r >= 0)
		out->not_before = gnutls_x509_crt_get_activation_time(crt);
	gnutls_x509_crt_deinit(crt);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return SMIME_E_NOMEM;
	if (r < 0 || out->not_before == (time_t)-1)
		return SMIME_E_PARSE;
	out->der = malloc(len);
	if (out->der == NULL)
		return SMIME_E_NOMEM;
	memcpy(out->der, der, len);
	out->len = len;
	return 0;
}

int smime_harvest_entry_add(harvest_entry *e, harvest_cert *c)
{
	size_t i = 0;

	while (i < e->ncerts && e->certs[i].not_before >= c->not_before)
		i++;
	if (i == SMIME_HARVEST_CERTS) {
		free(c->der); /* older than all four kept */
		memset(c, 0, sizeof *c);
		return 0;
	}
	if (e->ncerts == SMIME_HARVEST_CERTS)
		free(e->certs[--e->ncerts].der);
	memmove(&e->certs[i + 1], &e->certs[i],
		(e->ncerts - i) * sizeof e->certs[0]);
	e->certs[i] = *c;
	e->ncerts++;
	memset(c, 0, sizeof *c);
	return 1;
}

/* "2026-12-06T01:02:03Z" after TIME_TAG; false when it is not one. */
static bool parse_time(const char *s, size_t n, time_t *out)
{
	char buf[32];
	struct tm tm;
	char *end;

	if (n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(&tm, 0, sizeof tm);
	end = strptime(buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return false;
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

/* One block, from its BEGIN line to the end of its END line. */
static int take_block(harvest_entry *e, const char *label, const char *block,
		      size_t n, bool has_time, time_t time)
{
	gnutls_datum_t in = {(unsigned char *)block, (unsigned)n};
	gnutls_datum_t der = {NULL, 0};
	harvest_cert c;
	int r, ret = 0;

	r = gnutls_pem_base64_decode2(label, &in, &der);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return SMIME_E_NOMEM;
	if (r < 0)
		return 0; /* damaged: passed over */
	if (strcmp(label, CERT_LABEL) == 0) {
		ret = smime_harvest_cert_new(der.data, der.size, &c);
		if (ret == 0)
			smime_harvest_entry_add(e, &c);
	} else if (strcmp(label, CAPS_LABEL) == 0 && e->caps == NULL) {
		e->caps = malloc(der.size);
		if (e->caps == NULL) {
			ret = SMIME_E_NOMEM;
		} else {
			memcpy(e->caps, der.data, der.size);
			e->caps_len = der.size;
			e->has_time = has_time;
			e->time = time;
		}
	}
	gnutls_free(der.data);
	return ret == SMIME_E_NOMEM ? ret : 0;
}

/* The label of a "-----BEGIN LABEL-----" line into label. */
static bool begin_label(const char *line, size_t n, char *label)
{
	static const char begin[] = "-----BEGIN ";
	size_t k = sizeof begin - 1;

	if (n < k + 5 || memcmp(line, begin, k) != 0 ||
	    memcmp(line + n - 5, "-----", 5) != 0 || n - k - 5 >= LABEL_MAX)
		return false;
	memcpy(label, line + k, n - k - 5);
	label[n - k - 5] = '\0';
	return true;
}

static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

int smime_harvest_entry_parse(const unsigned char *text, size_t len,
			      harvest_entry *e)
{
	const char *p = (const char *)text, *end = p + len;
	char label[LABEL_MAX], endline[LABEL_MAX + 16];
	bool has_time = false;
	time_t time = 0;
	int ret = 0;

	memset(e, 0, sizeof *e);
	while (p < end && ret == 0) {
		size_t n = line_len(p, end);
		const char *block = p, *q;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > strlen(TIME_TAG) &&
		    memcmp(p, TIME_TAG, strlen(TIME_TAG)) == 0) {
			has_time = parse_time(p + strlen(TIME_TAG),
					      n - strlen(TIME_TAG), &time);
		} else if (begin_label(p, n, label)) {
			snprintf(endline, sizeof endline, "-----END %s-----",
				 label);
			q = memmem(p, (size_t)(end - p), endline,
				   strlen(endline));
			if (q == NULL)
				break;
			p = q + strlen(endline);
			ret = take_block(e, label, block, (size_t)(p - block),
					 has_time, time);
			has_time = false;
			continue;
		}
		p += n;
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
	}
	if (ret < 0)
		smime_harvest_entry_free(e);
	return ret;
}

static int put_pem(smime_buf *out, const char *label, const unsigned char *der,
		   size_t len)
{
	gnutls_datum_t in = {(unsigned char *)der, (unsigned)len};
	gnutls_datum_t pem = {NULL, 0};
	int r = gnutls_pem_base64_encode2(label, &in, &pem), ret;

	if (r < 0)
		return r == GNUTLS_E_MEMORY_ERROR ? SMIME_E_NOMEM
						  : SMIME_E_CRYPTO;
	ret = smime_buf_append(out, pem.data, pem.size);
	gnutls_free(pem.data);
	return ret;
}

int smime_harvest_entry_format(const harvest_entry *e, smime_buf *out)
{
	char stamp[32];
	struct tm tm;
	int ret = 0;

	for (size_t i = 0; i < e->ncerts && ret == 0; i++)
		ret = put_pem(out, CERT_LABEL, e->certs[i].der,
			      e->certs[i].len);
	if (ret < 0 || e->caps == NULL)
		return ret;
	if (e->has_time && gmtime_r(&e->time, &tm) != NULL &&
	    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		ret = smime_buf_printf(out, "%s%s\n", TIME_TAG, stamp);
	if (ret == 0)
		ret = put_pem(out, CAPS_LABEL, e->caps, e->caps_len);
	return ret;
}
