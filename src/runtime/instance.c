/* Running-instance records: JSON files under RUNTIME/instances, one per start, written when the
 * program runs and removed when it ends; stale ones (burrow killed) pruned by whoever reads. */
#include "runtime/instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define INSTANCE_DIR      "instances"
#define INSTANCE_MAX_SIZE (1024 * 1024)

static void cleanup_json_fn(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(cleanup_json_fn)))

void instance_free(struct instance *in)
{
	free(in->name);
	strv_free(in->argv);
	memset(in, 0, sizeof(*in));
}

void instance_list_free(struct instance *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		instance_free(&list[i]);
	free(list);
}

char *instance_format(const struct instance *in, struct error *err)
{
	cleanup_json json_t *argv = json_array();
	for (size_t i = 0; argv && in->argv && in->argv[i]; i++)
		if (json_array_append_new(argv, json_string(in->argv[i])) < 0) {
			error_set(err, EINVAL, "instance %d: command is not UTF-8", (int)in->pid);
			return NULL;
		}
	cleanup_json json_t *doc =
	        json_pack("{s:I,s:I,s:s,s:b,s:O,s:I,s:i,s:I}", "pid", (json_int_t)in->pid, "start_time",
	                  (json_int_t)in->start_time, "name", in->name, "container", in->container, "argv",
	                  argv, "burrow_pid", (json_int_t)in->burrow_pid, "namespaces", in->namespaces,
	                  "started", (json_int_t)in->started);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		error_set(err, ENOMEM, "instance %d: cannot write its record", (int)in->pid);
	return text;
}

int instance_parse(const char *text, size_t len, struct instance *in, struct error *err)
{
	memset(in, 0, sizeof(*in));
	json_error_t jerr;
	cleanup_json json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_int_t pid, start_time, burrow_pid, started;
	int container, namespaces;
	const char *name;
	json_t *argv;
	if (!doc ||
	    json_unpack(doc, "{s:I,s:I,s:s,s:b,s:o,s:I,s:i,s:I}", "pid", &pid, "start_time", &start_time,
	                "name", &name, "container", &container, "argv", &argv, "burrow_pid", &burrow_pid,
	                "namespaces", &namespaces, "started", &started) < 0 ||
	    !json_is_array(argv) || pid <= 0 || pid > INT_MAX || start_time < 0 || burrow_pid < 0 ||
	    burrow_pid > INT_MAX)
		return error_set(err, EINVAL, "malformed instance record");
	in->pid = (pid_t)pid;
	in->start_time = (uint64_t)start_time;
	in->container = container;
	in->burrow_pid = (pid_t)burrow_pid;
	in->namespaces = namespaces;
	in->started = started;
	if (!(in->name = strdup(name)) || !(in->argv = calloc(json_array_size(argv) + 1, sizeof(char *))))
		goto nomem;
	for (size_t i = 0; i < json_array_size(argv); i++) {
		const char *arg = json_string_value(json_array_get(argv, i));
		if (!arg) {
			instance_free(in);
			return error_set(err, EINVAL, "malformed instance record: argv");
		}
		if (!(in->argv[i] = strdup(arg)))
			goto nomem;
	}
	return 0;
nomem:
	instance_free(in);
	return error_set(err, ENOMEM, "out of memory");
}

int instance_stat_start_time(const char *stat, uint64_t *start_time)
{
	/* The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'. */
	const char *p = strrchr(stat, ')');
	if (!p)
		return -1;
	p++;
	/* Field 3 is the first after it; field 22 is the 20th. */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -1;
	*start_time = v;
	return 0;
}

int instance_process_start_time(pid_t pid, uint64_t *start_time, struct error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	struct error read_err;
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, 4096, NULL, &read_err);
	if (!text)
		return error_set(err, read_err.code == ENOENT ? ESRCH : read_err.code, "process %d is gone",
		                 (int)pid);
	if (instance_stat_start_time(text, start_time) < 0)
		return error_set(err, EINVAL, "%s: cannot read the start time", path);
	return 0;
}

