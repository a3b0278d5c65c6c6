/* burrow run [OPTIONS] IMAGE [COMMAND...]: docker's one-shot on the start path (plan.c,
 * spawn.c): an image (pulled when missing), its root writable and thrown away at exit unless
 * --name keeps it as a container. Flags behave as docker's; the others docker has are refused. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "runtime/container.h"
#include "runtime/environ.h"
#include "runtime/idmap.h"
#include "runtime/mountspec.h"
#include "runtime/plan.h"
#include "runtime/process_spec.h"
#include "runtime/seccomp.h"
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
        "      --cap-add CAP, --cap-drop CAP capabilities inside (ALL; CAP_ optional)\n"
        "      --ulimit NAME=SOFT[:HARD]     a resource limit (nofile, nproc, stack, ...)\n"
        "      --security-opt OPT            no-new-privileges[=true|false], seccomp=FILE|unconfined,\n"
        "                                    mask=/p1:/p2, unmask=/p1:/p2|ALL\n"
        "      --group-add GID               an additional group inside (needs /etc/subgid)\n"
        "      --oom-score-adj N             the program's oom_score_adj (raise only)\n"
        "      --sysctl KEY=VALUE            a namespaced sysctl (net.* needs --network none)\n"
        "      --ipc host|private            the host's IPC namespace (default) or its own\n"
        "      --device HOST[:CONTAINER[:PERMS]]  bind a device node (PERMS without w: read-only)\n";

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
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_ULIMIT,
	OPT_SECURITY_OPT,
	OPT_GROUP_ADD,
	OPT_OOM_SCORE_ADJ,
	OPT_SYSCTL,
	OPT_IPC,
	OPT_DEVICE,
};

struct run_flags {
	bool rm, read_only;
	const char *name;
	const char *user;
	const char *conf; /* --conf FILE */
	char **mounts;    /* -m specs for the plan */
	char **env;       /* --env-file entries, then -e */
	char **cap_add, **cap_drop;
	char **masked, **unmasked; /* --security-opt mask= / unmask= paths */
	char **sysctls;
	struct plan_process process;
};

static void run_flags_free(struct run_flags *f)
{
	strv_free(f->mounts);
	strv_free(f->env);
	strv_free(f->cap_add);
	strv_free(f->cap_drop);
	strv_free(f->masked);
	strv_free(f->unmasked);
	strv_free(f->sysctls);
	plan_process_free(&f->process);
}

static int add_ulimit(struct run_flags *f, const char *spec)
{
	struct error err;
	struct plan_rlimit r;
	if (ulimit_parse(spec, &r, &err) < 0)
		return cli_usage_error("run", "%s", err.msg);
	struct plan_process *p = &f->process;
	for (size_t i = 0; i < p->n_rlimits; i++) {
		if (p->rlimits[i].resource == r.resource) {
			p->rlimits[i] = r;
			return 0;
		}
	}
	struct plan_rlimit *grown = realloc(p->rlimits, (p->n_rlimits + 1) * sizeof(*grown));
	if (!grown)
		return 1;
	p->rlimits = grown;
	p->rlimits[p->n_rlimits++] = r;
	return 0;
}

static int add_group(struct run_flags *f, const char *text)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || errno || v >= UINT32_MAX)
		return cli_usage_error(
		        "run", "--group-add '%s': give a numeric group id (names are not looked up)", text);
	struct plan_process *p = &f->process;
	uint32_t *grown = realloc(p->additional_gids, (p->n_additional_gids + 1) * sizeof(*grown));
	if (!grown)
		return 1;
	p->additional_gids = grown;
	p->additional_gids[p->n_additional_gids++] = (uint32_t)v;
	return 0;
}

static int set_oom_score_adj(struct run_flags *f, const char *text)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (!text[0] || *end || errno || v < -1000 || v > 1000)
		return cli_usage_error("run", "--oom-score-adj '%s': give a number from -1000 to 1000", text);
	f->process.oom_score_adj_set = true;
	f->process.oom_score_adj = (int)v;
	return 0;
}

