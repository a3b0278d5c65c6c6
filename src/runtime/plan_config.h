/* The configuration's share of a run plan: environ.d, mounts.d, --conf sections, hooks.d.
 * Read from the host before any namespace exists; performed with the rest of the plan. */
#pragma once

#include "runtime/plan.h"
#include "util/error.h"

/* The -e style entries a start applies after the image's Env: the environ.d files (*.env) (system
 * dir, then user dir, lexical order), then --conf's [environ], then opts->env. */
char **plan_config_environ(const struct start_options *opts, struct error *err);
/* Append the mounts.d lines (files *.fstab), then --conf's [mounts], to plan->mounts. A missing source
 * is skipped with nofail and an error naming FILE:LINE without. */
int plan_config_mounts(struct run_plan *plan, const struct start_options *opts, struct error *err);
/* Parse one fstab line (origin "FILE:LINE" for messages) into plan->mounts, or skip it when
 * nofail and its source is missing. */
int plan_config_add_mount(struct run_plan *plan, const char *line, const char *origin, struct error *err);
/* plan_config_add_mount for each line of text (changed in place); '#' lines and blank ones
 * are skipped; origin names the text, ":LINE" is added. */
int plan_config_add_mounts(struct run_plan *plan, char *text, const char *origin, struct error *err);
/* plan->hooks: the executables of hooks.d (system dir, then user dir, lexical order). */
int plan_config_hooks(struct run_plan *plan, struct error *err);
