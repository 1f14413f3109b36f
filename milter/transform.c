/*
 * transform.c - the message as the transforms so far left it, for the
 * next one (SPEC 5: `reencrypt`, then `sign`, then `encrypt`, each on
 * the result of the one before, none skipped).
 *
 * The edit list is sequential: every edit applies to the header as the
 * edits before it left it, in the milter and in smime-tool alike.  So a
 * transform that works on the header smime_edits_apply_headers gives,
 * and appends its edits, composes with the ones before it, and one edit
 * list still describes the whole change.
 */
#include "pipeline.h"

#include <string.h>

int milter_current_get(milter_pipe *p, milter_current *c)
{
	smime_edits *e = p->edits;
	int rc;

	memset(c, 0, sizeof *c);
	rc = smime_edits_apply_headers(&p->m->headers, e, &c->headers);
	if (rc < 0) {
		smime_headers_free(&c->headers);
		return rc;
	}
	c->body = p->body;
	c->len = p->bodylen;
	if (e->replace_body) {
		c->taken = e->body;
		c->took = true;
		memset(&e->body, 0, sizeof e->body);
		e->replace_body = false;
		c->body = c->taken.data;
		c->len = c->taken.len;
	}
	return SMIME_OK;
}

void milter_current_done(milter_pipe *p, milter_current *c)
{
	smime_edits *e = p->edits;

	if (c->took && !e->replace_body) {
		e->body = c->taken;
		e->replace_body = true;
	} else {
		smime_buf_free(&c->taken);
	}
	smime_headers_free(&c->headers);
	memset(c, 0, sizeof *c);
}
