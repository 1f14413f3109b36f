/*
 * tool.h - the subcommands of smime-tool.
 */
#ifndef SMIME_TOOL_H
#define SMIME_TOOL_H

#include "milter.h"

#include <stdio.h>

/* Exit statuses of smime-tool (SPEC section 3). */
enum {
	TOOL_EXIT_ACCEPT = 0,
	TOOL_EXIT_REJECT = 1,
	TOOL_EXIT_USAGE = 2,
	TOOL_EXIT_DISCARD = 3,
	TOOL_EXIT_QUARANTINE = 4,
	TOOL_EXIT_TEMPFAIL = 75
};

int tool_process(int argc, char **argv);
int tool_inspect(int argc, char **argv);
int tool_keys(int argc, char **argv);
int tool_lookup(int argc, char **argv);
int tool_report(int argc, char **argv);

/* The options of `keys` and `lookup`: -c FILE (required) and --at TIME
 * (*now, else the current time); operands says whether arguments after
 * them are required (then argv[optind..]) or refused.  0 with *cfg
 * loaded (one reference); -1 for a usage error (the caller prints its
 * usage); TOOL_EXIT_USAGE when --at or the configuration is bad (said on
 * stderr) (tool_keys.c). */
int tool_config_at(int argc, char **argv, bool operands, milter_config **cfg,
		   time_t *now);

/* A time as its UTC date, YYYY-MM-DD (tool_keys.c). */
void tool_print_date(FILE *o, time_t t);
/* "capabilities=LIST": the content ciphers caps names, comma-separated,
 * in its order ("none" when none the gateway knows; "unknown" for NULL
 * caps). */
void tool_print_caps(FILE *o, const smime_caps *caps);

/* --at TIME: RFC 3339 ("2026-01-02T03:04:05Z", offsets, fractions
 * ignored) or "@EPOCH".  0 or SMIME_E_PARSE. */
int tool_parse_at(const char *s, time_t *out);

/* Reads a whole file ("-" or NULL: standard input).  0 or SMIME_E_IO. */
int tool_read_file(const char *path, smime_buf *out);

#endif
