/* Unit tests for the string-vector helpers (src/util/strv.c): growth, copies and KEY=VALUE
 * lookups. Not for the environment merge built on them (test_environ.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/strv.h"

static void test_len_of_null_and_empty(void **state)
{
	char *empty[] = {NULL};
	assert_int_equal(strv_len(NULL), 0);
	assert_int_equal(strv_len(empty), 0);
}

static void test_push_copies_and_terminates(void **state)
{
	cleanup_strv char **v = NULL;
	char word[] = "one";
	assert_int_equal(strv_push(&v, word), 0);
	word[0] = 'X'; /* the vector holds its own copy */
	assert_int_equal(strv_push(&v, "two"), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "one");
	assert_string_equal(v[1], "two");
	assert_null(v[2]);
}

static void test_push_owned_null_is_enomem(void **state)
{
	cleanup_strv char **v = NULL;
	errno = 0;
	assert_int_equal(strv_push_owned(&v, NULL), -1);
	assert_int_equal(errno, ENOMEM);
	assert_null(v);
	assert_int_equal(strv_push_owned(&v, strdup("mine")), 0);
	assert_string_equal(v[0], "mine");
	assert_null(v[1]);
}

static void test_copy(void **state)
{
	char *src[] = {"a", "b=c", NULL};
	cleanup_strv char **c = strv_copy(src);
	assert_non_null(c);
	assert_int_equal(strv_len(c), 2);
	assert_string_equal(c[0], "a");
	assert_string_equal(c[1], "b=c");
	assert_ptr_not_equal(c[0], src[0]);

	cleanup_strv char **e = strv_copy(NULL);
	assert_non_null(e);
	assert_null(e[0]);
}

static void test_extend_appends_copies(void **state)
{
	char *items[] = {"b", "c", NULL};
	char **v = NULL;
	assert_int_equal(strv_push(&v, "a"), 0);
	assert_int_equal(strv_extend(&v, NULL), 0);
	assert_int_equal(strv_extend(&v, items), 0);
	assert_int_equal(strv_len(v), 3);
	assert_string_equal(v[2], "c");
	assert_ptr_not_equal(v[1], items[0]);
	assert_null(v[3]);
	strv_free(v);
}

static void test_env_find_needs_exact_key(void **state)
{
	char *env[] = {"PATHX=1", "PATH=/bin", "P=2", "EMPTY=", NULL};
	assert_int_equal(strv_env_find(env, "PATH", 4), 1);
	assert_int_equal(strv_env_find(env, "P", 1), 2);
	assert_int_equal(strv_env_find(env, "PATHX=ignored", 5), 0);
	assert_int_equal(strv_env_find(env, "EMPTY", 5), 3);
	assert_int_equal(strv_env_find(env, "PA", 2), -1);
	assert_int_equal(strv_env_find(NULL, "PATH", 4), -1);
}

static void test_env_set_replaces_in_place(void **state)
{
	cleanup_strv char **v = NULL;
	assert_int_equal(strv_env_set(&v, "A=1"), 0);
	assert_int_equal(strv_env_set(&v, "B=2"), 0);
	assert_int_equal(strv_env_set(&v, "A=3"), 0);
	assert_int_equal(strv_env_set(&v, "AB=4"), 0);
	assert_int_equal(strv_len(v), 3);
	assert_string_equal(v[0], "A=3");
	assert_string_equal(v[1], "B=2");
	assert_string_equal(v[2], "AB=4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_len_of_null_and_empty),
	        cmocka_unit_test(test_push_copies_and_terminates),
	        cmocka_unit_test(test_push_owned_null_is_enomem),
	        cmocka_unit_test(test_copy),
	        cmocka_unit_test(test_extend_appends_copies),
	        cmocka_unit_test(test_env_find_needs_exact_key),
	        cmocka_unit_test(test_env_set_replaces_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
