/* The hardened unpacker: reads entries with libarchive and writes them itself, every path
 * resolved relative to a root directory fd. Used by create (tar, directory copy) and image layers
 * (unpack_layer, in layer.c). Not the stacking of layers into a root filesystem. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct archive;
struct archive_entry;

/* Caps against hostile input (decompression bombs, entry floods, absurd paths). */
struct unpack_limits {
	uint64_t max_entries; /* default 10 million, BURROW_UNPACK_MAX_ENTRIES */
	uint64_t max_bytes;   /* total file data, default 1 TiB, BURROW_UNPACK_MAX_BYTES */
	size_t max_path;      /* bytes in one entry path, default 4096 */
};

struct unpack_stats {
	uint64_t entries;
	uint64_t bytes;
	uint64_t devices_skipped; /* device nodes cannot be created unprivileged: skipped, counted */
	uint64_t whiteouts;       /* layers only: ".wh." entries turned into whiteouts or opaque marks */
};

/* Defaults, overridden by the BURROW_UNPACK_* environment variables when set. */
void unpack_limits_default(struct unpack_limits *lim);

/* Normalise an entry path: strips leading "/" and "./", collapses "//" and "/./".
 * Fails (-1) on a ".." component (errno EPERM), an empty name (EINVAL), or a result longer
 * than max_path (ENAMETOOLONG). out must hold strlen(in) + 1 bytes.
 * A result of "." means the root itself ("/", "./"). */
int unpack_clean_path(const char *in, char *out, size_t max_path);

/* Write every entry of an open libarchive reader below root_fd.
 * Nothing is ever created outside root_fd; stats may be NULL. */
int unpack_archive(struct archive *in, int root_fd, const struct unpack_limits *lim,
                   struct unpack_stats *stats, struct error *err);

/* How image layers extend the writer (layer.c). ctx is passed back; any hook may be NULL. */
struct unpack_hooks {
	void *ctx;
	/* Sees each entry's cleaned path (as unpack_clean_path gives it) before anything is written
	 * for it: returns 1 when it took the entry, 0 to have it written as usual, -1 with err. */
	int (*entry)(void *ctx, int root_fd, const char *path, struct archive_entry *e, struct error *err);
	/* A regular file or a directory was just written: fd is open on it (writable for a file)
	 * and its final mode is not applied yet. Not called for hard links, symlinks or FIFOs. */
	int (*written)(void *ctx, int fd, struct archive_entry *e, struct error *err);
	/* After the last entry, before directories get their final modes and times. */
	int (*finish)(void *ctx, int root_fd, struct error *err);
};

/* unpack_archive with hooks (NULL: none). */
int unpack_archive_hooked(struct archive *in, int root_fd, const struct unpack_limits *lim,
                          const struct unpack_hooks *hooks, struct unpack_stats *stats, struct error *err);

/* True when path is a file libarchive reads as a tar (any compression); a tar without
 * entries counts, a text file does not. */
bool unpack_is_tar(const char *path);

/* Unpack a tar file (plain, gzip, zstd, xz, bzip2) below root_fd. */
int unpack_tar_file(const char *path, int root_fd, const struct unpack_limits *lim,
                    struct unpack_stats *stats, struct error *err);

/* Copy a host directory tree below root_fd through the same writer (hardlinks, symlinks,
 * modes, times kept; symlinks in the source are copied, never followed). */
int unpack_copy_tree(const char *src_dir, int root_fd, const struct unpack_limits *lim,
                     struct unpack_stats *stats, struct error *err);

/* ---- OCI image layers (layer.c) ---- */

/* Unpack one OCI layer into layer_fd, an empty directory that will serve as an overlayfs lower
 * dir (mounted with "userxattr"):
 * - ".wh.NAME" becomes a whiteout, a 0/0 character device NAME, unless this layer has its own
 *   NAME (the image spec: whiteouts apply to lower layers only); a directory of this layer
 *   that is also whited out is made opaque instead, so the lower one stays hidden.
 * - ".wh..wh..opq" makes its directory opaque: xattr user.overlay.opaque = "y".
 *   Other ".wh..wh." names are AUFS metadata and are skipped with whatever lies below them.
 * - Everything is owned by the caller; a header owner other than 0:0 is recorded in the xattr
 *   user.rootlesscontainers (layer_owner_encode) on files and directories. Linux refuses user.*
 *   xattrs on symlinks and FIFOs, so theirs is not recorded.
 *   A hard link shares its first name's inode, and so its record.
 * - Device nodes are skipped and counted. Xattrs stored in the tar are never restored, so a
 *   layer cannot plant user.overlay.* (redirects, metacopy) or a false owner record.
 * Whiteout paths resolve inside layer_fd like any entry; nothing outside it is made or removed.
 * Fails (ENOTEMPTY) when layer_fd is not empty; after any failure the caller removes it. */
int unpack_layer(struct archive *in, int layer_fd, const struct unpack_limits *lim,
                 struct unpack_stats *stats, struct error *err);

/* Read a layer stream from fd (a pipe or a file): plain tar, gzip or zstd, told apart by its
 * first bytes. Reads up to the tar's end marker; fd stays open and is the caller's. */
int unpack_layer_fd(int fd, int layer_fd, const struct unpack_limits *lim, struct unpack_stats *stats,
                    struct error *err);

/* The user.rootlesscontainers value for a header owner, as umoci writes it: a protobuf message
 * Resource { uint32 uid = 1; uint32 gid = 2; } where a 0 id is written as 4294967295 ("no-op":
 * the owner the file already has, root inside the container). Returns its length, 0 when no
 * xattr is needed (both ids no-op). */
#define LAYER_OWNER_MAX 12
size_t layer_owner_encode(uint32_t uid, uint32_t gid, uint8_t out[LAYER_OWNER_MAX]);
