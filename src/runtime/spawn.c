/* The process side of a start (MODEL.md, process model): clone into new namespaces, map ids,
 * assemble the root, exec the program with no shell between; the parent forwards signals and
 * returns the exit status. With a new PID namespace the child is a minimal init that reaps. */
#include "runtime/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/imagefile.h"
#include "runtime/fuse_server.h"
#include "runtime/imagefile_mount.h"
#include "runtime/instance.h"
#include "runtime/process_setup.h"
#include "runtime/rootfs.h"
#include "runtime/sysctl.h"
#include "util/cleanup.h"
#include "util/paths.h"
#include "util/strv.h"

/* What a child tells the parent when the start fails before exec. */
struct child_report {
	int exit_code;
	bool fuse_failed; /* the image file's FUSE mount failed (plan.h) */
	char msg[ERROR_MSG_MAX];
};

/* clone3's argument block (linux/sched.h clashes with glibc's sched.h). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static const int forwarded_signals[] = {SIGINT,  SIGTERM, SIGHUP,   SIGQUIT,
                                        SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

void spawn_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(set, forwarded_signals[i]);
	sigaddset(set, SIGCHLD);
}

static _Noreturn void child_fail_fuse(int report_fd, int exit_code, const struct error *err, bool fuse_failed)
{
	struct child_report rep = {.exit_code = exit_code, .fuse_failed = fuse_failed};
	snprintf(rep.msg, sizeof(rep.msg), "%s", err->msg);
	ssize_t ignored = write(report_fd, &rep, sizeof(rep));
	(void)ignored;
	_exit(exit_code);
}

static _Noreturn void child_fail(int report_fd, int exit_code, const struct error *err)
{
	child_fail_fuse(report_fd, exit_code, err, false);
}

static const char *env_path(char *const *env)
{
	long i = strv_env_find(env, "PATH", 4);
	return i >= 0 ? env[i] + 5 : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* As execvpe would, but with the container's PATH and without ever falling back to a shell. */
int spawn_exec(char *const *argv, char *const *env, struct error *err)
{
	const char *cmd = argv[0];
	if (strchr(cmd, '/')) {
		execve(cmd, argv, env);
	} else if (cmd[0] != '\0') {
		char *dirs = strdup(env_path(env));
		char *save = NULL;
		int first_error = ENOENT;
		for (char *dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir;
		     dir = strtok_r(NULL, ":", &save)) {
			char full[4096];
			if (snprintf(full, sizeof(full), "%s/%s", dir, cmd) >= (int)sizeof(full))
				continue;
			execve(full, argv, env);
			if (errno != ENOENT && errno != ENOTDIR && first_error == ENOENT)
				first_error = errno;
		}
		free(dirs);
		errno = first_error;
	} else {
		errno = ENOENT;
	}
	if (errno == ENOENT || errno == ENOTDIR) {
		error_set(err, errno, "command not found in the container: %s", cmd);
		return SPAWN_EXIT_NOT_FOUND;
	}
	error_errno(err, "cannot execute %s in the container", cmd);
	return SPAWN_EXIT_NOT_EXEC;
}

static _Noreturn void exec_program(const struct run_plan *plan, const struct spawn_ops *ops, int report_fd,
                                   const sigset_t *old_mask)
{
	struct error err;
	if (ops && ops->before_exec && ops->before_exec(ops->ctx, plan, &err) < 0)
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	/* CVE-2024-21626: nothing but stdio and what the caller asked to preserve reaches the
	 * program, whatever burrow or its caller left open (docs/security.md). Before the process
	 * settings: a seccomp filter among them may forbid close_range. */
	if (close_range(3 + plan->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		error_errno(&err, "close descriptors");
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	if (process_setup_final(&plan->process, &err) < 0)
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	int code = spawn_exec(plan->argv, plan->env, &err);
	child_fail(report_fd, code, &err);
}

static int make_nondumpable(struct error *err)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return error_errno(err, "make burrow non-dumpable");
	return 0;
}

static int status_to_exit(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return SPAWN_EXIT_SETUP;
}

/* Forward signals to pid until it exits; with reap_all, also reap every orphan (we are PID 1).
 * Signals the terminal sent to the whole foreground group (SI_KERNEL) already reached it. */
int spawn_supervise(pid_t pid, bool reap_all)
{
	sigset_t set;
	spawn_signal_set(&set);
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (info.si_code != SI_KERNEL)
				kill(pid, sig);
			continue;
		}
		int status;
		pid_t w;
		while ((w = waitpid(reap_all ? -1 : pid, &status, WNOHANG)) > 0) {
			if (w == pid)
				return status_to_exit(status);
		}
	}
}

