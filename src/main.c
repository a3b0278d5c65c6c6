/* burrow's entry point: picks the verb and hands over. Printing and exit statuses for
 * library errors happen here and in cli/, nowhere else. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/config.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
        {"create", cmd_create,
         "create [--name NAME] [-f] SOURCE    make a container from a directory or tar file"},
        {"start", cmd_start, "start [OPTIONS] NAME [COMMAND...]    run a program in a container"},
        {"run", cmd_run,
         "run [OPTIONS] IMAGE [COMMAND...]     docker run: a one-shot container from an image"},
        {"exec", cmd_exec, "exec [OPTIONS] NAME|PID COMMAND...   run a program in a running container"},
        {"list", cmd_list, "list [--fancy|--json]                list containers and running instances"},
        {"remove", cmd_remove, "remove [-f] NAME...                  remove containers"},
        {"check", cmd_check, "check                                check this host's readiness"},
        {"pull", cmd_pull, "pull [--arch A] REF                  fetch an image from a registry"},
        {"import", cmd_import, "import [-o FILE] [-f] REF            an image as one squashfs file (.sqsh)"},
        {"export", cmd_export,
         "export [-o FILE] [-f] NAME           a container as one squashfs file (.sqsh)"},
        {"images", cmd_images, "images [--json] [NAME]               list images in the store"},
        {"rmi", cmd_rmi, "rmi NAME...                          remove images from the store"},
        {"gc", cmd_gc, "gc [--dry-run]                       free what no image or container uses"},
        {"fsck", cmd_fsck, "fsck [--repair]                      check the image store"},
        {"tag", cmd_tag, "tag SRC DST                          give an image in the store another name"},
        {"inspect", cmd_inspect,
         "inspect IMAGE                        an image's manifest and config as JSON"},
        {"digest", cmd_digest, "digest [--arch A] REF                a reference's digest in its registry"},
        {"login", cmd_login,
         "login [-u USER] REGISTRY             check and save credentials for a registry"},
        {"logout", cmd_logout,
         "logout REGISTRY                      remove saved credentials for a registry"},
        {"info", cmd_info,
         "info [--json]                        settings, where each came from, config files"},
        {"oci", cmd_oci, "oci [--root DIR] COMMAND ...         the OCI runtime, as runc (see docs/oci.md)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: burrow COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  %s\n", verbs[i].summary);
	fprintf(out, "\nburrow COMMAND --help shows a command's options.\n");
}

void cli_report(const struct error *err)
{
	fprintf(stderr, "burrow: %s\n", err->msg[0] ? err->msg : "unknown error");
}

const char *cli_human_bytes(uint64_t bytes, char out[32])
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double value = (double)bytes;
	size_t unit = 0;
	while (value >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		value /= 1024;
		unit++;
	}
	if (unit == 0)
		snprintf(out, 32, "%" PRIu64 " B", bytes);
	else
		snprintf(out, 32, "%.1f %s", value, units[unit]);
	return out;
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "burrow %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'burrow %s --help')\n", verb);
	return 2;
}

int main(int argc, char **argv)
{
	/* Installed as runc or burrow-runc (a symlink), burrow is the OCI runtime alone. */
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(self, "runc") == 0 || strcmp(self, "burrow-runc") == 0) {
		struct error err;
		error_clear(&err);
		if (config_load(&err) < 0) {
			cli_report(&err);
			return 2;
		}
		return cmd_oci(argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("burrow 0.1.0\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[1], verbs[i].name) != 0)
			continue;
		struct error err;
		error_clear(&err);
		if (config_load(&err) < 0) {
			cli_report(&err);
			return 2;
		}
		return verbs[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "burrow: unknown command '%s' (see 'burrow --help')\n", argv[1]);
	return 2;
}
