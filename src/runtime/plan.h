/* The run plan: everything a start will do, decided before any namespace exists.
 * Built from a container and the start options; performed by rootfs.c and spawn.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "runtime/container.h"
#include "runtime/idmap.h"
#include "util/error.h"

enum plan_mount_kind {
	PLAN_MOUNT_BIND,    /* host source, recursive bind */
	PLAN_MOUNT_TMPFS,   /* fresh tmpfs; options in data */
	PLAN_MOUNT_PROC,    /* fresh procfs of the new PID namespace */
	PLAN_MOUNT_CONTENT, /* a read-only file whose bytes are data (passwd, group) */
	PLAN_MOUNT_SYMLINK, /* a symlink at target pointing to data (made in a tmpfs such as /dev) */
};

struct plan_mount {
	enum plan_mount_kind kind;
	char *source; /* PLAN_MOUNT_BIND: absolute host path */
	char *target; /* absolute path inside the container */
	char *data;   /* TMPFS: fsconfig options "mode=1777,size=..."; CONTENT: bytes; SYMLINK: link text */
	bool readonly;
	bool optional; /* skip when the source is missing on the host */
};

struct run_plan {
	char *rootfs; /* host path of the root filesystem */
	bool rootfs_readonly;
	bool new_pid;
	struct idmap uids, gids;
	struct plan_mount *mounts; /* in order; a later target may lie under an earlier one */
	size_t n_mounts;
	char **argv;
	char **env;
	char *workdir; /* inside the container */
};

struct start_options {
	bool root, rw, new_pid, no_cwd;
	char **mounts; /* -m specs as given */
	char **env;    /* -e arguments as given */
	const char *workdir;
	char **argv; /* command, or NULL for the default */
};

int plan_build(const struct container *c, const struct start_options *opts, struct run_plan *plan,
               struct error *err);
void plan_free(struct run_plan *plan);
