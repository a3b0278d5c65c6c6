/* burrow info [--json]: every setting with its effective value and where it came from, and the
 * configuration files a start reads. Reads only; the settings themselves live in util/config.c. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/config.h"
#include "util/fs.h"
#include "util/paths.h"
#include "util/strv.h"

static const char usage_text[] =
        "usage: burrow info [--json]\n"
        "\n"
        "Print every setting, its value and where it came from (default, a burrow.conf line,\n"
        "the environment), then the environ.d, mounts.d and hooks.d files a start reads.\n";

/* The value in effect: the variable when set, else the computed default. */
static char *effective(const struct config_key *k)
{
	const char *v = getenv(k->name);
	if (v)
		return strdup(v);
	if (strcmp(k->name, "BURROW_DATA_PATH") == 0)
		return paths_data();
	if (strcmp(k->name, "BURROW_CACHE_PATH") == 0)
		return paths_cache();
	if (strcmp(k->name, "BURROW_RUNTIME_PATH") == 0)
		return paths_runtime();
	return strdup(k->default_value);
}

static const char *const dir_kinds[][2] = {{"environ.d", ".env"}, {"mounts.d", ".fstab"}, {"hooks.d", NULL}};

/* The burrow.conf files that exist, system first. */
static char **conf_files(const char *sys_dir, const char *user_dir)
{
	char **out = calloc(1, sizeof(char *));
	const char *dirs[] = {sys_dir, user_dir};
	for (size_t i = 0; out && i < 2; i++) {
		char *path = NULL;
		if (!dirs[i] || asprintf(&path, "%s/burrow.conf", dirs[i]) < 0)
			continue;
		if (!fs_is_file(path)) {
			free(path);
		} else if (strv_push_owned(&out, path) < 0) {
			strv_free(out);
			return NULL;
		}
	}
	return out;
}

static int print_text(char **files[3], char **confs, const char *sys_dir, const char *user_dir)
{
	for (size_t i = 0; i < config_n_keys; i++) {
		cleanup_free char *value = effective(&config_keys[i]);
		printf("%s=%s  # %s\n", config_keys[i].name, value ? value : "",
		       config_origin(config_keys[i].name));
	}
	printf("\nsystem directory: %s\nuser directory: %s\n", sys_dir, user_dir ? user_dir : "");
	for (size_t i = 0; confs[i]; i++)
		printf("burrow.conf: %s\n", confs[i]);
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; files[k][i]; i++)
			printf("%s: %s\n", dir_kinds[k][0], files[k][i]);
	return 0;
}

static int print_json(char **files[3], char **confs, const char *sys_dir, const char *user_dir)
{
	json_t *root = json_object(), *settings = json_array();
	json_object_set_new(root, "settings", settings);
	for (size_t i = 0; i < config_n_keys; i++) {
		cleanup_free char *value = effective(&config_keys[i]);
		json_array_append_new(settings, json_pack("{s:s, s:s, s:s}", "key", config_keys[i].name,
		                                          "value", value ? value : "", "origin",
		                                          config_origin(config_keys[i].name)));
	}
	json_object_set_new(root, "system_dir", json_string(sys_dir));
	json_object_set_new(root, "user_dir", json_string(user_dir ? user_dir : ""));
	json_t *conf_list = json_array();
	for (size_t i = 0; confs[i]; i++)
		json_array_append_new(conf_list, json_string(confs[i]));
	json_object_set_new(root, "burrow.conf", conf_list);
	for (size_t k = 0; k < 3; k++) {
		json_t *list = json_array();
		for (size_t i = 0; files[k][i]; i++)
			json_array_append_new(list, json_string(files[k][i]));
		json_object_set_new(root, dir_kinds[k][0], list);
	}
	char *text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!text)
		return 1;
	puts(text);
	free(text);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			return cli_usage_error("info", "unexpected argument '%s'", argv[i]);
		}
	}
	struct error err;
	error_clear(&err);
	char **files[3] = {NULL, NULL, NULL};
	int rc = 0;
	for (size_t k = 0; k < 3 && rc == 0; k++) {
		files[k] = config_dir_files(dir_kinds[k][0], dir_kinds[k][1], k == 2, &err);
		if (!files[k]) {
			cli_report(&err);
			rc = 1;
		}
	}
	cleanup_free char *sys_dir = config_system_dir();
	cleanup_free char *user_dir = config_user_dir();
	cleanup_strv char **confs = sys_dir ? conf_files(sys_dir, user_dir) : NULL;
	if (rc == 0 && !confs) {
		fprintf(stderr, "burrow: out of memory\n");
		rc = 1;
	}
	if (rc == 0)
		rc = json ? print_json(files, confs, sys_dir, user_dir)
		          : print_text(files, confs, sys_dir, user_dir);
	for (size_t k = 0; k < 3; k++)
		strv_free(files[k]);
	return rc;
}
