/* The image store: verified blobs in an OCI image layout, image names in its index.json, and
 * unpacked layer dirs. Not for fetching (registry) or unpacking (unpack.c): only where bytes land. */
#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define REF_NAME_KEY     "org.opencontainers.image.ref.name"
#define INDEX_PATH       STORE_INDEX_PATH
#define LAYOUT_PATH      "oci/oci-layout"
#define BLOBS_DIR        STORE_BLOBS_DIR
#define LAYERS_DIR       STORE_LAYERS_DIR
#define INDEX_LOCK       STORE_INDEX_LOCK
#define INDEX_MAX        (64u << 20)
#define IMAGE_NAME_MAX   1024
#define HEX_PREFIX_MIN   12
#define COPY_BUFFER_SIZE (1u << 20)

static const char LAYOUT_JSON[] = "{\"imageLayoutVersion\":\"1.0.0\"}\n";
static const char EMPTY_INDEX_JSON[] = "{\"schemaVersion\":2,\"manifests\":[]}\n";

struct blob_writer {
	struct store *st;
	char digest[DIGEST_STRING_LEN + 1];
	char lock_name[PATH_MAX];
	char partial_name[PATH_MAX];
	int64_t size;
	uint64_t offset;
	int lock_fd;
	int fd;
	struct digest_ctx *ctx;
};

struct layer_writer {
	struct store *st;
	char hex[DIGEST_HEX_LEN + 1];
	char lock_name[PATH_MAX];
	char tmp_name[PATH_MAX];
	int lock_fd;
};

/* Copy at most 100 bytes of untrusted text for a message, with anything unprintable as '?', so
 * an error stays one line. */
static const char *printable(const char *text, char out[104])
{
	size_t i = 0;
	for (; text && text[i] && i < 100; i++)
		out[i] = text[i] > 0x20 && text[i] < 0x7f ? text[i] : '?';
	strcpy(out + i, text && text[i] ? "..." : "");
	return out;
}

/* Refuse a digest before it reaches any path: it comes from manifests and users. */
static int check_digest(const char *digest, const char *what, struct error *err)
{
	if (digest_valid(digest))
		return 0;
	char shown[104];
	return error_set(err, EINVAL,
	                 "%s: invalid digest \"%s\" (expected sha256: and 64 lowercase hex digits)", what,
	                 digest ? printable(digest, shown) : "(null)");
}

/* --- locks: flock on files under locks/ --- */

/* Take an exclusive lock on name under dirfd (see store_internal.h). A lock file may be
 * unlinked by its holder on release (lock_drop with remove), so after waiting we check that the
 * file we locked is still the one at name; otherwise two processes could hold "the" lock on
 * different inodes. */
static int lock_file(int dirfd, const char *name, int operation, struct error *err)
{
	for (;;) {
		cleanup_close int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			return error_errno(err, "lock %s", name);
		while (flock(fd, operation) < 0)
			if (errno != EINTR)
				return errno == EWOULDBLOCK
				               ? error_set(err, EWOULDBLOCK, "%s is locked", name)
				               : error_errno(err, "lock %s", name);
		struct stat held, now;
		if (fstat(fd, &held) < 0)
			return error_errno(err, "lock %s", name);
		if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return error_errno(err, "lock %s", name);
		}
		if (held.st_dev == now.st_dev && held.st_ino == now.st_ino)
			return steal_fd(&fd);
	}
}

int store_lock_take(int dirfd, const char *name, bool wait, struct error *err)
{
	return lock_file(dirfd, name, LOCK_EX | (wait ? 0 : LOCK_NB), err);
}

void store_lock_drop(int dirfd, const char *name, int fd, bool remove)
{
	if (fd < 0)
		return;
	if (remove)
		(void)unlinkat(dirfd, name, 0);
	close(fd);
}

static int lock_take(int dirfd, const char *name, struct error *err)
{
	return store_lock_take(dirfd, name, true, err);
}

static void lock_drop(int dirfd, const char *name, int fd, bool remove)
{
	store_lock_drop(dirfd, name, fd, remove);
}

