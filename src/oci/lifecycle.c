/* The OCI lifecycle on burrow's start path (spawn_run_with). The container's process, once its
 * mounts are made, tells its parent, which runs the createRuntime hooks and answers with the
 * state; the process runs the createContainer hooks there, in its namespaces before
 * pivot_root. Last before exec it tells its parent it is ready and waits for a release: the exec
 * fifo in the state directory (create, then start from another process: a writer hands it the
 * state and a NUL) or a pipe from its parent (run). It then runs the startContainer hooks and
 * execs. */
#include "oci/lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci/hooks.h"
#include "oci/state.h"
#include "runtime/console.h"
#include "runtime/instance.h"
#include "runtime/spawn.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define RELEASE_MAX (1 << 20)

struct launch {
	struct oci_bundle *b;
	int dir_fd;
	struct oci_state state;
	int ready[2];  /* the process -> its parent: one byte once its mounts are made, one when it
	                * waits for the release */
	int go[2];     /* its parent -> the process: the state and a NUL, after createRuntime */
	int release_r; /* the process reads the release from it */
	int release_w; /* run: its parent writes the release; -1 for create */
	int notify_fd; /* create: the monitor tells the creating process (NUL: created) */
	bool notified; /* the creator has its answer */
	bool foreground;
	const char *pid_file; /* run: written once the process exists */
	int console_fd;       /* process.terminal: connected to --console-socket */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static char *state_text(const struct oci_state *s, enum oci_status status)
{
	json_t *doc = oci_state_public(s, status);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

/* The state and a NUL to the container's process; a process that ended gives EPIPE, not
 * SIGPIPE. 0, or -1 with errno. */
static int send_state(int fd, const struct oci_state *s)
{
	cleanup_free char *text = state_text(s, OCI_STATUS_CREATED);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	int rc = fs_write_all(fd, text, strlen(text) + 1);
	int saved = errno;
	sigaction(SIGPIPE, &old, NULL);
	errno = saved;
	return rc;
}

static int run_hooks(const struct oci_bundle *b, enum oci_hook_kind kind, const char *name,
                     const struct oci_state *s, enum oci_status status, struct error *err)
{
	if (!b->n_hooks[kind])
		return 0;
	cleanup_free char *text = state_text(s, status);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	return oci_hooks_run(name, b->hooks[kind], b->n_hooks[kind], text, err);
}

/* Read a message ending in a NUL from fd into *text (malloc'd); what ends it first is an error. */
static int read_message(int fd, char **text, struct error *err)
{
	cleanup_free char *buf = malloc(RELEASE_MAX);
	size_t used = 0;
	if (!buf)
		return error_set(err, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + used, RELEASE_MAX - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, ECANCELED, "the container was not started");
		used += (size_t)n;
		if (memchr(buf, '\0', used))
			break;
		if (used == RELEASE_MAX - 1)
			return error_set(err, EFBIG, "the start message is too long");
	}
	*text = buf;
	buf = NULL;
	return 0;
}

/* One byte from the process; false when it ended instead (its report says why). */
static bool await_process(int fd)
{
	char byte;
	ssize_t n;
	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

static int write_pid_file(const char *path, pid_t pid, struct error *err)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%d", (int)pid);
	if (fs_write_file_atomic(path, text, (size_t)n, 0644, err) < 0) {
		error_prefix(err, "--pid-file");
		return -1;
	}
	return 0;
}

/* In the parent, once the process exists: wait until its mounts are made, record it, run the
 * createRuntime hooks and let it run the createContainer ones; once it waits for the release,
 * release it (run) or answer the creator. */
static int launch_created(void *ctx, pid_t pid, struct error *err)
{
	struct launch *l = ctx;
	close_fd(&l->ready[1]);
	close_fd(&l->go[0]);
	close_fd(&l->release_r);
	close_fd(&l->console_fd);
	if (!await_process(l->ready[0]))
		return 0; /* it failed: its report says why */
	l->state.pid = pid;
	if (instance_process_start_time(pid, &l->state.start_time, err) < 0 ||
	    oci_state_write(l->dir_fd, &l->state, err) < 0 ||
	    run_hooks(l->b, OCI_HOOK_CREATE_RUNTIME, "createRuntime", &l->state, OCI_STATUS_CREATED, err) < 0)
		return -1;
	if (send_state(l->go[1], &l->state) < 0)
		return error_errno(err, "resume the container's process");
	close_fd(&l->go[1]);
	bool ready = await_process(l->ready[0]);
	close_fd(&l->ready[0]);
	if (!ready)
		return 0;
	if (l->foreground) {
		if (l->pid_file && write_pid_file(l->pid_file, pid, err) < 0)
			return -1;
		if (send_state(l->release_w, &l->state) < 0)
			return error_errno(err, "start the container");
		close_fd(&l->release_w);
		struct error ignored;
		/* The spec: a failing poststart hook does not stop the container. */
		(void)run_hooks(l->b, OCI_HOOK_POSTSTART, "poststart", &l->state, OCI_STATUS_RUNNING,
		                &ignored);
		return 0;
	}
	if (fs_write_all(l->notify_fd, "", 1) < 0)
		return error_errno(err, "tell the creating process");
	close_fd(&l->notify_fd);
	l->notified = true;
	/* The monitor keeps no terminal or pipe of the caller's open: only the container does. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);
		close(null);
	}
	return 0;
}

/* In the container's first process, its mounts made, before pivot_root: wait for the
 * createRuntime hooks, then run the createContainer ones here, in the container's namespaces. */
static int launch_assembled(void *ctx, const struct run_plan *plan, const char *root, struct error *err)
{
	struct launch *l = ctx;
	(void)plan;
	(void)root;
	close_fd(&l->ready[0]);
	close_fd(&l->go[1]);
	if (fs_write_all(l->ready[1], "A", 1) < 0)
		return error_errno(err, "tell the runtime the container's root is assembled");
	cleanup_free char *text = NULL;
	if (read_message(l->go[0], &text, err) < 0)
		return -1;
	close_fd(&l->go[0]);
	return oci_hooks_run("createContainer", l->b->hooks[OCI_HOOK_CREATE_CONTAINER],
	                     l->b->n_hooks[OCI_HOOK_CREATE_CONTAINER], text, err);
}

/* In the container's process, last before exec: ready, wait for the release, startContainer. */
static int launch_before_exec(void *ctx, const struct run_plan *plan, struct error *err)
{
	struct launch *l = ctx;
	(void)plan;
	if (l->b->terminal) {
		if (console_setup(l->console_fd, l->b->console_height, l->b->console_width, err) < 0) {
			error_prefix(err, "process.terminal");
			return -1;
		}
		close_fd(&l->console_fd);
	}
	if (fs_write_all(l->ready[1], "R", 1) < 0)
		return error_errno(err, "tell the runtime the container is created");
	close_fd(&l->ready[1]);
	close_fd(&l->release_w);
	cleanup_free char *text = NULL;
	if (read_message(l->release_r, &text, err) < 0)
		return -1;
	close_fd(&l->release_r);
	return oci_hooks_run("startContainer", l->b->hooks[OCI_HOOK_START_CONTAINER],
	                     l->b->n_hooks[OCI_HOOK_START_CONTAINER], text, err);
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char buf[64], *out = NULL;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0 ? NULL : out;
}

static int launch_init(struct launch *l, struct oci_bundle *b, const char *id, int dir_fd, struct error *err)
{
	*l = (struct launch){.b = b,
	                     .console_fd = -1,
	                     .dir_fd = dir_fd,
	                     .ready = {-1, -1},
	                     .go = {-1, -1},
	                     .release_r = -1,
	                     .release_w = -1,
	                     .notify_fd = -1};
	struct oci_state *s = &l->state;
	s->id = strdup(id);
	s->bundle = strdup(b->dir);
	s->rootfs = strdup(b->plan.rootfs);
	s->oci_version = strdup(b->oci_version);
	s->created = now_rfc3339();
	s->owner = (uint32_t)getuid();
	s->annotations = json_incref(b->annotations);
	free(b->plan.label);
	b->plan.label = strdup(id);
	b->plan.label_is_container = true;
	if (!s->id || !s->bundle || !s->rootfs || !s->oci_version || !s->created || !b->plan.label)
		return error_set(err, ENOMEM, "out of memory");
	if (pipe2(l->ready, O_CLOEXEC) < 0 || pipe2(l->go, O_CLOEXEC) < 0)
		return error_errno(err, "pipe");
	return 0;
}

/* process.terminal needs somewhere to send the pty: burrow keeps no terminal of its own. */
static int connect_console(struct launch *l, const char *path, struct error *err)
{
	if (!l->b->terminal)
		return 0;
	if (!path)
		return error_set(err, EINVAL,
		                 "config.json: process.terminal true needs --console-socket SOCKET (or set "
		                 "it to false)");
	l->console_fd = console_connect(path, err);
	return l->console_fd < 0 ? -1 : 0;
}

static void launch_free(struct launch *l)
{
	close_fd(&l->ready[0]);
	close_fd(&l->ready[1]);
	close_fd(&l->go[0]);
	close_fd(&l->go[1]);
	close_fd(&l->release_r);
	close_fd(&l->release_w);
	close_fd(&l->notify_fd);
	close_fd(&l->console_fd);
	oci_state_free(&l->state);
}

static int launch_spawn(struct launch *l, struct error *err)
{
	struct spawn_ops ops = {.created = launch_created,
	                        .assembled = launch_assembled,
	                        .before_exec = launch_before_exec,
	                        .ctx = l};
	return spawn_run_with(&l->b->plan, &ops, err);
}

/* The detached monitor: runs the container, answers the creator, records the exit. */
static _Noreturn void monitor_main(struct launch *l, int root_fd, const char *id)
{
	struct error err;
	error_clear(&err);
	setsid();
	int rc = launch_spawn(l, &err);
	if (!l->notified) {
		const char *msg = err.msg[0] ? err.msg : "the container could not be created";
		(void)fs_write_all(l->notify_fd, msg, strlen(msg));
		close_fd(&l->notify_fd);
		struct error ignored;
		oci_container_remove(root_fd, id, &ignored);
		_exit(1);
	}
	l->state.exited = true;
	l->state.exit_status = rc;
	struct error ignored;
	(void)oci_state_write(l->dir_fd, &l->state, &ignored);
	_exit(0);
}

int oci_create(struct oci_bundle *b, const struct oci_launch_options *o, struct error *err)
{
	cleanup_close int root_fd = oci_root_open(o->root, true, err);
	if (root_fd < 0)
		return -1;
	cleanup_close int dir_fd = oci_container_make(root_fd, o->id, err);
	if (dir_fd < 0)
		return -1;
	struct launch l;
	int notify[2] = {-1, -1};
	int rc = -1;
	bool forked = false;
	if (launch_init(&l, b, o->id, dir_fd, err) < 0 || connect_console(&l, o->console_socket, err) < 0)
		goto out;
	if (mkfifoat(dir_fd, OCI_EXEC_FIFO, 0600) < 0) {
		error_errno(err, "container %s: exec fifo", o->id);
		goto out;
	}
	/* Read and write: opening never blocks, and the process's read waits for start's write. */
	l.release_r = openat(dir_fd, OCI_EXEC_FIFO, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (l.release_r < 0 || pipe2(notify, O_CLOEXEC) < 0) {
		error_errno(err, "container %s: exec fifo", o->id);
		goto out;
	}
	pid_t monitor = fork();
	if (monitor < 0) {
		error_errno(err, "fork");
		goto out;
	}
	if (monitor == 0) {
		close(notify[0]);
		l.notify_fd = notify[1];
		l.state.monitor = getpid();
		monitor_main(&l, root_fd, o->id);
	}
	forked = true;
	close_fd(&notify[1]);
	close_fd(&l.release_r);
	close_fd(&l.console_fd);
	close_fd(&l.ready[0]);
	close_fd(&l.ready[1]);
	close_fd(&l.go[0]);
	close_fd(&l.go[1]);
	char msg[ERROR_MSG_MAX] = "";
	size_t used = 0;
	ssize_t n;
	while (used < sizeof(msg) - 1 && (n = read(notify[0], msg + used, sizeof(msg) - 1 - used)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		used += (size_t)n;
		if (msg[0] == '\0')
			break;
	}
	if (used == 0 || msg[0] != '\0') {
		msg[used] = '\0';
		error_set(err, ECHILD, "%s",
		          used ? msg : "the container's monitor ended before it was created");
		if (!used) {
			struct error ignored;
			oci_container_remove(root_fd, o->id, &ignored);
		}
		goto out;
	}
	/* The record now holds the pid. */
	struct oci_container c;
	if (o->pid_file) {
		if (oci_container_open(root_fd, o->id, &c, err) < 0)
			goto out;
		rc = write_pid_file(o->pid_file, c.state.pid, err);
		oci_container_close(&c);
		goto out;
	}
	rc = 0;
out:
	close_fd(&notify[0]);
	close_fd(&notify[1]);
	launch_free(&l);
	if (rc < 0 && !forked) {
		struct error ignored;
		oci_container_remove(root_fd, o->id, &ignored);
	}
	return rc;
}

int oci_run(struct oci_bundle *b, const struct oci_launch_options *o, struct error *err)
{
	cleanup_close int root_fd = oci_root_open(o->root, true, err);
	if (root_fd < 0)
		return SPAWN_EXIT_SETUP;
	cleanup_close int dir_fd = oci_container_make(root_fd, o->id, err);
	if (dir_fd < 0)
		return SPAWN_EXIT_SETUP;
	struct launch l;
	int rc = SPAWN_EXIT_SETUP;
	int release[2];
	if (launch_init(&l, b, o->id, dir_fd, err) < 0 || connect_console(&l, o->console_socket, err) < 0)
		goto out;
	if (pipe2(release, O_CLOEXEC) < 0) {
		error_errno(err, "pipe");
		goto out;
	}
	l.release_r = release[0];
	l.release_w = release[1];
	l.foreground = true;
	l.pid_file = o->pid_file;
	rc = launch_spawn(&l, err);
	if (l.state.pid > 0) {
		struct error ignored;
		l.state.exited = true;
		l.state.exit_status = rc;
		(void)run_hooks(b, OCI_HOOK_POSTSTOP, "poststop", &l.state, OCI_STATUS_STOPPED, &ignored);
	}
out:
	launch_free(&l);
	struct error ignored;
	oci_container_remove(root_fd, o->id, &ignored);
	return rc;
}

/* Open ROOT/ID; with lock, hold its directory's lock (start and delete, one at a time). */
static int open_container_locked(const char *root, const char *id, bool lock, int *root_fd,
                                 struct oci_container *c, struct error *err);

static int open_container(const char *root, const char *id, int *root_fd, struct oci_container *c,
                          struct error *err)
{
	return open_container_locked(root, id, false, root_fd, c, err);
}

static int open_container_locked(const char *root, const char *id, bool lock, int *root_fd,
                                 struct oci_container *c, struct error *err)
{
	if (oci_id_check(id, err) < 0)
		return -1;
	*root_fd = oci_root_open(root, false, err);
	if (*root_fd < 0) {
		if (err->code == ENOENT)
			error_set(err, ENOENT, "container %s does not exist", id);
		return -1;
	}
	if (oci_container_open(*root_fd, id, c, err) < 0) {
		close(*root_fd);
		*root_fd = -1;
		return -1;
	}
	if (!lock)
		return 0;
	/* Locked, then read again: the record may have changed while we waited. */
	while (flock(c->dir_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error_errno(err, "lock container %s", id);
			goto fail;
		}
	}
	struct oci_container fresh;
	if (oci_container_open(*root_fd, id, &fresh, err) < 0)
		goto fail;
	/* The lock stays with the descriptor we hold. */
	int locked_fd = c->dir_fd;
	c->dir_fd = -1;
	oci_container_close(c);
	close(fresh.dir_fd);
	fresh.dir_fd = locked_fd;
	*c = fresh;
	return 0;
fail:
	oci_container_close(c);
	close(*root_fd);
	*root_fd = -1;
	return -1;
}

int oci_start(const char *root, const char *id, struct error *err)
{
	cleanup_close int root_fd = -1;
	struct oci_container c;
	cleanup_close int fifo = -1;
	if (open_container_locked(root, id, true, &root_fd, &c, err) < 0)
		return -1;
	int rc = -1;
	enum oci_status status = oci_container_status(&c);
	if (status != OCI_STATUS_CREATED) {
		error_set(err, EINVAL, "container %s is %s, not created: only a created container starts", id,
		          oci_status_name(status));
		goto out;
	}
	fifo = openat(c.dir_fd, OCI_EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fifo < 0) {
		error_errno(err, "container %s is not waiting to start", id);
		goto out;
	}
	int flags = fcntl(fifo, F_GETFL);
	if (flags < 0 || fcntl(fifo, F_SETFL, flags & ~O_NONBLOCK) < 0 || send_state(fifo, &c.state) < 0) {
		error_errno(err, "start container %s", id);
		goto out;
	}
	unlinkat(c.dir_fd, OCI_EXEC_FIFO, 0);
	rc = 0;
	if (c.state.owner == getuid()) {
		struct oci_bundle b;
		struct error ignored;
		if (oci_bundle_load(c.state.bundle, &b, &ignored) == 0) {
			(void)run_hooks(&b, OCI_HOOK_POSTSTART, "poststart", &c.state, OCI_STATUS_RUNNING,
			                &ignored);
			oci_bundle_free(&b);
		}
	}
out:
	oci_container_close(&c);
	return rc;
}

/* top and every descendant of it, top first, from one pass over /proc. */
static int descendants(pid_t top, pid_t **pids, size_t *n, struct error *err)
{
	*pids = NULL;
	*n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return error_errno(err, "/proc");
	pid_t *all = NULL, *parents = NULL;
	size_t count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end || v <= 0)
			continue;
		pid_t *a = realloc(all, (count + 1) * sizeof(*a));
		pid_t *p = a ? realloc(parents, (count + 1) * sizeof(*p)) : NULL;
		if (a)
			all = a;
		if (p)
			parents = p;
		if (!a || !p) {
			closedir(d);
			free(all);
			free(parents);
			return error_set(err, ENOMEM, "out of memory");
		}
		all[count] = (pid_t)v;
		parents[count++] = instance_process_parent((pid_t)v);
	}
	closedir(d);
	pid_t *out = calloc(count + 1, sizeof(*out));
	size_t found = 0;
	if (out) {
		out[found++] = top;
		/* Descendants: repeat until no new child of a found pid appears. */
		for (bool grew = true; grew;) {
			grew = false;
			for (size_t i = 0; i < count; i++) {
				bool known = false, child = false;
				for (size_t k = 0; k < found; k++) {
					known = known || out[k] == all[i];
					child = child || out[k] == parents[i];
				}
				if (!known && child) {
					out[found++] = all[i];
					grew = true;
				}
			}
		}
	}
	free(all);
	free(parents);
	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	*pids = out;
	*n = found;
	return 0;
}

int oci_kill(const char *root, const char *id, int sig, bool all, struct error *err)
{
	cleanup_close int root_fd = -1;
	cleanup_close int pidfd = -1;
	struct oci_container c;
	if (open_container(root, id, &root_fd, &c, err) < 0)
		return -1;
	int rc = -1;
	enum oci_status status = oci_container_status(&c);
	if (status != OCI_STATUS_CREATED && status != OCI_STATUS_RUNNING) {
		error_set(err, ESRCH, "container %s is %s: there is no process to signal", id,
		          oci_status_name(status));
		goto out;
	}
	pidfd = oci_container_pidfd(&c, err);
	if (pidfd < 0)
		goto out;
	/* --all: its descendants too, the deepest first and the container's process last, so each
	 * is still the child of one of them when it is checked. */
	pid_t *pids = NULL;
	size_t n = 0;
	if (all && descendants(c.state.pid, &pids, &n, err) < 0)
		goto out;
	for (size_t i = n; i-- > 1;) {
		/* Each checked as the container's process is: the owner's, and still a child of one. */
		int fd = oci_process_pidfd(pids[i], c.state.owner);
		pid_t parent = fd >= 0 ? instance_process_parent(pids[i]) : -1;
		bool known = false;
		for (size_t k = 0; k < n; k++)
			known = known || (parent == pids[k] && k != i);
		if (fd >= 0 && known)
			(void)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
		if (fd >= 0)
			close(fd);
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) {
		free(pids);
		error_errno(err, "signal container %s", id);
		goto out;
	}
	free(pids);
	rc = 0;
out:
	oci_container_close(&c);
	return rc;
}

int oci_delete(const char *root, const char *id, bool force, struct error *err)
{
	cleanup_close int root_fd = -1;
	struct oci_container c;
	if (open_container_locked(root, id, true, &root_fd, &c, err) < 0)
		return -1;
	int rc = -1;
	enum oci_status status = oci_container_status(&c);
	if (status == OCI_STATUS_RUNNING && !force) {
		error_set(err, EBUSY, "container %s is running: stop it first (kill) or delete --force", id);
		goto out;
	}
	if (status == OCI_STATUS_CREATING && !force) {
		error_set(err, EBUSY, "container %s is being created: try again, or delete --force", id);
		goto out;
	}
	if (status == OCI_STATUS_RUNNING || status == OCI_STATUS_CREATED) {
		cleanup_close int pidfd = oci_container_pidfd(&c, err);
		if (pidfd < 0)
			goto out;
		if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
			error_errno(err, "stop container %s", id);
			goto out;
		}
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		(void)poll(&p, 1, 10000);
		/* The monitor records the exit next: let it finish before the directory goes. Only
		 * waited for, never signalled, and briefly: the record may name any process. */
		cleanup_close int monitor =
		        c.state.monitor > 0 ? (int)syscall(SYS_pidfd_open, c.state.monitor, 0) : -1;
		if (monitor >= 0) {
			p.fd = monitor;
			(void)poll(&p, 1, 2000);
		}
	}
	if (c.has_record && c.state.owner == getuid()) {
		struct oci_bundle b;
		struct error ignored;
		if (oci_bundle_load(c.state.bundle, &b, &ignored) == 0) {
			(void)run_hooks(&b, OCI_HOOK_POSTSTOP, "poststop", &c.state, OCI_STATUS_STOPPED,
			                &ignored);
			oci_bundle_free(&b);
		}
	}
	/* A monitor still writing its record may add a file as we remove: try again. */
	for (int attempt = 0;
	     (rc = oci_container_remove(root_fd, id, err)) < 0 && err->code == ENOTEMPTY && attempt < 5;
	     attempt++)
		usleep(100000);
out:
	oci_container_close(&c);
	return rc;
}

json_t *oci_state_get(const char *root, const char *id, struct error *err)
{
	cleanup_close int root_fd = -1;
	struct oci_container c;
	if (open_container(root, id, &root_fd, &c, err) < 0)
		return NULL;
	enum oci_status status = oci_container_status(&c);
	if (!c.has_record) {
		c.state.id = strdup(id);
		c.state.owner = (uint32_t)getuid();
	}
	json_t *doc = c.state.id ? oci_state_public(&c.state, status) : NULL;
	if (!doc)
		error_set(err, ENOMEM, "out of memory");
	oci_container_close(&c);
	return doc;
}

json_t *oci_list(const char *root, struct error *err)
{
	json_t *arr = json_array();
	if (!arr) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	cleanup_close int root_fd = oci_root_open(root, false, err);
	if (root_fd < 0) {
		if (err->code == ENOENT)
			return arr;
		json_decref(arr);
		return NULL;
	}
	int list_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = list_fd >= 0 ? fdopendir(list_fd) : NULL;
	if (!d) {
		json_decref(arr);
		error_errno(err, "state directory %s", root);
		return NULL;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct oci_container c;
		struct error skip;
		if (oci_container_open(root_fd, e->d_name, &c, &skip) < 0)
			continue;
		if (c.has_record) {
			json_t *doc = oci_state_public(&c.state, oci_container_status(&c));
			if (doc)
				json_array_append_new(arr, doc);
		}
		oci_container_close(&c);
	}
	closedir(d);
	return arr;
}

int oci_ps(const char *root, const char *id, pid_t **pids, size_t *n, struct error *err)
{
	pid_t top;
	*pids = NULL;
	*n = 0;
	if (oci_container_pid(root, id, &top, err) < 0)
		return -1;
	return descendants(top, pids, n, err);
}

int oci_container_pid(const char *root, const char *id, pid_t *pid, struct error *err)
{
	cleanup_close int root_fd = -1;
	struct oci_container c;
	if (open_container(root, id, &root_fd, &c, err) < 0)
		return -1;
	enum oci_status status = oci_container_status(&c);
	int rc = -1;
	if (status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED) {
		error_set(err, ESRCH, "container %s is %s", id, oci_status_name(status));
	} else {
		int fd = oci_container_pidfd(&c, err);
		if (fd >= 0) {
			close(fd);
			*pid = c.state.pid;
			rc = 0;
		}
	}
	oci_container_close(&c);
	return rc;
}
