/* burrow create [--name NAME] [-f] SOURCE: a container from a root filesystem directory, a tar
 * file, or an image (from the store, pulled first when missing). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "image/reference.h"
#include "runtime/container.h"
#include "runtime/source.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/paths.h"

static const char usage_text[] =
        "usage: burrow create [--name NAME] [-f] SOURCE\n"
        "\n"
        "Make a container from SOURCE: an image file (FILE.sqsh, read in place at each start,\n"
        "never unpacked while FUSE is usable), a root filesystem directory (copied), a tar file\n"
        "such as 'docker export' writes (plain, gzip, zstd, xz or bzip2), or an image: a name\n"
        "in the store or a registry reference, pulled first when missing. A container made\n"
        "from an image copies nothing: its layers are shared with the store.\n"
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
	cleanup_free char *data = paths_data();
	cleanup_free char *cache = paths_cache();
	if (!data || !cache) {
		fprintf(stderr, "burrow: cannot find the data or cache path; set BURROW_DATA_PATH and "
		                "BURROW_CACHE_PATH\n");
		return 1;
	}
	struct error err;
	error_clear(&err);
	bool is_image_file = source_is_image_file(source);
	bool is_path = fs_is_dir(source) || fs_is_file(source);
	cleanup_free char *default_name = NULL;
	if (!name && is_path) {
		default_name = container_default_name(source);
	} else if (!name) {
		struct reference ref = {0};
		if (reference_parse(source, &ref, &err) == 0)
			default_name = reference_basename(&ref);
		reference_free(&ref);
	}
	if (!name && !(name = default_name)) {
		fprintf(stderr, "burrow: cannot derive a container name from '%s'; use --name NAME\n",
		        source);
		return 1;
	}
	struct source_paths paths = {.data = data, .cache = cache, .pull = cli_pull_for_use};
	if (is_image_file) {
		if (source_create_file_container(source, name, &paths, force, &err) < 0) {
			cli_report(&err);
			return 1;
		}
		return 0;
	}
	if (is_path) {
		if (container_create(data, name, source, force, &err) < 0) {
			cli_report(&err);
			return 1;
		}
		return 0;
	}
	if (source_create_container(source, name, &paths, force, &err) < 0) {
		if (err.code == ENOENT)
			error_prefix(&err, "'%s' is no directory or tar file", source);
		cli_report(&err);
		return 1;
	}
	return 0;
}