/* A new network namespace has lo, down: programs expect 127.0.0.1 to answer, as in docker. */
static int loopback_up(struct error *err)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(err, "network namespace: socket");
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (rc < 0)
		error_errno(err, "network namespace: bring up lo");
	close(fd);
	return rc < 0 ? -1 : 0;
}

static const struct {
	int flag;
	const char *name;
} ns_kinds[PLAN_NS_COUNT] = {
        [PLAN_NS_NET] = {CLONE_NEWNET, "network"},      [PLAN_NS_UTS] = {CLONE_NEWUTS, "UTS"},
        [PLAN_NS_IPC] = {CLONE_NEWIPC, "IPC"},          [PLAN_NS_PID] = {CLONE_NEWPID, "PID"},
        [PLAN_NS_CGROUP] = {CLONE_NEWCGROUP, "cgroup"}, [PLAN_NS_USER] = {CLONE_NEWUSER, "user"},
};

static int join_error(int i, const char *path, struct error *err)
{
	if (errno == EPERM && i == PLAN_NS_USER)
		return error_set(err, EPERM,
		                 "join user namespace %s: not allowed (only a user namespace made by your "
		                 "own user can be joined without privileges)",
		                 path);
	if (errno == EPERM)
		return error_set(err, EPERM,
		                 "join %s namespace %s: it belongs to another user namespace (a rootless "
		                 "container can join only namespaces owned by its own user namespace: join "
		                 "that one too)",
		                 ns_kinds[i].name, path);
	if (errno == EINVAL)
		return error_set(err, EINVAL, "join %s namespace %s: not a %s namespace", ns_kinds[i].name,
		                 path, ns_kinds[i].name);
	return error_errno(err, "join %s namespace %s", ns_kinds[i].name, path);
}

static int join_one(const int *ns_fds, int i, const char *path, struct error *err)
{
	return setns(ns_fds[i], ns_kinds[i].flag) == 0 ? 0 : join_error(i, path, err);
}

/* Opened before clone, from the host's side: once in a user namespace of its own, the child
 * may no longer open another container's /proc/PID/ns files. */
static int open_namespaces(const struct run_plan *plan, int *ns_fds, struct error *err)
{
	for (int i = 0; i < PLAN_NS_COUNT; i++) {
		if (!plan->ns_join[i])
			continue;
		ns_fds[i] = open(plan->ns_join[i], O_RDONLY | O_CLOEXEC);
		if (ns_fds[i] < 0)
			return error_errno(err, "join %s namespace %s", ns_kinds[i].name, plan->ns_join[i]);
	}
	return 0;
}

/* A joined user namespace comes instead of clone's new one: joined first (a process with our
 * euid holds every capability in a user namespace its user made), then the namespaces the
 * plan makes are unshared inside it. */
static int join_user_namespace(const struct run_plan *plan, const int *ns_fds, int flags, struct error *err)
{
	if (join_one(ns_fds, PLAN_NS_USER, plan->ns_join[PLAN_NS_USER], err) < 0)
		return -1;
	if (unshare(flags & ~CLONE_NEWUSER) < 0)
		return error_errno(err, "create namespaces in user namespace %s",
		                   plan->ns_join[PLAN_NS_USER]);
	return 0;
}

/* Join the plan's other namespaces by path, from inside the container's user namespace: the
 * kernel allows it only for namespaces that user namespace owns, never the host's. */
static int join_namespaces(const struct run_plan *plan, const int *ns_fds, struct error *err)
{
	for (int i = 0; i < PLAN_NS_COUNT; i++)
		if (i != PLAN_NS_USER && plan->ns_join[i] && join_one(ns_fds, i, plan->ns_join[i], err) < 0)
			return -1;
	return 0;
}

/* The namespaces clone makes: a joined one is not made. */
static int clone_flags(const struct run_plan *plan)
{
	int flags = CLONE_NEWUSER | CLONE_NEWNS;
	flags |= plan->new_pid ? CLONE_NEWPID : 0;
	flags |= plan->hostname ? CLONE_NEWUTS : 0;
	flags |= plan->network_none ? CLONE_NEWNET : 0;
	flags |= plan->new_ipc ? CLONE_NEWIPC : 0;
	flags |= plan->new_cgroup ? CLONE_NEWCGROUP : 0;
	for (int i = 0; i < PLAN_NS_COUNT; i++)
		if (plan->ns_join[i])
			flags &= ~ns_kinds[i].flag;
	return flags;
}

