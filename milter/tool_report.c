/*
 * tool_report.c - `smime-tool report [--json] [--since TIME] [LOGFILE]...`
 * (SPEC section 3): reads the milter's log lines - syslog files, saved
 * `smime-tool process` stderr, standard input when no file is named -
 * and summarises who still sends weak or legacy crypto, per sender,
 * domain, cipher and mailer, with counts and first and last seen, most
 * recent first (report_tally.c, report_print.c).
 *
 * Input is read through zlib, so gzip-compressed data (rotated logs,
 * also on standard input) is decompressed and anything else read as it
 * is; a file named *.gz must be compressed.  Lines are split on '\n' and
 * never held beyond REPORT_MAX_LINE bytes: a longer one is skipped whole,
 * as is every line report_parse_line does not take.  --since (RFC 3339
 * or @EPOCH) drops the lines older than it; lines without a time (saved
 * stderr) are kept, their first and last seen unknown.
 *
 * Exit status: 0 when every input was read; 2 for usage errors or an
 * input that cannot be opened or read to its end (said on stderr; the
 * report of what was read is still printed); 75 when memory or standard
 * output fail.
 */
#include "report.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define REPORT_USAGE                                                           \
	"usage: smime-tool report [--json] [--since TIME] [LOGFILE]...\n"

/* The line being put together from what the reads return. */
typedef struct line_reader {
	char *line; /* REPORT_MAX_LINE + 1 bytes */
	size_t len;
	bool overlong; /* past REPORT_MAX_LINE: skipped to its end */
	report *r;
	const report_clock *clock;
} line_reader;

/* A complete line: counted when it is the milter's per-message line
 * (every other line is skipped) and new enough. */
static int take_line(report *r, char *line, size_t len,
		     const report_clock *clock)
{
	report_line l;

	if (report_parse_line(line, len, clock, &l) != 0)
		return 0;
	if (r->has_since && l.timed && l.when < r->since) {
		r->old++;
		return 0;
	}
	return report_add(r, &l);
}

/* The end of a line: taken unless it was too long. */
static int end_line(line_reader *lr)
{
	int rc = 0;

	lr->r->lines++;
	if (!lr->overlong) {
		lr->line[lr->len] = '\0';
		rc = take_line(lr->r, lr->line, lr->len, lr->clock);
	}
	lr->len = 0;
	lr->overlong = false;
	return rc;
}

static int feed(line_reader *lr, const char *p, size_t n)
{
	int rc = 0;

	while (n > 0 && rc == 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		if (!lr->overlong && k > REPORT_MAX_LINE - lr->len) {
			lr->overlong = true;
		} else if (!lr->overlong) {
			memcpy(lr->line + lr->len, p, k);
			lr->len += k;
		}
		if (nl == NULL)
			break;
		rc = end_line(lr);
		p += k + 1;
		n -= k + 1;
	}
	return rc;
}

static bool named_gz(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && strcmp(name + n - 3, ".gz") == 0;
}

/* Says why gz could not be read; SMIME_REPORTED. */
static int read_error(const char *name, gzFile gz)
{
	int err = 0;
	const char *why = gzerror(gz, &err), *own = strstr(why, ">: ");

	if (strncmp(why, "<fd:", 4) == 0 && own != NULL)
		why = own + 3; /* zlib names the file "<fd:N>" */
	fprintf(stderr, "smime-tool: %s: %s\n", name,
		err == Z_ERRNO ? strerror(errno) : why);
	return SMIME_REPORTED;
}

/* Reads every line of gz into the report: 0, SMIME_REPORTED when it
 * could not be read to its end (what was read counts), or
 * SMIME_E_NOMEM. */
