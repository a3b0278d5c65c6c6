/* OCI container state on disk and the checks that make it safe for root to act on a user's
 * state directory: ownership, no symlinks (openat2 RESOLVE_NO_SYMLINKS), pidfd + start time. */
#include "oci/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/instance.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define STATE_MAX (1 << 20)

static void cleanup_json_fn(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(cleanup_json_fn)))

void oci_state_free(struct oci_state *s)
{
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->oci_version);
	free(s->created);
	if (s->annotations)
		json_decref(s->annotations);
	memset(s, 0, sizeof(*s));
}

const char *oci_status_name(enum oci_status status)
{
	static const char *const names[] = {"creating", "created", "running", "stopped"};
	return names[status];
}

int oci_id_check(const char *id, struct error *err)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return error_set(err, EINVAL,
		                 "container ID '%s' is not valid (1 to 1024 characters, not . or ..)", id);
	for (const char *c = id; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		          *c == '_' || *c == '+' || *c == '-' || *c == '.';
		if (!ok)
			return error_set(
			        err, EINVAL,
			        "container ID '%s' is not valid: use letters, digits and _ + - . only", id);
	}
	return 0;
}

char *oci_state_format(const struct oci_state *s, struct error *err)
{
	cleanup_json json_t *doc = json_pack(
	        "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:i, s:O}", "id", s->id, "bundle",
	        s->bundle, "rootfs", s->rootfs, "ociVersion", s->oci_version, "created", s->created, "owner",
	        (json_int_t)s->owner, "pid", (json_int_t)s->pid, "start_time", (json_int_t)s->start_time,
	        "monitor", (json_int_t)s->monitor, "exited", s->exited, "exit_status", s->exit_status,
	        "annotations", s->annotations ? s->annotations : json_object());
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		error_set(err, EINVAL, "container %s: cannot write its state (not UTF-8?)", s->id);
	return text;
}

int oci_state_parse(const char *text, size_t len, struct oci_state *s, struct error *err)
{
	memset(s, 0, sizeof(*s));
	json_error_t jerr;
	cleanup_json json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *id, *bundle, *rootfs, *version, *created;
	json_int_t owner, pid, start_time, monitor;
	int exited, exit_status;
	json_t *ann;
	if (!doc ||
	    json_unpack(doc, "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:i, s:o}", "id", &id,
	                "bundle", &bundle, "rootfs", &rootfs, "ociVersion", &version, "created", &created,
	                "owner", &owner, "pid", &pid, "start_time", &start_time, "monitor", &monitor,
	                "exited", &exited, "exit_status", &exit_status, "annotations", &ann) < 0 ||
	    !json_is_object(ann) || owner < 0 || owner >= UINT32_MAX || pid < 0 || pid > INT_MAX ||
	    start_time < 0 || monitor < 0 || monitor > INT_MAX)
		return error_set(err, EINVAL, "malformed state record");
	s->owner = (uint32_t)owner;
	s->pid = (pid_t)pid;
	s->start_time = (uint64_t)start_time;
	s->monitor = (pid_t)monitor;
	s->exited = exited;
	s->exit_status = exit_status;
	s->id = strdup(id);
	s->bundle = strdup(bundle);
	s->rootfs = strdup(rootfs);
	s->oci_version = strdup(version);
	s->created = strdup(created);
	s->annotations = json_deep_copy(ann);
	if (!s->id || !s->bundle || !s->rootfs || !s->oci_version || !s->created || !s->annotations) {
		oci_state_free(s);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

json_t *oci_state_public(const struct oci_state *s, enum oci_status status)
{
	bool has_pid = status == OCI_STATUS_CREATED || status == OCI_STATUS_RUNNING;
	json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:O}", "ociVersion",
	                        s->oci_version ? s->oci_version : "1.0.2", "id", s->id, "status",
	                        oci_status_name(status), "pid", (json_int_t)(has_pid ? s->pid : 0), "bundle",
	                        s->bundle ? s->bundle : "", "rootfs", s->rootfs ? s->rootfs : "", "created",
	                        s->created ? s->created : "", "owner", (json_int_t)s->owner, "annotations",
	                        s->annotations ? s->annotations : json_object());
	return doc;
}

