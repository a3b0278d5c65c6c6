/* Unpacking an image file into a directory: every entry created fresh (O_EXCL, O_NOFOLLOW)
 * relative to the directory fd it belongs in, names checked to be single components by the
 * reader, so a crafted image cannot write outside the tree. Hard links stay hard links. Also
 * the cache of unpacked trees (CACHE/imagefiles) and its sweeping by gc. */
#include "image/imagefile_unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/imagefile.h"
#include "image/store_gc.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define MAX_DEPTH   512
#define COPY_CHUNK  (1 << 20)
#define XATTR_OWNER "user.rootlesscontainers"
#define TREE_DIR    "tree"
#define SOURCE_FILE "source"
#define TEMP_PREFIX ".tmp-"

struct walk {
	struct imagefile_cursor *cur;
	struct unpack_limits lim;
	uint64_t entries, bytes;
	char *buf;
	struct error *err;
	int dir_fd, root_fd; /* root_fd: the tree's top, where the paths below start */
	unsigned depth;
	/* The path of the directory being written, from the top ("" there, else "a/b/"). */
	char *path;
	size_t path_len, path_cap;
	/* Hard links: the path of the first entry of each inode number with more than one link
	 * (squashfs numbers inodes 1..inodes), made when the first is met. */
	char **link_paths;
	uint32_t inodes;
};

static int fail(struct walk *w, int code, const char *name, const char *what)
{
	return error_set(w->err, code < 0 ? -code : code, "%s %s: %s", what, name,
	                 strerror(code < 0 ? -code : code));
}

static int set_xattr(void *ctx, const char *name, const void *value, size_t size)
{
	int *fd = ctx;
	/* Only user.* can be set unprivileged; the overlay's own marks are never taken. */
	if (strncmp(name, "user.", 5) != 0 || strncmp(name, "user.overlay.", 13) == 0 ||
	    strcmp(name, XATTR_OWNER) == 0)
		return 0;
	return fsetxattr(*fd, name, value, size, 0) < 0 ? -errno : 0;
}

/* Owner record, xattrs, mode and time of an entry just written (fd open on it). */
static int finish_entry(struct walk *w, int fd, const struct imagefile_node *node, const char *name)
{
	uint8_t owner[LAYER_OWNER_MAX];
	size_t len = layer_owner_encode(node->st.st_uid, node->st.st_gid, owner);
	if (len > 0 && fsetxattr(fd, XATTR_OWNER, owner, len, 0) < 0)
		return fail(w, errno, name, "record the owner of");
	int rc = imagefile_xattrs(w->cur, node, set_xattr, &fd);
	if (rc < 0)
		return fail(w, rc, name, "xattrs of");
	struct timespec times[2] = {{.tv_sec = node->st.st_mtime}, {.tv_sec = node->st.st_mtime}};
	if (fchmod(fd, node->st.st_mode & 07777) < 0 || futimens(fd, times) < 0)
		return fail(w, errno, name, "set the mode of");
	return 0;
}

