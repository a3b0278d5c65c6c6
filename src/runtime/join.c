/* burrow exec's process side: open the instance by pidfd (checked against its start time), take
 * its cwd and environment from /proc, fork; the child joins every namespace the instance made
 * with one setns on the pidfd and execs. With a PID namespace the join holds for the child's
 * children only, so the child forks once more and supervises, as a start's parent does. */
#include "runtime/join.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/environ.h"
#include "runtime/rootfs.h"
#include "runtime/spawn.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define ENVIRON_MAX (4 * 1024 * 1024)
#define JOINABLE    (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWIPC)

extern char **environ;

struct join_report {
	int exit_code;
	char msg[ERROR_MSG_MAX];
};

/* With a PID namespace the instance's pid is burrow's init; the program is its first child. */
static pid_t program_pid(const struct instance *in)
{
	if (!(in->namespaces & CLONE_NEWPID))
		return in->pid;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)in->pid, (int)in->pid);
	struct error err;
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, 4096, NULL, &err);
	long child = text ? strtol(text, NULL, 10) : 0;
	return child > 0 ? (pid_t)child : in->pid;
}

static int dup_cloexec(int fd, struct error *err)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return copy >= 0 ? copy : error_errno(err, "dup");
}

/* The pidfd to join through. With a PID namespace, the program's: the init there is burrow,
 * non-dumpable (CVE-2019-5736), and setns through its pidfd is refused. The program's pid is
 * checked, after opening, to still be the instance's child, so it cannot be a recycled pid. */
static int open_join_pidfd(const struct instance *in, pid_t program, int instance_fd, struct error *err)
{
	if (program == in->pid)
		return dup_cloexec(instance_fd, err);
	int fd = (int)syscall(SYS_pidfd_open, program, 0);
	if (fd < 0)
		return error_errno(err, "process %d", (int)program);
	if (instance_process_parent(program) != in->pid || !instance_alive(in)) {
		close(fd);
		return error_set(err, ESRCH, "process %d ended", (int)in->pid);
	}
	return fd;
}

static char **read_environ(pid_t pid, struct error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	size_t len;
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, ENVIRON_MAX, &len, err);
	if (!text) {
		error_prefix(err, "environment of process %d", (int)pid);
		return NULL;
	}
	cleanup_strv char **env = calloc(1, sizeof(char *));
	for (size_t at = 0; env && at < len; at += strlen(text + at) + 1) {
		if (strchr(text + at, '=') && strv_push(&env, text + at) < 0) {
			error_set(err, ENOMEM, "out of memory");
			return NULL;
		}
	}
	if (!env)
		error_set(err, ENOMEM, "out of memory");
	return steal_pointer(&env);
}

static _Noreturn void child_fail(int report_fd, int exit_code, const struct error *err)
{
	struct join_report rep = {.exit_code = exit_code};
	snprintf(rep.msg, sizeof(rep.msg), "%s", err->msg);
	ssize_t ignored = write(report_fd, &rep, sizeof(rep));
	(void)ignored;
	_exit(exit_code);
}

