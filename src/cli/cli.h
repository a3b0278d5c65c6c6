/* The command-line verbs: each parses its flags, calls the library and prints.
 * Each returns the process exit status; nothing worth unit-testing lives in cli/. */
#pragma once

#include "util/error.h"

int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);

/* Print "burrow: MESSAGE" on stderr for a failed library call. */
void cli_report(const struct error *err);
/* Print "burrow: usage: ..." style errors for bad flags; returns the usage exit status (2). */
int cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
