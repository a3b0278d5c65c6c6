/* burrow list: the containers under the data path, one name a line. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/paths.h"
#include "util/strv.h"

int cmd_list(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: burrow list\n\nList containers, one name a line.\n");
		return 0;
	}
	if (argc > 1)
		return cli_usage_error("list", "unexpected argument '%s'", argv[1]);
	cleanup_free char *data = paths_data();
	if (!data) {
		fprintf(stderr, "burrow: cannot find the data path; set BURROW_DATA_PATH\n");
		return 1;
	}
	struct error err;
	error_clear(&err);
	cleanup_strv char **names = NULL;
	if (container_list(data, &names, &err) < 0) {
		cli_report(&err);
		return 1;
	}
	for (size_t i = 0; names[i]; i++)
		printf("%s\n", names[i]);
	return 0;
}
