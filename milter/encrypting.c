/*
 * encrypting.c - the `encrypt CIPHER|auto` action (SPEC section 9): the
 * whole message, as `reencrypt` and `sign` left it, sealed for every
 * envelope recipient (Bcc included: a milter cannot split a message) and,
 * under EncryptToSender, for the sender.
 *
 * Fail closed.  Every path that does not encrypt a message the rule
 * matched ends in a verdict that delivers nothing:
 *   - a recipient without a usable certificate the engine can wrap to
 *     (RSA, or EC on P-256, P-384, P-521): 550 5.7.1 naming the first
 *     such recipient, even when another one's lookup failed;
 *   - a directory that could not answer for a recipient: 451 4.7.1;
 *   - a message over MaxCryptoSize: 552 5.3.4;
 *   - more envelope recipients (with the sender) than MaxRecipientInfos:
 *     550 5.5.3;
 *   - a sealing failure other than a resource one (a certificate the
 *     engine cannot wrap to after all): 451 4.7.1;
 *   - a resource failure: the step returns it, and milter_process makes
 *     On-InternalError `accept` a tempfail because an encrypt rule matched.
 * Mail already encrypted (SPEC 9's definition, judged after reencrypt) is
 * left as it is.  A message a rule quarantines is encrypted as well (or
 * refused, which replaces the quarantine), since releasing it from the
 * hold queue delivers it.
 *
 * Who sees what: the SMTP reply names one envelope recipient, which the
 * client gave; whether an address has a certificate is public knowledge.
 * Nothing here uses a private key.
 */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

/* What the lookups found: one seal recipient per distinct certificate. */
typedef struct enc_plan {
	smime_lookup_result *found; /* one per envelope recipient, + sender */
	size_t nfound;
	smime_seal_recipient *rcpts;
	size_t nrcpts;
	const smime_caps **caps; /* per envelope recipient; NULL unknown */
	const char *no_cert;     /* the first recipient without one */
	const char *unavailable; /* the first the directory failed for */
} enc_plan;

static void plan_free(enc_plan *e)
{
	for (size_t i = 0; i < e->nfound; i++)
		smime_lookup_result_clear(&e->found[i]);
	free(e->found);
	free(e->rcpts);
	free(e->caps);
}

/* Adds c unless a recipient already has the same certificate. */
static void add_cert(enc_plan *e, const smime_cert *c)
{
	const unsigned char *d, *o;
	size_t n, m;

	smime_cert_der(c, &d, &n);
	for (size_t i = 0; i < e->nrcpts; i++) {
		smime_cert_der(e->rcpts[i].cert, &o, &m);
		if (m == n && memcmp(o, d, n) == 0)
			return;
	}
	memset(&e->rcpts[e->nrcpts], 0, sizeof e->rcpts[0]);
	e->rcpts[e->nrcpts++].cert = c;
}

/* Every envelope recipient's certificate, in envelope order; stops at the
 * first that has none (it rejects whatever the others give). */
static int plan_recipients(milter_pipe *p, bool need_caps, enc_plan *e)
{
	const milter_msg *m = p->m;
	smime_lookup_ctx ctx = milter_lookup_ctx(p->cfg, &p->dir, p->now);

	ctx.no_caps = !need_caps;
	e->found = calloc(m->nrcpts + 1, sizeof *e->found);
	e->rcpts = calloc(m->nrcpts + 1, sizeof *e->rcpts);
	e->caps = calloc(m->nrcpts + 1, sizeof *e->caps);
	if (e->found == NULL || e->rcpts == NULL || e->caps == NULL)
		return SMIME_E_NOMEM;
	for (size_t i = 0; i < m->nrcpts; i++) {
		smime_lookup_result *r = &e->found[e->nfound++];
		int rc = smime_lookup_recipient(&ctx, m->rcpts[i], r);

		if (rc < 0)
			return rc;
		if (r->reason == SMIME_RCPT_DIRECTORY_UNAVAILABLE) {
			if (e->unavailable == NULL)
				e->unavailable = m->rcpts[i];
			continue;
		}
		if (r->cert == NULL || !smime_cert_sealable(r->cert)) {
			e->no_cert = m->rcpts[i];
			return SMIME_OK;
		}
		e->caps[i] = r->has_caps ? &r->caps : NULL;
		add_cert(e, r->cert);
	}
	return SMIME_OK;
}