/* The store-wide lock is never unlinked, so a plain flock on it is enough. */
int store_lock(struct store *st, bool exclusive, bool wait, struct error *err)
{
	cleanup_close int fd =
	        openat(st->fd, STORE_WIDE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(err, "image store %s: lock %s", st->path, STORE_WIDE_LOCK);
	int operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
	while (flock(fd, operation) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return error_set(err, EWOULDBLOCK, "image store %s is in use by another burrow",
			                 st->path);
		return error_errno(err, "image store %s: lock %s", st->path, STORE_WIDE_LOCK);
	}
	return steal_fd(&fd);
}

void store_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}

/* --- files relative to the store --- */

static bool exists_at(int dirfd, const char *path, mode_t type)
{
	struct stat sb;
	return fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0 && (sb.st_mode & S_IFMT) == type;
}

/* A rename is durable only once the directory holding the new name is synced. */
static int sync_dir_at(int dirfd, const char *path, struct error *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return error_errno(err, "sync %s", path);
	return 0;
}

static int write_store_file(const struct store *st, const char *rel, const char *data, size_t len,
                            struct error *err)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", st->path, rel) >= (int)sizeof(path))
		return error_set(err, ENAMETOOLONG, "%s/%s: path too long", st->path, rel);
	if (fs_write_file_atomic(path, data, len, 0644, err) < 0)
		return -1;
	return sync_dir_at(st->fd, "oci", err);
}

/* --- opening --- */

static int check_layout_file(const struct store *st, struct error *err)
{
	cleanup_free char *text = fs_read_file_at(st->fd, LAYOUT_PATH, false, 65536, NULL, err);
	if (!text)
		return -1;
	json_t *root = json_loads(text, 0, NULL);
	const char *version = json_string_value(json_object_get(root, "imageLayoutVersion"));
	int rc = 0;
	if (!version || strcmp(version, "1.0.0") != 0)
		rc = error_set(err, EINVAL, "%s/%s: not an OCI image layout of version 1.0.0; move it aside",
		               st->path, LAYOUT_PATH);
	json_decref(root);
	return rc;
}

/* Create oci-layout and index.json when missing, under the index lock: a process that opens a
 * fresh store must never replace an index another process has meanwhile written names into. */
static int create_layout_files(const struct store *st, struct error *err)
{
	if (exists_at(st->fd, LAYOUT_PATH, S_IFREG) && exists_at(st->fd, INDEX_PATH, S_IFREG))
		return check_layout_file(st, err);
	int lock = lock_take(st->fd, INDEX_LOCK, err);
	if (lock < 0)
		return -1;
	int rc = 0;
	if (!exists_at(st->fd, LAYOUT_PATH, S_IFREG))
		rc = write_store_file(st, LAYOUT_PATH, LAYOUT_JSON, sizeof(LAYOUT_JSON) - 1, err);
	if (rc == 0 && !exists_at(st->fd, INDEX_PATH, S_IFREG))
		rc = write_store_file(st, INDEX_PATH, EMPTY_INDEX_JSON, sizeof(EMPTY_INDEX_JSON) - 1, err);
	lock_drop(st->fd, INDEX_LOCK, lock, false);
	return rc == 0 ? check_layout_file(st, err) : -1;
}

int store_open(const char *path, struct store *st, struct error *err)
{
	static const char *const dirs[] = {"oci",      "oci/blobs", BLOBS_DIR, "layers",
	                                   LAYERS_DIR, "tmp",       "locks"};
	st->path = NULL;
	st->fd = -1;
	if (fs_mkdir_p(path, 0755, err) < 0) {
		error_prefix(err, "image store");
		return -1;
	}
	cleanup_free char *abs = realpath(path, NULL);
	if (!abs)
		return error_errno(err, "image store %s", path);
	cleanup_close int fd = open(abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, "image store %s", abs);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdirat(fd, dirs[i], 0755) < 0 && errno != EEXIST)
			return error_errno(err, "image store %s: mkdir %s", abs, dirs[i]);
	struct store opened = {.path = abs, .fd = fd};
	if (create_layout_files(&opened, err) < 0) {
		error_prefix(err, "image store %s", abs);
		return -1;
	}
	st->path = steal_pointer(&abs);
	st->fd = steal_fd(&fd);
	return 0;
}

