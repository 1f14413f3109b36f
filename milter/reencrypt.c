/*
 * reencrypt.c - opens one EnvelopedData or AuthEnvelopedData with
 * KeyStore keys and seals its content again, with a fresh key and the
 * rule's cipher, for the message's envelope recipients only, in the order
 * of SPEC section 8 that keeps the gateway from being an oracle.
 *
 * Whose certificate is whose: a certificate belongs to an address when it
 * carries that address, when its KeyStore entry NAME is the address, or
 * when its file is named after the address (rsa2@example.org.pem in
 * CertDirectory), all ignoring ASCII case.  The last two let an operator
 * use certificates that carry no e-mail address at all.
 *
 * Step 1 (plan(), no private key touched) decides from the message and
 * the configuration alone which RecipientInfos are unwrapped, or keeps
 * the entity with a public reason:
 *   inbound   every envelope recipient has a KeyStore key whose
 *             certificate a RecipientInfo names (the first one naming
 *             it counts, no other); one unwrap per distinct key, and the
 *             new copy is wrapped for exactly those certificates;
 *   outbound  only with ReencryptOutbound: the KeyStore key of the single
 *             From address, when the login is that address or names it
 *             without a wildcard in SenderLoginMap; every envelope
 *             recipient has a certificate (KeyStore, or CertDirectory
 *             chaining to a trust anchor) that a RecipientInfo names.
 * plus the content checks of crypto/ and MaxKeyOperations.  Steps 2-4
 * are smime_envelope_open(); after it the only reason is decrypt-failed,
 * whatever went wrong, a resource failure included.  Each new
 * RecipientInfo keeps the original's identifier form and key transport.
 *
 * Promises: the plaintext is wiped before return on every path; nothing
 * is appended to out unless the whole seal succeeded; the signatures
 * inside (inner) are analysed only for a copy that is re-encrypted.
 */
#include "reencrypt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The base name of a file without its last extension equals addr. */
static bool file_is(const char *file, const char *addr)
{
	const char *base, *dot;
	size_t n = strlen(addr);

	if (file == NULL)
		return false;
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	dot = strrchr(base, '.');
	if (dot == NULL || (size_t)(dot - base) != n)
		return false;
	return strncasecmp(base, addr, n) == 0;
}

static bool cert_belongs(const smime_cert *c, const char *addr)
{
	const smime_cert_info *in = smime_cert_get_info(c);

	for (size_t i = 0; i < in->naddresses; i++)
		if (strcasecmp(in->addresses[i], addr) == 0)
			return true;
	if (in->name != NULL && strcasecmp(in->name, addr) == 0)
		return true;
	return file_is(in->file, addr);
}

/* What step 1 decided: the unwraps, and whom the new copy is for. */
typedef struct plan {
	smime_unwrap *pairs;
	size_t npairs;
	smime_seal_recipient *rcpts;
	size_t nrcpts;
	/* directory lookups, which own the certificates they found */
	smime_lookup_result *found;
	size_t nfound;
} plan;

static int plan_alloc(plan *p, size_t n)
{
	p->pairs = calloc(n + 1, sizeof(*p->pairs));
	p->rcpts = calloc(n + 1, sizeof(*p->rcpts));
	p->found = calloc(n + 1, sizeof(*p->found));
	return p->pairs && p->rcpts && p->found ? SMIME_OK : SMIME_E_NOMEM;
}

static void plan_free(plan *p)
{
	for (size_t i = 0; p->found != NULL && i < p->nfound; i++)
		smime_lookup_result_clear(&p->found[i]);
	free(p->found);
	free(p->pairs);
	free(p->rcpts);
}

/* Adds a certificate to wrap for, once; false when its RecipientInfo
 * does not say how (neither key transport nor key agreement). */
static bool add_rcpt(plan *p, const smime_envelope *env, size_t ri,
		     const smime_cert *c)
{
	smime_seal_recipient sr = {c, {0}};

	for (size_t i = 0; i < p->nrcpts; i++)
		if (p->rcpts[i].cert == c)
			return true;
	/* key agreement: the seal writes its own for an EC certificate */
	if (smime_envelope_info(env)->recipients[ri].type != SMIME_RI_KARI &&
	    smime_envelope_keytrans(env, ri, &sr.kt) != 0)
		return false;
	p->rcpts[p->nrcpts++] = sr;
	return true;
}

static void add_pair(plan *p, size_t ri, const smime_key *k)
{
	for (size_t i = 0; i < p->npairs; i++)
		if (p->pairs[i].key == k)
			return;
	p->pairs[p->npairs].ri = ri;
	p->pairs[p->npairs++].key = k;
}

