/* burrow remove [-f] NAME...: delete containers and everything written in them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/paths.h"

int cmd_remove(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	bool force = false;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 'h':
			printf("usage: burrow remove [-f] NAME...\n\n"
			       "Remove containers.\n\n"
			       "  -f, --force   no error for names that do not exist\n");
			return 0;
		default:
			return cli_usage_error("remove", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("remove", "expected at least one NAME");
	cleanup_free char *data = paths_data();
	if (!data) {
		fprintf(stderr, "burrow: cannot find the data path; set BURROW_DATA_PATH\n");
		return 1;
	}
	int status = 0;
	for (int i = optind; i < argc; i++) {
		struct error err;
		error_clear(&err);
		if (container_remove(data, argv[i], &err) < 0 && !(force && err.code == ENOENT)) {
			cli_report(&err);
			status = 1;
		}
	}
	return status;
}
