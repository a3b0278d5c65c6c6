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

/* The subordinate id file burrow reads: BURROW_SUBUID_FILE / BURROW_SUBGID_FILE, else
 * /etc/subuid or /etc/subgid. */
const char *userns_subid_file(bool groups);
/* The user's first range in that file (by name or uid); count 0 when none. */
void userns_find_range(bool groups, const char *user, uint32_t id, uint32_t *start, uint32_t *count);
/* Whether an executable name is on PATH (newuidmap, newgidmap, squashfuse). */
bool userns_helper_present(const char *name);

/* Remove name under dirfd as root of a user namespace holding the full map. */
int userns_remove_tree(int dirfd, const char *name, struct error *err);