static _Noreturn void child_main(struct run_plan *plan, const struct spawn_ops *ops, const int *ns_fds,
                                 int sync_fd, int report_fd, const sigset_t *old_mask, pid_t parent)
{
	struct error err;
	error_clear(&err);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (plan->ns_join[PLAN_NS_USER]) {
		/* Made by a plain fork: the parent is always visible, whatever the plan's PID namespace. */
		if (getppid() != parent)
			_exit(SPAWN_EXIT_SETUP);
		if (join_user_namespace(plan, ns_fds, clone_flags(plan), &err) < 0)
			child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	} else if (sync_fd < 0) {
		/* Our own single-id maps we write ourselves, sparing a round trip with the parent.
		 * /proc/self/uid_map is ours to write only while we are dumpable. */
		if (!plan->new_pid && getppid() != parent)
			_exit(SPAWN_EXIT_SETUP);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (idmap_apply(0, &plan->uids, &plan->gids, &err) < 0)
			child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	} else {
		char byte;
		/* EOF instead of the go-ahead: the parent died or could not map our ids. */
		if (read(sync_fd, &byte, 1) != 1)
			_exit(SPAWN_EXIT_SETUP);
		close(sync_fd);
	}
	/* Through the host's /proc, before the container's root hides it. */
	if (process_setup_oom(&plan->process, &err) < 0 || join_namespaces(plan, ns_fds, &err) < 0)
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	/* A joined PID namespace, or one unshared after joining a user namespace, holds only our
	 * children, and a fresh procfs shows the PID namespace we are in: the rest of the start
	 * runs in a child, this process only waits for it. */
	if (plan->ns_join[PLAN_NS_PID] || (plan->ns_join[PLAN_NS_USER] && plan->new_pid)) {
		pid_t pid = fork();
		if (pid < 0) {
			error_errno(&err, "fork");
			child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
		}
		if (pid > 0) {
			close(report_fd);
			_exit(spawn_supervise(pid, false));
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	/* CVE-2019-5736: until exec this process (and, with a PID namespace, the init that stays)
	 * is burrow, and the container sees it. Non-dumpable, its /proc/PID/exe needs
	 * CAP_SYS_PTRACE in the user namespace its memory was made in: the host's, since it was
	 * forked, not exec'd, into the new one. exec makes the program dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		error_errno(&err, "make burrow non-dumpable");
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0) {
		error_errno(&err, "hostname %s", plan->hostname);
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	if (plan->network_none && !plan->ns_join[PLAN_NS_NET] && loopback_up(&err) < 0)
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	if (rootfs_enter(plan, ops, &err) < 0)
		child_fail_fuse(report_fd, SPAWN_EXIT_SETUP, &err, plan->fuse_failed);
	if (!plan->new_pid)
		exec_program(plan, ops, report_fd, old_mask);
	pid_t pid = fork();
	if (pid < 0) {
		error_errno(&err, "fork");
		child_fail(report_fd, SPAWN_EXIT_SETUP, &err);
	}
	if (pid == 0)
		exec_program(plan, ops, report_fd, old_mask);
	close(report_fd);
	_exit(spawn_supervise(pid, plan->new_pid));
}

/* An image file the child mounts over FUSE and this process serves. */
struct image_service {
	int file_fd;
	struct imagefile *img;
	struct prefetcher *prefetch;
	struct fuse_server *server;
	int sock[2]; /* [0] ours, [1] the child's */
};

static int image_service_open(struct image_service *s, const char *path, const char *argv0,
                              const char *path_env, struct error *err)
{
	s->file_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->file_fd < 0)
		return error_errno(err, "image file %s", path);
	if (imagefile_open(s->file_fd, &s->img, err) < 0) {
		error_prefix(err, "image file %s", path);
		return -1;
	}
	/* The program is decoded ahead while the child sets the container up, from the clone on
	 * (prefetcher_release). */
	s->prefetch = prefetcher_new(s->img);
	prefetcher_add_program(s->prefetch, argv0, path_env);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->sock) < 0)
		return error_errno(err, "socketpair");
	return 0;
}

/* Serve the connection the child sends; nothing when it sent none (it failed: its report says
 * why). The child waits for the answer to FUSE_INIT at its first access of the mount. */
static void image_service_serve(struct image_service *s, const struct run_plan *plan)
{
	struct error ignored;
	struct fuse_server_owners owners = {.uids = plan->uids,
	                                    .gids = plan->gids,
	                                    .self_uid = idmap_to_inside(&plan->uids, (uint32_t)getuid()),
	                                    .self_gid = idmap_to_inside(&plan->gids, (uint32_t)getgid())};
	close(s->sock[1]);
	s->sock[1] = -1;
	prefetcher_release(s->prefetch);
	int fd = imagefile_receive_fuse(s->sock[0], &ignored);
	if (fd >= 0 && fuse_server_start(s->img, s->prefetch, fd, &owners, &s->server, &ignored) < 0)
		s->server = NULL;
}

