/* burrow oci create, start and run: flags, then the lifecycle library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/oci.h"
#include "oci/config.h"
#include "oci/lifecycle.h"
#include "oci/state.h"
#include "runtime/spawn.h"

struct launch_flags {
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	bool detach;
	const char *id;
	unsigned int preserve_fds;
};

/* create and run share their flags; run alone takes -d. */
static int parse_launch(const char *verb, int argc, char **argv, bool allow_detach, struct launch_flags *f)
{
	static const struct option longopts[] = {
	        {"bundle", required_argument, NULL, 'b'},
	        {"pid-file", required_argument, NULL, 'P'},
	        {"console-socket", required_argument, NULL, 'C'},
	        {"detach", no_argument, NULL, 'd'},
	        {"no-pivot", no_argument, NULL, 'N'},
	        {"no-new-keyring", no_argument, NULL, 'K'},
	        {"preserve-fds", required_argument, NULL, 'F'},
	        {"keep", no_argument, NULL, 'k'},
	        {NULL, 0, NULL, 0},
	};
	*f = (struct launch_flags){.bundle = "."};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "b:d", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			f->bundle = optarg;
			break;
		case 'P':
			f->pid_file = optarg;
			break;
		case 'C':
			f->console_socket = optarg;
			break;
		case 'd':
			if (!allow_detach)
				return oci_cli_usage(verb, "unknown option '-d'");
			f->detach = true;
			break;
		case 'F': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n > 1024)
				return oci_cli_usage(verb,
				                     "--preserve-fds takes a number of descriptors, not '%s'",
				                     optarg);
			f->preserve_fds = (unsigned int)n;
			break;
		}
		case 'N':
		case 'K':
		case 'k':
			break; /* burrow always pivots; keyrings and --keep change nothing here */
		default:
			return oci_cli_usage(verb, "unknown option or missing value '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return oci_cli_usage(verb, "expected one container ID");
	f->id = argv[optind];
	struct error err;
	if (oci_id_check(f->id, &err) < 0) {
		fprintf(stderr, "burrow: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int load(const struct oci_cli *g, const struct launch_flags *f, struct oci_bundle *b,
                struct error *err)
{
	if (oci_bundle_load(f->bundle, b, err) < 0)
		return oci_cli_fail(g, err);
	/* Descriptors 3 to 3+N-1 of ours reach the program (runc's --preserve-fds). */
	b->plan.preserve_fds = f->preserve_fds;
	for (size_t i = 0; b->warnings && b->warnings[i]; i++)
		fprintf(stderr, "burrow: warning: %s\n", b->warnings[i]);
	return 0;
}

/* create, or run (foreground, or -d: create then start). */
static int launch(const struct oci_cli *g, bool run, int argc, char **argv)
{
	struct launch_flags f;
	int rc = parse_launch(run ? "run" : "create", argc, argv, run, &f);
	if (rc)
		return rc;
	struct error err;
	error_clear(&err);
	struct oci_bundle b;
	if ((rc = load(g, &f, &b, &err)))
		return rc;
	struct oci_launch_options o = {
	        .root = g->root, .id = f.id, .pid_file = f.pid_file, .console_socket = f.console_socket};
	if (!run || f.detach) {
		rc = oci_create(&b, &o, &err) < 0 || (run && oci_start(g->root, f.id, &err) < 0)
		             ? oci_cli_fail(g, &err)
		             : 0;
	} else {
		rc = oci_run(&b, &o, &err);
		if (err.msg[0])
			oci_cli_fail(g, &err);
	}
	oci_bundle_free(&b);
	return rc;
}

int oci_cmd_create(const struct oci_cli *g, int argc, char **argv)
{
	return launch(g, false, argc, argv);
}

int oci_cmd_start(const struct oci_cli *g, int argc, char **argv)
{
	if (argc != 2)
		return oci_cli_usage("start", "expected one container ID");
	struct error err;
	error_clear(&err);
	return oci_start(g->root, argv[1], &err) < 0 ? oci_cli_fail(g, &err) : 0;
}

int oci_cmd_run(const struct oci_cli *g, int argc, char **argv)
{
	return launch(g, true, argc, argv);
}
