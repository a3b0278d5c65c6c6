/* What the program's process gets beyond a plain start, applied in the child: oom_score_adj
 * while the host's /proc is still in view, the rest last before exec. Not the place that
 * decides these settings (plan.c, the OCI face and the run flags do). */
#pragma once

#include "runtime/plan.h"
#include "util/error.h"

/* oom_score_adj, written through the host's /proc (verified to be procfs) before the root is
 * entered. Lowering it needs privileges outside the container: an error naming it. */
int process_setup_oom(const struct plan_process *p, struct error *err);

/* Supplementary groups, rlimits, capabilities, no_new_privs, umask and the seccomp filter, in
 * the order that leaves the exec'd program with exactly those: call it last before exec. */
int process_setup_final(const struct plan_process *p, struct error *err);
