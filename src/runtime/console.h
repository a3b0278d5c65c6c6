/* A terminal handed to an OCI client (runc's --console-socket protocol): a pty opened in the
 * container, its master sent over a unix socket, its slave the process's controlling terminal
 * and stdio. */
#pragma once

#include "util/error.h"

/* Connect to the unix stream socket at path; the descriptor (O_CLOEXEC), or -1 with err. */
int console_connect(const char *path, struct error *err);

/* In the process about to exec: open a pty through /dev/ptmx (the container's devpts), size it
 * rows x cols unless both are 0, send its master over sock (one byte, SCM_RIGHTS), then start a
 * session with the slave as its controlling terminal and stdio. 0, or -1 with err. */
int console_setup(int sock, unsigned short rows, unsigned short cols, struct error *err);
