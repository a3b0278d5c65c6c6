/* Containers: named root filesystems under the data path, made from a directory or a tar file,
 * listed, opened and removed. Writes land under a temporary name and are renamed into place. */
#include "runtime/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/unpack.h"
#include "runtime/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define CONTAINER_NAME_MAX 128

/* Mount points every start needs; made at create time so a read-only root needs no changes later. */
static const char *const standard_dirs[] = {"proc", "sys", "dev", "tmp", "etc", "home", "root", NULL};
static const char *const standard_files[] = {"etc/passwd", "etc/group", "etc/hosts", "etc/resolv.conf", NULL};

bool container_name_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > CONTAINER_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		          ch == '_' || ch == '.' || ch == '-';
		if (!ok)
			return false;
	}
	return true;
}

char *container_default_name(const char *source)
{
	static const char *const suffixes[] = {".tar.gz", ".tar.zst", ".tar.xz", ".tar.bz2", ".tgz",
	                                       ".tar",    ".sqsh",    ".sqfs",   NULL};
	cleanup_free char *copy = strdup(source);
	if (!copy)
		return NULL;
	size_t len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	char *base = strrchr(copy, '/');
	base = base ? base + 1 : copy;
	size_t blen = strlen(base);
	for (size_t i = 0; suffixes[i]; i++) {
		size_t slen = strlen(suffixes[i]);
		if (blen > slen && strcmp(base + blen - slen, suffixes[i]) == 0) {
			base[blen - slen] = '\0';
			break;
		}
	}
	return container_name_valid(base) ? strdup(base) : NULL;
}

static char *containers_dir(const char *data_path)
{
	char *dir = NULL;
	if (asprintf(&dir, "%s/containers", data_path) < 0)
		return NULL;
	return dir;
}

/* Open (creating) the containers directory and take its lock; returns the dir fd. */
static int containers_lock(const char *data_path, int *lock_fd, struct error *err)
{
	cleanup_free char *dir = containers_dir(data_path);
	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	if (fs_mkdir_p(dir, 0700, err) < 0) {
		error_prefix(
		        err,
		        "data path %s is not usable (set BURROW_DATA_PATH to a writable local directory)",
		        data_path);
		return -1;
	}
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_errno(err, "open %s", dir);
	*lock_fd = openat(dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX) < 0) {
		error_errno(
		        err,
		        "data path %s is not writable (set BURROW_DATA_PATH to a writable local directory)",
		        data_path);
		close(dirfd);
		return -1;
	}
	return dirfd;
}