/* EncryptToSender: the single From mailbox, when the client may use it
 * (the login's SenderLoginMap, or SignUnauthenticated for an internal
 * client) and a usable KeyStore certificate carries it.  It takes no
 * part in the choice of the cipher; without one the message is still
 * encrypted for its recipients. */
static int add_sender(milter_pipe *p, enc_plan *e)
{
	const milter_config *cfg = p->cfg;
	const milter_msg *m = p->m;
	smime_lookup_ctx ctx = {.trust = cfg->trust,
				.keys = cfg->keystore,
				.now = p->now,
				.no_caps = true};
	smime_lookup_result *r;
	char *from = NULL;
	int rc;

	if (!cfg->encrypt_to_sender || cfg->keystore == NULL)
		return SMIME_OK;
	rc = milter_single_from(&m->headers, &from);
	if (rc < 0 || from == NULL)
		return rc;
	if (m->auth_user != NULL
		    ? milter_login_may_use(cfg->login_map, m->auth_user, from)
		    : p->outbound && cfg->sign_unauthenticated) {
		r = &e->found[e->nfound++];
		rc = smime_lookup_recipient(&ctx, from, r);
		if (rc == 0 && r->cert != NULL && smime_cert_sealable(r->cert))
			add_cert(e, r->cert);
	}
	free(from);
	return rc;
}

/* The verdict that delivers nothing, with the log's words for it. */
static int refuse(milter_pipe *p, smime_verdict v, const char *code,
		  const char *xcode, const char *text, const char *reason)
{
	smime_edits *e = p->edits;

	free(e->reply_code);
	free(e->reply_xcode);
	free(e->reply_text);
	e->verdict = v;
	e->reply_code = strdup(code);
	e->reply_xcode = strdup(xcode);
	e->reply_text = strdup(text);
	p->log.action = v == SMIME_VERDICT_REJECT ? MILTER_ACT_REJECTED
						  : MILTER_ACT_TEMPFAILED;
	p->log.action_reason = reason;
	p->log.new_cipher = NULL;
	if (!e->reply_code || !e->reply_xcode || !e->reply_text)
		return SMIME_E_NOMEM;
	return SMIME_OK;
}

static int refuse_recipient(milter_pipe *p, const char *addr, bool no_cert)
{
	smime_buf t = SMIME_BUF_INIT;
	int rc;

	if (!no_cert)
		return refuse(p, SMIME_VERDICT_TEMPFAIL, "451", "4.7.1",
			      "S/MIME directory unavailable, try again later",
			      "directory-unavailable");
	rc = smime_buf_printf(&t, "no S/MIME certificate for <%s>", addr);
	if (rc == 0)
		rc = refuse(p, SMIME_VERDICT_REJECT, "550", "5.7.1",
			    (const char *)t.data, "no-certificate");
	smime_buf_free(&t);
	return rc;
}

/* The rule's cipher, or SPEC 9's `auto` over the envelope recipients. */
static const smime_cipher_info *cipher_of(const milter_pipe *p,
					  const enc_plan *e)
{
	const milter_config *cfg = p->cfg;
	smime_cipher_id id;

	if (strcmp(p->encrypt->arg, "auto") != 0)
		return smime_cipher_by_name(p->encrypt->arg);
	id = smime_auto_cipher(e->caps, p->m->nrcpts, cfg->default_cipher,
			       cfg->weak_ciphers, 0);
	return id != SMIME_CIPHER_UNKNOWN ? smime_cipher_by_id(id) : NULL;
}

