/*
 * analyze.c - what is this message?  Finds every S/MIME layer the gateway
 * can reach without keys.
 *
 * The walk goes through the MIME tree; at a multipart/signed it records a
 * `signed` layer (read from the signature part) and descends into the
 * signed first part (an S/MIME multipart/signed that is not exactly those
 * two parts is a signed layer that cannot be read); at an application/pkcs7-mime entity it reads the
 * ContentInfo, and for opaque SignedData it parses the encapsulated
 * content as a new MIME entity and descends into it.  Encrypted layers end
 * the walk below them (no keys here), and so does a certs-only SignedData
 * (no SignerInfo: certificates, no signature, no content RFC 8551 3.6
 * knows of).  message/rfc822 attachments are a different message and are
 * not entered.  layer_kind() says what each layer is called.
 *
 * Bad input never fails the analysis: a layer that cannot be decoded
 * carries its error and the walk goes on.  Only resource errors fail.
 *
 * Verification (opts->trust set): every signed layer is verified as soon
 * as it is read, from the same decoded SignedData (smime_cms_tree) and
 * certificates, while the signed bytes are at hand: for multipart/signed
 * the first part's exact original bytes (its start to end offsets; the
 * verifier canonicalises them), for opaque SignedData its eContent.  The
 * verdicts go into layer->checks; a signed layer that could not be read
 * gets one neutral/malformed verdict.  The author addresses of the
 * message (authors.c: the single From mailbox, the Sender mailbox) are
 * the addresses the signer's certificate must carry.
 *
 * MaxSignatures (opts->max_signatures) bounds the verdicts of the whole
 * walk, outermost layer first: once it is reached, the SignerInfos after
 * it are counted in facts->unchecked_signatures and not checked, so a
 * sender cannot buy more than that many signature checks with one
 * message, however he spreads signers over layers (issue 12, F4).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct walker {
	const smime_analyze_opts *opts;
	smime_facts *facts;
	const char *addrs[2]; /* From and Sender addr-specs */
	size_t naddrs;
	time_t now;
	size_t verdicts; /* given so far, against MaxSignatures */
} walker;

/* The signed content of a multipart/signed: a view into the buffer. */
typedef struct signed_bytes {
	const unsigned char *p;
	size_t n;
} signed_bytes;

static int walk_entity(walker *w, const unsigned char *buf, const smime_part *p,
		       unsigned level, const char *base);

static int add_layer(walker *w, smime_kind kind, const char *part,
		     unsigned level, smime_layer **out)
{
	smime_facts *f = w->facts;
	smime_layer *v = realloc(f->layers, (f->nlayers + 1) * sizeof(*v));

	if (v == NULL)
		return SMIME_E_NOMEM;
	f->layers = v;
	*out = &v[f->nlayers++];
	memset(*out, 0, sizeof(**out));
	(*out)->kind = kind;
	/* What is not read is never counted strong (SPEC 7) */
	(*out)->strength = SMIME_STRENGTH_UNKNOWN;
	(*out)->level = level;
	snprintf((*out)->part, sizeof((*out)->part), "%s", part);
	return SMIME_OK;
}

static bool is_type(const smime_part *p, const char *type, const char *sub)
{
	return smime_ascii_casecmp(p->type, type) == 0 &&
	       smime_ascii_casecmp(p->subtype, sub) == 0;
}

static bool is_pkcs7_mime(const smime_part *p)
{
	const char *name;
	size_t n;

	if (is_type(p, "application", "pkcs7-mime") ||
	    is_type(p, "application", "x-pkcs7-mime"))
		return true;
	/* Some clients label the entity octet-stream and name it *.p7m. */
	if (!is_type(p, "application", "octet-stream"))
		return false;
	name = smime_part_param(p, "name");
	if (name == NULL)
		return false;
	n = strlen(name);
	return n > 4 && smime_ascii_casecmp(name + n - 4, ".p7m") == 0;
}

static bool is_pkcs7_signature(const smime_part *p)
{
	return is_type(p, "application", "pkcs7-signature") ||
	       is_type(p, "application", "x-pkcs7-signature");
}

/* A multipart/signed that announces an S/MIME signature: its protocol
 * parameter, or a pkcs7-signature part after the first. */
