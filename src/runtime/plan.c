/* Builds the run plan for a start: ids, mounts, identity files, environment, command, workdir.
 * Reads the container and the host; changes nothing. Performing the plan is rootfs.c and spawn.c. */
#include "runtime/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/environ.h"
#include "runtime/identity.h"
#include "runtime/mountspec.h"
#include "runtime/plan_config.h"
#include "runtime/seccomp.h"
#include "runtime/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

extern char **environ;

#define IDENTITY_FILE_MAX (8 << 20)

static const char *const dev_nodes[] = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                                        "/dev/urandom", "/dev/tty",  NULL};
static const char *const dev_links[][2] = {
        {"/dev/ptmx", "pts/ptmx"},          {"/dev/fd", "/proc/self/fd"},
        {"/dev/stdin", "/proc/self/fd/0"},  {"/dev/stdout", "/proc/self/fd/1"},
        {"/dev/stderr", "/proc/self/fd/2"},
};

static int add_mount(struct run_plan *plan, enum plan_mount_kind kind, const char *source, const char *target,
                     const char *data, bool readonly, bool optional, struct error *err)
{
	struct plan_mount *grown = realloc(plan->mounts, (plan->n_mounts + 1) * sizeof(*grown));
	if (!grown)
		return error_set(err, ENOMEM, "out of memory");
	plan->mounts = grown;
	struct plan_mount *m = &plan->mounts[plan->n_mounts];
	*m = (struct plan_mount){.kind = kind, .readonly = readonly, .optional = optional};
	m->source = source ? strdup(source) : NULL;
	m->target = strdup(target);
	m->data = data ? strdup(data) : NULL;
	plan->n_mounts++;
	if ((source && !m->source) || !m->target || (data && !m->data))
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static bool exists_in_root(int root_fd, const char *path)
{
	int fd = fs_open_in_root(root_fd, path, O_PATH, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The shell to name in passwd and to run by default: the user's own when the image has it. */
static int choose_shell(int root_fd, struct identity *id, struct error *err)
{
	static const char *const fallbacks[] = {"/bin/sh", "/bin/bash", "/usr/bin/sh", NULL};
	if (id->shell && exists_in_root(root_fd, id->shell))
		return 0;
	for (size_t i = 0; fallbacks[i]; i++) {
		if (exists_in_root(root_fd, fallbacks[i])) {
			free(id->shell);
			id->shell = strdup(fallbacks[i]);
			return id->shell ? 0 : error_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

static char *read_image_file(int root_fd, const char *path, struct error *err, bool *failed)
{
	struct error local;
	char *text = fs_read_file_at(root_fd, path, true, IDENTITY_FILE_MAX, NULL, &local);
	*failed = false;
	if (!text && local.code != ENOENT) {
		*err = local;
		error_prefix(err, "container file %s", path);
		*failed = true;
	}
	return text;
}

static struct plan_mount *find_content_mount(struct run_plan *plan, const char *target)
{
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->mounts[i].kind == PLAN_MOUNT_CONTENT && strcmp(plan->mounts[i].target, target) == 0)
			return &plan->mounts[i];
	return NULL;
}

/* /etc/passwd and /etc/group: the image's entries merged with the user's. */
static int fill_identity_mounts(struct run_plan *plan, int root_fd, struct error *err)
{
	bool failed;
	cleanup_free char *image_passwd = read_image_file(root_fd, "/etc/passwd", err, &failed);
	if (failed)
		return -1;
	cleanup_free char *image_group = read_image_file(root_fd, "/etc/group", err, &failed);
	if (failed)
		return -1;
	struct plan_mount *passwd = find_content_mount(plan, "/etc/passwd");
	struct plan_mount *group = find_content_mount(plan, "/etc/group");
	passwd->data = identity_merge_passwd(image_passwd, &plan->identity, err);
	group->data = passwd->data ? identity_merge_group(image_group, &plan->identity, err) : NULL;
	return passwd->data && group->data ? 0 : -1;
}

static int add_system_mounts(struct run_plan *plan, bool new_pid, struct error *err)
{
	int rc = new_pid ? add_mount(plan, PLAN_MOUNT_PROC, NULL, "/proc", NULL, false, false, err)
	                 : add_mount(plan, PLAN_MOUNT_BIND, "/proc", "/proc", NULL, false, false, err);
	rc = rc < 0 ? rc : add_mount(plan, PLAN_MOUNT_BIND, "/sys", "/sys", NULL, true, false, err);
	rc = rc < 0 ? rc : add_mount(plan, PLAN_MOUNT_TMPFS, NULL, "/dev", "mode=755", false, false, err);
	for (size_t i = 0; rc == 0 && dev_nodes[i]; i++)
		rc = add_mount(plan, PLAN_MOUNT_BIND, dev_nodes[i], dev_nodes[i], NULL, false, true, err);
	/* The host's devpts, so ttyname() of the user's terminal works inside. */
	rc = rc < 0 ? rc : add_mount(plan, PLAN_MOUNT_BIND, "/dev/pts", "/dev/pts", NULL, false, true, err);
	rc = rc < 0 ? rc : add_mount(plan, PLAN_MOUNT_BIND, "/dev/shm", "/dev/shm", NULL, false, true, err);
	for (size_t i = 0; rc == 0 && i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		rc = add_mount(plan, PLAN_MOUNT_SYMLINK, NULL, dev_links[i][0], dev_links[i][1], false, false,
		               err);
	rc = rc < 0 ? rc : add_mount(plan, PLAN_MOUNT_TMPFS, NULL, "/tmp", "mode=1777", false, false, err);
	rc = rc < 0 ? rc
	            : add_mount(plan, PLAN_MOUNT_BIND, "/etc/hosts", "/etc/hosts", NULL, true, true, err);
	rc = rc < 0 ? rc
	            : add_mount(plan, PLAN_MOUNT_BIND, "/etc/resolv.conf", "/etc/resolv.conf", NULL, true,
	                        true, err);
	return rc;
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Whether host path p is visible at the same path through one of the planned binds. */
static bool visible_through_bind(const struct run_plan *plan, const char *p)
{
	for (size_t i = 0; i < plan->n_mounts; i++) {
		const struct plan_mount *m = &plan->mounts[i];
		if (m->kind == PLAN_MOUNT_BIND && strcmp(m->source, m->target) == 0 &&
		    path_under(p, m->target) && strcmp(m->target, "/proc") != 0 &&
		    strcmp(m->target, "/sys") != 0)
			return true;
	}
	return false;
}

static bool mount_home_enabled(void)
{
	const char *v = getenv("BURROW_MOUNT_HOME");
	return !v || !(strcmp(v, "no") == 0 || strcmp(v, "n") == 0 || strcmp(v, "0") == 0 ||
	               strcmp(v, "false") == 0 || strcmp(v, "off") == 0);
}

static int add_user_mounts(struct run_plan *plan, const struct start_options *opts, const char *cwd,
                           struct error *err)
{
	for (size_t i = 0; opts->mounts && opts->mounts[i]; i++) {
		struct mount_spec spec;
		if (mountspec_parse(opts->mounts[i], cwd, &spec, err) < 0)
			return -1;
		struct stat st;
		int rc;
		if (stat(spec.source, &st) < 0)
			rc = error_set(err, ENOENT, "mount source %s does not exist (--mount %s)",
			               spec.source, opts->mounts[i]);
		else
			rc = add_mount(plan, PLAN_MOUNT_BIND, spec.source, spec.target, NULL, spec.readonly,
			               false, err);
		mountspec_free(&spec);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int plan_identity(struct run_plan *plan, const struct start_source *src,
                         const struct start_options *opts, struct error *err)
{
	struct identity *id = &plan->identity;
	if (identity_from_host(id, opts->root && !opts->user_set, err) < 0)
		return -1;
	if (opts->user_set) {
		/* The passwd and group lines name the ids the user has inside. */
		id->uid = opts->user_uid;
		id->gid = opts->user_gid;
	}
	/* Their bytes depend on the root's own files: filled in by plan_resolve_in_root. */
	if (add_mount(plan, PLAN_MOUNT_CONTENT, NULL, "/etc/passwd", NULL, true, false, err) < 0 ||
	    add_mount(plan, PLAN_MOUNT_CONTENT, NULL, "/etc/group", NULL, true, false, err) < 0)
		return -1;
	const char *home = id->root ? "/root" : id->home;
	const char *user = id->root ? "root" : id->name;
	struct environ_identity ident = {.home = home, .user = user};
	cleanup_strv char **user_env = plan_config_environ(opts, err);
	if (!user_env)
		return -1;
	plan->env = environ_build(src->image_env, environ, &ident, user_env, err);
	return plan->env ? 0 : -1;
}

/* An overlay of the source's layers: a container's upper dir takes the changes with --rw and is
 * the top lower layer without it (free of the one-upper-per-mount rule); every other start
 * writes to a throw-away tmpfs upper (read-only in the end without --rw). */
static int plan_root(struct run_plan *plan, const struct start_source *src, bool rw, struct error *err)
{
	plan->rootfs = strdup(src->rootfs);
	plan->rootfs_readonly = !rw;
	if (!plan->rootfs)
		return error_set(err, ENOMEM, "out of memory");
	if (!src->layers && !src->image_file)
		return 0;
	struct plan_overlay *o = &plan->overlay;
	o->lowers = calloc(1, sizeof(char *));
	if (!o->lowers)
		return error_set(err, ENOMEM, "out of memory");
	if (src->upper && !rw && strv_push(&o->lowers, src->upper) < 0)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; src->layers && src->layers[i]; i++)
		if (strv_push(&o->lowers, src->layers[i]) < 0)
			return error_set(err, ENOMEM, "out of memory");
	if (src->image_file && !(o->image_file = strdup(src->image_file)))
		return error_set(err, ENOMEM, "out of memory");
	if (strv_len(o->lowers) == 0 && !o->image_file)
		return error_set(err, EINVAL, "%s has no layers", src->label);
	if (rw && src->upper) {
		o->upper = strdup(src->upper);
		o->work = strdup(src->work);
		if (!o->upper || !o->work)
			return error_set(err, ENOMEM, "out of memory");
	}
	/* Mount points for /etc/hosts, the home and the cwd may be missing from the image: even a
	 * read-only root needs a writable layer to make them in, before it turns read-only. */
	o->tmpfs_upper = !o->upper;
	return 0;
}

static int add_tmpfs_mounts(struct run_plan *plan, const struct start_options *opts, struct error *err)
{
	for (size_t i = 0; opts->tmpfs && opts->tmpfs[i]; i++) {
		const char *t = opts->tmpfs[i];
		if (t[0] != '/')
			return error_set(err, EINVAL, "--tmpfs '%s': the path inside must be absolute", t);
		cleanup_free char *target = malloc(strlen(t) + 1);
		if (!target)
			return error_set(err, ENOMEM, "out of memory");
		mountspec_normalize(t, target);
		if (strcmp(target, "/") == 0)
			return error_set(
			        err, EINVAL,
			        "--tmpfs '%s': cannot mount over the container's root (use --read-only "
			        "or choose a directory)",
			        t);
		if (add_mount(plan, PLAN_MOUNT_TMPFS, NULL, target, "mode=1777", false, false, err) < 0)
			return -1;
	}
	return 0;
}

char **plan_command(const struct start_source *src, const struct start_options *opts)
{
	bool given = opts->argv && opts->argv[0];
	char **argv = calloc(1, sizeof(char *));
	if (!argv)
		return NULL;
	int rc = 0;
	if (!opts->docker) {
		rc = strv_extend(&argv, given ? opts->argv : src->image_cmd);
	} else if (opts->entrypoint) {
		/* As docker: --entrypoint resets the image's Cmd too; "" clears the entrypoint. */
		if (opts->entrypoint[0])
			rc = strv_push(&argv, opts->entrypoint);
		rc = rc < 0 ? rc : strv_extend(&argv, given ? opts->argv : NULL);
	} else {
		rc = strv_extend(&argv, src->image_entrypoint);
		rc = rc < 0 ? rc : strv_extend(&argv, given ? opts->argv : src->image_cmd_args);
	}
	if (rc < 0) {
		strv_free(argv);
		return NULL;
	}
	return argv;
}

/* -w, else (run) WorkingDir or "/", made when missing; start decides in the root. */
static int plan_workdir(struct run_plan *plan, const struct start_source *src,
                        const struct start_options *opts)
{
	const char *dir = opts->workdir;
	if (!dir && opts->docker)
		dir = src->image_workdir ? src->image_workdir : "/";
	plan->create_workdir = opts->docker;
	if (dir && !(plan->workdir = strdup(dir)))
		return -1;
	if (!dir && src->image_workdir && !(plan->image_workdir = strdup(src->image_workdir)))
		return -1;
	return 0;
}

/* Additional groups need setgroups(2), which only a gid map written by newgidmap allows: with a
 * subordinate range, every gid up to 65535 is mapped around the user's own, which stays itself.
 * Without one the single-id map stays and the start says why groups cannot be added. */
static void plan_group_map(struct run_plan *plan)
{
	struct passwd *pw = getpwuid(getuid());
	uint32_t start = 0, count = 0, self = (uint32_t)getgid();
	userns_find_range(true, pw ? pw->pw_name : "", self, &start, &count);
	if (count < 65535 || self > 65535 || !userns_helper_present("newgidmap") ||
	    !userns_helper_present("newuidmap"))
		return;
	struct idmap m = {.n = 0};
	if (self > 0)
		m.ranges[m.n++] = (struct idmap_range){0, start, self};
	m.ranges[m.n++] = (struct idmap_range){self, self, 1};
	if (self < 65535)
		m.ranges[m.n++] = (struct idmap_range){self + 1, start + self, 65535 - self};
	plan->gids = m;
}

int plan_build(const struct start_source *src, const struct start_options *opts, struct run_plan *plan,
               struct error *err)
{
	memset(plan, 0, sizeof(*plan));
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	plan->new_pid = opts->new_pid;
	plan->preserve_fds = opts->preserve_fds;
	plan->no_cwd = opts->no_cwd;
	if (opts->user_set) {
		/* A single-id map of the user's own ids needs no helper and no subordinate range. */
		plan->uids = (struct idmap){.ranges = {{opts->user_uid, (uint32_t)getuid(), 1}}, .n = 1};
		plan->gids = (struct idmap){.ranges = {{opts->user_gid, (uint32_t)getgid(), 1}}, .n = 1};
	} else {
		userns_host_maps(opts->root, &plan->uids, &plan->gids);
	}
	if (plan_root(plan, src, opts->rw, err) < 0 || add_system_mounts(plan, opts->new_pid, err) < 0 ||
	    plan_identity(plan, src, opts, err) < 0)
		goto fail;
	const char *home = plan->identity.home;
	if (mount_home_enabled() && home && strcmp(home, "/") != 0 && fs_is_dir(home) &&
	    add_mount(plan, PLAN_MOUNT_BIND, home, home, NULL, false, false, err) < 0)
		goto fail;
	if (plan_config_mounts(plan, opts, err) < 0 || add_user_mounts(plan, opts, cwd, err) < 0 ||
	    plan_config_hooks(plan, err) < 0)
		goto fail;
	if (add_tmpfs_mounts(plan, opts, err) < 0)
		goto fail;
	plan->cwd = strdup(cwd);
	if (!plan->cwd)
		goto nomem;
	if (plan_workdir(plan, src, opts) < 0)
		goto nomem;
	plan->argv = plan_command(src, opts);
	if (!plan->argv)
		goto nomem;
	if (!plan->argv[0]) {
		strv_free(plan->argv);
		plan->argv = NULL;
		plan->default_argv = true;
	}
	if ((opts->hostname && !(plan->hostname = strdup(opts->hostname))))
		goto nomem;
	plan->network_none = opts->network_none;
	plan->new_ipc = opts->new_ipc;
	/* POSIX message queues of the container's own IPC namespace, where docker shows them. */
	if (opts->new_ipc &&
	    add_mount(plan, PLAN_MOUNT_MQUEUE, NULL, "/dev/mqueue", NULL, false, false, err) < 0)
		goto fail;
	for (int i = 0; i < PLAN_NS_COUNT; i++)
		if (opts->ns_join[i] && !(plan->ns_join[i] = strdup(opts->ns_join[i])))
			goto nomem;
	if ((opts->masked_paths && !(plan->masked_paths = strv_copy(opts->masked_paths))) ||
	    (opts->sysctls && !(plan->sysctls = strv_copy(opts->sysctls))))
		goto nomem;
	if (opts->process) {
		plan->process = *opts->process;
		memset(opts->process, 0, sizeof(*opts->process));
		if (plan->process.n_additional_gids > 0 && !opts->user_set && !opts->root)
			plan_group_map(plan);
	}
	if (!(plan->label = strdup(src->label)))
		goto nomem;
	/* An image started directly has layers and no upper dir of its own. */
	plan->label_is_container = !src->layers || src->upper;
	return 0;
nomem:
	error_set(err, ENOMEM, "out of memory");
fail:
	plan_free(plan);
	return -1;
}

/* OCI: an environment without HOME gets the process's home from the root's /etc/passwd, else
 * "/", as runc does. The process already runs as its uid inside. */
static int oci_home(struct run_plan *plan, int root_fd, struct error *err)
{
	if (strv_env_find(plan->env, "HOME", 4) >= 0)
		return 0;
	bool failed;
	cleanup_free char *passwd = read_image_file(root_fd, "/etc/passwd", err, &failed);
	if (failed)
		return -1;
	cleanup_free char *home = identity_passwd_home(passwd, (uint32_t)getuid(), err);
	cleanup_free char *entry = NULL;
	if (!home)
		return -1;
	if (asprintf(&entry, "HOME=%s", home) < 0) {
		entry = NULL;
		return error_set(err, ENOMEM, "out of memory");
	}
	return strv_env_set(&plan->env, entry) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

int plan_resolve_in_root(struct run_plan *plan, int root_fd, struct error *err)
{
	if (plan->oci)
		return oci_home(plan, root_fd, err);
	struct identity *id = &plan->identity;
	if (choose_shell(root_fd, id, err) < 0 || fill_identity_mounts(plan, root_fd, err) < 0)
		return -1;
	const char *cwd = plan->cwd;
	bool cwd_visible = !plan->no_cwd && strcmp(cwd, "/") != 0 && visible_through_bind(plan, cwd);
	/* The cwd is bound where it is missing in the image, never over the image's own directories. */
	if (!plan->no_cwd && !cwd_visible && strcmp(cwd, "/") != 0 && !exists_in_root(root_fd, cwd)) {
		if (add_mount(plan, PLAN_MOUNT_BIND, cwd, cwd, NULL, false, false, err) < 0)
			return -1;
		cwd_visible = true;
	}
	const char *home = id->root ? "/root" : id->home;
	if (!plan->workdir) {
		if (cwd_visible)
			plan->workdir = strdup(cwd);
		else if (plan->image_workdir && exists_in_root(root_fd, plan->image_workdir))
			plan->workdir = strdup(plan->image_workdir);
		else
			plan->workdir = strdup(
			        home && (exists_in_root(root_fd, home) || visible_through_bind(plan, home))
			                ? home
			                : "/");
	}
	if (plan->default_argv) {
		if (strv_push(&plan->argv, id->shell ? id->shell : "/bin/sh") < 0 ||
		    strv_push(&plan->argv, "-l") < 0)
			return error_set(err, ENOMEM, "out of memory");
		plan->default_argv = false;
	}
	return plan->workdir ? 0 : error_set(err, ENOMEM, "out of memory");
}

void plan_process_free(struct plan_process *p)
{
	free(p->rlimits);
	free(p->additional_gids);
	seccomp_profile_free(p->seccomp);
	memset(p, 0, sizeof(*p));
}

void plan_free(struct run_plan *plan)
{
	for (size_t i = 0; i < plan->n_mounts; i++) {
		free(plan->mounts[i].source);
		free(plan->mounts[i].target);
		free(plan->mounts[i].data);
	}
	free(plan->mounts);
	free(plan->rootfs);
	strv_free(plan->overlay.lowers);
	free(plan->overlay.upper);
	free(plan->overlay.work);
	free(plan->overlay.image_file);
	identity_free(&plan->identity);
	free(plan->cwd);
	strv_free(plan->argv);
	strv_free(plan->env);
	free(plan->workdir);
	free(plan->image_workdir);
	free(plan->hostname);
	strv_free(plan->hooks);
	free(plan->label);
	for (size_t i = 0; i < PLAN_NS_COUNT; i++)
		free(plan->ns_join[i]);
	plan_process_free(&plan->process);
	strv_free(plan->masked_paths);
	strv_free(plan->readonly_paths);
	strv_free(plan->sysctls);
	memset(plan, 0, sizeof(*plan));
}
