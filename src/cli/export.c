/* burrow export [-o FILE] [-f] [--compression C] NAME: a container as it is now (its image's
 * layers with its own changes on top, or its plain tree) as one squashfs image file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image.h"
#include "image/image_file.h"
#include "image/store.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/paths.h"
#include "util/strv.h"

static const char usage_text[] =
        "usage: burrow export [-o FILE] [-f] [--compression C] NAME\n"
        "\n"
        "Write container NAME as it is now, with the changes made in it, as a single squashfs\n"
        "file (NAME.sqsh in the current directory unless -o). A container made from an image\n"
        "carries that image's config at " IMAGE_FILE_CONFIG_PATH " inside; one made from an\n"
        "image file is that file with the container's changes merged in. SOURCE_DATE_EPOCH\n"
        "makes the output reproducible.\n"
        "\n"
        "  -o, --output FILE      where to write (default: NAME.sqsh)\n" CLI_IMAGE_FILE_USAGE;

/* The container's layers, top first: its upper dir over its image's layer dirs (or over its image
 * file), or its tree. */
static char **container_layers(const struct container *c, const char *cache, struct error *err)
{
	cleanup_strv char **layers = NULL;
	/* Made from an image file: its upper dir, over the file (image_file_write reads it). */
	if (c->image_file) {
		if (strv_push(&layers, c->upper) < 0)
			error_set(err, ENOMEM, "out of memory");
		return steal_pointer(&layers);
	}
	if (!c->diff_ids) {
		if (strv_push(&layers, c->rootfs) < 0)
			error_set(err, ENOMEM, "out of memory");
		return steal_pointer(&layers);
	}
	struct store st = {.fd = -1};
	if (store_open(cache, &st, err) < 0)
		return NULL;
	cleanup_strv char **image_layers = image_layer_dirs(&st, c->diff_ids, err);
	store_close(&st);
	if (!image_layers)
		return NULL;
	bool ok = strv_push(&layers, c->upper) == 0;
	for (size_t i = 0; ok && image_layers[i]; i++)
		ok = strv_push(&layers, image_layers[i]) == 0;
	if (!ok) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	return steal_pointer(&layers);
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	        CLI_IMAGE_FILE_LONGOPTS,
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cli_image_file_options file = {0};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+" CLI_IMAGE_FILE_SHORTOPTS "h", longopts, NULL)) != -1) {
		if (cli_image_file_option(opt, optarg, &file))
			continue;
		if (opt == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		if (optopt && strchr("oc", optopt))
			return cli_usage_error("export", "option '%s' needs a value", argv[optind - 1]);
		return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error("export", "expected one container NAME");
	int usage = cli_image_file_finish("export", &file);
	if (usage)
		return usage;
	const char *name = argv[optind], *output = file.output;
	struct error err;
	error_clear(&err);
	cleanup_free char *data = paths_data();
	cleanup_free char *cache = paths_cache();
	if (!data || !cache) {
		fprintf(stderr, "burrow: cannot find the data or cache path; set BURROW_DATA_PATH and "
		                "BURROW_CACHE_PATH\n");
		return 1;
	}
	struct container c;
	if (container_open(data, name, &c, &err) < 0) {
		cli_report(&err);
		return 1;
	}
	cleanup_free char *default_output = NULL;
	cleanup_strv char **layers = NULL;
	int status = 1;
	if (!output && asprintf(&default_output, "%s.sqsh", name) < 0) {
		default_output = NULL;
		error_set(&err, ENOMEM, "out of memory");
	} else if (!output) {
		output = default_output;
	}
	if (output && (layers = container_layers(&c, cache, &err)) &&
	    image_file_write(layers, c.image_file, c.config_json, c.config_len, output, file.compressor,
	                     file.force, &err) == 0) {
		printf("%s\n", output);
		status = 0;
	} else {
		if (err.code != EEXIST)
			error_prefix(&err, "export %s to %s", name, output ? output : "NAME.sqsh");
		cli_report(&err);
	}
	container_free(&c);
	return status;
}
