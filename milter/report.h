/*
 * report.h - the parts of `smime-tool report` (SPEC section 3): reading
 * one log line (report_parse.c), counting who still sends weak or legacy
 * crypto (report_tally.c) and printing the summary (report_print.c);
 * tool_report.c reads the files and drives them.
 */
#ifndef SMIME_REPORT_H
#define SMIME_REPORT_H

#include "milter.h"

#include <stdio.h>
#include <time.h>

/* Lines longer than this (without their newline) are skipped. */
#define REPORT_MAX_LINE 65536

/* The clock a year-less syslog date is placed with: now, once per run,
 * and the local year it falls in. */
typedef struct report_clock {
	time_t now;
	int year; /* struct tm's tm_year of now, local time */
} report_clock;

void report_clock_init(report_clock *c, time_t now);

/* What report needs of one per-message log line (SPEC section 7).  The
 * values are decoded (quotes and escapes undone) and point into the
 * line's own storage; NULL when the key is absent. */
typedef struct report_line {
	bool timed;       /* the line had a syslog timestamp */
	time_t when;      /* then, UTC */
	const char *from; /* the address, brackets removed, domain
			   * ASCII-lowercased */
	const char *cipher, *strength, *reason, *mailer;
} report_line;

/* Parses one line (NUL-terminated, len bytes, no newline) in place: 0
 * and *out filled when it is the milter's per-message line, in any of
 * the forms syslog or `smime-tool process` write; SMIME_E_PARSE for
 * anything else (another program's line, another line of the milter, a
 * truncated or malformed line), which the caller skips. */
int report_parse_line(char *line, size_t len, const report_clock *c,
		      report_line *out);

/* One group: messages counted under a key of up to three parts (NULL
 * for an absent or unused part, e.g. a message without a mailer). */
typedef struct report_group {
	char *k[3];
	unsigned long messages;
	unsigned long senders; /* distinct senders (domains, ciphers,
				* mailers) */
	bool timed;            /* some message had a time: first, last */
	time_t first, last;
} report_group;

/* The groups of one kind: a search tree (tsearch) by key, and the list
 * report_sort orders. */
typedef struct report_table {
	report_group **v;
	size_t n, cap;
	void *root;
} report_table;

/* The whole report. */
typedef struct report {
	bool has_since;
	time_t since;
	unsigned long lines;   /* input lines read */
	unsigned long logged;  /* per-message lines taken (after --since) */
	unsigned long old;     /* per-message lines older than --since */
	unsigned long counted; /* of logged, those with weak crypto */
	unsigned long untimed; /* of counted, those without a time */
	report_table senders, domains, ciphers, mailers;
	/* k[0] the sender, k[1] and k[2] the cipher and strength (or the
	 * mailer) */
	report_table sender_ciphers, sender_mailers;
} report;

/* Counts one line (report_tally.c): 0 or SMIME_E_NOMEM. */
int report_add(report *r, const report_line *l);
/* Sorts every table most recent first. */
void report_sort(report *r);
void report_free(report *r);

/* The groups of sender_ciphers or sender_mailers whose sender is
 * sender, after report_sort: *first is the index of the first, and the
 * count is returned. */
size_t report_pairs_of(const report_table *t, const char *sender,
		       size_t *first);

/* Prints the report (report_print.c): 0, SMIME_E_NOMEM, or SMIME_E_IO
 * when o could not be written. */
int report_print_text(FILE *o, const report *r);
int report_print_json(FILE *o, const report *r);

#endif
