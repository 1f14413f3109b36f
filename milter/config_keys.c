/*
 * config_keys.c - loads what re-encryption needs as part of the
 * configuration (KeyStore, CertDirectory, SenderLoginMap), so -n checks
 * them, SIGHUP swaps them with everything else and no message pays for
 * reading keys or certificates.  Recipient certificates are judged
 * against the trust store of config_trust.c (smime_trust_recipient).
 * Both stores also serve verification: a signer certificate a SignedData
 * lacks is looked for among them (cfg->analyze.local, SPEC section 9).
 *
 * Promises: a KeyStore with any problem (a private key readable by group
 * or others above all) fails the load, since the engine refuses partial
 * stores; a CertDirectory loads with the files that are certificates and
 * reports the rest; a SenderLoginMap with a bad line fails the load.
 * Problems are "FILE: message" (FILE:LINE: for the map) lines in diags.
 */
#include "milter.h"

int milter_config_load_keys(milter_config *cfg, smime_buf *diags)
{
	int rc;

	if (cfg->key_store != NULL) {
		size_t before = diags ? diags->len : 0;
		rc = smime_keystore_load(cfg->key_store, diags, &cfg->keystore);
		if (rc < 0) {
			if (diags != NULL && diags->len == before)
				smime_buf_printf(diags, "%s: key store: %s\n",
						 cfg->key_store,
						 smime_strerror(rc));
			return milter_cfg_reported(rc);
		}
	}
	if (cfg->cert_directory != NULL) {
		rc = smime_certdir_load(cfg->cert_directory, diags,
					&cfg->certdir);
		if (rc < 0) {
			smime_buf_printf(diags,
					 "%s: certificate directory: "
					 "%s\n",
					 cfg->cert_directory,
					 smime_strerror(rc));
			return milter_cfg_reported(rc);
		}
	}
	if (cfg->sender_login_map != NULL) {
		rc = milter_loginmap_load(cfg->sender_login_map,
					  &cfg->login_map, diags);
		if (rc != 0)
			return rc;
	}
	cfg->analyze.local.keys = cfg->keystore;
	cfg->analyze.local.certdir = cfg->certdir;
	return SMIME_OK;
}
