/*
 * tool.h - the subcommands of smime-tool.
 */
#ifndef SMIME_TOOL_H
#define SMIME_TOOL_H

#include "milter.h"

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

/* --at TIME: RFC 3339 ("2026-01-02T03:04:05Z", offsets, fractions
 * ignored) or "@EPOCH".  0 or SMIME_E_PARSE. */
int tool_parse_at(const char *s, time_t *out);

/* Reads a whole file ("-" or NULL: standard input).  0 or SMIME_E_IO. */
int tool_read_file(const char *path, smime_buf *out);

#endif
