/* Joining a running instance (burrow exec): its namespaces, root, working directory and
 * environment, then a program run as burrow's child. Not the records themselves (instance.c). */
#pragma once

#include <stdbool.h>

#include "runtime/instance.h"
#include "util/error.h"

struct join_options {
	char **argv;         /* the command, looked up in the instance's PATH */
	char **env;          /* -e arguments, over the instance's environment */
	const char *workdir; /* -w; NULL: the instance's working directory */
	/* Descriptors 3 to 3+N-1 pass to the program (--preserve-fds); every other one closes. */
	unsigned int preserve_fds;
	/* A pty from the container's devpts becomes the program's controlling terminal and stdio,
	 * its master sent to this unix socket (OCI exec --tty --console-socket); NULL: none. */
	const char *console_socket;
	unsigned short console_rows, console_cols; /* its size; 0: the kernel's default */
	/* Return once the program runs and leave it running (OCI exec --detach): 0 then. */
	bool detach;
	/* Written with the pid of burrow's child (the program, or with a PID namespace the process
	 * that waits for it) once the program runs; NULL: none. */
	const char *pid_file;
};

/* Run o->argv inside in. Returns the program's exit status (128+N for signal N; 0 with detach
 * once it runs), or a SPAWN_EXIT_* status with err filled when joining or exec failed. */
int join_run(const struct instance *in, const struct join_options *o, struct error *err);