static void image_service_close(struct image_service *s)
{
	/* A server that could not stop yet still reads the image: both go with the process. */
	if (s->server && !fuse_server_stop(s->server))
		return;
	prefetcher_free(s->prefetch);
	imagefile_close(s->img);
	for (int i = 0; i < 2; i++)
		if (s->sock[i] >= 0)
			close(s->sock[i]);
	if (s->file_fd >= 0)
		close(s->file_fd);
}

int spawn_run(struct run_plan *plan, struct error *err)
{
	return spawn_run_with(plan, NULL, err);
}

int spawn_run_with(struct run_plan *plan, const struct spawn_ops *ops, struct error *err)
{
	sigset_t set, old_mask;
	spawn_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, &old_mask);
	int sync[2] = {-1, -1}, report[2] = {-1, -1};
	int rc = SPAWN_EXIT_SETUP;
	cleanup_free char *runtime = NULL;
	struct image_service image = {.file_fd = -1, .sock = {-1, -1}};
	int ns_fds[PLAN_NS_COUNT];
	for (int i = 0; i < PLAN_NS_COUNT; i++)
		ns_fds[i] = -1;
	if (sysctl_check(plan, err) < 0 || open_namespaces(plan, ns_fds, err) < 0)
		goto out;
	if (plan->overlay.image_file) {
		if (image_service_open(&image, plan->overlay.image_file, plan->argv[0], env_path(plan->env),
		                       err) < 0)
			goto out;
		plan->fuse_sock = image.sock[1];
	}
	/* Single-id maps the child writes itself; larger ones need newuidmap run from here. */
	bool join_user = plan->ns_join[PLAN_NS_USER] != NULL;
	bool child_maps = join_user || (idmap_single(&plan->uids) && idmap_single(&plan->gids));
	if ((!child_maps && pipe2(sync, O_CLOEXEC) < 0) || pipe2(report, O_CLOEXEC) < 0) {
		error_errno(err, "pipe");
		goto out;
	}
	struct clone3_args args = {
	        .flags = join_user ? 0 : (uint64_t)clone_flags(plan),
	        .exit_signal = SIGCHLD,
	};
	pid_t parent = getpid();
	/* The parent stays, visible to the container in the host's PID namespace: non-dumpable,
	 * as the child is below (CVE-2019-5736). A child that maps its own ids starts at once,
	 * so before the clone; newuidmap needs a dumpable child, so the parent's own flag
	 * waits for the maps there (the child runs nothing of the container's before). */
	if (child_maps && make_nondumpable(err) < 0)
		goto out;
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		error_errno(err, "create namespaces (see 'burrow check')");
		goto out;
	}
	if (pid == 0) {
		if (sync[1] >= 0)
			close(sync[1]);
		close(report[0]);
		if (image.sock[0] >= 0)
			close(image.sock[0]);
		child_main(plan, ops, ns_fds, sync[0], report[1], &old_mask, parent);
	}
	if (sync[0] >= 0)
		close(sync[0]);
	close(report[1]);
	sync[0] = report[1] = -1;
	if (!child_maps && idmap_apply(pid, &plan->uids, &plan->gids, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (!child_maps && make_nondumpable(err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (!child_maps && write(sync[1], "", 1) != 1) {
		error_errno(err, "start container");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (plan->overlay.image_file)
		image_service_serve(&image, plan);
	if (ops && ops->created && ops->created(ops->ctx, pid, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	struct child_report rep;
	ssize_t n;
	do
		n = read(report[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		int status;
		waitpid(pid, &status, 0);
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		error_set(err, 0, "%s", rep.msg);
		rc = n == (ssize_t)sizeof(rep) ? rep.exit_code : SPAWN_EXIT_SETUP;
		plan->fuse_failed = n == (ssize_t)sizeof(rep) && rep.fuse_failed;
		goto out;
	}
	/* The program runs: its record lets exec and list find it until it ends. */
	struct instance in = {.pid = pid,
	                      .name = plan->label,
	                      .container = plan->label_is_container,
	                      .argv = plan->argv,
	                      .burrow_pid = parent,
	                      .namespaces = clone_flags(plan)};
	runtime = paths_runtime();
	if (!runtime || instance_write(runtime, &in, err) < 0) {
		if (!runtime)
			error_set(err, ENOMEM, "cannot find the runtime path; set BURROW_RUNTIME_PATH");
		error_prefix(err, "record the running instance");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	rc = spawn_supervise(pid, false);
	instance_remove(runtime, pid);
	error_clear(err);
out:
	for (int i = 0; i < PLAN_NS_COUNT; i++)
		if (ns_fds[i] >= 0)
			close(ns_fds[i]);
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (report[i] >= 0)
			close(report[i]);
	}
	if (plan->overlay.image_file)
		image_service_close(&image);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return rc;
}
