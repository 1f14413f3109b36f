/*
 * encryption.c - the encryption findings of SPEC section 7 and the
 * `reencrypt CIPHER` action, after the Rules decided.
 *
 * One X-SMIME-Encryption header per encrypted entity, in analysis order,
 * inserted above the X-SMIME-Tag fields (Authentication-Results, added
 * later, stays on top).  Field order, fixed:
 *   cipher=C; strength=S; action=A[; new-cipher=N][; reason="R"][; part=P]
 * new-cipher only with reencrypted, reason only with kept, part only
 * when the entity is not the top level.  An unknown content cipher is
 * written as its OID ("unknown" when even that is missing).
 *
 * action: without `reencrypt`, the Rules' outcome for the message
 * (rejected, quarantined, tagged, else none).  With `reencrypt` and a
 * message that is delivered as is (verdict accept): reencrypted, or kept
 * with a reason (reencrypt.c decides, in SPEC section 8's order).  The
 * top-level entity is replaced with its Content-* fields; an entity nested
 * in a plain multipart is re-encrypted in place; an entity under a
 * signature is kept (under-signature).  MaxKeyOperations is spent over all
 * entities of the message together.  Only the first 32 entities get a
 * field of their own (our fields stay under 32 KB); the log line counts
 * them all (entities=).  A message over MaxCryptoSize was not analysed,
 * so it gets no header and the log says action=kept reason=too-large.
 * Reject, tempfail, discard and quarantine win over reencrypt: that
 * message is not delivered as it stands.
 *
 * Promises: the body and the Content-* fields are only replaced once the
 * new ContentInfo is complete; otherwise the message keeps its exact
 * bytes and the header says why.  Resource failures come back negative
 * (process.c then drops every edit through On-InternalError).
 */
#include "reencrypt.h"

#include <stdlib.h>
#include <string.h>

/* X-SMIME-Encryption fields one message gets at most. */
#define MAX_FIELDS 32

typedef struct outcome {
	milter_act action;
	const char *new_cipher;
	const char *reason;
} outcome;

static bool is_encrypted(const smime_layer *l)
{
	return l->kind == SMIME_KIND_ENVELOPED ||
	       l->kind == SMIME_KIND_AUTH_ENVELOPED;
}

static bool is_top(const smime_layer *l)
{
	return l->level == 0 && strcmp(l->part, "TEXT") == 0;
}

/* A signed layer encloses layer i (analysis walks outside in). */
static bool under_signature(const smime_facts *f, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if ((f->layers[j].kind == SMIME_KIND_SIGNED ||
		     f->layers[j].kind == SMIME_KIND_OPAQUE_SIGNED) &&
		    f->layers[j].level < f->layers[i].level)
			return true;
	return false;
}

/* The Rules' word for an entity that is not re-encrypted. */
static milter_act plain_action(milter_act policy_action)
{
	switch (policy_action) {
	case MILTER_ACT_REJECTED:
	case MILTER_ACT_QUARANTINED:
	case MILTER_ACT_TAGGED:
		return policy_action;
	default:
		return MILTER_ACT_NONE;
	}
}

/* An unknown cipher's OID is its name, up to MAX_OID characters: a
 * sender-made OID of any length must not grow our fields past 32 KB. */
#define MAX_OID 64

const char *milter_cipher_label(const smime_layer *l)
{
	const char *oid = l->cms.cipher_oid;

	if (l->cms.cipher != NULL)
		return l->cms.cipher->name;
	return oid != NULL && strlen(oid) <= MAX_OID ? oid : "unknown";
}

static int header_value(const smime_layer *l, const outcome *o, smime_buf *v)
{
	const char *cipher = milter_cipher_label(l);
	int rc;

	smime_buf_reset(v);
	rc = smime_buf_printf(v, "cipher=%s; strength=%s; action=%s", cipher,
			      smime_strength_name(l->strength),
			      milter_act_name(o->action));
	if (rc == 0 && o->new_cipher != NULL)
		rc = smime_buf_printf(v, "; new-cipher=%s", o->new_cipher);
	if (rc == 0 && o->reason != NULL)
		rc = smime_buf_printf(v, "; reason=\"%s\"", o->reason);
	if (rc == 0 && !is_top(l))
		rc = smime_buf_printf(v, "; part=%s", l->part);
	return rc;
}

