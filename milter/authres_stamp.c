/*
 * authres_stamp.c - the Authentication-Results side of the message path.
 *
 * Incoming A-R fields that carry our authserv-id and an smime result are
 * forged (only we may write those) and go, whatever else they hold; A-R
 * fields of other methods under our id (OpenDKIM, OpenDMARC) stay.  Then
 * one A-R field is added at the top with one resinfo per verified
 * SignerInfo, outermost layer first; a message without a reachable
 * signature gets none.  A message over MaxCryptoSize is not verified: when
 * its top entity is signed it gets one `neutral` resinfo with
 * reason="too-large", so downstream filters see why there is no verdict.
 */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AR "Authentication-Results"

static int remove_forged(const milter_config *cfg, const smime_headers *h,
			 smime_edits *edits)
{
	/* Last first, so the 1-based indices still to delete stay right.
	 * One backward walk over the fields: asking for the k-th instance
	 * each time would cost n * n on a header of 100,000 forged fields. */
	size_t k = 0;

	for (size_t i = 0; i < h->n; i++)
		k += strcasecmp(h->v[i].name, AR) == 0;
	for (size_t i = h->n; i > 0 && k > 0; i--) {
		const smime_header *f = &h->v[i - 1];
		int rc;
		if (strcasecmp(f->name, AR) != 0)
			continue;
		if (smime_authres_is_forged(f->value, cfg->authserv_id)) {
			rc = smime_edits_header(edits, SMIME_EDIT_CHANGE,
						(unsigned)k, AR, NULL);
			if (rc < 0)
				return rc;
		}
		k--;
	}
	return SMIME_OK;
}

/* The top entity of a message too large to analyse: signed or not? */
static bool top_is_signed(const milter_msg *m, const char **part)
{
	smime_mime_limits lim;
	smime_part *root = NULL;
	const char *st;
	bool is = false;

	smime_mime_limits_default(&lim);
	if (smime_mime_parse((const unsigned char *)"", 0, &m->headers, &lim,
			     &root) < 0)
		return false;
	if (strcmp(root->type, "multipart") == 0 &&
	    strcmp(root->subtype, "signed") == 0) {
		*part = "1";
		is = true;
	} else if (strcmp(root->type, "application") == 0 &&
		   (strcmp(root->subtype, "pkcs7-mime") == 0 ||
		    strcmp(root->subtype, "x-pkcs7-mime") == 0)) {
		st = smime_part_param(root, "smime-type");
		*part = "TEXT";
		is = st != NULL && strcasecmp(st, "signed-data") == 0;
	}
	smime_mime_free(root);
	return is;
}

/* An encrypted layer with nothing reached inside it. */
static bool unopened_encryption(const smime_facts *facts)
{
	for (size_t i = 0; i < facts->nlayers; i++) {
		const smime_layer *l = &facts->layers[i];
		if ((l->kind == SMIME_KIND_ENVELOPED ||
		     l->kind == SMIME_KIND_AUTH_ENVELOPED) &&
		    (i + 1 == facts->nlayers ||
		     facts->layers[i + 1].level <= l->level))
			return true;
	}
	return false;
}

/* The outer resinfos, then (with StampInnerSignatures) the inner ones. */
static int collect_all(const milter_config *cfg, const smime_facts *facts,
		       const smime_facts *inner, smime_resinfo **v, size_t *n)
{
	smime_resinfo *iv = NULL, *grown;
	size_t in = 0;
	int rc;

	rc = smime_authres_collect(facts, v, n);
	if (rc < 0 || !cfg->stamp_inner_signatures)
		return rc;
	rc = smime_authres_collect(inner, &iv, &in);
	if (rc < 0 || in == 0) {
		free(iv);
		return rc;
	}
	grown = realloc(*v, (*n + in) * sizeof(*grown));
	if (grown == NULL) {
		free(iv);
		return SMIME_E_NOMEM;
	}
	memcpy(grown + *n, iv, in * sizeof(*iv));
	*v = grown;
	*n += in;
	free(iv);
	return SMIME_OK;
}