static bool is_smime_signed(const smime_part *p)
{
	const char *proto;

	if (!is_type(p, "multipart", "signed"))
		return false;
	proto = smime_part_param(p, "protocol");
	if (proto != NULL &&
	    (smime_ascii_casecmp(proto, "application/pkcs7-signature") == 0 ||
	     smime_ascii_casecmp(proto, "application/x-pkcs7-signature") == 0))
		return true;
	for (size_t i = 1; i < p->nchildren; i++)
		if (is_pkcs7_signature(&p->children[i]))
			return true;
	return false;
}

/* The IMAP-style number of an entity inside a layer: base + partnum. */
static void part_name(const char *base, const smime_part *p, bool top_text,
		      char *out, size_t outlen)
{
	if (p->partnum[0] == '\0')
		snprintf(out, outlen, "%s",
			 top_text ? "TEXT" : (*base ? base : "1"));
	else if (*base)
		snprintf(out, outlen, "%s.%s", base, p->partnum);
	else
		snprintf(out, outlen, "%s", p->partnum);
}

/* The kind a pkcs7-mime entity announces through smime-type, used when its
 * DER cannot be read. */
static smime_kind announced_kind(const smime_part *p)
{
	const char *t = smime_part_param(p, "smime-type");

	if (t == NULL)
		return SMIME_KIND_OTHER;
	if (smime_ascii_casecmp(t, "enveloped-data") == 0)
		return SMIME_KIND_ENVELOPED;
	if (smime_ascii_casecmp(t, "authEnveloped-data") == 0)
		return SMIME_KIND_AUTH_ENVELOPED;
	if (smime_ascii_casecmp(t, "signed-data") == 0)
		return SMIME_KIND_OPAQUE_SIGNED;
	if (smime_ascii_casecmp(t, "certs-only") == 0)
		return SMIME_KIND_CERTS_ONLY;
	return SMIME_KIND_OTHER;
}

static bool is_signed_kind(smime_kind k)
{
	return k == SMIME_KIND_SIGNED || k == SMIME_KIND_OPAQUE_SIGNED;
}

/* What is left of MaxSignatures. */
static size_t verdicts_left(const walker *w)
{
	size_t max = w->opts->max_signatures ? w->opts->max_signatures
					     : SMIME_MAX_SIGNATURES;

	return w->verdicts < max ? max - w->verdicts : 0;
}

/* A signed layer that could not be read still gets a verdict, while
 * MaxSignatures allows one. */
static int verdict_unreadable(walker *w, smime_layer *l)
{
	if (w->opts->trust == NULL || !is_signed_kind(l->kind))
		return SMIME_OK;
	if (verdicts_left(w) == 0) {
		w->facts->unchecked_signatures++;
		return SMIME_OK;
	}
	w->verdicts++;
	l->checks = calloc(1, sizeof(*l->checks));
	if (l->checks == NULL)
		return SMIME_E_NOMEM;
	l->nchecks = 1;
	l->checks->problems = SMIME_REASON_BIT(SMIME_REASON_MALFORMED);
	l->checks->result = SMIME_RESULT_NEUTRAL;
	l->checks->reason = SMIME_REASON_MALFORMED;
	l->checks->match = SMIME_SIGMATCH_BAD;
	return SMIME_OK;
}

/* Verifies l from tree, the SignedData its facts were read from. */
static int verify_layer(walker *w, smime_layer *l, const unsigned char *der,
			size_t len, smime_cms_tree *tree,
			const signed_bytes *content)
{
	smime_verify_req req = {
		.der = der,
		.der_len = len,
		.addresses = w->addrs,
		.naddresses = w->naddrs,
		.now = w->now,
		.max_signers = verdicts_left(w),
		.local = w->opts->local,
		.uncached = w->opts->decrypted,
	};
	size_t left = 0;
	int rc;

	if (w->opts->trust == NULL || !is_signed_kind(l->kind))
		return SMIME_OK;
	if (l->error != 0)
		return verdict_unreadable(w, l);
	if (req.max_signers == 0) {
		w->facts->unchecked_signatures += l->cms.nsigners;
		return SMIME_OK;
	}
	if (content != NULL) {
		req.content = content->p;
		req.content_len = content->n;
	}
	rc = smime_verify_decoded(w->opts->trust, &req, tree, &l->cms.econtent,
				  &l->checks, &l->nchecks, &left);
	w->verdicts += l->nchecks;
	w->facts->unchecked_signatures += left;
	return rc;
}

