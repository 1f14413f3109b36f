/*
 * reencrypt.c - opens one EnvelopedData or AuthEnvelopedData with a
 * KeyStore key and seals its content again, with a fresh key and the
 * rule's cipher, for the message's envelope recipients only (SPEC
 * section 8).
 *
 * Whose certificate is whose: a certificate belongs to an address when it
 * carries that address, when its KeyStore entry NAME is the address, or
 * when its file is named after the address (rsa2@example.org.pem in
 * CertDirectory), all ignoring ASCII case.  The last two let an operator
 * use certificates that carry no e-mail address at all.
 *
 * Which key may open (never an oracle):
 *   inbound   a key belonging to an envelope recipient;
 *   outbound  a key belonging to an address the authenticated login may
 *             use (SenderLoginMap); unauthenticated clients open nothing.
 * Who gets the new content key: every envelope recipient, or the message
 * is kept (unknown-recipient):
 *   inbound   the gateway opened that recipient's own RecipientInfo, with
 *             a key of that recipient, to the same content key;
 *   outbound  a certificate of that recipient names an original
 *             RecipientInfo and sits in KeyStore or chains to a trust
 *             anchor.
 * Each new RecipientInfo keeps the original's identifier form and key
 * transport (PKCS#1 v1.5 or OAEP with its parameters).  RecipientInfos
 * of anyone else are dropped.
 *
 * Promises: one reason word for every decryption failure; the plaintext
 * and the content key are wiped before return on every path; nothing is
 * appended to out unless the whole seal succeeded.
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

/* Whether the login may use any identity of the key's certificate. */
static bool login_may_open(const milter_config *cfg, const char *login,
			   const smime_key *k)
{
	const smime_cert_info *in = smime_cert_get_info(smime_key_cert(k));

	for (size_t i = 0; i < in->naddresses; i++)
		if (milter_login_may_use(cfg->login_map, login,
					 in->addresses[i]))
			return true;
	return in->name != NULL &&
	       milter_login_may_use(cfg->login_map, login, in->name);
}

/*
 * A key is tried on at most KEY_TRIES of the key-transport RecipientInfos
 * that name its certificate.  More than one is rare but real (a CA that
 * reused a serial number, a sender holding a renewed certificate); an
 * envelope that names one certificate a thousand times (MaxRecipientInfos)
 * must not cost a thousand private-key operations per key.
 */
#define KEY_TRIES 4

/* The first key-transport RecipientInfo from index ri on that names
 * certificate c, or info->nrecipients. */
static size_t naming_ri(const smime_cms_info *info, const smime_cert *c,
			size_t ri)
{
	for (; ri < info->nrecipients; ri++)
		if (info->recipients[ri].type == SMIME_RI_KTRI &&
		    smime_cert_names_recipient(c, &info->recipients[ri]))
			break;
	return ri;
}

static bool any_agreement(const smime_cms_info *info)
{
	for (size_t i = 0; i < info->nrecipients; i++)
		if (info->recipients[i].type == SMIME_RI_KARI ||
		    info->recipients[i].type == SMIME_RI_KEKRI)
			return true;
	return false;
}

/* What opening found. */
typedef struct opened {
	smime_content_key *ck;
	const smime_key *key;
	size_t ri;
	bool tried; /* some RecipientInfo named a key we may use */
} opened;

/* Tries key on the RecipientInfos naming it (KEY_TRIES of them at most).
 * 0 (opened or not) or a resource error. */
static int try_key(const smime_envelope *env, const smime_key *k, opened *o)
{
	const smime_cms_info *info = smime_envelope_info(env);
	const smime_cert *c = smime_key_cert(k);
	size_t ri = naming_ri(info, c, 0);

	for (size_t n = 0;
	     n < KEY_TRIES && ri < info->nrecipients && o->ck == NULL;
	     n++, ri = naming_ri(info, c, ri + 1)) {
		int rc;
		o->tried = true;
		rc = smime_envelope_open_ri(env, ri, k, &o->ck);
		if (rc < 0 && smime_err_is_resource(rc))
			return rc;
		if (rc == 0) {
			o->key = k;
			o->ri = ri;
		}
	}
	return SMIME_OK;
}