static int add_sysctl(struct run_flags *f, const char *spec)
{
	struct error err;
	char key[256];
	const char *value;
	if (sysctl_parse(spec, key, sizeof(key), &value, &err) < 0)
		return cli_usage_error("run", "%s", err.msg);
	char *entry = NULL;
	if (asprintf(&entry, "%s=%s", key, value) < 0)
		return 1;
	return strv_push_owned(&f->sysctls, entry) < 0 ? 1 : 0;
}

/* Paths separated by ':', each absolute. */
static int add_paths(char ***list, const char *opt, const char *paths)
{
	cleanup_free char *copy = strdup(paths);
	char *save = NULL;
	if (!copy)
		return 1;
	for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (p[0] != '/' && strcmp(p, "ALL") != 0)
			return cli_usage_error("run", "--security-opt %s='%s': paths must be absolute", opt,
			                       paths);
		if (strv_push(list, p) < 0)
			return 1;
	}
	return 0;
}

static int load_seccomp(struct run_flags *f, const char *path)
{
	struct error err;
	seccomp_profile_free(f->process.seccomp);
	f->process.seccomp = NULL;
	if (strcmp(path, "unconfined") == 0)
		return 0;
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		fprintf(stderr, "burrow: --security-opt seccomp=%s: %s (line %d)\n", path, jerr.text,
		        jerr.line);
		return 2;
	}
	int rc = seccomp_profile_from_json(root, &f->process.seccomp, &err);
	json_decref(root);
	if (rc < 0) {
		error_prefix(&err, "--security-opt seccomp=%s", path);
		cli_report(&err);
		return 2;
	}
	return 0;
}

/* docker's --security-opt (KEY=VALUE, or its older KEY:VALUE), and podman's mask/unmask. */
static int security_opt(struct run_flags *f, const char *opt)
{
	const char *sep = strpbrk(opt, "=:");
	size_t n = sep ? (size_t)(sep - opt) : strlen(opt);
	const char *value = sep ? sep + 1 : NULL;
	if (n == strlen("no-new-privileges") && strncmp(opt, "no-new-privileges", n) == 0) {
		if (!value || strcmp(value, "true") == 0)
			f->process.keep_new_privs = false;
		else if (strcmp(value, "false") == 0)
			f->process.keep_new_privs = true;
		else
			return cli_usage_error(
			        "run", "--security-opt '%s': no-new-privileges takes true or false", opt);
		return 0;
	}
	if (value && n == 7 && strncmp(opt, "seccomp", n) == 0)
		return load_seccomp(f, value);
	if (value && sep[0] == '=' && n == 4 && strncmp(opt, "mask", n) == 0)
		return add_paths(&f->masked, "mask", value);
	if (value && sep[0] == '=' && n == 6 && strncmp(opt, "unmask", n) == 0)
		return add_paths(&f->unmasked, "unmask", value);
	return cli_usage_error("run",
	                       "--security-opt '%s': not supported (no-new-privileges, seccomp=FILE, "
	                       "mask=PATHS, unmask=PATHS)",
	                       opt);
}

/* --device HOST[:CONTAINER[:PERMS]]: the node bound in (a rootless container cannot mknod);
 * PERMS without w binds it read-only. */