/* Changes the first instance of a field, or adds it at the bottom. */
static int set_field(const milter_msg *m, smime_edits *e, const char *name,
		     const char *value)
{
	if (smime_headers_count(&m->headers, name) > 0)
		return smime_edits_header(e, SMIME_EDIT_CHANGE, 1, name, value);
	return smime_edits_header(e, SMIME_EDIT_INSERT, (unsigned)-1, name,
				  value);
}

/* What the entity milter_reencrypt_der just re-encrypted became. */
static smime_kind new_kind(const reencrypt_ctx *x)
{
	return x->chosen->aead ? SMIME_KIND_AUTH_ENVELOPED
			       : SMIME_KIND_ENVELOPED;
}

/* The message's DER, the new one and the new body hold only what its
 * spill file holds, or ciphertext: past 1 MiB they may be mapped files in
 * TempDirectory (issue 19: a 50 MB message in bounded memory). */
static void spill(const reencrypt_ctx *x, smime_buf *a, smime_buf *b,
		  smime_buf *c)
{
	const char *dir = x->p->cfg->temp_directory;

	smime_buf_spill(a, dir);
	smime_buf_spill(b, dir);
	smime_buf_spill(c, dir);
}

/* Re-encrypts the top-level entity; fills o. */
static int reencrypt_top(reencrypt_ctx *x, outcome *o)
{
	const milter_config *cfg = x->p->cfg;
	const milter_msg *m = x->p->m;
	smime_edits *edits = x->p->edits;
	smime_part *root = NULL;
	smime_buf der = SMIME_BUF_INIT, newder = SMIME_BUF_INIT;
	smime_buf p7m = SMIME_BUF_INIT, ct = SMIME_BUF_INIT;
	int rc;

	spill(x, &der, &newder, &p7m);
	rc = smime_mime_parse(x->p->body, x->p->bodylen, &m->headers,
			      &cfg->analyze.mime, &root);
	if (rc == 0)
		rc = smime_part_decode(x->p->body, root, &der);
	if (rc < 0) {
		if (!smime_err_is_resource(rc)) {
			o->action = MILTER_ACT_KEPT;
			o->reason = "malformed";
			rc = SMIME_OK;
		}
		goto cleanup;
	}
	rc = milter_reencrypt_der(x, der.data, der.len, &newder, &o->reason);
	smime_buf_free(&der); /* a big body: one copy fewer from here on */
	if (rc < 0 || o->reason != NULL) {
		o->action = MILTER_ACT_KEPT;
		goto cleanup;
	}
	rc = smime_p7m_body(newder.data, newder.len, &p7m);
	smime_buf_free(&newder);
	if (rc < 0 ||
	    (rc = smime_p7m_content_type_folded(new_kind(x), &ct)) < 0)
		goto cleanup;
	/* Complete: only now does the message change. */
	if ((rc = set_field(m, edits, "Content-Type", (const char *)ct.data)) <
		    0 ||
	    (rc = set_field(m, edits, "Content-Transfer-Encoding",
			    SMIME_P7M_TRANSFER_ENCODING)) < 0 ||
	    (rc = set_field(m, edits, "Content-Disposition",
			    SMIME_P7M_DISPOSITION)) < 0)
		goto cleanup;
	smime_buf_free(&edits->body);
	edits->body = p7m;
	p7m = (smime_buf)SMIME_BUF_INIT;
	edits->replace_body = true;
	o->action = MILTER_ACT_REENCRYPTED;
	o->new_cipher = x->chosen->name;
cleanup:
	smime_mime_free(root);
	smime_buf_free(&der);
	smime_buf_free(&newder);
	smime_buf_free(&p7m);
	smime_buf_free(&ct);
	return rc;
}

/* The entity with IMAP part number num, or NULL. */
static const smime_part *find_part(const smime_part *p, const char *num)
{
	if (strcmp(p->partnum, num) == 0)
		return p;
	for (size_t i = 0; i < p->nchildren; i++) {
		const smime_part *f = find_part(&p->children[i], num);
		if (f != NULL)
			return f;
	}
	return NULL;
}

