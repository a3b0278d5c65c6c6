/* Assembles the container's root inside the new mount namespace and enters it with pivot_root.
 * Mounts are made detached (open_tree/fsmount) and attached with move_mount onto a target fd
 * resolved inside the root, so a symlink in the image can never redirect a mount to the host. */
#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "runtime/imagefile_mount.h"
#include "runtime/spawn.h"
#include "runtime/sysctl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

static int set_readonly(int mnt_fd, bool recursive)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	return mount_setattr(mnt_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr));
}

static int dangling_target(const char *target, struct error *err)
{
	return error_set(err, ENOENT,
	                 "mount point %s in the container is a symlink to nothing there (it is never "
	                 "followed out of the root): create what it points to in the image, or remove it",
	                 target);
}

/* The mount point for target: created (a directory, or an empty file when want_file) when
 * missing, always resolved inside root_fd. */
static int open_target(int root_fd, const char *target, bool want_file, struct error *err)
{
	int fd = fs_open_in_root(root_fd, target, O_PATH, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : error_errno(err, "mount point %s", target);
	if (!want_file) {
		fd = fs_mkdir_p_in_root(root_fd, target, 0755, err);
		return fd < 0 && err->code == ENOENT ? dangling_target(target, err) : fd;
	}
	cleanup_free char *parent = strdup(target);
	if (!parent)
		return error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(parent, '/');
	*slash = '\0';
	/* The parent usually exists (/dev of a fresh tmpfs): one lookup instead of a walk. */
	const char *dir = parent[0] ? parent : "/";
	cleanup_close int dir_fd = fs_open_in_root(root_fd, dir, O_PATH | O_DIRECTORY, 0);
	if (dir_fd < 0 && errno == ENOENT)
		dir_fd = fs_mkdir_p_in_root(root_fd, dir, 0755, err);
	else if (dir_fd < 0)
		return error_errno(err, "mount point %s", target);
	if (dir_fd < 0)
		return -1;
	int file_fd = openat(dir_fd, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (file_fd < 0 && errno != EEXIST)
		return error_errno(err, "create mount point %s", target);
	if (file_fd >= 0)
		close(file_fd);
	fd = fs_open_in_root(dir_fd, slash + 1, O_PATH, 0);
	if (fd < 0 && errno == ENOENT)
		return dangling_target(target, err);
	return fd >= 0 ? fd : error_errno(err, "mount point %s", target);
}

static int attach(int mnt_fd, int root_fd, const char *target, bool want_file, struct error *err)
{
	cleanup_close int target_fd = open_target(root_fd, target, want_file, err);
	if (target_fd < 0)
		return -1;
	if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return error_errno(err, "mount on %s", target);
	return 0;
}

static int new_fs(const char *type, const char *options, unsigned int attrs, struct error *err)
{
	cleanup_close int fs_fd = fsopen(type, FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return error_errno(err, "new %s", type);
	cleanup_free char *opts = options ? strdup(options) : NULL;
	char *save = NULL;
	for (char *opt = opts ? strtok_r(opts, ",", &save) : NULL; opt; opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');
		if (eq)
			*eq = '\0';
		int rc = eq ? fsconfig(fs_fd, FSCONFIG_SET_STRING, opt, eq + 1, 0)
		            : fsconfig(fs_fd, FSCONFIG_SET_FLAG, opt, NULL, 0);
		if (rc < 0)
			return error_errno(err, "%s option %s", type, opt);
	}
	if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return error_errno(err, "create %s", type);
	int mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, attrs);
	return mnt_fd >= 0 ? mnt_fd : error_errno(err, "mount %s", type);
}

/* options ("a,b=1,c") without every name=... or name entry. */
static char *without_option(const char *options, const char *name)
{
	char *out = calloc(1, strlen(options) + 1);
	cleanup_free char *copy = strdup(options);
	if (!out || !copy) {
		free(out);
		return NULL;
	}
	size_t n = strlen(name);
	char *save = NULL;
	for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (strncmp(opt, name, n) == 0 && (opt[n] == '=' || opt[n] == '\0'))
			continue;
		if (out[0])
			strcat(out, ",");
		strcat(out, opt);
	}
	return out;
}

/* A read-only file holding data, in a private detached tmpfs that vanishes with the namespace. */
static int content_mount(int scratch_fd, const char *target, const char *data, struct error *err)
{
	const char *name = strrchr(target, '/') + 1;
	cleanup_close int fd = openat(scratch_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(err, "write %s", target);
	if (fs_write_all(fd, data, strlen(data)) < 0)
		return error_errno(err, "write %s", target);
	int mnt_fd = open_tree(scratch_fd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mnt_fd < 0)
		return error_errno(err, "prepare %s", target);
	return mnt_fd;
}

static int make_symlink(int root_fd, const char *target, const char *link, struct error *err)
{
	cleanup_free char *parent = strdup(target);
	if (!parent)
		return error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(parent, '/');
	*slash = '\0';
	cleanup_close int dir_fd = fs_mkdir_p_in_root(root_fd, parent[0] ? parent : "/", 0755, err);
	if (dir_fd < 0)
		return -1;
	if (symlinkat(link, dir_fd, slash + 1) < 0 && errno != EEXIST)
		return error_errno(err, "symlink %s", target);
	return 0;
}

/* proc and sysfs go on a directory of the image itself, reached through no symlink: the
 * runtime reads and writes through them (CVE-2019-16884, CVE-2019-19921), so a /proc that is a
 * symlink to somewhere the container controls is refused, not followed. */
static bool kernel_fs(const struct plan_mount *m)
{
	return m->kind == PLAN_MOUNT_PROC || m->kind == PLAN_MOUNT_SYSFS ||
	       (m->kind == PLAN_MOUNT_BIND &&
	        (strcmp(m->source, "/proc") == 0 || strcmp(m->source, "/sys") == 0));
}

static int check_real_dir(int root_fd, const char *target, struct error *err)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
	while (*target == '/')
		target++;
	long fd = syscall(SYS_openat2, root_fd, target, &how, sizeof(how));
	if (fd >= 0) {
		close((int)fd);
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	if (errno == ELOOP)
		return error_set(err, ELOOP,
		                 "mount point /%s in the container is a symlink (or lies under one): it "
		                 "must be a real directory of the image; remove the symlink",
		                 target);
	if (errno == ENOTDIR)
		return error_set(err, ENOTDIR,
		                 "mount point /%s in the container is not a directory: it must be a real "
		                 "directory of the image",
		                 target);
	return error_errno(err, "mount point /%s", target);
}

static int do_mount(const struct run_plan *plan, const struct plan_mount *m, int root_fd, int *scratch_fd,
                    struct error *err)
{
	cleanup_close int mnt_fd = -1;
	bool want_file = false;
	if (kernel_fs(m) && check_real_dir(root_fd, m->target, err) < 0)
		return -1;
	if (m->create == PLAN_CREATE_NONE) {
		/* mounts.d as fstab: without x-create the mount point must be there already. */
		cleanup_close int fd = fs_open_in_root(root_fd, m->target, O_PATH, 0);
		if (fd < 0 && errno == ENOENT && m->optional)
			return 0;
		if (fd < 0 && errno == ENOENT)
			return error_set(err, ENOENT,
			                 "mount point %s does not exist in the container (add "
			                 "x-create=dir or x-create=file)",
			                 m->target);
	}
	switch (m->kind) {
	case PLAN_MOUNT_SYMLINK:
		return make_symlink(root_fd, m->target, m->data, err);
	case PLAN_MOUNT_BIND: {
		struct stat st;
		if (stat(m->source, &st) < 0) {
			if (m->optional)
				return 0;
			return error_errno(err, "mount source %s", m->source);
		}
		want_file = !S_ISDIR(st.st_mode);
		mnt_fd = open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (mnt_fd < 0)
			return error_errno(err, "bind %s", m->source);
		break;
	}
	case PLAN_MOUNT_TMPFS:
		mnt_fd = new_fs("tmpfs", m->data, MOUNT_ATTR_NOSUID, err);
		break;
	case PLAN_MOUNT_PROC:
		mnt_fd = new_fs("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
		break;
	case PLAN_MOUNT_CONTENT:
		if (*scratch_fd < 0) {
			*scratch_fd = new_fs("tmpfs", "mode=755,size=16m",
			                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
			if (*scratch_fd < 0)
				return -1;
		}
		mnt_fd = content_mount(*scratch_fd, m->target, m->data, err);
		want_file = true;
		break;
	case PLAN_MOUNT_SYSFS:
		if (!plan->network_none && !plan->ns_join[PLAN_NS_NET]) {
			/* sysfs belongs to a network namespace: without one of our own the kernel refuses a
			 * fresh one, and the host's is bound read-only instead (as runc does rootless). */
			mnt_fd = open_tree(AT_FDCWD, "/sys",
			                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
			if (mnt_fd < 0)
				return error_errno(err, "bind /sys");
			if (set_readonly(mnt_fd, true) < 0)
				return error_errno(err, "make %s read-only", m->target);
			break;
		}
		mnt_fd = new_fs("sysfs", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
		break;
	case PLAN_MOUNT_DEVPTS:
		mnt_fd = new_fs("devpts", m->data, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
		if (mnt_fd < 0 && err->code == EINVAL && m->data && strstr(m->data, "gid=")) {
			/* gid=5 (tty) of a rootful config names a group a single-id map lacks: without it
			 * the ptys belong to our own group, as crun does it rootless. */
			cleanup_free char *opts = without_option(m->data, "gid");
			if (!opts)
				return error_set(err, ENOMEM, "out of memory");
			mnt_fd = new_fs("devpts", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
		}
		break;
	case PLAN_MOUNT_MQUEUE:
		mnt_fd =
		        new_fs("mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
		break;
	case PLAN_MOUNT_CGROUP:
		/* Rootless on a host without delegation: the host's hierarchy, read-only. */
		mnt_fd = open_tree(AT_FDCWD, "/sys/fs/cgroup",
		                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (mnt_fd < 0)
			return error_errno(err, "bind /sys/fs/cgroup");
		if (set_readonly(mnt_fd, true) < 0)
			return error_errno(err, "make %s read-only", m->target);
		break;
	}
	if (mnt_fd < 0)
		return -1;
	if (m->create != PLAN_CREATE_AUTO)
		want_file = m->create == PLAN_CREATE_FILE;
	if (m->readonly && set_readonly(mnt_fd, true) < 0)
		return error_errno(err, "make %s read-only", m->target);
	struct mount_attr extra = {.attr_set = m->attrs};
	if (m->attrs && mount_setattr(mnt_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &extra, sizeof(extra)) < 0)
		return error_errno(err, "mount options of %s", m->target);
	return attach(mnt_fd, root_fd, m->target, want_file, err);
}

/* masked_paths: /dev/null over a file, an empty read-only tmpfs over a directory; missing ones
 * skipped. Resolved inside the root, so a symlink in the image cannot aim a mask at the host. */
static int mask_paths(char *const *paths, int root_fd, struct error *err)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		cleanup_close int target_fd = fs_open_in_root(root_fd, paths[i], O_PATH, 0);
		if (target_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue;
		struct stat st;
		if (target_fd < 0 || fstat(target_fd, &st) < 0)
			return error_errno(err, "masked path %s", paths[i]);
		cleanup_close int mnt_fd = -1;
		if (S_ISDIR(st.st_mode))
			mnt_fd = new_fs("tmpfs", "mode=555",
			                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			                        MOUNT_ATTR_NOEXEC,
			                err);
		else
			mnt_fd = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mnt_fd < 0)
			return S_ISDIR(st.st_mode)
			               ? -1
			               : error_errno(err, "masked path %s: bind /dev/null", paths[i]);
		if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
		    0)
			return error_errno(err, "masked path %s", paths[i]);
	}
	return 0;
}

/* readonly_paths: a read-only bind of each over itself; missing ones skipped. */
static int readonly_paths(char *const *paths, int root_fd, struct error *err)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		cleanup_close int target_fd = fs_open_in_root(root_fd, paths[i], O_PATH, 0);
		if (target_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue;
		if (target_fd < 0)
			return error_errno(err, "read-only path %s", paths[i]);
		cleanup_close int mnt_fd = open_tree(
		        target_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
		if (mnt_fd < 0 || set_readonly(mnt_fd, true) < 0 ||
		    move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
		            0)
			return error_errno(err, "read-only path %s", paths[i]);
	}
	return 0;
}

static int pivot_into(int root_fd, struct error *err)
{
	if (fchdir(root_fd) < 0)
		return error_errno(err, "enter root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return error_errno(err, "pivot_root");
	/* The old root now sits on top of the new one; detaching it leaves only the container. */
	if (umount2(".", MNT_DETACH) < 0)
		return error_errno(err, "detach host root");
	if (chdir("/") < 0)
		return error_errno(err, "chdir /");
	return 0;
}

/* Escape a path for overlayfs's "lowerdir" list, where ':', ',' and '\\' are special. */
static char *overlay_escape(const char *path)
{
	char *out = malloc(2 * strlen(path) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = path; *p; p++) {
		if (*p == ':' || *p == ',' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* The lower layers, top first: one "lowerdir+" each where the kernel has it (6.8+, no length
 * limit), else one ':'-joined "lowerdir" (limited to a page by the kernel). */
static int overlay_set_lowers(int fs_fd, char *const *lowers, struct error *err)
{
	bool appended = fsconfig(fs_fd, FSCONFIG_SET_STRING, "lowerdir+", lowers[0], 0) == 0;
	if (appended) {
		for (size_t i = 1; lowers[i]; i++)
			if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0)
				return error_errno(err, "layer %s", lowers[i]);
		return 0;
	}
	size_t len = 1;
	for (size_t i = 0; lowers[i]; i++)
		len += 2 * strlen(lowers[i]) + 1;
	cleanup_free char *joined = calloc(1, len);
	if (!joined)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; lowers[i]; i++) {
		cleanup_free char *escaped = overlay_escape(lowers[i]);
		if (!escaped)
			return error_set(err, ENOMEM, "out of memory");
		if (i > 0)
			strcat(joined, ":");
		strcat(joined, escaped);
	}
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "lowerdir", joined, 0) < 0)
		return error_errno(err, "overlay of %zu layers (too many for this kernel's mount options?)",
		                   strv_len((char **)lowers));
	return 0;
}

/* The image's layers as one overlay mount (detached). userxattr: whiteouts and opaque marks are
 * the user.overlay.* xattrs the layer writer made, which an unprivileged mount may read. */
static int overlay_mount(char *const *lowers, const char *upper, const char *work, struct error *err)
{
	cleanup_close int fs_fd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return error_errno(err, "overlayfs (see 'burrow check')");
	if (fsconfig(fs_fd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		return error_errno(err, "overlayfs option userxattr (kernel 5.11 or later is needed)");
	if (overlay_set_lowers(fs_fd, lowers, err) < 0)
		return -1;
	if (upper && (fsconfig(fs_fd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	              fsconfig(fs_fd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
		return error_errno(err, "overlay upper dir %s", upper);
	if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return error_errno(err, "mount the image's layers as an overlay");
	int mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, 0);
	return mnt_fd >= 0 ? mnt_fd : error_errno(err, "mount the overlay");
}

/* The overlay's lower dirs: the plan's, then an image file's fuse mount attached on dir (inside
 * this namespace only) as the bottom layer. */
static char **lowers_with_image(const struct run_plan *plan, const char *dir, struct error *err)
{
	cleanup_strv char **lowers = strv_copy(plan->overlay.lowers);
	if (!lowers || strv_push(&lowers, dir) < 0) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	cleanup_close int mnt_fd = imagefile_mount_fuse(plan->fuse_sock, err);
	if (mnt_fd < 0)
		return NULL;
	if (move_mount(mnt_fd, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		error_errno(err, "mount the image file on %s", dir);
		return NULL;
	}
	return steal_pointer(&lowers);
}

/* A FUSE mount refused, or not answering (ENOTCONN: its server gave up), is no fault of the
 * image: the caller may start again from the file unpacked. */
static int fuse_failed(struct run_plan *plan)
{
	plan->fuse_failed = true;
	return -1;
}

/* The root as a detached mount: a bind of the plain tree, or an overlay. A throw-away upper dir
 * lives in a tmpfs attached on the mount point first; the root then goes on its "root"
 * directory, returned in *root_path. */
static int root_mount(struct run_plan *plan, char **root_path, struct error *err)
{
	const struct plan_overlay *o = &plan->overlay;
	if (!o->lowers) {
		int fd = open_tree(AT_FDCWD, plan->rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		return fd >= 0 ? fd : error_errno(err, "bind root %s", plan->rootfs);
	}
	cleanup_strv char **lowers = NULL;
	if (!o->tmpfs_upper) {
		/* The overlay then stacks on the fuse mount it reads from. */
		if (o->image_file && !(lowers = lowers_with_image(plan, plan->rootfs, err)))
			return fuse_failed(plan);
		int fd = overlay_mount(lowers ? lowers : o->lowers, o->upper, o->work, err);
		return fd < 0 && o->image_file && err->code == ENOTCONN ? fuse_failed(plan) : fd;
	}
	cleanup_close int tmp_fd = new_fs("tmpfs", "mode=700", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
	if (tmp_fd < 0)
		return -1;
	if (move_mount(tmp_fd, "", AT_FDCWD, plan->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return error_errno(err, "mount a tmpfs on %s", plan->rootfs);
	cleanup_free char *upper = NULL, *work = NULL, *image = NULL;
	if (asprintf(&upper, "%s/upper", plan->rootfs) < 0 || asprintf(&work, "%s/work", plan->rootfs) < 0 ||
	    asprintf(&image, "%s/image", plan->rootfs) < 0 ||
	    asprintf(root_path, "%s/root", plan->rootfs) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(*root_path, 0755) < 0 ||
	    (o->image_file && mkdir(image, 0755) < 0))
		return error_errno(err, "prepare the writable layer in %s", plan->rootfs);
	if (o->image_file && !(lowers = lowers_with_image(plan, image, err)))
		return fuse_failed(plan);
	int fd = overlay_mount(lowers ? lowers : o->lowers, upper, work, err);
	return fd < 0 && o->image_file && err->code == ENOTCONN ? fuse_failed(plan) : fd;
}

int rootfs_enter(struct run_plan *plan, const struct spawn_ops *ops, struct error *err)
{
	/* Host mount events still reach us; ours never reach the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return error_errno(err, "make mounts private");
	cleanup_free char *root_path = NULL;
	cleanup_close int tree_fd = root_mount(plan, &root_path, err);
	if (tree_fd < 0)
		return -1;
	const char *root = root_path ? root_path : plan->rootfs;
	if (move_mount(tree_fd, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return error_errno(err, "mount root %s", root);
	cleanup_close int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return error_errno(err, "open root %s", root);
	if (plan_resolve_in_root(plan, root_fd, err) < 0)
		return -1;
	cleanup_close int scratch_fd = -1;
	size_t i = 0;
	for (; i < plan->n_mounts; i++) {
		if (do_mount(plan, &plan->mounts[i], root_fd, &scratch_fd, err) < 0)
			return -1;
	}
	/* Hooks see the assembled root; the mounts they ask for follow them. */
	if (hooks_run(plan, root, err) < 0)
		return -1;
	for (; i < plan->n_mounts; i++) {
		if (do_mount(plan, &plan->mounts[i], root_fd, &scratch_fd, err) < 0)
			return -1;
	}
	if (ops && ops->assembled && ops->assembled(ops->ctx, plan, root, err) < 0)
		return -1;
	/* After every mount: sysctls through the container's /proc, before a mask or read-only
	 * path can cover /proc/sys; masks last so no later mount uncovers what they hide. */
	if (sysctl_apply(plan, root_fd, err) < 0 || readonly_paths(plan->readonly_paths, root_fd, err) < 0 ||
	    mask_paths(plan->masked_paths, root_fd, err) < 0)
		return -1;
	if (plan->create_workdir) {
		/* As docker makes WORKDIR: before the root turns read-only, never through a symlink out. */
		cleanup_close int dir_fd = fs_mkdir_p_in_root(root_fd, plan->workdir, 0755, err);
		if (dir_fd < 0) {
			error_prefix(err, "working directory %s", plan->workdir);
			return -1;
		}
	}
	if (plan->rootfs_readonly && set_readonly(root_fd, false) < 0)
		return error_errno(err, "make the root read-only");
	if (pivot_into(root_fd, err) < 0)
		return -1;
	return rootfs_chdir(plan->workdir, err);
}

int rootfs_chdir(const char *dir, struct error *err)
{
	/* CVE-2024-21626: a magic link (/proc/self/fd/N, /proc/PID/cwd) can lead to a directory
	 * outside the root, through a descriptor the process holds. */
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS};
	long fd = syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
	if (fd < 0 && errno == ELOOP)
		return error_set(err, ELOOP,
		                 "working directory %s: refused, it goes through a /proc magic link (such "
		                 "as /proc/self/fd/N) that can lead outside the container, or a symlink "
		                 "loop; give a path inside the container",
		                 dir);
	if (fd < 0)
		return error_errno(err, "working directory %s in the container", dir);
	int rc = fchdir((int)fd);
	close((int)fd);
	if (rc < 0)
		return error_errno(err, "working directory %s in the container", dir);
	/* The kernel reports a directory the root cannot reach as "(unreachable)/..." and glibc's
	 * getcwd fails on it: the last word on whether the cwd lies inside. */
	char buf[4096];
	if (!getcwd(buf, sizeof(buf)) && errno != ERANGE)
		return error_set(err, EXDEV, "working directory %s lies outside the container: refused", dir);
	return 0;
}
