/* hooks.d programs: forked and exec'd directly (a #! line picks an interpreter, never a shell of
 * ours) from the container's first process, so they share its namespaces and identity. */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/environ.h"
#include "runtime/plan_config.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define HOOK_OUTPUT_MAX (1 << 20)
/* The descriptors a hook finds its two files on. */
#define HOOK_ENVIRON_FD 3
#define HOOK_MOUNTS_FD  4

/* Our pid as the host sees it: /proc is still the host's, so /proc/self names it there even
 * from inside a new PID namespace. */
static long host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return (long)getpid();
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static _Noreturn void exec_hook(const char *hook, const char *root, long container_pid, int environ_fd,
                                int mounts_fd)
{
	/* Through spare numbers first: either file may already sit on 3 or 4. */
	int e = fcntl(environ_fd, F_DUPFD_CLOEXEC, 10), m = fcntl(mounts_fd, F_DUPFD_CLOEXEC, 10);
	if (e < 0 || m < 0 || dup2(e, HOOK_ENVIRON_FD) < 0 || dup2(m, HOOK_MOUNTS_FD) < 0)
		_exit(127);
	/* A hook must not outlive a start that was killed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	long self = host_pid();
	char rootfs[PATH_MAX + 16], pid[48], env_file[64], mounts_file[64];
	snprintf(rootfs, sizeof(rootfs), "BURROW_ROOTFS=%s", root);
	snprintf(pid, sizeof(pid), "BURROW_PID=%ld", container_pid);
	snprintf(env_file, sizeof(env_file), "BURROW_ENVIRON=/proc/%ld/fd/%d", self, HOOK_ENVIRON_FD);
	snprintf(mounts_file, sizeof(mounts_file), "BURROW_MOUNTS=/proc/%ld/fd/%d", self, HOOK_MOUNTS_FD);
	char *env[] = {"PATH=" ENVIRON_DEFAULT_PATH, rootfs, pid, env_file, mounts_file, NULL};
	char *argv[] = {(char *)hook, NULL};
	execve(hook, argv, env);
	_exit(errno == ENOENT ? 127 : 126);
}

/* The bytes a hook wrote to fd, which is then emptied for the next hook. */
static char *take_output(int fd, const char *hook, struct error *err)
{
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0 || size > HOOK_OUTPUT_MAX)
		return error_set(err, EFBIG, "hook %s: wrote more than 1 MiB of lines", hook), NULL;
	char *text = malloc((size_t)size + 1);
	if (!text)
		return error_set(err, ENOMEM, "out of memory"), NULL;
	ssize_t n = pread(fd, text, (size_t)size, 0);
	if (n != size || ftruncate(fd, 0) < 0) {
		free(text);
		return error_errno(err, "hook %s: read its lines", hook), NULL;
	}
	text[size] = '\0';
	return text;
}

static int take_environ(struct run_plan *plan, int fd, const char *hook, struct error *err)
{
	cleanup_free char *text = take_output(fd, hook, err);
	cleanup_strv char **entries = text ? environ_parse_file(text, err) : NULL;
	if (!entries) {
		if (text)
			error_prefix(err, "hook %s: BURROW_ENVIRON", hook);
		return -1;
	}
	for (size_t i = 0; entries[i]; i++) {
		if (!strchr(entries[i], '=') || !environ_entry_valid(entries[i]))
			return error_set(err, EINVAL, "hook %s: BURROW_ENVIRON line '%s' is not KEY=VALUE",
			                 hook, entries[i]);
		if (strv_env_set(&plan->env, entries[i]) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int take_mounts(struct run_plan *plan, int fd, const char *hook, struct error *err)
{
	cleanup_free char *text = take_output(fd, hook, err);
	if (!text)
		return -1;
	char origin[PATH_MAX + 32];
	snprintf(origin, sizeof(origin), "hook %s: BURROW_MOUNTS", hook);
	return plan_config_add_mounts(plan, text, origin, err);
}

static int run_one(struct run_plan *plan, const char *hook, const char *root, long container_pid,
                   int environ_fd, int mounts_fd, struct error *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return error_errno(err, "hook %s: fork", hook);
	if (pid == 0)
		exec_hook(hook, root, container_pid, environ_fd, mounts_fd);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_errno(err, "hook %s: wait", hook);
	if (WIFSIGNALED(status))
		return error_set(err, 0, "hook %s was killed by signal %d", hook, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return error_set(err, 0, "hook %s failed with exit status %d%s", hook, WEXITSTATUS(status),
		                 WEXITSTATUS(status) >= 126 ? " (is it a program with a valid #! line?)"
		                                            : "");
	if (take_environ(plan, environ_fd, hook, err) < 0 || take_mounts(plan, mounts_fd, hook, err) < 0)
		return -1;
	return 0;
}

int hooks_run(struct run_plan *plan, const char *root, struct error *err)
{
	if (!plan->hooks || !plan->hooks[0])
		return 0;
	/* Files in memory: nothing to clean up on the host whatever happens to the start. */
	cleanup_close int environ_fd = memfd_create("burrow-environ", MFD_CLOEXEC);
	cleanup_close int mounts_fd = memfd_create("burrow-mounts", MFD_CLOEXEC);
	if (environ_fd < 0 || mounts_fd < 0)
		return error_errno(err, "hooks: memfd");
	long container_pid = host_pid();
	for (size_t i = 0; plan->hooks[i]; i++)
		if (run_one(plan, plan->hooks[i], root, container_pid, environ_fd, mounts_fd, err) < 0)
			return -1;
	return 0;
}
