/* OCI hooks: fork, state on stdin, exec directly (no shell), wait on a pidfd with the hook's
 * timeout. */
#include "oci/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static int run_one(const char *kind, size_t index, const struct oci_hook *h, const char *state,
                   struct error *err)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return error_errno(err, "hooks.%s[%zu]: pipe", kind, index);
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return error_errno(err, "hooks.%s[%zu]: fork", kind, index);
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in[0], 0) < 0)
			_exit(127);
		char *path_only[] = {h->path, NULL};
		char *no_env[] = {NULL};
		execve(h->path, h->args && h->args[0] ? h->args : path_only, h->env ? h->env : no_env);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(in[0]);
	/* A hook that does not read its stdin must not make us fail: SIGPIPE is ignored here. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	(void)fs_write_all(in[1], state, strlen(state));
	sigaction(SIGPIPE, &old, NULL);
	close(in[1]);
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (h->timeout > 0 && pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int r;
		do
			r = poll(&p, 1, h->timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return error_set(err, ETIMEDOUT, "hooks.%s[%zu] %s: killed after its timeout of %d s",
			                 kind, index, h->path, h->timeout);
		}
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_errno(err, "hooks.%s[%zu]: wait", kind, index);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return error_set(err, ECHILD, "hooks.%s[%zu] %s: killed by signal %d", kind, index, h->path,
		                 WTERMSIG(status));
	return error_set(err, ECHILD, "hooks.%s[%zu] %s: exit status %d", kind, index, h->path,
	                 WEXITSTATUS(status));
}

int oci_hooks_run(const char *kind, const struct oci_hook *hooks, size_t n, const char *state,
                  struct error *err)
{
	for (size_t i = 0; i < n; i++)
		if (run_one(kind, i, &hooks[i], state, err) < 0)
			return -1;
	return 0;
}
