/* The process side of a start: clone into new namespaces, map ids, assemble the root, exec the
 * program; burrow stays as a small parent that forwards signals and returns the exit status. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/plan.h"
#include "util/error.h"

/* Exit statuses of our own, as docker uses them. */
#define SPAWN_EXIT_SETUP     125 /* the container could not be set up */
#define SPAWN_EXIT_NOT_EXEC  126 /* the command exists but cannot be executed */
#define SPAWN_EXIT_NOT_FOUND 127 /* the command does not exist in the container */

/* Run the plan. Returns the program's exit status (128+N when it died of signal N), or a
 * SPAWN_EXIT_* status with err filled when the start itself failed. */
int spawn_run(struct run_plan *plan, struct error *err);

/* What a caller may add to a start (the OCI face: its lifecycle and hooks). */
struct spawn_ops {
	/* In the parent once the child exists with its ids mapped, before it is waited for; -1
	 * with err stops the start (the child is killed). */
	int (*created)(void *ctx, pid_t pid, struct error *err);
	/* In the container's first process (its init with a PID namespace), in the container's
	 * namespaces once every mount is made, before sysctls, masks, read-only paths and
	 * pivot_root: the host's paths still resolve, root is where the assembled root lies. -1
	 * with err fails the start. */
	int (*assembled)(void *ctx, const struct run_plan *plan, const char *root, struct error *err);
	/* In the process that execs the program, inside the container's root, last before exec;
	 * -1 with err fails the start. */
	int (*before_exec)(void *ctx, const struct run_plan *plan, struct error *err);
	void *ctx;
};
/* spawn_run with ops (NULL: none). */
int spawn_run_with(struct run_plan *plan, const struct spawn_ops *ops, struct error *err);

/* Exec argv with env as execvpe would, looking argv[0] up in env's PATH, never through a shell.
 * Returns only on failure: SPAWN_EXIT_NOT_FOUND or SPAWN_EXIT_NOT_EXEC, with err filled. */
int spawn_exec(char *const *argv, char *const *env, struct error *err);

/* The signals burrow forwards, and SIGCHLD: block them before forking, then supervise. */
void spawn_signal_set(sigset_t *set);
/* Forward those signals to pid until it exits (with reap_all, reaping every orphan: PID 1);
 * returns its exit status, 128+N when it died of signal N. */
int spawn_supervise(pid_t pid, bool reap_all);
