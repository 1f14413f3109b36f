/*
 * authors.c - who wrote a message, for the signer address check of
 * SPEC section 7 (RFC 5322 3.6.2, RFC 8550 section 3).
 *
 * Promises: a signature may only vouch for a message whose author is
 * unambiguous.  The author addresses are the single mailbox of the one
 * From field and the single mailbox of the one Sender field.  More than
 * one From field leaves no author at all, whatever Sender says; a From
 * field with several mailboxes (or a group of them) is no author, so
 * only the Sender can be; a Sender field that is repeated or holds
 * anything but one mailbox counts as no Sender.  So a message "From:
 * mallory@..., boss@..." signed by mallory is address-mismatch, unless
 * "Sender: mallory@..." owns up to it (issue 13, F7).
 */
#include "internal.h"

#include <stdlib.h>

/* The one mailbox of the one field called name, or NULL (*addr) when
 * there is no such field, more than one, or not exactly one mailbox. */
static int single_mailbox(const smime_headers *h, const char *name, char **addr)
{
	char **list = NULL;
	size_t n = 0;
	int rc;

	*addr = NULL;
	if (smime_headers_count(h, name) != 1)
		return SMIME_OK;
	rc = smime_address_list(smime_headers_get(h, name, 0), &list, &n);
	if (rc < 0)
		return rc;
	if (n == 1) {
		*addr = list[0];
		list[0] = NULL;
	}
	smime_address_list_free(list, n);
	return SMIME_OK;
}

int smime_message_authors(const smime_headers *h, char **from, char **sender)
{
	int rc;

	*from = NULL;
	*sender = NULL;
	if (smime_headers_count(h, "From") > 1)
		return SMIME_OK; /* two From fields: no author to match */
	rc = single_mailbox(h, "From", from);
	if (rc == 0)
		rc = single_mailbox(h, "Sender", sender);
	if (rc < 0) {
		free(*from);
		*from = NULL;
	}
	return rc;
}
