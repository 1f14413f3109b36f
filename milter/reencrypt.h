/*
 * reencrypt.h - what encryption.c (findings and the decision) and
 * reencrypt.c (opening and resealing one EnvelopedData) share.  Private
 * to milter/.
 */
#ifndef MILTER_REENCRYPT_H
#define MILTER_REENCRYPT_H

#include "pipeline.h"

/* One message's re-encryption: what every entity shares. */
typedef struct reencrypt_ctx {
	const milter_pipe *p;            /* the message and its config */
	const smime_cipher_info *cipher; /* the rule's new cipher; NULL for
					  * `auto` (chosen per entity) */
	const smime_cipher_info *chosen; /* the cipher of the entity
					  * milter_reencrypt_der re-encrypted
					  * last */
	unsigned ops_left;               /* MaxKeyOperations not yet spent */
	size_t sigs_left;       /* MaxSignatures not yet spent, the outer
				  * layers' verdicts taken off */
	smime_open_stats stats; /* for the debug counters */
	smime_facts *inner;     /* the decrypted content's analysis, or
				  * NULL when not wanted */
	milter_dirsession *dir; /* the message's directory work */
	/* `auto`: the envelope recipients' capabilities, looked up at the
	 * first entity (caps_state 0 not yet, 1 found, 2 the directory
	 * could not answer, negative an error); free with
	 * milter_reencrypt_ctx_free */
	smime_caps *caps;
	const smime_caps **known;
	int caps_state;
} reencrypt_ctx;

void milter_reencrypt_ctx_free(reencrypt_ctx *x);

/*
 * Re-encrypts the ContentInfo der (EnvelopedData or AuthEnvelopedData)
 * with x->cipher for the message's envelope recipients, as SPEC section 8
 * allows and in its order.  Returns 0 with the new ContentInfo appended
 * to out and *reason NULL, or 0 with *reason set and out untouched when
 * the original must be kept: before any private-key operation "no-key",
 * "unknown-recipient", "directory-unavailable", "key-agreement", "unsupported-cipher",
 * "malformed", "too-many-operations" or "outbound-disabled"; after one,
 * only "decrypt-failed".  Negative only for a resource error before any
 * private key was used.  Plaintext and keys are wiped before return.
 * When the copy is re-encrypted, x->inner (when not NULL) gets the
 * plaintext's analysis: the signatures inside, verified against the
 * message's From and Sender.
 */
int milter_reencrypt_der(reencrypt_ctx *x, const unsigned char *der, size_t len,
			 smime_buf *out, const char **reason);

/*
 * The entity that replaces the encrypted entity p of body once it is
 * re-encrypted to der (reencrypt_entity.c): p's header fields but
 * Content-Type and Content-Transfer-Encoding, exact bytes; the RFC 8551
 * Content-Type of kind with p's name= (else smime.p7m); base64; a
 * Content-Disposition only when p had none; then der in base64.  Appended
 * to out with CRLF line ends, the kept fields in their own.
 */
int milter_reencrypted_entity(const unsigned char *body, const smime_part *p,
			      smime_kind kind, const smime_buf *der,
			      smime_buf *out);

#endif
