/* Names and text forms of process settings (capabilities, rlimits, docker's --ulimit,
 * --cap-add/--cap-drop, --sysctl): pure parsing shared by the run flags and the OCI face. */
#include "runtime/process_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

/* Indexed by capability number (linux/capability.h). */
static const char *const cap_names[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS (int)(sizeof(cap_names) / sizeof(cap_names[0]))

int cap_from_name(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (int c = 0; c < N_CAPS; c++)
		if (strcasecmp(name, cap_names[c] + 4) == 0)
			return c;
	return -1;
}

const char *cap_name(int cap)
{
	return cap >= 0 && cap < N_CAPS ? cap_names[cap] : "CAP_?";
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
        {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
        {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
};
#define N_RLIMITS (sizeof(rlimits) / sizeof(rlimits[0]))

int rlimit_from_name(const char *name)
{
	if (strncasecmp(name, "RLIMIT_", 7) == 0)
		name += 7;
	for (size_t i = 0; i < N_RLIMITS; i++)
		if (strcasecmp(name, rlimits[i].name) == 0)
			return rlimits[i].resource;
	return -1;
}

const char *rlimit_name(int resource)
{
	for (size_t i = 0; i < N_RLIMITS; i++)
		if (rlimits[i].resource == resource)
			return rlimits[i].name;
	return "?";
}

static int parse_limit(const char *text, uint64_t *out)
{
	if (strcmp(text, "unlimited") == 0 || strcmp(text, "-1") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int ulimit_parse(const char *spec, struct plan_rlimit *out, struct error *err)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return error_set(err, EINVAL, "--ulimit '%s': expected NAME=SOFT[:HARD] (nofile=1024:4096)",
		                 spec);
	char name[32];
	size_t n = (size_t)(eq - spec);
	if (n == 0 || n >= sizeof(name))
		return error_set(err, EINVAL, "--ulimit '%s': expected NAME=SOFT[:HARD]", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	int resource = rlimit_from_name(name);
	if (resource < 0)
		return error_set(err, EINVAL,
		                 "--ulimit '%s': unknown limit '%s' (nofile, nproc, stack, core, memlock, "
		                 "...)",
		                 spec, name);
	char soft[32], hard[32];
	const char *colon = strchr(eq + 1, ':');
	size_t sn = colon ? (size_t)(colon - eq - 1) : strlen(eq + 1);
	if (sn >= sizeof(soft) || (colon && strlen(colon + 1) >= sizeof(hard)))
		return error_set(err, EINVAL, "--ulimit '%s': value too long", spec);
	memcpy(soft, eq + 1, sn);
	soft[sn] = '\0';
	snprintf(hard, sizeof(hard), "%s", colon ? colon + 1 : soft);
	struct plan_rlimit r = {.resource = resource};
	if (parse_limit(soft, &r.soft) < 0 || parse_limit(hard, &r.hard) < 0)
		return error_set(err, EINVAL,
		                 "--ulimit '%s': limits are numbers or 'unlimited' (NAME=SOFT[:HARD])", spec);
	if (r.soft > r.hard)
		return error_set(err, EINVAL, "--ulimit '%s': the soft limit is above the hard limit", spec);
	*out = r;
	return 0;
}

static int caps_apply(char *const *names, bool add, uint64_t *set, uint64_t *added, const char *flag,
                      struct error *err)
{
	for (size_t i = 0; names && names[i]; i++) {
		if (strcasecmp(names[i], "ALL") == 0) {
			*set = add ? ~0ULL : 0;
			if (add)
				*added = ~0ULL;
			continue;
		}
		int c = cap_from_name(names[i]);
		if (c < 0)
			return error_set(err, EINVAL, "%s '%s': unknown capability (see capabilities(7))",
			                 flag, names[i]);
		if (add) {
			*set |= 1ULL << c;
			*added |= 1ULL << c;
		} else {
			*set &= ~(1ULL << c);
		}
	}
	return 0;
}

int caps_from_docker(char *const *add, char *const *drop, uint64_t *set, uint64_t *added, struct error *err)
{
	*set = ~0ULL;
	*added = 0;
	if (caps_apply(drop, false, set, added, "--cap-drop", err) < 0 ||
	    caps_apply(add, true, set, added, "--cap-add", err) < 0)
		return -1;
	return 0;
}

int sysctl_parse(const char *spec, char *key, size_t n, const char **value, struct error *err)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec)
		return error_set(err, EINVAL, "--sysctl '%s': expected KEY=VALUE (net.ipv4.ip_forward=1)",
		                 spec);
	size_t len = (size_t)(eq - spec);
	if (len >= n)
		return error_set(err, EINVAL, "--sysctl '%s': key too long", spec);
	for (size_t i = 0; i < len; i++) {
		char c = spec[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '_' || c == '-' || c == '.' || c == '/';
		if (!ok)
			return error_set(err, EINVAL, "--sysctl '%s': invalid character in the key", spec);
		key[i] = c == '/' ? '.' : c;
	}
	key[len] = '\0';
	if (key[0] == '.' || key[len - 1] == '.' || strstr(key, ".."))
		return error_set(err, EINVAL, "--sysctl '%s': invalid key", spec);
	*value = eq + 1;
	return 0;
}
