/* The hardened unpacker: reads entries with libarchive and writes them itself, every path
 * resolved relative to a root directory fd. Used by create (tar, directory copy) and image layers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct archive;

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
