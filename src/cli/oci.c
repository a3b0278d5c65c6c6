/* burrow oci [GLOBAL OPTIONS] VERB ...: runc's command line (also when burrow runs as `runc` or
 * `burrow-runc`). Global options come before the verb, as runc takes them. */
#include "cli/oci.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/paths.h"

static const char usage_text[] =
        "usage: burrow oci [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS...]\n"
        "\n"
        "An OCI runtime with runc's command line (see docs/oci.md).\n"
        "\n"
        "commands:\n"
        "  spec [--rootless] [-b BUNDLE]       write a config.json template\n"
        "  create [-b BUNDLE] [--pid-file F] ID create a container, waiting to be started\n"
        "  start ID                            start a created container\n"
        "  run [-b BUNDLE] [-d] [--pid-file F] ID  create and start (foreground unless -d)\n"
        "  state ID                            the container's state as JSON\n"
        "  kill [-a] ID [SIGNAL]               signal the container's process (default TERM)\n"
        "  delete [-f] ID                      remove a stopped container\n"
        "  exec [-e K=V] [--cwd DIR] [-p process.json] [-t --console-socket S] [-d] [--pid-file F]\n"
        "       ID [COMMAND...]                run a program inside\n"
        "  list [--format table|json] [-q]     list containers\n"
        "  ps [--format table|json] ID         the container's processes\n"
        "  features                            what this runtime supports, as JSON\n"
        "\n"
        "global options:\n"
        "  --root DIR            state directory (default: the runtime path's oci/)\n"
        "  --log FILE            append errors to FILE\n"
        "  --log-format text|json\n"
        "  --debug               accepted\n"
        "  --rootless[=BOOL], --systemd-cgroup   accepted (burrow is always rootless)\n";

static const struct {
	const char *name;
	int (*run)(const struct oci_cli *g, int argc, char **argv);
} verbs[] = {
        {"create", oci_cmd_create},     {"start", oci_cmd_start}, {"run", oci_cmd_run},
        {"state", oci_cmd_state},       {"kill", oci_cmd_kill},   {"delete", oci_cmd_delete},
        {"list", oci_cmd_list},         {"ps", oci_cmd_ps},       {"spec", oci_cmd_spec},
        {"features", oci_cmd_features}, {"exec", oci_cmd_exec},
};

int oci_cli_fail(const struct oci_cli *g, const struct error *err)
{
	const char *msg = err->msg[0] ? err->msg : "unknown error";
	fprintf(stderr, "burrow: %s\n", msg);
	FILE *log = g->log ? fopen(g->log, "ae") : NULL;
	if (log) {
		char when[64];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (g->log_json) {
			fputs("{\"level\":\"error\",\"msg\":\"", log);
			for (const char *c = msg; *c; c++) {
				if (*c == '"' || *c == '\\')
					fputc('\\', log);
				if ((unsigned char)*c >= 0x20)
					fputc(*c, log);
			}
			fprintf(log, "\",\"time\":\"%s\"}\n", when);
		} else {
			fprintf(log, "time=\"%s\" level=error msg=\"%s\"\n", when, msg);
		}
		fclose(log);
	}
	return 1;
}

int oci_cli_usage(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "burrow oci %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'burrow oci --help')\n");
	return 2;
}

/* "--name=value" or "--name value": the value, advancing *i; NULL when it is not this option. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int cmd_oci(int argc, char **argv)
{
	struct oci_cli g = {0};
	cleanup_free char *default_root = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		bool missing = false;
		const char *v;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
			printf("burrow 0.1.0\nspec: 1.0.2\n");
			return 0;
		}
		if ((v = option_value(argc, argv, &i, "--root", &missing)))
			g.root = v;
		else if ((v = option_value(argc, argv, &i, "--log-format", &missing))) {
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
				return oci_cli_usage("", "--log-format takes text or json, not '%s'", v);
			g.log_json = strcmp(v, "json") == 0;
		} else if ((v = option_value(argc, argv, &i, "--log", &missing)))
			g.log = v;
		else if ((v = option_value(argc, argv, &i, "--criu", &missing)))
			continue;
		else if (missing)
			return oci_cli_usage("", "option '%s' needs a value", a);
		else if (strcmp(a, "--debug") == 0 || strcmp(a, "--systemd-cgroup") == 0 ||
		         strcmp(a, "--rootless") == 0 || strcmp(a, "--rootless=true") == 0 ||
		         strcmp(a, "--rootless=false") == 0 || strcmp(a, "--rootless=auto") == 0)
			g.debug = g.debug || strcmp(a, "--debug") == 0;
		else
			return oci_cli_usage("", "unknown global option '%s'", a);
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!g.root) {
		cleanup_free char *runtime = paths_runtime();
		if (!runtime || asprintf(&default_root, "%s/oci", runtime) < 0) {
			fprintf(stderr,
			        "burrow: cannot find the runtime path; set BURROW_RUNTIME_PATH or --root\n");
			return 1;
		}
		g.root = default_root;
	}
	if (g.root[0] != '/')
		return oci_cli_usage("", "--root must be an absolute path, not '%s'", g.root);
	for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (strcmp(argv[i], verbs[k].name) == 0)
			return verbs[k].run(&g, argc - i, argv + i);
	fprintf(stderr, "burrow oci: unknown command '%s' (see 'burrow oci --help')\n", argv[i]);
	return 2;
}
