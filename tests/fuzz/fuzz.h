/*
 * fuzz.h - the entry points of the fuzz harnesses (tests/fuzz/fuzz_*.c).
 *
 * Each harness file holds one entry point, fuzz_TARGET(data, size), that
 * runs one input through the code under test and checks what it can
 * check (offsets inside the input, every returned string readable, no
 * leak).  Under libFuzzer, the file also defines LLVMFuzzerTestOneInput
 * calling it; built with -DFUZZ_REGRESS (tests/test_fuzz_regress.c) all
 * the harness files link into one program that replays the saved crash inputs
 * of tests/fuzz/regress/TARGET/ in the normal build.
 *
 * An entry point returns 0; a broken promise of the code under test ends
 * the process through fuzz_fail(), which libFuzzer reports as a crash.
 */
#ifndef SMIME_FUZZ_H
#define SMIME_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smime.h"

int fuzz_mime(const uint8_t *data, size_t size);
int fuzz_cms(const uint8_t *data, size_t size);
int fuzz_analyze(const uint8_t *data, size_t size);
int fuzz_rules(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size);
int fuzz_authres(const uint8_t *data, size_t size);
int fuzz_process(const uint8_t *data, size_t size);

/* A broken promise: say which, then abort (a crash for libFuzzer). */
#define fuzz_fail(what)                                                        \
	do {                                                                   \
		fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__,       \
			__LINE__, (what));                                     \
		abort();                                                       \
	} while (0)

#define fuzz_check(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(#cond);                                      \
	} while (0)

/* Reads every byte of a string the code under test handed out, so ASan
 * sees a dangling or unterminated one.  NULL is allowed. */
static inline size_t fuzz_touch_str(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

/* Reads every byte of a view (pointer + length). */
static inline unsigned fuzz_touch_mem(const void *p, size_t n)
{
	const volatile unsigned char *b = p;
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += b[i];
	return sum;
}

static inline bool fuzz_inside(const uint8_t *p, size_t n, const uint8_t *base,
			       size_t len)
{
	return base != NULL && p >= base && p <= base + len &&
	       n <= (size_t)(base + len - p);
}

/* der: the bytes read; hollow: the copy of them without the encrypted
 * content that was decoded instead (cms_hollow.c), when there is one. */
static inline void fuzz_check_recipient(const uint8_t *der, size_t len,
					const smime_buf *hollow,
					const smime_recipient *r, bool views)
{
	fuzz_touch_str(r->issuer);
	fuzz_touch_str(r->serial);
	fuzz_touch_str(r->ski);
	fuzz_touch_str(r->kek_id);
	fuzz_touch_str(r->key_alg);
	fuzz_touch_str(r->key_alg_oid);
	fuzz_touch_str(r->oaep_hash);
	fuzz_touch_str(r->oaep_mgf_hash);
	fuzz_touch_mem(r->issuer_der, r->issuer_der_len);
	if (!views)
		return;
	if (r->enc_key != NULL) {
		/* A view into the caller's DER or the hollow copy, never
		 * past it. */
		fuzz_check(fuzz_inside(r->enc_key, r->enc_key_len, der, len) ||
			   fuzz_inside(r->enc_key, r->enc_key_len, hollow->data,
				       hollow->len));
		fuzz_touch_mem(r->enc_key, r->enc_key_len);
	} else {
		fuzz_check(r->enc_key_len == 0);
	}
}

/* Reads every string and buffer of a CMS info.  With views, the views
 * into the DER (enc_key) must lie inside der[0..len) and are read too. */
static inline void fuzz_check_cms_info(const uint8_t *der, size_t len,
				       const smime_cms_info *info, bool views)
{
	fuzz_touch_str(info->content_type_oid);
	fuzz_touch_str(info->cipher_oid);
	fuzz_touch_str(info->econtent_type_oid);
	if (info->cipher != NULL)
		fuzz_touch_str(info->cipher->name);
	fuzz_check(info->nrecipients == 0 || info->recipients != NULL);
	for (size_t i = 0; i < info->nrecipients; i++)
		fuzz_check_recipient(der, len, &info->hollow,
				     &info->recipients[i], views);
	fuzz_check(info->nsigners == 0 || info->signers != NULL);
	for (size_t i = 0; i < info->nsigners; i++) {
		const smime_signer *s = &info->signers[i];

		fuzz_touch_str(s->issuer);
		fuzz_touch_str(s->serial);
		fuzz_touch_str(s->ski);
		fuzz_touch_str(s->digest);
		fuzz_touch_str(s->sig_alg);
		fuzz_touch_str(s->address);
	}
	fuzz_touch_mem(info->econtent.data, info->econtent.len);
	fuzz_touch_str(smime_kind_name(info->kind));
}

/* The promises of smime_authres_format() (smime.h) on its output for
 * authserv-id id: printable ASCII folded only as "\n" + blank, every
 * line (the first counted with "Authentication-Results: ") under 998,
 * and read back by smime_authres_inspect() to its end as ours (when id is
 * printable ASCII: other bytes become '?'), carrying smime and nothing
 * else. */
static inline void fuzz_check_authres_value(const char *id,
					    const smime_buf *out)
{
	smime_authres_info info;
	size_t col = strlen("Authentication-Results: ");
	bool printable_id = true;

	fuzz_check(out->data != NULL && out->len == strlen((char *)out->data));
	for (size_t i = 0; i < out->len; i++) {
		unsigned char c = out->data[i];

		if (c == '\n') {
			fuzz_check(i + 1 < out->len &&
				   (out->data[i + 1] == '\t' ||
				    out->data[i + 1] == ' '));
			col = 0;
			continue;
		}
		fuzz_check((c >= 0x20 && c <= 0x7e) || c == '\t');
		fuzz_check(++col < 998);
	}
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			printable_id = false;
	fuzz_check(smime_authres_inspect((const char *)out->data, id, &info) ==
		   0);
	fuzz_check(info.has_smime && !info.has_other && info.complete);
	if (printable_id)
		fuzz_check(info.ours);
	fuzz_check(smime_authres_is_forged((const char *)out->data, id) ==
		   info.ours);
}

#ifdef FUZZ_REGRESS
#define FUZZ_LIBFUZZER_ENTRY(fn)
#else
#define FUZZ_LIBFUZZER_ENTRY(fn)                                               \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);          \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)           \
	{                                                                      \
		return fn(data, size);                                         \
	}
#endif

#endif