static int add_device(struct run_flags *f, const char *spec)
{
	cleanup_free char *copy = strdup(spec);
	if (!copy)
		return 1;
	char *host = copy, *target = NULL, *perms = NULL;
	char *colon = strchr(copy, ':');
	if (colon) {
		*colon = '\0';
		target = colon + 1;
		colon = strchr(target, ':');
		if (colon) {
			*colon = '\0';
			perms = colon + 1;
		}
	}
	/* docker's HOST:PERMS form */
	if (target && !perms && target[0] != '/' && strspn(target, "rwm") == strlen(target)) {
		perms = target;
		target = NULL;
	}
	if (!target || !target[0])
		target = host;
	if (host[0] != '/' || target[0] != '/')
		return cli_usage_error(
		        "run", "--device '%s': expected HOST[:CONTAINER[:PERMS]] with absolute paths", spec);
	if (perms && (!perms[0] || strspn(perms, "rwm") != strlen(perms)))
		return cli_usage_error("run", "--device '%s': PERMS is a combination of r, w and m", spec);
	struct stat st;
	if (stat(host, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return cli_usage_error("run", "--device '%s': %s is not a device node on this host", spec,
		                       host);
	char *m = NULL;
	if (asprintf(&m, "%s:%s%s", host, target, perms && !strchr(perms, 'w') ? ":ro" : "") < 0)
		return 1;
	return strv_push_owned(&f->mounts, m) < 0 ? 1 : 0;
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
	        {"cap-add", required_argument, NULL, OPT_CAP_ADD},
	        {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	        {"ulimit", required_argument, NULL, OPT_ULIMIT},
	        {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
	        {"group-add", required_argument, NULL, OPT_GROUP_ADD},
	        {"oom-score-adj", required_argument, NULL, OPT_OOM_SCORE_ADJ},
	        {"sysctl", required_argument, NULL, OPT_SYSCTL},
	        {"ipc", required_argument, NULL, OPT_IPC},
	        {"device", required_argument, NULL, OPT_DEVICE},
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
		case OPT_CAP_ADD:
			rc = strv_push(&f->cap_add, optarg) < 0 ? 1 : 0;
			break;
		case OPT_CAP_DROP:
			rc = strv_push(&f->cap_drop, optarg) < 0 ? 1 : 0;
			break;
		case OPT_ULIMIT:
			rc = add_ulimit(f, optarg);
			break;
		case OPT_SECURITY_OPT:
			rc = security_opt(f, optarg);
			break;
		case OPT_GROUP_ADD:
			rc = add_group(f, optarg);
			break;
		case OPT_OOM_SCORE_ADJ:
			rc = set_oom_score_adj(f, optarg);
			break;
		case OPT_SYSCTL:
			rc = add_sysctl(f, optarg);
			break;
		case OPT_IPC:
			if (strcmp(optarg, "private") == 0 || strcmp(optarg, "shareable") == 0)
				opts->new_ipc = true;
			else if (strcmp(optarg, "host") == 0)
				opts->new_ipc = false;
			else
				return cli_usage_error(
				        "run", "--ipc '%s': only host and private are supported", optarg);
			break;
		case OPT_DEVICE:
			rc = add_device(f, optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			if ((optopt > 0 && optopt < 256 && strchr("vewu", optopt)) || optopt >= OPT_MOUNT)
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
	if (f->cap_add || f->cap_drop) {
		uint64_t set, added;
		if (caps_from_docker(f->cap_add, f->cap_drop, &set, &added, &err) < 0)
			return cli_usage_error("run", "%s", err.msg);
		struct plan_process *p = &f->process;
		p->caps_set = true;
		p->cap_bounding = p->cap_effective = p->cap_permitted = p->cap_inheritable = set;
		/* The program runs as a user other than root inside: the kernel clears its capabilities
		 * at exec except the ambient ones, so what --cap-add names is raised there. */
		p->cap_ambient = added & set;
	}
	for (size_t i = 0; f->unmasked && f->unmasked[i]; i++) {
		bool all = strcmp(f->unmasked[i], "ALL") == 0;
		size_t k = 0;
		for (size_t j = 0; f->masked && f->masked[j]; j++) {
			if (all || strcmp(f->masked[j], f->unmasked[i]) == 0)
				free(f->masked[j]);
			else
				f->masked[k++] = f->masked[j];
		}
		if (f->masked)
			f->masked[k] = NULL;
	}
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
	opts.process = &f.process;
	opts.masked_paths = f.masked;
	opts.sysctls = f.sysctls;
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
