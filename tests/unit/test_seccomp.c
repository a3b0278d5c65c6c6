/* Unit tests for seccomp profiles as JSON (src/runtime/seccomp.c): runtime-spec linux.seccomp
 * to plain data. Not for loading filters (the CLI tests run programs under them). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <seccomp.h>

#include "runtime/seccomp.h"

static struct seccomp_profile *parse_ok(const char *text)
{
	json_error_t jerr;
	json_t *obj = json_loads(text, 0, &jerr);
	assert_non_null(obj);
	struct seccomp_profile *p = NULL;
	struct error err;
	int rc = seccomp_profile_from_json(obj, &p, &err);
	json_decref(obj);
	if (rc < 0)
		fail_msg("%s", err.msg);
	assert_non_null(p);
	return p;
}

static void parse_fails(const char *text, const char *message)
{
	json_t *obj = json_loads(text, 0, NULL);
	assert_non_null(obj);
	struct seccomp_profile *p = (struct seccomp_profile *)1;
	struct error err;
	assert_int_equal(seccomp_profile_from_json(obj, &p, &err), -1);
	json_decref(obj);
	assert_null(p);
	assert_string_equal(err.msg, message);
}

static void test_default_action_alone(void **state)
{
	struct seccomp_profile *p = parse_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");
	assert_int_equal(p->default_action, SECCOMP_ALLOW);
	assert_int_equal(p->default_ret, EPERM);
	assert_int_equal(p->n_arches, 0);
	assert_int_equal(p->n_rules, 0);
	seccomp_profile_free(p);
}

static void test_full_profile(void **state)
{
	struct seccomp_profile *p = parse_ok(
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
	        " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],"
	        " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
	        " \"syscalls\": ["
	        "  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
	        "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
	        "   \"args\": [{\"index\": 0, \"value\": 8, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"},"
	        "            {\"index\": 1, \"value\": 255, \"valueTwo\": 8, \"op\": "
	        "\"SCMP_CMP_MASKED_EQ\"}]},"
	        "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13}]}");
	assert_int_equal(p->default_action, SECCOMP_ERRNO);
	assert_int_equal(p->default_ret, 38);
	assert_int_equal(p->n_arches, 2);
	assert_int_equal(p->arches[0], SCMP_ARCH_X86_64);
	assert_int_equal(p->arches[1], SCMP_ARCH_X86);
	assert_true(p->log);
	assert_false(p->tsync);
	assert_int_equal(p->n_rules, 3);
	assert_string_equal(p->rules[0].names[0], "read");
	assert_string_equal(p->rules[0].names[1], "write");
	assert_null(p->rules[0].names[2]);
	assert_int_equal(p->rules[0].action, SECCOMP_ALLOW);
	assert_int_equal(p->rules[1].n_args, 2);
	assert_int_equal(p->rules[1].args[1].index, 1);
	assert_int_equal(p->rules[1].args[1].value, 255);
	assert_int_equal(p->rules[1].args[1].value_two, 8);
	assert_int_equal(p->rules[1].args[1].op, SECCOMP_OP_MASKED_EQ);
	assert_int_equal(p->rules[2].action, SECCOMP_ERRNO);
	assert_int_equal(p->rules[2].ret, 13);
	seccomp_profile_free(p);
}

static void test_errno_defaults_to_eperm(void **state)
{
	struct seccomp_profile *p = parse_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	                                     "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
	assert_int_equal(p->rules[0].ret, EPERM);
	seccomp_profile_free(p);
}

static void test_unknown_syscall_names_are_kept_for_load_to_skip(void **state)
{
	struct seccomp_profile *p =
	        parse_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	                 "[{\"names\": [\"no_such_call\"], \"action\": \"SCMP_ACT_KILL\"}]}");
	assert_string_equal(p->rules[0].names[0], "no_such_call");
	assert_int_equal(p->rules[0].action, SECCOMP_KILL_THREAD);
	seccomp_profile_free(p);
}

static void test_errors_name_what_is_wrong(void **state)
{
	parse_fails("[]", "seccomp: expected a JSON object");
	parse_fails("{}", "seccomp: defaultAction: expected an action string (SCMP_ACT_...)");
	parse_fails("{\"defaultAction\": \"SCMP_ACT_MAYBE\"}",
	            "seccomp: defaultAction: unknown action 'SCMP_ACT_MAYBE'");
	parse_fails("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
	            "seccomp: defaultAction: SCMP_ACT_NOTIFY is not supported (no listener)");
	parse_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}",
	            "seccomp: unknown architecture 'SCMP_ARCH_VAX'");
	parse_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_X\"]}",
	            "seccomp: unknown flag 'SECCOMP_FILTER_FLAG_X'");
	parse_fails(
	        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	        "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
	        "seccomp: syscalls[0].args[0]: unknown operator 'SCMP_CMP_ABOUT'");
	parse_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	            "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	            "seccomp: syscalls[0].args[0]: index must be 0 to 5");
	parse_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	            "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": -1}]}",
	            "seccomp: syscalls[0]: errnoRet must be an integer from 0 to 65535");
	parse_fails(
	        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}",
	        "seccomp: syscalls[0]: names must be an array of syscall names");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_default_action_alone),
	        cmocka_unit_test(test_full_profile),
	        cmocka_unit_test(test_errno_defaults_to_eperm),
	        cmocka_unit_test(test_unknown_syscall_names_are_kept_for_load_to_skip),
	        cmocka_unit_test(test_errors_name_what_is_wrong),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