/* SignerInfos the verifier saw, checked or not, in every layer. */
static unsigned long count_signatures(const smime_facts *facts)
{
	unsigned long n = facts->unchecked_signatures;

	for (size_t i = 0; i < facts->nlayers; i++)
		n += facts->layers[i].nchecks;
	return n;
}

/* The log's note on the first signature found inside decrypted content. */
static int note_inner(milter_pipe *p)
{
	const smime_facts *inner = &p->inner;

	for (size_t i = 0; i < inner->nlayers; i++) {
		const smime_layer *l = &inner->layers[i];
		smime_buf note = SMIME_BUF_INIT;
		int rc;

		if (l->nchecks == 0)
			continue;
		rc = smime_buf_printf(
			&note, "inner signature by %s: %s%s%s (%s)",
			l->checks[0].identifier ? l->checks[0].identifier
						: "unknown signer",
			smime_result_name(l->checks[0].result),
			l->checks[0].reason ? " " : "",
			l->checks[0].reason
				? smime_reason_name(l->checks[0].reason)
				: "",
			p->cfg->stamp_inner_signatures ? "stamped"
						       : "not stamped");
		if (rc == 0)
			rc = milter_note(p, (const char *)note.data);
		smime_buf_free(&note);
		return rc;
	}
	return SMIME_OK;
}

static bool any_lf_form(const smime_facts *facts)
{
	for (size_t i = 0; i < facts->nlayers; i++)
		for (size_t k = 0; k < facts->layers[i].nchecks; k++)
			if (facts->layers[i].checks[k].lf_form)
				return true;
	return false;
}

/* The resinfos of an analysed message, and the log's signer, result,
 * reason, signatures and bare-LF note; *value stays empty (and nothing
 * is stamped) without a signature. */
static int stamp_analysed(milter_pipe *p, smime_buf *value)
{
	const smime_facts *facts = &p->facts;
	milter_logline *l = &p->log;
	smime_resinfo *v = NULL;
	size_t n = 0;
	int rc;

	/* The log counts them all, inner ones included. */
	l->signatures = count_signatures(facts) + count_signatures(&p->inner);
	rc = collect_all(p->cfg, facts, &p->inner, &v, &n);
	if (rc == 0 && n == 0)
		goto cleanup;
	if (rc == 0)
		rc = smime_authres_format(p->cfg->authserv_id, v, n, value);
	if (rc == 0 && any_lf_form(facts))
		rc = milter_note(p, "a signature verified only over bare-LF "
				    "content (the signer did not "
				    "canonicalise)");
	if (rc == 0) {
		/* The log names the outermost signer. */
		l->signer = v[0].identifier;
		l->result = smime_result_name(v[0].result);
		l->reason = v[0].reason ? smime_reason_name(v[0].reason) : NULL;
	}
cleanup:
	free(v);
	return rc;
}

int milter_step_authres(milter_pipe *p)
{
	const milter_config *cfg = p->cfg;
	smime_resinfo big = {0};
	smime_buf value = SMIME_BUF_INIT;
	int rc;

	rc = remove_forged(cfg, &p->m->headers, p->edits);
	if (rc < 0)
		return rc;
	rc = note_inner(p);
	if (rc == 0 && !p->too_large && !p->reencrypted &&
	    unopened_encryption(&p->facts))
		rc = milter_note(p, "encrypted content: signatures inside it "
				    "are not verified");
	if (rc < 0)
		return rc;
	if (p->too_large) {
		if (!top_is_signed(p->m, &big.part))
			return SMIME_OK;
		big.result = SMIME_RESULT_NEUTRAL;
		big.reason = SMIME_REASON_TOO_LARGE;
		rc = smime_authres_format(cfg->authserv_id, &big, 1, &value);
	} else {
		rc = stamp_analysed(p, &value);
	}
	if (rc == 0 && value.len > 0)
		rc = smime_edits_header(p->edits, SMIME_EDIT_INSERT, 0, AR,
					(const char *)value.data);
	smime_buf_free(&value);
	return rc;
}
