/* Unit tests for burrow.conf parsing, expansion and precedence (src/util/config.c).
 * Not for the files a start reads (test_fstab.c, CLI tests). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/config.h"
#include "util/fs.h"

static void test_parse_forms(void **state)
{
	struct config_file f;
	struct error err;
	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_CACHE_HOME");
	const char *text = "# comment\n"
	                   "\n"
	                   "  DATA_PATH /d\n"
	                   "BURROW_CACHE_PATH=${XDG_CACHE_HOME}/b\r\n"
	                   "BURROW_RUNTIME_PATH = \"$HOME/run dir\"   \n"
	                   "MOUNT_HOME 'no $HOME'\n"
	                   "BURROW_INSECURE_REGISTRIES a:5000, b#c\n"
	                   "BURROW_ALLOW_HTTP=\n";
	assert_int_equal(config_parse(text, "f", false, &f, &err), 0);
	assert_int_equal(f.n_settings, 6);
	const char *want[][2] = {{"BURROW_DATA_PATH", "/d"},
	                         {"BURROW_CACHE_PATH", "/home/u/.cache/b"},
	                         {"BURROW_RUNTIME_PATH", "/home/u/run dir"},
	                         {"BURROW_MOUNT_HOME", "no $HOME"},
	                         {"BURROW_INSECURE_REGISTRIES", "a:5000, b#c"},
	                         {"BURROW_ALLOW_HTTP", ""}};
	unsigned lines[] = {3, 4, 5, 6, 7, 8};
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(f.settings[i].key, want[i][0]);
		assert_string_equal(f.settings[i].value, want[i][1]);
		assert_int_equal(f.settings[i].line, lines[i]);
	}
	assert_null(f.environ);
	assert_null(f.mounts);
	config_file_free(&f);
}

static void test_uid_expansion(void **state)
{
	struct config_file f;
	struct error err;
	char want[64];
	snprintf(want, sizeof(want), "/tmp/%u/x", (unsigned)getuid());
	assert_int_equal(config_parse("RUNTIME_PATH /tmp/$UID/x", "f", false, &f, &err), 0);
	assert_string_equal(f.settings[0].value, want);
	config_file_free(&f);
}

static void check_fail(const char *text, bool sections, const char *want)
{
	struct config_file f;
	struct error err;
	assert_int_equal(config_parse(text, "/etc/burrow/burrow.conf", sections, &f, &err), -1);
	assert_string_equal(err.msg, want);
	assert_null(f.settings);
	assert_null(f.environ);
}

static void test_parse_errors(void **state)
{
	check_fail("DATA_PATH /a\nNOPE 1\n", false,
	           "/etc/burrow/burrow.conf:2: unknown setting NOPE (burrow info lists them)");
	check_fail("BURROW_ 1\n", false,
	           "/etc/burrow/burrow.conf:1: unknown setting BURROW_ (burrow info lists them)");
	check_fail("=x\n", false, "/etc/burrow/burrow.conf:1: expected KEY VALUE or KEY=VALUE");
	check_fail("DATA-PATH x\n", false, "/etc/burrow/burrow.conf:1: expected KEY VALUE or KEY=VALUE");
	check_fail("DATA_PATH $PWD\n", false,
	           "/etc/burrow/burrow.conf:1: $PWD is not expanded (only $HOME, $USER, $UID and $XDG_*)");
	check_fail("DATA_PATH ${HOME\n", false,
	           "/etc/burrow/burrow.conf:1: '$' must start $NAME or ${NAME} (write '...' to keep it)");
	check_fail("DATA_PATH a$\n", false,
	           "/etc/burrow/burrow.conf:1: '$' must start $NAME or ${NAME} (write '...' to keep it)");
	check_fail("[environ]\n", false,
	           "/etc/burrow/burrow.conf:1: sections such as [environ] belong in --conf files (use "
	           "environ.d and mounts.d)");
	check_fail("[environ]\nA=1\n[hooks]\n", true,
	           "/etc/burrow/burrow.conf:3: unknown section [hooks] (use [settings], [environ] or "
	           "[mounts])");
}

static void test_sections(void **state)
{
	struct config_file f;
	struct error err;
	const char *text = "HTTP_TIMEOUT 3\n"
	                   "[environ]\n"
	                   "GREETING='hi there'\n"
	                   "WHERE=$HOME/x\n"
	                   "[mounts]\n"
	                   "/a /b none ro\n"
	                   "# not a mount\n"
	                   "tmpfs /t tmpfs\n"
	                   "[settings]\n"
	                   "RETRY_MS 1\n";
	setenv("HOME", "/h", 1);
	assert_int_equal(config_parse(text, "c", true, &f, &err), 0);
	assert_int_equal(f.n_settings, 2);
	assert_string_equal(f.settings[1].key, "BURROW_RETRY_MS");
	assert_string_equal(f.environ[0], "GREETING=hi there");
	assert_string_equal(f.environ[1], "WHERE=/h/x");
	assert_null(f.environ[2]);
	assert_string_equal(f.mounts[0], "/a /b none ro");
	assert_string_equal(f.mounts[1], "tmpfs /t tmpfs");
	assert_null(f.mounts[2]);
	assert_int_equal(f.mount_lines[0], 6);
	assert_int_equal(f.mount_lines[1], 8);
	config_file_free(&f);
}

static char tmpdir[64];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
	struct error err;
	assert_int_equal(fs_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
}

/* System, then user, with the environment winning: the origin says which. */
static void test_precedence(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/burrow-test-config.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	char sys[128], user[128];
	snprintf(sys, sizeof(sys), "%s/sys", tmpdir);
	snprintf(user, sizeof(user), "%s/user", tmpdir);
	assert_int_equal(mkdir(sys, 0755), 0);
	assert_int_equal(mkdir(user, 0755), 0);
	write_file(sys, "burrow.conf", "HTTP_TIMEOUT 1\nRETRY_MS 1\nMAX_CONNECTIONS 1\n");
	write_file(user, "burrow.conf", "RETRY_MS 2\nMAX_CONNECTIONS 2\n");
	setenv("BURROW_SYSCONF_PATH", sys, 1);
	setenv("BURROW_CONFIG_PATH", user, 1);
	setenv("BURROW_MAX_CONNECTIONS", "3", 1);
	unsetenv("BURROW_HTTP_TIMEOUT");
	unsetenv("BURROW_RETRY_MS");
	unsetenv("BURROW_ALLOW_HTTP");
	struct error err;
	assert_int_equal(config_load(&err), 0);
	char want[256];
	assert_string_equal(getenv("BURROW_HTTP_TIMEOUT"), "1");
	snprintf(want, sizeof(want), "%s/burrow.conf:1", sys);
	assert_string_equal(config_origin("BURROW_HTTP_TIMEOUT"), want);
	assert_string_equal(getenv("BURROW_RETRY_MS"), "2");
	snprintf(want, sizeof(want), "%s/burrow.conf:1", user);
	assert_string_equal(config_origin("BURROW_RETRY_MS"), want);
	assert_string_equal(getenv("BURROW_MAX_CONNECTIONS"), "3");
	assert_string_equal(config_origin("BURROW_MAX_CONNECTIONS"), "environment");
	assert_string_equal(config_origin("BURROW_ALLOW_HTTP"), "default");

	/* --conf beats everything, the environment included. */
	write_file(tmpdir, "job.conf", "MAX_CONNECTIONS 4\n[environ]\nA=1\n");
	char job[128];
	snprintf(job, sizeof(job), "%s/job.conf", tmpdir);
	struct config_file f;
	assert_int_equal(config_load_extra(job, &f, &err), 0);
	assert_string_equal(getenv("BURROW_MAX_CONNECTIONS"), "4");
	snprintf(want, sizeof(want), "%s:1", job);
	assert_string_equal(config_origin("BURROW_MAX_CONNECTIONS"), want);
	assert_string_equal(f.environ[0], "A=1");
	config_file_free(&f);

	/* A missing --conf file is an error; a missing burrow.conf is not. */
	snprintf(job, sizeof(job), "%s/missing.conf", tmpdir);
	assert_int_equal(config_load_extra(job, &f, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "missing.conf"));
}

