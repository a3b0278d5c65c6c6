/* Short detours into a user namespace of our own, for file maintenance that needs the ids a
 * container used, and the host facts (subordinate ranges, helpers) that decide the maps. */
#include "runtime/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

bool userns_helper_present(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	cleanup_free char *copy = strdup(path);
	char *save = NULL;
	for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", dir, name);
		if (access(full, X_OK) == 0)
			return true;
	}
	return false;
}

const char *userns_subid_file(bool groups)
{
	const char *file = getenv(groups ? "BURROW_SUBGID_FILE" : "BURROW_SUBUID_FILE");
	return file && *file ? file : groups ? "/etc/subgid" : "/etc/subuid";
}

void userns_find_range(bool groups, const char *user, uint32_t id, uint32_t *start, uint32_t *count)
{
	const char *file = userns_subid_file(groups);
	struct error err;
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, file, false, 16 << 20, NULL, &err);
	*count = 0;
	if (!text || idmap_find_subid(text, user, id, start, count) < 0)
		*count = 0;
}

void userns_host_maps(bool root, struct idmap *uids, struct idmap *gids)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	uint32_t ustart = 0, ucount = 0, gstart = 0, gcount = 0;
	if (root && userns_helper_present("newuidmap") && userns_helper_present("newgidmap")) {
		struct passwd *pw = getpwuid(uid);
		const char *user = pw ? pw->pw_name : "";
		userns_find_range(false, user, uid, &ustart, &ucount);
		userns_find_range(true, user, uid, &gstart, &gcount);
		if (ucount == 0 || gcount == 0)
			ucount = gcount = 0;
	}
	idmap_plan(uids, uid, root, ustart, ucount);
	idmap_plan(gids, gid, root, gstart, gcount);
}

int userns_remove_tree(int dirfd, const char *name, struct error *err)
{
	struct idmap uids, gids;
	userns_host_maps(true, &uids, &gids);
	int sync[2], report[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		return error_errno(err, "pipe");
	if (pipe2(report, O_CLOEXEC) < 0) {
		close(sync[0]);
		close(sync[1]);
		return error_errno(err, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		error_errno(err, "fork");
		goto out;
	}
	if (pid == 0) {
		close(sync[1]);
		close(report[0]);
		char byte;
		if (unshare(CLONE_NEWUSER) < 0 || write(report[1], "", 1) != 1 ||
		    read(sync[0], &byte, 1) != 1)
			_exit(1);
		struct error child_err;
		error_clear(&child_err);
		if (fs_remove_tree_at(dirfd, name, &child_err) < 0) {
			ssize_t ignored = write(report[1], child_err.msg, strlen(child_err.msg));
			(void)ignored;
			_exit(1);
		}
		_exit(0);
	}
	close(sync[0]);
	sync[0] = -1;
	close(report[1]);
	report[1] = -1;
	char byte;
	if (read(report[0], &byte, 1) != 1 || idmap_apply(pid, &uids, &gids, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (!err->msg[0])
			error_set(err, EPERM, "cannot enter a user namespace to remove %s", name);
		goto out;
	}
	if (write(sync[1], "", 1) != 1) {
		error_errno(err, "user namespace helper");
		kill(pid, SIGKILL);
	}
	char msg[ERROR_MSG_MAX] = "";
	ssize_t n = read(report[0], msg, sizeof(msg) - 1);
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		error_clear(err);
		close(report[0]);
		close(sync[1]);
		return 0;
	}
	if (n > 0)
		msg[n] = '\0';
	error_set(err, EPERM, "%s", msg[0] ? msg : "removal inside the user namespace failed");
out:
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (report[i] >= 0)
			close(report[i]);
	}
	return -1;
}
