/* burrow's own FUSE server for an image file: libfuse3's low-level API, served by a pool of
 * threads in the start's parent process over a /dev/fuse fd the child mounted. Not the mount
 * (imagefile_mount.c) nor the squashfs decoding (image/imagefile.c). */
#pragma once

#include <stdbool.h>

#include "image/imagefile.h"
#include "runtime/idmap.h"
#include "runtime/prefetch.h"
#include "util/error.h"

struct fuse_server;

/* How owners show inside: an image owner the namespace maps is shown as it is; any other
 * becomes the user's own id there (self), as the files of layer dirs are the user's. */
struct fuse_server_owners {
	struct idmap uids, gids;
	uint32_t self_uid, self_gid;
};

/* Serve img (kept open by the caller until fuse_server_stop) on the mounted connection
 * fuse_fd, which the server owns from then on; files that look worth it go to prefetch (the
 * caller's, may be NULL) to be decoded ahead. The loop runs in its own threads; the calling
 * thread returns at once. Signals blocked in the caller stay blocked in the workers. */
int fuse_server_start(struct imagefile *img, struct prefetcher *prefetch, int fuse_fd,
                      const struct fuse_server_owners *owners, struct fuse_server **out, struct error *err);
/* End the server: its threads leave when the kernel ends the connection (the mount's namespace
 * is gone). False when they are still serving a moment later (a process of the container
 * outlived the program): the server and its image then stay until the process exits. */
bool fuse_server_stop(struct fuse_server *srv);
