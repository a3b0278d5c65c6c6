/* The hardened unpacker: libarchive only reads, and every entry is written here with *at()
 * calls relative to a root directory fd. Not the layer logic (whiteouts, ownership records). */
#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define DEFAULT_MAX_ENTRIES 10000000ULL
#define DEFAULT_MAX_BYTES   (1ULL << 40)
#define DEFAULT_MAX_PATH    4096
/* Entry names are cut to this in messages: a hostile 1 MB name must not drown the error. */
#define SHOWN_NAME_MAX 200

/* A directory's final mode and times, applied once every entry is written: a 0555 directory
 * must still accept its children, and writing them would change its mtime. */
struct dir_fixup {
	char *path;
	mode_t mode;
	struct timespec times[2];
	long depth;
	size_t seq;
};

struct writer {
	int root_fd;
	const struct unpack_limits *lim;
	const struct unpack_hooks *hooks; /* never NULL: empty when the caller gave none */
	uint64_t entries, bytes, devices_skipped;
	struct dir_fixup *dirs;
	size_t ndirs, cap;
};

static void writer_release(struct writer *w)
{
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->dirs);
}

static void archive_read_free_p(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

void unpack_limits_default(struct unpack_limits *lim)
{
	lim->max_entries = DEFAULT_MAX_ENTRIES;
	lim->max_bytes = DEFAULT_MAX_BYTES;
	lim->max_path = DEFAULT_MAX_PATH;
	const char *names[] = {"BURROW_UNPACK_MAX_ENTRIES", "BURROW_UNPACK_MAX_BYTES"};
	uint64_t *slots[] = {&lim->max_entries, &lim->max_bytes};
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(names[i]);
		if (!v || *v < '0' || *v > '9')
			continue;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		/* A value that does not parse keeps the default rather than silently becoming 0. */
		if (errno == 0 && *end == '\0')
			*slots[i] = n;
	}
}

static int archive_failure(struct error *err, struct archive *a, const char *what)
{
	const char *msg = archive_error_string(a);
	int code = archive_errno(a);
	return error_set(err, code > 0 ? code : EIO, "%s: %s", what, msg ? msg : "unknown error");
}

static void prefix_entry(struct error *err, const char *name)
{
	size_t len = strlen(name);
	error_prefix(err, "entry %.*s%s", (int)(len > SHOWN_NAME_MAX ? SHOWN_NAME_MAX : len), name,
	             len > SHOWN_NAME_MAX ? "..." : "");
}

static int bad_path(struct error *err, int code, const char *what, const struct unpack_limits *lim)
{
	if (code == EPERM)
		return error_set(err, EPERM, "%sescapes the root (\"..\" component)", what);
	if (code == ENAMETOOLONG)
		return error_set(err, ENAMETOOLONG, "%slonger than %zu bytes", what, lim->max_path);
	return error_set(err, EINVAL, "%sempty name", what);
}

