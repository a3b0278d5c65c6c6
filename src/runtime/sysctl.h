/* Namespaced sysctls (OCI linux.sysctl, docker's --sysctl): which ones a rootless container may
 * set, and writing them under the container's own /proc/sys. */
#pragma once

#include "runtime/plan.h"
#include "util/error.h"

/* Every plan->sysctls key belongs to a namespace the plan makes (net.* with its own network
 * namespace, kernel.hostname/domainname with its own UTS, kernel.{shm,msg,sem}* and
 * fs.mqueue.* with its own IPC); else an error naming the key. */
int sysctl_check(const struct run_plan *plan, struct error *err);
/* Write them, inside the namespaces, under root_fd's /proc/sys (verified to be procfs). */
int sysctl_apply(const struct run_plan *plan, int root_fd, struct error *err);
