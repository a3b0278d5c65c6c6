/* Unpacking an image file into a directory: every entry created fresh (O_EXCL, O_NOFOLLOW)
 * relative to the directory fd it belongs in, names checked to be single components by the
 * reader, so a crafted image cannot write outside the tree. Hard links become copies. */
#include "image/imagefile_unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/imagefile.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define MAX_DEPTH   512
#define COPY_CHUNK  (1 << 20)
#define XATTR_OWNER "user.rootlesscontainers"

struct walk {
	struct imagefile_cursor *cur;
	struct unpack_limits lim;
	uint64_t entries, bytes;
	char *buf;
	struct error *err;
	int dir_fd;
	unsigned depth;
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
	int parent = w->dir_fd;
	w->dir_fd = fd;
	w->depth++;
	int rc = imagefile_list(w->cur, node, write_entry, w);
	w->depth--;
	w->dir_fd = parent;
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
	struct walk w = {.err = err, .dir_fd = parent_fd};
	unpack_limits_default(&w.lim);
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
	imagefile_cursor_free(w.cur);
	imagefile_close(img);
	return rc;
}

int imagefile_unpack_cached(const char *path, const char *cache, char **dir, struct error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return error_errno(err, "image file %s", path);
	cleanup_free char *parent = NULL, *key = NULL, *out = NULL;
	if (asprintf(&parent, "%s/imagefiles", cache) < 0 ||
	    asprintf(&key, "%jx-%jx-%jx-%jx.%09ld", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
	             (uintmax_t)st.st_size, (uintmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec) < 0 ||
	    asprintf(&out, "%s/%s", parent, key) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (fs_is_dir(out)) {
		*dir = steal_pointer(&out);
		return 0;
	}
	if (fs_mkdir_p(parent, 0700, err) < 0)
		return -1;
	cleanup_close int parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0)
		return error_errno(err, "open %s", parent);
	char tmp[128];
	snprintf(tmp, sizeof(tmp), ".tmp-%d-%s", (int)getpid(), key);
	struct error ignored;
	fs_remove_tree_at(parent_fd, tmp, &ignored);
	if (unpack_into(path, parent_fd, tmp, err) < 0) {
		error_prefix(err, "unpack image file %s", path);
		fs_remove_tree_at(parent_fd, tmp, &ignored);
		return -1;
	}
	/* Another start may have finished the same file first: its tree is as good as ours. */
	if (renameat(parent_fd, tmp, parent_fd, key) < 0) {
		int saved = errno;
		fs_remove_tree_at(parent_fd, tmp, &ignored);
		if (saved != EEXIST && saved != ENOTEMPTY)
			return error_set(err, saved, "unpack image file %s into %s: %s", path, out,
			                 strerror(saved));
	}
	*dir = steal_pointer(&out);
	return 0;
}
