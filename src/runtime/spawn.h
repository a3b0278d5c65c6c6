/* The process side of a start: clone into new namespaces, map ids, assemble the root, exec the
 * program; burrow stays as a small parent that forwards signals and returns the exit status. */
#pragma once

#include "runtime/plan.h"
#include "util/error.h"

/* Exit statuses of our own, as docker uses them. */
#define SPAWN_EXIT_SETUP     125 /* the container could not be set up */
#define SPAWN_EXIT_NOT_EXEC  126 /* the command exists but cannot be executed */
#define SPAWN_EXIT_NOT_FOUND 127 /* the command does not exist in the container */

/* Run the plan. Returns the program's exit status (128+N when it died of signal N), or a
 * SPAWN_EXIT_* status with err filled when the start itself failed. */
int spawn_run(struct run_plan *plan, struct error *err);
