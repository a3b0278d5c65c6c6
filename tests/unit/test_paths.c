/* Unit tests for the caller's home (src/util/paths.c paths_home) and the default paths built
 * on it: a HOME that belongs to someone else gives way to the passwd entry's. */
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/paths.h"

static const char *passwd_home(void)
{
	struct passwd *pw = getpwuid(getuid());
	assert_non_null(pw);
	return pw->pw_dir;
}

static void test_own_home_is_used(void **state)
{
	char dir[] = "/tmp/test_paths.XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("HOME", dir, 1);
	unsetenv("XDG_DATA_HOME");
	unsetenv("BURROW_DATA_PATH");
	cleanup_free char *home = paths_home();
	assert_string_equal(home, dir);
	cleanup_free char *data = paths_data();
	cleanup_free char *want = NULL;
	assert_true(asprintf(&want, "%s/.local/share/burrow", dir) > 0);
	assert_string_equal(data, want);
	rmdir(dir);
}

static void test_someone_elses_home_gives_way(void **state)
{
	/* As slurmstepd runs an OCI runtime: the job user with slurmd's HOME=/root. */
	char dir[] = "/tmp/test_paths.XXXXXX";
	assert_non_null(mkdtemp(dir));
	if (getuid() == 0)
		assert_int_equal(chown(dir, 65534, 65534), 0);
	const char *other = getuid() == 0 ? dir : "/";
	setenv("HOME", other, 1);
	cleanup_free char *home = paths_home();
	assert_string_equal(home, passwd_home());
	rmdir(dir);
}

static void test_missing_or_relative_home_gives_way(void **state)
{
	unsetenv("HOME");
	cleanup_free char *unset = paths_home();
	assert_string_equal(unset, passwd_home());
	setenv("HOME", "relative/home", 1);
	cleanup_free char *relative = paths_home();
	assert_string_equal(relative, passwd_home());
	setenv("HOME", "/nonexistent/test_paths", 1);
	cleanup_free char *missing = paths_home();
	assert_string_equal(missing, passwd_home());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_own_home_is_used),
	        cmocka_unit_test(test_someone_elses_home_gives_way),
	        cmocka_unit_test(test_missing_or_relative_home_gives_way),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
