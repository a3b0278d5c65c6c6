/* Writes to /proc through a verified handle: the start path's id maps, and the run plan's
 * oom_score_adj and sysctls when they are performed. Not reads (those trust the host's /proc). */
#include "util/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

/* The inode number of every procfs mount's root (fs/proc/root.c). */
#define PROC_ROOT_INO 1

int procfs_open(const char *path, struct error *err)
{
	cleanup_close int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, "open %s", path);
	struct statfs sfs;
	struct stat st;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return error_errno(err, "check %s", path);
	if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
		return error_set(err, EXDEV, "%s is not the root of a procfs mount: refusing to write there",
		                 path);
	return steal_fd(&fd);
}

/* /proc/self is a symlink, refused below: name the caller as this /proc numbers it instead. */
static int self_name(int proc_fd, char *buf, size_t size)
{
	ssize_t n = readlinkat(proc_fd, "self", buf, size - 1);
	if (n <= 0 || (size_t)n >= size - 1)
		return -1;
	buf[n] = '\0';
	return 0;
}

int procfs_write(int proc_fd, pid_t pid, const char *file, const char *text, struct error *err)
{
	char path[128], self[32];
	int n;
	if (pid == 0) {
		if (self_name(proc_fd, self, sizeof(self)) < 0)
			return error_errno(err, "/proc/self: cannot read");
		n = snprintf(path, sizeof(path), "%s/%s", self, file);
	} else if (pid > 0) {
		n = snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
	} else {
		n = snprintf(path, sizeof(path), "%s", file);
	}
	if (n < 0 || (size_t)n >= sizeof(path))
		return error_set(err, ENAMETOOLONG, "/proc/%s: name too long", file);
	struct open_how how = {
	        .flags = O_WRONLY | O_CLOEXEC | O_NOCTTY,
	        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long fd;
	do
		fd = syscall(SYS_openat2, proc_fd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0)
		return error_errno(err, "open /proc/%s", path);
	cleanup_close int file_fd = (int)fd;
	/* Id maps and sysctls are taken in a single write; a second one is refused or misread. */
	size_t len = strlen(text);
	ssize_t written = write(file_fd, text, len);
	if (written < 0)
		return error_errno(err, "write /proc/%s", path);
	if ((size_t)written != len)
		return error_set(err, EIO, "write /proc/%s: short write", path);
	return 0;
}
