/* Reading a squashfs image file in place (no unpacking): inodes by reference, directory
 * listings, file data, symlinks and xattrs, for the FUSE server and the fallback unpacker.
 * Not the writer (squashfs.c) nor the FUSE protocol (runtime/fuse_server.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util/error.h"

/* The parts every reader shares, read once and then never changed: the super block, the id
 * table and the fd (read with pread only). Safe to use from many threads. */
struct imagefile;
/* One decoder of an image file (compressor, metadata, data and xattr readers, each with its
 * block cache). libsquashfs's readers keep state, so each thread needs its own cursor. */
struct imagefile_cursor;

/* A decoded inode: its reference (block << 16 | offset in the inode table) and its stat. */
struct imagefile_node {
	uint64_t ref;
	struct stat st;
	void *inode; /* sqfs_inode_generic_t, owned */
};

/* Open the image file fd (kept open by the caller while the image is in use). Checks the super
 * block and reads the id table; a file that is no squashfs image fails with EINVAL. */
int imagefile_open(int fd, struct imagefile **out, struct error *err);
void imagefile_close(struct imagefile *img);
uint64_t imagefile_root_ref(const struct imagefile *img);

struct imagefile_cursor *imagefile_cursor_new(struct imagefile *img, struct error *err);
void imagefile_cursor_free(struct imagefile_cursor *cur);

/* The functions below return 0 (or a count) or a negative errno: EIO for a damaged image,
 * ENOENT, ENOTDIR, ENODATA, ERANGE as a filesystem would. */
int imagefile_node_read(struct imagefile_cursor *cur, uint64_t ref, struct imagefile_node *node);
void imagefile_node_free(struct imagefile_node *node);
/* Find name in directory dir; the entry's node in *out. */
int imagefile_lookup(struct imagefile_cursor *cur, const struct imagefile_node *dir, const char *name,
                     struct imagefile_node *out);
/* The node at path, an absolute path inside the image, following symlinks as the kernel would
 * with the image as the root ("/.." is "/"). */
int imagefile_resolve(struct imagefile_cursor *cur, const char *path, struct imagefile_node *out);
/* Call fn for each entry of dir (name, inode reference, mode's type bits), in order; a
 * non-zero return from fn stops the walk and is returned. */
typedef int (*imagefile_entry_fn)(void *ctx, const char *name, uint64_t ref, mode_t type);
int imagefile_list(struct imagefile_cursor *cur, const struct imagefile_node *dir, imagefile_entry_fn fn,
                   void *ctx);
/* Read up to size bytes of a regular file from offset; the count read (0 at the end). */
long imagefile_read(struct imagefile_cursor *cur, const struct imagefile_node *file, uint64_t offset,
                    void *buf, size_t size);
/* How many data blocks a regular file has (a tail kept in a fragment block not counted). */
size_t imagefile_block_count(const struct imagefile_node *file);
/* Decode block index of file into the shared cache of decoded blocks ahead of its reads, unless
 * it is there or another thread is on it: 1 when done, 0 when there was nothing to do. */
int imagefile_prefetch_block(struct imagefile_cursor *cur, const struct imagefile_node *file, size_t index);
/* How much decoded data the shared cache holds at most. */
size_t imagefile_cache_bytes(const struct imagefile *img);
/* A symlink's target, NUL-terminated, malloc'd in *out. */
int imagefile_readlink(const struct imagefile_node *link, char **out);
/* Call fn for each xattr of node with its full name ("user.x") and value. */
typedef int (*imagefile_xattr_fn)(void *ctx, const char *name, const void *value, size_t size);
int imagefile_xattrs(struct imagefile_cursor *cur, const struct imagefile_node *node, imagefile_xattr_fn fn,
                     void *ctx);
/* Whether any inode of the image can have xattrs (the image has an xattr table). */
bool imagefile_has_xattrs(const struct imagefile *img);
/* Size, block size and inode count, for statfs. */
void imagefile_stats(const struct imagefile *img, uint64_t *bytes, uint32_t *block_size, uint32_t *inodes);

/* The whole file at path inside the image (at most max bytes), malloc'd with a NUL after it; for
 * /.burrow/config.json. err->code ENOENT when the image has no such file. */
char *imagefile_read_path(struct imagefile *img, const char *path, size_t max, size_t *len,
                          struct error *err);