static int make_mount_points(int root_fd, struct error *err)
{
	for (size_t i = 0; standard_dirs[i]; i++) {
		int fd = fs_mkdir_p_in_root(root_fd, standard_dirs[i], 0755, err);
		if (fd < 0)
			return -1;
		close(fd);
	}
	for (size_t i = 0; standard_files[i]; i++) {
		int fd = fs_open_in_root(root_fd, standard_files[i], O_WRONLY | O_CREAT | O_NOCTTY, 0644);
		if (fd < 0 && errno != EISDIR)
			return error_errno(err, "create /%s in the container", standard_files[i]);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int fill_rootfs(const char *source, int root_fd, struct error *err)
{
	struct unpack_limits lim;
	struct unpack_stats stats = {0};
	unpack_limits_default(&lim);
	struct stat st;
	if (stat(source, &st) < 0)
		return error_errno(err, "source %s", source);
	int rc;
	if (S_ISDIR(st.st_mode))
		rc = unpack_copy_tree(source, root_fd, &lim, &stats, err);
	else if (S_ISREG(st.st_mode) && unpack_is_tar(source))
		rc = unpack_tar_file(source, root_fd, &lim, &stats, err);
	else
		return error_set(err, EINVAL, "source %s is not a directory or tar archive", source);
	if (rc < 0)
		return -1;
	if (stats.devices_skipped > 0)
		fprintf(stderr,
		        "burrow: note: skipped %llu device node(s) in %s; /dev is provided at start\n",
		        (unsigned long long)stats.devices_skipped, source);
	return make_mount_points(root_fd, err);
}

static int remove_entry(int dirfd, const char *name, struct error *err)
{
	if (fs_remove_tree_at(dirfd, name, err) == 0)
		return 0;
	if (err->code != EACCES && err->code != EPERM)
		return -1;
	/* Files chowned to subordinate ids under --root: only the user namespace can remove them. */
	return userns_remove_tree(dirfd, name, err);
}

/* Fills a new container's directory (dir_fd) and its rootfs (root_fd, a real directory fd). */
typedef int (*container_fill_fn)(int dir_fd, int root_fd, const void *ctx, struct error *err);

/* Everything is written under a temporary name and renamed into place. */
static int create_with(const char *data_path, const char *name, bool force, container_fill_fn fill,
                       const void *ctx, struct error *err)
{
	if (!container_name_valid(name))
		return error_set(
		        err, EINVAL,
		        "invalid container name '%s': use letters, digits, '_', '.', '-' (at most %d)", name,
		        CONTAINER_NAME_MAX);
	cleanup_close int lock_fd = -1;
	cleanup_close int dirfd = containers_lock(data_path, &lock_fd, err);
	if (dirfd < 0)
		return -1;
	if (!force && faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return error_set(err, EEXIST, "container '%s' already exists (use -f to replace it)", name);
	/* Unlocked while filling, so other creates proceed; the name is checked again before rename. */
	flock(lock_fd, LOCK_UN);

	char tmp[64 + CONTAINER_NAME_MAX];
	snprintf(tmp, sizeof(tmp), ".new-%s-XXXXXX", name);
	cleanup_free char *dir = containers_dir(data_path);
	cleanup_free char *tmp_path = NULL;
	if (!dir || asprintf(&tmp_path, "%s/%s", dir, tmp) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (!mkdtemp(tmp_path))
		return error_errno(err, "create in %s", dir);
	const char *tmp_name = strrchr(tmp_path, '/') + 1;
	int rc = -1;
	cleanup_close int root_fd = -1;
	cleanup_close int tmpfd = openat(dirfd, tmp_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0 || mkdirat(tmpfd, "rootfs", 0755) < 0) {
		error_errno(err, "create %s/rootfs", tmp_path);
		goto out;
	}
	root_fd = openat(tmpfd, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		error_errno(err, "open %s/rootfs", tmp_path);
		goto out;
	}
	if (fill(tmpfd, root_fd, ctx, err) < 0) {
		error_prefix(err, "create %s", name);
		goto out;
	}
	if (flock(lock_fd, LOCK_EX) < 0) {
		error_errno(err, "lock %s", dir);
		goto out;
	}
	if (force && faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		char old[64 + CONTAINER_NAME_MAX];
		snprintf(old, sizeof(old), ".old-%s-%d", name, (int)getpid());
		if (renameat(dirfd, name, dirfd, old) < 0 || remove_entry(dirfd, old, err) < 0) {
			if (!err->msg[0])
				error_errno(err, "replace container '%s'", name);
			goto out;
		}
	}
	if (renameat2(dirfd, tmp_name, dirfd, name, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			error_set(err, EEXIST, "container '%s' already exists (use -f to replace it)", name);
		else
			error_errno(err, "create container '%s'", name);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		struct error ignored;
		remove_entry(dirfd, tmp_name, &ignored);
	}
	return rc;
}

static int fill_from_source(int dir_fd, int root_fd, const void *ctx, struct error *err)
{
	(void)dir_fd;
	return fill_rootfs(ctx, root_fd, err);
}

int container_create(const char *data_path, const char *name, const char *source, bool force,
                     struct error *err)
{
	if (!fs_is_dir(source) && !fs_is_file(source))
		return error_errno(err, "source %s", source);
	return create_with(data_path, name, force, fill_from_source, source, err);
}

static int write_at(int dir_fd, const char *file, const char *data, size_t len, struct error *err)
{
	cleanup_close int fd = openat(dir_fd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fs_write_all(fd, data, len) < 0)
		return error_errno(err, "write %s", file);
	return 0;
}

static int make_upper(int dir_fd, struct error *err)
{
	if (mkdirat(dir_fd, "upper", 0755) < 0 || mkdirat(dir_fd, "work", 0700) < 0)
		return error_errno(err, "create the container's upper dir");
	return 0;
}

static int fill_from_image(int dir_fd, int root_fd, const void *ctx, struct error *err)
{
	(void)root_fd;
	const struct container_image *image = ctx;
	cleanup_free char *layers = NULL, *about = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&layers, &len);
	if (!f)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; image->diff_ids[i]; i++)
		fprintf(f, "%s\n", image->diff_ids[i]);
	if (fclose(f) != 0 || asprintf(&about, "%s\n%s\n", image->name, image->digest) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (write_at(dir_fd, "config.json", image->config_json, image->config_len, err) < 0 ||
	    write_at(dir_fd, "image", about, strlen(about), err) < 0 ||
	    write_at(dir_fd, "layers", layers, len, err) < 0)
		return -1;
	return make_upper(dir_fd, err);
}

int container_create_image(const char *data_path, const char *name, const struct container_image *image,
                           bool force, struct error *err)
{
	if (!image->diff_ids || !image->diff_ids[0])
		return error_set(err, EINVAL, "image %s has no layers", image->name);
	return create_with(data_path, name, force, fill_from_image, image, err);
}

static int fill_from_image_file(int dir_fd, int root_fd, const void *ctx, struct error *err)
{
	(void)root_fd;
	const char *path = ctx;
	if (write_at(dir_fd, "image-file", path, strlen(path), err) < 0)
		return -1;
	return make_upper(dir_fd, err);
}

int container_create_image_file(const char *data_path, const char *name, const char *image_file, bool force,
                                struct error *err)
{
	if (image_file[0] != '/')
		return error_set(err, EINVAL, "image file %s: an absolute path is needed", image_file);
	return create_with(data_path, name, force, fill_from_image_file, image_file, err);
}

/* An image file container's record: the file's path. */
static int open_image_file_part(struct container *c, int dir_fd, struct error *err)
{
	struct error local;
	c->image_file = fs_read_file_at(dir_fd, "image-file", false, 4096, NULL, &local);
	if (!c->image_file)
		return local.code == ENOENT ? 0 : (*err = local, -1);
	if (asprintf(&c->upper, "%s/upper", c->dir) < 0 || asprintf(&c->work, "%s/work", c->dir) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* An image container's records: its layers, its config, its upper and work dirs; or an image
 * file container's. */
static int open_image_parts(struct container *c, struct error *err)
{
	cleanup_close int dir_fd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return error_errno(err, "open %s", c->dir);
	struct error local;
	cleanup_free char *layers = fs_read_file_at(dir_fd, "layers", false, 1 << 20, NULL, &local);
	if (!layers)
		return local.code == ENOENT ? open_image_file_part(c, dir_fd, err) : (*err = local, -1);
	c->config_json = fs_read_file_at(dir_fd, "config.json", false, 8 << 20, &c->config_len, err);
	if (!c->config_json)
		return -1;
	/* Its first line names the image; only shown to people, so its absence is no error. */
	c->image_name = fs_read_file_at(dir_fd, "image", false, 64 << 10, NULL, &local);
	if (c->image_name)
		c->image_name[strcspn(c->image_name, "\n")] = '\0';
	c->diff_ids = calloc(1, sizeof(char *));
	if (!c->diff_ids || asprintf(&c->upper, "%s/upper", c->dir) < 0 ||
	    asprintf(&c->work, "%s/work", c->dir) < 0)
		return error_set(err, ENOMEM, "out of memory");
	char *save = NULL;
	for (char *line = strtok_r(layers, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strv_push(&c->diff_ids, line) < 0)
			return error_set(err, ENOMEM, "out of memory");
	return 0;
}

int container_open(const char *data_path, const char *name, struct container *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	if (!container_name_valid(name))
		return error_set(err, ENOENT, "no container named '%s' (see 'burrow list')", name);
	if (asprintf(&c->dir, "%s/containers/%s", data_path, name) < 0 ||
	    asprintf(&c->rootfs, "%s/rootfs", c->dir) < 0 || !(c->name = strdup(name))) {
		container_free(c);
		return error_set(err, ENOMEM, "out of memory");
	}
	if (!fs_is_dir(c->rootfs)) {
		container_free(c);
		return error_set(err, ENOENT,
		                 "no container named '%s' (see 'burrow list', or 'burrow create')", name);
	}
	if (open_image_parts(c, err) < 0) {
		error_prefix(err, "container '%s'", name);
		container_free(c);
		return -1;
	}
	return 0;
}

void container_free(struct container *c)
{
	free(c->name);
	free(c->dir);
	free(c->rootfs);
	strv_free(c->diff_ids);
	free(c->config_json);
	free(c->upper);
	free(c->work);
	free(c->image_name);
	free(c->image_file);
	memset(c, 0, sizeof(*c));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list(const char *data_path, char ***names, struct error *err)
{
	*names = calloc(1, sizeof(char *));
	if (!*names)
		return error_set(err, ENOMEM, "out of memory");
	cleanup_free char *dir = containers_dir(data_path);
	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : error_errno(err, "list %s", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!container_name_valid(de->d_name))
			continue;
		if (strv_push(names, de->d_name) < 0) {
			closedir(d);
			return error_set(err, ENOMEM, "out of memory");
		}
	}
	closedir(d);
	qsort(*names, strv_len(*names), sizeof(char *), cmp_names);
	return 0;
}

int container_remove(const char *data_path, const char *name, struct error *err)
{
	if (!container_name_valid(name))
		return error_set(err, ENOENT, "no container named '%s' (see 'burrow list')", name);
	cleanup_close int lock_fd = -1;
	cleanup_close int dirfd = containers_lock(data_path, &lock_fd, err);
	if (dirfd < 0)
		return -1;
	if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, ENOENT, "no container named '%s' (see 'burrow list')", name);
	/* Renamed first so a half-removed tree never passes for a container. */
	char doomed[64 + CONTAINER_NAME_MAX];
	snprintf(doomed, sizeof(doomed), ".remove-%s-%d", name, (int)getpid());
	if (renameat(dirfd, name, dirfd, doomed) < 0)
		return error_errno(err, "remove container '%s'", name);
	if (remove_entry(dirfd, doomed, err) < 0) {
		error_prefix(err, "remove container '%s' (leftovers in %s/containers/%s)", name, data_path,
		             doomed);
		return -1;
	}
	return 0;
}
