/* File helpers: safe resolution inside a root directory fd, recursive removal,
 * whole-file reads and atomic writes. */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

int fs_open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
	        .flags = (unsigned long long)(flags | O_CLOEXEC),
	        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
	        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	long fd;
	do
		fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return (int)fd;
}

int fs_mkdir_p_in_root(int root_fd, const char *path, mode_t mode, struct error *err)
{
	cleanup_free char *copy = strdup(path);
	if (!copy)
		return error_set(err, ENOMEM, "out of memory");
	int dirfd = fs_open_in_root(root_fd, ".", O_PATH | O_DIRECTORY, 0);
	if (dirfd < 0)
		return error_errno(err, "open root");
	char *save = NULL;
	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		/* Re-resolve from root each step so a symlink or ".." can never leave it. */
		size_t done = (size_t)(part - copy) + strlen(part);
		char prefix[PATH_MAX];
		if (done >= sizeof(prefix)) {
			close(dirfd);
			return error_set(err, ENAMETOOLONG, "%s: path too long", path);
		}
		memcpy(prefix, copy, done);
		prefix[done] = '\0';
		for (size_t i = 0; i < done; i++)
			if (prefix[i] == '\0')
				prefix[i] = '/';
		int next = fs_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(dirfd, part, mode) < 0 && errno != EEXIST) {
				int e = errno;
				close(dirfd);
				errno = e;
				return error_errno(err, "mkdir %s", prefix);
			}
			next = fs_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0);
		}
		if (next < 0) {
			int e = errno;
			close(dirfd);
			errno = e;
			return error_errno(err, "open %s", prefix);
		}
		close(dirfd);
		dirfd = next;
	}
	return dirfd;
}

int fs_mkdir_p(const char *path, mode_t mode, struct error *err)
{
	char buf[PATH_MAX];
	if (strlen(path) >= sizeof(buf))
		return error_set(err, ENAMETOOLONG, "%s: path too long", path);
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return error_errno(err, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return error_errno(err, "mkdir %s", buf);
	if (!fs_is_dir(buf))
		return error_set(err, ENOTDIR, "%s: not a directory", buf);
	return 0;
}

static int remove_dir_contents(int dirfd, struct error *err)
{
	int dupfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return error_errno(err, "dup");
	DIR *d = fdopendir(dupfd);
	if (!d) {
		close(dupfd);
		return error_errno(err, "opendir");
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_remove_tree_at(dirfd, de->d_name, err) < 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

int fs_remove_tree_at(int dirfd, const char *name, struct error *err)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return error_errno(err, "remove %s", name);
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : error_errno(err, "stat %s", name);
	if (!S_ISDIR(st.st_mode))
		return error_errno(err, "remove %s", name);
	if ((st.st_mode & 0700) != 0700)
		if (fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0) < 0)
			return error_errno(err, "make %s writable", name);
	cleanup_close int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return error_errno(err, "open %s", name);
	if (remove_dir_contents(sub, err) < 0) {
		error_prefix(err, "%s", name);
		return -1;
	}
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return error_errno(err, "remove %s", name);
	return 0;
}

char *fs_read_file_at(int dirfd, const char *path, bool in_root, size_t max, size_t *len, struct error *err)
{
	cleanup_close int fd = in_root ? fs_open_in_root(dirfd, path, O_RDONLY | O_NOCTTY, 0)
	                               : openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		error_errno(err, "open %s", path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		error_errno(err, "stat %s", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(err, EINVAL, "%s: not a regular file", path);
		return NULL;
	}
	size_t cap = max < 4096 ? max : 4096, used = 0;
	cleanup_free char *buf = malloc(cap + 1);
	if (!buf) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (;;) {
		if (used == cap) {
			if (cap >= max) {
				error_set(err, EFBIG, "%s: larger than %zu bytes", path, max);
				return NULL;
			}
			cap = cap * 2 > max ? max : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				error_set(err, ENOMEM, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_errno(err, "read %s", path);
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	return steal_pointer(&buf);
}

int fs_pread_all(int fd, void *buf, size_t len, uint64_t offset)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct error *err)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return error_set(err, ENAMETOOLONG, "%s: path too long", path);
	cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, "create %s", tmp);
	if (fs_write_all(fd, data, len) < 0) {
		error_errno(err, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
		error_errno(err, "write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

bool fs_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
