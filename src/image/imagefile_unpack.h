/* The fallback where FUSE is unusable: an image file unpacked once into the cache, as a layer
 * dir (owners the user cannot set recorded in user.rootlesscontainers), reused by later starts.
 * Not the reading (imagefile.c) nor the choice of when to fall back (runtime/source.c). */
#pragma once

#include <stdbool.h>

#include "util/error.h"

struct store_gc_result;

/* The unpacked tree of the image file at path: CACHE/imagefiles/KEY/tree, KEY naming the file's
 * identity (device, inode, size, modification time), KEY/source its path; made under a
 * temporary name and renamed into place when complete. *dir is malloc'd; *lock_fd holds KEY
 * locked shared (flock) so gc leaves the tree alone: keep it open while the tree is in use. */
int imagefile_unpack_cached(const char *path, const char *cache, char **dir, int *lock_fd, struct error *err);

/* gc of CACHE/imagefiles: trees whose source file is gone or changed (its key differs) and
 * temporaries of interrupted unpacks, none that a start or an unpack holds locked. Adds what it
 * removes (or would, dry_run) to res. */
int imagefile_unpack_gc(const char *cache, bool dry_run, struct store_gc_result *res, struct error *err);