static void set_strength(walker *w, smime_layer *l)
{
	if (l->kind != SMIME_KIND_ENVELOPED &&
	    l->kind != SMIME_KIND_AUTH_ENVELOPED)
		return;
	l->strength = l->cms.cipher
			      ? smime_cipher_strength(l->cms.cipher->id,
						      w->opts->weak_ciphers)
			      : SMIME_STRENGTH_UNKNOWN;
}

/*
 * The kind of layer l, from what its DER is and where it sits (SPEC 3): a
 * SignedData is `signed` as a multipart/signed signature, `opaque-signed`
 * as a pkcs7-mime entity whatever it holds (no eContent, or not even
 * decoding: a sender cannot make it look detached), and what its
 * structure says in a raw CMS file; without SignerInfos it is
 * `certs-only` anywhere, and so is an unreadable entity announced as
 * such.  DER that is no ContentInfo takes what the MIME type announced.
 */
static smime_kind layer_kind(const smime_layer *l, smime_kind fallback,
			     bool detached, bool p7m)
{
	smime_kind k = l->cms.kind != SMIME_KIND_NONE ? l->cms.kind : fallback;

	if (k != SMIME_KIND_SIGNED && k != SMIME_KIND_OPAQUE_SIGNED)
		return k;
	if (detached)
		return SMIME_KIND_SIGNED;
	if (p7m && l->error != 0 && fallback == SMIME_KIND_CERTS_ONLY)
		return SMIME_KIND_CERTS_ONLY;
	return p7m ? SMIME_KIND_OPAQUE_SIGNED : k;
}

/* Reads one ContentInfo into a new layer (p7m: from a pkcs7-mime entity);
 * descends into opaque content. */
static int read_cms(walker *w, const unsigned char *der, size_t len,
		    smime_kind fallback, const char *part, unsigned level,
		    const signed_bytes *detached, bool p7m)
{
	smime_cms_tree tree = {0};
	smime_layer *l;
	size_t idx;
	int rc;

	rc = add_layer(w, fallback, part, level, &l);
	if (rc < 0)
		return rc;
	idx = w->facts->nlayers - 1;
	/* The decoded SignedData goes on to the verifier, when there is
	 * one: decoded once, its certificates imported once. */
	rc = smime_cms_read_tree(der, len, &w->opts->cms, &l->cms,
				 w->opts->trust != NULL ? &tree : NULL);
	if (rc < 0) {
		if (smime_err_is_resource(rc))
			return rc;
		l->error = rc;
	}
	l->kind = layer_kind(l, fallback, detached != NULL, p7m);
	set_strength(w, l);
	rc = verify_layer(w, l, der, len, &tree, detached);
	smime_cms_tree_free(&tree);
	if (rc < 0)
		return rc;
	if (l->error == 0 && l->kind == SMIME_KIND_OPAQUE_SIGNED &&
	    l->cms.econtent.len > 0) {
		smime_part *inner = NULL;
		const smime_buf *ec = &w->facts->layers[idx].cms.econtent;

		rc = smime_mime_parse(ec->data, ec->len, NULL, &w->opts->mime,
				      &inner);
		if (rc < 0)
			return rc;
		rc = walk_entity(w, ec->data, inner, level + 1, "");
		smime_mime_free(inner);
		return rc;
	}
	return SMIME_OK;
}

/* Decodes an entity's body and reads it as CMS. */
/*
 * The views in a layer's smime_cms_info (enc_key) point into the DER it
 * was read from, so that DER lives as long as the facts: layer idx, the
 * first one read_cms() added, takes it over (fuzz finding F1).
 */
static void keep_der(walker *w, size_t idx, smime_buf *der)
{
	/* An enveloped layer read from its copy without the encrypted
	 * content (cms_hollow.c) has its views there: its DER, nearly all
	 * ciphertext, goes now. */
	if (idx < w->facts->nlayers &&
	    w->facts->layers[idx].cms.hollow.len == 0) {
		w->facts->layers[idx].der = *der;
		*der = (smime_buf)SMIME_BUF_INIT;
	}
}

/* detached: the signed content of a multipart/signed whose signature p
 * is; NULL for a pkcs7-mime entity. */