/*
 * What re-encrypting nested entities shares from one layer to the next:
 * the body parsed once, and how much of the original body the new one
 * holds so far.  Parsing or copying the whole body once per entity made
 * a message of 4,000 small encrypted parts take 42 s (quadratic).
 */
typedef struct nested {
	bool parsed;
	int parse_rc;
	smime_part *root;
	size_t copied; /* original bytes [0, copied) are in edits->body */
} nested;

/*
 * Puts the new entity in place of the old one's exact bytes [start, end)
 * of the body: what lies between the previous entity and this one, then
 * the entity.  The analysis lists sibling entities in document order;
 * splice_finish adds the rest of the body after the last one.
 */
static int splice(const unsigned char *body, const smime_part *p,
		  const smime_buf *entity, smime_edits *edits, nested *n)
{
	int rc;

	if (!edits->replace_body) {
		smime_buf_reset(&edits->body);
		n->copied = 0;
	}
	if (p->start < n->copied || p->end < p->start)
		return SMIME_E_ARG;
	if ((rc = smime_buf_append(&edits->body, body + n->copied,
				   p->start - n->copied)) < 0 ||
	    (rc = smime_buf_append(&edits->body, entity->data, entity->len)) <
		    0)
		return rc;
	n->copied = p->end;
	edits->replace_body = true;
	return SMIME_OK;
}

/* After the last entity: the rest of the original body. */
static int splice_finish(const unsigned char *body, size_t bodylen,
			 smime_edits *edits, const nested *n)
{
	if (n->copied == 0)
		return SMIME_OK;
	if (n->copied > bodylen)
		return SMIME_E_ARG;
	return smime_buf_append(&edits->body, body + n->copied,
				bodylen - n->copied);
}

/* The entity that replaces p (reencrypt_entity.c) in the body's own line
 * ends, without a final line end (the one before the next boundary stays
 * where it is). */
static int entity_text(const unsigned char *body, const smime_part *p,
		       smime_kind kind, const smime_buf *der, bool crlf,
		       smime_buf *out)
{
	smime_buf e = SMIME_BUF_INIT;
	int rc = milter_reencrypted_entity(body, p, kind, der, &e);

	if (rc == 0)
		rc = crlf ? smime_buf_append(out, e.data, e.len)
			  : smime_canon_lf(e.data, e.len, out);
	smime_buf_free(&e);
	while (rc == 0 && out->len > 0 &&
	       (out->data[out->len - 1] == '\n' ||
		out->data[out->len - 1] == '\r'))
		out->data[--out->len] = '\0';
	return rc;
}

/* Re-encrypts an entity nested in a plain multipart, in place. */
static int reencrypt_nested(reencrypt_ctx *x, const char *num, outcome *o,
			    nested *n)
{
	const unsigned char *body = x->p->body;
	size_t bodylen = x->p->bodylen;
	const smime_part *p;
	smime_buf der = SMIME_BUF_INIT, newder = SMIME_BUF_INIT;
	smime_buf ent = SMIME_BUF_INIT;
	int rc;

	spill(x, &der, &newder, &ent);
	smime_buf_spill(&x->p->edits->body, x->p->cfg->temp_directory);
	if (!n->parsed) {
		n->parse_rc =
			smime_mime_parse(body, bodylen, &x->p->m->headers,
					 &x->p->cfg->analyze.mime, &n->root);
		n->parsed = true;
	}
	rc = n->parse_rc;
	if (rc < 0)
		goto cleanup;
	p = find_part(n->root, num);
	rc = p ? smime_part_decode(body, p, &der) : SMIME_E_PARSE;
	if (rc < 0) {
		if (!smime_err_is_resource(rc)) {
			o->action = MILTER_ACT_KEPT;
			o->reason = "malformed";
			rc = SMIME_OK;
		}
		goto cleanup;
	}
	rc = milter_reencrypt_der(x, der.data, der.len, &newder, &o->reason);
	if (rc < 0 || o->reason != NULL) {
		o->action = MILTER_ACT_KEPT;
		goto cleanup;
	}
	rc = entity_text(body, p, new_kind(x), &newder,
			 memmem(body, bodylen, "\r\n", 2) != NULL, &ent);
	/* Complete: only now does the body change. */
	if (rc == 0)
		rc = splice(body, p, &ent, x->p->edits, n);
	if (rc == 0) {
		o->action = MILTER_ACT_REENCRYPTED;
		o->new_cipher = x->chosen->name;
	}
cleanup:
	smime_buf_free(&der);
	smime_buf_free(&newder);
	smime_buf_free(&ent);
	return rc;
}

