/* Running instances (MODEL.md): one record per start under RUNTIME/instances/PID.json, written
 * while the program lives and read by exec and list. Not the joining itself (join.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct instance {
	pid_t pid;           /* the start's child, in the caller's PID namespace */
	uint64_t start_time; /* /proc/PID/stat field 22: tells a reused pid apart */
	char *name;          /* the container's name, or the image's label */
	bool container;      /* name is a container (else an image started directly) */
	char **argv;         /* the command as planned */
	pid_t burrow_pid;    /* the burrow parent that supervises it */
	int namespaces;      /* CLONE_NEW* flags of the namespaces it made */
	int64_t started;     /* wall-clock seconds since the epoch */
};

void instance_free(struct instance *in);
void instance_list_free(struct instance *list, size_t n);

/* The record's JSON text (malloc'd, NUL-terminated), and back. Pure. */
char *instance_format(const struct instance *in, struct error *err);
int instance_parse(const char *text, size_t len, struct instance *in, struct error *err);

/* The start time (field 22) in the text of a /proc/PID/stat file; -1 when malformed. Pure. */
int instance_stat_start_time(const char *stat, uint64_t *start_time);
/* The start time of a live process; -1 with err (code ESRCH when it is gone). */
int instance_process_start_time(pid_t pid, uint64_t *start_time, struct error *err);
/* The parent pid of a live process (field 4 of /proc/PID/stat); -1 when it is gone. */
pid_t instance_process_parent(pid_t pid);

/* True when in's process still runs: the pid exists and has the recorded start time. */
bool instance_alive(const struct instance *in);

/* Fill in->start_time and in->started from the live process, and write the record atomically
 * (temporary file, rename; mode 0600) under runtime. */
int instance_write(const char *runtime, struct instance *in, struct error *err);
/* Remove pid's record; a missing one is not an error. */
void instance_remove(const char *runtime, pid_t pid);

/* Every live instance, newest first; records of processes that are gone (or whose pid now
 * belongs to another process) are removed on the way. A missing directory is no instance. */
int instance_list(const char *runtime, struct instance **list, size_t *n, struct error *err);

/* Resolve what exec names: a PID with a record, else the newest instance of that container or
 * image label. Fails with one line when nothing runs under that name, or when it is both a
 * running container's and a running image's (listing their PIDs). */
int instance_find(const char *runtime, const char *arg, struct instance *out, struct error *err);

/* A pidfd of in's process, checked after opening to still have the recorded start time and to
 * belong to this user, so a reused pid is never used; -1 with err. */
int instance_open_pidfd(const struct instance *in, struct error *err);
