/* Joining a running instance (burrow exec): its namespaces, root, working directory and
 * environment, then a program run as burrow's child. Not the records themselves (instance.c). */
#pragma once

#include "runtime/instance.h"
#include "util/error.h"

struct join_options {
	char **argv;         /* the command, looked up in the instance's PATH */
	char **env;          /* -e arguments, over the instance's environment */
	const char *workdir; /* -w; NULL: the instance's working directory */
	/* Descriptors 3 to 3+N-1 pass to the program (--preserve-fds); every other one closes. */
	unsigned int preserve_fds;
};

/* Run o->argv inside in. Returns the program's exit status (128+N for signal N), or a
 * SPAWN_EXIT_* status with err filled when joining or exec failed. */
int join_run(const struct instance *in, const struct join_options *o, struct error *err);
