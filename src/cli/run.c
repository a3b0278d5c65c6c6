/* burrow run [OPTIONS] IMAGE [COMMAND...]: docker's one-shot on the start path (plan.c,
 * spawn.c): an image (pulled when missing), its root writable and thrown away at exit unless
 * --name keeps it as a container. Flags behave as docker's; the others docker has are refused. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/container.h"
#include "runtime/environ.h"
#include "runtime/idmap.h"
#include "runtime/mountspec.h"
#include "runtime/plan.h"
#include "runtime/source.h"
#include "runtime/spawn.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/paths.h"
#include "util/strv.h"

static const char usage_text[] =
        "usage: burrow run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
        "\n"
        "Run IMAGE (pulled first when missing) as docker run does: COMMAND replaces the image's\n"
        "Cmd and keeps its Entrypoint, the working directory is the image's WorkingDir, the root\n"
        "is writable and its changes are thrown away at exit (kept with --name).\n"
        "\n"
        "      --rm                          with --name: remove the container at exit\n"
        "  -i, --interactive, -t, --tty      accepted: stdin and the terminal always pass through\n"
        "  -v, --volume SRC:DST[:ro]         bind a host path (SRC made when missing)\n"
        "      --mount type=bind,src=S,dst=D[,readonly] | type=tmpfs,dst=D\n"
        "  -e, --env KEY[=VALUE]             set a variable (KEY alone: take it from here)\n"
        "      --env-file FILE               variables from FILE, one KEY[=VALUE] a line\n"
        "  -w, --workdir DIR                 working directory inside (made when missing)\n"
        "      --entrypoint CMD              replace the image's Entrypoint ('' clears it)\n"
        "      --name NAME                   keep the root as container NAME (burrow start NAME)\n"
        "  -u, --user UID[:GID]              be UID (and GID, default 0) inside\n"
        "      --hostname NAME               a UTS namespace of its own with this host name\n"
        "      --read-only                   read-only root filesystem\n"
        "      --tmpfs DIR                   a fresh tmpfs on DIR\n"
        "      --network host|none           the host's network (default) or only lo\n"
        "      --conf FILE                   settings, [environ] and [mounts] for this run\n"
        "      --preserve-fds N              pass descriptors 3 to 3+N-1 on (others are closed)\n";

enum {
	OPT_RM = 256,
	OPT_MOUNT,
	OPT_ENV_FILE,
	OPT_ENTRYPOINT,
	OPT_NAME,
	OPT_HOSTNAME,
	OPT_READ_ONLY,
	OPT_TMPFS,
	OPT_NETWORK,
	OPT_CONF,
	OPT_PRESERVE_FDS,
};

struct run_flags {
	bool rm, read_only;
	const char *name;
	const char *user;
	const char *conf; /* --conf FILE */
	char **mounts;    /* -m specs for the plan */
	char **env;       /* --env-file entries, then -e */
};

static void run_flags_free(struct run_flags *f)
{
	strv_free(f->mounts);
	strv_free(f->env);
}

/* -v SRC:DST[:ro]: docker needs DST and an absolute SRC (a bare name is a named volume, which
 * burrow does not have); a missing SRC directory is made, as docker does. */
static int add_volume(struct run_flags *f, const char *spec, const char *cwd)
{
	struct error err;
	struct mount_spec m;
	if (spec[0] != '/' && spec[0] != '.')
		return cli_usage_error("run", "-v '%s': named volumes are not supported (give SRC as a path)",
		                       spec);
	if (!strchr(spec, ':'))
		return cli_usage_error("run", "-v '%s': expected SRC:DST[:ro]", spec);
	if (mountspec_parse(spec, cwd, &m, &err) < 0) {
		cli_report(&err);
		return 2;
	}
	int rc = 0;
	if (!fs_is_dir(m.source) && !fs_is_file(m.source) && fs_mkdir_p(m.source, 0755, &err) < 0) {
		error_prefix(&err, "-v %s", spec);
		cli_report(&err);
		rc = SPAWN_EXIT_SETUP;
	}
	mountspec_free(&m);
	if (rc == 0 && strv_push(&f->mounts, spec) < 0)
		rc = 1;
	return rc;
}

/* --mount: a bind becomes a -m spec (SRC and DST are checked again by the plan); a tmpfs
 * joins --tmpfs. */
