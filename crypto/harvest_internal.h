/*
 * harvest_internal.h - one harvested entry in memory, shared by
 * harvest_file.c (reads and writes the file's text) and harvest.c (the
 * merge, the locking and the directory).
 */
#ifndef SMIME_HARVEST_INTERNAL_H
#define SMIME_HARVEST_INTERNAL_H

#include "keys_internal.h"

/* A certificate of an entry: its DER and notBefore. */
typedef struct harvest_cert {
	unsigned char *der;
	size_t len;
	time_t not_before;
} harvest_cert;

typedef struct harvest_entry {
	harvest_cert certs[SMIME_HARVEST_CERTS]; /* newest notBefore first */
	size_t ncerts;
	unsigned char *caps; /* the SMIMECapabilities DER; NULL: none */
	size_t caps_len;
	bool has_time; /* the signingTime the capabilities came with */
	time_t time;
} harvest_entry;

void smime_harvest_entry_free(harvest_entry *e);
/* Inserts *c (taken over, *c emptied) in notBefore order, the oldest
 * of five dropped: 1 when c was kept, 0 when it was older than the four
 * kept (and freed). */
int smime_harvest_entry_add(harvest_entry *e, harvest_cert *c);
/* Reads a harvest file's text: its CERTIFICATE blocks (at most
 * SMIME_HARVEST_CERTS, sorted newest first; blocks that do not read are
 * passed over), its SMIME CAPABILITIES block and the Signing-Time line
 * before it.  SMIME_E_NOMEM only: a damaged file reads as what is left. */
int smime_harvest_entry_parse(const unsigned char *text, size_t len,
			      harvest_entry *e);
/* The file's text for e (smime_harvest_entry_parse reads it back). */
int smime_harvest_entry_format(const harvest_entry *e, smime_buf *out);
/* A copy of der as an entry certificate (notBefore read from it);
 * SMIME_E_PARSE when it is no certificate. */
int smime_harvest_cert_new(const unsigned char *der, size_t len,
			   harvest_cert *out);

#endif
