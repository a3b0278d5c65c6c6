/* The environment a containerised program starts with: image environment, then a documented set
 * of host variables, then the identity's HOME/USER/LOGNAME, then -e. Pure; no BURROW_* ever passes. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

struct environ_identity {
	const char *home;
	const char *user; /* USER and LOGNAME */
};

/* Host variables passed through unchanged when set (exact names; see docs/start.md). */
extern const char *const environ_host_names[];
/* Host variable prefixes passed through (LC_, SLURM_, PMI_, PMIX_, OMPI_);
 * docs/start-environment.md lists them for users. */
extern const char *const environ_host_prefixes[];

/* image_env: "K=V" entries from the image (may be NULL; PATH defaults when absent).
 * host_env: the caller's environment. user_env: -e arguments, "K=V" or "K" (value taken from
 * host_env, dropped when unset there). An -e entry with an empty or invalid key fails.
 * Returns a new NULL-terminated vector, or NULL with err. */
char **environ_build(char *const *image_env, char *const *host_env, const struct environ_identity *ident,
                     char *const *user_env, struct error *err);

/* Whether entry ("K=V" or "K") has a key a variable can have, as -e requires. */
bool environ_entry_valid(const char *entry);
/* Apply -e arguments (as environ_build takes user_env) to env in place; -1 with err. */
int environ_override(char ***env, char *const *host_env, char *const *user_env, struct error *err);

/* PATH used when the image sets none. */
#define ENVIRON_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* docker's --env-file text: one "K=V" (taken as is, no quotes removed) or "K" (the host's
 * value) a line; blank lines and lines starting with '#' are skipped, leading blanks dropped.
 * Returns the entries in the form environ_build takes as user_env, or NULL with err naming
 * the line. */
char **environ_parse_file(const char *text, struct error *err);
