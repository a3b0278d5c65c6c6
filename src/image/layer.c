/* OCI image layers unpacked as overlayfs lower dirs: whiteouts, opaque directories and owner
 * records, through the hooks of the tar writer (unpack.c). Not the writer, not layer stacking. */
#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define WHITEOUT_PREFIX ".wh."
/* AUFS kept its own bookkeeping under this prefix (".wh..wh.plnk", ".wh..wh.orph"). */
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE      ".wh..wh..opq"
/* The "userxattr" names: trusted.overlay.* would need privilege. */
#define XATTR_OPAQUE "user.overlay.opaque"
#define XATTR_OWNER  "user.rootlesscontainers"
#define NOOP_ID      UINT32_MAX

struct layer_state {
	char **whiteouts; /* cleaned paths whited out by this layer, made once every entry is in */
	size_t nwhiteouts, cap;
	uint64_t marks; /* whiteout and opaque entries */
};

static void layer_state_release(struct layer_state *st)
{
	for (size_t i = 0; i < st->nwhiteouts; i++)
		free(st->whiteouts[i]);
	free(st->whiteouts);
}

static size_t put_varint(uint8_t *out, uint32_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t layer_owner_encode(uint32_t uid, uint32_t gid, uint8_t out[LAYER_OWNER_MAX])
{
	/* umoci writes 0 as the no-op id, so that an owner with one root id still gets both. */
	uint32_t u = uid ? uid : NOOP_ID, g = gid ? gid : NOOP_ID;
	if (u == NOOP_ID && g == NOOP_ID)
		return 0;
	size_t n = 0;
	out[n++] = 0x08; /* field 1, varint */
	n += put_varint(out + n, u);
	out[n++] = 0x10; /* field 2, varint */
	n += put_varint(out + n, g);
	return n;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int xattr_failure(struct error *err, const char *name)
{
	if (errno == ENOTSUP)
		return error_set(err, ENOTSUP,
		                 "set %s: the filesystem does not support user extended attributes; keep the "
		                 "layer cache on a local filesystem (ext4, xfs, btrfs, tmpfs)",
		                 name);
	return error_errno(err, "set %s", name);
}

/* Ids outside uint32 cannot come from a real image, and would be cut short silently. */
static int check_owner(struct archive_entry *e, struct error *err)
{
	int64_t ids[2] = {archive_entry_uid(e), archive_entry_gid(e)};
	for (size_t i = 0; i < 2; i++)
		if (ids[i] < 0 || ids[i] > (int64_t)UINT32_MAX)
			return error_set(err, EINVAL, "owner %s %" PRId64 " is outside 0-%" PRIu32,
			                 i ? "gid" : "uid", ids[i], UINT32_MAX);
	return 0;
}

static int layer_written(void *ctx, int fd, struct archive_entry *e, struct error *err)
{
	(void)ctx;
	uint8_t value[LAYER_OWNER_MAX];
	size_t len =
	        layer_owner_encode((uint32_t)archive_entry_uid(e), (uint32_t)archive_entry_gid(e), value);
	if (len > 0)
		return fsetxattr(fd, XATTR_OWNER, value, len, 0) < 0 ? xattr_failure(err, XATTR_OWNER) : 0;
	/* A directory listed again, now as root's, drops what an earlier listing recorded. */
	if (archive_entry_filetype(e) == AE_IFDIR && fremovexattr(fd, XATTR_OWNER) < 0 && errno != ENODATA &&
	    errno != ENOTSUP)
		return error_errno(err, "remove %s", XATTR_OWNER);
	return 0;
}

static int set_opaque(int dir_fd, struct error *err)
{
	return fsetxattr(dir_fd, XATTR_OPAQUE, "y", 1, 0) < 0 ? xattr_failure(err, XATTR_OPAQUE) : 0;
}

/* dir is resolved inside the root like any entry's parent, and made when missing. */
static int mark_opaque(int root_fd, const char *dir, struct error *err)
{
	cleanup_close int fd = fs_open_in_root(root_fd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0 && errno == ENOENT) {
		int made = fs_mkdir_p_in_root(root_fd, dir, 0755, err);
		if (made < 0)
			return -1;
		close(made);
		fd = fs_open_in_root(root_fd, dir, O_RDONLY | O_DIRECTORY, 0);
	}
	if (fd < 0)
		return error_errno(err, "open directory %s", dir);
	return set_opaque(fd, err);
}

/* The whiteout itself waits for the end: the same layer may still bring its own NAME. */
static int record_whiteout(struct layer_state *st, int root_fd, const char *dir, const char *path,
                           struct error *err)
{
	int parent = fs_mkdir_p_in_root(root_fd, dir, 0755, err);
	if (parent < 0)
		return -1;
	close(parent);
	if (st->nwhiteouts == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		char **grown = realloc(st->whiteouts, cap * sizeof(*grown));
		if (!grown)
			return error_set(err, ENOMEM, "out of memory");
		st->whiteouts = grown;
		st->cap = cap;
	}
	if (!(st->whiteouts[st->nwhiteouts] = strdup(path)))
		return error_set(err, ENOMEM, "out of memory");
	st->nwhiteouts++;
	return 0;
}

static int layer_entry(void *ctx, int root_fd, const char *path, struct archive_entry *e, struct error *err)
{
	struct layer_state *st = ctx;
	if (check_owner(e, err) < 0)
		return -1;
	const char *slash = strrchr(path, '/');
	const char *leaf = slash ? slash + 1 : path;
	for (const char *part = path; part < leaf; part = strchr(part, '/') + 1) {
		if (has_prefix(part, WHITEOUT_META_PREFIX))
			return 1;
		if (has_prefix(part, WHITEOUT_PREFIX))
			return error_set(err, EINVAL, "a whiteout name used as a directory");
	}
	if (!has_prefix(leaf, WHITEOUT_PREFIX))
		return 0;
	size_t dir_len = slash ? (size_t)(slash - path) : 1;
	cleanup_free char *dir = strndup(slash ? path : ".", dir_len);
	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	if (strcmp(leaf, WHITEOUT_OPAQUE) == 0) {
		if (mark_opaque(root_fd, dir, err) < 0)
			return -1;
		st->marks++;
		return 1;
	}
	if (has_prefix(leaf, WHITEOUT_META_PREFIX))
		return 1;
	const char *name = leaf + strlen(WHITEOUT_PREFIX);
	if (*name == '\0')
		return error_set(err, EINVAL, "whiteout without a name");
	if (strcmp(name, ".") == 0)
		return error_set(err, EINVAL, "whiteout of its own directory (\".\")");
	if (strcmp(name, "..") == 0)
		return error_set(err, EPERM, "whiteout escapes its directory (\"..\")");
	/* path without the prefix: dir + "/" + name, or name alone */
	cleanup_free char *target = malloc(strlen(path) + 1);
	if (!target)
		return error_set(err, ENOMEM, "out of memory");
	size_t keep = (size_t)(leaf - path);
	memcpy(target, path, keep);
	strcpy(target + keep, name);
	if (record_whiteout(st, root_fd, dir, target, err) < 0)
		return -1;
	st->marks++;
	return 1;
}

/* Whatever the layer put at a whited-out path wins (it is this layer's own, and a whiteout only
 * hides lower layers); a directory there is made opaque so the lower one stays hidden. */
static int make_whiteout(int root_fd, char *path, struct error *err)
{
	char *slash = strrchr(path, '/');
	const char *leaf = slash ? slash + 1 : path;
	if (slash)
		*slash = '\0';
	cleanup_close int parent = fs_open_in_root(root_fd, slash ? path : ".", O_PATH | O_DIRECTORY, 0);
	if (slash)
		*slash = '/';
	if (parent < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0; /* a later entry replaced the directory: nothing below it to hide */
	if (parent < 0)
		return error_errno(err, "open parent");
	struct stat st;
	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISDIR(st.st_mode))
			return 0;
		cleanup_close int dir = openat(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dir < 0)
			return error_errno(err, "open directory");
		return set_opaque(dir, err);
	}
	if (errno != ENOENT)
		return error_errno(err, "stat");
	/* Linux >= 5.8 lets anyone make this one device: overlayfs's whiteout. */
	if (mknodat(parent, leaf, S_IFCHR | 0000, makedev(0, 0)) < 0)
		return error_errno(err, "mknod");
	return 0;
}

static int layer_finish(void *ctx, int root_fd, struct error *err)
{
	struct layer_state *st = ctx;
	for (size_t i = 0; i < st->nwhiteouts; i++)
		if (make_whiteout(root_fd, st->whiteouts[i], err) < 0) {
			error_prefix(err, "whiteout %s", st->whiteouts[i]);
			return -1;
		}
	return 0;
}

static int check_empty(int layer_fd, struct error *err)
{
	int fd = fs_open_in_root(layer_fd, ".", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return error_errno(err, "open layer directory");
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_errno(err, "open layer directory");
	}
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			break;
	int rc = 0;
	if (de)
		rc = error_set(err, ENOTEMPTY,
		               "layer directory is not empty (holds %s): unpack into a fresh one",
		               de->d_name);
	else if (errno)
		rc = error_errno(err, "read layer directory");
	closedir(d);
	return rc;
}

int unpack_layer(struct archive *in, int layer_fd, const struct unpack_limits *lim,
                 struct unpack_stats *stats, struct error *err)
{
	if (check_empty(layer_fd, err) < 0)
		return -1;
	__attribute__((cleanup(layer_state_release))) struct layer_state st = {0};
	struct unpack_hooks hooks = {
	        .ctx = &st, .entry = layer_entry, .written = layer_written, .finish = layer_finish};
	int rc = unpack_archive_hooked(in, layer_fd, lim, &hooks, stats, err);
	if (stats)
		stats->whiteouts += st.marks;
	return rc;
}

static void archive_read_free_p(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

int unpack_layer_fd(int fd, int layer_fd, const struct unpack_limits *lim, struct unpack_stats *stats,
                    struct error *err)
{
	__attribute__((cleanup(archive_read_free_p))) struct archive *a = archive_read_new();
	if (!a)
		return error_set(err, ENOMEM, "out of memory");
	/* The compressions OCI layers use, and nothing else. */
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		const char *msg = archive_error_string(a);
		int code = archive_errno(a);
		/* libarchive reports an unrecognized format as EILSEQ on Linux. */
		if (code == EILSEQ)
			return error_set(err, EINVAL, "layer stream: not a tar, gzip or zstd stream (%s)",
			                 msg ? msg : "unrecognized");
		return error_set(err, code > 0 ? code : EIO, "layer stream: %s", msg ? msg : "cannot read");
	}
	return unpack_layer(a, layer_fd, lim, stats, err);
}
