/* Assembles the container's root inside the new mount namespace and enters it with pivot_root.
 * Runs in the child only; every mount target is resolved inside the new root. */
#pragma once

#include "runtime/plan.h"
#include "util/error.h"

/* Mount everything the plan lists, make the root read-only when asked, pivot into it and
 * change to the plan's working directory. */
int rootfs_enter(const struct run_plan *plan, struct error *err);
