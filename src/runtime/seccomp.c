/* Seccomp profiles: JSON to data, data to a loaded filter (libseccomp). Not the place that
 * decides when a filter is loaded: process_setup.c does, last before exec.
 * Syscall names this libseccomp does not know are skipped, as runc does: profiles list calls of
 * newer kernels and other architectures. Unknown actions, operators, architectures and flags
 * are errors, since skipping those would change what the filter allows. */
#include "runtime/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strv.h"

static const struct {
	const char *name;
	enum seccomp_action action;
} actions[] = {
        {"SCMP_ACT_KILL", SECCOMP_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", SECCOMP_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", SECCOMP_KILL_PROCESS},
        {"SCMP_ACT_TRAP", SECCOMP_TRAP},
        {"SCMP_ACT_ERRNO", SECCOMP_ERRNO},
        {"SCMP_ACT_TRACE", SECCOMP_TRACE},
        {"SCMP_ACT_ALLOW", SECCOMP_ALLOW},
        {"SCMP_ACT_LOG", SECCOMP_LOG},
};

static const struct {
	const char *name;
	enum seccomp_op op;
	enum scmp_compare scmp;
} operators[] = {
        {"SCMP_CMP_NE", SECCOMP_OP_NE, SCMP_CMP_NE},
        {"SCMP_CMP_LT", SECCOMP_OP_LT, SCMP_CMP_LT},
        {"SCMP_CMP_LE", SECCOMP_OP_LE, SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SECCOMP_OP_EQ, SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SECCOMP_OP_GE, SCMP_CMP_GE},
        {"SCMP_CMP_GT", SECCOMP_OP_GT, SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SECCOMP_OP_MASKED_EQ, SCMP_CMP_MASKED_EQ},
};

void seccomp_profile_free(struct seccomp_profile *profile)
{
	if (!profile)
		return;
	for (size_t i = 0; i < profile->n_rules; i++) {
		strv_free(profile->rules[i].names);
		free(profile->rules[i].args);
	}
	free(profile->rules);
	free(profile->arches);
	free(profile);
}

static int parse_action(const json_t *v, const char *where, enum seccomp_action *out, struct error *err)
{
	if (!json_is_string(v))
		return error_set(err, EINVAL, "seccomp: %s: expected an action string (SCMP_ACT_...)", where);
	const char *name = json_string_value(v);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(name, actions[i].name) == 0) {
			*out = actions[i].action;
			return 0;
		}
	}
	if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		return error_set(err, ENOTSUP, "seccomp: %s: SCMP_ACT_NOTIFY is not supported (no listener)",
		                 where);
	return error_set(err, EINVAL, "seccomp: %s: unknown action '%s'", where, name);
}

/* An errnoRet: a non-negative integer that fits an errno. */
static int parse_ret(const json_t *v, const char *where, int dflt, int *out, struct error *err)
{
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
		return error_set(err, EINVAL, "seccomp: %s: errnoRet must be an integer from 0 to 65535",
		                 where);
	*out = (int)json_integer_value(v);
	return 0;
}

static int parse_arches(const json_t *list, struct seccomp_profile *p, struct error *err)
{
	if (!list)
		return 0;
	if (!json_is_array(list))
		return error_set(err, EINVAL, "seccomp: architectures must be an array");
	size_t n = json_array_size(list);
	p->arches = calloc(n ? n : 1, sizeof(*p->arches));
	if (!p->arches)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_array_get(list, i));
		if (!name)
			return error_set(err, EINVAL, "seccomp: architectures[%zu] must be a string", i);
		char lower[32];
		const char *bare = strncmp(name, "SCMP_ARCH_", 10) == 0 ? name + 10 : name;
		size_t len = strlen(bare);
		if (len == 0 || len >= sizeof(lower))
			return error_set(err, EINVAL, "seccomp: unknown architecture '%s'", name);
		for (size_t k = 0; k <= len; k++)
			lower[k] = (char)(bare[k] >= 'A' && bare[k] <= 'Z' ? bare[k] - 'A' + 'a' : bare[k]);
		uint32_t arch = seccomp_arch_resolve_name(lower);
		if (arch == 0)
			return error_set(err, EINVAL, "seccomp: unknown architecture '%s'", name);
		p->arches[p->n_arches++] = arch;
	}
	return 0;
}

