/*
 * fuzz_cms.c - fuzz harness for the CMS reader of crypto/: the input is
 * the raw bytes of a ContentInfo (DER, or the indefinite-length BER of
 * streaming clients) given to smime_cms_read(), once with the default
 * limits and once with tiny ones; then the raw-file recognition
 * (smime_cms_looks_raw, smime_cms_from_pem) on the same bytes, and
 * the same bytes as an SMIMECapabilities value (smime_caps_parse), as a
 * directory's userSMIMECertificate value (smime_found_add_smime_cert),
 * and, cut down as HarvestToLDAP publishes a signer
 * (smime_publish_signer), read back the same way, and as an
 * EnvelopedData to open (smime_envelope_parse, with the KeyAgree
 * RecipientInfos' originator keys, ukm and key wrap).
 *
 * Checks beyond "no crash, no leak": the documented return codes only,
 * every string of the info readable, every view (enc_key) inside the
 * input, counts within the limits on success, and the info freeable on
 * every path.
 */
#include "fuzz.h"

static void read_with(const uint8_t *data, size_t size,
		      const smime_cms_limits *lim)
{
	smime_cms_info info;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = smime_cms_read(data, size, lim, &info);
	fuzz_check(rc == 0 || rc == SMIME_E_PARSE || rc == SMIME_E_LIMIT ||
		   rc == SMIME_E_UNSUPPORTED || rc == SMIME_E_NOMEM);
	fuzz_check_cms_info(data, size, &info, true);
	if (rc == 0) {
		fuzz_check(info.nrecipients <= lim->max_recipients);
		fuzz_check(info.ncertificates <= lim->max_certificates);
		fuzz_check(info.kind != SMIME_KIND_NONE);
	}
	smime_cms_info_free(&info);
}

/* SMIMECapabilities: a bounded result of known ciphers, or an empty one
 * on failure. */
static void read_caps(const uint8_t *data, size_t size)
{
	smime_caps caps;
	int rc = smime_caps_parse(data, size, &caps);

	fuzz_check(rc == 0 || rc == SMIME_E_PARSE || rc == SMIME_E_NOMEM);
	fuzz_check(caps.n <= SMIME_CAPS_MAX);
	fuzz_check(rc == 0 || (caps.n == 0 && caps.other == 0));
	for (size_t i = 0; i < caps.n; i++)
		fuzz_check(smime_cipher_by_id(caps.cipher[i]) != NULL &&
			   caps.cipher[i] != SMIME_CIPHER_UNKNOWN);
}

/* A userSMIMECertificate value: certificates at most 16, the value the
 * gateway would publish readable again. */
static void read_published(const uint8_t *data, size_t size)
{
	smime_found f = {0}, back = {0};
	smime_buf out = SMIME_BUF_INIT;
	int rc = smime_found_add_smime_cert(&f, data, size, "fuzz");

	fuzz_check(rc == 0 || rc == SMIME_E_PARSE || rc == SMIME_E_NOMEM);
	fuzz_check(f.ncerts <= 16);
	for (size_t i = 0; i < f.ncerts; i++)
		fuzz_check(smime_cert_get_info(f.certs[i])->subject != NULL);
	rc = smime_publish_signer(data, size, 0, &out);
	fuzz_check(rc == 0 || rc == SMIME_E_PARSE || rc == SMIME_E_NOMEM);
	if (rc == 0) {
		rc = smime_found_add_smime_cert(&back, out.data, out.len, "b");
		fuzz_check(rc == 0 || rc == SMIME_E_NOMEM);
	}
	smime_buf_free(&out);
	smime_found_clear(&f);
	smime_found_clear(&back);
}

int fuzz_cms(const uint8_t *data, size_t size)
{
	static int initialised;
	smime_cms_limits lim, tiny = {2, 2, NULL};
	smime_buf der = SMIME_BUF_INIT;
	int rc;

	if (!initialised) {
		fuzz_check(smime_global_init() == 0);
		initialised = 1;
	}
	smime_cms_limits_default(&lim);
	read_with(data, size, &lim);
	read_with(data, size, &tiny);
	read_caps(data, size);
	read_published(data, size);
	{
		/* the opener's reading, key agreement details included */
		smime_envelope *env = NULL;

		rc = smime_envelope_parse(data, size, &lim, &env);
		fuzz_check(rc == 0 || rc == SMIME_E_PARSE ||
			   rc == SMIME_E_LIMIT || rc == SMIME_E_UNSUPPORTED ||
			   rc == SMIME_E_NOMEM);
		smime_envelope_free(env);
	}

	if (smime_cms_looks_raw(data, size)) {
		rc = smime_cms_from_pem(data, size, &der);
		fuzz_check(rc == 0 || rc == SMIME_E_PARSE ||
			   rc == SMIME_E_NOMEM);
		fuzz_touch_mem(der.data, der.len);
	}
	smime_buf_free(&der);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_cms)
