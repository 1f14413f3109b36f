/*
 * fuzz_analyze.c - fuzz harness for smime_analyze(), the milter's own
 * code path from a message to its S/MIME facts and its
 * Authentication-Results header: MIME tree, transfer decoding (base64),
 * the CMS reader for every pkcs7 entity, the descent into
 * multipart/signed and opaque SignedData content, the verification of
 * every SignerInfo against a trust store (the CA certificates of the
 * corpus, tests/fuzz/trust-anchors.pem, so seeds get as far as the chain
 * and address checks; the clock is fixed so runs are reproducible), and
 * smime_authres_collect() + smime_authres_format() on the verdicts.
 *
 * The input is a whole message.  It is analysed twice, as the two
 * callers do: split into header fields and body (the milter receives
 * them apart; milter/process.c), and as one buffer (smime-tool inspect,
 * raw CMS files).  Checks: only resource errors may fail the analysis,
 * every layer and verdict is well-formed (a reason belongs to its
 * result, pass has none) and freeable, smime_facts_weakest() returns
 * one of the layers, and the A-R value keeps the promises checked by
 * fuzz_check_authres_value() (fuzz.h).
 *
 * The recipients' enc_key views must point into the DER the layer keeps
 * (smime_layer.der) or, for a raw CMS input, into the input itself; they
 * are read, so a dangling view is an ASan report (F1, fixed).
 */
#include "fuzz.h"

#ifndef FUZZ_DIR
#error "FUZZ_DIR must name tests/fuzz of the source tree"
#endif

#define AUTHSERV_ID "mx.example.org"
#define FIXED_NOW ((time_t)1750000000) /* 2025-06-15 */

static void check_sigcheck(const smime_sigcheck *c)
{
	fuzz_check(c->result >= SMIME_RESULT_PASS &&
		   c->result <= SMIME_RESULT_PERMERROR);
	fuzz_check((unsigned)c->reason < SMIME_REASON_COUNT);
	if (c->result == SMIME_RESULT_PASS)
		fuzz_check(c->reason == SMIME_REASON_NONE);
	else
		fuzz_check(c->reason != SMIME_REASON_NONE &&
			   smime_reason_result(c->reason) == c->result &&
			   (c->problems & SMIME_REASON_BIT(c->reason)) != 0);
	fuzz_touch_str(c->identifier);
	fuzz_touch_str(c->cert_issuer);
	fuzz_touch_str(c->cert_serial);
}

/* The header the milter would add for these facts. */
static void check_authres(const smime_facts *f)
{
	smime_resinfo *v = NULL;
	smime_buf out = SMIME_BUF_INIT;
	size_t n = 0, total = 0;
	int rc;

	for (size_t i = 0; i < f->nlayers; i++)
		total += f->layers[i].nchecks;
	rc = smime_authres_collect(f, &v, &n);
	fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
	if (rc == 0 && n > 0) {
		fuzz_check(n == total);
		rc = smime_authres_format(AUTHSERV_ID, v, n, &out);
		fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
		if (rc == 0)
			fuzz_check_authres_value(AUTHSERV_ID, &out);
	}
	smime_buf_free(&out);
	free(v);
}

static bool inside(const unsigned char *p, size_t n, const unsigned char *buf,
		   size_t len)
{
	return buf != NULL && p >= buf && p <= buf + len &&
	       n <= (size_t)(buf + len - p);
}

/* Every enc_key view lies in the layer's DER, its ContentInfo decoded
 * without the encrypted content (cms_hollow.c), or the input. */
static void check_views(const smime_layer *l, const uint8_t *in, size_t inlen)
{
	for (size_t i = 0; i < l->cms.nrecipients; i++) {
		const smime_recipient *r = &l->cms.recipients[i];

		if (r->enc_key == NULL) {
			fuzz_check(r->enc_key_len == 0);
			continue;
		}
		fuzz_check(inside(r->enc_key, r->enc_key_len, l->der.data,
				  l->der.len) ||
			   inside(r->enc_key, r->enc_key_len,
				  l->cms.hollow.data, l->cms.hollow.len) ||
			   inside(r->enc_key, r->enc_key_len, in, inlen));
		fuzz_touch_mem(r->enc_key, r->enc_key_len);
	}
}

static void check_facts(const smime_facts *f, const smime_analyze_opts *o,
			const uint8_t *in, size_t inlen)
{
	const smime_layer *weakest;

	fuzz_check(f->nlayers == 0 || f->layers != NULL);
	for (size_t i = 0; i < f->nlayers; i++) {
		const smime_layer *l = &f->layers[i];

		fuzz_check(memchr(l->part, '\0', sizeof(l->part)) != NULL);
		fuzz_check(l->level < o->max_nesting);
		fuzz_check(l->error <= 0 && !smime_err_is_resource(l->error));
		fuzz_check(l->strength == SMIME_STRENGTH_STRONG ||
			   l->strength == SMIME_STRENGTH_LEGACY ||
			   l->strength == SMIME_STRENGTH_WEAK ||
			   l->strength == SMIME_STRENGTH_UNKNOWN);
		/* a cipher this build cannot name is never counted strong */
		if ((l->kind == SMIME_KIND_ENVELOPED ||
		     l->kind == SMIME_KIND_AUTH_ENVELOPED) &&
		    l->cms.cipher == NULL)
			fuzz_check(l->strength == SMIME_STRENGTH_UNKNOWN);
		fuzz_touch_str(smime_kind_name(l->kind));
		fuzz_touch_str(smime_strength_name(l->strength));
		fuzz_check_cms_info(NULL, 0, &l->cms, false);
		check_views(l, in, inlen);
		fuzz_check(l->nchecks == 0 || l->checks != NULL);
		for (size_t j = 0; j < l->nchecks; j++)
			check_sigcheck(&l->checks[j]);
	}
	weakest = smime_facts_weakest(f);
	if (weakest != NULL)
		fuzz_check(weakest >= f->layers &&
			   weakest < f->layers + f->nlayers);
}

static void analyze(const uint8_t *buf, size_t len, const smime_headers *top,
		    const smime_analyze_opts *o)
{
	smime_facts facts;
	int rc;

	rc = smime_analyze(buf, len, top, o, &facts);
	fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
	if (rc == 0) {
		check_facts(&facts, o, buf, len);
		check_authres(&facts);
	}
	smime_facts_free(&facts);
}

int fuzz_analyze(const uint8_t *data, size_t size)
{
	static const char *const weak_digests[] = {"md5", "sha1"};
	static smime_trust *trust;
	smime_headers hdrs = SMIME_HEADERS_INIT;
	smime_analyze_opts opts;
	size_t body_off = 0;

	if (trust == NULL) {
		smime_trust_config tc = {FUZZ_DIR "/trust-anchors.pem", NULL,
					 weak_digests, 2, 2048};
		smime_buf diags = SMIME_BUF_INIT;

		fuzz_check(smime_global_init() == 0);
		if (smime_trust_load(&tc, &trust, &diags) != 0) {
			fprintf(stderr, "%.*s", (int)diags.len,
				(const char *)diags.data);
			fuzz_fail("cannot load the trust anchors");
		}
		smime_buf_free(&diags);
	}
	smime_analyze_opts_default(&opts);
	opts.trust = trust;
	opts.now = FIXED_NOW;
	if (smime_message_split(data, size, &hdrs, &body_off) == 0)
		analyze(data + body_off, size - body_off, &hdrs, &opts);
	smime_headers_free(&hdrs);
	analyze(data, size, NULL, &opts);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_analyze)
