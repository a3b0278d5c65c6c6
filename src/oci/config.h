/* An OCI bundle's config.json (runtime-spec 1.x) checked and turned into burrow's run plan, plus
 * what only the OCI face uses (hooks, annotations). Not the lifecycle: state.c and lifecycle.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/plan.h"
#include "util/error.h"

enum oci_hook_kind {
	OCI_HOOK_CREATE_RUNTIME, /* also the deprecated prestart */
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_COUNT,
};

struct oci_hook {
	char *path;  /* absolute */
	char **args; /* argv, may be NULL (then path alone) */
	char **env;  /* may be NULL */
	int timeout; /* seconds; 0: none */
};

/* Facts about the caller the mapping depends on (pure parsing: the caller passes them). */
struct oci_host {
	uint32_t uid, gid;
	const char *hostname; /* for a new UTS namespace without a hostname of its own */
};

struct oci_bundle {
	char *dir;         /* absolute bundle directory */
	char *oci_version; /* the config's ociVersion */
	struct run_plan plan;
	bool terminal;                                /* the process gets a pty (sent to --console-socket) */
	unsigned short console_height, console_width; /* process.consoleSize; 0: the kernel's */
	json_t *annotations;                          /* an object, never NULL after a successful parse */
	struct oci_hook *hooks[OCI_HOOK_COUNT];
	size_t n_hooks[OCI_HOOK_COUNT];
	char **warnings; /* fields accepted but not acted on (linux.resources without delegation) */
};

/* Parse config.json text for the bundle at dir (absolute). Every field is honoured or refused
 * with an error naming it ("config.json: linux.intelRdt is not supported"). Nothing is left
 * allocated on failure. */
int oci_config_parse(const char *text, size_t len, const char *dir, const struct oci_host *host,
                     struct oci_bundle *b, struct error *err);
/* Read dir/config.json (dir made absolute) with the calling user as host. */
int oci_bundle_load(const char *dir, struct oci_bundle *b, struct error *err);
void oci_bundle_free(struct oci_bundle *b);

/* The capability named "CAP_SYS_ADMIN" (or without "CAP_"); -1 when unknown. Pure. */
int oci_cap_from_name(const char *name);
/* The RLIMIT_* named "RLIMIT_NOFILE"; -1 when unknown. Pure. */
int oci_rlimit_from_name(const char *name);
/* A signal by name ("TERM", "SIGTERM") or number ("15"); -1 when unknown. Pure. */
int oci_signal_from_text(const char *text);

/* What a process.json asks beyond args, env and cwd. */
struct oci_process_extra {
	bool terminal;                                /* process.terminal */
	unsigned short console_height, console_width; /* process.consoleSize; 0: none */
};
/* A process.json (exec -p): args, env and cwd (NULL env or cwd when not given), and extra. */
int oci_process_parse(const char *text, size_t len, char ***argv, char ***env, char **cwd,
                      struct oci_process_extra *extra, struct error *err);

/* The config.json `burrow oci spec` writes (rootless: no mappings, filled in at start). */
char *oci_config_default(bool rootless);
