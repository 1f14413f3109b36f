/*
 * fuzz_analyze.c - fuzz harness for smime_analyze(), the milter's own
 * code path from a message to its S/MIME facts: MIME tree, transfer
 * decoding (base64), the CMS reader for every pkcs7 entity, and the
 * descent into multipart/signed and opaque SignedData content.
 *
 * The input is a whole message.  It is analysed twice, as the two
 * callers do: split into header fields and body (the milter receives
 * them apart; milter/process.c), and as one buffer (smime-tool inspect,
 * raw CMS files).  Checks: only resource errors may fail the analysis,
 * every layer is well-formed and freeable, and smime_facts_weakest()
 * returns one of the layers.
 *
 * The recipients' enc_key views are not read: they point into DER the
 * analysis decoded and freed (see tests/fuzz/README.md).
 */
#include "fuzz.h"

static void check_facts(const smime_facts *f, const smime_analyze_opts *o)
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
			   l->strength == SMIME_STRENGTH_WEAK);
		fuzz_touch_str(smime_kind_name(l->kind));
		fuzz_touch_str(smime_strength_name(l->strength));
		fuzz_check_cms_info(NULL, 0, &l->cms, false);
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
	if (rc == 0)
		check_facts(&facts, o);
	smime_facts_free(&facts);
}

int fuzz_analyze(const uint8_t *data, size_t size)
{
	static int initialised;
	smime_headers hdrs = SMIME_HEADERS_INIT;
	smime_analyze_opts opts;
	size_t body_off = 0;

	if (!initialised) {
		fuzz_check(smime_global_init() == 0);
		initialised = 1;
	}
	smime_analyze_opts_default(&opts);
	if (smime_message_split(data, size, &hdrs, &body_off) == 0)
		analyze(data + body_off, size - body_off, &hdrs, &opts);
	smime_headers_free(&hdrs);
	analyze(data, size, NULL, &opts);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_analyze)
