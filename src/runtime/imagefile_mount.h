/* The child's side of serving an image file over FUSE: a fuse mount made inside the new user and
 * mount namespaces, its connection handed to the parent that serves it. Also the test of
 * whether FUSE is usable at all. Not the server (fuse_server.c). */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/* Why image files cannot be served over FUSE here (BURROW_FUSE=no, or /dev/fuse missing or
 * not readable and writable by the user), as a phrase for messages; NULL when they can. */
const char *imagefile_fuse_unusable(void);
/* "BURROW_FUSE=no" when the user turned FUSE off, else NULL. */
const char *imagefile_fuse_disabled(void);

/* Make a read-only fuse mount (detached) and send its /dev/fuse fd over sock (SCM_RIGHTS).
 * Returns the mount's fd. The first access to the mount waits until the receiver serves it. */
int imagefile_mount_fuse(int sock, struct error *err);

/* The parent's side: receive the /dev/fuse fd; -1 with err when the child sent none. */
int imagefile_receive_fuse(int sock, struct error *err);
