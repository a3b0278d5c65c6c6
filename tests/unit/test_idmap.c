/* Unit tests for /etc/subuid lookup and id map planning and formatting (src/runtime/idmap.c).
 * Not for idmap_apply, which needs a child in a new user namespace (CLI tests). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/idmap.h"

static void check_found(const char *text, const char *user, uint32_t id, uint32_t start, uint32_t count)
{
	uint32_t s = 7, c = 7;
	assert_int_equal(idmap_find_subid(text, user, id, &s, &c), 0);
	assert_int_equal(s, start);
	assert_int_equal(c, count);
}

static void check_missing(const char *text, const char *user, uint32_t id)
{
	uint32_t s = 7, c = 7;
	assert_int_equal(idmap_find_subid(text, user, id, &s, &c), -1);
	assert_int_equal(s, 7);
	assert_int_equal(c, 7);
}

static void test_find_by_name_and_uid(void **state)
{
	const char *text = "# users\nbob:100000:65536\nalice:165536:65536\n1000:300000:10\n";
	check_found(text, "alice", 1000, 165536, 65536);
	check_found(text, "carol", 1000, 300000, 10);
	check_found("0001000:5:6", "x", 1000, 5, 6);
	check_found("alice:1:2", "alice", 0, 1, 2); /* last line without newline */
	check_missing(text, "carol", 1001);
	check_missing(text, NULL, 1001);
	check_missing(NULL, "alice", 1000);
	check_missing("", "alice", 1000);
}

static void test_first_match_wins(void **state)
{
	check_found("1000:1:1\nalice:2:2\n", "alice", 1000, 1, 1);
	check_found("alice:2:2\n1000:1:1\n", "alice", 1000, 2, 2);
}

static void test_malformed_lines_skipped(void **state)
{
	const char *bad[] = {
	        "#alice:1:1\n",
	        "alice:1\n",
	        "alice:1:1:1\n",
	        "alice::1\n",
	        "alice:1:\n",
	        "alice:x:1\n",
	        "alice:1:1x\n",
	        "alice:-1:5\n",
	        "alice: 1:5\n",
	        "alice:+1:5\n",
	        "alice:1:0\n",
	        "alice:4294967296:1\n",
	        "alice:1:4294967296\n",
	        "alice:1:99999999999999999999999\n",
	        "alice:4294967295:2\n",
	        "alice:1:1\r\n",
	        " alice:1:1\n",
	        "alicex:1:1\n",
	        ":1:1\n",
	        NULL,
	};
	for (size_t i = 0; bad[i]; i++)
		check_missing(bad[i], "alice", 12345);
	/* a malformed line does not hide a good one after it */
	check_found("alice:1:0\nalice:x:1\nalice:10:20\n", "alice", 12345, 10, 20);
	/* the largest range that still fits 32 bits */
	check_found("alice:4294967295:1\n", "alice", 12345, 4294967295u, 1);
}

static void check_plan(const struct idmap *m, size_t n, const struct idmap_range *want)
{
	assert_int_equal(m->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(m->ranges[i].inside, want[i].inside);
		assert_int_equal(m->ranges[i].outside, want[i].outside);
		assert_int_equal(m->ranges[i].count, want[i].count);
	}
}

static void test_plan(void **state)
{
	struct idmap m;
	idmap_plan(&m, 1000, false, 100000, 65536);
	check_plan(&m, 1, (struct idmap_range[]){{1000, 1000, 1}});
	idmap_plan(&m, 1000, true, 0, 0);
	check_plan(&m, 1, (struct idmap_range[]){{0, 1000, 1}});
	idmap_plan(&m, 1000, true, 100000, 65536);
	check_plan(&m, 2, (struct idmap_range[]){{0, 1000, 1}, {1, 100000, 65535}});
	idmap_plan(&m, 1000, true, 100000, 10);
	check_plan(&m, 2, (struct idmap_range[]){{0, 1000, 1}, {1, 100000, 10}});
}

static void test_format(void **state)
{
	struct idmap m;
	char buf[64];
	idmap_plan(&m, 1000, true, 100000, 65536);
	idmap_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "0 1000 1\n1 100000 65535\n");
	idmap_plan(&m, 4294967295u, false, 0, 0);
	idmap_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "4294967295 4294967295 1\n");

	/* too small a buffer holds whole lines only */
	char small[12];
	idmap_plan(&m, 1000, true, 100000, 65536);
	idmap_format(&m, small, sizeof(small));
	assert_string_equal(small, "0 1000 1\n");
	char tiny[4] = "xyz";
	idmap_format(&m, tiny, sizeof(tiny));
	assert_string_equal(tiny, "");

	struct idmap empty = {.n = 0};
	idmap_format(&empty, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_parse_user(void **state)
{
	struct error err;
	uint32_t uid = 1, gid = 1;
	assert_int_equal(idmap_parse_user("1234", &uid, &gid, &err), 0);
	assert_int_equal(uid, 1234);
	assert_int_equal(gid, 0);
	assert_int_equal(idmap_parse_user("0:5", &uid, &gid, &err), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 5);
	assert_int_equal(idmap_parse_user("4294967294:4294967294", &uid, &gid, &err), 0);
	assert_int_equal(uid, 4294967294u);
	const char *bad[] = {"",           "nobody", "12:", ":12",         "1:2:3",
	                     "4294967295", "-1",     "12a", "99999999999", NULL};
	for (size_t i = 0; bad[i]; i++) {
		assert_int_equal(idmap_parse_user(bad[i], &uid, &gid, &err), -1);
		assert_int_equal(err.code, EINVAL);
	}
	assert_string_equal(err.msg,
	                    "user '99999999999': give numeric ids, UID or UID:GID (names are not looked up)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_find_by_name_and_uid),
	        cmocka_unit_test(test_first_match_wins),
	        cmocka_unit_test(test_malformed_lines_skipped),
	        cmocka_unit_test(test_plan),
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_parse_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
