/* Namespaced sysctls: the keys a rootless container may set and their writing under the
 * container's /proc/sys. Only keys that a namespace of the container's own scopes make sense:
 * any other would change the host, which an unprivileged user cannot do anyway. */
#include "runtime/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

enum sysctl_ns {
	SYSCTL_NONE,
	SYSCTL_NET,
	SYSCTL_UTS,
	SYSCTL_IPC
};

static const char *const ipc_keys[] = {"kernel.msgmax",      "kernel.msgmnb",          "kernel.msgmni",
                                       "kernel.sem",         "kernel.shmall",          "kernel.shmmax",
                                       "kernel.shmmni",      "kernel.shm_rmid_forced", "kernel.msg_next_id",
                                       "kernel.sem_next_id", "kernel.shm_next_id",     NULL};

static enum sysctl_ns key_namespace(const char *key)
{
	if (strncmp(key, "net.", 4) == 0)
		return SYSCTL_NET;
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
		return SYSCTL_UTS;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return SYSCTL_IPC;
	for (size_t i = 0; ipc_keys[i]; i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			return SYSCTL_IPC;
	return SYSCTL_NONE;
}

/* "key=value" split; false when malformed. */
static bool split(const char *entry, char *key, size_t n, const char **value)
{
	const char *eq = strchr(entry, '=');
	if (!eq || eq == entry || (size_t)(eq - entry) >= n)
		return false;
	memcpy(key, entry, (size_t)(eq - entry));
	key[eq - entry] = '\0';
	*value = eq + 1;
	return !strstr(key, "..") && !strchr(key, '/') && key[0] != '.';
}

int sysctl_check(const struct run_plan *plan, struct error *err)
{
	for (size_t i = 0; plan->sysctls && plan->sysctls[i]; i++) {
		char key[256];
		const char *value;
		if (!split(plan->sysctls[i], key, sizeof(key), &value))
			return error_set(err, EINVAL, "sysctl '%s': expected KEY=VALUE", plan->sysctls[i]);
		switch (key_namespace(key)) {
		case SYSCTL_NET:
			if (!plan->network_none && !plan->ns_join[PLAN_NS_NET])
				return error_set(
				        err, EINVAL,
				        "sysctl %s: needs a network namespace of the container's own "
				        "(--network none)",
				        key);
			break;
		case SYSCTL_UTS:
			if (!plan->hostname && !plan->ns_join[PLAN_NS_UTS])
				return error_set(err, EINVAL,
				                 "sysctl %s: needs a UTS namespace of the container's own "
				                 "(--hostname)",
				                 key);
			break;
		case SYSCTL_IPC:
			if (!plan->new_ipc && !plan->ns_join[PLAN_NS_IPC])
				return error_set(err, EINVAL,
				                 "sysctl %s: needs an IPC namespace of the container's own "
				                 "(--ipc private)",
				                 key);
			break;
		case SYSCTL_NONE:
			return error_set(
			        err, EINVAL,
			        "sysctl %s: not namespaced; a container may set only net.*, "
			        "kernel.hostname, kernel.domainname, kernel.shm*/msg*/sem and fs.mqueue.*",
			        key);
		}
	}
	return 0;
}

static int write_one(int root_fd, const char *key, const char *value, struct error *err)
{
	/* The UTS sysctls are owned by the host's root whatever the namespace: the syscalls are not. */
	if (strcmp(key, "kernel.hostname") == 0)
		return sethostname(value, strlen(value)) < 0 ? error_errno(err, "sysctl %s", key) : 0;
	if (strcmp(key, "kernel.domainname") == 0)
		return setdomainname(value, strlen(value)) < 0 ? error_errno(err, "sysctl %s", key) : 0;
	char path[300];
	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	cleanup_close int fd = fs_open_in_root(root_fd, path, O_WRONLY | O_NOCTTY, 0);
	if (fd < 0)
		return error_errno(err, "sysctl %s", key);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return error_set(err, EXDEV, "sysctl %s: %s in the container is not on procfs", key, path);
	if (fs_write_all(fd, value, strlen(value)) < 0)
		return error_errno(err, "sysctl %s=%s", key, value);
	return 0;
}

int sysctl_apply(const struct run_plan *plan, int root_fd, struct error *err)
{
	for (size_t i = 0; plan->sysctls && plan->sysctls[i]; i++) {
		char key[256];
		const char *value;
		if (!split(plan->sysctls[i], key, sizeof(key), &value))
			return error_set(err, EINVAL, "sysctl '%s': expected KEY=VALUE", plan->sysctls[i]);
		if (write_one(root_fd, key, value, err) < 0)
			return -1;
	}
	return 0;
}
