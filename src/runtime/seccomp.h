/* Seccomp profiles (OCI linux.seccomp; docker's profile files use the same form): parsed from
 * JSON into plain data at plan time, compiled with libseccomp and loaded last before exec. */
#pragma once

#include <jansson.h>

#include "util/error.h"

struct seccomp_profile;

/* Parse a linux.seccomp object; unknown actions, operators, architectures or syscall names are
 * errors that name them. */
int seccomp_profile_from_json(const json_t *obj, struct seccomp_profile **out, struct error *err);
/* Compile and load the filter into the calling thread (no_new_privs or CAP_SYS_ADMIN needed). */
int seccomp_profile_load(const struct seccomp_profile *profile, struct error *err);
void seccomp_profile_free(struct seccomp_profile *profile);