static int parse_flags(const json_t *list, struct seccomp_profile *p, struct error *err)
{
	if (!list)
		return 0;
	if (!json_is_array(list))
		return error_set(err, EINVAL, "seccomp: flags must be an array");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		const char *name = json_string_value(v);
		if (name && strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			p->tsync = true;
		else if (name && strcmp(name, "SECCOMP_FILTER_FLAG_LOG") == 0)
			p->log = true;
		else if (name && strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			p->spec_allow = true;
		else
			return error_set(err, EINVAL, "seccomp: unknown flag '%s'",
			                 name ? name : "(not a string)");
	}
	return 0;
}

static int parse_u64(const json_t *v, uint64_t *out)
{
	if (!v) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	/* jansson holds integers as long long: values above 2^63 arrive negative. */
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_args(const json_t *list, struct seccomp_rule *r, size_t rule, struct error *err)
{
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return error_set(err, EINVAL, "seccomp: syscalls[%zu].args must be an array", rule);
	size_t n = json_array_size(list);
	r->args = calloc(n ? n : 1, sizeof(*r->args));
	if (!r->args)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(list, i);
		const json_t *index = json_object_get(a, "index");
		const char *op = json_string_value(json_object_get(a, "op"));
		struct seccomp_arg *out = &r->args[i];
		if (!json_is_object(a) || !json_is_integer(index) || json_integer_value(index) < 0 ||
		    json_integer_value(index) > 5)
			return error_set(err, EINVAL,
			                 "seccomp: syscalls[%zu].args[%zu]: index must be 0 to 5", rule, i);
		out->index = (unsigned int)json_integer_value(index);
		if (parse_u64(json_object_get(a, "value"), &out->value) < 0 ||
		    parse_u64(json_object_get(a, "valueTwo"), &out->value_two) < 0)
			return error_set(err, EINVAL,
			                 "seccomp: syscalls[%zu].args[%zu]: values must be integers", rule,
			                 i);
		size_t k = 0, nops = sizeof(operators) / sizeof(operators[0]);
		while (op && k < nops && strcmp(op, operators[k].name) != 0)
			k++;
		if (!op || k == nops)
			return error_set(err, EINVAL,
			                 "seccomp: syscalls[%zu].args[%zu]: unknown operator '%s'", rule, i,
			                 op ? op : "(none)");
		out->op = operators[k].op;
		r->n_args++;
	}
	return 0;
}

static int parse_rule(const json_t *obj, size_t idx, struct seccomp_rule *r, struct error *err)
{
	char where[48];
	snprintf(where, sizeof(where), "syscalls[%zu]", idx);
	if (!json_is_object(obj))
		return error_set(err, EINVAL, "seccomp: %s must be an object", where);
	const json_t *names = json_object_get(obj, "names");
	const json_t *name = json_object_get(obj, "name"); /* older profiles */
	if (json_is_array(names)) {
		size_t i;
		json_t *v;
		json_array_foreach(names, i, v)
		{
			if (!json_is_string(v))
				return error_set(err, EINVAL, "seccomp: %s.names[%zu] must be a string",
				                 where, i);
			if (strv_push(&r->names, json_string_value(v)) < 0)
				return error_set(err, ENOMEM, "out of memory");
		}
	} else if (json_is_string(name)) {
		if (strv_push(&r->names, json_string_value(name)) < 0)
			return error_set(err, ENOMEM, "out of memory");
	} else {
		return error_set(err, EINVAL, "seccomp: %s: names must be an array of syscall names", where);
	}
	if (parse_action(json_object_get(obj, "action"), where, &r->action, err) < 0 ||
	    parse_ret(json_object_get(obj, "errnoRet"), where, EPERM, &r->ret, err) < 0)
		return -1;
	return parse_args(json_object_get(obj, "args"), r, idx, err);
}

int seccomp_profile_from_json(const json_t *obj, struct seccomp_profile **out, struct error *err)
{
	*out = NULL;
	if (!json_is_object(obj))
		return error_set(err, EINVAL, "seccomp: expected a JSON object");
	struct seccomp_profile *p = calloc(1, sizeof(*p));
	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	const json_t *syscalls = json_object_get(obj, "syscalls");
	if (parse_action(json_object_get(obj, "defaultAction"), "defaultAction", &p->default_action, err) <
	            0 ||
	    parse_ret(json_object_get(obj, "defaultErrnoRet"), "defaultErrnoRet", EPERM, &p->default_ret,
	              err) < 0 ||
	    parse_arches(json_object_get(obj, "architectures"), p, err) < 0 ||
	    parse_flags(json_object_get(obj, "flags"), p, err) < 0)
		goto fail;
	if (syscalls && !json_is_null(syscalls)) {
		if (!json_is_array(syscalls)) {
			error_set(err, EINVAL, "seccomp: syscalls must be an array");
			goto fail;
		}
		size_t n = json_array_size(syscalls);
		p->rules = calloc(n ? n : 1, sizeof(*p->rules));
		if (!p->rules) {
			error_set(err, ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			p->n_rules++;
			if (parse_rule(json_array_get(syscalls, i), i, &p->rules[i], err) < 0)
				goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	seccomp_profile_free(p);
	return -1;
}

static uint32_t scmp_action(enum seccomp_action a, int ret)
{
	switch (a) {
	case SECCOMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case SECCOMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case SECCOMP_TRAP:
		return SCMP_ACT_TRAP;
	case SECCOMP_ERRNO:
		return SCMP_ACT_ERRNO((uint32_t)ret);
	case SECCOMP_TRACE:
		return SCMP_ACT_TRACE((uint32_t)ret);
	case SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case SECCOMP_ALLOW:
		break;
	}
	return SCMP_ACT_ALLOW;
}

static struct scmp_arg_cmp scmp_arg(const struct seccomp_arg *a)
{
	return (struct scmp_arg_cmp){a->index, operators[a->op].scmp, a->value, a->value_two};
}

/* One rule for one call. libseccomp refuses two comparisons of the same argument in one rule:
 * such a rule becomes one rule per comparison (either matches), as runc does. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const struct seccomp_rule *r)
{
	struct scmp_arg_cmp cmp[6];
	bool repeated = false;
	for (size_t i = 0; i < r->n_args && i < 6; i++) {
		cmp[i] = scmp_arg(&r->args[i]);
		for (size_t k = 0; k < i; k++)
			repeated |= r->args[k].index == r->args[i].index;
	}
	if (r->n_args > 6)
		repeated = true;
	if (!repeated)
		return seccomp_rule_add_array(ctx, action, nr, (unsigned int)r->n_args, cmp);
	for (size_t i = 0; i < r->n_args; i++) {
		struct scmp_arg_cmp one = scmp_arg(&r->args[i]);
		int rc = seccomp_rule_add_array(ctx, action, nr, 1, &one);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int seccomp_profile_load(const struct seccomp_profile *p, struct error *err)
{
	uint32_t dflt = scmp_action(p->default_action, p->default_ret);
	scmp_filter_ctx ctx = seccomp_init(dflt);
	if (!ctx)
		return error_set(err, EINVAL, "seccomp: cannot make a filter with the default action");
	int rc = 0;
	/* no_new_privs is the start path's choice, not the library's. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc == 0 && p->tsync)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0 && p->log)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (rc == 0 && p->spec_allow)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	if (rc < 0) {
		seccomp_release(ctx);
		return error_set(err, -rc, "seccomp: filter flags: %s", strerror(-rc));
	}
	for (size_t i = 0; i < p->n_arches; i++) {
		rc = seccomp_arch_add(ctx, p->arches[i]);
		if (rc < 0 && rc != -EEXIST) {
			seccomp_release(ctx);
			return error_set(err, -rc, "seccomp: architecture %u: %s", p->arches[i],
			                 strerror(-rc));
		}
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct seccomp_rule *r = &p->rules[i];
		uint32_t action = scmp_action(r->action, r->ret);
		/* A rule that does what the default does is refused by libseccomp and changes nothing. */
		if (action == dflt)
			continue;
		for (size_t k = 0; r->names && r->names[k]; k++) {
			int nr = seccomp_syscall_resolve_name(r->names[k]);
			if (nr == __NR_SCMP_ERROR)
				continue;
			rc = add_rule(ctx, action, nr, r);
			if (rc < 0) {
				seccomp_release(ctx);
				return error_set(err, -rc, "seccomp: rule for %s: %s", r->names[k],
				                 strerror(-rc));
			}
		}
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return error_set(err, -rc, "seccomp: load the filter: %s", strerror(-rc));
	return 0;
}
