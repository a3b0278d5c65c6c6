/* hooks.d programs, run by the start path inside the container's namespaces before pivot_root
 * (MODEL.md, process model). Not the choice of hooks: plan_config.c lists them. */
#pragma once

#include "runtime/plan.h"
#include "util/error.h"

/* Run plan->hooks in order, each with a clean environment plus BURROW_ROOTFS (root, the
 * assembled root's path), BURROW_PID, BURROW_ENVIRON and BURROW_MOUNTS. The lines a hook
 * appends join plan->env and plan->mounts (after the ones already there). A hook that fails
 * stops the start: -1 with err naming it and its status. */
int hooks_run(struct run_plan *plan, const char *root, struct error *err);
