/* burrow images [--json] [NAME]: the images in the store; burrow rmi NAME...: forget names. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "image/digest.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/paths.h"

int cli_open_store(struct store *st, struct error *err)
{
	cleanup_free char *cache = paths_cache();
	if (!cache)
		return error_set(err, ENOENT, "cannot find the cache path; set BURROW_CACHE_PATH");
	return store_open(cache, st, err);
}

int cmd_images(int argc, char **argv)
{
	bool json = false;
	const char *pattern = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: burrow images [--json] [NAME]\n\nList the images in the store: name "
			       "and manifest digest.\n"
			       "NAME lists only its images: every tag of a repository "
			       "(busybox, 127.0.0.1:5000/busybox),\n"
			       "or one image (busybox:1.36).\n");
			return 0;
		} else if (argv[i][0] != '-' && !pattern)
			pattern = argv[i];
		else
			return cli_usage_error("images", "unexpected argument '%s'", argv[i]);
	}
	struct error err;
	error_clear(&err);
	struct store st = {.fd = -1};
	struct store_image *images = NULL;
	size_t n = 0;
	if (cli_open_store(&st, &err) < 0 || store_list(&st, &images, &n, &err) < 0) {
		cli_report(&err);
		store_close(&st);
		return 1;
	}
	json_t *list = json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (pattern && !reference_name_matches(pattern, images[i].name))
			continue;
		if (list)
			json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "name", images[i].name,
			                                      "digest", images[i].manifest.digest,
			                                      "mediaType", images[i].manifest.media_type));
		else
			printf("%s\t%.19s\n", images[i].name, images[i].manifest.digest);
	}
	if (list) {
		char *text = json_dumps(list, JSON_INDENT(2));
		printf("%s\n", text ? text : "[]");
		free(text);
		json_decref(list);
	}
	store_images_free(images, n);
	store_close(&st);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: burrow rmi NAME...\n\nRemove image names from the store ('burrow gc' frees "
		       "the space).\n");
		return 0;
	}
	if (argc < 2)
		return cli_usage_error("rmi", "expected at least one NAME");
	struct error err;
	error_clear(&err);
	struct store st = {.fd = -1};
	if (cli_open_store(&st, &err) < 0) {
		cli_report(&err);
		return 1;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		struct store_image img = {0};
		if (image_find(&st, argv[i], &img, &err) < 0 || store_untag(&st, img.name, &err) < 0) {
			cli_report(&err);
			status = 1;
		}
		store_image_free(&img);
	}
	store_close(&st);
	return status;
}