static int open_envelope(const milter_config *cfg, const milter_msg *m,
			 bool outbound, const smime_envelope *env, opened *o)
{
	size_t nkeys = smime_keystore_count(cfg->keystore);
	int rc = SMIME_OK;

	for (size_t i = 0; i < nkeys && o->ck == NULL && rc == 0; i++) {
		const smime_key *k = smime_keystore_at(cfg->keystore, i);
		bool may = false;
		if (outbound) {
			may = login_may_open(cfg, m->auth_user, k);
		} else {
			for (size_t r = 0; r < m->nrcpts && !may; r++)
				may = cert_belongs(smime_key_cert(k),
						   m->rcpts[r]);
		}
		if (may)
			rc = try_key(env, k, o);
	}
	return rc;
}

/* The proof for one inbound recipient: a key of theirs opens their own
 * RecipientInfo to the content key.  *found stays false otherwise. */
static int inbound_wrap(const milter_config *cfg, const smime_envelope *env,
			const opened *o, const char *rcpt,
			smime_seal_recipient *out, bool *found)
{
	const smime_cms_info *info = smime_envelope_info(env);

	for (size_t i = 0; i < smime_keystore_count(cfg->keystore); i++) {
		const smime_key *k = smime_keystore_at(cfg->keystore, i);
		const smime_cert *c = smime_key_cert(k);
		if (!cert_belongs(c, rcpt))
			continue;
		for (size_t n = 0, ri = naming_ri(info, c, 0);
		     n < KEY_TRIES && ri < info->nrecipients;
		     n++, ri = naming_ri(info, c, ri + 1)) {
			int rc = (k == o->key && ri == o->ri)
					 ? 0
					 : smime_envelope_check_ri(env, ri, k,
								   o->ck);
			if (rc < 0 && smime_err_is_resource(rc))
				return rc;
			if (rc == 0 &&
			    smime_envelope_keytrans(env, ri, &out->kt) == 0) {
				out->cert = c;
				*found = true;
				return SMIME_OK;
			}
		}
	}
	return SMIME_OK;
}

/* Whether certificate c of an outbound recipient may be wrapped for, and
 * the RecipientInfo it names. */
static bool outbound_cert(const milter_config *cfg, const milter_msg *m,
			  const smime_envelope *env, const smime_cert *c,
			  bool in_keystore, smime_seal_recipient *out)
{
	const smime_cms_info *info = smime_envelope_info(env);
	size_t ri = naming_ri(info, c, 0);

	if (ri == info->nrecipients)
		return false;
	if (!in_keystore &&
	    !milter_anchors_trust(cfg->anchors, c, cfg->certdir,
				  m->now ? m->now : time(NULL)))
		return false;
	if (smime_envelope_keytrans(env, ri, &out->kt) != 0)
		return false;
	out->cert = c;
	return true;
}

static bool outbound_wrap(const milter_config *cfg, const milter_msg *m,
			  const smime_envelope *env, const char *rcpt,
			  smime_seal_recipient *out)
{
	for (size_t i = 0; i < smime_keystore_count(cfg->keystore); i++) {
		const smime_cert *c =
			smime_key_cert(smime_keystore_at(cfg->keystore, i));
		if (cert_belongs(c, rcpt) &&
		    outbound_cert(cfg, m, env, c, true, out))
			return true;
	}
	for (size_t i = 0; i < smime_certdir_count(cfg->certdir); i++) {
		const smime_cert *c = smime_certdir_at(cfg->certdir, i);
		if (cert_belongs(c, rcpt) &&
		    outbound_cert(cfg, m, env, c, false, out))
			return true;
	}
	return false;
}

