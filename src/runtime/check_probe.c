/* The probing half of `burrow check`: reads the host's knobs and files (under BURROW_HOST_ROOT,
 * so tests can stage a host) and, on the real root, tries what burrow will do: create a user
 * namespace and mount overlayfs inside one. Nothing is left behind; verdicts are in check.c. */
#include "runtime/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/imagefile_mount.h"
#include "runtime/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/paths.h"

static const char *host_root(void)
{
	const char *root = getenv("BURROW_HOST_ROOT");
	return root && *root ? root : "/";
}

static bool real_root(void)
{
	return strcmp(host_root(), "/") == 0;
}

static char *host_file(const char *path, size_t max)
{
	char full[PATH_MAX];
	snprintf(full, sizeof(full), "%s%s", real_root() ? "" : host_root(), path);
	struct error err;
	return fs_read_file_at(AT_FDCWD, full, false, max, NULL, &err);
}

static long host_sysctl(const char *path)
{
	cleanup_free char *text = host_file(path, 64);
	if (!text)
		return CHECK_UNKNOWN;
	char *end;
	long value = strtol(text, &end, 10);
	return end == text ? CHECK_UNKNOWN : value;
}

/* Runs fn in a child; returns its errno (0 when it worked). The child cannot disturb us: it
 * has namespaces and mounts of its own, all gone when it exits. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(fn() < 0 ? (errno & 0xff) : 0);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

static int try_userns(void)
{
	return unshare(CLONE_NEWUSER);
}

static int write_file(const char *path, const char *text)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
}

/* A user and mount namespace mapping the user alone, as a start makes. */
static int enter_userns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/setgroups", "deny") < 0 || write_file("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_file("/proc/self/gid_map", map);
}

/* As burrow will: a user and mount namespace, a scratch tmpfs, and overlayfs with userxattr
 * (the unprivileged form, Linux 5.11+). */
static int try_overlay(void)
{
	if (enter_userns() < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, NULL) < 0)
		return -1;
	if (mkdir("/tmp/l", 0755) < 0 || mkdir("/tmp/u", 0755) < 0 || mkdir("/tmp/w", 0755) < 0 ||
	    mkdir("/tmp/m", 0755) < 0)
		return -1;
	return mount("overlay", "/tmp/m", "overlay", 0,
	             "lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w,userxattr");
}

/* As a start of an image file will: a fuse mount made inside a user namespace (nobody serves
 * it; the kernel asks the server only at the first access). */
static int try_fuse(void)
{
	if (enter_userns() < 0)
		return -1;
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	int fs_fd = fd < 0 ? -1 : fsopen("fuse", FSOPEN_CLOEXEC);
	char text[16];
	snprintf(text, sizeof(text), "%d", fd);
	if (fs_fd < 0 || fsconfig(fs_fd, FSCONFIG_SET_STRING, "fd", text, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_STRING, "rootmode", "40000", 0) < 0)
		return -1;
	snprintf(text, sizeof(text), "%u", (unsigned)getuid());
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "user_id", text, 0) < 0)
		return -1;
	snprintf(text, sizeof(text), "%u", (unsigned)getgid());
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "group_id", text, 0) < 0)
		return -1;
	return fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
}

static bool listed_filesystem(const char *name)
{
	cleanup_free char *text = host_file("/proc/filesystems", 1 << 16);
	if (!text)
		return false;
	for (char *line = text; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		const char *tab = strrchr(line, '\t');
		if (strcmp(tab ? tab + 1 : line, name) == 0)
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

static void probe_fuse(struct check_facts *f)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/dev/fuse", real_root() ? "" : host_root());
	struct stat st;
	f->fuse_present = stat(path, &st) == 0 && S_ISCHR(st.st_mode);
	f->fuse_mode = f->fuse_present ? st.st_mode : 0;
	f->fuse_usable = f->fuse_present && access(path, R_OK | W_OK) == 0;
}

/* The nearest existing directory of path: the data path may not exist before the first create. */
static void existing_parent(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s", path);
	struct stat st;
	while (stat(out, &st) < 0) {
		char *slash = strrchr(out, '/');
		if (!slash || slash == out) {
			snprintf(out, size, "/");
			return;
		}
		*slash = '\0';
	}
}

static void probe_data_path(struct check_facts *f)
{
	char existing[PATH_MAX], resolved[PATH_MAX], full[PATH_MAX];
	existing_parent(f->data_path, existing, sizeof(existing));
	const char *rest = f->data_path + strlen(existing);
	if (strcmp(existing, "/") == 0)
		rest = f->data_path;
	if (!realpath(existing, resolved))
		snprintf(resolved, sizeof(resolved), "%s", existing);
	const char *base = strcmp(resolved, "/") == 0 && *rest == '/' ? "" : resolved;
	if (snprintf(full, sizeof(full), "%s%s", base, rest) >= (int)sizeof(full))
		return;
	cleanup_free char *mountinfo = host_file("/proc/self/mountinfo", 16 << 20);
	if (mountinfo)
		check_mountinfo_fstype(mountinfo, full, f->data_fstype, sizeof(f->data_fstype));
}

void check_probe(struct check_facts *f)
{
	memset(f, 0, sizeof(*f));
	struct passwd *pw = getpwuid(getuid());
	f->user = pw ? pw->pw_name : "you";

	f->max_user_namespaces = host_sysctl("/proc/sys/user/max_user_namespaces");
	f->unprivileged_userns_clone = host_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
	f->apparmor_restrict_unprivileged_userns =
	        host_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	f->userns_errno = real_root() ? in_child(try_userns) : CHECK_UNKNOWN;

	f->overlay_listed = listed_filesystem("overlay");
	f->overlay_errno = real_root() && f->overlay_listed && f->userns_errno == 0 ? in_child(try_overlay)
	                                                                            : CHECK_UNKNOWN;
	probe_fuse(f);
	f->fuse_disabled = imagefile_fuse_disabled();
	f->fuse_errno =
	        real_root() && f->fuse_usable && f->userns_errno == 0 ? in_child(try_fuse) : CHECK_UNKNOWN;
	f->squashfuse_present = userns_helper_present("squashfuse");

	uint32_t start, count;
	f->subuid_file = userns_subid_file(false);
	f->subgid_file = userns_subid_file(true);
	userns_find_range(false, f->user, getuid(), &start, &count);
	f->subuid_entry = count > 0;
	userns_find_range(true, f->user, getuid(), &start, &count);
	f->subgid_entry = count > 0;
	f->newuidmap_present = userns_helper_present("newuidmap");
	f->newgidmap_present = userns_helper_present("newgidmap");

	cleanup_free char *data = paths_data();
	if (data && snprintf(f->data_path, sizeof(f->data_path), "%s", data) < (int)sizeof(f->data_path))
		probe_data_path(f);
	else
		f->data_path[0] = '\0';
}
