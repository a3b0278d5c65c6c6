/* The command-line verbs: each parses its flags, calls the library and prints.
 * Each returns the process exit status; nothing worth unit-testing lives in cli/. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_oci(int argc, char **argv);

/* Pull text (a registry reference) into the store, with progress on stderr by verbosity
 * (0 quiet, 1 on a terminal, 2 a line per layer); print_name prints the stored name on stdout. */
int cli_pull(const char *text, const char *platform_text, int verbosity, bool print_name, struct error *err);
/* For start and create: says on stderr that text is pulled, then pulls it (source_paths.pull). */
int cli_pull_for_use(void *ctx, const char *text, struct error *err);

struct config_file;
struct start_options;
/* start and run's --conf FILE (NULL: none): its settings applied, its sections in conf and
 * opts. Returns 0, or the exit status after printing the error. */
int cli_load_conf(const char *verb, const char *path, struct config_file *conf, struct start_options *opts);

struct store;
/* Open the image store at the cache path (cli/images.c). */
int cli_open_store(struct store *st, struct error *err);

/* A byte count for people: "512 B", "1.4 KiB", "23.0 MiB", "1.2 GiB"; returns out. */
const char *cli_human_bytes(uint64_t bytes, char out[32]);

/* Print "burrow: MESSAGE" on stderr for a failed library call. */
void cli_report(const struct error *err);
/* Print "burrow: usage: ..." style errors for bad flags; returns the usage exit status (2). */
int cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
