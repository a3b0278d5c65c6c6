/* The OCI lifecycle over burrow's start path: create (a detached monitor holds the container,
 * whose process waits on the exec fifo), start, run (both at once, in the foreground), kill,
 * delete, and the queries state, list and ps. Not the parsing (config.c) or the record (state.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct oci_launch_options {
	const char *root; /* the state root (--root) */
	const char *id;
	const char *pid_file;       /* may be NULL */
	const char *console_socket; /* a unix socket the pty's master is sent to (process.terminal) */
};

/* Create the container and return once its process waits to be started; a detached monitor
 * (setsid) supervises it and records its exit. The process's stdio is the caller's. */
int oci_create(struct oci_bundle *b, const struct oci_launch_options *o, struct error *err);
/* Release a created container's process (from any process of its owner), then run the
 * poststart hooks. */
int oci_start(const char *root, const char *id, struct error *err);
/* Create and start in the foreground, stdio passed through; the container is deleted when its
 * process ends. Returns its exit status (128+N for signal N), or a SPAWN_EXIT_* status with
 * err filled when it could not be set up. */
int oci_run(struct oci_bundle *b, const struct oci_launch_options *o, struct error *err);
/* Signal the container's process through a pidfd checked against the record; refused for a
 * stopped container or a process that is not the container's. */
int oci_kill(const char *root, const char *id, int sig, bool all, struct error *err);
/* Remove a stopped or created container (with force a running one too, killed first), then
 * run its poststop hooks (only as its owner). */
int oci_delete(const char *root, const char *id, bool force, struct error *err);
/* The state as the runtime spec defines it (plus runc's fields); NULL with err. */
json_t *oci_state_get(const char *root, const char *id, struct error *err);
/* Every container under root: an array of such states (empty when root is missing). */
json_t *oci_list(const char *root, struct error *err);
/* The host pids of the container's processes: its process and every descendant. */
int oci_ps(const char *root, const char *id, pid_t **pids, size_t *n, struct error *err);
/* The container's process, for exec to join (checked as kill checks it). */
int oci_container_pid(const char *root, const char *id, pid_t *pid, struct error *err);
