/* burrow import [-a ARCH] [-o FILE] [-f] [--compression C] REF: an image (from the store, pulled
 * first when missing) as one squashfs image file, written from the cached layers. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image_file.h"
#include "image/reference.h"
#include "image/store.h"
#include "runtime/source.h"
#include "util/cleanup.h"
#include "util/paths.h"

static const char usage_text[] =
        "usage: burrow import [-a ARCH] [-o FILE] [-f] [--compression C] REF\n"
        "\n"
        "Write an image as a single squashfs file (IMAGE+TAG.sqsh in the current directory\n"
        "unless -o): REF is an image in the store or a registry reference, pulled first\n"
        "when missing. Owners, modes and extended attributes are kept; the image config is\n"
        "at " IMAGE_FILE_CONFIG_PATH " inside. SOURCE_DATE_EPOCH makes the output reproducible.\n"
        "\n"
        "  -a, --arch ARCH        architecture to pull when REF is not in the store\n"
        "  -o, --output FILE      where to write (default: IMAGE+TAG.sqsh)\n" CLI_IMAGE_FILE_USAGE;

struct pull_ctx {
	const char *arch;
};

static int pull_for_import(void *ctx, const char *text, struct error *err)
{
	const struct pull_ctx *p = ctx;
	fprintf(stderr, "burrow: pulling %s\n", text);
	return cli_pull(text, p->arch, isatty(STDERR_FILENO) ? 1 : 0, false, err);
}

/* Enroot's name: the repository and tag (or digest) with '/' and ':' as '+'. */
static char *default_output(const char *image_name)
{
	struct reference ref = {0};
	struct error err;
	if (reference_parse(image_name, &ref, &err) < 0)
		return NULL;
	const char *repo = ref.repository;
	if (strcmp(ref.registry, "docker.io") == 0 && strncmp(repo, "library/", 8) == 0)
		repo += 8;
	char *out = NULL;
	if (asprintf(&out, "%s+%s.sqsh", repo, ref.tag ? ref.tag : ref.digest) < 0)
		out = NULL;
	for (char *c = out; c && *c; c++)
		if (*c == '/' || *c == ':')
			*c = '+';
	reference_free(&ref);
	return out;
}

int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"arch", required_argument, NULL, 'a'},
	        CLI_IMAGE_FILE_LONGOPTS,
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cli_image_file_options file = {0};
	const char *arch = NULL;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+a:" CLI_IMAGE_FILE_SHORTOPTS "h", longopts, NULL)) != -1) {
		if (cli_image_file_option(opt, optarg, &file))
			continue;
		if (opt == 'a') {
			arch = optarg;
		} else if (opt == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else if (optopt && strchr("aoc", optopt)) {
			return cli_usage_error("import", "option '%s' needs a value", argv[optind - 1]);
		} else {
			return cli_usage_error("import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("import", "expected one REF");
	int usage = cli_image_file_finish("import", &file);
	if (usage)
		return usage;
	const char *output = file.output;
	bool force = file.force;
	struct error err;
	error_clear(&err);
	if (output && access(output, F_OK) == 0 && !force) {
		fprintf(stderr, "burrow: %s exists; use -f to replace it\n", output);
		return 1;
	}
	const char *text = argv[optind];
	cleanup_free char *cache = paths_cache();
	if (!cache) {
		fprintf(stderr, "burrow: cannot find the cache path; set BURROW_CACHE_PATH\n");
		return 1;
	}
	struct pull_ctx pull = {.arch = arch};
	struct source_paths paths = {.cache = cache, .pull = pull_for_import, .pull_ctx = &pull};
	struct store st = {.fd = -1};
	struct image img = {0};
	cleanup_free char *default_name = NULL;
	int status = 1;
	if (store_open(cache, &st, &err) < 0 || source_open_image(text, &paths, &st, &img, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	if (!output && !(output = default_name = default_output(img.name))) {
		fprintf(stderr, "burrow: cannot derive a file name from '%s'; use -o FILE\n", img.name);
		goto out;
	}
	if (image_file_write(img.layer_dirs, NULL, img.config_json, img.config_len, output, file.compressor,
	                     force, &err) < 0) {
		if (err.code != EEXIST)
			error_prefix(&err, "import %s to %s", img.name, output);
		cli_report(&err);
		goto out;
	}
	printf("%s\n", output);
	status = 0;
out:
	image_free(&img);
	store_close(&st);
	return status;
}
