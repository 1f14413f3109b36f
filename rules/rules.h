/*
 * rules.h - the policy language of smime-milter (SPEC section 5): its one
 * public header.  No crypto and no libmilter here: rules see only facts.
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CIDR matching (IPv4 and IPv6), also used for InternalHosts ---- */

typedef struct rules_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network address, host bits cleared */
	unsigned prefix;        /* prefix length */
} rules_cidr;

/* Parses "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6).  0, or -1 when invalid. */
int rules_cidr_parse(const char *text, rules_cidr *out);
/* True when the textual address ip (IPv4, IPv6, or IPv4-mapped IPv6
 * "::ffff:a.b.c.d", with or without surrounding [ ]) lies in c. */
bool rules_cidr_match(const rules_cidr *c, const char *ip);

/* ---- Globs: '*', '?' and '[...]', case-insensitive everywhere ---- */

/* True when text matches pattern.  A pattern whose '[' is not closed
 * matches nothing (the parser reports it before it gets here). */
bool rules_glob_match(const char *pattern, const char *text);
/* 0 when the glob is well-formed, else the 0-based offset of the error. */
int rules_glob_check(const char *pattern, size_t *err_offset);

#ifdef __cplusplus
}
#endif

#endif /* RULES_H */
