/* Short detours into a user namespace of our own, for file maintenance that needs the ids
 * a container used (removing files chowned to subordinate ids). Not the start path. */
#pragma once

#include <stdbool.h>

#include "runtime/idmap.h"
#include "util/error.h"

/* The maps a start uses: self -> self, or with root 0 -> self plus, when /etc/subuid and
 * /etc/subgid (BURROW_SUBUID_FILE / BURROW_SUBGID_FILE) grant a range and newuidmap/newgidmap
 * exist, 1.. -> that range. */
void userns_host_maps(bool root, struct idmap *uids, struct idmap *gids);

/* Remove name under dirfd as root of a user namespace holding the full map. */
int userns_remove_tree(int dirfd, const char *name, struct error *err);