static int read_entity_cms(walker *w, const unsigned char *buf,
			   const smime_part *p, smime_kind fallback,
			   const char *part, unsigned level,
			   const signed_bytes *detached)
{
	smime_buf der = SMIME_BUF_INIT;
	smime_layer *l;
	size_t idx;
	int rc;

	/* the message's own bytes may spill; what a key revealed never */
	if (!w->opts->decrypted)
		smime_buf_spill(&der, w->opts->cms.spill_dir);
	rc = smime_part_decode(buf, p, &der);
	if (rc < 0 && smime_err_is_resource(rc))
		goto cleanup;
	if (rc < 0 || der.len == 0) {
		/* Not even the transfer encoding decodes: a finding. */
		rc = add_layer(w, fallback, part, level, &l);
		if (rc == 0) {
			l->error = SMIME_E_PARSE;
			rc = verdict_unreadable(w, l);
		}
		goto cleanup;
	}
	idx = w->facts->nlayers;
	rc = read_cms(w, der.data, der.len, fallback, part, level, detached,
		      detached == NULL);
	keep_der(w, idx, &der);
cleanup:
	smime_buf_free(&der);
	return rc;
}

static int walk_signed(walker *w, const unsigned char *buf, const smime_part *p,
		       unsigned level, const char *base)
{
	char part[sizeof(((smime_layer *)0)->part)];
	const smime_part *first = &p->children[0];
	signed_bytes content = {buf + first->start, first->end - first->start};
	int rc;

	part_name(base, first, false, part, sizeof(part));
	rc = read_entity_cms(w, buf, &p->children[1], SMIME_KIND_SIGNED, part,
			     level, &content);
	if (rc < 0)
		return rc;
	return walk_entity(w, buf, &p->children[0], level + 1, base);
}

/* The number walk_signed gives the first part of multipart p, also
 * when p has no parts at all. */
static void first_part_name(const char *base, const smime_part *p, char *out,
			    size_t outlen)
{
	const char *dot = p->partnum[0] ? "." : "";
	int n = *base ? snprintf(out, outlen, "%s.%s%s1", base, p->partnum, dot)
		      : snprintf(out, outlen, "%s%s1", p->partnum, dot);

	if (n < 0 || (size_t)n >= outlen)
		snprintf(out, outlen, "%s", p->partnum); /* cannot happen: 32
							   * levels at most */
}

/*
 * An S/MIME multipart/signed that is not exactly [content, signature]
 * (RFC 1847 section 2.1, RFC 8551 section 3.5.3): the signature part is
 * missing, there are two of them, or no parts at all.  The signature
 * structure has errors, so the layer is signed and unreadable (neutral
 * malformed), not unsigned; the first part is still walked for the
 * layers inside it.
 */
static int walk_broken_signed(walker *w, const unsigned char *buf,
			      const smime_part *p, unsigned level,
			      const char *base)
{
	char part[sizeof(((smime_layer *)0)->part)];
	smime_layer *l;
	int rc;

	first_part_name(base, p, part, sizeof(part));
	rc = add_layer(w, SMIME_KIND_SIGNED, part, level, &l);
	if (rc < 0)
		return rc;
	l->error = SMIME_E_PARSE;
	rc = verdict_unreadable(w, l);
	if (rc < 0 || p->nchildren == 0)
		return rc;
	return walk_entity(w, buf, &p->children[0], level + 1, base);
}

static int walk_entity(walker *w, const unsigned char *buf, const smime_part *p,
		       unsigned level, const char *base)
{
	char part[sizeof(((smime_layer *)0)->part)];
	int rc;

	if (p->truncated)
		w->facts->truncated = true;
	if (level >= w->opts->max_nesting) {
		w->facts->truncated = true;
		return SMIME_OK;
	}
	if (is_smime_signed(p)) {
		if (p->nchildren >= 2 && is_pkcs7_signature(&p->children[1]) &&
		    (p->nchildren == 2 || p->truncated))
			return walk_signed(w, buf, p, level, base);
		/* A multipart a limit left unsplit is not broken. */
		if (!p->truncated)
			return walk_broken_signed(w, buf, p, level, base);
	}
	if (is_pkcs7_mime(p)) {
		part_name(base, p, true, part, sizeof(part));
		return read_entity_cms(w, buf, p, announced_kind(p), part,
				       level, NULL);
	}
	for (size_t i = 0; i < p->nchildren; i++) {
		rc = walk_entity(w, buf, &p->children[i], level, base);
		if (rc < 0)
			return rc;
	}
	return SMIME_OK;
}