pid_t instance_process_parent(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	struct error ignored;
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, 4096, NULL, &ignored);
	/* After the command name's last ')': the state, then the parent pid. */
	const char *p = text ? strrchr(text, ')') : NULL;
	int ppid;
	return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

bool instance_alive(const struct instance *in)
{
	struct error err;
	uint64_t t;
	return instance_process_start_time(in->pid, &t, &err) == 0 && t == in->start_time;
}

static char *instance_dir(const char *runtime)
{
	char *dir = NULL;
	return asprintf(&dir, "%s/" INSTANCE_DIR, runtime) < 0 ? NULL : dir;
}

/* Records are trusted only in a directory of the user's own: under /tmp (the default without
 * XDG_RUNTIME_DIR) another user could have made it first. */
static int check_owner(int dir_fd, const char *dir, struct error *err)
{
	struct stat st;
	if ((dir_fd >= 0 ? fstat(dir_fd, &st) : stat(dir, &st)) < 0)
		return error_errno(err, "%s", dir);
	if (st.st_uid != getuid())
		return error_set(
		        err, EPERM,
		        "%s belongs to another user; set BURROW_RUNTIME_PATH to a directory of yours", dir);
	return 0;
}

/* The record is runtime state that dies with the process it names: it is written to a temporary
 * name in the directory and renamed into place (readers never see half of it), but not synced
 * (after a crash the pid it names is gone anyway). The directory is made only when missing. */
int instance_write(const char *runtime, struct instance *in, struct error *err)
{
	if (instance_process_start_time(in->pid, &in->start_time, err) < 0)
		return -1;
	in->started = (int64_t)time(NULL);
	cleanup_free char *dir = instance_dir(runtime);
	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	cleanup_close int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 && errno == ENOENT) {
		if (fs_mkdir_p(dir, 0700, err) < 0)
			return -1;
		dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (dir_fd < 0)
		return error_errno(err, "%s", dir);
	if (check_owner(dir_fd, dir, err) < 0)
		return -1;
	cleanup_free char *text = instance_format(in, err);
	if (!text)
		return -1;
	char name[32], tmp[40];
	snprintf(name, sizeof(name), "%d.json", (int)in->pid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	/* The pid is ours until the program is reaped, so the temporary name is too; one left by a
	 * killed start whose pid came round again is overwritten. */
	cleanup_close int fd =
	        openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno(err, "create %s/%s", dir, tmp);
	if (fs_write_all(fd, text, strlen(text)) < 0 || renameat(dir_fd, tmp, dir_fd, name) < 0) {
		error_errno(err, "write %s/%s", dir, name);
		unlinkat(dir_fd, tmp, 0);
		return -1;
	}
	return 0;
}

void instance_remove(const char *runtime, pid_t pid)
{
	char name[32];
	snprintf(name, sizeof(name), "%d.json", (int)pid);
	cleanup_free char *dir = instance_dir(runtime);
	cleanup_close int fd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0)
		unlinkat(fd, name, 0);
}

static int cmp_newest_first(const void *a, const void *b)
{
	const struct instance *x = a, *y = b;
	if (x->started != y->started)
		return x->started < y->started ? 1 : -1;
	return x->pid < y->pid ? 1 : x->pid > y->pid ? -1 : 0;
}

