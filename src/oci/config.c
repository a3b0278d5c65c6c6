/* config.json (runtime-spec 1.x) to burrow's run plan. Unknown properties are ignored as the
 * spec asks; every known one burrow cannot honour is refused by name, so nothing that changes
 * what the container may do is dropped silently. */
#include "oci/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/mountspec.h"
#include "runtime/process_spec.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define CONFIG_MAX (4 << 20)

static const struct {
	const char *name;
	int number;
} signal_names[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
        {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int oci_cap_from_name(const char *name)
{
	return cap_from_name(name);
}

/* The spec names limits as RLIMIT_*, unlike docker's --ulimit. */
int oci_rlimit_from_name(const char *name)
{
	return strncmp(name, "RLIMIT_", 7) == 0 ? rlimit_from_name(name) : -1;
}

int oci_signal_from_text(const char *text)
{
	if (text[0] >= '0' && text[0] <= '9') {
		char *end;
		errno = 0;
		long v = strtol(text, &end, 10);
		return errno || *end || v < 1 || v > SIGRTMAX ? -1 : (int)v;
	}
	if (strncmp(text, "SIG", 3) == 0)
		text += 3;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (strcmp(signal_names[i].name, text) == 0)
			return signal_names[i].number;
	return -1;
}

static int refuse(struct error *err, const char *field, const char *why)
{
	return error_set(err, EINVAL, "config.json: %s is not supported%s%s", field, why ? ": " : "",
	                 why ? why : "");
}

static int bad(struct error *err, const char *field, const char *want)
{
	return error_set(err, EINVAL, "config.json: %s must be %s", field, want);
}

static int nomem(struct error *err)
{
	return error_set(err, ENOMEM, "out of memory");
}

/* A present, non-null member, checked to be of the wanted type. */
static int member(const json_t *obj, const char *key, json_type type, const char *field, const char *want,
                  json_t **out, struct error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v)))
		return bad(err, field, want);
	*out = v;
	return 0;
}

static int get_string(const json_t *obj, const char *key, const char *field, const char **out,
                      struct error *err)
{
	json_t *v;
	*out = NULL;
	if (member(obj, key, JSON_STRING, field, "a string", &v, err) < 0)
		return -1;
	*out = v ? json_string_value(v) : NULL;
	return 0;
}

static int get_bool(const json_t *obj, const char *key, const char *field, bool *out, struct error *err)
{
	json_t *v;
	if (member(obj, key, JSON_TRUE, field, "true or false", &v, err) < 0)
		return -1;
	if (v)
		*out = json_is_true(v);
	return 0;
}

/* An unsigned integer member no larger than max; *set tells whether it was there. */
static int get_uint(const json_t *obj, const char *key, const char *field, uint64_t max, uint64_t *out,
                    bool *set, struct error *err)
{
	json_t *v;
	if (member(obj, key, JSON_INTEGER, field, "an integer", &v, err) < 0)
		return -1;
	if (set)
		*set = v != NULL;
	if (!v)
		return 0;
	json_int_t i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return bad(err, field, "a non-negative integer in range");
	*out = (uint64_t)i;
	return 0;
}

/* An array of strings as a NULL-terminated vector (NULL when absent). */
static int get_strv(const json_t *obj, const char *key, const char *field, char ***out, struct error *err)
{
	json_t *arr;
	*out = NULL;
	if (member(obj, key, JSON_ARRAY, field, "an array of strings", &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	cleanup_strv char **v = calloc(1, sizeof(char *));
	if (!v)
		return nomem(err);
	size_t i;
	json_t *item;
	json_array_foreach(arr, i, item)
	{
		if (!json_is_string(item))
			return bad(err, field, "an array of strings");
		if (strv_push(&v, json_string_value(item)) < 0)
			return nomem(err);
	}
	*out = steal_pointer(&v);
	return 0;
}

/* Refuse key when present and not empty (an empty string, array or object asks for nothing). */
static int refuse_nonempty(const json_t *obj, const char *key, const char *field, const char *why,
                           struct error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)) ||
	    (json_is_array(v) && !json_array_size(v)) || (json_is_object(v) && !json_object_size(v)))
		return 0;
	return refuse(err, field, why);
}

static int add_mount(struct run_plan *plan, enum plan_mount_kind kind, const char *source, const char *target,
                     const char *data, bool readonly, unsigned int attrs, bool optional, struct error *err)
{
	struct plan_mount *grown = realloc(plan->mounts, (plan->n_mounts + 1) * sizeof(*grown));
	if (!grown)
		return nomem(err);
	plan->mounts = grown;
	struct plan_mount *m = &plan->mounts[plan->n_mounts++];
	*m = (struct plan_mount){.kind = kind, .readonly = readonly, .optional = optional, .attrs = attrs};
	m->source = source ? strdup(source) : NULL;
	m->target = strdup(target);
	m->data = data ? strdup(data) : NULL;
	if ((source && !m->source) || !m->target || (data && !m->data))
		return nomem(err);
	return 0;
}

/* A path inside the container, made absolute and normalized ("dev/shm" -> "/dev/shm"). */
static char *container_path(const char *p)
{
	cleanup_free char *abs = NULL;
	if (asprintf(&abs, "/%s", p) < 0)
		return NULL;
	char *out = malloc(strlen(abs) + 1);
	if (out)
		mountspec_normalize(abs, out);
	return out;
}

