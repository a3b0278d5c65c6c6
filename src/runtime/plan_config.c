/* The configuration's share of a run plan: environ.d and mounts.d files and --conf sections
 * become env entries and plan mounts; hooks.d becomes a list of programs rootfs.c runs. */
#include "runtime/plan_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/environ.h"
#include "runtime/fstab.h"
#include "util/cleanup.h"
#include "util/config.h"
#include "util/fs.h"
#include "util/strv.h"

#define CONFIG_DIR_FILE_MAX (1 << 20)

char **plan_config_environ(const struct start_options *opts, struct error *err)
{
	cleanup_strv char **files = config_dir_files("environ.d", ".env", false, err);
	cleanup_strv char **out = calloc(1, sizeof(char *));
	if (!files)
		return NULL;
	if (!out)
		return error_set(err, ENOMEM, "out of memory"), NULL;
	for (size_t i = 0; files[i]; i++) {
		cleanup_free char *text =
		        fs_read_file_at(AT_FDCWD, files[i], false, CONFIG_DIR_FILE_MAX, NULL, err);
		cleanup_strv char **entries = text ? environ_parse_file(text, err) : NULL;
		if (!entries) {
			error_prefix(err, "%s", files[i]);
			return NULL;
		}
		for (size_t k = 0; entries[k]; k++)
			if (!environ_entry_valid(entries[k]))
				return error_set(err, EINVAL, "%s: '%s' is not KEY=VALUE or KEY", files[i],
				                 entries[k]),
				       NULL;
		if (strv_extend(&out, entries) < 0)
			return error_set(err, ENOMEM, "out of memory"), NULL;
	}
	if (strv_extend(&out, opts->conf ? opts->conf->environ : NULL) < 0 ||
	    strv_extend(&out, opts->env) < 0)
		return error_set(err, ENOMEM, "out of memory"), NULL;
	return steal_pointer(&out);
}

int plan_config_add_mount(struct run_plan *plan, const char *line, const char *origin, struct error *err)
{
	struct plan_mount m;
	if (fstab_parse_line(line, origin, &m, err) < 0)
		return -1;
	struct stat st;
	if (m.kind == PLAN_MOUNT_BIND && stat(m.source, &st) < 0) {
		int rc = m.optional ? 0
		                    : error_set(err, ENOENT,
		                                "%s: mount source %s does not exist (create it, or add "
		                                "nofail to skip it)",
		                                origin, m.source);
		fstab_mount_free(&m);
		return rc;
	}
	struct plan_mount *grown = realloc(plan->mounts, (plan->n_mounts + 1) * sizeof(*grown));
	if (!grown) {
		fstab_mount_free(&m);
		return error_set(err, ENOMEM, "out of memory");
	}
	plan->mounts = grown;
	plan->mounts[plan->n_mounts++] = m;
	return 0;
}

int plan_config_add_mounts(struct run_plan *plan, char *text, const char *origin, struct error *err)
{
	unsigned line_no = 0;
	for (char *p = text; *p;) {
		char *end = strchrnul(p, '\n');
		char *next = *end ? end + 1 : end;
		*end = '\0';
		line_no++;
		p += strspn(p, " \t");
		if (*p && *p != '#') {
			char line_origin[PATH_MAX + 64];
			snprintf(line_origin, sizeof(line_origin), "%s:%u", origin, line_no);
			if (plan_config_add_mount(plan, p, line_origin, err) < 0)
				return -1;
		}
		p = next;
	}
	return 0;
}

static int add_fstab_file(struct run_plan *plan, const char *path, struct error *err)
{
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, CONFIG_DIR_FILE_MAX, NULL, err);
	if (!text) {
		error_prefix(err, "%s", path);
		return -1;
	}
	return plan_config_add_mounts(plan, text, path, err);
}

int plan_config_mounts(struct run_plan *plan, const struct start_options *opts, struct error *err)
{
	cleanup_strv char **files = config_dir_files("mounts.d", ".fstab", false, err);
	if (!files)
		return -1;
	for (size_t i = 0; files[i]; i++)
		if (add_fstab_file(plan, files[i], err) < 0)
			return -1;
	for (size_t i = 0; opts->conf && opts->conf->mounts && opts->conf->mounts[i]; i++) {
		char origin[PATH_MAX + 16];
		snprintf(origin, sizeof(origin), "%s:%u", opts->conf_path, opts->conf->mount_lines[i]);
		if (plan_config_add_mount(plan, opts->conf->mounts[i], origin, err) < 0)
			return -1;
	}
	return 0;
}

int plan_config_hooks(struct run_plan *plan, struct error *err)
{
	plan->hooks = config_dir_files("hooks.d", NULL, true, err);
	return plan->hooks ? 0 : -1;
}