static int add_docker_mount(struct run_flags *f, char ***tmpfs, const char *text, const char *cwd)
{
	struct error err;
	struct mount_spec m;
	bool is_tmpfs;
	if (mountspec_parse_docker(text, cwd, &m, &is_tmpfs, &err) < 0) {
		cli_report(&err);
		return 2;
	}
	int rc = 0;
	if (is_tmpfs) {
		rc = strv_push(tmpfs, m.target);
	} else if (strchr(m.source, ':') || strchr(m.target, ':')) {
		error_set(&err, EINVAL, "--mount '%s': paths with ':' are not supported", text);
		cli_report(&err);
		mountspec_free(&m);
		return 2;
	} else {
		char *spec = NULL;
		if (asprintf(&spec, "%s:%s%s", m.source, m.target, m.readonly ? ":ro" : "") < 0)
			spec = NULL;
		rc = strv_push_owned(&f->mounts, spec);
	}
	mountspec_free(&m);
	return rc < 0 ? 1 : 0;
}

static int add_env_file(struct run_flags *f, const char *path)
{
	struct error err;
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, 1 << 20, NULL, &err);
	cleanup_strv char **entries = text ? environ_parse_file(text, &err) : NULL;
	if (!entries) {
		error_prefix(&err, "--env-file %s", path);
		cli_report(&err);
		return 2;
	}
	for (size_t i = 0; entries[i]; i++)
		if (strv_push(&f->env, entries[i]) < 0)
			return 1;
	return 0;
}

