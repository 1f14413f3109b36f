/*
 * tool_main.c - smime-tool's entry point: initialises the crypto
 * libraries and runs the subcommand the first argument names (tool.h).
 */
#include "tool.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: smime-tool process -c FILE --from ADDR --rcpt ADDR ... "
		"[-i IN] [-o OUT]\n"
		"       smime-tool inspect [--json] [--content FILE] FILE\n"
		"       smime-tool keys -c FILE [--at TIME]\n"
		"       smime-tool lookup -c FILE [--at TIME] ADDRESS...\n"
		"       smime-tool report [--json] [--since TIME] "
		"[LOGFILE]...\n"
		"       smime-tool -V\n");
	return TOOL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("smime-tool %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (smime_global_init() < 0) {
		fprintf(stderr,
			"smime-tool: cannot initialise the crypto libraries\n");
		return TOOL_EXIT_TEMPFAIL;
	}
	if (strcmp(argv[1], "process") == 0)
		return tool_process(argc - 1, argv + 1);
	if (strcmp(argv[1], "inspect") == 0)
		return tool_inspect(argc - 1, argv + 1);
	if (strcmp(argv[1], "keys") == 0)
		return tool_keys(argc - 1, argv + 1);
	if (strcmp(argv[1], "lookup") == 0)
		return tool_lookup(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return tool_report(argc - 1, argv + 1);
	return usage();
}
