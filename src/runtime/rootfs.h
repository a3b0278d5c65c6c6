/* Assembles the container's root inside the new mount namespace and enters it with pivot_root.
 * Runs in the child only; every mount target is resolved inside the new root. */
#pragma once

#include "runtime/plan.h"
#include "util/error.h"

struct spawn_ops; /* runtime/spawn.h */

/* Mount the root, complete the plan's root-dependent choices (plan_resolve_in_root), mount
 * everything the plan lists, call ops' assembled (ops may be NULL), make the root read-only
 * when asked, pivot into it and change to the plan's working directory. */
int rootfs_enter(struct run_plan *plan, const struct spawn_ops *ops, struct error *err);

/* Change to dir in the root the process is in (after pivot_root or setns), through no magic
 * link, and check that the root reaches it (CVE-2024-21626). Returns 0, or -1 with err. */
int rootfs_chdir(const char *dir, struct error *err);
