/* OCI container state: ROOT/ID/state.json (written temp+rename in a 0700 directory) and the exec
 * fifo a created container waits on. Opening a container checks who owns what, follows no
 * symlink and identifies its process by pidfd and start time, because root acts on
 * user-writable state for Slurm (RunTimeKill/Delete/Query). Not the starting: lifecycle.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define OCI_STATE_FILE "state.json"
#define OCI_EXEC_FIFO  "exec.fifo"

enum oci_status {
	OCI_STATUS_CREATING, /* the directory exists, the process does not yet */
	OCI_STATUS_CREATED,  /* the process waits on the exec fifo */
	OCI_STATUS_RUNNING,
	OCI_STATUS_STOPPED,
};

struct oci_state {
	char *id;
	char *bundle; /* absolute */
	char *rootfs; /* absolute */
	char *oci_version;
	char *created; /* RFC 3339, UTC */
	uint32_t owner;
	pid_t pid;           /* 0 until the process exists */
	uint64_t start_time; /* /proc/PID/stat field 22 of pid */
	pid_t monitor;       /* the detached parent that reaps it (0 for a foreground run) */
	bool exited;
	int exit_status; /* 128+N for signal N */
	json_t *annotations;
};

void oci_state_free(struct oci_state *s);
const char *oci_status_name(enum oci_status status);

/* An ID names one directory: non-empty, no '/', not "." or "..", at most 1024 bytes of
 * [A-Za-z0-9_+.-] (runc's set). Pure. */
int oci_id_check(const char *id, struct error *err);

/* The record as burrow stores it, and back. Pure. */
char *oci_state_format(const struct oci_state *s, struct error *err);
int oci_state_parse(const char *text, size_t len, struct oci_state *s, struct error *err);
/* The state the runtime spec defines (plus runc's rootfs, created and owner), for `state`,
 * `list --format json` and the hooks' stdin. */
json_t *oci_state_public(const struct oci_state *s, enum oci_status status);

/* The state directory root: made (0700) when create and missing. Refused when it is a symlink,
 * group or world writable, or (for a caller other than root) not the caller's. */
int oci_root_open(const char *path, bool create, struct error *err);

/* An open container: its directory and record, checked (see oci_container_open). */
struct oci_container {
	int dir_fd;
	struct oci_state state;
	bool has_record; /* false while creating */
};
/* Open ROOT/ID without following a symlink; it must be a directory of the root's owner, not
 * group or world writable; its record must be a plain file of that owner naming that owner. */
int oci_container_open(int root_fd, const char *id, struct oci_container *c, struct error *err);
void oci_container_close(struct oci_container *c);
/* Make ROOT/ID (0700); EEXIST when it exists. Returns its fd. */
int oci_container_make(int root_fd, const char *id, struct error *err);
/* Write the record (temp file, rename) into dir_fd. */
int oci_state_write(int dir_fd, const struct oci_state *s, struct error *err);
/* What the container is doing now, from its record, its process and its fifo. */
enum oci_status oci_container_status(const struct oci_container *c);
/* A pidfd of the container's process, checked after opening to have the recorded start time
 * and to run as the container's owner: never another process, even when the record lies. */
int oci_container_pidfd(const struct oci_container *c, struct error *err);
/* Remove ROOT/ID and everything in it, following no symlink. */
int oci_container_remove(int root_fd, const char *id, struct error *err);
