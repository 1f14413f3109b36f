/*
 * lookup.c - the certificate the gateway encrypts to for an address
 * (SPEC section 9, "Where a recipient's certificate comes from").
 *
 * The sources are one ordered table, asked in turn: the KeyStore (our own
 * users; their certificates are trusted as they are, so only validity and
 * key usage are judged), the CertDirectory, then the directory's entries
 * the operator placed (under LDAPBase) and the harvested ones, all three
 * judged in full by smime_judge_recipient: validity, key usage, path to
 * TrustAnchorFile, CRLs.  Within the first source that has a usable
 * certificate carrying the address, the usable one with the latest
 * notBefore wins (the first in the source's order on a tie).
 *
 * HarvestDirectory's file for the address is read first, into the
 * harvested source (after the directory's harvested entries).  The
 * directory is asked once per lookup, when the loaded stores have no
 * usable certificate or HarvestDirectory has no capabilities for the
 * address (the directory's entries may then give them).  When it cannot
 * answer, the address is directory-unavailable: it was asked because no
 * usable KeyStore or CertDirectory certificate with known capabilities
 * settled the lookup, and what the directory holds could outrank a
 * harvested certificate or change the cipher, so an unavailable
 * directory is never read as "none there".
 *
 * When no candidate is usable, the reason is that of the failing
 * candidate that came closest to being usable, i.e. that failed the
 * latest check: revoked (passed everything but the CRL), then untrusted,
 * key-usage, not-yet-valid (may become usable), expired.  No candidate
 * at all is no-certificate.
 *
 * Promises: reads the stores only, so threads may look up at once (the
 * directory callback must allow that too); a resource failure on the way
 * is returned as such, never read as "no certificate" (a 550 for what
 * was a transient shortage).
 */
#include "keys_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One source: its name (smime_lookup_result.source), its next
 * certificate carrying addr after cursor *pos (NULL at the end; then
 * *err is set when a resource failure ended the search), and its
 * judgement of one. */
typedef struct lookup_source {
	const char *name;
	const smime_cert *(*next)(const smime_lookup_ctx *ctx,
				  const smime_lookup_result *r,
				  const char *addr, size_t *pos, int *err);
	smime_rcpt_status (*judge)(const smime_lookup_ctx *ctx,
				   const smime_cert *c);
} lookup_source;

static const smime_cert *keystore_next(const smime_lookup_ctx *ctx,
				       const smime_lookup_result *r,
				       const char *addr, size_t *pos, int *err)
{
	const smime_key *k =
		smime_keystore_find_address_err(ctx->keys, addr, pos, err);

	(void)r;
	return k != NULL ? smime_key_cert(k) : NULL;
}

static smime_rcpt_status keystore_judge(const smime_lookup_ctx *ctx,
					const smime_cert *c)
{
	return smime_judge_own_cert(c, ctx->now);
}

static const smime_cert *certdir_next(const smime_lookup_ctx *ctx,
				      const smime_lookup_result *r,
				      const char *addr, size_t *pos, int *err)
{
	(void)r;
	return smime_certdir_find_address_err(ctx->certdir, addr, pos, err);
}

static smime_rcpt_status full_judge(const smime_lookup_ctx *ctx,
				    const smime_cert *c)
{
	return smime_judge_recipient(ctx->trust, c, ctx->certdir, ctx->keys,
				     ctx->now);
}

/* Whether the certificate carries addr, compared as the indexes do
 * (smime_address_key: ASCII case, IDNA A- and U-labels alike). */
static bool carries(const smime_cert *c, const char *addr, int *err)
{
	char *want = NULL, *have = NULL;
	bool yes = false;
	int rc = smime_address_key(addr, &want);

	if (rc < 0) {
		if (smime_err_is_resource(rc))
			*err = rc;
		return false;
	}
	for (size_t i = 0; i < c->naddresses && !yes; i++) {
		rc = smime_address_key(c->addresses[i], &have);
		if (rc < 0) {
			if (smime_err_is_resource(rc))
				*err = rc;
			break;
		}
		yes = strcmp(have, want) == 0;
		free(have);
		have = NULL;
	}
	free(want);
	return yes;
}

/* The next certificate of a fetched list that carries addr. */
static const smime_cert *found_next(const smime_found *f, const char *addr,
				    size_t *pos, int *err)
{
	while (*pos < f->ncerts && *err == 0) {
		const smime_cert *c = f->certs[(*pos)++];

		if (carries(c, addr, err))
			return c;
	}
	return NULL;
}

static const smime_cert *placed_next(const smime_lookup_ctx *ctx,
				     const smime_lookup_result *r,
				     const char *addr, size_t *pos, int *err)
{
	(void)ctx;
	return found_next(&r->fetched[0], addr, pos, err);
}

/* The directory's harvested entries, then HarvestDirectory's: one
 * source, the cursor running through both. */