static int write_file(struct walk *w, const char *name, const struct imagefile_node *node)
{
	cleanup_close int fd =
	        openat(w->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(w, errno, name, "create");
	for (uint64_t off = 0; off < (uint64_t)node->st.st_size;) {
		long n = imagefile_read(w->cur, node, off, w->buf, COPY_CHUNK);
		if (n <= 0)
			return fail(w, n < 0 ? (int)n : EIO, name, "read");
		if (fs_write_all(fd, w->buf, (size_t)n) < 0)
			return fail(w, errno, name, "write");
		off += (uint64_t)n;
		if ((w->bytes += (uint64_t)n) > w->lim.max_bytes)
			return error_set(w->err, EFBIG,
			                 "more than %" PRIu64 " bytes of data (BURROW_UNPACK_MAX_BYTES)",
			                 w->lim.max_bytes);
	}
	return finish_entry(w, fd, node, name);
}

static int write_dir(struct walk *w, const char *name, const struct imagefile_node *node);

/* A file with more than one link: written at its first name, linked at the others. */
static int write_linked(struct walk *w, const char *name, const struct imagefile_node *node)
{
	uint64_t ino = (uint64_t)node->st.st_ino;
	if (ino == 0 || ino > w->inodes)
		return fail(w, EIO, name, "inode number of");
	if (!w->link_paths && !(w->link_paths = calloc((size_t)w->inodes + 1, sizeof(char *))))
		return error_set(w->err, ENOMEM, "out of memory");
	if (w->link_paths[ino]) {
		if (linkat(w->root_fd, w->link_paths[ino], w->dir_fd, name, 0) < 0)
			return fail(w, errno, name, "link");
		return 0;
	}
	if (write_file(w, name, node) < 0)
		return -1;
	if (asprintf(&w->link_paths[ino], "%.*s%s", (int)w->path_len, w->path, name) < 0) {
		w->link_paths[ino] = NULL;
		return error_set(w->err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Enter directory name in w->path (leave it with path_leave). */
static int path_enter(struct walk *w, const char *name)
{
	size_t n = strlen(name);
	if (w->path_len + n + 2 > w->path_cap) {
		size_t cap = (w->path_len + n + 2) * 2;
		char *grown = realloc(w->path, cap);
		if (!grown)
			return error_set(w->err, ENOMEM, "out of memory");
		w->path = grown;
		w->path_cap = cap;
	}
	memcpy(w->path + w->path_len, name, n);
	w->path[w->path_len + n] = '/';
	w->path_len += n + 1;
	return 0;
}

static void path_leave(struct walk *w, const char *name)
{
	w->path_len -= strlen(name) + 1;
}

static int write_entry(void *ctx, const char *name, uint64_t ref, mode_t type)
{
	struct walk *w = ctx;
	if (++w->entries > w->lim.max_entries)
		return error_set(w->err, EFBIG, "more than %" PRIu64 " entries (BURROW_UNPACK_MAX_ENTRIES)",
		                 w->lim.max_entries);
	struct imagefile_node node;
	int rc = imagefile_node_read(w->cur, ref, &node);
	if (rc < 0)
		return fail(w, rc, name, "read");
	cleanup_free char *target = NULL;
	if (S_ISREG(node.st.st_mode) && node.st.st_nlink > 1) {
		rc = write_linked(w, name, &node);
		imagefile_node_free(&node);
		return rc;
	}
	switch (node.st.st_mode & S_IFMT) {
	case S_IFDIR:
		rc = write_dir(w, name, &node);
		break;
	case S_IFREG:
		rc = write_file(w, name, &node);
		break;
	case S_IFLNK:
		rc = imagefile_readlink(&node, &target);
		rc = rc < 0 ? fail(w, rc, name, "read") : 0;
		if (rc == 0 && symlinkat(target, w->dir_fd, name) < 0)
			rc = fail(w, errno, name, "create");
		break;
	case S_IFIFO:
		if (mkfifoat(w->dir_fd, name, node.st.st_mode & 0777) < 0)
			rc = fail(w, errno, name, "create");
		break;
	default:
		break; /* device nodes and sockets cannot be made unprivileged, as in layers */
	}
	imagefile_node_free(&node);
	return rc;
}

static int write_dir(struct walk *w, const char *name, const struct imagefile_node *node)
{
	if (w->depth >= MAX_DEPTH)
		return error_set(w->err, ELOOP, "directories nested deeper than %d", MAX_DEPTH);
	if (mkdirat(w->dir_fd, name, 0700) < 0)
		return fail(w, errno, name, "create");
	cleanup_close int fd = openat(w->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(w, errno, name, "open");
	/* The top is where link paths start: its own name is not part of them. */
	bool top = w->root_fd < 0;
	if (top)
		w->root_fd = fd;
	else if (path_enter(w, name) < 0)
		return -1;
	int parent = w->dir_fd;
	w->dir_fd = fd;
	w->depth++;
	int rc = imagefile_list(w->cur, node, write_entry, w);
	w->depth--;
	w->dir_fd = parent;
	if (top)
		w->root_fd = -1;
	else
		path_leave(w, name);
	if (rc < 0 && !w->err->msg[0])
		fail(w, rc, name, "list");
	return rc < 0 ? -1 : finish_entry(w, fd, node, name);
}

static int unpack_into(const char *path, int parent_fd, const char *name, struct error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, "image file %s", path);
	struct imagefile *img = NULL;
	if (imagefile_open(fd, &img, err) < 0)
		return -1;
	struct walk w = {.err = err, .dir_fd = parent_fd, .root_fd = -1};
	unpack_limits_default(&w.lim);
	uint64_t ignored_bytes;
	uint32_t ignored_block;
	imagefile_stats(img, &ignored_bytes, &ignored_block, &w.inodes);
	struct imagefile_node root;
	int rc = -1;
	error_clear(err);
	if (!(w.cur = imagefile_cursor_new(img, err)) || !(w.buf = malloc(COPY_CHUNK))) {
		if (!err->msg[0])
			error_set(err, ENOMEM, "out of memory");
	} else if ((rc = imagefile_node_read(w.cur, imagefile_root_ref(img), &root)) < 0) {
		rc = fail(&w, rc, "/", "read");
	} else {
		rc = write_dir(&w, name, &root);
		imagefile_node_free(&root);
	}
	free(w.buf);
	free(w.path);
	for (uint32_t i = 0; w.link_paths && i <= w.inodes; i++)
		free(w.link_paths[i]);
	free(w.link_paths);
	imagefile_cursor_free(w.cur);
	imagefile_close(img);
	return rc;
}

/* The cache key of the image file at path: its device, inode, size and modification time. */
static int file_key(const char *path, char **key, struct error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return error_errno(err, "image file %s", path);
	if (asprintf(key, "%jx-%jx-%jx-%jx.%09ld", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
	             (uintmax_t)st.st_size, (uintmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* KEY under parent_fd, opened and locked shared, if it is a complete tree that gc has not taken
 * away meanwhile (gc renames a tree away under its exclusive lock before removing it). */
static int open_tree_locked(int parent_fd, const char *key)
{
	int fd = openat(parent_fd, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat held, named;
	int rc;
	do
		rc = flock(fd, LOCK_SH);
	while (rc < 0 && errno == EINTR);
	if (rc < 0 || fstat(fd, &held) < 0 || fstatat(parent_fd, key, &named, AT_SYMLINK_NOFOLLOW) < 0 ||
	    held.st_ino != named.st_ino || held.st_dev != named.st_dev ||
	    faccessat(fd, TREE_DIR, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Unpack path into parent_fd/KEY: under a temporary name locked exclusive while it is written
 * (gc sweeps only those no live unpack holds), renamed into place when complete. The lock fd,
 * downgraded to shared, in *lock_fd; 0 also when another start renamed its tree first. */
static int unpack_new(const char *path, int parent_fd, const char *key, int *lock_fd, struct error *err)
{
	char tmp[160];
	snprintf(tmp, sizeof(tmp), TEMP_PREFIX "%d-%s", (int)getpid(), key);
	struct error ignored;
	cleanup_close int fd = -1;
	/* gc may lock the new directory before we do, and remove it: then make it again. */
	for (int tries = 0; fd < 0; tries++) {
		fs_remove_tree_at(parent_fd, tmp, &ignored);
		if (mkdirat(parent_fd, tmp, 0700) < 0)
			return error_errno(err, "create %s", tmp);
		fd = openat(parent_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX) < 0) {
			error_errno(err, "open %s", tmp);
			fs_remove_tree_at(parent_fd, tmp, &ignored);
			return -1;
		}
		struct stat held, named;
		if (fstat(fd, &held) == 0 && fstatat(parent_fd, tmp, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
		    held.st_ino == named.st_ino)
			break;
		close(steal_fd(&fd));
		if (tries == 2)
			return error_set(err, EAGAIN, "create %s: removed as it was made", tmp);
	}
	/* The source's path, for gc: the key alone cannot say where the file was. */
	cleanup_close int src_fd =
	        openat(fd, SOURCE_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (src_fd < 0 || fs_write_all(src_fd, path, strlen(path)) < 0) {
		error_errno(err, "record the source of %s", tmp);
		fs_remove_tree_at(parent_fd, tmp, &ignored);
		return -1;
	}
	if (unpack_into(path, fd, TREE_DIR, err) < 0) {
		fs_remove_tree_at(parent_fd, tmp, &ignored);
		return -1;
	}
	if (renameat(parent_fd, tmp, parent_fd, key) < 0) {
		int saved = errno;
		fs_remove_tree_at(parent_fd, tmp, &ignored);
		/* Another start finished the same file first: its tree is as good as ours. */
		if (saved == EEXIST || saved == ENOTEMPTY)
			return 0;
		return error_set(err, saved, "rename %s to %s: %s", tmp, key, strerror(saved));
	}
	flock(fd, LOCK_SH);
	*lock_fd = steal_fd(&fd);
	return 0;
}

int imagefile_unpack_cached(const char *path, const char *cache, char **dir, int *lock_fd, struct error *err)
{
	cleanup_free char *parent = NULL, *key = NULL;
	if (file_key(path, &key, err) < 0)
		return -1;
	if (asprintf(&parent, "%s/imagefiles", cache) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (fs_mkdir_p(parent, 0700, err) < 0)
		return -1;
	cleanup_close int parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0)
		return error_errno(err, "open %s", parent);
	/* A tree made before, else one made now (or by another start meanwhile). */
	int fd = open_tree_locked(parent_fd, key);
	if (fd < 0) {
		if (unpack_new(path, parent_fd, key, &fd, err) < 0) {
			error_prefix(err, "unpack image file %s into %s", path, parent);
			return -1;
		}
		if (fd < 0)
			fd = open_tree_locked(parent_fd, key);
	}
	if (fd < 0)
		return error_set(err, EEXIST,
		                 "unpack image file %s: %s/%s is no complete tree (burrow gc removes it)",
		                 path, parent, key);
	if (asprintf(dir, "%s/%s/" TREE_DIR, parent, key) < 0) {
		close(fd);
		return error_set(err, ENOMEM, "out of memory");
	}
	*lock_fd = fd;
	return 0;
}

/* Whether tree KEY (open at fd) is stale: no source recorded, or the source gone or changed. */
static bool tree_stale(int fd, const char *key)
{
	struct error ignored;
	size_t len;
	cleanup_free char *source = fs_read_file_at(fd, SOURCE_FILE, false, PATH_MAX, &len, &ignored);
	cleanup_free char *now = NULL;
	if (!source || file_key(source, &now, &ignored) < 0)
		return true;
	return strcmp(now, key) != 0;
}

/* The names in directory fd, NULL-terminated (strv_free). */
static char **list_names(int fd, struct error *err)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	if (!d) {
		error_errno(err, "open");
		if (dup_fd >= 0)
			close(dup_fd);
		return NULL;
	}
	char **names = calloc(1, sizeof(char *));
	struct dirent *e;
	while (names && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strv_push(&names, e->d_name) < 0) {
			strv_free(names);
			names = NULL;
		}
	closedir(d);
	if (!names)
		error_set(err, ENOMEM, "out of memory");
	return names;
}

int imagefile_unpack_gc(const char *cache, bool dry_run, struct store_gc_result *res, struct error *err)
{
	cleanup_free char *parent = NULL;
	if (asprintf(&parent, "%s/imagefiles", cache) < 0)
		return error_set(err, ENOMEM, "out of memory");
	cleanup_close int parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0)
		return errno == ENOENT ? 0 : error_errno(err, "open %s", parent);
	cleanup_strv char **names = list_names(parent_fd, err);
	if (!names) {
		error_prefix(err, "list %s", parent);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && names && names[i]; i++) {
		const char *name = names[i];
		bool temporary = strncmp(name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0;
		cleanup_close int fd =
		        openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* Held: an unpack still writing, or a start using the tree. */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (!temporary && !tree_stale(fd, name))
			continue;
		cleanup_free char *shown = NULL;
		if (asprintf(&shown, "%s/%s", parent, name) < 0)
			return error_set(err, ENOMEM, "out of memory");
		uint64_t bytes = store_gc_item_size(parent_fd, parent, name);
		rc = store_gc_add_item(res, temporary ? STORE_ITEM_TEMPORARY : STORE_ITEM_UNPACKED, shown,
		                       bytes, err);
		if (rc < 0 || dry_run)
			continue;
		/* Out of the way first, still locked: a start that finds it renamed unpacks anew. */
		char doomed[160];
		snprintf(doomed, sizeof(doomed), TEMP_PREFIX "gc-%d-%zu", (int)getpid(), i);
		const char *gone =
		        temporary || renameat(parent_fd, name, parent_fd, doomed) < 0 ? name : doomed;
		if (fs_remove_tree_at(parent_fd, gone, err) < 0) {
			error_prefix(err, "remove %s", shown);
			rc = -1;
		}
	}
	return rc;
}
