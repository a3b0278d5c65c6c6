/* Builds the run plan for a start: ids, mounts, identity files, environment, command, workdir.
 * Reads the container and the host; changes nothing. Performing the plan is rootfs.c and spawn.c. */
#include "runtime/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/environ.h"
#include "runtime/identity.h"
#include "runtime/mountspec.h"
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

static int add_identity_mounts(struct run_plan *plan, int root_fd, const struct identity *id,
                               struct error *err)
{
	bool failed;
	cleanup_free char *image_passwd = read_image_file(root_fd, "/etc/passwd", err, &failed);
	if (failed)
		return -1;
	cleanup_free char *image_group = read_image_file(root_fd, "/etc/group", err, &failed);
	if (failed)
		return -1;
	cleanup_free char *passwd = identity_merge_passwd(image_passwd, id, err);
	cleanup_free char *group = passwd ? identity_merge_group(image_group, id, err) : NULL;
	if (!passwd || !group)
		return -1;
	if (add_mount(plan, PLAN_MOUNT_CONTENT, NULL, "/etc/passwd", passwd, true, false, err) < 0 ||
	    add_mount(plan, PLAN_MOUNT_CONTENT, NULL, "/etc/group", group, true, false, err) < 0)
		return -1;
	return 0;
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

static int plan_identity(struct run_plan *plan, int root_fd, const struct start_options *opts,
                         struct identity *id, const char **home, struct error *err)
{
	if (identity_from_host(id, opts->root, err) < 0)
		return -1;
	if (choose_shell(root_fd, id, err) < 0 || add_identity_mounts(plan, root_fd, id, err) < 0)
		return -1;
	*home = opts->root ? "/root" : id->home;
	const char *user = opts->root ? "root" : id->name;
	struct environ_identity ident = {.home = *home, .user = user};
	plan->env = environ_build(NULL, environ, &ident, opts->env, err);
	return plan->env ? 0 : -1;
}

int plan_build(const struct container *c, const struct start_options *opts, struct run_plan *plan,
               struct error *err)
{
	memset(plan, 0, sizeof(*plan));
	struct identity id = {0};
	int rc = -1;
	cleanup_close int root_fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char cwd[4096];
	if (root_fd < 0) {
		error_errno(err, "open container '%s'", c->name);
		goto out;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	plan->rootfs = strdup(c->rootfs);
	plan->rootfs_readonly = !opts->rw;
	plan->new_pid = opts->new_pid;
	userns_host_maps(opts->root, &plan->uids, &plan->gids);
	if (!plan->rootfs || add_system_mounts(plan, opts->new_pid, err) < 0)
		goto out;
	const char *home;
	if (plan_identity(plan, root_fd, opts, &id, &home, err) < 0)
		goto out;
	if (mount_home_enabled() && id.home && strcmp(id.home, "/") != 0 && fs_is_dir(id.home) &&
	    add_mount(plan, PLAN_MOUNT_BIND, id.home, id.home, NULL, false, false, err) < 0)
		goto out;
	if (add_user_mounts(plan, opts, cwd, err) < 0)
		goto out;
	bool cwd_visible = !opts->no_cwd && strcmp(cwd, "/") != 0 && visible_through_bind(plan, cwd);
	/* The cwd is bound where it is missing in the image, never over the image's own directories. */
	if (!opts->no_cwd && !cwd_visible && strcmp(cwd, "/") != 0 && !exists_in_root(root_fd, cwd)) {
		if (add_mount(plan, PLAN_MOUNT_BIND, cwd, cwd, NULL, false, false, err) < 0)
			goto out;
		cwd_visible = true;
	}
	if (opts->workdir)
		plan->workdir = strdup(opts->workdir);
	else if (cwd_visible)
		plan->workdir = strdup(cwd);
	else
		plan->workdir = strdup(
		        home && (exists_in_root(root_fd, home) || visible_through_bind(plan, home)) ? home
		                                                                                    : "/");
	if (opts->argv && opts->argv[0]) {
		plan->argv = strv_copy(opts->argv);
	} else {
		plan->argv = NULL;
		if (strv_push(&plan->argv, id.shell ? id.shell : "/bin/sh") == 0)
			strv_push(&plan->argv, "-l");
	}
	if (!plan->workdir || !plan->argv || strv_len(plan->argv) == 0) {
		error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	identity_free(&id);
	if (rc < 0)
		plan_free(plan);
	return rc;
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
	strv_free(plan->argv);
	strv_free(plan->env);
	free(plan->workdir);
	memset(plan, 0, sizeof(*plan));
}
