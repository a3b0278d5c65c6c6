/* burrow exec [-e KEY[=VALUE]] [-w DIR] NAME|PID COMMAND...: run a program inside a running
 * instance, in its namespaces, root, working directory and environment. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/instance.h"
#include "runtime/join.h"
#include "runtime/spawn.h"
#include "util/cleanup.h"
#include "util/paths.h"
#include "util/strv.h"

static const char usage_text[] =
        "usage: burrow exec [OPTIONS] NAME|PID COMMAND [ARG...]\n"
        "\n"
        "Run COMMAND in a running instance: the newest one of container (or image) NAME, or\n"
        "the one with PID (see 'burrow list --fancy'). It joins the instance's namespaces and\n"
        "root, starts in its working directory with its environment, and is no shell.\n"
        "\n"
        "  -e, --env KEY[=VALUE]   set a variable (KEY alone: take it from here)\n"
        "  -w, --workdir DIR       working directory inside\n"
        "      --preserve-fds N    pass descriptors 3 to 3+N-1 on (others are closed)\n";

enum {
	OPT_PRESERVE_FDS = 256
};

int cmd_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"env", required_argument, NULL, 'e'},
	        {"workdir", required_argument, NULL, 'w'},
	        {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_strv char **env = NULL;
	struct join_options o = {0};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+e:w:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			if (strv_push(&env, optarg) < 0)
				return SPAWN_EXIT_SETUP;
			break;
		case 'w':
			o.workdir = optarg;
			break;
		case OPT_PRESERVE_FDS: {
			int status = cli_preserve_fds("exec", optarg, &o.preserve_fds);
			if (status != 0)
				return status;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			if ((optopt && strchr("ew", optopt)) || optopt == OPT_PRESERVE_FDS)
				return cli_usage_error("exec", "option '%s' needs a value", argv[optind - 1]);
			return cli_usage_error("exec", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc || !argv[optind][0])
		return cli_usage_error("exec", "expected a container NAME or PID");
	if (optind + 1 >= argc)
		return cli_usage_error("exec", "expected a COMMAND after %s", argv[optind]);
	o.env = env;
	o.argv = argv + optind + 1;
	cleanup_free char *runtime = paths_runtime();
	if (!runtime) {
		fprintf(stderr, "burrow: cannot find the runtime path; set BURROW_RUNTIME_PATH\n");
		return SPAWN_EXIT_SETUP;
	}
	struct error err;
	error_clear(&err);
	struct instance in;
	if (instance_find(runtime, argv[optind], &in, &err) < 0) {
		error_prefix(&err, "exec %s", argv[optind]);
		cli_report(&err);
		return SPAWN_EXIT_SETUP;
	}
	int status = join_run(&in, &o, &err);
	if (err.msg[0]) {
		error_prefix(&err, "exec %s", argv[optind]);
		cli_report(&err);
	}
	instance_free(&in);
	return status;
}
