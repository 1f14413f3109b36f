/*
 * harvest.c - the harvesting step (SPEC section 9, "Harvesting"): with
 * HarvestCertificates yes, every SignerInfo of the message as it arrived
 * (p->facts: the layers reachable without keys, so never what the
 * gateway decrypted, p->inner) whose result is `pass` has its signer's
 * certificate, SMIMECapabilities and signingTime stored in
 * HarvestDirectory (crypto/harvest.c) under the signer's address: the
 * certificate address that matched the From or Sender mailbox, which a
 * pass always has (smime_sigcheck.identifier), never a header's.
 *
 * Nothing is harvested from fail, policy, neutral, temperror or
 * permerror.  The step changes nothing of the message, its headers, the
 * log line or the verdict: what cannot be stored (an I/O error, memory,
 * HarvestMax reached, an address that makes no file name) is one log
 * line (milter_log) and the path goes on.
 *
 * With HarvestToLDAP yes the same goes to LDAPHarvestBase instead
 * (milter_directory_store, within the message's LDAPTimeout), but for an
 * address that is not ASCII, which LDAP's mail cannot hold: it goes to
 * HarvestDirectory.  It runs whatever DryRun says:
 * storing a certificate changes no mail.
 */
#include "pipeline.h"

#include <syslog.h>

/* Whether LDAP's mail (an IA5String) can hold the address. */
static bool ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 0x7e || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* HarvestToLDAP: the signer under LDAPHarvestBase, with the message's
 * SignedData cut down to this SignerInfo as its userSMIMECertificate. */
static void harvest_ldap(milter_pipe *p, const smime_layer *l, size_t k)
{
	const smime_sigcheck *c = &l->checks[k];
	ldap_store_req r = {.addr = c->identifier,
			    .cert = c->signer_der,
			    .cert_len = c->signer_der_len,
			    .has_signing_time = c->has_signing_time,
			    .signing_time = c->signing_time};
	smime_buf value = SMIME_BUF_INIT;
	const char *qid = p->log.queue_id;
	bool stored = false;
	int rc = smime_publish_signer(l->der.data, l->der.len, (int)k, &value);

	/* SPEC 9: a signingTime over a day ahead counts as arrival */
	if (r.has_signing_time && r.signing_time > p->now + 86400)
		r.signing_time = p->now;
	if (rc == 0) {
		r.value = value.data;
		r.value_len = value.len;
		rc = milter_directory_store(&p->dir, &r, &stored);
	}
	if (rc != 0)
		milter_log(LOG_ERR, qid,
			   "harvest: %s not harvested to LDAP: %s",
			   c->identifier,
			   rc == SMIME_DIR_UNAVAILABLE
				   ? "the directory did not answer"
			   : rc == MILTER_DIR_REFUSED
				   ? "the directory refused the write (access "
				     "to LDAPHarvestBase?)"
				   : smime_strerror(rc));
	smime_buf_free(&value);
}

static void harvest_one(const milter_pipe *p, const smime_sigcheck *c)
{
	const milter_config *cfg = p->cfg;
	smime_harvest_in in = {.addr = c->identifier,
			       .cert_der = c->signer_der,
			       .cert_len = c->signer_der_len,
			       .caps_der = c->has_caps ? c->caps_der : NULL,
			       .caps_len = c->has_caps ? c->caps_der_len : 0,
			       .has_signing_time = c->has_signing_time,
			       .signing_time = c->signing_time,
			       .now = p->now};
	smime_buf why = SMIME_BUF_INIT;
	const char *qid = p->log.queue_id;
	int rc = smime_harvest_store(cfg->harvest_directory, cfg->harvest_max,
				     &in, &why);

	if (rc == SMIME_HARVEST_FULL)
		milter_log(LOG_WARNING, qid,
			   "harvest: %s not harvested: HarvestMax (%u) "
			   "addresses reached in %s",
			   c->identifier, cfg->harvest_max,
			   cfg->harvest_directory);
	else if (rc == SMIME_HARVEST_UNNAMED)
		milter_log(LOG_INFO, qid,
			   "harvest: %s not harvested: the address makes no "
			   "file name",
			   c->identifier);
	else if (rc < 0)
		milter_log(LOG_ERR, qid, "harvest: %s not harvested: %s",
			   c->identifier,
			   why.len > 0 ? (const char *)why.data
				       : smime_strerror(rc));
	smime_buf_free(&why);
}

int milter_step_harvest(milter_pipe *p)
{
	bool to_ldap = p->cfg->harvest_to_ldap && p->cfg->directory != NULL;

	if (!p->cfg->harvest_certificates)
		return SMIME_OK;
	for (size_t i = 0; i < p->facts.nlayers; i++) {
		const smime_layer *l = &p->facts.layers[i];

		for (size_t k = 0; k < l->nchecks; k++) {
			const smime_sigcheck *c = &l->checks[k];

			if (c->result != SMIME_RESULT_PASS ||
			    c->signer_der == NULL || c->identifier == NULL)
				continue;
			if (to_ldap && ascii(c->identifier))
				harvest_ldap(p, l, k);
			else
				harvest_one(p, c);
		}
	}
	return SMIME_OK;
}
