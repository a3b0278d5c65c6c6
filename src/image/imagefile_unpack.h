/* The fallback where FUSE is unusable: an image file unpacked once into the cache, as a layer
 * dir (owners the user cannot set recorded in user.rootlesscontainers), reused by later starts.
 * Not the reading (imagefile.c) nor the choice of when to fall back (runtime/source.c). */
#pragma once

#include "util/error.h"

/* The unpacked tree of the image file at path: CACHE/imagefiles/KEY, KEY naming the file's
 * identity (device, inode, size, modification time), made under a temporary name and renamed
 * into place when complete. *dir is malloc'd. */
int imagefile_unpack_cached(const char *path, const char *cache, char **dir, struct error *err);