/* The first KeyStore key of addr whose certificate a RecipientInfo
 * names; NULL when none. */
static const smime_key *named_key(const milter_config *cfg,
				  const smime_envelope *env, const char *addr,
				  size_t *ri)
{
	size_t n = smime_envelope_info(env)->nrecipients;

	for (size_t i = 0; i < smime_keystore_count(cfg->keystore); i++) {
		const smime_key *k = smime_keystore_at(cfg->keystore, i);
		const smime_cert *c = smime_key_cert(k);

		if (cert_belongs(c, addr) &&
		    (*ri = smime_envelope_find_ri(env, c)) < n)
			return k;
	}
	return NULL;
}

/* Whether some RecipientInfo is key agreement or KEK: with no recipient
 * proven, that is the likelier reason than no-key (key-agreement). */
static bool any_agreement(const smime_envelope *env)
{
	const smime_cms_info *info = smime_envelope_info(env);

	for (size_t i = 0; i < info->nrecipients; i++)
		if (info->recipients[i].type == SMIME_RI_KARI ||
		    info->recipients[i].type == SMIME_RI_KEKRI)
			return true;
	return false;
}

static const char *plan_inbound(const reencrypt_ctx *x,
				const smime_envelope *env, plan *p)
{
	size_t proven = 0;

	for (size_t r = 0; r < x->p->m->nrcpts; r++) {
		size_t ri;
		const smime_key *k =
			named_key(x->p->cfg, env, x->p->m->rcpts[r], &ri);

		if (k == NULL)
			continue;
		proven++;
		add_pair(p, ri, k);
		if (!add_rcpt(p, env, ri, smime_key_cert(k)))
			return "key-agreement";
	}
	if (proven == 0)
		return any_agreement(env) ? "key-agreement" : "no-key";
	return proven < x->p->m->nrcpts ? "unknown-recipient" : NULL;
}

/* The single From mailbox, or NULL (none, several, or several fields). */
/*
 * The recipient's certificate from the directory or the harvested ones
 * (SPEC section 9's lookup), when a RecipientInfo names it: 1 added, 0 not, 2 the
 * directory could not answer, or SMIME_E_NOMEM.  Asked only when the
 * KeyStore and CertDirectory have no named certificate for it.
 */
static int directory_rcpt(const reencrypt_ctx *x, const smime_envelope *env,
			  const char *rcpt, plan *p)
{
	const milter_config *cfg = x->p->cfg;
	smime_lookup_ctx ctx = milter_lookup_ctx(cfg, x->dir, x->p->now);
	smime_lookup_result *r = &p->found[p->nfound];
	size_t n = smime_envelope_info(env)->nrecipients, ri;
	int rc = smime_lookup_recipient(&ctx, rcpt, r);

	p->nfound++; /* cleared with the plan, whatever it holds */
	if (rc < 0)
		return rc;
	if (r->reason == SMIME_RCPT_DIRECTORY_UNAVAILABLE)
		return 2;
	return r->cert != NULL &&
	       (ri = smime_envelope_find_ri(env, r->cert)) < n &&
	       add_rcpt(p, env, ri, r->cert);
}

/* An outbound recipient's certificate that a RecipientInfo names: 1, 0
 * none, 2 the directory could not answer, or SMIME_E_NOMEM. */
static int outbound_rcpt(const reencrypt_ctx *x, const smime_envelope *env,
			 const char *rcpt, plan *p)
{
	const milter_config *cfg = x->p->cfg;
	size_t n = smime_envelope_info(env)->nrecipients, ri;

	const smime_key *k = named_key(cfg, env, rcpt, &ri);

	if (k != NULL)
		return add_rcpt(p, env, ri, smime_key_cert(k));
	for (size_t i = 0; i < smime_certdir_count(cfg->certdir); i++) {
		const smime_cert *c = smime_certdir_at(cfg->certdir, i);
		if (cert_belongs(c, rcpt) &&
		    (ri = smime_envelope_find_ri(env, c)) < n &&
		    smime_trust_recipient(cfg->trust, c, cfg->certdir,
					  cfg->keystore, x->p->now) &&
		    add_rcpt(p, env, ri, c))
			return 1;
	}
	return (cfg->directory != NULL || cfg->harvest_certificates) &&
			       x->dir != NULL
		       ? directory_rcpt(x, env, rcpt, p)
		       : 0;
}