static void test_dir_files(void **state)
{
	char sys[128], user[128], path[256];
	snprintf(sys, sizeof(sys), "%s/sys", tmpdir);
	snprintf(user, sizeof(user), "%s/user", tmpdir);
	const char *dirs[] = {sys, user};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/hooks.d", dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
		write_file(path, "20-b", "#!/bin/sh\n");
		write_file(path, "10-a", "#!/bin/sh\n");
		write_file(path, ".hidden", "#!/bin/sh\n");
		write_file(path, "30-not-executable", "");
		char p[300];
		snprintf(p, sizeof(p), "%s/20-b", path);
		assert_int_equal(chmod(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/10-a", path);
		assert_int_equal(chmod(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/40-dir", path);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	struct error err;
	char **files = config_dir_files("hooks.d", NULL, true, &err);
	assert_non_null(files);
	const char *names[] = {"sys/hooks.d/10-a", "sys/hooks.d/20-b", "user/hooks.d/10-a",
	                       "user/hooks.d/20-b"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		assert_non_null(files[i]);
		assert_string_equal(files[i], path);
	}
	assert_null(files[4]);
	for (size_t i = 0; files[i]; i++)
		free(files[i]);
	free(files);
	/* Without the executable filter, a suffix picks the files. */
	files = config_dir_files("hooks.d", "-b", false, &err);
	assert_non_null(files);
	assert_int_equal(files[0] != NULL && files[1] != NULL && files[2] == NULL, 1);
	for (size_t i = 0; files[i]; i++)
		free(files[i]);
	free(files);
	files = config_dir_files("mounts.d", ".fstab", false, &err);
	assert_non_null(files);
	assert_null(files[0]);
	free(files);
	fs_remove_tree_at(AT_FDCWD, tmpdir, &err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_forms),  cmocka_unit_test(test_uid_expansion),
	        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_sections),
	        cmocka_unit_test(test_precedence),   cmocka_unit_test(test_dir_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