static const smime_cert *harvested_next(const smime_lookup_ctx *ctx,
					const smime_lookup_result *r,
					const char *addr, size_t *pos, int *err)
{
	const smime_cert *c;
	size_t n1 = r->fetched[1].ncerts, sub;

	(void)ctx;
	if (*pos < n1) {
		c = found_next(&r->fetched[1], addr, pos, err);
		if (c != NULL || *err != 0)
			return c;
	}
	sub = *pos - n1;
	c = found_next(&r->fetched[2], addr, &sub, err);
	*pos = n1 + sub;
	return c;
}

static const lookup_source local_sources[] = {
	{"keystore", keystore_next, keystore_judge},
	{"certdir", certdir_next, full_judge},
};

static const lookup_source fetched_sources[] = {
	{"ldap", placed_next, full_judge},
	{"harvest", harvested_next, full_judge},
};

/* How close a failing candidate came to being usable: the higher, the
 * later the check it failed. */
static int closeness(smime_rcpt_status s)
{
	switch (s) {
	case SMIME_RCPT_REVOKED:
		return 5;
	case SMIME_RCPT_UNTRUSTED:
		return 4;
	case SMIME_RCPT_KEY_USAGE:
		return 3;
	case SMIME_RCPT_NOT_YET_VALID:
		return 2;
	case SMIME_RCPT_EXPIRED:
		return 1;
	default:
		return 0;
	}
}

/* Keeps in *worst the failure that got furthest through the checks. */
static void note_failure(smime_rcpt_status *worst, smime_rcpt_status s)
{
	if (closeness(s) > closeness(*worst))
		*worst = s;
}

static const smime_cert *best_of(const smime_lookup_ctx *ctx,
				 const smime_lookup_result *r,
				 const lookup_source *src, const char *addr,
				 smime_rcpt_status *worst, int *err)
{
	const smime_cert *best = NULL, *c;
	size_t pos = 0;

	while ((c = src->next(ctx, r, addr, &pos, err)) != NULL) {
		smime_rcpt_status s = src->judge(ctx, c);

		if (s != SMIME_RCPT_OK)
			note_failure(worst, s);
		else if (best == NULL ||
			 c->info.not_before > best->info.not_before)
			best = c;
	}
	return best;
}

/* The first source of the table with a usable certificate; true when
 * one was found (r->cert, r->source set). */
static bool first_usable(const smime_lookup_ctx *ctx, smime_lookup_result *r,
			 const lookup_source *table, size_t n, const char *addr,
			 smime_rcpt_status *worst, int *err)
{
	for (size_t i = 0; i < n && *err == 0; i++) {
		const smime_cert *c =
			best_of(ctx, r, &table[i], addr, worst, err);

		if (c != NULL && *err == 0) {
			r->cert = c;
			r->source = table[i].name;
			return true;
		}
	}
	return false;
}

/* SPEC 9: the newest harvested capabilities (the later caps_time of
 * the directory's and HarvestDirectory's), else the directory's. */
static void take_caps(smime_lookup_result *r)
{
	const smime_found *h = &r->fetched[1], *p = &r->fetched[0];
	const smime_found *f = &r->fetched[2];
	const smime_found *from;

	if (f->has_caps && (!h->has_caps || f->caps_time > h->caps_time))
		h = f;
	from = h->has_caps ? h : p->has_caps ? p : NULL;

	r->has_caps = from != NULL;
	if (from != NULL)
		r->caps = from->caps;
}

int smime_lookup_recipient(const smime_lookup_ctx *ctx, const char *addr,
			   smime_lookup_result *out)
{
	smime_rcpt_status worst = SMIME_RCPT_NO_CERTIFICATE;
	bool local;
	int ans, err = 0;

	memset(out, 0, sizeof *out);
	out->reason = SMIME_RCPT_NO_CERTIFICATE;
	if (ctx == NULL || addr == NULL)
		return 0;
	local = first_usable(ctx, out, local_sources, 2, addr, &worst, &err);
	if (err != 0)
		return err;
	ans = smime_harvest_read(ctx->harvest_dir, addr, &out->fetched[2]);
	if (ans == SMIME_E_NOMEM)
		return ans;
	if (ans < 0)
		smime_found_clear(&out->fetched[2]); /* unreadable: none */
	if (ctx->directory != NULL &&
	    !(local && (ctx->no_caps || out->fetched[2].has_caps))) {
		ans = ctx->directory(ctx->directory_arg, addr, &out->fetched[0],
				     &out->fetched[1]);
		if (ans < 0)
			return ans;
		if (ans == SMIME_DIR_UNAVAILABLE) {
			out->cert = NULL;
			out->source = NULL;
			out->reason = SMIME_RCPT_DIRECTORY_UNAVAILABLE;
			return 0;
		}
	}
	take_caps(out);
	if (local ||
	    first_usable(ctx, out, fetched_sources, 2, addr, &worst, &err)) {
		out->reason = SMIME_RCPT_OK;
		return 0;
	}
	out->reason = worst;
	return err;
}

void smime_lookup_result_clear(smime_lookup_result *r)
{
	if (r == NULL)
		return;
	smime_found_clear(&r->fetched[0]);
	smime_found_clear(&r->fetched[1]);
	smime_found_clear(&r->fetched[2]);
	r->cert = NULL;
	r->source = NULL;
}
