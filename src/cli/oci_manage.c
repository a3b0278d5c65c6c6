/* burrow oci state, kill, delete, list and ps: flags, the lifecycle library, printing. */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/oci.h"
#include "oci/config.h"
#include "oci/lifecycle.h"

static int print_json(json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return 1;
	printf("%s\n", text);
	free(text);
	return 0;
}

int oci_cmd_state(const struct oci_cli *g, int argc, char **argv)
{
	if (argc != 2)
		return oci_cli_usage("state", "expected one container ID");
	struct error err;
	error_clear(&err);
	json_t *doc = oci_state_get(g->root, argv[1], &err);
	return doc ? print_json(doc) : oci_cli_fail(g, &err);
}

int oci_cmd_kill(const struct oci_cli *g, int argc, char **argv)
{
	static const struct option longopts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
	bool all = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "a", longopts, NULL)) != -1) {
		if (opt != 'a')
			return oci_cli_usage("kill", "unknown option '%s'", argv[optind - 1]);
		all = true;
	}
	if (optind >= argc || argc - optind > 2)
		return oci_cli_usage("kill", "expected a container ID and an optional SIGNAL");
	int sig = SIGTERM;
	if (argc - optind == 2 && (sig = oci_signal_from_text(argv[optind + 1])) < 0)
		return oci_cli_usage("kill", "unknown signal '%s' (a name such as KILL or a number)",
		                     argv[optind + 1]);
	struct error err;
	error_clear(&err);
	return oci_kill(g->root, argv[optind], sig, all, &err) < 0 ? oci_cli_fail(g, &err) : 0;
}

int oci_cmd_delete(const struct oci_cli *g, int argc, char **argv)
{
	static const struct option longopts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	bool force = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		if (opt != 'f')
			return oci_cli_usage("delete", "unknown option '%s'", argv[optind - 1]);
		force = true;
	}
	if (optind != argc - 1)
		return oci_cli_usage("delete", "expected one container ID");
	struct error err;
	error_clear(&err);
	return oci_delete(g->root, argv[optind], force, &err) < 0 ? oci_cli_fail(g, &err) : 0;
}

/* --format table|json and -q, shared by list and ps. */
static int parse_format(const char *verb, int argc, char **argv, bool *json, bool *quiet)
{
	static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
	                                         {"quiet", no_argument, NULL, 'q'},
	                                         {NULL, 0, NULL, 0}};
	int opt;
	optind = 1;
	opterr = 0;
	*json = *quiet = false;
	while ((opt = getopt_long(argc, argv, "f:q", longopts, NULL)) != -1) {
		if (opt == 'q' && quiet) {
			*quiet = true;
		} else if (opt == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0)) {
			*json = strcmp(optarg, "json") == 0;
		} else {
			return oci_cli_usage(verb, "unknown option or format '%s' (--format table|json)",
			                     argv[optind - 1]);
		}
	}
	return 0;
}

int oci_cmd_list(const struct oci_cli *g, int argc, char **argv)
{
	bool json, quiet;
	int rc = parse_format("list", argc, argv, &json, &quiet);
	if (rc)
		return rc;
	if (optind != argc)
		return oci_cli_usage("list", "takes no arguments");
	struct error err;
	error_clear(&err);
	json_t *arr = oci_list(g->root, &err);
	if (!arr)
		return oci_cli_fail(g, &err);
	if (json)
		return print_json(arr);
	if (!quiet)
		printf("%-20s %-8s %-8s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
		       "OWNER");
	size_t i;
	json_t *s;
	json_array_foreach(arr, i, s)
	{
		if (quiet) {
			printf("%s\n", json_string_value(json_object_get(s, "id")));
			continue;
		}
		printf("%-20s %-8lld %-8s %-40s %-31s %lld\n", json_string_value(json_object_get(s, "id")),
		       (long long)json_integer_value(json_object_get(s, "pid")),
		       json_string_value(json_object_get(s, "status")),
		       json_string_value(json_object_get(s, "bundle")),
		       json_string_value(json_object_get(s, "created")),
		       (long long)json_integer_value(json_object_get(s, "owner")));
	}
	json_decref(arr);
	return 0;
}

int oci_cmd_ps(const struct oci_cli *g, int argc, char **argv)
{
	bool json, quiet;
	int rc = parse_format("ps", argc, argv, &json, &quiet);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return oci_cli_usage("ps", "expected one container ID");
	struct error err;
	error_clear(&err);
	pid_t *pids;
	size_t n;
	if (oci_ps(g->root, argv[optind], &pids, &n, &err) < 0)
		return oci_cli_fail(g, &err);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_integer(pids[i]));
		free(pids);
		return print_json(arr);
	}
	printf("PID\n");
	for (size_t i = 0; i < n; i++)
		printf("%d\n", (int)pids[i]);
	free(pids);
	return 0;
}
