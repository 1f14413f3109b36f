/*
 * cidr.c - IPv4 and IPv6 network matching for `client-ip` rules and the
 * InternalHosts setting.
 *
 * rules_cidr_parse() accepts "ADDR" or "ADDR/PREFIX"; host bits beyond the
 * prefix are cleared so "10.1.2.3/8" means 10.0.0.0/8.  rules_cidr_match()
 * takes the client address as the MTA reports it: plain IPv4 or IPv6,
 * optionally in [ ], optionally IPv4-mapped ("::ffff:192.0.2.1"), which
 * then also matches IPv4 networks.
 */
#include "rules.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ADDR_TEXT_MAX 64

/* Parses a bare address (no prefix) into family + 16 bytes: 0 or
 * RULES_E_PARSE. */
static int parse_addr(const char *text, size_t len, int *family,
		      unsigned char addr[16])
{
	char buf[ADDR_TEXT_MAX];

	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return RULES_E_PARSE;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return RULES_E_PARSE;
}

static void clear_host_bits(unsigned char addr[16], unsigned prefix)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;
		if (bit >= prefix)
			addr[i] = 0;
		else if (prefix - bit < 8)
			addr[i] &=
				(unsigned char)(0xff << (8 - (prefix - bit)));
	}
}

int rules_cidr_parse(const char *text, rules_cidr *out)
{
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned maxbits;

	if (parse_addr(text, alen, &out->family, out->addr) < 0)
		return RULES_E_PARSE;
	maxbits = out->family == AF_INET ? 32 : 128;
	out->prefix = maxbits;
	if (slash) {
		const char *p = slash + 1;
		unsigned long v = 0;
		if (*p == '\0' || strlen(p) > 3)
			return RULES_E_PARSE;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return RULES_E_PARSE;
			v = v * 10 + (unsigned long)(*p - '0');
		}
		if (v > maxbits)
			return RULES_E_PARSE;
		out->prefix = (unsigned)v;
	}
	clear_host_bits(out->addr, out->prefix);
	return 0;
}

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};

bool rules_cidr_match(const rules_cidr *c, const char *ip)
{
	unsigned char addr[16];
	int family;

	if (ip == NULL || parse_addr(ip, strlen(ip), &family, addr) < 0)
		return false;
	if (family == AF_INET6 && c->family == AF_INET &&
	    memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		family = AF_INET;
	}
	if (family != c->family)
		return false;
	clear_host_bits(addr, c->prefix);
	return memcmp(addr, c->addr, 16) == 0;
}
