/* The image store under the cache path (BURROW_CACHE_PATH): blobs in an OCI image layout that
 * skopeo and umoci can read, image names in its index.json, and layers unpacked once into
 * directories keyed by diff_id. Everything lands under a temporary name and is renamed into
 * place; concurrent processes coordinate with flock; a process killed at any point leaves a
 * store the next run completes.
 *
 *   CACHE/oci/oci-layout, CACHE/oci/index.json, CACHE/oci/blobs/sha256/HEX
 *   CACHE/layers/sha256/HEX/     one unpacked layer (HEX of its diff_id), complete or absent
 *   CACHE/tmp/                   partial blobs and layers being unpacked
 *   CACHE/locks/                 flock files, one per blob, layer and the index, and the
 *                                store-wide lock (store_lock) that keeps gc from writers
 *
 * Image names: index.json's "org.opencontainers.image.ref.name" holds the full canonical name
 * ("127.0.0.1:5000/library/busybox:latest", "docker.io/library/alpine@sha256:..."), which the
 * OCI grammar for that annotation allows. skopeo splits oci:DIR:REF at the first ':' and
 * umoci likewise, so `skopeo inspect oci:CACHE/oci:NAME` and `umoci unpack --image
 * CACHE/oci:NAME` find an image by its burrow name (as long as CACHE itself holds no ':').
 * Entries other tools add are kept; those without a name are no images of ours.
 *
 * Durability: blobs and index.json are fsynced before and after their rename. Layer dirs are
 * complete or absent across a killed process (the rename is the commit), but their files are
 * not synced one by one: a caller that wants them to survive power loss calls syncfs(dir_fd)
 * before store_layer_commit. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct store {
	char *path; /* the cache path, absolute */
	int fd;     /* O_PATH|O_DIRECTORY of it */
};

/* A blob as an index or manifest refers to it. */
struct store_descriptor {
	char *media_type;
	char *digest;
	int64_t size;
};

/* Open (creating the layout when missing) the store at path. Safe when several processes open
 * a fresh store at once. Fails on an oci-layout that is not version 1.0.0. On failure st->path
 * is NULL; store_close is safe on a store opened, failed to open or closed already. The store
 * must outlive every writer begun on it. */
int store_open(const char *path, struct store *st, struct error *err);
void store_close(struct store *st);

/* The store-wide lock. A writer that stores blobs and layers before a name points at them (pull)
 * holds it shared from its first write until store_tag, so that gc and fsck --repair, which hold
 * it exclusive, never remove what is about to be named. Returns the lock's fd, for store_unlock;
 * without wait, a lock held the other way fails at once with EWOULDBLOCK. */
int store_lock(struct store *st, bool exclusive, bool wait, struct error *err);
void store_unlock(int lock_fd);

/* --- blobs (digest must pass digest_valid; every function checks it first) --- */

bool store_has_blob(const struct store *st, const char *digest);
/* Read-only fd of a stored blob; err->code ENOENT when it is not stored. */
int store_open_blob(const struct store *st, const char *digest, struct error *err);
/* A small stored blob (a manifest or config) read whole, at most max bytes (EFBIG beyond),
 * NUL-terminated, and checked against its digest again (EBADMSG when the file was altered). */
char *store_read_blob(const struct store *st, const char *digest, size_t max, size_t *len, struct error *err);

/* Writing a blob: bytes are hashed as they arrive and the blob becomes visible only when its
 * digest and size match. The partial file survives a crash: begin continues it (the bytes
 * already there are re-hashed; offset says where to resume, e.g. with an HTTP Range request).
 * begin holds the blob's lock until commit or abort, so a second writer of the same blob waits
 * and then finds it stored (exists set, *w NULL, nothing to write). size is -1 when unknown;
 * when known, a write past it fails at once (EFBIG). */
struct blob_writer;
int store_blob_begin(struct store *st, const char *digest, int64_t size, struct blob_writer **w, bool *exists,
                     struct error *err);
uint64_t blob_writer_offset(const struct blob_writer *w);
/* Restart from zero (a server that ignored the Range request). */
int blob_writer_truncate(struct blob_writer *w, struct error *err);
/* Pass the bytes a resumed partial already holds (0 to blob_writer_offset) to sink, in order, so
 * a consumer of the whole stream (the unpacker) can catch up before the download continues.
 * sink returns 0 to go on, -1 to stop (then this returns -1 and err is the sink's to fill). */
int blob_writer_replay(struct blob_writer *w, int (*sink)(void *ctx, const void *buf, size_t len), void *ctx,
                       struct error *err);
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct error *err);
/* Verify and rename into place (read-only, 0444); frees w. A size or digest mismatch removes
 * the partial file and fails (EBADMSG) naming both digests. */
int store_blob_commit(struct blob_writer *w, struct error *err);
/* Give up, keeping the partial file for a later resume (keep) or removing it; frees w. */
void store_blob_abort(struct blob_writer *w, bool keep);
/* Store a whole buffer (manifests, configs) under its digest, verified the same way. */
int store_put_blob(struct store *st, const char *digest, const void *buf, size_t len, struct error *err);

/* --- images: names in index.json (annotation org.opencontainers.image.ref.name) --- */

struct store_image {
	char *name; /* canonical reference name, see reference_name() */
	struct store_descriptor manifest;
};

/* Point name at a manifest (replacing what it pointed at). The manifest blob must be stored
 * (ENOENT otherwise); a name holds letters, digits and "-._:@+/" only, at most 1024 bytes. */
int store_tag(struct store *st, const char *name, const struct store_descriptor *manifest, struct error *err);
/* Remove a name; err->code ENOENT when there is none. */
int store_untag(struct store *st, const char *name, struct error *err);
/* Find an image by exact name, else by manifest digest ("sha256:HEX", or a hex prefix of 12+
 * digits with or without "sha256:"). A prefix matching several manifests fails with ENOTUNIQ
 * listing them; several names of one manifest give the first by name. Not found: ENOENT. */
int store_lookup(const struct store *st, const char *name_or_digest, struct store_image *out,
                 struct error *err);
/* Every image, sorted by name. */
int store_list(const struct store *st, struct store_image **images, size_t *n, struct error *err);
void store_image_free(struct store_image *img);
void store_images_free(struct store_image *images, size_t n);

/* --- layer dirs, keyed by diff_id (the digest of the uncompressed tar) --- */

bool store_has_layer(const struct store *st, const char *diff_id);
/* Absolute path of a complete layer dir (malloc'd), or NULL with err ENOENT. */
char *store_layer_path(const struct store *st, const char *diff_id, struct error *err);

/* Unpacking a layer: begin takes the layer's lock and gives a fresh empty directory under tmp/
 * (exists set and dir_fd -1 when another process finished it meanwhile); commit renames it
 * into layers/ (succeeding when another copy appeared meanwhile); abort removes it. Both release
 * the lock and free w. dir_fd is a real directory fd (O_RDONLY|O_DIRECTORY, not O_PATH) for
 * unpack_archive's root_fd; it is the caller's to close, before or after commit. Temporaries a
 * killed process left for this layer are removed by the next begin, once it holds the lock. */
struct layer_writer;
int store_layer_begin(struct store *st, const char *diff_id, struct layer_writer **w, int *dir_fd,
                      bool *exists, struct error *err);
int store_layer_commit(struct layer_writer *w, struct error *err);
void store_layer_abort(struct layer_writer *w);