static int read_lines(line_reader *lr, const char *name, gzFile gz)
{
	static char chunk[65536];
	bool first = true;
	int n, err = Z_OK, rc = 0;

	while (rc == 0 && (n = gzread(gz, chunk, sizeof(chunk))) > 0) {
		if (first && named_gz(name) && gzdirect(gz)) {
			fprintf(stderr, "smime-tool: %s: not gzip-compressed\n",
				name);
			return SMIME_REPORTED;
		}
		first = false;
		rc = feed(lr, chunk, (size_t)n);
	}
	if (rc == 0 && (lr->len > 0 || lr->overlong))
		rc = end_line(lr); /* the last line had no newline */
	gzerror(gz, &err);
	/* Z_BUF_ERROR: compressed data cut short (gzread returned 0) */
	if (rc == 0 && err != Z_OK)
		rc = read_error(name, gz);
	return rc;
}

/* One input (NULL or "-": standard input).  0, SMIME_REPORTED when it
 * could not be read (said on stderr), or SMIME_E_NOMEM. */
static int read_input(line_reader *lr, const char *path)
{
	bool in = path == NULL || strcmp(path, "-") == 0;
	const char *name = in ? "standard input" : path;
	int fd = in ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	gzFile gz;
	int rc;

	if (fd < 0) {
		fprintf(stderr, "smime-tool: %s: %s\n", name, strerror(errno));
		return SMIME_REPORTED;
	}
	gz = gzdopen(fd, "rb");
	if (gz == NULL) {
		close(fd);
		return SMIME_E_NOMEM;
	}
	gzbuffer(gz, 65536);
	lr->len = 0;
	lr->overlong = false;
	rc = read_lines(lr, name, gz);
	gzclose(gz);
	return rc;
}

/* The options: 0, or -1 for a usage error (said on stderr). */
static int parse_args(int argc, char **argv, report *r, bool *json)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"since", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0}};
	int c;

	*json = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j') {
			*json = true;
		} else if (c == 's') {
			if (tool_parse_at(optarg, &r->since) < 0) {
				fprintf(stderr,
					"smime-tool: --since %s: expected "
					"RFC 3339 time or @EPOCH\n",
					optarg);
				return -1;
			}
			r->has_since = true;
		} else {
			fputs(REPORT_USAGE, stderr);
			return -1;
		}
	}
	return 0;
}

/* Every input into the report: 0, SMIME_REPORTED when one could not be
 * read, or SMIME_E_NOMEM. */
static int read_inputs(int argc, char **argv, report *r)
{
	report_clock clock;
	line_reader lr = {.r = r, .clock = &clock};
	int rc = 0, one;

	report_clock_init(&clock, time(NULL)); /* one "now" for the run */
	lr.line = malloc(REPORT_MAX_LINE + 1);
	if (lr.line == NULL)
		return SMIME_E_NOMEM;
	if (optind == argc)
		rc = read_input(&lr, NULL);
	for (int i = optind; i < argc && rc != SMIME_E_NOMEM; i++)
		if ((one = read_input(&lr, argv[i])) != 0)
			rc = one;
	free(lr.line);
	return rc;
}

int tool_report(int argc, char **argv)
{
	report r;
	bool json;
	int rc, status;

	memset(&r, 0, sizeof(r));
	if (parse_args(argc, argv, &r, &json) < 0)
		return TOOL_EXIT_USAGE;
	rc = read_inputs(argc, argv, &r);
	status = rc == 0 ? 0 : TOOL_EXIT_USAGE;
	if (rc == 0 || rc == SMIME_REPORTED) {
		report_sort(&r);
		rc = json ? report_print_json(stdout, &r)
			  : report_print_text(stdout, &r);
		if (rc == 0 && fflush(stdout) != 0)
			rc = SMIME_E_IO;
	}
	if (rc < 0) {
		fprintf(stderr, "smime-tool: report: %s\n",
			rc == SMIME_E_IO ? strerror(errno)
					 : smime_strerror(rc));
		status = TOOL_EXIT_TEMPFAIL;
	}
	report_free(&r);
	return status;
}
