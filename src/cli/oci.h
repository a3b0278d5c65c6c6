/* burrow oci: the runc-compatible verbs. The global options every verb shares, and the verbs
 * (cli/oci_run.c, cli/oci_manage.c, cli/oci_misc.c). */
#pragma once

#include <stdbool.h>

#include "util/error.h"

struct oci_cli {
	const char *root; /* --root, else RUNTIME/oci */
	const char *log;  /* --log FILE: errors are appended there too */
	bool log_json;    /* --log-format json */
	bool debug;
};

/* Print err (and log it); returns 1, runc's status for a failed verb. */
int oci_cli_fail(const struct oci_cli *g, const struct error *err);
int oci_cli_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int oci_cmd_create(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_start(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_run(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_state(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_kill(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_delete(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_list(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_ps(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_spec(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_features(const struct oci_cli *g, int argc, char **argv);
int oci_cmd_exec(const struct oci_cli *g, int argc, char **argv);