/* X-SMIME-Encryption of the wrap, at the top, and the log's words. */
static int say_encrypted(milter_pipe *p, const smime_cipher_info *ci)
{
	smime_buf v = SMIME_BUF_INIT;
	int rc = smime_buf_printf(&v, "action=encrypted; new-cipher=%s",
				  ci->name);

	if (rc == 0)
		rc = smime_edits_header(p->edits, SMIME_EDIT_INSERT, 0,
					"X-SMIME-Encryption",
					(const char *)v.data);
	smime_buf_free(&v);
	p->log.action = MILTER_ACT_ENCRYPTED;
	p->log.action_reason = NULL;
	p->log.new_cipher = ci->name;
	return rc;
}

/* Seals the message as it stands now; *done false when it already was
 * encrypted. */
static int seal(milter_pipe *p, enc_plan *e, bool *done)
{
	const milter_config *cfg = p->cfg;
	const smime_cipher_info *ci;
	milter_current cur;
	bool already = false;
	int rc;

	*done = false;
	rc = milter_current_get(p, &cur);
	if (rc < 0)
		return rc;
	rc = smime_message_is_encrypted(&cur.headers, cur.body, cur.len,
					&cfg->analyze.mime, &cfg->analyze.cms,
					&already);
	if (rc < 0 || already)
		goto done;
	rc = plan_recipients(p, strcmp(p->encrypt->arg, "auto") == 0, e);
	if (rc < 0)
		goto done;
	if (e->no_cert != NULL || e->unavailable != NULL) {
		rc = refuse_recipient(p,
				      e->no_cert ? e->no_cert : e->unavailable,
				      e->no_cert != NULL);
		goto done;
	}
	ci = cipher_of(p, e);
	rc = add_sender(p, e);
	if (rc == 0 && (ci == NULL || e->nrcpts == 0))
		rc = SMIME_E_ARG; /* `auto` always finds one; rcpts >= 1 */
	if (rc == 0)
		rc = smime_encrypt_message(ci->id, e->rcpts, e->nrcpts,
					   &cur.headers, cur.body, cur.len,
					   p->cfg->temp_directory, p->edits);
	if (rc == 0)
		*done = true;
	else if (!smime_err_is_resource(rc))
		/* Fail closed: a certificate the engine could not wrap
		 * to after all; logged, never delivered in plaintext. */
		rc = refuse(p, SMIME_VERDICT_TEMPFAIL, "451", "4.7.1",
			    "S/MIME encryption failed, try again later",
			    "encrypt-failed");
	if (*done)
		rc = say_encrypted(p, ci);
	if (*done && rc == 0 && p->edits->verdict == SMIME_VERDICT_QUARANTINE)
		rc = milter_note(p, "quarantined");
done:
	milter_current_done(p, &cur);
	if (rc == 0 && already)
		rc = milter_note(p, "encrypt: already encrypted, left as it "
				    "is");
	return rc;
}

int milter_step_encrypt(milter_pipe *p)
{
	enc_plan e = {0};
	bool done;
	int rc;

	/* A quarantined message is encrypted too: whoever releases it
	 * from the hold queue must not release plaintext. */
	if (p->encrypt == NULL ||
	    (p->edits->verdict != SMIME_VERDICT_ACCEPT &&
	     p->edits->verdict != SMIME_VERDICT_QUARANTINE))
		return SMIME_OK;
	if (p->too_large)
		return refuse(p, SMIME_VERDICT_REJECT, "552", "5.3.4",
			      "message too big to encrypt", "too-large");
	/* The sender chooses the recipients, and each costs a lookup and a
	 * key wrap (an ECDH key generation for an EC one): MaxRecipientInfos,
	 * the bound on what we read, bounds what we write too (the sender's
	 * copy counted). */
	if (p->m->nrcpts + 1 > p->cfg->max_recipient_infos)
		return refuse(p, SMIME_VERDICT_REJECT, "550", "5.5.3",
			      "too many recipients to encrypt",
			      "too-many-recipients");
	rc = seal(p, &e, &done);
	plan_free(&e);
	return rc;
}