static _Noreturn void exec_command(const struct join_options *o, char *const *env, int console_fd,
                                   bool with_parent, int report_fd, const sigset_t *old_mask)
{
	struct error err;
	if (with_parent)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	if (console_fd >= 0) {
		if (console_setup(console_fd, o->console_rows, o->console_cols, &err) < 0) {
			error_prefix(&err, "--tty");
			child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
		}
		close(console_fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		error_errno(&err, "no_new_privs");
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	int code = spawn_exec(o->argv, env, &err);
	child_fail(report_fd, code, &err);
}

static _Noreturn void child_main(const struct instance *in, const struct join_options *o, int pidfd,
                                 int cwd_fd, int console_fd, char *const *env, int report_fd,
                                 const sigset_t *old_mask)
{
	struct error err;
	/* Detached, it outlives us. */
	if (!o->detach)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* One call joins them all in the kernel's order (user first), and sets root and cwd to the
	 * mount namespace's root: the container's, after its pivot_root. */
	if (setns(pidfd, in->namespaces & JOINABLE) < 0) {
		error_errno(&err, "join the namespaces of process %d", (int)in->pid);
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	/* The instance's working directory, when it still exists (a removed one has no links
	 * left); else the root. */
	struct stat st;
	char buf[4096];
	/* A cwd the container's root cannot reach (getcwd fails on "(unreachable)") is not
	 * followed (CVE-2024-21626). */
	if (cwd_fd < 0 || fstat(cwd_fd, &st) < 0 || st.st_nlink == 0 || fchdir(cwd_fd) < 0 ||
	    (!getcwd(buf, sizeof(buf)) && errno != ERANGE)) {
		if (chdir("/") < 0) {
			error_errno(&err, "working directory /");
			child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
		}
	}
	if (o->workdir && rootfs_chdir(o->workdir, &err) < 0)
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	close(pidfd);
	if (cwd_fd >= 0)
		close(cwd_fd);
	/* CVE-2024-21626: nothing but stdio and what the caller asked to preserve reaches the
	 * program, whatever burrow or its caller left open (docs/security.md). */
	if (close_range(3 + o->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		error_errno(&err, "close descriptors");
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	if (!(in->namespaces & CLONE_NEWPID))
		exec_command(o, env, console_fd, !o->detach, report_fd, old_mask);
	pid_t pid = fork();
	if (pid < 0) {
		error_errno(&err, "fork");
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	if (pid == 0)
		exec_command(o, env, console_fd, true, report_fd, old_mask);
	close(report_fd);
	if (console_fd >= 0)
		close(console_fd);
	_exit(spawn_supervise(pid, false));
}

int join_run(const struct instance *in, const struct join_options *o, struct error *err)
{
	/* This process and its child until exec are burrow, visible to the container: neither
	 * may hand it /proc/PID/exe (CVE-2019-5736; see spawn.c). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		error_errno(err, "make burrow non-dumpable");
		return SPAWN_EXIT_SETUP;
	}
	cleanup_close int instance_fd = instance_open_pidfd(in, err);
	if (instance_fd < 0)
		return SPAWN_EXIT_SETUP;
	pid_t program = program_pid(in);
	cleanup_close int pidfd = open_join_pidfd(in, program, instance_fd, err);
	if (pidfd < 0)
		return SPAWN_EXIT_SETUP;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)program);
	cleanup_close int cwd_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_strv char **env = read_environ(program, err);
	if (!env || environ_override(&env, environ, o->env, err) < 0)
		return SPAWN_EXIT_SETUP;
	/* What /proc gave must have come from the instance, not from a process that took its pid. */
	if (!instance_alive(in)) {
		error_set(err, ESRCH, "process %d ended", (int)in->pid);
		return SPAWN_EXIT_SETUP;
	}
	cleanup_close int console_fd = o->console_socket ? console_connect(o->console_socket, err) : -1;
	if (o->console_socket && console_fd < 0)
		return SPAWN_EXIT_SETUP;
	sigset_t set, old_mask;
	spawn_signal_set(&set);
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0) {
		error_errno(err, "pipe");
		return SPAWN_EXIT_SETUP;
	}
	sigprocmask(SIG_BLOCK, &set, &old_mask);
	int rc = SPAWN_EXIT_SETUP;
	pid_t pid = fork();
	if (pid < 0) {
		error_errno(err, "fork");
		close(report[1]);
		goto out;
	}
	if (pid == 0) {
		close(report[0]);
		child_main(in, o, pidfd, cwd_fd, console_fd, env, report[1], &old_mask);
	}
	close(report[1]);
	if (console_fd >= 0)
		close(steal_fd(&console_fd));
	struct join_report rep;
	ssize_t n;
	do
		n = read(report[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		waitpid(pid, NULL, 0);
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		error_set(err, 0, "%s", rep.msg);
		rc = n == (ssize_t)sizeof(rep) ? rep.exit_code : SPAWN_EXIT_SETUP;
		goto out;
	}
	if (o->pid_file) {
		char text[32];
		int len = snprintf(text, sizeof(text), "%d", (int)pid);
		if (fs_write_file_atomic(o->pid_file, text, (size_t)len, 0644, err) < 0) {
			error_prefix(err, "--pid-file");
			/* It runs, and nobody would know its pid: it goes. */
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			goto out;
		}
	}
	error_clear(err);
	rc = o->detach ? 0 : spawn_supervise(pid, false);
out:
	close(report[0]);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return rc;
}
