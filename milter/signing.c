/*
 * signing.c - the `sign [KEYNAME]` action (SPEC sections 4, 5 and 8):
 * decides whether the gateway may sign this message, picks the key, and
 * turns the message into a detached multipart/signed through the engine
 * (smime_sign_message).
 *
 * Promises (SPEC section 8, no signing oracle): a message is signed only
 * when it is outbound; its header has exactly one From with exactly one
 * mailbox; the client authenticated as a login that may use that address
 * (SenderLoginMap, or the address equal to the login without a map), or
 * did not authenticate and SignUnauthenticated is yes; and the key's
 * certificate carries that address, also when the rule names the key, so
 * no rule and no login can borrow another person's signature; the
 * certificate must allow e-mail signatures (an encryption-only
 * certificate of the same person is passed over).  Mail
 * already signed or encrypted, too large, or without a usable key is not
 * signed.  Every refusal leaves the message unchanged and is logged as
 * sign=kept with a sign-reason; a message signed over a DKIM-Signature
 * says so in the log (sign-reason=dkim-signature-broken), since that
 * signature no longer verifies.  What is signed is the message as
 * `reencrypt` left it: an attachment re-encrypted just before is signed
 * in its new form.
 */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool cert_has_address(const smime_cert *c, const char *addr)
{
	const smime_cert_info *ci = smime_cert_get_info(c);
	char *norm = NULL;
	bool found = false;

	if (smime_address_normalise(addr, &norm) < 0)
		return false;
	for (size_t i = 0; i < ci->naddresses && !found; i++)
		found = strcasecmp(ci->addresses[i], norm) == 0;
	free(norm);
	return found;
}

/* The key for from: the one the rule names, else the first whose
 * certificate carries from; either way valid at now and carrying from. */
static const char *pick_key(const milter_config *cfg, const char *name,
			    const char *from, time_t now, const smime_key **out)
{
	const smime_key *k = NULL;
	size_t pos = 0;

	*out = NULL;
	if (cfg->keystore == NULL)
		return "no-key";
	if (name != NULL) {
		k = smime_keystore_by_name(cfg->keystore, name);
		if (k == NULL)
			return "no-key";
		if (!cert_has_address(smime_key_cert(k), from))
			return "address-mismatch";
		if (!smime_key_can_sign(k))
			return "key-usage";
	} else {
		/* Several keys may carry the address (a person's encryption
		 * and signing certificates): the first that may sign and is
		 * valid now, else the first that may sign, to say why. */
		const smime_key *c;
		while ((c = smime_keystore_find_address(cfg->keystore, from,
							&pos)) != NULL) {
			const smime_cert_info *ci =
				smime_cert_get_info(smime_key_cert(c));
			bool valid =
				ci->not_before <= now && now <= ci->not_after;

			if (!smime_key_can_sign(c))
				continue;
			if (k == NULL || valid)
				k = c;
			if (valid)
				break;
		}
		if (k == NULL)
			return "no-key";
	}
	{
		const smime_cert_info *ci =
			smime_cert_get_info(smime_key_cert(k));
		if (now > ci->not_after)
			return "expired";
		if (now < ci->not_before)
			return "not-yet-valid";
	}
	*out = k;
	return NULL;
}

/* The outermost S/MIME entity of the message: a top-level
 * application/pkcs7-mime ("TEXT") or the signed part of a top-level
 * multipart/signed ("1"); nested ones are parts like any other. */
static bool is_top_layer(const smime_layer *l)
{
	return l->level == 0 &&
	       (strcmp(l->part, "TEXT") == 0 ||
		(l->kind == SMIME_KIND_SIGNED && strcmp(l->part, "1") == 0));
}

/* Why this message must not be signed, or NULL when it may be.  Only
 * the message as a whole counts as signed or encrypted: a part that is
 * (an attachment encrypted on its own, a forwarded signed message) is
 * signed over with the rest (SPEC 5: no transform is skipped because
 * an earlier one changed the body). */
static const char *refusal(const milter_pipe *p, const char *from)
{
	const smime_facts *facts = &p->facts;
	const milter_msg *m = p->m;

	if (!p->outbound)
		return "inbound";
	if (p->too_large)
		return "too-large";
	for (size_t i = 0; i < facts->nlayers; i++) {
		smime_kind k = facts->layers[i].kind;
		if (!is_top_layer(&facts->layers[i]))
			continue;
		if (k == SMIME_KIND_SIGNED || k == SMIME_KIND_OPAQUE_SIGNED)
			return "already-signed";
		if (k == SMIME_KIND_ENVELOPED || k == SMIME_KIND_AUTH_ENVELOPED)
			return "already-encrypted";
	}
	if (facts->truncated)
		return "too-large";
	if (from == NULL)
		return "no-single-from";
	if (m->auth_user != NULL) {
		if (!milter_login_may_use(p->cfg->login_map, m->auth_user,
					  from))
			return "not-authorized";
	} else if (!p->cfg->sign_unauthenticated) {
		return "not-authenticated";
	}
	return NULL;
}

static void kept(milter_logline *l, const char *reason)
{
	l->sign = MILTER_ACT_KEPT;
	l->sign_reason = reason;
}

int milter_step_signing(milter_pipe *p)
{
	const milter_config *cfg = p->cfg;
	const milter_msg *m = p->m;
	smime_edits *edits = p->edits;
	smime_sign_opts opts = {0};
	milter_current cur;
	const smime_key *key = NULL;
	const char *why;
	char *from = NULL;
	int rc;

	/* Nothing asked, or a verdict came first (its action says so). */
	if (p->sign == NULL || edits->verdict != SMIME_VERDICT_ACCEPT)
		return SMIME_OK;
	rc = milter_single_from(&m->headers, &from);
	if (rc < 0)
		return rc;
	why = refusal(p, from);
	if (why == NULL)
		why = pick_key(cfg, p->sign->arg, from, p->now, &key);
	if (why != NULL) {
		kept(&p->log, why);
		goto cleanup;
	}
	opts.digest = cfg->sign_digest;
	opts.spill_dir = cfg->temp_directory;
	opts.rsa_padding =
		cfg->sign_rsa_padding != NULL &&
				strcasecmp(cfg->sign_rsa_padding, "pss") == 0
			? SMIME_SIGN_PSS
			: SMIME_SIGN_PKCS1;
	/* What reencrypt left (SPEC 5: each transform on the result of the
	 * one before). */
	rc = milter_current_get(p, &cur);
	if (rc == 0) {
		rc = smime_sign_message(key, &opts, &cur.headers, cur.body,
					cur.len, &cfg->analyze.mime, edits);
		milter_current_done(p, &cur);
	}
	if (rc < 0) {
		if (smime_err_is_resource(rc))
			goto cleanup;
		kept(&p->log, rc == SMIME_E_LIMIT   ? "too-large"
			      : rc == SMIME_E_PARSE ? "malformed"
						    : "sign-failed");
		rc = SMIME_OK;
		goto cleanup;
	}
	p->log.sign = MILTER_ACT_SIGNED;
	p->log.sign_reason = NULL;
	if (smime_headers_count(&m->headers, "DKIM-Signature") > 0)
		p->log.sign_reason = "dkim-signature-broken";
cleanup:
	free(from);
	return rc;
}
