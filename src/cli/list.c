/* burrow list [--fancy|--json]: the containers under the data path, one name a line; with
 * --fancy a table of them and of running instances, with --json the same as an array. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "runtime/container.h"
#include "runtime/instance.h"
#include "util/cleanup.h"
#include "util/paths.h"
#include "util/strv.h"

static const char usage_text[] =
        "usage: burrow list [--fancy|--json]\n"
        "\n"
        "List containers, one name a line. --fancy shows a table of containers and running\n"
        "instances (images started directly included): NAME, PID, STATE or COMMAND, STARTED,\n"
        "SOURCE; --json the same as an array of objects (pid null when not running).\n"
        "\n"
        "  -f, --fancy   a table\n"
        "  -j, --json    JSON\n";

/* One line of the listing: a running instance, or a container with none. */
struct row {
	const char *name;
	bool container;
	const char *source; /* what the container was made from; NULL for an image */
	const struct instance *in;
};

static int collect(const char *data, char **names, struct container *containers, struct instance *instances,
                   size_t n_instances, struct row **rows, size_t *n_rows, struct error *err)
{
	size_t n_names = strv_len(names);
	struct row *out = calloc(n_names + n_instances + 1, sizeof(*out));
	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < n_names; i++) {
		struct error open_err;
		const char *source = "directory";
		if (container_open(data, names[i], &containers[i], &open_err) == 0 && containers[i].diff_ids)
			source = containers[i].image_name ? containers[i].image_name : "image";
		bool running = false;
		for (size_t j = 0; j < n_instances; j++) {
			if (instances[j].container && strcmp(instances[j].name, names[i]) == 0) {
				out[n++] = (struct row){names[i], true, source, &instances[j]};
				running = true;
			}
		}
		if (!running)
			out[n++] = (struct row){names[i], true, source, NULL};
	}
	for (size_t j = 0; j < n_instances; j++)
		if (!instances[j].container)
			out[n++] = (struct row){instances[j].name, false, NULL, &instances[j]};
	*rows = out;
	*n_rows = n;
	return 0;
}

static const struct {
	const char *name;
	int flag;
} namespace_names[] = {
        {"user", CLONE_NEWUSER}, {"mount", CLONE_NEWNS}, {"pid", CLONE_NEWPID},
        {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},  {"ipc", CLONE_NEWIPC},
};

static int print_json(const struct row *rows, size_t n)
{
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++) {
		const struct instance *in = rows[i].in;
		json_t *obj = json_object();
		json_object_set_new(obj, "name", json_string(rows[i].name));
		json_object_set_new(obj, "kind", json_string(rows[i].container ? "container" : "image"));
		json_object_set_new(obj, "source",
		                    rows[i].source ? json_string(rows[i].source) : json_null());
		json_object_set_new(obj, "state", json_string(in ? "running" : "stopped"));
		json_object_set_new(obj, "pid", in ? json_integer(in->pid) : json_null());
		json_t *cmd = in ? json_array() : json_null();
		for (size_t k = 0; in && in->argv[k]; k++)
			json_array_append_new(cmd, json_string(in->argv[k]));
		json_object_set_new(obj, "command", cmd);
		json_object_set_new(obj, "started", in ? json_integer(in->started) : json_null());
		json_t *ns = in ? json_array() : json_null();
		for (size_t k = 0; in && k < sizeof(namespace_names) / sizeof(namespace_names[0]); k++)
			if (in->namespaces & namespace_names[k].flag)
				json_array_append_new(ns, json_string(namespace_names[k].name));
		json_object_set_new(obj, "namespaces", ns);
		json_array_append_new(array, obj);
	}
	char *text = array ? json_dumps(array, JSON_INDENT(2)) : NULL;
	json_decref(array);
	if (!text) {
		fprintf(stderr, "burrow: out of memory\n");
		return 1;
	}
	printf("%s\n", text);
	free(text);
	return 0;
}

static void print_table(const struct row *rows, size_t n)
{
	int w_name = 4, w_cmd = 13;
	char(*cmds)[64] = calloc(n ? n : 1, sizeof(*cmds));
	for (size_t i = 0; cmds && i < n; i++) {
		const struct instance *in = rows[i].in;
		size_t used = 0;
		if (!in)
			snprintf(cmds[i], sizeof(cmds[i]), "stopped");
		for (size_t k = 0; in && in->argv[k] && used < sizeof(cmds[i]) - 1; k++)
			used += (size_t)snprintf(cmds[i] + used, sizeof(cmds[i]) - used, "%s%s", k ? " " : "",
			                         in->argv[k]);
		if ((int)strlen(rows[i].name) > w_name)
			w_name = (int)strlen(rows[i].name);
		if ((int)strlen(cmds[i]) > w_cmd)
			w_cmd = (int)strlen(cmds[i]);
	}
	printf("%-*s  %-7s  %-*s  %-19s  %s\n", w_name, "NAME", "PID", w_cmd, "STATE/COMMAND", "STARTED",
	       "SOURCE");
	for (size_t i = 0; cmds && i < n; i++) {
		const struct instance *in = rows[i].in;
		char pid[16] = "-", started[32] = "-";
		if (in) {
			snprintf(pid, sizeof(pid), "%d", (int)in->pid);
			time_t t = (time_t)in->started;
			struct tm tm;
			if (localtime_r(&t, &tm))
				strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S", &tm);
		}
		printf("%-*s  %-7s  %-*s  %-19s  %s\n", w_name, rows[i].name, pid, w_cmd, cmds[i], started,
		       rows[i].container ? rows[i].source : "(image, no container)");
	}
	free(cmds);
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"fancy", no_argument, NULL, 'f'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	bool fancy = false, json = false;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "fjh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			fancy = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_usage_error("list", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("list", "unexpected argument '%s'", argv[optind]);
	if (fancy && json)
		return cli_usage_error("list", "--fancy and --json exclude each other");
	cleanup_free char *data = paths_data();
	cleanup_free char *runtime = paths_runtime();
	if (!data || !runtime) {
		fprintf(stderr, "burrow: cannot find the data or runtime path; set BURROW_DATA_PATH and "
		                "BURROW_RUNTIME_PATH\n");
		return 1;
	}
	struct error err;
	error_clear(&err);
	cleanup_strv char **names = NULL;
	if (container_list(data, &names, &err) < 0) {
		cli_report(&err);
		return 1;
	}
	if (!fancy && !json) {
		for (size_t i = 0; names[i]; i++)
			printf("%s\n", names[i]);
		return 0;
	}
	struct instance *instances = NULL;
	size_t n_instances = 0, n_rows = 0, n_names = strv_len(names);
	struct row *rows = NULL;
	struct container *containers = calloc(n_names + 1, sizeof(*containers));
	int status = 1;
	if (!containers) {
		fprintf(stderr, "burrow: out of memory\n");
		return 1;
	}
	if (instance_list(runtime, &instances, &n_instances, &err) < 0 ||
	    collect(data, names, containers, instances, n_instances, &rows, &n_rows, &err) < 0) {
		cli_report(&err);
	} else if (json) {
		status = print_json(rows, n_rows);
	} else {
		print_table(rows, n_rows);
		status = 0;
	}
	free(rows);
	for (size_t i = 0; i < n_names; i++)
		container_free(&containers[i]);
	free(containers);
	instance_list_free(instances, n_instances);
	return status;
}