/* A host path relative to the bundle when not absolute. */
static char *bundle_path(const char *dir, const char *p)
{
	char *out = NULL;
	if (p[0] == '/')
		return strdup(p);
	return asprintf(&out, "%s/%s", dir, p) < 0 ? NULL : out;
}

static int parse_process_user(const json_t *user, const struct oci_host *host, struct oci_bundle *b,
                              uint32_t *uid, uint32_t *gid, struct error *err)
{
	uint64_t v = 0;
	if (get_uint(user, "uid", "process.user.uid", UINT32_MAX - 1, &v, NULL, err) < 0)
		return -1;
	*uid = (uint32_t)v;
	v = 0;
	if (get_uint(user, "gid", "process.user.gid", UINT32_MAX - 1, &v, NULL, err) < 0)
		return -1;
	*gid = (uint32_t)v;
	if (get_uint(user, "umask", "process.user.umask", 0777, &v, &b->plan.process.umask_set, err) < 0)
		return -1;
	b->plan.process.umask = (mode_t)v;
	if (refuse_nonempty(user, "username", "process.user.username", "it is for Windows", err) < 0)
		return -1;
	json_t *gids;
	if (member(user, "additionalGids", JSON_ARRAY, "process.user.additionalGids", "an array of ids",
	           &gids, err) < 0)
		return -1;
	size_t n = gids ? json_array_size(gids) : 0;
	if (n) {
		b->plan.process.additional_gids = calloc(n, sizeof(uint32_t));
		if (!b->plan.process.additional_gids)
			return nomem(err);
		for (size_t i = 0; i < n; i++) {
			json_t *g = json_array_get(gids, i);
			if (!json_is_integer(g) || json_integer_value(g) < 0 ||
			    json_integer_value(g) >= UINT32_MAX)
				return bad(err, "process.user.additionalGids", "an array of ids");
			b->plan.process.additional_gids[i] = (uint32_t)json_integer_value(g);
		}
		b->plan.process.n_additional_gids = n;
	}
	(void)host;
	return 0;
}

static int parse_caps(const json_t *caps, struct plan_process *p, struct error *err)
{
	static const char *const sets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
	uint64_t *masks[] = {&p->cap_bounding, &p->cap_effective, &p->cap_permitted, &p->cap_inheritable,
	                     &p->cap_ambient};
	p->caps_set = true;
	for (size_t s = 0; s < 5; s++) {
		char field[64];
		snprintf(field, sizeof(field), "process.capabilities.%s", sets[s]);
		cleanup_strv char **names = NULL;
		if (get_strv(caps, sets[s], field, &names, err) < 0)
			return -1;
		for (size_t i = 0; names && names[i]; i++) {
			int cap = oci_cap_from_name(names[i]);
			if (cap < 0)
				return error_set(err, EINVAL, "config.json: %s: unknown capability %s", field,
				                 names[i]);
			*masks[s] |= UINT64_C(1) << cap;
		}
	}
	/* As runc: an ambient capability the kernel would not raise (not both permitted and
	 * inheritable) grants nothing, and is dropped rather than refused. */
	p->cap_ambient &= p->cap_permitted & p->cap_inheritable;
	return 0;
}

static int parse_rlimits(const json_t *arr, struct plan_process *p, struct error *err)
{
	size_t n = json_array_size(arr);
	if (!n)
		return 0;
	p->rlimits = calloc(n, sizeof(*p->rlimits));
	if (!p->rlimits)
		return nomem(err);
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(arr, i);
		const char *type;
		if (!json_is_object(r))
			return bad(err, "process.rlimits[]", "objects");
		if (get_string(r, "type", "process.rlimits[].type", &type, err) < 0)
			return -1;
		int res = type ? oci_rlimit_from_name(type) : -1;
		if (res < 0)
			return error_set(err, EINVAL, "config.json: process.rlimits: unknown type %s",
			                 type ? type : "(none)");
		uint64_t soft = 0, hard = 0;
		if (get_uint(r, "soft", "process.rlimits[].soft", UINT64_MAX, &soft, NULL, err) < 0 ||
		    get_uint(r, "hard", "process.rlimits[].hard", UINT64_MAX, &hard, NULL, err) < 0)
			return -1;
		if (soft > hard)
			return error_set(err, EINVAL,
			                 "config.json: process.rlimits %s: soft %llu above hard %llu", type,
			                 (unsigned long long)soft, (unsigned long long)hard);
		p->rlimits[p->n_rlimits++] =
		        (struct plan_rlimit){.resource = res, .soft = soft, .hard = hard};
	}
	return 0;
}

/* process.terminal and process.consoleSize. */
static int parse_terminal(const json_t *proc, struct oci_process_extra *t, struct error *err)
{
	json_t *v;
	*t = (struct oci_process_extra){0};
	if (get_bool(proc, "terminal", "process.terminal", &t->terminal, err) < 0 ||
	    member(proc, "consoleSize", JSON_OBJECT, "process.consoleSize", "an object", &v, err) < 0)
		return -1;
	if (v) {
		uint64_t h = 0, w = 0;
		if (get_uint(v, "height", "process.consoleSize.height", UINT16_MAX, &h, NULL, err) < 0 ||
		    get_uint(v, "width", "process.consoleSize.width", UINT16_MAX, &w, NULL, err) < 0)
			return -1;
		t->console_height = (unsigned short)h;
		t->console_width = (unsigned short)w;
	}
	return 0;
}