/* Docker flags burrow does not have: named, with why, instead of "unknown option". */
static int refuse(const char *flag)
{
	static const struct {
		const char *flag, *why;
	} known[] = {
	        {"-p", "the container shares the host's network: its ports are the host's"},
	        {"--publish", "the container shares the host's network: its ports are the host's"},
	        {"-d", "burrow has no daemon: run it in the background with your shell (&) or nohup"},
	        {"--detach", "burrow has no daemon: run it in the background with your shell (&) or nohup"},
	        {"--privileged", "a rootless container has no more privileges than you"},
	        {"--gpus", "not yet: the GPU devices are not set up by burrow run"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t n = strlen(known[i].flag);
		if (strncmp(flag, known[i].flag, n) == 0 && (flag[n] == '\0' || flag[n] == '='))
			return cli_usage_error("run", "docker option '%s' is not supported: %s",
			                       known[i].flag, known[i].why);
	}
	return cli_usage_error("run", "option '%s' is not supported", flag);
}

/* The image's USER, when no -u: a numeric one is the id inside (a single-id map needs no
 * subordinate ids); a name is not looked up in the image, which a notice says. */
static void image_user(const char *user, struct start_options *opts)
{
	struct error err;
	if (!user || opts->user_set)
		return;
	if (idmap_parse_user(user, &opts->user_uid, &opts->user_gid, &err) == 0) {
		opts->user_set = true;
		return;
	}
	fprintf(stderr, "burrow: the image's USER '%s' is no numeric id; running as you (use -u UID[:GID])\n",
	        user);
}

static int parse_flags(int argc, char **argv, struct run_flags *f, struct start_options *opts, char ***tmpfs)
{
	static const struct option longopts[] = {
	        {"rm", no_argument, NULL, OPT_RM},
	        {"interactive", no_argument, NULL, 'i'},
	        {"tty", no_argument, NULL, 't'},
	        {"volume", required_argument, NULL, 'v'},
	        {"mount", required_argument, NULL, OPT_MOUNT},
	        {"env", required_argument, NULL, 'e'},
	        {"env-file", required_argument, NULL, OPT_ENV_FILE},
	        {"workdir", required_argument, NULL, 'w'},
	        {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
	        {"name", required_argument, NULL, OPT_NAME},
	        {"user", required_argument, NULL, 'u'},
	        {"hostname", required_argument, NULL, OPT_HOSTNAME},
	        {"read-only", no_argument, NULL, OPT_READ_ONLY},
	        {"tmpfs", required_argument, NULL, OPT_TMPFS},
	        {"network", required_argument, NULL, OPT_NETWORK},
	        {"net", required_argument, NULL, OPT_NETWORK},
	        {"conf", required_argument, NULL, OPT_CONF},
	        {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	struct error err;
	int opt, rc = 0;
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, "+itv:e:w:u:h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_RM:
			f->rm = true;
			break;
		case 'i':
		case 't':
			break;
		case 'v':
			rc = add_volume(f, optarg, cwd);
			break;
		case OPT_MOUNT:
			rc = add_docker_mount(f, tmpfs, optarg, cwd);
			break;
		case 'e':
			rc = strv_push(&f->env, optarg) < 0 ? 1 : 0;
			break;
		case OPT_ENV_FILE:
			rc = add_env_file(f, optarg);
			break;
		case 'w':
			opts->workdir = optarg;
			break;
		case OPT_ENTRYPOINT:
			opts->entrypoint = optarg;
			break;
		case OPT_NAME:
			f->name = optarg;
			break;
		case 'u':
			if (idmap_parse_user(optarg, &opts->user_uid, &opts->user_gid, &err) < 0)
				return cli_usage_error("run", "%s", err.msg);
			opts->user_set = true;
			break;
		case OPT_HOSTNAME:
			opts->hostname = optarg;
			break;
		case OPT_READ_ONLY:
			f->read_only = true;
			break;
		case OPT_TMPFS:
			rc = strv_push(tmpfs, optarg) < 0 ? 1 : 0;
			break;
		case OPT_NETWORK:
			if (strcmp(optarg, "none") == 0)
				opts->network_none = true;
			else if (strcmp(optarg, "host") == 0)
				opts->network_none = false;
			else
				return cli_usage_error(
				        "run", "--network '%s': only host and none are supported", optarg);
			break;
		case OPT_CONF:
			f->conf = optarg;
			break;
		case OPT_PRESERVE_FDS:
			rc = cli_preserve_fds("run", optarg, &opts->preserve_fds);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			if ((optopt && strchr("vewu", optopt)) || optopt == OPT_CONF)
				return cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
			if (optopt) {
				char flag[3] = {'-', (char)optopt, '\0'};
				return refuse(flag);
			}
			return refuse(argv[optind - 1]);
		}
	}
	if (rc != 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error("run", "expected an IMAGE");
	if (f->name && !container_name_valid(f->name))
		return cli_usage_error(
		        "run", "--name '%s': use 1-128 of A-Z a-z 0-9 _ . - (not first . or -)", f->name);
	return 0;
}

/* --name: a container made from the image, then started like any other. */
static int open_named(const char *arg, const char *name, const struct source_paths *paths,
                      struct start_target *t, struct error *err)
{
	int rc = source_is_image_file(arg) ? source_create_file_container(arg, name, paths, false, err)
	                                   : source_create_container(arg, name, paths, false, err);
	if (rc < 0) {
		if (err->code == EEXIST)
			error_set(err, EEXIST,
			          "container '%s' already exists ('burrow start %s' runs it, 'burrow remove "
			          "%s' frees the name)",
			          name, name, name);
		return -1;
	}
	return source_open_start(name, paths, t, err);
}

int cmd_run(int argc, char **argv)
{
	struct run_flags f = {0};
	struct start_options opts = {.docker = true};
	cleanup_strv char **tmpfs = NULL;
	int status = parse_flags(argc, argv, &f, &opts, &tmpfs);
	if (status != 0) {
		run_flags_free(&f);
		return status < 0 ? 0 : status;
	}
	opts.rw = !f.read_only;
	opts.mounts = f.mounts;
	opts.env = f.env;
	opts.tmpfs = tmpfs;
	opts.argv = optind + 1 < argc ? argv + optind + 1 : NULL;
	const char *arg = argv[optind];
	cleanup_config_file struct config_file conf;
	status = cli_load_conf("run", f.conf, &conf, &opts);
	if (status != 0) {
		run_flags_free(&f);
		return status;
	}

	cleanup_free char *data = paths_data();
	cleanup_free char *cache = paths_cache();
	cleanup_free char *runtime = paths_runtime();
	if (!data || !cache || !runtime) {
		fprintf(stderr, "burrow: cannot find the data, cache or runtime path; set BURROW_DATA_PATH, "
		                "BURROW_CACHE_PATH and BURROW_RUNTIME_PATH\n");
		run_flags_free(&f);
		return SPAWN_EXIT_SETUP;
	}
	struct source_paths paths = {
	        .data = data, .cache = cache, .runtime = runtime, .pull = cli_pull_for_use};
	struct error err;
	error_clear(&err);
	struct start_target target = {0};
	int rc = f.name ? open_named(arg, f.name, &paths, &target, &err)
	                : source_open_run(arg, &paths, &target, &err);
	if (rc < 0) {
		error_prefix(&err, "run %s", arg);
		cli_report(&err);
		start_target_free(&target);
		run_flags_free(&f);
		return SPAWN_EXIT_SETUP;
	}
	if (target.notice)
		fprintf(stderr, "%s\n", target.notice);
	image_user(f.name || target.image_file ? target.container_config.user : target.image.config.user,
	           &opts);
	struct run_plan plan;
	if (plan_build(&target.src, &opts, &plan, &err) < 0) {
		error_prefix(&err, "run %s", arg);
		cli_report(&err);
		status = SPAWN_EXIT_SETUP;
	} else {
		status = spawn_run(&plan, &err);
		if (err.msg[0]) {
			error_prefix(&err, "run %s", arg);
			cli_report(&err);
		}
		plan_free(&plan);
	}
	start_target_free(&target);
	if (f.name && f.rm && container_remove(data, f.name, &err) < 0) {
		cli_report(&err);
		if (status == 0)
			status = 1;
	}
	run_flags_free(&f);
	return status;
}
