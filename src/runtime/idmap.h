/* User and group id maps for the user namespace: which ids inside map to which outside,
 * from /etc/subuid and /etc/subgid when they grant a range. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define IDMAP_MAX_RANGES 4

struct idmap_range {
	uint32_t inside, outside, count;
};

struct idmap {
	struct idmap_range ranges[IDMAP_MAX_RANGES];
	size_t n;
};

/* Find the first range granted to user (by name or decimal id) in /etc/subuid-format text.
 * Returns 0 and fills start/count, or -1 when none. */
int idmap_find_subid(const char *text, const char *user, uint32_t id, uint32_t *start, uint32_t *count);

/* The map for one kind of id: self is the host uid (or gid). Without root: self -> self.
 * With root: 0 -> self, and when sub_count > 0, 1..min(count, 65535) -> the subordinate range. */
void idmap_plan(struct idmap *out, uint32_t self, bool root, uint32_t sub_start, uint32_t sub_count);

/* Format as /proc/PID/uid_map text. */
void idmap_format(const struct idmap *m, char *buf, size_t size);

/* Whether m maps one id only: such a map of the caller's own id the new namespace may write
 * itself; anything larger needs newuidmap/newgidmap run from outside. */
bool idmap_single(const struct idmap *m);
/* The id inside the namespace that host id maps to; host itself when m does not map it. */
uint32_t idmap_to_inside(const struct idmap *m, uint32_t host);

/* Apply maps to pid (which has just unshared its user namespace; 0: the caller itself). A
 * single self-map is written directly (setgroups denied first); anything larger goes through
 * newuidmap/newgidmap. */
int idmap_apply(pid_t pid, const struct idmap *uids, const struct idmap *gids, struct error *err);

/* -u UID[:GID]: decimal ids below 4294967295; a missing GID is 0, as docker has it for an id
 * the image does not name. Names are not looked up (the message says to give numbers). */
int idmap_parse_user(const char *text, uint32_t *uid, uint32_t *gid, struct error *err);
