/* mounts.d lines (also --conf [mounts] and hooks' BURROW_MOUNTS): fstab syntax into the run
 * plan's mounts. Pure text; whether a source exists is for plan_config.c and rootfs.c. */
#pragma once

#include <stdbool.h>

#include "runtime/plan.h"
#include "util/error.h"

/* line: "SRC DST [TYPE [OPTIONS [DUMP [PASS]]]]", fields split by blanks, "\040" for a blank
 * inside one. TYPE none, bind or rbind (default: a recursive bind of the host path SRC) or
 * tmpfs (SRC ignored). OPTIONS: ro, rw, nofail, defaults, bind, rbind, x-create=dir|file,
 * and for tmpfs mode=, size=, nr_inodes=. origin ("FILE:LINE") starts every message.
 * Fills out (owning its strings), or returns -1 with err. */
int fstab_parse_line(const char *line, const char *origin, struct plan_mount *out, struct error *err);
void fstab_mount_free(struct plan_mount *m);
