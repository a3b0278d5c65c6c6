/* burrow pull [--arch A | --platform OS/ARCH[/VARIANT]] [-q] [-v] REF: an image into the store. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/pull.h"
#include "util/cleanup.h"
#include "util/paths.h"

static void print_progress(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

int cmd_pull(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"arch", required_argument, NULL, 'a'}, {"platform", required_argument, NULL, 'p'},
	        {"quiet", no_argument, NULL, 'q'},      {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *platform_text = NULL;
	int verbosity = isatty(STDERR_FILENO) ? 1 : 0;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+a:p:qvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
		case 'p':
			platform_text = optarg;
			break;
		case 'q':
			verbosity = 0;
			break;
		case 'v':
			verbosity = 2;
			break;
		case 'h':
			printf("usage: burrow pull [OPTIONS] REF\n\n"
			       "Fetch an image from a registry into the store "
			       "(docker://[USER@][REGISTRY#]IMAGE[:TAG]\n"
			       "or [REGISTRY/]REPO[:TAG|@DIGEST]).\n\n"
			       "  -a, --arch ARCH           architecture to pick from a multi-platform "
			       "image\n"
			       "  -p, --platform OS/ARCH[/VARIANT]\n"
			       "  -q, --quiet               print only the image name\n"
			       "  -v, --verbose             a line per layer even when not on a terminal\n");
			return 0;
		default:
			return cli_usage_error("pull", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("pull", "expected one REF");
	struct error err;
	error_clear(&err);
	struct reference ref = {0};
	struct platform platform = {0};
	struct store st = {.fd = -1};
	struct pull_result result = {0};
	cleanup_free char *cache = paths_cache();
	int status = 1;
	if (!cache) {
		fprintf(stderr, "burrow: cannot find the cache path; set BURROW_CACHE_PATH\n");
		return 1;
	}
	if (reference_parse(argv[optind], &ref, &err) < 0 ||
	    (platform_text && platform_parse(platform_text, &platform, &err) < 0) ||
	    store_open(cache, &st, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	struct pull_options opts = {
	        .platform = platform_text ? &platform : NULL,
	        .progress = verbosity > 0 ? print_progress : NULL,
	};
	if (pull_image(&st, &ref, &opts, &result, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	if (result.devices_skipped > 0)
		fprintf(stderr,
		        "burrow: notice: %llu device nodes in the image were skipped (an unprivileged user "
		        "cannot create them; the container's /dev provides the usual ones)\n",
		        (unsigned long long)result.devices_skipped);
	printf("%s\n", result.name);
	if (verbosity > 0)
		fprintf(stderr, "%s: %zu layers fetched, %zu cached\n", result.digest, result.layers_fetched,
		        result.layers_cached);
	status = 0;
out:
	pull_result_free(&result);
	store_close(&st);
	platform_free(&platform);
	reference_free(&ref);
	return status;
}