static int parse_process(const json_t *proc, const struct oci_host *host, struct oci_bundle *b, uint32_t *uid,
                         uint32_t *gid, struct error *err)
{
	struct run_plan *plan = &b->plan;
	json_t *v;
	if (!json_is_object(proc))
		return bad(err, "process", "an object");
	struct oci_process_extra term;
	if (parse_terminal(proc, &term, err) < 0)
		return -1;
	b->terminal = term.terminal;
	b->console_height = term.console_height;
	b->console_width = term.console_width;
	if (get_strv(proc, "args", "process.args", &plan->argv, err) < 0)
		return -1;
	if (!plan->argv || !plan->argv[0] || !plan->argv[0][0])
		return bad(err, "process.args", "a non-empty array (the program to run)");
	if (refuse_nonempty(proc, "commandLine", "process.commandLine", "it is for Windows", err) < 0)
		return -1;
	if (get_strv(proc, "env", "process.env", &plan->env, err) < 0)
		return -1;
	if (!plan->env && !(plan->env = calloc(1, sizeof(char *))))
		return nomem(err);
	for (size_t i = 0; plan->env[i]; i++)
		if (!strchr(plan->env[i], '=') || plan->env[i][0] == '=')
			return error_set(err, EINVAL, "config.json: process.env entry '%s' is not KEY=VALUE",
			                 plan->env[i]);
	const char *cwd;
	if (get_string(proc, "cwd", "process.cwd", &cwd, err) < 0)
		return -1;
	if (!cwd || cwd[0] != '/')
		return bad(err, "process.cwd", "an absolute path");
	if (!(plan->workdir = container_path(cwd)))
		return nomem(err);
	if (member(proc, "user", JSON_OBJECT, "process.user", "an object", &v, err) < 0)
		return -1;
	if (v && parse_process_user(v, host, b, uid, gid, err) < 0)
		return -1;
	if (member(proc, "capabilities", JSON_OBJECT, "process.capabilities", "an object", &v, err) < 0)
		return -1;
	if (v && parse_caps(v, &plan->process, err) < 0)
		return -1;
	if (member(proc, "rlimits", JSON_ARRAY, "process.rlimits", "an array", &v, err) < 0)
		return -1;
	if (v && parse_rlimits(v, &plan->process, err) < 0)
		return -1;
	bool nnp = false;
	if (get_bool(proc, "noNewPrivileges", "process.noNewPrivileges", &nnp, err) < 0)
		return -1;
	plan->process.keep_new_privs = !nnp;
	if (member(proc, "oomScoreAdj", JSON_INTEGER, "process.oomScoreAdj", "an integer", &v, err) < 0)
		return -1;
	if (v) {
		json_int_t adj = json_integer_value(v);
		if (adj < -1000 || adj > 1000)
			return bad(err, "process.oomScoreAdj", "between -1000 and 1000");
		plan->process.oom_score_adj_set = true;
		plan->process.oom_score_adj = (int)adj;
	}
	if (refuse_nonempty(proc, "apparmorProfile", "process.apparmorProfile", "no AppArmor here", err) <
	            0 ||
	    refuse_nonempty(proc, "selinuxLabel", "process.selinuxLabel", "no SELinux here", err) < 0 ||
	    refuse_nonempty(proc, "scheduler", "process.scheduler", NULL, err) < 0 ||
	    refuse_nonempty(proc, "ioPriority", "process.ioPriority", NULL, err) < 0 ||
	    refuse_nonempty(proc, "execCPUAffinity", "process.execCPUAffinity", NULL, err) < 0)
		return -1;
	return 0;
}

/* Mount options: flags for the mount itself, the rest as filesystem data (tmpfs, devpts, mqueue). */
struct mount_opts {
	bool readonly, bind, recursive;
	unsigned int attrs;
	char data[1024];
};

static int parse_mount_options(const json_t *m, size_t index, struct mount_opts *o, struct error *err)
{
	char field[64];
	snprintf(field, sizeof(field), "mounts[%zu].options", index);
	cleanup_strv char **opts = NULL;
	if (get_strv(m, "options", field, &opts, err) < 0)
		return -1;
	static const char *const ignored[] = {
	        "relatime",   "norelatime", "strictatime", "nostrictatime", "noatime", "atime", "diratime",
	        "nodiratime", "private",    "rprivate",    "slave",         "rslave",  "suid",  "dev",
	        "exec",       "rw",         "async",       "lazytime",      NULL};
	for (size_t i = 0; opts && opts[i]; i++) {
		const char *opt = opts[i];
		bool known = false;
		for (size_t k = 0; ignored[k]; k++)
			known = known || strcmp(opt, ignored[k]) == 0;
		if (strcmp(opt, "ro") == 0)
			o->readonly = true;
		else if (strcmp(opt, "rw") == 0)
			o->readonly = false;
		else if (strcmp(opt, "bind") == 0)
			o->bind = true;
		else if (strcmp(opt, "rbind") == 0)
			o->bind = o->recursive = true;
		else if (strcmp(opt, "nosuid") == 0)
			o->attrs |= MOUNT_ATTR_NOSUID;
		else if (strcmp(opt, "nodev") == 0)
			o->attrs |= MOUNT_ATTR_NODEV;
		else if (strcmp(opt, "noexec") == 0)
			o->attrs |= MOUNT_ATTR_NOEXEC;
		else if (known)
			continue; /* atime choices, and propagation: our mounts are slaves of the host's */
		else if (strcmp(opt, "shared") == 0 || strcmp(opt, "rshared") == 0 ||
		         strcmp(opt, "unbindable") == 0 || strcmp(opt, "runbindable") == 0 ||
		         strcmp(opt, "tmpcopyup") == 0 || strcmp(opt, "idmap") == 0 ||
		         strcmp(opt, "ridmap") == 0 || strcmp(opt, "remount") == 0 ||
		         strcmp(opt, "sync") == 0 || strcmp(opt, "mand") == 0 || strcmp(opt, "dirsync") == 0)
			return error_set(err, EINVAL, "config.json: %s: option %s is not supported", field,
			                 opt);
		else {
			size_t used = strlen(o->data);
			if (used + strlen(opt) + 2 > sizeof(o->data))
				return bad(err, field, "shorter");
			snprintf(o->data + used, sizeof(o->data) - used, "%s%s", used ? "," : "", opt);
		}
	}
	return 0;
}

