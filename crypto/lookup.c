/*
 * lookup.c - the certificate the gateway encrypts to for an address
 * (SPEC section 9, "Where a recipient's certificate comes from").
 *
 * The sources are one ordered table, asked in turn: the KeyStore (our own
 * users; their certificates are trusted as they are, so only validity and
 * key usage are judged), then the CertDirectory (judged in full by
 * smime_judge_recipient: validity, key usage, path to TrustAnchorFile,
 * CRLs).  A later source (LDAP, harvested certificates) is one more row.
 * Within the first source that has a usable certificate carrying the
 * address, the usable one with the latest notBefore wins (the first in
 * the source's index order on a tie).
 *
 * When no candidate is usable, the reason is that of the failing
 * candidate that came closest to being usable, i.e. that failed the
 * latest check: revoked (passed everything but the CRL), then untrusted,
 * key-usage, not-yet-valid (may become usable), expired.  No candidate
 * at all is no-certificate.
 *
 * Promises: reads the stores only, so threads may look up at once.
 */
#include "keys_internal.h"

/* One source: its name (smime_lookup_result.source), its next
 * certificate carrying addr after cursor *pos (NULL at the end), and its
 * judgement of one. */
typedef struct lookup_source {
	const char *name;
	const smime_cert *(*next)(const smime_lookup_ctx *ctx, const char *addr,
				  size_t *pos);
	smime_rcpt_status (*judge)(const smime_lookup_ctx *ctx,
				   const smime_cert *c);
} lookup_source;

static const smime_cert *keystore_next(const smime_lookup_ctx *ctx,
				       const char *addr, size_t *pos)
{
	const smime_key *k = smime_keystore_find_address(ctx->keys, addr, pos);

	return k != NULL ? smime_key_cert(k) : NULL;
}

static smime_rcpt_status keystore_judge(const smime_lookup_ctx *ctx,
					const smime_cert *c)
{
	return smime_judge_own_cert(c, ctx->now);
}

static const smime_cert *certdir_next(const smime_lookup_ctx *ctx,
				      const char *addr, size_t *pos)
{
	return smime_certdir_find_address(ctx->certdir, addr, pos);
}

static smime_rcpt_status certdir_judge(const smime_lookup_ctx *ctx,
				       const smime_cert *c)
{
	return smime_judge_recipient(ctx->trust, c, ctx->certdir, ctx->keys,
				     ctx->now);
}

static const lookup_source sources[] = {
	{"keystore", keystore_next, keystore_judge},
	{"certdir", certdir_next, certdir_judge},
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

/* The best failing candidate so far. */
/* Keeps in *worst the failure that got furthest through the checks. */
static void note_failure(smime_rcpt_status *worst, smime_rcpt_status s)
{
	if (closeness(s) > closeness(*worst))
		*worst = s;
}

static const smime_cert *best_of(const smime_lookup_ctx *ctx,
				 const lookup_source *src, const char *addr,
				 smime_rcpt_status *worst)
{
	const smime_cert *best = NULL, *c;
	size_t pos = 0;

	while ((c = src->next(ctx, addr, &pos)) != NULL) {
		smime_rcpt_status s = src->judge(ctx, c);

		if (s != SMIME_RCPT_OK)
			note_failure(worst, s);
		else if (best == NULL ||
			 c->info.not_before > best->info.not_before)
			best = c;
	}
	return best;
}

void smime_lookup_recipient(const smime_lookup_ctx *ctx, const char *addr,
			    smime_lookup_result *out)
{
	smime_rcpt_status worst = SMIME_RCPT_NO_CERTIFICATE;

	out->cert = NULL;
	out->source = NULL;
	out->reason = SMIME_RCPT_NO_CERTIFICATE;
	if (ctx == NULL || addr == NULL)
		return;
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		const smime_cert *c = best_of(ctx, &sources[i], addr, &worst);

		if (c != NULL) {
			out->cert = c;
			out->source = sources[i].name;
			out->reason = SMIME_RCPT_OK;
			return;
		}
	}
	out->reason = worst;
}