/* A record's file name is its pid: "PID.json" with PID a positive decimal. */
static bool record_name(const char *name)
{
	size_t len = strlen(name);
	if (len < 6 || strcmp(name + len - 5, ".json") != 0)
		return false;
	for (size_t i = 0; i < len - 5; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	return name[0] != '0';
}

int instance_list(const char *runtime, struct instance **list, size_t *n, struct error *err)
{
	*list = NULL;
	*n = 0;
	cleanup_free char *dir = instance_dir(runtime);
	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno == ENOENT ? 0 : error_errno(err, "%s", dir);
	if (check_owner(dir_fd, dir, err) < 0) {
		close(dir_fd);
		return -1;
	}
	DIR *d = fdopendir(dir_fd);
	if (!d) {
		close(dir_fd);
		return error_errno(err, "%s", dir);
	}
	struct instance *out = NULL;
	size_t count = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (!record_name(de->d_name))
			continue;
		struct error read_err;
		size_t len;
		cleanup_free char *text =
		        fs_read_file_at(dir_fd, de->d_name, false, INSTANCE_MAX_SIZE, &len, &read_err);
		if (!text)
			continue; /* removed meanwhile by the start that ended */
		struct instance in;
		/* A record that does not parse, names another pid than its file, or whose process is
		 * gone or was replaced, describes nothing running: prune it. */
		if (instance_parse(text, len, &in, &read_err) < 0) {
			unlinkat(dir_fd, de->d_name, 0);
			continue;
		}
		if (in.pid != (pid_t)strtol(de->d_name, NULL, 10) || !instance_alive(&in)) {
			unlinkat(dir_fd, de->d_name, 0);
			instance_free(&in);
			continue;
		}
		struct instance *grown = realloc(out, (count + 1) * sizeof(*out));
		if (!grown) {
			instance_free(&in);
			rc = error_set(err, ENOMEM, "out of memory");
			break;
		}
		out = grown;
		out[count++] = in;
	}
	closedir(d);
	if (rc < 0) {
		instance_list_free(out, count);
		return -1;
	}
	if (count > 1)
		qsort(out, count, sizeof(*out), cmp_newest_first);
	*list = out;
	*n = count;
	return 0;
}

static bool parse_pid(const char *arg, pid_t *pid)
{
	if (!*arg || *arg == '0')
		return false;
	for (const char *c = arg; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	errno = 0;
	long v = strtol(arg, NULL, 10);
	if (errno || v > INT_MAX)
		return false;
	*pid = (pid_t)v;
	return true;
}

int instance_find(const char *runtime, const char *arg, struct instance *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	struct instance *list;
	size_t n;
	if (instance_list(runtime, &list, &n, err) < 0)
		return -1;
	pid_t pid;
	bool by_pid = parse_pid(arg, &pid);
	size_t found = n, matches = 0;
	bool mixed = false;
	char pids[256] = "";
	for (size_t i = 0; i < n; i++) {
		if (by_pid ? list[i].pid != pid : strcmp(list[i].name, arg) != 0)
			continue;
		/* Newest first: the first match is the one a name means. */
		if (found == n)
			found = i;
		else if (list[i].container != list[found].container)
			mixed = true;
		matches++;
		size_t used = strlen(pids);
		snprintf(pids + used, sizeof(pids) - used, "%s%d", used ? ", " : "", (int)list[i].pid);
	}
	int rc = 0;
	if (matches == 0)
		rc = error_set(err, ESRCH,
		               by_pid ? "no running burrow instance has PID %s (see 'burrow list --fancy')"
		                      : "no running instance of %s (see 'burrow list --fancy')",
		               arg);
	else if (mixed)
		rc = error_set(err, EEXIST,
		               "%s names both a container and an image that run (PIDs %s); give a PID", arg,
		               pids);
	else
		*out = list[found], memset(&list[found], 0, sizeof(list[found]));
	instance_list_free(list, n);
	return rc;
}

int instance_open_pidfd(const struct instance *in, struct error *err)
{
	/* pidfds are close-on-exec always. */
	int fd = (int)syscall(SYS_pidfd_open, in->pid, 0);
	if (fd < 0)
		return error_errno(err, "process %d", (int)in->pid);
	/* Checked after opening: the pid cannot name another process from here on without the
	 * start time telling. */
	uint64_t t;
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d", (int)in->pid);
	if (instance_process_start_time(in->pid, &t, err) < 0 || t != in->start_time) {
		close(fd);
		return error_set(err, ESRCH, "process %d is no longer the burrow instance it was",
		                 (int)in->pid);
	}
	if (stat(path, &st) < 0) {
		close(fd);
		return error_set(err, ESRCH, "process %d ended", (int)in->pid);
	}
	if (st.st_uid != getuid()) {
		close(fd);
		return error_set(err, EPERM, "process %d belongs to another user; exec joins only your own",
		                 (int)in->pid);
	}
	return fd;
}