static int open_nofollow(int dir_fd, const char *name, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
	                       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
}

/* Not group or world writable, and owned by owner. */
static int check_private(int fd, const char *what, uint32_t owner, struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_errno(err, "%s", what);
	if (st.st_uid != owner)
		return error_set(err, EPERM, "%s belongs to uid %u, not %u; refusing to use it", what,
		                 (unsigned)st.st_uid, (unsigned)owner);
	if (st.st_mode & 022)
		return error_set(err, EPERM, "%s is group or world writable; refusing to use it (chmod go-w)",
		                 what);
	return 0;
}

int oci_root_open(const char *path, bool create, struct error *err)
{
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST) {
		if (errno != ENOENT || fs_mkdir_p(path, 0700, err) < 0)
			return error_errno(err, "state directory %s", path);
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return error_set(err, ELOOP,
			                 "state directory %s is not a directory (a symlink?); refusing",
			                 path);
		return error_errno(err, "state directory %s", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return error_errno(err, "state directory %s", path);
	}
	uint32_t owner = getuid() == 0 ? st.st_uid : getuid();
	char what[PATH_MAX + 32];
	snprintf(what, sizeof(what), "state directory %s", path);
	if (check_private(fd, what, owner, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int oci_container_open(int root_fd, const char *id, struct oci_container *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	c->dir_fd = -1;
	cleanup_close int fd = -1;
	cleanup_free char *text = NULL;
	if (oci_id_check(id, err) < 0)
		return -1;
	struct stat root_st;
	if (fstat(root_fd, &root_st) < 0)
		return error_errno(err, "state directory");
	c->dir_fd = open_nofollow(root_fd, id, O_RDONLY | O_DIRECTORY);
	if (c->dir_fd < 0) {
		if (errno == ENOENT)
			return error_set(err, ENOENT, "container %s does not exist", id);
		if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
			return error_set(
			        err, ELOOP,
			        "the state directory of container %s is a symlink or not a directory; "
			        "refusing",
			        id);
		return error_errno(err, "container %s", id);
	}
	char what[1100];
	snprintf(what, sizeof(what), "the state directory of container %s", id);
	if (check_private(c->dir_fd, what, root_st.st_uid, err) < 0)
		goto fail;
	fd = open_nofollow(c->dir_fd, OCI_STATE_FILE, O_RDONLY);
	if (fd < 0 && errno == ENOENT)
		return 0; /* creating */
	if (fd < 0) {
		error_errno(err, "the state of container %s (a symlink?)", id);
		goto fail;
	}
	snprintf(what, sizeof(what), "the state of container %s", id);
	struct stat st;
	if (check_private(fd, what, root_st.st_uid, err) < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > STATE_MAX) {
		error_set(err, EINVAL, "the state of container %s is not a plain file; refusing", id);
		goto fail;
	}
	/* Read through the checked fd itself: a path could be swapped in between. */
	text = malloc((size_t)st.st_size + 1);
	if (!text || fs_pread_all(fd, text, (size_t)st.st_size, 0) < 0) {
		error_errno(err, "read the state of container %s", id);
		goto fail;
	}
	text[st.st_size] = '\0';
	if (oci_state_parse(text, strlen(text), &c->state, err) < 0) {
		error_prefix(err, "container %s", id);
		goto fail;
	}
	if (c->state.owner != root_st.st_uid || strcmp(c->state.id, id) != 0) {
		error_set(err, EPERM, "the state of container %s names another owner or ID; refusing", id);
		goto fail;
	}
	c->has_record = true;
	return 0;
fail:
	oci_container_close(c);
	return -1;
}

void oci_container_close(struct oci_container *c)
{
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	c->dir_fd = -1;
	oci_state_free(&c->state);
	c->has_record = false;
}

int oci_container_make(int root_fd, const char *id, struct error *err)
{
	if (oci_id_check(id, err) < 0)
		return -1;
	if (mkdirat(root_fd, id, 0700) < 0) {
		if (errno == EEXIST)
			return error_set(err, EEXIST, "container %s already exists (delete it first)", id);
		return error_errno(err, "container %s", id);
	}
	int fd = open_nofollow(root_fd, id, O_RDONLY | O_DIRECTORY);
	return fd >= 0 ? fd : error_errno(err, "container %s", id);
}

int oci_state_write(int dir_fd, const struct oci_state *s, struct error *err)
{
	cleanup_free char *text = oci_state_format(s, err);
	if (!text)
		return -1;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".state.%d.tmp", (int)getpid());
	cleanup_close int fd =
	        openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno(err, "container %s: write its state", s->id);
	if (fs_write_all(fd, text, strlen(text)) < 0 || renameat(dir_fd, tmp, dir_fd, OCI_STATE_FILE) < 0) {
		error_errno(err, "container %s: write its state", s->id);
		unlinkat(dir_fd, tmp, 0);
		return -1;
	}
	return 0;
}

static bool process_matches(const struct oci_state *s)
{
	struct instance in = {.pid = s->pid, .start_time = s->start_time};
	return s->pid > 0 && instance_alive(&in);
}

enum oci_status oci_container_status(const struct oci_container *c)
{
	if (!c->has_record)
		return OCI_STATUS_CREATING;
	if (c->state.exited || !process_matches(&c->state))
		return OCI_STATUS_STOPPED;
	struct stat st;
	if (fstatat(c->dir_fd, OCI_EXEC_FIFO, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode))
		return OCI_STATUS_CREATED;
	return OCI_STATUS_RUNNING;
}

/* The real uid on the "Uid:" line of /proc/PID/status (the directory's owner is root's for a
 * process that is not dumpable). */
static int process_real_uid(pid_t pid, uint32_t *uid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	struct error ignored;
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, 1 << 16, NULL, &ignored);
	const char *line = text ? strstr(text, "\nUid:") : NULL;
	unsigned long v;
	if (!line || sscanf(line + 5, "%lu", &v) != 1 || v > UINT32_MAX)
		return -1;
	*uid = (uint32_t)v;
	return 0;
}

int oci_container_pidfd(const struct oci_container *c, struct error *err)
{
	const struct oci_state *s = &c->state;
	if (s->pid <= 0)
		return error_set(err, ESRCH, "container %s has no process", s->id);
	int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (fd < 0)
		return error_set(err, ESRCH, "container %s is not running (process %d is gone)", s->id,
		                 (int)s->pid);
	/* Checked after opening, then the pidfd checked to still name a live process: the pid
	 * cannot have been reused in between, so what /proc said was about this process. */
	uint64_t t;
	uint32_t uid;
	if (instance_process_start_time(s->pid, &t, err) < 0 || t != s->start_time ||
	    process_real_uid(s->pid, &uid) < 0 || syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0) {
		close(fd);
		return error_set(err, ESRCH, "container %s is not running (process %d is another one now)",
		                 s->id, (int)s->pid);
	}
	/* The real uid: a process the user cannot make (root's) never has theirs. */
	if (uid != s->owner) {
		close(fd);
		return error_set(err, EPERM,
		                 "process %d runs as uid %u, not as the owner (uid %u) of container %s; "
		                 "refusing to signal it",
		                 (int)s->pid, (unsigned)uid, (unsigned)s->owner, s->id);
	}
	return fd;
}

int oci_container_remove(int root_fd, const char *id, struct error *err)
{
	if (oci_id_check(id, err) < 0)
		return -1;
	if (fs_remove_tree_at(root_fd, id, err) < 0) {
		error_prefix(err, "remove container %s", id);
		return -1;
	}
	return 0;
}
