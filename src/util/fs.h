/* File helpers: safe resolution inside a root directory fd, recursive removal,
 * whole-file reads and atomic writes. Host paths here are trusted; image paths go through *_in_root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* openat2(root_fd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): symlinks and ".." in an
 * image path stay inside root_fd. Returns an fd, or -1 with errno set. */
int fs_open_in_root(int root_fd, const char *path, int flags, mode_t mode);

/* Create every missing directory of path (relative to root_fd, resolved inside it).
 * Returns an O_PATH|O_DIRECTORY fd of the last one, or -1 with err. */
int fs_mkdir_p_in_root(int root_fd, const char *path, mode_t mode, struct error *err);

/* mkdir -p for a trusted host path. */
int fs_mkdir_p(const char *path, mode_t mode, struct error *err);

/* Remove name (file or whole tree) under dirfd without following symlinks; directories the
 * owner cannot write are made writable first. Missing name is not an error. */
int fs_remove_tree_at(int dirfd, const char *name, struct error *err);

/* Read at most max bytes of a regular file (relative to dirfd, resolved inside it when
 * in_root). Returns a NUL-terminated buffer (len set when non-NULL), or NULL with err;
 * err->code == ENOENT when the file does not exist. */
char *fs_read_file_at(int dirfd, const char *path, bool in_root, size_t max, size_t *len, struct error *err);

/* write(2) until all of buf is written (EINTR retried); -1 with errno set otherwise. */
int fs_write_all(int fd, const void *buf, size_t len);
/* pread(2) until all of buf is read from offset (EINTR retried); -1 with errno set otherwise
 * (EIO at the end of the file). */
int fs_pread_all(int fd, void *buf, size_t len, uint64_t offset);

/* Write data to path through a temporary file in the same directory, then rename. */
int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct error *err);

/* True when path is an existing directory / regular file (follows symlinks; host paths). */
bool fs_is_dir(const char *path);
bool fs_is_file(const char *path);
