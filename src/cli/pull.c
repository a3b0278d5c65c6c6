/* burrow pull [--arch A | --platform OS/ARCH[/VARIANT]] [-q] [-v] REF: an image into the store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
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
	if (cli_pull(argv[optind], platform_text, verbosity, true, &err) < 0) {
		cli_report(&err);
		return 1;
	}
	return 0;
}

int cli_pull(const char *text, const char *platform_text, int verbosity, bool print_name, struct error *err)
{
	struct reference ref = {0};
	struct platform platform = {0};
	struct store st = {.fd = -1};
	struct pull_result result = {0};
	cleanup_free char *cache = paths_cache();
	int rc = -1;
	if (!cache)
		return error_set(err, ENOENT, "cannot find the cache path; set BURROW_CACHE_PATH");
	if (reference_parse(text, &ref, err) < 0 ||
	    (platform_text && platform_parse(platform_text, &platform, err) < 0) ||
	    store_open(cache, &st, err) < 0)
		goto out;
	/* On a terminal, live lines per layer; one that cannot move the cursor (TERM=dumb) gets
	 * the plain lines. */
	const char *term = getenv("TERM");
	struct layer_view *view =
	        verbosity == 1 && !(term && strcmp(term, "dumb") == 0) ? layer_view_new(stderr) : NULL;
	struct pull_options opts = {
	        .platform = platform_text ? &platform : NULL,
	        .progress = verbosity > 0 && !view ? print_progress : NULL,
	        .layer_progress = view ? layer_view_update : NULL,
	        .progress_ctx = view,
	};
	int pulled = pull_image(&st, &ref, &opts, &result, err);
	layer_view_finish(view);
	if (pulled < 0)
		goto out;
	if (result.devices_skipped > 0)
		fprintf(stderr,
		        "burrow: notice: %llu device nodes in the image were skipped (an unprivileged user "
		        "cannot create them; the container's /dev provides the usual ones)\n",
		        (unsigned long long)result.devices_skipped);
	if (print_name)
		printf("%s\n", result.name);
	if (verbosity > 0)
		fprintf(stderr, "%s: %zu layers fetched, %zu cached\n", result.digest, result.layers_fetched,
		        result.layers_cached);
	rc = 0;
out:
	pull_result_free(&result);
	store_close(&st);
	platform_free(&platform);
	reference_free(&ref);
	return rc;
}

int cli_pull_for_use(void *ctx, const char *text, struct error *err)
{
	(void)ctx;
	fprintf(stderr, "burrow: pulling %s\n", text);
	return cli_pull(text, NULL, isatty(STDERR_FILENO) ? 1 : 0, false, err);
}
