/* burrow create [--name NAME] [-f] SOURCE: a container from a root filesystem directory or a tar file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/paths.h"

static const char usage_text[] =
        "usage: burrow create [--name NAME] [-f] SOURCE\n"
        "\n"
        "Make a container from SOURCE: a root filesystem directory (copied) or a tar file\n"
        "such as 'docker export' writes (plain, gzip, zstd, xz or bzip2).\n"
        "\n"
        "  -n, --name NAME   container name (default: SOURCE's base name)\n"
        "  -f, --force       replace an existing container of that name\n";

int cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	bool force = false;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+n:fh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_usage_error("create", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("create", "expected one SOURCE");
	const char *source = argv[optind];
	cleanup_free char *default_name = NULL;
	if (!name) {
		default_name = container_default_name(source);
		if (!default_name) {
			fprintf(stderr, "burrow: cannot derive a container name from '%s'; use --name NAME\n",
			        source);
			return 1;
		}
		name = default_name;
	}
	cleanup_free char *data = paths_data();
	if (!data) {
		fprintf(stderr, "burrow: cannot find the data path; set BURROW_DATA_PATH\n");
		return 1;
	}
	struct error err;
	error_clear(&err);
	if (container_create(data, name, source, force, &err) < 0) {
		cli_report(&err);
		return 1;
	}
	return 0;
}