static int plan_outbound(const reencrypt_ctx *x, const smime_envelope *env,
			 plan *p, const char **reason)
{
	const smime_key *k;
	char *from = NULL;
	size_t ri;
	int rc;

	rc = milter_single_from(&x->p->m->headers, &from);
	if (rc < 0)
		return rc;
	*reason = "no-key";
	if (from == NULL ||
	    !milter_login_is_exactly(x->p->cfg->login_map, x->p->m->auth_user,
				     from) ||
	    (k = named_key(x->p->cfg, env, from, &ri)) == NULL)
		goto done;
	add_pair(p, ri, k);
	*reason = NULL;
	for (size_t r = 0; r < x->p->m->nrcpts && *reason == NULL; r++) {
		rc = outbound_rcpt(x, env, x->p->m->rcpts[r], p);
		if (rc < 0)
			break;
		if (rc == 0)
			*reason = "unknown-recipient";
		else if (rc == 2)
			*reason = "directory-unavailable";
	}
done:
	free(from);
	return rc < 0 ? rc : SMIME_OK;
}

/*
 * The capabilities of every envelope recipient (SPEC 9: harvested, else
 * the directory's; unknown ones NULL), looked up once per message, for
 * `auto`.  SMIME_DIR_UNAVAILABLE when the directory could not answer for
 * one; 0; SMIME_E_NOMEM.
 */
static int rcpt_caps(reencrypt_ctx *x)
{
	const milter_config *cfg = x->p->cfg;
	smime_lookup_ctx ctx = milter_lookup_ctx(cfg, x->dir, x->p->now);
	size_t n = x->p->m->nrcpts;
	int rc = 0;

	if (x->caps_state != 0)
		return x->caps_state < 0 ? x->caps_state : x->caps_state - 1;
	x->caps = calloc(n + 1, sizeof *x->caps);
	x->known = calloc(n + 1, sizeof *x->known);
	if (x->caps == NULL || x->known == NULL)
		rc = SMIME_E_NOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		smime_lookup_result r;

		rc = smime_lookup_recipient(&ctx, x->p->m->rcpts[i], &r);
		if (rc == 0 && r.reason == SMIME_RCPT_DIRECTORY_UNAVAILABLE)
			rc = SMIME_DIR_UNAVAILABLE;
		x->caps[i] = r.caps;
		x->known[i] = r.has_caps ? &x->caps[i] : NULL;
		smime_lookup_result_clear(&r);
	}
	x->caps_state = rc < 0 ? rc : rc + 1;
	return rc;
}

void milter_reencrypt_ctx_free(reencrypt_ctx *x)
{
	free(x->caps);
	free(x->known);
	x->caps = NULL;
	x->known = NULL;
}

/*
 * SPEC 9's `auto` for this entity, from the message and the
 * configuration alone (step 1): the first cipher of the auto list
 * outside WeakCiphers that every envelope recipient supports, and for
 * CBC content only a CBC cipher whose block is no shorter.  NULL with
 * *reason set when none fits (unsupported-cipher) or the directory could
 * not answer.
 */
static int choose_auto(reencrypt_ctx *x, const smime_envelope *env,
		       const smime_cipher_info **out, const char **reason)
{
	const milter_config *cfg = x->p->cfg;
	const smime_cipher_info *content = smime_envelope_info(env)->cipher;
	smime_cipher_id id;
	int rc = rcpt_caps(x);

	*out = NULL;
	if (rc == SMIME_DIR_UNAVAILABLE) {
		*reason = "directory-unavailable";
		return 0;
	}
	if (rc < 0)
		return rc;
	id = smime_auto_cipher(
		x->known, x->p->m->nrcpts, cfg->default_cipher,
		cfg->weak_ciphers,
		content != NULL && !content->aead ? content->iv_len : 0);
	*out = id != SMIME_CIPHER_UNKNOWN ? smime_cipher_by_id(id) : NULL;
	if (*out == NULL)
		*reason = "unsupported-cipher";
	return 0;
}

/* Step 1: the public decision.  *reason is set when the entity is kept. */
static int plan_open(reencrypt_ctx *x, const smime_envelope *env, plan *p,
		     const char **reason)
{
	int rc = plan_alloc(p, x->p->m->nrcpts);

	if (rc < 0)
		return rc;
	if (x->p->outbound)
		rc = plan_outbound(x, env, p, reason);
	else
		*reason = plan_inbound(x, env, p);
	if (rc < 0 || *reason != NULL)
		return rc;
	for (size_t i = 0; i < p->npairs && *reason == NULL; i++)
		if (smime_envelope_usable(env, p->pairs[i].ri,
					  p->pairs[i].key) != 0)
			*reason = "key-agreement";
	x->chosen = x->cipher;
	if (*reason == NULL && x->cipher == NULL) {
		rc = choose_auto(x, env, &x->chosen, reason);
		if (rc < 0)
			return rc;
	}
	if (*reason == NULL) {
		rc = smime_envelope_content_check(env, x->chosen);
		if (rc == SMIME_E_UNSUPPORTED)
			*reason = "unsupported-cipher";
		else if (rc < 0)
			*reason = "malformed";
	}
	if (*reason == NULL && p->npairs > x->ops_left)
		*reason = "too-many-operations";
	if (*reason == NULL)
		x->ops_left -= (unsigned)p->npairs;
	return SMIME_OK;
}

