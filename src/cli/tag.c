/* burrow tag SRC DST: another name in the store for an image already there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"

int cmd_tag(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: burrow tag SRC DST\n\n"
		       "Give the image SRC (a name or a manifest digest in the store) the name DST as well.\n"
		       "DST without a registry is a local name: 'mybox' is stored as "
		       "localhost/mybox:latest\n"
		       "and found again as 'mybox'. Prints the name DST got.\n");
		return 0;
	}
	if (argc != 3)
		return cli_usage_error("tag", "expected SRC and DST");
	struct error err;
	error_clear(&err);
	struct store st = {.fd = -1};
	struct store_image img = {0};
	cleanup_free char *name = NULL;
	int status = 1;
	if (cli_open_store(&st, &err) < 0 || image_find(&st, argv[1], &img, &err) < 0)
		goto out;
	name = reference_local_name(argv[2], &err);
	if (!name)
		goto out;
	if (store_tag(&st, name, &img.manifest, &err) < 0)
		goto out;
	printf("%s\n", name);
	status = 0;
out:
	if (status)
		cli_report(&err);
	store_image_free(&img);
	store_close(&st);
	return status;
}
