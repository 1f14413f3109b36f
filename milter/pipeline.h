/*
 * pipeline.h - the per-message context of the processing path and its
 * steps.  Private to milter_process() (process.c) and the files that hold
 * one step each; nothing outside the path includes it.
 *
 * milter_process() fills a milter_pipe once (configuration, message,
 * direction, clock, body view, size bound) and runs the steps in order,
 * each taking the context alone.  A step reads what earlier steps left
 * (the facts, the Rules' decisions, the edit list so far) and adds its
 * own: edits, log fields, decisions for later steps.  A step returns
 * SMIME_OK, or a negative SMIME_E_* for a resource failure, which stops
 * the path and hands the message to On-InternalError.  Adding a step is
 * one function and one line in milter_process's table.
 */
#ifndef MILTER_PIPELINE_H
#define MILTER_PIPELINE_H

#include "directory.h"
#include "milter.h"

typedef struct milter_pipe {
	/* Set before the first step; never changed by a step. */
	const milter_config *cfg;
	const milter_msg *m;
	bool outbound;             /* SPEC section 4's direction */
	time_t now;                /* validity checks: arrival, or --at */
	const unsigned char *body; /* the body view, exact bytes */
	size_t bodylen;
	bool too_large; /* over MaxCryptoSize: not analysed,
				    * decrypted or signed */

	/* What the steps find, decide and change. */
	smime_facts facts;             /* the message as it arrived */
	smime_facts inner;             /* signatures inside content the
					* gateway decrypted (re-encryption) */
	bool reencrypted;              /* an entity was re-encrypted */
	const rules_action *reencrypt; /* the Rules' reencrypt, or NULL */
	const rules_action *sign;      /* the Rules' sign, or NULL */
	const rules_action *encrypt;   /* the Rules' encrypt, or NULL */
	smime_edits *edits;
	bool tagged; /* the Rules added an X-SMIME-Tag (metrics.c) */
	milter_logline log;
	smime_buf note;        /* the text log.note may point to */
	milter_dirsession dir; /* the message's directory work (LDAPTimeout) */
} milter_pipe;

/*
 * The message as the transforms so far left it (SPEC 5: reencrypt, sign
 * and encrypt each work on the result of the one before; transform.c):
 * the header after p->edits, and the body, the edit list's new one
 * (taken out of it meanwhile) or else the original.  A transform reads
 * headers and body, and on success writes its own edits (appended, so
 * they apply to this header) and new body to p->edits; then
 * milter_current_done puts a taken body back unless the transform
 * replaced it, and frees the rest.
 */
typedef struct milter_current {
	smime_headers headers;
	const unsigned char *body;
	size_t len;
	smime_buf taken; /* p->edits' body while the transform runs */
	bool took;
} milter_current;

/* Adds a text to the log line's note= (process.c): the notes of every
 * step, joined by "; ", so none hides another's.  Resource errors only. */
int milter_note(milter_pipe *p, const char *text);

int milter_current_get(milter_pipe *p, milter_current *c);
void milter_current_done(milter_pipe *p, milter_current *c);

/* The steps, in the order milter_process runs them. */

/* The analysis, and the log's kind, cipher and strength (process.c). */
int milter_step_classify(milter_pipe *p);

/*
 * The Rules (policy.c): removes incoming X-SMIME-Tag and
 * X-SMIME-Encryption fields, adds one X-SMIME-Tag per distinct label,
 * sets the verdict of a terminal action and the log's action word, and
 * leaves the rules' reencrypt and sign actions in p for the steps after.
 */
int milter_step_policy(milter_pipe *p);

/*
 * The encryption findings and `reencrypt` (encryption.c): one
 * X-SMIME-Encryption header per encrypted entity, and for reencrypt the
 * re-encrypted entities (new body and, at the top level, Content-*
 * fields).  Sets the log's action, action_reason, new_cipher and
 * entities, and p->inner for a copy it re-encrypted.
 */
int milter_step_encryption(milter_pipe *p);

/*
 * The `sign` action (signing.c): signs outbound mail for a From address
 * the login may use (SenderLoginMap / SignUnauthenticated, SPEC section
 * 8) with its KeyStore key, or leaves the message unchanged and sets the
 * log's sign=kept and sign_reason.  After encryption, which it yields to.
 */
int milter_step_signing(milter_pipe *p);

/*
 * The `encrypt` action (encrypting.c, SPEC section 9): the whole message
 * as the earlier transforms left it, to every envelope recipient and,
 * under EncryptToSender, the sender; failing closed: a recipient without
 * a usable certificate rejects (550 5.7.1), a directory failure
 * tempfails (451 4.7.1), a message over MaxCryptoSize rejects (552
 * 5.3.4).  Mail already encrypted is left as it is.
 */
int milter_step_encrypt(milter_pipe *p);

/*
 * Authentication-Results (authres_stamp.c): removes forged A-R fields
 * (our authserv-id with an smime result) and adds ours at the top, one
 * resinfo per verified SignerInfo; sets the log's signer, result and
 * reason from the outermost one, signatures to the count of every
 * layer's, and the note.  Inner signatures are stamped after the outer
 * ones only with StampInnerSignatures.
 */
int milter_step_authres(milter_pipe *p);

/*
 * Harvesting (harvest.c): with HarvestCertificates, stores the
 * certificate and capabilities of every SignerInfo of p->facts whose
 * result is pass.  Changes nothing of the message or the log line; what
 * cannot be stored is logged on its own line.
 */
int milter_step_harvest(milter_pipe *p);

#endif