static void entry_times(struct archive_entry *e, struct timespec t[2])
{
	t[0] = (struct timespec){.tv_nsec = UTIME_OMIT};
	t[1] = (struct timespec){.tv_nsec = UTIME_OMIT};
	/* Nanoseconds outside [0, 1e9) from a hostile header would make the whole call fail. */
	if (archive_entry_atime_is_set(e) && (unsigned long)archive_entry_atime_nsec(e) < 1000000000UL)
		t[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
	if (archive_entry_mtime_is_set(e) && (unsigned long)archive_entry_mtime_nsec(e) < 1000000000UL)
		t[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
}

static int bytes_exceeded(struct error *err, const struct unpack_limits *lim)
{
	return error_set(err, EFBIG,
	                 "exceeds BURROW_UNPACK_MAX_BYTES=%" PRIu64 "; raise it if the image is genuine",
	                 lim->max_bytes);
}

/* Makes room for an entry named leaf in parent_fd: a non-directory is removed (later entries
 * replace earlier ones, as tar does); an existing directory is kept when want_dir, else it
 * must be empty. *kept_dir tells the caller a directory is already there. */
static int clear_slot(int parent_fd, const char *leaf, bool want_dir, bool *kept_dir, struct error *err)
{
	struct stat st;
	*kept_dir = false;
	if (fstatat(parent_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : error_errno(err, "stat");
	if (S_ISDIR(st.st_mode)) {
		if (want_dir) {
			*kept_dir = true;
			if ((st.st_mode & 0700) != 0700 &&
			    fchmodat(parent_fd, leaf, (st.st_mode & 07777) | 0700, 0) < 0)
				return error_errno(err, "make directory writable");
			return 0;
		}
		if (unlinkat(parent_fd, leaf, AT_REMOVEDIR) < 0)
			return error_errno(err, "replace directory");
		return 0;
	}
	if (unlinkat(parent_fd, leaf, 0) < 0)
		return error_errno(err, "replace earlier entry");
	return 0;
}

/* Splits path in place into parent and leaf and returns an O_PATH fd of the parent, resolved
 * inside the root; missing parents are created (0755: tar archives often omit them). */
static int open_parent(struct writer *w, char *path, const char **leaf, bool create, struct error *err)
{
	char *slash = strrchr(path, '/');
	if (!slash) {
		*leaf = path;
		int fd = fs_open_in_root(w->root_fd, ".", O_PATH | O_DIRECTORY, 0);
		return fd < 0 ? error_errno(err, "open root") : fd;
	}
	*slash = '\0';
	*leaf = slash + 1;
	int fd = fs_open_in_root(w->root_fd, path, O_PATH | O_DIRECTORY, 0);
	if (fd < 0 && errno == ENOENT && create)
		return fs_mkdir_p_in_root(w->root_fd, path, 0755, err);
	if (fd < 0)
		return error_errno(err, "open parent %s", path);
	return fd;
}

static int write_data(struct writer *w, struct archive *in, struct archive_entry *e, int fd,
                      struct error *err)
{
	int64_t end = 0;
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(in, &buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return archive_failure(err, in, "read data");
		if (offset < 0 || (uint64_t)offset > (uint64_t)INT64_MAX - size)
			return error_set(err, EINVAL, "data block at a bad offset");
		if (size > w->lim->max_bytes - w->bytes)
			return bytes_exceeded(err, w->lim);
		w->bytes += size;
		/* Writing at the block's offset leaves the gaps of a sparse file as holes. */
		const char *p = buf;
		int64_t at = offset;
		while (size > 0) {
			ssize_t n = pwrite(fd, p, size, at);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return error_errno(err, "write");
			p += n;
			at += n;
			size -= (size_t)n;
		}
		if (at > end)
			end = at;
	}
	/* A sparse file that ends in a hole has no block there: extend it to its real size. */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > end &&
	    ftruncate(fd, archive_entry_size(e)) < 0)
		return error_errno(err, "extend to %" PRId64 " bytes", (int64_t)archive_entry_size(e));
	return 0;
}

static int add_dir_fixup(struct writer *w, const char *path, mode_t mode, struct archive_entry *e,
                         struct error *err)
{
	if (w->ndirs == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct dir_fixup *n = realloc(w->dirs, cap * sizeof(*n));
		if (!n)
			return error_set(err, ENOMEM, "out of memory");
		w->dirs = n;
		w->cap = cap;
	}
	struct dir_fixup *d = &w->dirs[w->ndirs];
	d->path = strdup(path);
	if (!d->path)
		return error_set(err, ENOMEM, "out of memory");
	d->mode = mode;
	entry_times(e, d->times);
	d->depth = strcmp(path, ".") == 0 ? -1 : 0;
	for (const char *p = path; *p; p++)
		d->depth += *p == '/';
	d->seq = w->ndirs++;
	return 0;
}

/* Hands a just-written file (open on fd) to the hook. */
static int hook_written(struct writer *w, int fd, struct archive_entry *e, struct error *err)
{
	return w->hooks->written ? w->hooks->written(w->hooks->ctx, fd, e, err) : 0;
}

/* Hands a just-made directory (leaf in dirfd, opened here) to the hook. */
static int hook_written_dir(struct writer *w, int dirfd, const char *leaf, struct archive_entry *e,
                            struct error *err)
{
	if (!w->hooks->written)
		return 0;
	cleanup_close int dir = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return error_errno(err, "open directory");
	return hook_written(w, dir, e, err);
}

static int write_dir(struct writer *w, int parent_fd, const char *leaf, const char *path,
                     struct archive_entry *e, struct error *err)
{
	mode_t mode = archive_entry_perm(e) & 07777;
	bool kept;
	if (clear_slot(parent_fd, leaf, true, &kept, err) < 0)
		return -1;
	if (!kept && mkdirat(parent_fd, leaf, (mode & 0777) | 0700) < 0)
		return error_errno(err, "mkdir");
	if (hook_written_dir(w, parent_fd, leaf, e, err) < 0)
		return -1;
	return add_dir_fixup(w, path, mode, e, err);
}

static int write_file(struct writer *w, struct archive *in, int parent_fd, const char *leaf,
                      struct archive_entry *e, struct error *err)
{
	bool kept;
	if (clear_slot(parent_fd, leaf, false, &kept, err) < 0)
		return -1;
	cleanup_close int fd = openat(parent_fd, leaf,
	                              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno(err, "create");
	if (write_data(w, in, e, fd, err) < 0)
		return -1;
	if (hook_written(w, fd, e, err) < 0)
		return -1;
	/* After the data: a write by a non-root owner clears setuid bits. */
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return error_errno(err, "chmod");
	struct timespec t[2];
	entry_times(e, t);
	/* A time the filesystem cannot store is not worth failing an image for. */
	(void)futimens(fd, t);
	return 0;
}

static int write_symlink(int parent_fd, const char *leaf, struct archive_entry *e, struct error *err)
{
	/* The target is stored as given: it is only ever resolved inside the root, at use. */
	const char *target = archive_entry_symlink(e);
	if (!target || !*target)
		return error_set(err, EINVAL, "symlink without a target");
	bool kept;
	if (clear_slot(parent_fd, leaf, false, &kept, err) < 0)
		return -1;
	if (symlinkat(target, parent_fd, leaf) < 0)
		return error_errno(err, "symlink");
	struct timespec t[2];
	entry_times(e, t);
	(void)utimensat(parent_fd, leaf, t, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int write_fifo(int parent_fd, const char *leaf, struct archive_entry *e, struct error *err)
{
	bool kept;
	if (clear_slot(parent_fd, leaf, false, &kept, err) < 0)
		return -1;
	if (mkfifoat(parent_fd, leaf, 0600) < 0)
		return error_errno(err, "mkfifo");
	/* The FIFO was made just now by this writer, so following leaf here cannot leave it. */
	if (fchmodat(parent_fd, leaf, archive_entry_perm(e) & 07777, 0) < 0)
		return error_errno(err, "chmod");
	struct timespec t[2];
	entry_times(e, t);
	(void)utimensat(parent_fd, leaf, t, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int write_hardlink(struct writer *w, int parent_fd, const char *leaf, const char *link_name,
                          struct error *err)
{
	cleanup_free char *src = malloc(strlen(link_name) + 1);
	if (!src)
		return error_set(err, ENOMEM, "out of memory");
	if (unpack_clean_path(link_name, src, w->lim->max_path) < 0)
		return bad_path(err, errno, "hard link target ", w->lim);
	if (strcmp(src, ".") == 0)
		return error_set(err, EINVAL, "hard link to the root directory");
	const char *src_leaf;
	/* The source is resolved inside the root like any entry: "/etc/passwd" means the image's. */
	cleanup_close int src_parent = open_parent(w, src, &src_leaf, false, err);
	if (src_parent < 0)
		return -1;
	struct stat s, d;
	if (fstatat(src_parent, src_leaf, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return error_errno(err, "hard link target %s", link_name);
	if (fstatat(parent_fd, leaf, &d, AT_SYMLINK_NOFOLLOW) == 0 && d.st_dev == s.st_dev &&
	    d.st_ino == s.st_ino)
		return 0; /* already the same file: removing it first would lose it */
	bool kept;
	if (clear_slot(parent_fd, leaf, false, &kept, err) < 0)
		return -1;
	if (linkat(src_parent, src_leaf, parent_fd, leaf, 0) < 0)
		return error_errno(err, "hard link to %s", link_name);
	return 0;
}

/* Counts one more entry against the entry cap (a flood of tiny entries exhausts inodes). */
static int count_entry(struct writer *w, struct error *err)
{
	if (w->entries >= w->lim->max_entries)
		return error_set(err, EFBIG,
		                 "more than %" PRIu64 " entries: exceeds BURROW_UNPACK_MAX_ENTRIES=%" PRIu64
		                 "; raise it if the image is genuine",
		                 w->lim->max_entries, w->lim->max_entries);
	w->entries++;
	return 0;
}

static int write_entry(struct writer *w, struct archive *in, struct archive_entry *e, const char *name,
                       const char *link_name, struct error *err)
{
	cleanup_free char *path = malloc(strlen(name) + 1);
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (unpack_clean_path(name, path, w->lim->max_path) < 0)
		return bad_path(err, errno, "", w->lim);
	if (w->hooks->entry) {
		int taken = w->hooks->entry(w->hooks->ctx, w->root_fd, path, e, err);
		if (taken != 0)
			return taken < 0 ? -1 : 0;
	}
	mode_t type = archive_entry_filetype(e);
	if (!link_name) {
		if (type == AE_IFCHR || type == AE_IFBLK) {
			/* Unprivileged we cannot make them; /dev is provided at start instead. */
			w->devices_skipped++;
			return 0;
		}
		if (type == AE_IFSOCK)
			return 0; /* a socket is only meaningful to the process that bound it */
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO)
			return error_set(err, EINVAL, "unsupported entry type 0%o", (unsigned)type);
	}
	if (strcmp(path, ".") == 0) {
		if (link_name || type != AE_IFDIR)
			return error_set(err, EINVAL, "replaces the root directory");
		if (hook_written_dir(w, w->root_fd, ".", e, err) < 0)
			return -1;
		return add_dir_fixup(w, ".", archive_entry_perm(e) & 07777, e, err);
	}
	cleanup_free char *full = strdup(path);
	if (!full)
		return error_set(err, ENOMEM, "out of memory");
	const char *leaf;
	cleanup_close int parent_fd = open_parent(w, path, &leaf, true, err);
	if (parent_fd < 0)
		return -1;
	if (link_name)
		return write_hardlink(w, parent_fd, leaf, link_name, err);
	switch (type) {
	case AE_IFDIR:
		return write_dir(w, parent_fd, leaf, full, e, err);
	case AE_IFLNK:
		return write_symlink(parent_fd, leaf, e, err);
	case AE_IFIFO:
		return write_fifo(parent_fd, leaf, e, err);
	default:
		return write_file(w, in, parent_fd, leaf, e, err);
	}
}

static int fixup_order(const void *a, const void *b)
{
	const struct dir_fixup *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Deepest first, so a parent turned read-only (or untraversable) never blocks its children.
 * Through the parent, not an fd of the directory itself: opening a directory needs read
 * permission, which an earlier fixup of the same directory (listed twice) may have removed. */
static int apply_dir_fixups(struct writer *w, struct error *err)
{
	if (w->ndirs > 1)
		qsort(w->dirs, w->ndirs, sizeof(*w->dirs), fixup_order);
	for (size_t i = 0; i < w->ndirs; i++) {
		struct dir_fixup *d = &w->dirs[i];
		bool is_root = strcmp(d->path, ".") == 0;
		const char *leaf = ".";
		cleanup_close int parent_fd = -1;
		if (!is_root) {
			char *slash = strrchr(d->path, '/');
			if (slash)
				*slash = '\0';
			leaf = slash ? slash + 1 : d->path;
			parent_fd =
			        fs_open_in_root(w->root_fd, slash ? d->path : ".", O_PATH | O_DIRECTORY, 0);
			if (slash)
				*slash = '/';
			if (parent_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
				continue; /* replaced by a later entry */
			if (parent_fd < 0)
				return error_errno(err, "directory %s", d->path);
			struct stat st;
			if (fstatat(parent_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					continue;
				return error_errno(err, "directory %s", d->path);
			}
			if (!S_ISDIR(st.st_mode))
				continue; /* replaced by a later entry */
		}
		int dirfd = is_root ? w->root_fd : parent_fd;
		/* The root keeps its owner bits: the caller still creates mount points in it.
		 * fchmodat follows a symlink, but leaf was just seen to be a directory. */
		mode_t mode = is_root ? d->mode | 0700 : d->mode;
		if (fchmodat(dirfd, leaf, mode, 0) < 0)
			return error_errno(err, "directory %s: chmod", d->path);
		(void)utimensat(dirfd, leaf, d->times, AT_SYMLINK_NOFOLLOW);
	}
	return 0;
}

static int read_entries(struct writer *w, struct archive *in, struct error *err)
{
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return archive_failure(err, in, "read");
		if (count_entry(w, err) < 0)
			return -1;
		const char *name = archive_entry_pathname(e);
		if (!name)
			return error_set(err, EINVAL, "entry %" PRIu64 ": name cannot be decoded",
			                 w->entries);
		if (write_entry(w, in, e, name, archive_entry_hardlink(e), err) < 0) {
			prefix_entry(err, name);
			return -1;
		}
	}
}

static void add_stats(struct unpack_stats *stats, const struct writer *w)
{
	if (!stats)
		return;
	stats->entries += w->entries;
	stats->bytes += w->bytes;
	stats->devices_skipped += w->devices_skipped;
}

static const struct unpack_hooks no_hooks;

int unpack_archive_hooked(struct archive *in, int root_fd, const struct unpack_limits *lim,
                          const struct unpack_hooks *hooks, struct unpack_stats *stats, struct error *err)
{
	__attribute__((cleanup(writer_release))) struct writer w = {
	        .root_fd = root_fd, .lim = lim, .hooks = hooks ? hooks : &no_hooks};
	int rc = read_entries(&w, in, err);
	if (rc == 0 && w.hooks->finish)
		rc = w.hooks->finish(w.hooks->ctx, root_fd, err);
	if (rc == 0)
		rc = apply_dir_fixups(&w, err);
	add_stats(stats, &w);
	return rc;
}

int unpack_archive(struct archive *in, int root_fd, const struct unpack_limits *lim,
                   struct unpack_stats *stats, struct error *err)
{
	return unpack_archive_hooked(in, root_fd, lim, NULL, stats, err);
}

/* Only the decompressors linked into libarchive: filter_all would also run external programs
 * (lrzip, lzop, grzip) on whatever bytes an archive starts with. */
static struct archive *tar_reader_new(void)
{
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_lzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_compress(a);
	return a;
}

bool unpack_is_tar(const char *path)
{
	__attribute__((cleanup(archive_read_free_p))) struct archive *a = tar_reader_new();
	if (!a || archive_read_open_filename(a, path, 65536) != ARCHIVE_OK)
		return false;
	struct archive_entry *e;
	int r = archive_read_next_header(a, &e);
	return r == ARCHIVE_OK || r == ARCHIVE_WARN || r == ARCHIVE_EOF;
}

int unpack_tar_file(const char *path, int root_fd, const struct unpack_limits *lim,
                    struct unpack_stats *stats, struct error *err)
{
	__attribute__((cleanup(archive_read_free_p))) struct archive *a = tar_reader_new();
	if (!a)
		return error_set(err, ENOMEM, "out of memory");
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		archive_failure(err, a, "open");
	} else if (unpack_archive(a, root_fd, lim, stats, err) == 0) {
		return 0;
	}
	error_prefix(err, "unpack %s", path);
	return -1;
}

static void disk_free_p(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static void resolver_free_p(struct archive_entry_linkresolver **r)
{
	if (*r)
		archive_entry_linkresolver_free(*r);
}

static void entry_free_p(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

/* The walker names entries src_dir + "/...", with src_dir's trailing slashes dropped; the
 * image path is what follows. */
static const char *relative_name(const char *name, const char *src_dir)
{
	size_t n = strlen(src_dir);
	while (n > 0 && src_dir[n - 1] == '/')
		n--;
	if (strncmp(name, src_dir, n) != 0)
		return NULL;
	return name[n] ? name + n : ".";
}

static int copy_entries(struct writer *w, struct archive *disk, const char *src_dir, struct error *err)
{
	__attribute__((cleanup(resolver_free_p))) struct archive_entry_linkresolver *links =
	        archive_entry_linkresolver_new();
	__attribute__((cleanup(entry_free_p))) struct archive_entry *entry = archive_entry_new();
	if (!links || !entry)
		return error_set(err, ENOMEM, "out of memory");
	/* The tar strategy: the first name of an inode carries the data, later ones link to it. */
	archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	for (;;) {
		archive_entry_clear(entry);
		int r = archive_read_next_header2(disk, entry);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return archive_failure(err, disk, "read");
		if (archive_read_disk_can_descend(disk) && archive_read_disk_descend(disk) != ARCHIVE_OK)
			return archive_failure(err, disk, "descend");
		if (count_entry(w, err) < 0)
			return -1;
		const char *full = archive_entry_pathname(entry);
		const char *name = full ? relative_name(full, src_dir) : NULL;
		if (!name)
			return error_set(err, EINVAL, "%s: outside the tree being copied",
			                 full ? full : "(unnamed)");
		struct archive_entry *e = entry, *spare = NULL;
		archive_entry_linkify(links, &e, &spare);
		if (!e)
			continue;
		const char *link = archive_entry_hardlink(e);
		const char *link_name = NULL;
		if (link && !(link_name = relative_name(link, src_dir)))
			return error_set(err, EINVAL, "%s: hard link outside the tree being copied", full);
		if (write_entry(w, disk, e, name, link_name, err) < 0) {
			prefix_entry(err, name);
			return -1;
		}
	}
}

int unpack_copy_tree(const char *src_dir, int root_fd, const struct unpack_limits *lim,
                     struct unpack_stats *stats, struct error *err)
{
	__attribute__((cleanup(disk_free_p))) struct archive *disk = archive_read_disk_new();
	if (!disk)
		return error_set(err, ENOMEM, "out of memory");
	/* Hybrid: the directory the user names may be a symlink; nothing below it is followed.
	 * No atime restore: the source is only ever read. */
	archive_read_disk_set_symlink_hybrid(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
	                                             ARCHIVE_READDISK_NO_FFLAGS);
	__attribute__((cleanup(writer_release))) struct writer w = {
	        .root_fd = root_fd, .lim = lim, .hooks = &no_hooks};
	int rc;
	if (archive_read_disk_open(disk, src_dir) != ARCHIVE_OK)
		rc = archive_failure(err, disk, "open");
	else
		rc = copy_entries(&w, disk, src_dir, err);
	if (rc == 0)
		rc = apply_dir_fixups(&w, err);
	add_stats(stats, &w);
	if (rc < 0)
		error_prefix(err, "copy %s", src_dir);
	return rc;
}
