/* User mount specifications: -m/--mount SRC[:DST[:OPTS]]. Pure parsing; the mounts themselves
 * are done in rootfs.c. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

struct mount_spec {
	char *source; /* absolute host path, lexically normalised */
	char *target; /* absolute path inside the container, lexically normalised, never "/" */
	bool readonly;
};

/* spec: "SRC", "SRC:DST" or "SRC:DST:OPTS" with OPTS a comma list of ro, rw.
 * A relative SRC is taken relative to cwd. DST defaults to SRC and must be absolute.
 * Fails with a message naming the spec and the fix. */
int mountspec_parse(const char *spec, const char *cwd, struct mount_spec *out, struct error *err);
void mountspec_free(struct mount_spec *m);

/* docker's --mount: a comma list of type=bind|tmpfs, source|src=SRC, destination|dst|target=DST,
 * readonly|ro[=true|false|1|0]. A bind needs both paths (SRC relative to cwd when not absolute);
 * a tmpfs only DST (source NULL, *tmpfs set). Any other key or type fails naming it. */
int mountspec_parse_docker(const char *text, const char *cwd, struct mount_spec *out, bool *tmpfs,
                           struct error *err);

/* Lexically normalise an absolute path into out (same size as in + 1): collapse "//", "/./",
 * resolve ".." without going above "/", drop a trailing "/". */
void mountspec_normalize(const char *in, char *out);
