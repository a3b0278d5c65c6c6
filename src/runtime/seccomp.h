/* Seccomp profiles (OCI linux.seccomp; docker's profile files use the same form): parsed from
 * JSON into plain data at plan time, compiled with libseccomp and loaded last before exec. */
#pragma once

#include <jansson.h>

#include "util/error.h"

struct seccomp_profile;

/* Parse a linux.seccomp object (defaultAction, defaultErrnoRet, architectures, flags,
 * syscalls[].names/action/errnoRet/args); unknown actions, operators, architectures and flags
 * are errors that name them. Syscall names are kept as text: the ones libseccomp does not know
 * are skipped at load, as runc does. */
int seccomp_profile_from_json(const json_t *obj, struct seccomp_profile **out, struct error *err);
/* Compile and load the filter into the calling thread (no_new_privs or CAP_SYS_ADMIN needed);
 * never sets no_new_privs itself. */
int seccomp_profile_load(const struct seccomp_profile *profile, struct error *err);
void seccomp_profile_free(struct seccomp_profile *profile);