static int parse_mount(const json_t *m, size_t index, struct oci_bundle *b, bool *dev_tmpfs,
                       struct error *err)
{
	char field[64];
	snprintf(field, sizeof(field), "mounts[%zu]", index);
	if (!json_is_object(m))
		return bad(err, field, "an object");
	const char *dest, *type, *source;
	if (get_string(m, "destination", "mounts[].destination", &dest, err) < 0 ||
	    get_string(m, "type", "mounts[].type", &type, err) < 0 ||
	    get_string(m, "source", "mounts[].source", &source, err) < 0)
		return -1;
	if (!dest || !dest[0])
		return error_set(err, EINVAL, "config.json: %s.destination is missing", field);
	if (refuse_nonempty(m, "uidMappings", "mounts[].uidMappings", "no idmapped mounts", err) < 0 ||
	    refuse_nonempty(m, "gidMappings", "mounts[].gidMappings", "no idmapped mounts", err) < 0)
		return -1;
	struct mount_opts o = {0};
	if (parse_mount_options(m, index, &o, err) < 0)
		return -1;
	cleanup_free char *target = container_path(dest);
	if (!target)
		return nomem(err);
	if (strcmp(target, "/") == 0)
		return error_set(err, EINVAL,
		                 "config.json: %s: a mount over / is not supported (use root.path)", field);
	if (o.bind || (type && (strcmp(type, "bind") == 0 || strcmp(type, "none") == 0))) {
		if (!source || !source[0])
			return error_set(err, EINVAL, "config.json: %s is a bind mount without a source",
			                 field);
		cleanup_free char *src = bundle_path(b->dir, source);
		if (!src)
			return nomem(err);
		if (o.data[0])
			return error_set(err, EINVAL,
			                 "config.json: %s.options: %s does not apply to a bind mount", field,
			                 o.data);
		return add_mount(&b->plan, PLAN_MOUNT_BIND, src, target, NULL, o.readonly, o.attrs, false,
		                 err);
	}
	static const struct {
		const char *type;
		enum plan_mount_kind kind;
		bool takes_data;
	} kinds[] = {
	        {"proc", PLAN_MOUNT_PROC, false},      {"tmpfs", PLAN_MOUNT_TMPFS, true},
	        {"sysfs", PLAN_MOUNT_SYSFS, false},    {"devpts", PLAN_MOUNT_DEVPTS, true},
	        {"mqueue", PLAN_MOUNT_MQUEUE, false},  {"cgroup", PLAN_MOUNT_CGROUP, false},
	        {"cgroup2", PLAN_MOUNT_CGROUP, false},
	};
	for (size_t i = 0; type && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(type, kinds[i].type) != 0)
			continue;
		if (o.data[0] && !kinds[i].takes_data)
			return error_set(err, EINVAL, "config.json: %s.options: %s is not supported for %s",
			                 field, o.data, type);
		if (kinds[i].kind == PLAN_MOUNT_TMPFS && strcmp(target, "/dev") == 0)
			*dev_tmpfs = true;
		return add_mount(&b->plan, kinds[i].kind, NULL, target, o.data[0] ? o.data : NULL, o.readonly,
		                 o.attrs, false, err);
	}
	return error_set(err, EINVAL,
	                 "config.json: %s.type %s is not supported (bind, proc, tmpfs, sysfs, "
	                 "devpts, mqueue, cgroup)",
	                 field, type ? type : "(none)");
}