void store_close(struct store *st)
{
	if (!st->path)
		return; /* never opened, or closed already */
	free(st->path);
	st->path = NULL;
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

/* --- blobs --- */

static void blob_rel(const char *digest, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, BLOBS_DIR "/%s", digest_hex(digest));
}

bool store_has_blob(const struct store *st, const char *digest)
{
	if (!digest_valid(digest))
		return false;
	char rel[PATH_MAX];
	blob_rel(digest, rel);
	return exists_at(st->fd, rel, S_IFREG);
}

int store_open_blob(const struct store *st, const char *digest, struct error *err)
{
	if (check_digest(digest, "blob", err) < 0)
		return -1;
	char rel[PATH_MAX];
	blob_rel(digest, rel);
	int fd = openat(st->fd, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return error_set(err, ENOENT, "blob %s: not in the store", digest);
	if (fd < 0)
		return error_errno(err, "blob %s", digest);
	return fd;
}

char *store_read_blob(const struct store *st, const char *digest, size_t max, size_t *len, struct error *err)
{
	if (check_digest(digest, "blob", err) < 0)
		return NULL;
	char rel[PATH_MAX];
	blob_rel(digest, rel);
	size_t n = 0;
	cleanup_free char *buf = fs_read_file_at(st->fd, rel, false, max, &n, err);
	if (!buf) {
		if (err->code == ENOENT)
			error_set(err, ENOENT, "blob %s: not in the store", digest);
		else
			error_prefix(err, "blob %s", digest);
		return NULL;
	}
	if (n > max) { /* fs_read_file_at reads whole pages before it checks max */
		error_set(err, EFBIG, "blob %s: larger than %zu bytes", digest, max);
		return NULL;
	}
	char actual[DIGEST_STRING_LEN + 1];
	digest_buffer(buf, n, actual);
	if (strcmp(actual, digest) != 0) {
		error_set(err, EBADMSG, "blob %s: stored content has digest %s; remove %s/%s and pull again",
		          digest, actual, st->path, rel);
		return NULL;
	}
	if (len)
		*len = n;
	return steal_pointer(&buf);
}

static void blob_writer_free(struct blob_writer *w, bool remove_partial)
{
	if (w->fd >= 0)
		close(w->fd);
	if (remove_partial)
		(void)unlinkat(w->st->fd, w->partial_name, 0);
	lock_drop(w->st->fd, w->lock_name, w->lock_fd, true);
	digest_free(w->ctx);
	free(w);
}

int blob_writer_truncate(struct blob_writer *w, struct error *err)
{
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return error_errno(err, "blob %s: truncate %s", w->digest, w->partial_name);
	char discard[DIGEST_STRING_LEN + 1];
	digest_final(w->ctx, discard); /* resets the hash */
	w->offset = 0;
	return 0;
}

/* Re-hash what an earlier, interrupted writer left, so the download continues after it. */
static int resume_partial(struct blob_writer *w, struct error *err)
{
	cleanup_free char *buf = malloc(COPY_BUFFER_SIZE);
	if (!buf)
		return error_set(err, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(w->fd, buf, COPY_BUFFER_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(err, "blob %s: read %s", w->digest, w->partial_name);
		if (n == 0)
			break;
		digest_update(w->ctx, buf, (size_t)n);
		w->offset += (uint64_t)n;
	}
	/* Longer than the blob can be: not a prefix of it, start over. */
	if (w->size >= 0 && w->offset > (uint64_t)w->size)
		return blob_writer_truncate(w, err);
	return 0;
}

int store_blob_begin(struct store *st, const char *digest, int64_t size, struct blob_writer **w, bool *exists,
                     struct error *err)
{
	*w = NULL;
	*exists = false;
	if (check_digest(digest, "blob", err) < 0)
		return -1;
	if (size < -1)
		return error_set(err, EINVAL, "blob %s: invalid size %" PRId64, digest, size);
	if (store_has_blob(st, digest)) {
		*exists = true;
		return 0;
	}
	struct blob_writer *nw = calloc(1, sizeof(*nw));
	if (!nw)
		return error_set(err, ENOMEM, "out of memory");
	nw->st = st;
	nw->size = size;
	nw->fd = -1;
	strcpy(nw->digest, digest);
	snprintf(nw->lock_name, sizeof(nw->lock_name), "locks/sha256-%s", digest_hex(digest));
	snprintf(nw->partial_name, sizeof(nw->partial_name), "tmp/sha256-%s.partial", digest_hex(digest));
	nw->lock_fd = lock_take(st->fd, nw->lock_name, err);
	if (nw->lock_fd < 0) {
		error_prefix(err, "blob %s", digest);
		blob_writer_free(nw, false);
		return -1;
	}
	if (store_has_blob(st, digest)) { /* another process stored it while we waited */
		blob_writer_free(nw, false);
		*exists = true;
		return 0;
	}
	nw->ctx = digest_new();
	if (!nw->ctx) {
		blob_writer_free(nw, false);
		return error_set(err, ENOMEM, "out of memory");
	}
	nw->fd = openat(st->fd, nw->partial_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (nw->fd < 0) {
		error_errno(err, "blob %s: open %s/%s", digest, st->path, nw->partial_name);
		blob_writer_free(nw, false);
		return -1;
	}
	if (resume_partial(nw, err) < 0) {
		blob_writer_free(nw, false);
		return -1;
	}
	*w = nw;
	return 0;
}

uint64_t blob_writer_offset(const struct blob_writer *w)
{
	return w->offset;
}

int blob_writer_replay(struct blob_writer *w, int (*sink)(void *ctx, const void *buf, size_t len), void *ctx,
                       struct error *err)
{
	cleanup_free char *buf = malloc(COPY_BUFFER_SIZE);
	if (!buf)
		return error_set(err, ENOMEM, "out of memory");
	for (uint64_t done = 0; done < w->offset;) {
		size_t want =
		        w->offset - done < COPY_BUFFER_SIZE ? (size_t)(w->offset - done) : COPY_BUFFER_SIZE;
		ssize_t n = pread(w->fd, buf, want, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(err, "blob %s: read %s/%s", w->digest, w->st->path,
			                   w->partial_name);
		if (n == 0)
			return error_set(err, EIO, "blob %s: %s/%s shrank while in use", w->digest,
			                 w->st->path, w->partial_name);
		if (sink(ctx, buf, (size_t)n) < 0)
			return -1;
		done += (uint64_t)n;
	}
	return 0;
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct error *err)
{
	if (w->size >= 0 && (len > (uint64_t)w->size || w->offset > (uint64_t)w->size - len))
		return error_set(err, EFBIG,
		                 "blob %s: more bytes than the manifest said (%" PRId64
		                 "); the registry sent a different blob",
		                 w->digest, w->size);
	if (fs_write_all(w->fd, buf, len) < 0) {
		error_errno(err, "blob %s: write %s/%s", w->digest, w->st->path, w->partial_name);
		/* Keep file and hash in step so the partial stays resumable. */
		if (ftruncate(w->fd, (off_t)w->offset) < 0 || lseek(w->fd, (off_t)w->offset, SEEK_SET) < 0)
			(void)blob_writer_truncate(w, &(struct error){0});
		return -1;
	}
	digest_update(w->ctx, buf, len);
	w->offset += len;
	return 0;
}

int store_blob_commit(struct blob_writer *w, struct error *err)
{
	char actual[DIGEST_STRING_LEN + 1];
	digest_final(w->ctx, actual);
	if (w->size >= 0 && w->offset != (uint64_t)w->size) {
		error_set(err, EBADMSG, "blob %s: got %" PRIu64 " bytes, the manifest said %" PRId64,
		          w->digest, w->offset, w->size);
		blob_writer_free(w, true);
		return -1;
	}
	if (strcmp(actual, w->digest) != 0) {
		error_set(err, EBADMSG, "blob %s: content has digest %s, expected %s; nothing was stored",
		          w->digest, actual, w->digest);
		blob_writer_free(w, true);
		return -1;
	}
	char rel[PATH_MAX];
	blob_rel(w->digest, rel);
	/* Read-only after the rename: a partial must stay writable for the next begin. */
	if (fsync(w->fd) < 0 || renameat(w->st->fd, w->partial_name, w->st->fd, rel) < 0 ||
	    fchmod(w->fd, 0444) < 0) {
		error_errno(err, "blob %s: store %s/%s", w->digest, w->st->path, rel);
		blob_writer_free(w, false);
		return -1;
	}
	int rc = sync_dir_at(w->st->fd, BLOBS_DIR, err);
	blob_writer_free(w, false);
	return rc;
}

void store_blob_abort(struct blob_writer *w, bool keep)
{
	if (w)
		blob_writer_free(w, !keep);
}

int store_put_blob(struct store *st, const char *digest, const void *buf, size_t len, struct error *err)
{
	struct blob_writer *w;
	bool exists;
	if (check_digest(digest, "blob", err) < 0)
		return -1;
	if (len > INT64_MAX)
		return error_set(err, EFBIG, "blob %s: too large", digest);
	if (store_blob_begin(st, digest, (int64_t)len, &w, &exists, err) < 0)
		return -1;
	if (exists)
		return 0;
	if (blob_writer_truncate(w, err) < 0 || blob_writer_write(w, buf, len, err) < 0) {
		store_blob_abort(w, false);
		return -1;
	}
	return store_blob_commit(w, err);
}

/* --- images: index.json --- */

/* The full canonical name is the ref.name: the OCI grammar (components of [A-Za-z0-9] joined by
 * "-._:@+" and "/") allows it, and skopeo's oci:DIR:REF splits at the first ':' only. */
static int check_image_name(const char *name, struct error *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0)
		return error_set(err, EINVAL, "image name is empty");
	if (n > IMAGE_NAME_MAX) {
		char shown[104];
		return error_set(err, ENAMETOOLONG, "image name \"%s\": longer than %d bytes",
		                 printable(name, shown), IMAGE_NAME_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._:@+/", c))
			continue;
		return error_set(
		        err, EINVAL,
		        "image name \"%.*s\": byte %zu (0x%02x) is not allowed; use letters, digits and "
		        "-._:@+/ only",
		        (int)(i < 100 ? i : 100), name, i + 1, (unsigned char)c);
	}
	return 0;
}

json_t *store_index_load(const struct store *st, struct error *err)
{
	cleanup_free char *text = fs_read_file_at(st->fd, INDEX_PATH, false, INDEX_MAX, NULL, err);
	if (!text) {
		error_prefix(err, "image store %s", st->path);
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	if (!root) {
		error_set(err, EINVAL, "%s/%s: line %d: %s; fix or remove the file", st->path, INDEX_PATH,
		          jerr.line, jerr.text);
		return NULL;
	}
	json_t *list = json_object_get(root, "manifests");
	if (!json_is_object(root) || (list && !json_is_array(list))) {
		json_decref(root);
		error_set(err, EINVAL, "%s/%s: not an OCI image index; fix or remove the file", st->path,
		          INDEX_PATH);
		return NULL;
	}
	if (!list && json_object_set_new(root, "manifests", json_array()) < 0) {
		json_decref(root);
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	return root;
}

static int index_save(const struct store *st, json_t *root, struct error *err)
{
	cleanup_free char *text = json_dumps(root, JSON_INDENT(1));
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	size_t len = strlen(text);
	text[len] = '\n'; /* replaces the NUL: written by length */
	return write_store_file(st, INDEX_PATH, text, len + 1, err);
}

static const char *entry_name(json_t *entry)
{
	return json_string_value(json_object_get(json_object_get(entry, "annotations"), REF_NAME_KEY));
}

/* Fill img from an index entry; false for entries that are not usable images (no name, or a
 * descriptor another tool wrote that would not pass our checks). */
static bool entry_image(json_t *entry, struct store_image *img)
{
	const char *name = entry_name(entry);
	const char *digest = json_string_value(json_object_get(entry, "digest"));
	const char *media_type = json_string_value(json_object_get(entry, "mediaType"));
	json_t *size = json_object_get(entry, "size");
	if (!name || !digest_valid(digest) || !media_type || !json_is_integer(size) ||
	    json_integer_value(size) < 0)
		return false;
	img->name = (char *)name;
	img->manifest.digest = (char *)digest;
	img->manifest.media_type = (char *)media_type;
	img->manifest.size = json_integer_value(size);
	return true;
}

static int image_copy(const struct store_image *src, struct store_image *out, struct error *err)
{
	out->name = strdup(src->name);
	out->manifest.digest = strdup(src->manifest.digest);
	out->manifest.media_type = strdup(src->manifest.media_type);
	out->manifest.size = src->manifest.size;
	if (!out->name || !out->manifest.digest || !out->manifest.media_type) {
		store_image_free(out);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Rewrite index.json under its lock with every entry named name removed, then (when manifest is
 * set) a new entry appended. Entries and fields we do not know are kept as they were. */
static int index_update(struct store *st, const char *name, const struct store_descriptor *manifest,
                        bool *removed, struct error *err)
{
	int lock = lock_take(st->fd, INDEX_LOCK, err);
	if (lock < 0)
		return -1;
	int rc = -1;
	json_t *root = store_index_load(st, err);
	if (!root)
		goto out;
	json_t *list = json_object_get(root, "manifests");
	*removed = false;
	for (size_t i = json_array_size(list); i-- > 0;) {
		const char *n = entry_name(json_array_get(list, i));
		if (n && strcmp(n, name) == 0) {
			json_array_remove(list, i);
			*removed = true;
		}
	}
	if (manifest) {
		json_t *entry = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", manifest->media_type,
		                          "digest", manifest->digest, "size", (json_int_t)manifest->size,
		                          "annotations", REF_NAME_KEY, name);
		if (!entry || json_array_append_new(list, entry) < 0) {
			error_set(err, ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = index_save(st, root, err);
out:
	json_decref(root);
	lock_drop(st->fd, INDEX_LOCK, lock, false);
	return rc;
}

int store_tag(struct store *st, const char *name, const struct store_descriptor *manifest, struct error *err)
{
	if (check_image_name(name, err) < 0 || check_digest(manifest->digest, "manifest", err) < 0)
		return -1;
	if (!manifest->media_type || !*manifest->media_type || manifest->size < 0)
		return error_set(err, EINVAL, "tag %s: manifest %s needs a media type and a size", name,
		                 manifest->digest);
	if (!store_has_blob(st, manifest->digest))
		return error_set(err, ENOENT, "tag %s: manifest %s is not in the store; store it first", name,
		                 manifest->digest);
	/* A re-pull of an unchanged image leaves index.json as it was. */
	struct store_image current = {0};
	struct error ignored;
	bool unchanged = store_lookup(st, name, &current, &ignored) == 0 && strcmp(current.name, name) == 0 &&
	                 strcmp(current.manifest.digest, manifest->digest) == 0;
	store_image_free(&current);
	if (unchanged)
		return 0;
	bool removed;
	if (index_update(st, name, manifest, &removed, err) < 0) {
		error_prefix(err, "tag %s", name);
		return -1;
	}
	return 0;
}

int store_untag(struct store *st, const char *name, struct error *err)
{
	if (!name || !*name)
		return error_set(err, EINVAL, "image name is empty");
	char shown[104];
	bool removed;
	if (index_update(st, name, NULL, &removed, err) < 0) {
		error_prefix(err, "untag %s", printable(name, shown));
		return -1;
	}
	if (!removed)
		return error_set(err, ENOENT, "image %s: not in the store", printable(name, shown));
	return 0;
}

static bool is_hex_prefix(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return s[n] == '\0' && n >= HEX_PREFIX_MIN && n <= DIGEST_HEX_LEN;
}

static int image_by_name(const void *a, const void *b)
{
	const struct store_image *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* The named images of an index, borrowed from root (valid while root lives), sorted by name. */
static struct store_image *index_images(json_t *root, size_t *n, struct error *err)
{
	json_t *list = json_object_get(root, "manifests");
	struct store_image *images = calloc(json_array_size(list) + 1, sizeof(*images));
	if (!images) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	*n = 0;
	for (size_t i = 0; i < json_array_size(list); i++)
		if (entry_image(json_array_get(list, i), &images[*n]))
			(*n)++;
	qsort(images, *n, sizeof(*images), image_by_name);
	return images;
}

static int lookup_prefix(const char *query, const char *hex, const struct store_image *images, size_t n,
                         struct store_image *out, struct error *err)
{
	size_t len = strlen(hex);
	const struct store_image *found = NULL;
	char candidates[512] = "";
	size_t used = 0;
	bool ambiguous = false;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(digest_hex(images[i].manifest.digest), hex, len) != 0)
			continue;
		if (found && strcmp(found->manifest.digest, images[i].manifest.digest) != 0)
			ambiguous = true;
		if (!found)
			found = &images[i]; /* several names of one manifest: the first by name */
		if (used < sizeof(candidates))
			used += (size_t)snprintf(candidates + used, sizeof(candidates) - used, "%s%s (%s)",
			                         used ? ", " : "", images[i].manifest.digest, images[i].name);
	}
	if (ambiguous)
		return error_set(err, ENOTUNIQ, "image %s: ambiguous, matches %s; give more digits", query,
		                 candidates);
	if (!found)
		return error_set(err, ENOENT, "image %s: not in the store", query);
	return image_copy(found, out, err);
}

int store_lookup(const struct store *st, const char *name_or_digest, struct store_image *out,
                 struct error *err)
{
	memset(out, 0, sizeof(*out));
	if (!name_or_digest || !*name_or_digest)
		return error_set(err, EINVAL, "image name is empty");
	json_t *root = store_index_load(st, err);
	if (!root)
		return -1;
	char shown[104];
	size_t n;
	struct store_image *images = index_images(root, &n, err);
	int rc = -1;
	if (!images)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (strcmp(images[i].name, name_or_digest) == 0) {
			rc = image_copy(&images[i], out, err);
			goto out;
		}
	const char *hex = name_or_digest;
	if (strncmp(hex, "sha256:", 7) == 0)
		hex += 7;
	if (is_hex_prefix(hex))
		rc = lookup_prefix(name_or_digest, hex, images, n, out, err);
	else
		rc = error_set(err, ENOENT, "image %s: not in the store", printable(name_or_digest, shown));
out:
	free(images);
	json_decref(root);
	return rc;
}

int store_list(const struct store *st, struct store_image **images, size_t *n, struct error *err)
{
	*images = NULL;
	*n = 0;
	json_t *root = store_index_load(st, err);
	if (!root)
		return -1;
	size_t count;
	cleanup_free struct store_image *borrowed = index_images(root, &count, err);
	if (!borrowed) {
		json_decref(root);
		return -1;
	}
	struct store_image *copies = calloc(count + 1, sizeof(*copies));
	if (!copies) {
		json_decref(root);
		return error_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < count; i++)
		if (image_copy(&borrowed[i], &copies[i], err) < 0) {
			store_images_free(copies, i);
			json_decref(root);
			return -1;
		}
	json_decref(root);
	*images = copies;
	*n = count;
	return 0;
}

void store_image_free(struct store_image *img)
{
	if (!img)
		return;
	free(img->name);
	free(img->manifest.digest);
	free(img->manifest.media_type);
	memset(img, 0, sizeof(*img));
}

void store_images_free(struct store_image *images, size_t n)
{
	if (!images)
		return;
	for (size_t i = 0; i < n; i++)
		store_image_free(&images[i]);
	free(images);
}

/* --- layer dirs --- */

bool store_has_layer(const struct store *st, const char *diff_id)
{
	if (!digest_valid(diff_id))
		return false;
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), LAYERS_DIR "/%s", digest_hex(diff_id));
	return exists_at(st->fd, rel, S_IFDIR);
}

char *store_layer_path(const struct store *st, const char *diff_id, struct error *err)
{
	if (check_digest(diff_id, "layer", err) < 0)
		return NULL;
	if (!store_has_layer(st, diff_id)) {
		error_set(err, ENOENT, "layer %s: not in the store", diff_id);
		return NULL;
	}
	char *path;
	if (asprintf(&path, "%s/" LAYERS_DIR "/%s", st->path, digest_hex(diff_id)) < 0) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	return path;
}

/* Remove tmp/layer-HEX-* left by a process that died while unpacking this layer. Called with the
 * layer's lock held, so no live process is writing into any of them. */
static int remove_stale_layer_dirs(const struct store *st, const char *hex, struct error *err)
{
	cleanup_close int tmp_fd = openat(st->fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmp_fd < 0)
		return error_errno(err, "open %s/tmp", st->path);
	int scan_fd = fcntl(tmp_fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = scan_fd < 0 ? NULL : fdopendir(scan_fd);
	if (!d) {
		if (scan_fd >= 0)
			close(scan_fd);
		return error_errno(err, "read %s/tmp", st->path);
	}
	char prefix[DIGEST_HEX_LEN + 8];
	snprintf(prefix, sizeof(prefix), "layer-%s-", hex);
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    fs_remove_tree_at(tmp_fd, de->d_name, err) < 0)
			rc = -1;
	closedir(d);
	if (rc < 0)
		error_prefix(err, "remove stale %s/tmp", st->path);
	return rc;
}

static void layer_writer_free(struct layer_writer *w)
{
	lock_drop(w->st->fd, w->lock_name, w->lock_fd, true);
	free(w);
}

int store_layer_begin(struct store *st, const char *diff_id, struct layer_writer **w, int *dir_fd,
                      bool *exists, struct error *err)
{
	*w = NULL;
	*dir_fd = -1;
	*exists = false;
	if (check_digest(diff_id, "layer", err) < 0)
		return -1;
	if (store_has_layer(st, diff_id)) {
		*exists = true;
		return 0;
	}
	struct layer_writer *nw = calloc(1, sizeof(*nw));
	if (!nw)
		return error_set(err, ENOMEM, "out of memory");
	nw->st = st;
	strcpy(nw->hex, digest_hex(diff_id));
	snprintf(nw->lock_name, sizeof(nw->lock_name), "locks/layer-%s", nw->hex);
	nw->lock_fd = lock_take(st->fd, nw->lock_name, err);
	if (nw->lock_fd < 0) {
		error_prefix(err, "layer %s", diff_id);
		layer_writer_free(nw);
		return -1;
	}
	if (store_has_layer(st, diff_id)) { /* another process unpacked it while we waited */
		layer_writer_free(nw);
		*exists = true;
		return 0;
	}
	if (remove_stale_layer_dirs(st, nw->hex, err) < 0) {
		error_prefix(err, "layer %s", diff_id);
		layer_writer_free(nw);
		return -1;
	}
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/tmp/layer-%s-XXXXXX", st->path, nw->hex) >= (int)sizeof(path)) {
		layer_writer_free(nw);
		return error_set(err, ENAMETOOLONG, "layer %s: %s/tmp: path too long", diff_id, st->path);
	}
	if (!mkdtemp(path)) {
		error_errno(err, "layer %s: create a directory in %s/tmp", diff_id, st->path);
		layer_writer_free(nw);
		return -1;
	}
	snprintf(nw->tmp_name, sizeof(nw->tmp_name), "tmp/%s", strrchr(path, '/') + 1);
	/* A real directory fd (not O_PATH), so the unpacker can use it with every *at call. */
	int fd = openat(st->fd, nw->tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755) < 0) {
		error_errno(err, "layer %s: open %s", diff_id, path);
		if (fd >= 0)
			close(fd);
		store_layer_abort(nw);
		return -1;
	}
	*w = nw;
	*dir_fd = fd;
	return 0;
}

int store_layer_commit(struct layer_writer *w, struct error *err)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), LAYERS_DIR "/%s", w->hex);
	if (renameat(w->st->fd, w->tmp_name, w->st->fd, rel) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			error_errno(err, "layer sha256:%s: rename into %s/" LAYERS_DIR, w->hex, w->st->path);
			store_layer_abort(w);
			return -1;
		}
		/* Someone stored it without our lock: theirs is as good as ours. */
		store_layer_abort(w);
		return 0;
	}
	int rc = sync_dir_at(w->st->fd, LAYERS_DIR, err);
	layer_writer_free(w);
	return rc;
}

void store_layer_abort(struct layer_writer *w)
{
	if (!w)
		return;
	struct error ignored;
	(void)fs_remove_tree_at(w->st->fd, w->tmp_name, &ignored);
	layer_writer_free(w);
}
