/* User and group id maps: finding the user's /etc/subuid range, planning the map and writing it
 * for a child, directly or through newuidmap/newgidmap. Not the namespace creation itself. */
#include "runtime/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/procfs.h"

/* A decimal field of at most 32 bits. strtoul alone would accept signs, blanks and wrap "-1". */
static bool parse_u32(const char *s, size_t len, uint32_t *out)
{
	char buf[16];
	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool owner_matches(const char *owner, size_t len, const char *user, uint32_t id)
{
	if (user && *user && strlen(user) == len && memcmp(owner, user, len) == 0)
		return true;
	uint32_t owner_id;
	/* shadow's tools accept the owner as a numeric uid too. */
	return parse_u32(owner, len, &owner_id) && owner_id == id;
}

int idmap_find_subid(const char *text, const char *user, uint32_t id, uint32_t *start, uint32_t *count)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		const char *next = *nl ? nl + 1 : nl;
		uint32_t s, n;
		/* Comments, and lines that are not exactly name:start:count with a usable range, are
		 * skipped: a broken line must not grant (or hide) someone else's range. */
		if (line[0] != '#' && c1 && c2 && !memchr(c2 + 1, ':', (size_t)(nl - c2 - 1)) &&
		    parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &s) &&
		    parse_u32(c2 + 1, (size_t)(nl - c2 - 1), &n) && n > 0 &&
		    (uint64_t)s + n <= (uint64_t)UINT32_MAX + 1 &&
		    owner_matches(line, (size_t)(c1 - line), user, id)) {
			*start = s;
			*count = n;
			return 0;
		}
		line = next;
	}
	return -1;
}

void idmap_plan(struct idmap *out, uint32_t self, bool root, uint32_t sub_start, uint32_t sub_count)
{
	memset(out, 0, sizeof(*out));
	if (!root) {
		out->ranges[out->n++] = (struct idmap_range){self, self, 1};
		return;
	}
	out->ranges[out->n++] = (struct idmap_range){0, self, 1};
	/* 65535 ids above 0 cover every id a distribution's packages use (nobody is 65534). */
	if (sub_count > 0)
		out->ranges[out->n++] =
		        (struct idmap_range){1, sub_start, sub_count < 65535 ? sub_count : 65535};
}

void idmap_format(const struct idmap *m, char *buf, size_t size)
{
	size_t len = 0;
	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < m->n && i < IDMAP_MAX_RANGES; i++) {
		int n = snprintf(buf + len, size - len, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
		                 m->ranges[i].inside, m->ranges[i].outside, m->ranges[i].count);
		if (n < 0 || (size_t)n >= size - len) {
			buf[len] = '\0'; /* whole lines only: the kernel rejects a partial one anyway */
			return;
		}
		len += (size_t)n;
	}
}

bool idmap_single(const struct idmap *m)
{
	return m->n == 1 && m->ranges[0].count == 1;
}

static int run_helper(const char *helper, const char *db, pid_t pid, const struct idmap *m, struct error *err)
{
	/* helper PID (inside outside count)... */
	char args[2 + 3 * IDMAP_MAX_RANGES][16];
	char *argv[2 + 3 * IDMAP_MAX_RANGES + 1];
	size_t argc = 0;
	snprintf(args[argc], sizeof(args[argc]), "%s", helper);
	argv[argc] = args[argc];
	argc++;
	snprintf(args[argc], sizeof(args[argc]), "%d", (int)pid);
	argv[argc] = args[argc];
	argc++;
	for (size_t i = 0; i < m->n && i < IDMAP_MAX_RANGES; i++) {
		uint32_t v[3] = {m->ranges[i].inside, m->ranges[i].outside, m->ranges[i].count};
		for (size_t j = 0; j < 3; j++) {
			snprintf(args[argc], sizeof(args[argc]), "%" PRIu32, v[j]);
			argv[argc] = args[argc];
			argc++;
		}
	}
	argv[argc] = NULL;

	/* The child reports a failed exec through a close-on-exec pipe, so "not installed" is told
	 * apart from the helper refusing the map. */
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0)
		return error_errno(err, "run %s", helper);
	pid_t child = fork();
	if (child < 0) {
		error_errno(err, "run %s", helper);
		close(report[0]);
		close(report[1]);
		return -1;
	}
	if (child == 0) {
		close(report[0]);
		execvp(helper, argv);
		int e = errno;
		if (write(report[1], &e, sizeof(e)) < 0) {
			/* nothing more to tell */
		}
		_exit(127);
	}
	close(report[1]);
	int exec_errno = 0;
	ssize_t got;
	do
		got = read(report[0], &exec_errno, sizeof(exec_errno));
	while (got < 0 && errno == EINTR);
	close(report[0]);
	int status;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			return error_errno(err, "wait for %s", helper);
	}
	if (got == (ssize_t)sizeof(exec_errno))
		return error_set(err, exec_errno, "cannot run %s: %s (install package uidmap)", helper,
		                 strerror(exec_errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_set(err, EPERM,
		                 "%s %d failed: check that %s grants you a range and that %s is installed "
		                 "(package uidmap)",
		                 helper, (int)pid, db, helper);
	return 0;
}

int idmap_apply(pid_t pid, const struct idmap *uids, const struct idmap *gids, struct error *err)
{
	if (idmap_single(uids) && idmap_single(gids)) {
		char text[64];
		cleanup_close int proc_fd = procfs_open("/proc", err);
		if (proc_fd < 0)
			return -1;
		/* An unprivileged process may write gid_map only after giving up setgroups(2), or
		 * it could drop groups that deny it access (CVE-2014-8989). */
		if (procfs_write(proc_fd, pid, "setgroups", "deny", err) < 0)
			return -1;
		idmap_format(uids, text, sizeof(text));
		if (procfs_write(proc_fd, pid, "uid_map", text, err) < 0)
			return -1;
		idmap_format(gids, text, sizeof(text));
		return procfs_write(proc_fd, pid, "gid_map", text, err);
	}
	if (run_helper("newuidmap", "/etc/subuid", pid, uids, err) < 0)
		return -1;
	return run_helper("newgidmap", "/etc/subgid", pid, gids, err);
}

static bool parse_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	/* (uid_t)-1 means "no change" to the kernel and cannot be mapped. */
	if (v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

int idmap_parse_user(const char *text, uint32_t *uid, uint32_t *gid, struct error *err)
{
	const char *colon = strchr(text, ':');
	size_t ulen = colon ? (size_t)(colon - text) : strlen(text);
	*gid = 0;
	if (!parse_id(text, ulen, uid) || (colon && !parse_id(colon + 1, strlen(colon + 1), gid)))
		return error_set(err, EINVAL,
		                 "user '%s': give numeric ids, UID or UID:GID (names are not looked up)",
		                 text);
	return 0;
}

uint32_t idmap_to_inside(const struct idmap *m, uint32_t host)
{
	for (size_t i = 0; i < m->n; i++)
		if (host >= m->ranges[i].outside && host - m->ranges[i].outside < m->ranges[i].count)
			return m->ranges[i].inside + (host - m->ranges[i].outside);
	return host;
}
