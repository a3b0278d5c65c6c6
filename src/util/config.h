/* Process-wide settings: burrow.conf files (system, then user) under the environment, --conf on
 * top, and where each value came from. Not the start path's environ.d/mounts.d/hooks.d contents. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* A setting burrow knows: its environment name, its default as shown to people, what it does. */
struct config_key {
	const char *name; /* BURROW_... */
	const char *default_value;
	const char *meaning;
};
extern const struct config_key config_keys[];
extern const size_t config_n_keys;

struct config_setting {
	char *key; /* canonical BURROW_ name */
	char *value;
	unsigned line;
};

/* One parsed file. environ and mounts come from [environ] and [mounts] sections (--conf files
 * only); mount_lines holds each mount line's number. */
struct config_file {
	struct config_setting *settings;
	size_t n_settings;
	char **environ; /* "KEY=VALUE" */
	char **mounts;  /* fstab lines */
	unsigned *mount_lines;
};

/* Parse text (path names it in messages). KEY VALUE or KEY=VALUE lines, '#' comment lines,
 * optional quotes around the value, $HOME $USER $UID ${XDG_*} expanded outside single quotes.
 * An unknown key, another '$' expansion or a section where sections is false fails naming
 * path:line. */
int config_parse(const char *text, const char *path, bool sections, struct config_file *out,
                 struct error *err);
void config_file_free(struct config_file *f);
static inline void cleanup_config_file_fn(struct config_file *f)
{
	config_file_free(f);
}
#define cleanup_config_file __attribute__((cleanup(cleanup_config_file_fn)))

/* The system directory (BURROW_SYSCONF_PATH, else the build's sysconfdir/burrow) and the user's
 * (BURROW_CONFIG_PATH, else $XDG_CONFIG_HOME/burrow, else ~/.config/burrow); malloc'd. */
char *config_system_dir(void);
char *config_user_dir(void);

/* Read the system then the user burrow.conf into the environment without overriding it, and
 * remember each key's origin. A missing file costs one failed open. */
int config_load(struct error *err);
/* Read a --conf file: its settings override everything (they are this start's); its sections
 * are returned in out for the plan. */
int config_load_extra(const char *path, struct config_file *out, struct error *err);

/* Where key's current value came from: "default", "environment", or "FILE:LINE". */
const char *config_origin(const char *name);

/* The files of subdir ("environ.d") ending in suffix (NULL: any), system dir first, then the
 * user's, lexical order in each; with executables, only files the caller may execute. Missing
 * directories give nothing. Returns a NULL-terminated vector (possibly empty) or NULL with err. */
char **config_dir_files(const char *subdir, const char *suffix, bool executables, struct error *err);