/* The outcome for encrypted layer i when re-encryption was asked for. */
static int decide(reencrypt_ctx *x, size_t i, outcome *o, nested *n)
{
	const smime_facts *f = &x->p->facts;

	o->action = MILTER_ACT_KEPT;
	if (under_signature(f, i))
		o->reason = "under-signature";
	else if (!is_top(&f->layers[i]))
		return reencrypt_nested(x, f->layers[i].part, o, n);
	else
		return reencrypt_top(x, o);
	return SMIME_OK;
}

/* MaxSignatures less the verdicts the outer layers took. */
static size_t sigs_left(const milter_config *cfg, const smime_facts *f)
{
	size_t left = cfg->max_signatures;

	for (size_t i = 0; i < f->nlayers; i++)
		left -= f->layers[i].nchecks <= left ? f->layers[i].nchecks
						     : left;
	return left;
}

int milter_step_encryption(milter_pipe *p)
{
	const smime_facts *facts = &p->facts;
	milter_logline *l = &p->log;
	bool is_auto =
		p->reencrypt != NULL && strcmp(p->reencrypt->arg, "auto") == 0;
	const smime_cipher_info *ci =
		p->reencrypt && !is_auto
			? smime_cipher_by_name(p->reencrypt->arg)
			: NULL;
	bool transform = (ci != NULL || is_auto) &&
			 p->edits->verdict == SMIME_VERDICT_ACCEPT;
	milter_act base = plain_action(l->action);
	reencrypt_ctx x = {p,
			   ci,
			   NULL,
			   p->cfg->max_key_operations,
			   sigs_left(p->cfg, facts),
			   {0, 0},
			   &p->inner,
			   &p->dir,
			   NULL,
			   NULL,
			   0};
	smime_buf v = SMIME_BUF_INIT;
	nested n = {0};
	unsigned at = 0;
	int rc = SMIME_OK;

	if (transform && p->too_large) {
		l->action = MILTER_ACT_KEPT;
		l->action_reason = "too-large";
		return SMIME_OK;
	}
	for (size_t i = 0; i < facts->nlayers && rc == 0; i++) {
		outcome o = {base, NULL, NULL};
		if (!is_encrypted(&facts->layers[i]))
			continue;
		if (transform)
			rc = decide(&x, i, &o, &n);
		l->entities++;
		/* Our fields stay under 32 KB (SPEC 4, MaxSignatures): the
		 * first MAX_FIELDS entities get one each, the log counts
		 * them all. */
		if (rc == 0 && at < MAX_FIELDS)
			rc = header_value(&facts->layers[i], &o, &v);
		if (rc == 0 && at < MAX_FIELDS)
			rc = smime_edits_header(p->edits, SMIME_EDIT_INSERT,
						at++, "X-SMIME-Encryption",
						(const char *)v.data);
		if (rc == 0 && transform &&
		    (l->new_cipher == NULL || o.new_cipher != NULL)) {
			/* The log names the re-encryption, else the first
			 * reason the original was kept. */
			l->action = o.action;
			l->new_cipher = o.new_cipher;
			p->reencrypted = p->reencrypted || o.new_cipher != NULL;
			if (o.new_cipher != NULL || l->action_reason == NULL)
				l->action_reason = o.reason;
		}
	}
	if (rc == 0)
		rc = splice_finish(p->body, p->bodylen, p->edits, &n);
	l->debug = x.stats;
	milter_reencrypt_ctx_free(&x);
	smime_mime_free(n.root);
	smime_buf_free(&v);
	return rc;
}
