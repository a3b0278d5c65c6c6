/* Unit tests for the container environment merge (src/runtime/environ.c): order, the host
 * allow-list, identity variables and -e. Not for the strv helpers (test_strv.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/environ.h"
#include "util/strv.h"

static void assert_env(char **got, const char *const *want)
{
	size_t i = 0;
	for (; want[i]; i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_null(got[i]);
}

static const struct environ_identity ALICE = {.home = "/home/alice", .user = "alice"};

static void test_defaults_only(void **state)
{
	struct error err;
	cleanup_strv char **env = environ_build(NULL, NULL, NULL, NULL, &err);
	assert_non_null(env);
	assert_env(env, (const char *const[]){"PATH=" ENVIRON_DEFAULT_PATH, NULL});
}

static void test_order_and_overrides(void **state)
{
	char *image[] = {"PATH=/opt/bin", "HOME=/image", "LANG=C", "A=1", "novalue", "=x", NULL};
	char *host[] = {"PATH=/host/bin",  "LANG=en_US.UTF-8",
	                "TERM=xterm",      "SLURM_JOB_ID=7",
	                "SLURM_=x",        "LC_ALL=C.UTF-8",
	                "OMPI_X=1",        "PMIX_RANK=0",
	                "HOME=/home/host", "BURROW_DATA_PATH=/x",
	                "SECRET=1",        "http_proxy=http://p",
	                "TERMINAL=no",     NULL};
	char *user[] = {"A=2", "B", "SECRET", "MISSING", "LANG=fr", NULL};
	struct error err;
	cleanup_strv char **env = environ_build(image, host, &ALICE, user, &err);
	assert_non_null(env);
	assert_env(env, (const char *const[]){"PATH=/opt/bin", "HOME=/home/alice", "LANG=fr", "A=2",
	                                      "TERM=xterm", "SLURM_JOB_ID=7", "LC_ALL=C.UTF-8", "OMPI_X=1",
	                                      "PMIX_RANK=0", "http_proxy=http://p", "USER=alice",
	                                      "LOGNAME=alice", "SECRET=1", NULL});
}

static void test_explicit_burrow_variable_passes(void **state)
{
	char *host[] = {"BURROW_A=host", "BURROW_B=1", NULL};
	char *user[] = {"BURROW_A", "BURROW_C=2", NULL};
	struct error err;
	cleanup_strv char **env = environ_build(NULL, host, NULL, user, &err);
	assert_non_null(env);
	assert_env(env,
	           (const char *const[]){"PATH=" ENVIRON_DEFAULT_PATH, "BURROW_A=host", "BURROW_C=2", NULL});
}

static void test_empty_values_kept(void **state)
{
	char *user[] = {"E=", "F==x", NULL};
	struct error err;
	cleanup_strv char **env = environ_build(NULL, NULL, NULL, user, &err);
	assert_non_null(env);
	assert_env(env, (const char *const[]){"PATH=" ENVIRON_DEFAULT_PATH, "E=", "F==x", NULL});
}

static void test_invalid_user_entries(void **state)
{
	const char *bad[] = {"", "=value", "MY VAR=1", "TAB\tX", NULL};
	const char *msg[] = {"invalid --env '': expected KEY=VALUE or KEY",
	                     "invalid --env '=value': expected KEY=VALUE or KEY",
	                     "invalid --env 'MY VAR=1': expected KEY=VALUE or KEY",
	                     "invalid --env 'TAB\tX': expected KEY=VALUE or KEY"};
	for (size_t i = 0; bad[i]; i++) {
		char *user[] = {"OK=1", (char *)bad[i], NULL};
		struct error err = {0};
		assert_null(environ_build(NULL, NULL, &ALICE, user, &err));
		assert_int_equal(err.code, EINVAL);
		assert_string_equal(err.msg, msg[i]);
	}
}

static void test_allow_lists_have_no_private_names(void **state)
{
	for (size_t i = 0; environ_host_names[i]; i++)
		assert_int_not_equal(strncmp(environ_host_names[i], "BURROW_", 7), 0);
	for (size_t i = 0; environ_host_prefixes[i]; i++)
		assert_int_not_equal(strncmp(environ_host_prefixes[i], "BURROW_", 7), 0);
}

static void test_env_file(void **state)
{
	struct error err;
	char **got =
	        environ_parse_file("# comment\n\nA=1\n  B=two words \r\nHOSTVAR  \n#X=no\nC=\nD=x=y", &err);
	assert_non_null(got);
	assert_env(got, (const char *const[]){"A=1", "B=two words ", "HOSTVAR", "C=", "D=x=y", NULL});
	strv_free(got);
	got = environ_parse_file("", &err);
	assert_non_null(got);
	assert_null(got[0]);
	strv_free(got);
	assert_null(environ_parse_file("A=1\n=oops\n", &err));
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, "line 2: empty variable name");
}

static void test_entry_valid(void **state)
{
	assert_true(environ_entry_valid("A=1"));
	assert_true(environ_entry_valid("A"));
	assert_true(environ_entry_valid("a.b-c=x y"));
	assert_false(environ_entry_valid("=1"));
	assert_false(environ_entry_valid(""));
	assert_false(environ_entry_valid("A B=1"));
	assert_false(environ_entry_valid("A\t"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults_only),
	        cmocka_unit_test(test_order_and_overrides),
	        cmocka_unit_test(test_explicit_burrow_variable_passes),
	        cmocka_unit_test(test_empty_values_kept),
	        cmocka_unit_test(test_invalid_user_entries),
	        cmocka_unit_test(test_allow_lists_have_no_private_names),
	        cmocka_unit_test(test_env_file),
	        cmocka_unit_test(test_entry_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
