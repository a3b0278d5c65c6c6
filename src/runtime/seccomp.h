/* Seccomp profiles (OCI linux.seccomp; docker's profile files use the same form): parsed from
 * JSON into plain data at plan time, compiled with libseccomp and loaded last before exec. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum seccomp_action {
	SECCOMP_KILL_THREAD, /* SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD */
	SECCOMP_KILL_PROCESS,
	SECCOMP_TRAP,
	SECCOMP_ERRNO,
	SECCOMP_TRACE,
	SECCOMP_ALLOW,
	SECCOMP_LOG,
};

/* In the order of the operators table in seccomp.c. */
enum seccomp_op {
	SECCOMP_OP_NE,
	SECCOMP_OP_LT,
	SECCOMP_OP_LE,
	SECCOMP_OP_EQ,
	SECCOMP_OP_GE,
	SECCOMP_OP_GT,
	SECCOMP_OP_MASKED_EQ,
};

struct seccomp_arg {
	unsigned int index; /* 0..5 */
	uint64_t value, value_two;
	enum seccomp_op op;
};

struct seccomp_rule {
	char **names; /* syscall names as given; NULL when the list is empty */
	enum seccomp_action action;
	int ret; /* ERRNO: the errno (errnoRet, default EPERM); TRACE: the message */
	struct seccomp_arg *args;
	size_t n_args;
};

struct seccomp_profile {
	enum seccomp_action default_action;
	int default_ret;  /* defaultErrnoRet, default EPERM */
	uint32_t *arches; /* libseccomp's SCMP_ARCH_* tokens; none: the native one */
	size_t n_arches;
	bool tsync, log, spec_allow; /* flags SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW */
	struct seccomp_rule *rules;
	size_t n_rules;
};

/* Parse a linux.seccomp object (defaultAction, defaultErrnoRet, architectures, flags,
 * syscalls[].names/action/errnoRet/args); unknown actions, operators, architectures and flags
 * are errors that name them. Syscall names are kept as text: the ones libseccomp does not know
 * are skipped at load, as runc does. */
int seccomp_profile_from_json(const json_t *obj, struct seccomp_profile **out, struct error *err);
/* Compile and load the filter into the calling thread (no_new_privs or CAP_SYS_ADMIN needed);
 * never sets no_new_privs itself. */
int seccomp_profile_load(const struct seccomp_profile *profile, struct error *err);
void seccomp_profile_free(struct seccomp_profile *profile);
