/*
 * reencrypt.h - what encryption.c (findings and the decision) and
 * reencrypt.c (opening and resealing one EnvelopedData) share.  Private
 * to milter/.
 */
#ifndef MILTER_REENCRYPT_H
#define MILTER_REENCRYPT_H

#include "milter.h"

/*
 * Re-encrypts the ContentInfo der (EnvelopedData or AuthEnvelopedData)
 * with cipher for the message's envelope recipients, as SPEC section 8
 * allows.  Returns 0 with the new ContentInfo appended to out and *reason
 * NULL, or 0 with *reason set ("no-key", "key-agreement",
 * "unknown-recipient", "decrypt-failed", "malformed", "unsupported") and
 * out untouched when the original must be kept, or a negative resource
 * error.  Every decryption failure is "decrypt-failed", whatever its
 * cause.  Plaintext and keys are wiped before return.  When the content
 * was decrypted, inner (when not NULL) gets its analysis: the signatures
 * inside, verified against the message's From and Sender.
 */
int milter_reencrypt_der(const milter_config *cfg, const milter_msg *m,
			 bool outbound, const unsigned char *der, size_t len,
			 smime_cipher_id cipher, smime_buf *out,
			 const char **reason, smime_facts *inner);

#endif
