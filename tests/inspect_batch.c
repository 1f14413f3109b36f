/*
 * inspect_batch.c - `smime-tool inspect` over many files in one process,
 * for the corpus tests under valgrind (make check-valgrind), where each
 * smime-tool process would cost a valgrind start-up (not installed).
 *
 *   inspect_batch < REQUESTS
 *
 * Every line of REQUESTS is one run: OUT, then the arguments of
 * `smime-tool inspect`, separated by tabs.  Each runs smime-tool's own
 * tool_inspect() with its standard output going to OUT and its standard
 * error to OUT.err, and its exit status is printed as one line on the
 * driver's standard output, in request order.
 *
 * Exit status: 0 when every request ran (whatever their statuses), 2 for
 * a request that cannot be read or whose output files cannot be made.
 */
#include "tool.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 32

/* Runs tool_inspect(argc, argv) with fds 1 and 2 on OUT and OUT.err. */
static int run_one(const char *out, int argc, char **argv, int *status)
{
	char err[4096];
	int fd_out, fd_err, saved_out, saved_err;

	if (snprintf(err, sizeof(err), "%s.err", out) >= (int)sizeof(err))
		return -1;
	fd_out = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fd_err = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd_out < 0 || fd_err < 0) {
		if (fd_out >= 0)
			close(fd_out);
		if (fd_err >= 0)
			close(fd_err);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fd_out, 1);
	dup2(fd_err, 2);
	close(fd_out);
	close(fd_err);
	optind = 0; /* glibc: start getopt afresh */
	*status = tool_inspect(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	return 0;
}

/* Splits LINE at tabs into OUT and argv (argv[0] "inspect"). */
static int split(char *line, char **out, char **argv)
{
	int argc = 1;
	char *save = NULL, *w;

	line[strcspn(line, "\n")] = '\0';
	*out = strtok_r(line, "\t", &save);
	if (*out == NULL)
		return -1;
	argv[0] = "inspect";
	while ((w = strtok_r(NULL, "\t", &save)) != NULL) {
		if (argc == MAX_ARGS - 1)
			return -1;
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	return argc;
}

int main(void)
{
	char *line = NULL, *out, *argv[MAX_ARGS];
	size_t cap = 0;
	int argc, status, rc = 0;

	if (smime_global_init() < 0) {
		fprintf(stderr, "inspect_batch: cannot initialise the crypto "
				"libraries\n");
		return 2;
	}
	while (getline(&line, &cap, stdin) > 0) {
		argc = split(line, &out, argv);
		if (argc < 0 || run_one(out, argc, argv, &status) < 0) {
			fprintf(stderr,
				"inspect_batch: bad request or output: %s\n",
				line);
			rc = 2;
			break;
		}
		printf("%d\n", status);
	}
	free(line);
	smime_global_deinit();
	return rc;
}
