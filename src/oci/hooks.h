/* OCI hooks (config.json hooks.*): each program run with the container's state JSON on stdin,
 * its own args and env, and its timeout. Not burrow's hooks.d (runtime/hooks.c). */
#pragma once

#include "oci/config.h"
#include "util/error.h"

/* Run the n hooks in order, each given state (JSON text) on stdin; stop at the first that
 * fails or outlives its timeout (then killed), with err naming kind, index and status. */
int oci_hooks_run(const char *kind, const struct oci_hook *hooks, size_t n, const char *state,
                  struct error *err);
