/* burrow gc [--dry-run] [-q]: free what no image or container uses; burrow fsck [--repair]:
 * check the image store. The walking is store_gc.c's; here, flags and printing only. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "image/imagefile_unpack.h"
#include "image/store.h"
#include "image/store_gc.h"
#include "util/cleanup.h"
#include "util/paths.h"
#include "util/strv.h"

static int open_cache(struct store *st, struct error *err)
{
	cleanup_free char *cache = paths_cache();
	if (!cache)
		return error_set(err, ENOENT, "cannot find the cache path; set BURROW_CACHE_PATH");
	return store_open(cache, st, err);
}

static const char *const item_words[] = {
        [STORE_ITEM_BLOB] = "blob",
        [STORE_ITEM_LAYER] = "layer dir",
        [STORE_ITEM_TEMPORARY] = "temporary",
        [STORE_ITEM_UNPACKED] = "unpacked image file",
};

static int run_gc(struct store *st, struct store_gc_options *opts, struct store_gc_result *res,
                  struct error *err)
{
	opts->wait = false;
	if (store_gc(st, opts, res, err) == 0)
		return 0;
	if (err->code != EWOULDBLOCK)
		return -1;
	fprintf(stderr, "burrow gc: waiting for another burrow (a pull) to finish with %s\n", st->path);
	opts->wait = true;
	return store_gc(st, opts, res, err);
}

int cmd_gc(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"dry-run", no_argument, NULL, 'n'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct store_gc_options opts = {0};
	bool quiet = false;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+nqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			opts.dry_run = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("usage: burrow gc [--dry-run] [-q]\n\n"
			       "Remove the blobs and layer dirs that no image in the store and no container "
			       "uses,\n"
			       "temporaries that interrupted pulls left, and image files unpacked where FUSE "
			       "was\n"
			       "unusable whose file is gone or changed. Prints what it removes and the "
			       "total.\n\n"
			       "  -n, --dry-run   say what would be removed, remove nothing\n"
			       "  -q, --quiet     print the total only\n");
			return 0;
		default:
			return cli_usage_error("gc", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("gc", "unexpected argument '%s'", argv[optind]);
	struct error err;
	error_clear(&err);
	struct store st = {.fd = -1};
	struct store_gc_result res = {0};
	cleanup_strv char **in_use = NULL;
	cleanup_free char *data = paths_data();
	int status = 1;
	if (!data) {
		fprintf(stderr, "burrow: cannot find the data path; set BURROW_DATA_PATH\n");
		return 1;
	}
	if (store_gc_container_layers(data, &in_use, &err) < 0 || open_cache(&st, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	opts.keep_layers = in_use;
	if (run_gc(&st, &opts, &res, &err) < 0 ||
	    imagefile_unpack_gc(st.path, opts.dry_run, &res, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	char size[32];
	for (size_t i = 0; !quiet && i < res.n_items; i++)
		printf("%s %s %s (%s)\n", opts.dry_run ? "would remove" : "removed",
		       item_words[res.items[i].kind], res.items[i].name,
		       cli_human_bytes(res.items[i].bytes, size));
	char unpacked[64] = "";
	if (res.unpacked)
		snprintf(unpacked, sizeof(unpacked), ", %zu unpacked image file%s", res.unpacked,
		         res.unpacked == 1 ? "" : "s");
	printf("%s %zu blob%s, %zu layer dir%s, %zu temporar%s%s: %s (%" PRIu64 " bytes)\n",
	       opts.dry_run ? "would free" : "freed", res.blobs, res.blobs == 1 ? "" : "s", res.layers,
	       res.layers == 1 ? "" : "s", res.temporaries, res.temporaries == 1 ? "y" : "ies", unpacked,
	       cli_human_bytes(res.bytes, size), res.bytes);
	status = 0;
out:
	store_gc_result_free(&res);
	store_close(&st);
	return status;
}

int cmd_fsck(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"repair", no_argument, NULL, 'r'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct store_fsck_options opts = {0};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+rh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			opts.repair = true;
			break;
		case 'h':
			printf("usage: burrow fsck [--repair]\n\n"
			       "Check the image store: every blob against its digest, index.json, and that "
			       "each\n"
			       "image's blobs and layer dirs are there. Prints one line per problem and "
			       "exits 1\n"
			       "when any is left.\n\n"
			       "  -r, --repair    remove corrupt blobs, and name the images to pull again\n");
			return 0;
		default:
			return cli_usage_error("fsck", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("fsck", "unexpected argument '%s'", argv[optind]);
	struct error err;
	error_clear(&err);
	struct store st = {.fd = -1};
	struct store_fsck_report report = {0};
	if (open_cache(&st, &err) < 0) {
		cli_report(&err);
		return 1;
	}
	opts.wait = false;
	int rc = store_fsck(&st, &opts, &report, &err);
	if (rc < 0 && err.code == EWOULDBLOCK) {
		fprintf(stderr, "burrow fsck: waiting for another burrow (a pull or gc) to finish with %s\n",
		        st.path);
		opts.wait = true;
		rc = store_fsck(&st, &opts, &report, &err);
	}
	if (rc < 0) {
		cli_report(&err);
		store_close(&st);
		return 1;
	}
	for (size_t i = 0; report.problems && report.problems[i]; i++)
		printf("problem: %s\n", report.problems[i]);
	for (size_t i = 0; report.repairs && report.repairs[i]; i++)
		printf("repaired: %s\n", report.repairs[i]);
	/* A pull keeps a stored blob, damaged or not: those must go first. */
	for (size_t i = 0; report.broken && report.broken[i]; i++)
		printf("broken: image %s: %spull it again (burrow pull %s)\n", report.broken[i],
		       report.corrupt_left ? "run 'burrow fsck --repair', then " : "", report.broken[i]);
	printf("%zu blob%s checked, %zu problem%s%s\n", report.blobs_checked,
	       report.blobs_checked == 1 ? "" : "s", strv_len(report.problems),
	       strv_len(report.problems) == 1 ? "" : "s",
	       report.unrepaired           ? ""
	       : strv_len(report.problems) ? ", all repaired"
	                                   : "");
	int status = report.unrepaired ? 1 : 0;
	store_fsck_report_free(&report);
	store_close(&st);
	return status;
}
