/* burrow start [OPTIONS] NAME|IMAGE [COMMAND...]: run a program in a container, or in an image
 * straight from the store (pulled first when missing). Options stop at NAME; everything after
 * it is the command. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/plan.h"
#include "runtime/source.h"
#include "runtime/spawn.h"
#include "util/cleanup.h"
#include "util/paths.h"
#include "util/strv.h"

static const char usage_text[] =
        "usage: burrow start [OPTIONS] NAME|IMAGE|FILE.sqsh [COMMAND [ARG...]]\n"
        "\n"
        "Run COMMAND (default: the image's command, else a login shell) in container NAME, in\n"
        "IMAGE from the store (pulled first when missing), or in an image file read in place\n"
        "(with --rw the changes of an image or image file are thrown away at exit).\n"
        "\n"
        "  -r, --root                  be root inside (files stay owned by you on the host)\n"
        "      --rw                    writable root filesystem (changes stay in a container)\n"
        "  -m, --mount SRC[:DST[:ro]]  bind a host path (DST defaults to SRC)\n"
        "  -e, --env KEY[=VALUE]       set a variable (KEY alone: take it from here)\n"
        "  -w, --workdir DIR           working directory inside\n"
        "      --pid                   new PID namespace (burrow reaps orphans as PID 1)\n"
        "      --no-cwd                do not bind the current directory\n"
        "      --conf FILE             settings, [environ] and [mounts] for this start\n"
        "      --preserve-fds N        pass descriptors 3 to 3+N-1 on (others are closed)\n";

enum {
	OPT_RW = 256,
	OPT_PID,
	OPT_NO_CWD,
	OPT_CONF,
	OPT_PRESERVE_FDS
};

int cli_load_conf(const char *verb, const char *path, struct config_file *conf, struct start_options *opts)
{
	memset(conf, 0, sizeof(*conf));
	if (!path)
		return 0;
	struct error err;
	error_clear(&err);
	if (config_load_extra(path, conf, &err) < 0) {
		error_prefix(&err, "%s --conf", verb);
		cli_report(&err);
		return 2;
	}
	opts->conf = conf;
	opts->conf_path = path;
	return 0;
}

int cli_preserve_fds(const char *verb, const char *arg, unsigned int *n)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > 1024)
		return cli_usage_error(
		        verb, "--preserve-fds '%s': give a count of descriptors from 3, at most 1024", arg);
	for (unsigned long fd = 3; fd < 3 + v; fd++)
		if (fcntl((int)fd, F_GETFD) < 0)
			return cli_usage_error(
			        verb,
			        "--preserve-fds %lu: descriptor %lu is not open; open 3 to %lu "
			        "before burrow, or pass fewer",
			        v, fd, 2 + v);
	*n = (unsigned int)v;
	return 0;
}

int cmd_start(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"root", no_argument, NULL, 'r'},
	        {"rw", no_argument, NULL, OPT_RW},
	        {"mount", required_argument, NULL, 'm'},
	        {"env", required_argument, NULL, 'e'},
	        {"workdir", required_argument, NULL, 'w'},
	        {"pid", no_argument, NULL, OPT_PID},
	        {"no-cwd", no_argument, NULL, OPT_NO_CWD},
	        {"conf", required_argument, NULL, OPT_CONF},
	        {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct start_options opts = {0};
	cleanup_strv char **mounts = NULL;
	cleanup_strv char **env = NULL;
	const char *conf_path = NULL;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+rm:e:w:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			opts.root = true;
			break;
		case OPT_RW:
			opts.rw = true;
			break;
		case 'm':
			if (strv_push(&mounts, optarg) < 0)
				return 1;
			break;
		case 'e':
			if (strv_push(&env, optarg) < 0)
				return 1;
			break;
		case 'w':
			opts.workdir = optarg;
			break;
		case OPT_PID:
			opts.new_pid = true;
			break;
		case OPT_NO_CWD:
			opts.no_cwd = true;
			break;
		case OPT_CONF:
			conf_path = optarg;
			break;
		case OPT_PRESERVE_FDS: {
			int status = cli_preserve_fds("start", optarg, &opts.preserve_fds);
			if (status != 0)
				return status;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			if ((optopt && strchr("mew", optopt)) || optopt == OPT_CONF ||
			    optopt == OPT_PRESERVE_FDS)
				return cli_usage_error("start", "option '%s' needs a value",
				                       argv[optind - 1]);
			return cli_usage_error("start", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("start", "expected a container NAME");
	opts.mounts = mounts;
	opts.env = env;
	opts.argv = optind + 1 < argc ? argv + optind + 1 : NULL;
	cleanup_config_file struct config_file conf;
	int conf_status = cli_load_conf("start", conf_path, &conf, &opts);
	if (conf_status != 0)
		return conf_status;

	cleanup_free char *data = paths_data();
	cleanup_free char *cache = paths_cache();
	cleanup_free char *runtime = paths_runtime();
	if (!data || !cache || !runtime) {
		fprintf(stderr, "burrow: cannot find the data, cache or runtime path; set BURROW_DATA_PATH, "
		                "BURROW_CACHE_PATH and BURROW_RUNTIME_PATH\n");
		return SPAWN_EXIT_SETUP;
	}
	struct source_paths paths = {
	        .data = data, .cache = cache, .runtime = runtime, .pull = cli_pull_for_use};
	struct error err;
	error_clear(&err);
	struct start_target target;
	if (source_open_start(argv[optind], &paths, &target, &err) < 0) {
		cli_report(&err);
		start_target_free(&target);
		return SPAWN_EXIT_SETUP;
	}
	cleanup_free char *context = NULL;
	int status = asprintf(&context, "start %s", target.src.label) < 0
	                     ? SPAWN_EXIT_SETUP
	                     : cli_run_target(&target, &paths, &opts, context);
	start_target_free(&target);
	return status;
}

int cli_run_target(struct start_target *t, const struct source_paths *paths, const struct start_options *opts,
                   const char *context)
{
	for (bool retried = false;; retried = true) {
		if (t->notice)
			fprintf(stderr, "%s\n", t->notice);
		struct error err;
		error_clear(&err);
		struct run_plan plan;
		if (plan_build(&t->src, opts, &plan, &err) < 0) {
			error_prefix(&err, "%s", context);
			cli_report(&err);
			return SPAWN_EXIT_SETUP;
		}
		int status = spawn_run(&plan, &err);
		/* The mount failed before the program ran: start again from the file unpacked. */
		bool fall_back = plan.fuse_failed && t->src.image_file && !retried;
		plan_free(&plan);
		if (fall_back) {
			struct error why = err;
			if (source_unpack_image_file(t, paths, why.msg, &err) == 0)
				continue;
		}
		if (err.msg[0]) {
			error_prefix(&err, "%s", context);
			cli_report(&err);
		}
		return fall_back ? SPAWN_EXIT_SETUP : status;
	}
}
