/* The process settings of a start (struct plan_process): groups, rlimits, capabilities,
 * no_new_privs, umask, oom_score_adj and seccomp, applied in the child before exec. Not the
 * place that parses them (process_spec.c, seccomp.c) or that mounts anything. */
#include "runtime/process_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/process_spec.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* A /proc file of our own, refused unless it really is on procfs (a bind over /proc must not
 * redirect the write). */
static int open_proc_self(const char *name, int flags, struct error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/%s", name);
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_errno(err, "open %s", path);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return error_set(err, EXDEV, "%s is not on procfs", path);
	}
	return fd;
}

int process_setup_oom(const struct plan_process *p, struct error *err)
{
	if (!p->oom_score_adj_set)
		return 0;
	cleanup_close int fd = open_proc_self("oom_score_adj", O_RDWR, err);
	if (fd < 0)
		return -1;
	char now[32] = "";
	ssize_t n = pread(fd, now, sizeof(now) - 1, 0);
	now[n > 0 ? n : 0] = '\0';
	now[strcspn(now, "\n")] = '\0';
	char text[32];
	int len = snprintf(text, sizeof(text), "%d", p->oom_score_adj);
	if (write(fd, text, (size_t)len) != len) {
		if (errno == EACCES || errno == EPERM)
			return error_set(
			        err, errno,
			        "oom_score_adj %d: lower than the current %s, which needs privileges "
			        "outside the container (give %s or more)",
			        p->oom_score_adj, now, now);
		return error_errno(err, "oom_score_adj %d", p->oom_score_adj);
	}
	return 0;
}

static int set_groups(const struct plan_process *p, struct error *err)
{
	if (p->n_additional_gids == 0)
		return 0;
	char state[16] = "";
	cleanup_close int fd = open_proc_self("setgroups", O_RDONLY, err);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, state, sizeof(state) - 1);
	state[n > 0 ? n : 0] = '\0';
	if (strncmp(state, "deny", 4) == 0)
		return error_set(err, EPERM,
		                 "additional groups: a user namespace with a single-id map forbids "
		                 "setgroups(2); ask for a subordinate gid range in /etc/subgid (see 'burrow "
		                 "check') and do not use -u");
	gid_t *gids = calloc(p->n_additional_gids, sizeof(*gids));
	if (!gids)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_additional_gids; i++)
		gids[i] = p->additional_gids[i];
	int rc = setgroups(p->n_additional_gids, gids);
	free(gids);
	if (rc < 0 && errno == EINVAL)
		return error_set(err, EINVAL,
		                 "additional groups: a group id is not mapped in the container's user "
		                 "namespace");
	return rc < 0 ? error_errno(err, "additional groups") : 0;
}

static int set_rlimits(const struct plan_process *p, struct error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct plan_rlimit *r = &p->rlimits[i];
		const char *name = rlimit_name(r->resource);
		struct rlimit now;
		if (getrlimit(r->resource, &now) < 0)
			return error_errno(err, "rlimit %s", name);
		struct rlimit want = {.rlim_cur = r->soft, .rlim_max = r->hard};
		if (want.rlim_cur > want.rlim_max)
			return error_set(err, EINVAL, "rlimit %s: soft limit %llu above the hard limit %llu",
			                 name, (unsigned long long)r->soft, (unsigned long long)r->hard);
		if (setrlimit(r->resource, &want) == 0)
			continue;
		if (errno == EPERM && want.rlim_max > now.rlim_max)
			return error_set(err, EPERM,
			                 "rlimit %s: hard limit %llu is above the current hard limit %llu, "
			                 "which only privileges outside the container can raise",
			                 name, (unsigned long long)r->hard, (unsigned long long)now.rlim_max);
		return error_errno(err, "rlimit %s", name);
	}
	return 0;
}

/* The capabilities this kernel knows, as a mask. */
static uint64_t caps_known(void)
{
	uint64_t mask = 0;
	for (int c = 0; c < 64 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		mask |= 1ULL << c;
	return mask;
}

static int drop_bounding(const struct plan_process *p, uint64_t known, struct error *err)
{
	for (int c = 0; c < 64; c++) {
		if (!(known & (1ULL << c)) || (p->cap_bounding & (1ULL << c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return error_errno(err, "drop %s from the bounding set", cap_name(c));
	}
	return 0;
}

static int set_caps(const struct plan_process *p, uint64_t known, struct error *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};
	uint64_t eff = p->cap_effective & known, prm = p->cap_permitted & known,
	         inh = p->cap_inheritable & known;
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)prm;
	data[1].permitted = (uint32_t)(prm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return error_errno(err, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return error_errno(err, "clear ambient capabilities");
	for (int c = 0; c < 64; c++) {
		if (!(p->cap_ambient & known & (1ULL << c)))
			continue;
		/* The kernel raises only what is both permitted and inheritable. */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return error_errno(err,
			                   "ambient capability %s (it must be permitted and inheritable too)",
			                   cap_name(c));
	}
	return 0;
}

int process_setup_final(const struct plan_process *p, struct error *err)
{
	/* setgroups and the bounding set need CAP_SETGID and CAP_SETPCAP: before capset. */
	if (set_groups(p, err) < 0 || set_rlimits(p, err) < 0)
		return -1;
	uint64_t known = caps_known();
	if (p->caps_set && drop_bounding(p, known, err) < 0)
		return -1;
	/* Without no_new_privs a filter needs CAP_SYS_ADMIN, which capset may be about to drop. */
	if (p->keep_new_privs && p->seccomp && seccomp_profile_load(p->seccomp, err) < 0)
		return -1;
	if (p->caps_set && set_caps(p, known, err) < 0)
		return -1;
	if (!p->keep_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_errno(err, "no_new_privs");
	if (p->umask_set)
		umask(p->umask);
	if (!p->keep_new_privs && p->seccomp && seccomp_profile_load(p->seccomp, err) < 0)
		return -1;
	return 0;
}