/* The devices every runc container has, and /dev's usual links, when /dev is a fresh tmpfs. */
static int add_default_devices(struct run_plan *plan, struct error *err)
{
	static const char *const nodes[] = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
	                                    "/dev/urandom", "/dev/tty",  NULL};
	static const char *const links[][2] = {
	        {"/dev/fd", "/proc/self/fd"},       {"/dev/stdin", "/proc/self/fd/0"},
	        {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"},
	        {"/dev/ptmx", "pts/ptmx"},
	};
	for (size_t i = 0; nodes[i]; i++) {
		bool listed = false;
		for (size_t k = 0; k < plan->n_mounts; k++)
			listed = listed || strcmp(plan->mounts[k].target, nodes[i]) == 0;
		if (!listed &&
		    add_mount(plan, PLAN_MOUNT_BIND, nodes[i], nodes[i], NULL, false, 0, true, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (add_mount(plan, PLAN_MOUNT_SYMLINK, NULL, links[i][0], links[i][1], false, 0, false,
		              err) < 0)
			return -1;
	return 0;
}

/* Devices are bound from the host's nodes: a user namespace cannot make device nodes. */
static int parse_devices(const json_t *arr, struct run_plan *plan, struct error *err)
{
	size_t i;
	json_t *d;
	json_array_foreach(arr, i, d)
	{
		const char *path;
		if (!json_is_object(d))
			return bad(err, "linux.devices[]", "objects");
		if (get_string(d, "path", "linux.devices[].path", &path, err) < 0)
			return -1;
		if (!path || path[0] != '/')
			return bad(err, "linux.devices[].path", "an absolute path");
		cleanup_free char *target = container_path(path);
		if (!target)
			return nomem(err);
		if (add_mount(plan, PLAN_MOUNT_BIND, target, target, NULL, false, 0, false, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_mappings(const json_t *linux_obj, const char *key, struct idmap *map, struct error *err)
{
	char field[64];
	snprintf(field, sizeof(field), "linux.%s", key);
	json_t *arr;
	if (member(linux_obj, key, JSON_ARRAY, field, "an array", &arr, err) < 0)
		return -1;
	map->n = 0;
	size_t n = arr ? json_array_size(arr) : 0;
	if (n > IDMAP_MAX_RANGES)
		return error_set(err, EINVAL, "config.json: %s has %zu ranges; burrow maps at most %d", field,
		                 n, IDMAP_MAX_RANGES);
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(arr, i);
		uint64_t inside = 0, outside = 0, size = 0;
		bool has_in, has_out, has_size;
		if (!json_is_object(r))
			return bad(err, field, "an array of objects");
		if (get_uint(r, "containerID", field, UINT32_MAX - 1, &inside, &has_in, err) < 0 ||
		    get_uint(r, "hostID", field, UINT32_MAX - 1, &outside, &has_out, err) < 0 ||
		    get_uint(r, "size", field, UINT32_MAX, &size, &has_size, err) < 0)
			return -1;
		if (!has_in || !has_out || !has_size || size == 0 || inside + size > UINT32_MAX ||
		    outside + size > UINT32_MAX)
			return bad(err, field, "ranges of containerID, hostID and a size of at least 1");
		map->ranges[map->n++] =
		        (struct idmap_range){(uint32_t)inside, (uint32_t)outside, (uint32_t)size};
	}
	return 0;
}

static const struct {
	const char *type;
	int join; /* enum plan_namespace, or -1 */
} ns_types[] = {
        {"pid", PLAN_NS_PID},   {"network", PLAN_NS_NET},   {"ipc", PLAN_NS_IPC},
        {"uts", PLAN_NS_UTS},   {"cgroup", PLAN_NS_CGROUP}, {"mount", -1},
        {"user", PLAN_NS_USER},
};

static int parse_namespaces(const json_t *arr, struct run_plan *plan, bool *new_uts, struct error *err)
{
	size_t i;
	json_t *ns;
	json_array_foreach(arr, i, ns)
	{
		const char *type, *path;
		if (!json_is_object(ns))
			return bad(err, "linux.namespaces[]", "objects");
		if (get_string(ns, "type", "linux.namespaces[].type", &type, err) < 0 ||
		    get_string(ns, "path", "linux.namespaces[].path", &path, err) < 0)
			return -1;
		if (path && !path[0])
			path = NULL;
		size_t k = 0;
		while (type && k < sizeof(ns_types) / sizeof(ns_types[0]) &&
		       strcmp(ns_types[k].type, type) != 0)
			k++;
		if (!type || k == sizeof(ns_types) / sizeof(ns_types[0]))
			return error_set(err, EINVAL,
			                 "config.json: linux.namespaces: type %s is not supported",
			                 type ? type : "(none)");
		int join = ns_types[k].join;
		if (path && join < 0)
			return error_set(
			        err, EINVAL,
			        "config.json: linux.namespaces: joining a %s namespace by path is not "
			        "supported (burrow always makes its own)",
			        type);
		if (path && path[0] != '/')
			return bad(err, "linux.namespaces[].path", "an absolute path");
		if (path) {
			free(plan->ns_join[join]);
			if (!(plan->ns_join[join] = strdup(path)))
				return nomem(err);
			continue;
		}
		switch (join) {
		case PLAN_NS_PID:
			plan->new_pid = true;
			break;
		case PLAN_NS_NET:
			plan->network_none = true;
			break;
		case PLAN_NS_IPC:
			plan->new_ipc = true;
			break;
		case PLAN_NS_UTS:
			*new_uts = true;
			break;
		case PLAN_NS_CGROUP:
			plan->new_cgroup = true;
			break;
		default:
			break; /* user and mount: burrow makes both unless the user namespace is joined */
		}
	}
	return 0;
}

static int parse_sysctl(const json_t *obj, struct run_plan *plan, struct error *err)
{
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)obj, key, value)
	{
		if (!json_is_string(value))
			return bad(err, "linux.sysctl values", "strings");
		if (!key[0] || strchr(key, '/') || strstr(key, ".."))
			return error_set(err, EINVAL, "config.json: linux.sysctl: bad key '%s'", key);
		char *entry = NULL;
		if (asprintf(&entry, "%s=%s", key, json_string_value(value)) < 0)
			return nomem(err);
		if (strv_push_owned(&plan->sysctls, entry) < 0) {
			free(entry);
			return nomem(err);
		}
	}
	return 0;
}

static int warn(struct oci_bundle *b, const char *text, struct error *err)
{
	return strv_push(&b->warnings, text) < 0 ? nomem(err) : 0;
}

static int parse_paths(const json_t *linux_obj, const char *key, char ***out, struct error *err)
{
	char field[64];
	snprintf(field, sizeof(field), "linux.%s", key);
	cleanup_strv char **given = NULL;
	if (get_strv(linux_obj, key, field, &given, err) < 0)
		return -1;
	for (size_t i = 0; given && given[i]; i++) {
		if (given[i][0] != '/')
			return error_set(err, EINVAL, "config.json: %s: '%s' is not an absolute path", field,
			                 given[i]);
		char *p = container_path(given[i]);
		if (!p || strv_push_owned(out, p) < 0) {
			free(p);
			return nomem(err);
		}
	}
	return 0;
}

static int parse_linux(const json_t *lx, struct oci_bundle *b, bool *new_uts, struct error *err)
{
	struct run_plan *plan = &b->plan;
	if (!json_is_object(lx))
		return bad(err, "linux", "an object");
	json_t *v;
	if (member(lx, "namespaces", JSON_ARRAY, "linux.namespaces", "an array", &v, err) < 0)
		return -1;
	if (v && parse_namespaces(v, plan, new_uts, err) < 0)
		return -1;
	if (parse_mappings(lx, "uidMappings", &plan->uids, err) < 0 ||
	    parse_mappings(lx, "gidMappings", &plan->gids, err) < 0)
		return -1;
	if (member(lx, "devices", JSON_ARRAY, "linux.devices", "an array", &v, err) < 0)
		return -1;
	if (v && parse_devices(v, plan, err) < 0)
		return -1;
	if (member(lx, "sysctl", JSON_OBJECT, "linux.sysctl", "an object", &v, err) < 0)
		return -1;
	if (v && parse_sysctl(v, plan, err) < 0)
		return -1;
	if (parse_paths(lx, "maskedPaths", &plan->masked_paths, err) < 0 ||
	    parse_paths(lx, "readonlyPaths", &plan->readonly_paths, err) < 0)
		return -1;
	const char *prop;
	if (get_string(lx, "rootfsPropagation", "linux.rootfsPropagation", &prop, err) < 0)
		return -1;
	if (prop && prop[0] && strcmp(prop, "slave") != 0 && strcmp(prop, "rslave") != 0 &&
	    strcmp(prop, "private") != 0 && strcmp(prop, "rprivate") != 0)
		return refuse(err, "linux.rootfsPropagation shared or unbindable",
		              "the container's mounts are slaves of the host's");
	json_t *res = json_object_get(lx, "resources");
	if (res && json_is_object(res) && json_object_size(res) &&
	    warn(b, "linux.resources ignored: no cgroup delegation for this user (as runc rootless)", err) <
	            0)
		return -1;
	if (refuse_nonempty(lx, "intelRdt", "linux.intelRdt", NULL, err) < 0 ||
	    refuse_nonempty(lx, "mountLabel", "linux.mountLabel", "no SELinux here", err) < 0 ||
	    refuse_nonempty(lx, "personality", "linux.personality", NULL, err) < 0 ||
	    refuse_nonempty(lx, "timeOffsets", "linux.timeOffsets", "no time namespace", err) < 0 ||
	    refuse_nonempty(lx, "memoryPolicy", "linux.memoryPolicy", NULL, err) < 0 ||
	    refuse_nonempty(lx, "netDevices", "linux.netDevices", NULL, err) < 0)
		return -1;
	if (member(lx, "seccomp", JSON_OBJECT, "linux.seccomp", "an object", &v, err) < 0)
		return -1;
	if (v && seccomp_profile_from_json(v, &plan->process.seccomp, err) < 0) {
		error_prefix(err, "config.json: linux.seccomp");
		return -1;
	}
	return 0;
}

static int parse_hooks(const json_t *hooks, struct oci_bundle *b, struct error *err)
{
	static const struct {
		const char *key;
		enum oci_hook_kind kind;
	} names[] = {
	        {"prestart", OCI_HOOK_CREATE_RUNTIME},
	        {"createRuntime", OCI_HOOK_CREATE_RUNTIME},
	        {"createContainer", OCI_HOOK_CREATE_CONTAINER},
	        {"startContainer", OCI_HOOK_START_CONTAINER},
	        {"poststart", OCI_HOOK_POSTSTART},
	        {"poststop", OCI_HOOK_POSTSTOP},
	};
	if (!json_is_object(hooks))
		return bad(err, "hooks", "an object");
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char field[64];
		snprintf(field, sizeof(field), "hooks.%s", names[k].key);
		json_t *arr;
		if (member(hooks, names[k].key, JSON_ARRAY, field, "an array", &arr, err) < 0)
			return -1;
		size_t n = arr ? json_array_size(arr) : 0;
		if (!n)
			continue;
		enum oci_hook_kind kind = names[k].kind;
		struct oci_hook *grown = realloc(b->hooks[kind], (b->n_hooks[kind] + n) * sizeof(*grown));
		if (!grown)
			return nomem(err);
		b->hooks[kind] = grown;
		for (size_t i = 0; i < n; i++) {
			json_t *h = json_array_get(arr, i);
			struct oci_hook *hook = &b->hooks[kind][b->n_hooks[kind]++];
			*hook = (struct oci_hook){0};
			const char *path;
			if (!json_is_object(h))
				return bad(err, field, "an array of objects");
			if (get_string(h, "path", field, &path, err) < 0)
				return -1;
			if (!path || path[0] != '/')
				return error_set(err, EINVAL,
				                 "config.json: %s[%zu].path must be an absolute path", field,
				                 i);
			uint64_t timeout = 0;
			bool has_timeout;
			if (!(hook->path = strdup(path)))
				return nomem(err);
			if (get_strv(h, "args", field, &hook->args, err) < 0 ||
			    get_strv(h, "env", field, &hook->env, err) < 0 ||
			    get_uint(h, "timeout", field, INT_MAX, &timeout, &has_timeout, err) < 0)
				return -1;
			if (has_timeout && timeout == 0)
				return error_set(err, EINVAL, "config.json: %s[%zu].timeout must be above 0",
				                 field, i);
			hook->timeout = (int)timeout;
		}
	}
	return 0;
}

/* No mappings (crun spec --rootless): the caller's own id becomes the process's. Given ones must
 * map the caller to the process's id, as burrow runs the program as the caller. */
static int check_ids(struct run_plan *plan, const struct oci_host *host, uint32_t uid, uint32_t gid,
                     struct error *err)
{
	if (plan->uids.n == 0)
		plan->uids = (struct idmap){.ranges = {{uid, host->uid, 1}}, .n = 1};
	if (plan->gids.n == 0)
		plan->gids = (struct idmap){.ranges = {{gid, host->gid, 1}}, .n = 1};
	if (idmap_to_inside(&plan->uids, host->uid) != uid || !plan->uids.n)
		return error_set(err, EINVAL,
		                 "config.json: process.user.uid %u is not the id linux.uidMappings gives you "
		                 "(%u); burrow runs the process as you",
		                 uid, (unsigned)host->uid);
	if (idmap_to_inside(&plan->gids, host->gid) != gid)
		return error_set(err, EINVAL,
		                 "config.json: process.user.gid %u is not the id linux.gidMappings gives "
		                 "your group (%u)",
		                 gid, (unsigned)host->gid);
	/* The host id itself is returned when unmapped: make sure it really is mapped. */
	bool mapped = false;
	for (size_t i = 0; i < plan->uids.n; i++)
		mapped = mapped || (host->uid >= plan->uids.ranges[i].outside &&
		                    host->uid - plan->uids.ranges[i].outside < plan->uids.ranges[i].count);
	if (!mapped)
		return error_set(err, EINVAL, "config.json: linux.uidMappings does not map your uid %u",
		                 (unsigned)host->uid);
	return 0;
}

static int parse_root(const json_t *cfg, struct oci_bundle *b, struct error *err)
{
	json_t *root;
	if (member(cfg, "root", JSON_OBJECT, "root", "an object", &root, err) < 0)
		return -1;
	const char *path = NULL;
	if (root && get_string(root, "path", "root.path", &path, err) < 0)
		return -1;
	if (!path || !path[0])
		return error_set(err, EINVAL,
		                 "config.json: root.path is missing (the bundle's root filesystem)");
	if (get_bool(root, "readonly", "root.readonly", &b->plan.rootfs_readonly, err) < 0)
		return -1;
	if (!(b->plan.rootfs = bundle_path(b->dir, path)))
		return nomem(err);
	return 0;
}

static int parse_config(const json_t *cfg, const struct oci_host *host, struct oci_bundle *b,
                        struct error *err)
{
	struct run_plan *plan = &b->plan;
	if (!json_is_object(cfg))
		return bad(err, "the document", "a JSON object");
	const char *version;
	if (get_string(cfg, "ociVersion", "ociVersion", &version, err) < 0)
		return -1;
	if (!version || strncmp(version, "1.", 2) != 0)
		return error_set(err, EINVAL, "config.json: ociVersion %s is not supported (1.x is)",
		                 version ? version : "(missing)");
	if (!(b->oci_version = strdup(version)))
		return nomem(err);
	if (refuse_nonempty(cfg, "solaris", "solaris", NULL, err) < 0 ||
	    refuse_nonempty(cfg, "windows", "windows", NULL, err) < 0 ||
	    refuse_nonempty(cfg, "vm", "vm", NULL, err) < 0 ||
	    refuse_nonempty(cfg, "zos", "zos", NULL, err) < 0 ||
	    refuse_nonempty(cfg, "domainname", "domainname", NULL, err) < 0)
		return -1;
	if (parse_root(cfg, b, err) < 0)
		return -1;
	uint32_t uid = 0, gid = 0;
	json_t *v;
	if (member(cfg, "process", JSON_OBJECT, "process", "an object", &v, err) < 0)
		return -1;
	if (!v)
		return error_set(err, EINVAL, "config.json: process is missing (the program to run)");
	if (parse_process(v, host, b, &uid, &gid, err) < 0)
		return -1;
	bool new_uts = false;
	if (member(cfg, "linux", JSON_OBJECT, "linux", "an object", &v, err) < 0)
		return -1;
	if (v && parse_linux(v, b, &new_uts, err) < 0)
		return -1;
	if (plan->ns_join[PLAN_NS_USER]) {
		/* The joined namespace's own maps apply. */
		if (plan->uids.n || plan->gids.n)
			return error_set(
			        err, EINVAL,
			        "config.json: linux.uidMappings and gidMappings cannot be given with a "
			        "joined user namespace (it has its own)");
	} else if (check_ids(plan, host, uid, gid, err) < 0) {
		return -1;
	}
	const char *hostname;
	if (get_string(cfg, "hostname", "hostname", &hostname, err) < 0)
		return -1;
	if (hostname && hostname[0] && !new_uts)
		return error_set(err, EINVAL,
		                 "config.json: hostname needs a new uts namespace in linux.namespaces");
	if (new_uts && !(plan->hostname = strdup(hostname && hostname[0] ? hostname : host->hostname)))
		return nomem(err);
	/* The bundle's devices come first: they may sit under a /dev tmpfs mounted by mounts[]. */
	struct plan_mount *devices = plan->mounts;
	size_t n_devices = plan->n_mounts;
	plan->mounts = NULL;
	plan->n_mounts = 0;
	bool dev_tmpfs = false;
	int rc = 0;
	if (member(cfg, "mounts", JSON_ARRAY, "mounts", "an array", &v, err) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && v && i < json_array_size(v); i++)
		rc = parse_mount(json_array_get(v, i), i, b, &dev_tmpfs, err);
	for (size_t i = 0; i < n_devices; i++) {
		struct plan_mount *d = &devices[i];
		if (rc == 0)
			rc = add_mount(plan, d->kind, d->source, d->target, NULL, false, 0, false, err);
		free(d->source);
		free(d->target);
		free(d->data);
	}
	free(devices);
	if (rc < 0 || (dev_tmpfs && add_default_devices(plan, err) < 0))
		return -1;
	/* A fresh procfs needs a PID namespace of the user namespace's own: without one the
	 * host's /proc is bound, as burrow start does. */
	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct plan_mount *m = &plan->mounts[i];
		if (m->kind == PLAN_MOUNT_PROC && !plan->new_pid) {
			m->kind = PLAN_MOUNT_BIND;
			if (!(m->source = strdup("/proc")))
				return nomem(err);
		}
	}
	if (member(cfg, "hooks", JSON_OBJECT, "hooks", "an object", &v, err) < 0)
		return -1;
	if (v && parse_hooks(v, b, err) < 0)
		return -1;
	if (member(cfg, "annotations", JSON_OBJECT, "annotations", "an object", &v, err) < 0)
		return -1;
	const char *key;
	json_t *value;
	json_object_foreach(v, key, value)
	{
		if (!json_is_string(value))
			return bad(err, "annotations values", "strings");
	}
	b->annotations = v ? json_deep_copy(v) : json_object();
	if (!b->annotations)
		return nomem(err);
	plan->oci = true;
	plan->create_workdir = true;
	return 0;
}

int oci_config_parse(const char *text, size_t len, const char *dir, const struct oci_host *host,
                     struct oci_bundle *b, struct error *err)
{
	memset(b, 0, sizeof(*b));
	json_error_t jerr;
	json_t *cfg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!cfg)
		return error_set(err, EINVAL, "config.json: line %d: %s", jerr.line, jerr.text);
	int rc = -1;
	if (!(b->dir = strdup(dir)))
		nomem(err);
	else
		rc = parse_config(cfg, host, b, err);
	json_decref(cfg);
	if (rc < 0)
		oci_bundle_free(b);
	return rc;
}

int oci_bundle_load(const char *dir, struct oci_bundle *b, struct error *err)
{
	memset(b, 0, sizeof(*b));
	cleanup_free char *abs = realpath(dir, NULL);
	if (!abs)
		return error_errno(err, "bundle %s", dir);
	cleanup_close int dir_fd = open(abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return error_errno(err, "bundle %s", abs);
	size_t len;
	cleanup_free char *text = fs_read_file_at(dir_fd, "config.json", false, CONFIG_MAX, &len, err);
	if (!text) {
		error_prefix(err, "bundle %s", abs);
		return -1;
	}
	char hostname[256] = "";
	gethostname(hostname, sizeof(hostname) - 1);
	struct oci_host host = {.uid = (uint32_t)getuid(), .gid = (uint32_t)getgid(), .hostname = hostname};
	if (oci_config_parse(text, len, abs, &host, b, err) < 0) {
		error_prefix(err, "bundle %s", abs);
		return -1;
	}
	return 0;
}

void oci_bundle_free(struct oci_bundle *b)
{
	free(b->dir);
	free(b->oci_version);
	plan_free(&b->plan);
	if (b->annotations)
		json_decref(b->annotations);
	for (size_t k = 0; k < OCI_HOOK_COUNT; k++) {
		for (size_t i = 0; i < b->n_hooks[k]; i++) {
			free(b->hooks[k][i].path);
			strv_free(b->hooks[k][i].args);
			strv_free(b->hooks[k][i].env);
		}
		free(b->hooks[k]);
	}
	strv_free(b->warnings);
	memset(b, 0, sizeof(*b));
}

int oci_process_parse(const char *text, size_t len, char ***argv, char ***env, char **cwd,
                      struct oci_process_extra *extra, struct error *err)
{
	*argv = *env = NULL;
	*cwd = NULL;
	json_error_t jerr;
	json_t *proc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!proc)
		return error_set(err, EINVAL, "process.json: line %d: %s", jerr.line, jerr.text);
	int rc = -1;
	const char *dir = NULL;
	if (!json_is_object(proc))
		bad(err, "process", "an object");
	else if (parse_terminal(proc, extra, err) == 0 &&
	         get_strv(proc, "args", "process.args", argv, err) == 0 &&
	         get_strv(proc, "env", "process.env", env, err) == 0 &&
	         get_string(proc, "cwd", "process.cwd", &dir, err) == 0) {
		if (!*argv || !(*argv)[0])
			bad(err, "process.args", "a non-empty array");
		else if (dir && dir[0] != '/')
			bad(err, "process.cwd", "an absolute path");
		else if (dir && !(*cwd = strdup(dir)))
			nomem(err);
		else
			rc = 0;
	}
	json_decref(proc);
	if (rc < 0) {
		strv_free(*argv);
		strv_free(*env);
		*argv = *env = NULL;
	}
	return rc;
}
