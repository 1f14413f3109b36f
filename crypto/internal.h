/*
 * internal.h - declarations shared by crypto/ modules, not part of the
 * public API in smime.h.
 */
#ifndef SMIME_INTERNAL_H
#define SMIME_INTERNAL_H

#include "smime.h"

#include <libtasn1.h>

/* The ASN.1 definitions compiled from cms.asn by asn1Parser. */
extern const asn1_static_node smime_cms_asn1_tab[];

/* The parsed definitions, created once by smime_global_init(). */
asn1_node smime_cms_definitions(void);

/* Case-insensitive ASCII comparison helpers. */
int smime_ascii_casecmp(const char *a, const char *b);
int smime_ascii_ncasecmp(const char *a, const char *b, size_t n);

/* Duplicate n bytes as a NUL-terminated string; NULL on ENOMEM. */
char *smime_strndup(const char *s, size_t n);

#endif