void smime_analyze_opts_default(smime_analyze_opts *o)
{
	memset(o, 0, sizeof(*o));
	smime_mime_limits_default(&o->mime);
	smime_cms_limits_default(&o->cms);
	o->weak_ciphers = SMIME_WEAK_DEFAULT;
	o->max_nesting = SMIME_MIME_MAX_DEPTH;
	o->max_signatures = SMIME_MAX_SIGNATURES;
}

static int analyze_raw(walker *w, const unsigned char *buf, size_t len)
{
	smime_buf der = SMIME_BUF_INIT;
	signed_bytes content = {w->opts->content, w->opts->content_len};
	int rc;

	/* Raw DER is copied too, so that the facts never point into the
	 * caller's buffer (which may be decrypted content, freed soon). */
	rc = len > 0 && buf[0] == 0x30 ? smime_buf_append(&der, buf, len)
				       : smime_cms_from_pem(buf, len, &der);
	if (rc < 0) {
		smime_layer *l;
		if (smime_err_is_resource(rc))
			goto cleanup;
		rc = add_layer(w, SMIME_KIND_OTHER, "TEXT", 0, &l);
		if (rc == 0)
			l->error = SMIME_E_PARSE;
		goto cleanup;
	}
	rc = read_cms(w, der.data, der.len, SMIME_KIND_OTHER, "TEXT", 0,
		      content.p != NULL ? &content : NULL, false);
	keep_der(w, 0, &der);
cleanup:
	smime_buf_free(&der);
	return rc;
}

int smime_analyze(const unsigned char *buf, size_t len,
		  const smime_headers *top_headers,
		  const smime_analyze_opts *opts, smime_facts *facts)
{
	smime_analyze_opts defaults;
	smime_part *root = NULL;
	char *from = NULL, *sender = NULL;
	walker w;
	int rc;

	memset(facts, 0, sizeof(*facts));
	if (opts == NULL) {
		smime_analyze_opts_default(&defaults);
		opts = &defaults;
	}
	memset(&w, 0, sizeof(w));
	w.opts = opts;
	w.facts = facts;
	w.now = opts->now ? opts->now : time(NULL);
	if (top_headers == NULL &&
	    (opts->content != NULL || smime_cms_looks_raw(buf, len)))
		return analyze_raw(&w, buf, len);
	rc = smime_mime_parse(buf, len, top_headers, &opts->mime, &root);
	if (rc < 0)
		return rc;
	if (opts->trust != NULL)
		rc = smime_message_authors(opts->addr_headers
						   ? opts->addr_headers
						   : &root->headers,
					   &from, &sender);
	if (from != NULL)
		w.addrs[w.naddrs++] = from;
	if (sender != NULL)
		w.addrs[w.naddrs++] = sender;
	if (rc == 0)
		rc = walk_entity(&w, buf, root, 0, "");
	smime_mime_free(root);
	free(from);
	free(sender);
	return rc;
}

void smime_facts_free(smime_facts *facts)
{
	for (size_t i = 0; i < facts->nlayers; i++) {
		smime_cms_info_free(&facts->layers[i].cms);
		smime_sigchecks_free(facts->layers[i].checks,
				     facts->layers[i].nchecks);
		smime_buf_free(&facts->layers[i].der);
	}
	free(facts->layers);
	memset(facts, 0, sizeof(*facts));
}

const smime_layer *smime_facts_first_encrypted(const smime_facts *facts)
{
	for (size_t i = 0; i < facts->nlayers; i++)
		if (facts->layers[i].kind == SMIME_KIND_ENVELOPED ||
		    facts->layers[i].kind == SMIME_KIND_AUTH_ENVELOPED)
			return &facts->layers[i];
	return NULL;
}

/* weak before legacy before unknown before strong */
static int weakness(smime_strength s)
{
	return s == SMIME_STRENGTH_UNKNOWN  ? 1
	       : s == SMIME_STRENGTH_STRONG ? 0
					    : (int)s + 1;
}

const smime_layer *smime_facts_weakest(const smime_facts *facts)
{
	const smime_layer *best = NULL;

	for (size_t i = 0; i < facts->nlayers; i++) {
		const smime_layer *l = &facts->layers[i];
		if (l->kind != SMIME_KIND_ENVELOPED &&
		    l->kind != SMIME_KIND_AUTH_ENVELOPED)
			continue;
		if (best == NULL ||
		    weakness(l->strength) > weakness(best->strength))
			best = l;
	}
	return best;
}
