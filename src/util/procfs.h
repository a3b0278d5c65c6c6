/* Writes to /proc through a handle checked to be procfs: a /proc that a container (or anyone)
 * replaced with a symlink, a bind mount or another filesystem is refused, never written. */
#pragma once

#include <sys/types.h>

#include "util/error.h"

/* Open path (normally "/proc") as an O_PATH directory fd, checked with fstatfs to be procfs
 * and to be the root of its mount (not a bind of a subdirectory). Returns the fd, or -1 with
 * err. */
int procfs_open(const char *path, struct error *err);

/* Write text in one write(2) to file (e.g. "uid_map", "oom_score_adj", or under "sys/" for a
 * sysctl) of process pid (0: the caller, as that /proc numbers it; -1: file is relative to
 * /proc itself), resolved beneath proc_fd without following any symlink or crossing a mount.
 * Returns 0, or -1 with err naming the file. */
int procfs_write(int proc_fd, pid_t pid, const char *file, const char *text, struct error *err);
