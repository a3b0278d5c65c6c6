/* Unit tests for writes to /proc through a verified handle (src/util/procfs.c), against the
 * real /proc of the test process: what is refused, and that a write lands. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/procfs.h"

static void test_open_accepts_proc(void **state)
{
	struct error err;
	cleanup_close int fd = procfs_open("/proc", &err);
	assert_true(fd >= 0);
}

static void test_open_refuses_another_filesystem(void **state)
{
	struct error err;
	assert_int_equal(procfs_open("/", &err), -1);
	assert_int_equal(err.code, EXDEV);
	assert_non_null(strstr(err.msg, "/ is not the root of a procfs mount"));
}

static void test_open_refuses_a_directory_inside_proc(void **state)
{
	struct error err;
	/* procfs, but not its root: a bind of it would look the same. */
	assert_int_equal(procfs_open("/proc/sys", &err), -1);
	assert_int_equal(err.code, EXDEV);
}

static void test_open_refuses_a_symlink(void **state)
{
	struct error err;
	assert_int_equal(procfs_open("/proc/self", &err), -1);
}

static void test_write_names_the_caller_through_no_symlink(void **state)
{
	struct error err;
	cleanup_close int fd = procfs_open("/proc", &err);
	assert_true(fd >= 0);
	assert_int_equal(procfs_write(fd, 0, "comm", "procfs-test", &err), 0);
	char name[17] = {0};
	assert_int_equal(prctl(PR_GET_NAME, name), 0);
	assert_string_equal(name, "procfs-test");
}

static void test_write_by_pid_lands(void **state)
{
	struct error err;
	cleanup_close int fd = procfs_open("/proc", &err);
	assert_int_equal(procfs_write(fd, getpid(), "comm", "by-pid", &err), 0);
	char name[17] = {0};
	assert_int_equal(prctl(PR_GET_NAME, name), 0);
	assert_string_equal(name, "by-pid");
}

static void test_write_refuses_a_symlink_on_the_way(void **state)
{
	struct error err;
	cleanup_close int fd = procfs_open("/proc", &err);
	/* "self" and "thread-self" are symlinks: refused even though they lead to procfs. */
	assert_int_equal(procfs_write(fd, -1, "self/comm", "x", &err), -1);
	assert_int_equal(err.code, ELOOP);
	assert_non_null(strstr(err.msg, "/proc/self/comm"));
	assert_int_equal(procfs_write(fd, -1, "thread-self/comm", "x", &err), -1);
}

static void test_write_refuses_leaving_proc(void **state)
{
	struct error err;
	cleanup_close int fd = procfs_open("/proc", &err);
	assert_int_equal(procfs_write(fd, -1, "../tmp/x", "x", &err), -1);
	assert_int_equal(err.code, EXDEV);
	assert_int_equal(procfs_write(fd, -1, "/tmp/x", "x", &err), -1);
	assert_int_equal(err.code, EXDEV);
}

static void test_write_refuses_a_magic_link(void **state)
{
	struct error err;
	cleanup_close int fd = procfs_open("/proc", &err);
	char path[64];
	/* /proc/PID/cwd leads wherever the process stands. */
	snprintf(path, sizeof(path), "%d/cwd/x", (int)getpid());
	assert_int_equal(procfs_write(fd, -1, path, "x", &err), -1);
	assert_int_equal(err.code, ELOOP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_open_accepts_proc),
	        cmocka_unit_test(test_open_refuses_another_filesystem),
	        cmocka_unit_test(test_open_refuses_a_directory_inside_proc),
	        cmocka_unit_test(test_open_refuses_a_symlink),
	        cmocka_unit_test(test_write_names_the_caller_through_no_symlink),
	        cmocka_unit_test(test_write_by_pid_lands),
	        cmocka_unit_test(test_write_refuses_a_symlink_on_the_way),
	        cmocka_unit_test(test_write_refuses_leaving_proc),
	        cmocka_unit_test(test_write_refuses_a_magic_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