/* One seal recipient per envelope recipient (duplicates merged); *reason
 * is set when anyone cannot be wrapped for. */
static int collect_recipients(const milter_config *cfg, const milter_msg *m,
			      bool outbound, const smime_envelope *env,
			      const opened *o, smime_seal_recipient *v,
			      size_t *n, const char **reason)
{
	*n = 0;
	for (size_t r = 0; r < m->nrcpts; r++) {
		smime_seal_recipient sr;
		bool found = false, dup = false;
		memset(&sr, 0, sizeof(sr));
		if (outbound) {
			found = outbound_wrap(cfg, m, env, m->rcpts[r], &sr);
		} else {
			int rc = inbound_wrap(cfg, env, o, m->rcpts[r], &sr,
					      &found);
			if (rc < 0)
				return rc;
		}
		if (!found) {
			*reason = "unknown-recipient";
			return SMIME_OK;
		}
		for (size_t i = 0; i < *n; i++)
			dup = dup || v[i].cert == sr.cert;
		if (!dup)
			v[(*n)++] = sr;
	}
	return SMIME_OK;
}

int milter_reencrypt_der(const milter_config *cfg, const milter_msg *m,
			 bool outbound, const unsigned char *der, size_t len,
			 smime_cipher_id cipher, smime_buf *out,
			 const char **reason, smime_facts *inner)
{
	smime_envelope *env = NULL;
	smime_buf plain = SMIME_BUF_INIT;
	smime_seal_recipient *rcpts = NULL;
	opened o = {0};
	size_t n = 0;
	int rc;

	*reason = NULL;
	rc = smime_envelope_parse(der, len, &cfg->analyze.cms, &env);
	if (rc < 0) {
		if (!smime_err_is_resource(rc)) {
			*reason = "malformed";
			rc = SMIME_OK;
		}
		goto cleanup;
	}
	if (!outbound || (m->auth_user != NULL && *m->auth_user != '\0'))
		rc = open_envelope(cfg, m, outbound, env, &o);
	if (rc < 0)
		goto cleanup;
	if (o.ck == NULL) {
		*reason = o.tried                          ? "decrypt-failed"
			  : any_agreement(smime_envelope_info(env)) ? "key-agreement"
								 : "no-key";
		goto cleanup;
	}
	rc = smime_envelope_decrypt(env, o.ck, &plain);
	if (rc < 0) {
		if (!smime_err_is_resource(rc)) {
			*reason = "decrypt-failed";
			rc = SMIME_OK;
		}
		goto cleanup;
	}
	if (inner != NULL) {
		/* Signatures inside: always logged, stamped on request. */
		smime_analyze_opts opts = cfg->analyze;
		opts.now = m->now;
		opts.addr_headers = &m->headers;
		smime_facts_free(inner);
		rc = smime_analyze(plain.data, plain.len, NULL, &opts, inner);
		if (rc < 0)
			goto cleanup;
	}
	rcpts = calloc(m->nrcpts + 1, sizeof(*rcpts));
	if (rcpts == NULL) {
		rc = SMIME_E_NOMEM;
		goto cleanup;
	}
	rc = collect_recipients(cfg, m, outbound, env, &o, rcpts, &n, reason);
	if (rc < 0 || *reason != NULL)
		goto cleanup;
	if (n == 0) {
		*reason = "unknown-recipient";
		goto cleanup;
	}
	rc = smime_envelope_seal(cipher, plain.data, plain.len, rcpts, n, out);
	if (rc < 0 && !smime_err_is_resource(rc)) {
		*reason = "unsupported";
		rc = SMIME_OK;
	}
cleanup:
	free(rcpts);
	smime_buf_free(&plain); /* wipes the plaintext */
	smime_content_key_free(o.ck);
	smime_envelope_free(env);
	return rc;
}
