/* Names and text forms of process settings, shared by the run flags and the OCI face:
 * capability names, rlimit names, docker's --ulimit, --cap-add/--cap-drop and --sysctl.
 * Pure parsing; applying them is process_setup.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "runtime/plan.h"
#include "util/error.h"

/* "CAP_SYS_ADMIN", "SYS_ADMIN" or "sys_admin" to its number; -1 when unknown. */
int cap_from_name(const char *name);
/* "CAP_SYS_ADMIN" for 21; "CAP_?" for numbers without a name. */
const char *cap_name(int cap);

/* "nofile", "NOFILE" or "RLIMIT_NOFILE" to RLIMIT_NOFILE; -1 when unknown. */
int rlimit_from_name(const char *name);
/* "nofile" for RLIMIT_NOFILE. */
const char *rlimit_name(int resource);

/* docker's --ulimit NAME=SOFT[:HARD] ("unlimited" or -1 for no limit; HARD defaults to SOFT). */
int ulimit_parse(const char *spec, struct plan_rlimit *out, struct error *err);

/* docker's --cap-add/--cap-drop on the full set a user namespace gives: drops first (ALL
 * clears), then adds (ALL fills). Fills *set; names given without CAP_ are accepted. */
int caps_from_docker(char *const *add, char *const *drop, uint64_t *set, uint64_t *added, struct error *err);

/* A sysctl "KEY=VALUE" as given to --sysctl: KEY in dotted form (net.ipv4.ip_forward, or the
 * slash form), made of [A-Za-z0-9_.-/] with no "..". Writes the dotted key to key (size n). */
int sysctl_parse(const char *spec, char *key, size_t n, const char **value, struct error *err);
