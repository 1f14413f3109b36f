/*
 * config_trust.c - builds the trust store (TrustAnchorFile, CRLFile,
 * WeakDigests, MinRSABits) once, as part of loading the configuration, so
 * no message pays for parsing certificates and CRLs and a SIGHUP swaps
 * them with everything else.  The same store judges signers and, for
 * outbound re-encryption, recipient certificates (smime_trust_recipient).
 * Without TrustAnchorFile the store is empty: every chain is then
 * untrusted (policy untrusted; a recipient unknown-recipient), never
 * skipped.
 */
#include "milter.h"

int milter_config_load_trust(milter_config *cfg, smime_buf *diags)
{
	smime_trust_config tc = {
		.anchor_file = cfg->trust_anchor_file,
		.crl_path = cfg->crl_file,
		.weak_digests = (const char *const *)cfg->weak_digests,
		.nweak_digests = cfg->nweak_digests,
		.min_rsa_bits = cfg->min_rsa_bits,
	};
	int rc;

	rc = smime_trust_load(&tc, &cfg->trust, diags);
	if (rc < 0 && diags != NULL && diags->len == 0)
		smime_buf_printf(diags, "%s: trust store: %s\n", cfg->file,
				 smime_strerror(rc));
	if (rc < 0)
		return milter_cfg_reported(rc);
	cfg->analyze.trust = cfg->trust;
	return SMIME_OK;
}
