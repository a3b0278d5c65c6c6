/* The options import and export share: where the image file goes (-o), replacing it (-f) and
 * its compression (-c), parsed the same way for both. */
#include <stdio.h>

#include "cli/cli.h"
#include "image/squashfs.h"

int cli_image_file_option(int opt, const char *arg, struct cli_image_file_options *o)
{
	switch (opt) {
	case 'o':
		o->output = arg;
		return 1;
	case 'f':
		o->force = true;
		return 1;
	case 'c':
		o->compression = arg;
		return 1;
	default:
		return 0;
	}
}

int cli_image_file_finish(const char *verb, struct cli_image_file_options *o)
{
	struct error err;
	error_clear(&err);
	if (squashfs_compressor_parse(o->compression ? o->compression : "zstd", &o->compressor, &err) < 0)
		return cli_usage_error(verb, "%s", err.msg);
	return 0;
}
