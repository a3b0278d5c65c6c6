/* Unit tests for mounts.d lines in fstab syntax (src/runtime/fstab.c).
 * Not for whether sources exist or the mounts themselves (plan_config.c, rootfs.c, CLI tests). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/fstab.h"

static void check_bind(const char *line, const char *source, const char *target, bool ro, bool optional,
                       enum plan_create create)
{
	struct plan_mount m;
	struct error err;
	assert_int_equal(fstab_parse_line(line, "f:1", &m, &err), 0);
	assert_int_equal(m.kind, PLAN_MOUNT_BIND);
	assert_string_equal(m.source, source);
	assert_string_equal(m.target, target);
	assert_null(m.data);
	assert_int_equal(m.readonly, ro);
	assert_int_equal(m.optional, optional);
	assert_int_equal(m.create, create);
	fstab_mount_free(&m);
}

static void test_binds(void **state)
{
	check_bind("/a /b", "/a", "/b", false, false, PLAN_CREATE_NONE);
	check_bind("/a//x/ /b/./c/", "/a/x", "/b/c", false, false, PLAN_CREATE_NONE);
	check_bind("/a\t/b  none   ro,nofail", "/a", "/b", true, true, PLAN_CREATE_NONE);
	check_bind("/a /b bind ro,rw,x-create=dir 0 0", "/a", "/b", false, false, PLAN_CREATE_DIR);
	check_bind("/a /b rbind rbind,bind,defaults,x-create=file", "/a", "/b", false, false,
	           PLAN_CREATE_FILE);
	check_bind("/my\\040dir /in\\011side", "/my dir", "/in\tside", false, false, PLAN_CREATE_NONE);
	check_bind("/a\\04 /b", "/a\\04", "/b", false, false, PLAN_CREATE_NONE);
}

static void test_tmpfs(void **state)
{
	struct plan_mount m;
	struct error err;
	assert_int_equal(fstab_parse_line("tmpfs /scratch tmpfs size=1m,mode=700,nofail,x-create=dir", "f:1",
	                                  &m, &err),
	                 0);
	assert_int_equal(m.kind, PLAN_MOUNT_TMPFS);
	assert_null(m.source);
	assert_string_equal(m.target, "/scratch");
	assert_string_equal(m.data, "size=1m,mode=700");
	assert_true(m.optional);
	assert_int_equal(m.create, PLAN_CREATE_DIR);
	fstab_mount_free(&m);
	assert_int_equal(fstab_parse_line("none /t tmpfs", "f:1", &m, &err), 0);
	assert_string_equal(m.data, "mode=755");
	fstab_mount_free(&m);
}

static void check_fail(const char *line, const char *want)
{
	struct plan_mount m;
	struct error err;
	assert_int_equal(fstab_parse_line(line, "/etc/burrow/mounts.d/x.fstab:7", &m, &err), -1);
	assert_string_equal(err.msg, want);
	assert_null(m.source);
	assert_null(m.target);
	assert_null(m.data);
}

static void test_errors(void **state)
{
	check_fail("/a", "/etc/burrow/mounts.d/x.fstab:7: expected SRC DST [TYPE [OPTIONS]]");
	check_fail("/a /b none ro 0 0 x",
	           "/etc/burrow/mounts.d/x.fstab:7: too many fields (expected SRC DST [TYPE [OPTIONS]])");
	check_fail("/a /b none ro 1 0", "/etc/burrow/mounts.d/x.fstab:7: the dump and pass fields must be 0");
	check_fail("/a /b nfs",
	           "/etc/burrow/mounts.d/x.fstab:7: mount type 'nfs' is not supported (use none, "
	           "bind or tmpfs)");
	check_fail("/a /b none ro,exec",
	           "/etc/burrow/mounts.d/x.fstab:7: unknown mount option 'exec' (use ro, "
	           "rw, nofail, x-create=dir|file)");
	check_fail("/a /b none size=1m",
	           "/etc/burrow/mounts.d/x.fstab:7: unknown mount option 'size=1m' (use "
	           "ro, rw, nofail, x-create=dir|file)");
	check_fail("t /b tmpfs bind",
	           "/etc/burrow/mounts.d/x.fstab:7: unknown mount option 'bind' (use ro, rw, "
	           "nofail, x-create=dir|file, mode=, size=, nr_inodes=)");
	check_fail("/a /b none x-create=auto", "/etc/burrow/mounts.d/x.fstab:7: unknown mount option "
	                                       "'x-create=auto' (use ro, rw, nofail, x-create=dir|file)");
	check_fail("a /b", "/etc/burrow/mounts.d/x.fstab:7: source 'a' must be an absolute host path");
	check_fail("/a b", "/etc/burrow/mounts.d/x.fstab:7: destination 'b' must be an absolute path");
	check_fail("/a /x/..", "/etc/burrow/mounts.d/x.fstab:7: cannot mount over the container's root");
	check_fail("t /b tmpfs x-create=file", "/etc/burrow/mounts.d/x.fstab:7: a tmpfs needs a directory "
	                                       "(x-create=dir)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_binds),
	        cmocka_unit_test(test_tmpfs),
	        cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