/* Signatures inside: always logged, stamped on request.  MaxSignatures
 * counts them with the outer layers' (SPEC 4: all layers together). */
static int analyze_inner(reencrypt_ctx *x, const smime_buf *plain)
{
	smime_analyze_opts opts = x->p->cfg->analyze;
	int rc;

	opts.now = x->p->now;
	opts.addr_headers = &x->p->m->headers;
	/* Decrypted content: nothing decoded from it spills, and its chains
	 * leave no trace in the trust store's verdict cache (SPEC 8). */
	opts.decrypted = true;
	if (x->sigs_left == 0)
		opts.trust = NULL; /* found, not checked */
	else
		opts.max_signatures = (unsigned)x->sigs_left;
	smime_facts_free(x->inner);
	rc = smime_analyze(plain->data, plain->len, NULL, &opts, x->inner);
	for (size_t i = 0; rc == 0 && i < x->inner->nlayers; i++) {
		const smime_layer *l = &x->inner->layers[i];
		bool signed_kind = l->kind == SMIME_KIND_SIGNED ||
				   l->kind == SMIME_KIND_OPAQUE_SIGNED;

		if (opts.trust == NULL && x->p->cfg->analyze.trust != NULL &&
		    signed_kind) /* the too-many-signatures resinfo */
			x->inner->unchecked_signatures +=
				l->cms.nsigners ? l->cms.nsigners : 1;
		x->sigs_left -=
			l->nchecks <= x->sigs_left ? l->nchecks : x->sigs_left;
	}
	return rc;
}

/* Steps 2-4, then the seal; 0 with *ok false for decrypt-failed. */
static int open_and_seal(reencrypt_ctx *x, const smime_envelope *env,
			 const plan *p, smime_buf *out, bool *ok)
{
	smime_buf plain = SMIME_BUF_INIT;
	int rc;

	/* The plaintext: pages kept out of core dumps (crypto/buf.c); an
	 * empty buffer is only marked, so this cannot fail. */
	(void)smime_buf_secret(&plain);
	rc = smime_envelope_open(env, p->pairs, p->npairs, &plain, &x->stats,
				 ok);
	if (rc == 0 && *ok && x->inner != NULL)
		rc = analyze_inner(x, &plain);
	if (rc == 0 && *ok)
		rc = smime_envelope_seal(x->chosen->id, plain.data, plain.len,
					 p->rcpts, p->nrcpts, out);
	smime_buf_free(&plain); /* wipes the plaintext */
	if (rc < 0) {
		/* After a private key was used, even a resource failure
		 * reads decrypt-failed (SPEC section 8, step 4). */
		*ok = false;
		if (x->inner != NULL)
			smime_facts_free(x->inner);
	}
	return SMIME_OK;
}

int milter_reencrypt_der(reencrypt_ctx *x, const unsigned char *der, size_t len,
			 smime_buf *out, const char **reason)
{
	smime_envelope *env = NULL;
	plan p = {0};
	bool ok = false;
	int rc;

	*reason = NULL;
	if (x->p->outbound && !x->p->cfg->reencrypt_outbound) {
		*reason = "outbound-disabled";
		return SMIME_OK;
	}
	rc = smime_envelope_parse(der, len, &x->p->cfg->analyze.cms, &env);
	if (rc < 0) {
		if (!smime_err_is_resource(rc)) {
			*reason = rc == SMIME_E_UNSUPPORTED
					  ? "unsupported-cipher"
					  : "malformed";
			rc = SMIME_OK;
		}
		goto cleanup;
	}
	rc = plan_open(x, env, &p, reason);
	if (rc < 0 || *reason != NULL)
		goto cleanup;
	rc = open_and_seal(x, env, &p, out, &ok);
	if (rc == 0 && !ok)
		*reason = "decrypt-failed";
cleanup:
	plan_free(&p);
	smime_envelope_free(env);
	return rc;
}
