/* Unit tests for -m/--mount parsing and path normalisation (src/runtime/mountspec.c).
 * Not for the mounts themselves (rootfs.c, CLI tests). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/mountspec.h"

static void check_normalize(const char *in, const char *want)
{
	char out[256];
	memset(out, 'Z', sizeof(out));
	mountspec_normalize(in, out);
	assert_string_equal(out, want);
	assert_true(strlen(out) <= strlen(in));
}

static void test_normalize(void **state)
{
	check_normalize("/", "/");
	check_normalize("//", "/");
	check_normalize("/a//b/./c/", "/a/b/c");
	check_normalize("/a/b/../c", "/a/c");
	check_normalize("/..", "/");
	check_normalize("/../../x/..", "/");
	check_normalize("/a/...", "/a/...");
	check_normalize("/a/.b/..c", "/a/.b/..c");
	check_normalize("a/../../b", "b");
	check_normalize("./.", ".");
	check_normalize("", "");
}

static void check_ok(const char *spec, const char *cwd, const char *source, const char *target, bool ro)
{
	struct mount_spec m;
	struct error err = {0};
	assert_int_equal(mountspec_parse(spec, cwd, &m, &err), 0);
	assert_string_equal(m.source, source);
	assert_string_equal(m.target, target);
	assert_int_equal(m.readonly, ro);
	mountspec_free(&m);
	assert_null(m.source);
	assert_null(m.target);
}

static void test_parse_valid(void **state)
{
	check_ok("/data", NULL, "/data", "/data", false);
	check_ok("/data/", "/w", "/data", "/data", false);
	check_ok("/data:/mnt", NULL, "/data", "/mnt", false);
	check_ok("/data:/mnt/x/../y:ro", NULL, "/data", "/mnt/y", true);
	check_ok("/data:/mnt:rw", NULL, "/data", "/mnt", false);
	check_ok("/data:/mnt:ro,rw", NULL, "/data", "/mnt", false);
	check_ok("/data:/mnt:rw,ro", NULL, "/data", "/mnt", true);
	check_ok("/data::ro", NULL, "/data", "/data", true);
	check_ok("/data:", NULL, "/data", "/data", false);
	check_ok("rel/dir", "/home/a", "/home/a/rel/dir", "/home/a/rel/dir", false);
	check_ok("../up:/in", "/home/a", "/home/up", "/in", false);
}

static void check_fail(const char *spec, const char *cwd, const char *msg)
{
	struct mount_spec m;
	struct error err = {0};
	assert_int_equal(mountspec_parse(spec, cwd, &m, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, msg);
	assert_null(m.source);
	assert_null(m.target);
}

static void test_parse_invalid(void **state)
{
	check_fail("a:b", "/w", "--mount 'a:b': destination 'b' must be an absolute path");
	check_fail("/a:/b:xx", NULL, "--mount '/a:/b:xx': unknown option 'xx' (use ro or rw)");
	check_fail("/a:/b:", NULL, "--mount '/a:/b:': unknown option '' (use ro or rw)");
	check_fail("/a:/b:ro,", NULL, "--mount '/a:/b:ro,': unknown option '' (use ro or rw)");
	check_fail("/a:/b:ro:x", NULL, "--mount '/a:/b:ro:x': too many ':' (expected SRC[:DST[:ro|rw]])");
	check_fail("", "/w", "--mount '': empty source path (expected SRC[:DST[:ro|rw]])");
	check_fail(":/b", "/w", "--mount ':/b': empty source path (expected SRC[:DST[:ro|rw]])");
	check_fail("rel", NULL, "--mount 'rel': source must be an absolute path");
	check_fail("/a:/", NULL,
	           "--mount '/a:/': cannot mount over the container's root (choose another destination)");
	check_fail("/a:/x/..", NULL,
	           "--mount '/a:/x/..': cannot mount over the container's root (choose another destination)");
	check_fail("/", NULL,
	           "--mount '/': cannot mount over the container's root (choose another destination)");
}

static void check_docker(const char *text, const char *source, const char *target, bool ro, bool tmpfs)
{
	struct mount_spec m;
	struct error err = {0};
	bool is_tmpfs = !tmpfs;
	assert_int_equal(mountspec_parse_docker(text, "/w", &m, &is_tmpfs, &err), 0);
	if (source)
		assert_string_equal(m.source, source);
	else
		assert_null(m.source);
	assert_string_equal(m.target, target);
	assert_int_equal(m.readonly, ro);
	assert_int_equal(is_tmpfs, tmpfs);
	mountspec_free(&m);
}

static void test_parse_docker_valid(void **state)
{
	check_docker("type=bind,src=/data,dst=/mnt", "/data", "/mnt", false, false);
	check_docker("type=bind,source=/data/,target=/mnt/x/..,readonly", "/data", "/mnt", true, false);
	check_docker("destination=/m,ro=true,type=bind,source=rel", "/w/rel", "/m", true, false);
	check_docker("type=bind,src=/a:b,dst=/m,readonly=false", "/a:b", "/m", false, false);
	check_docker("type=bind,src=/a,dst=/m,ro=1", "/a", "/m", true, false);
	check_docker("type=tmpfs,dst=/scratch", NULL, "/scratch", false, true);
}

static void check_docker_fail(const char *text, const char *msg)
{
	struct mount_spec m;
	struct error err = {0};
	bool is_tmpfs;
	assert_int_equal(mountspec_parse_docker(text, "/w", &m, &is_tmpfs, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, msg);
	assert_null(m.source);
	assert_null(m.target);
}

static void test_parse_docker_invalid(void **state)
{
	check_docker_fail("src=/a,dst=/b", "--mount 'src=/a,dst=/b': missing type=bind or type=tmpfs");
	check_docker_fail("type=volume,src=v,dst=/b",
	                  "--mount 'type=volume,src=v,dst=/b': type 'volume' is not supported (use "
	                  "type=bind or type=tmpfs)");
	check_docker_fail("type=bind,src=/a,dst=/b,bind-propagation=shared",
	                  "--mount 'type=bind,src=/a,dst=/b,bind-propagation=shared': "
	                  "'bind-propagation=shared' is not supported (use type, source, destination, "
	                  "readonly)");
	check_docker_fail("type=bind,dst=/b", "--mount 'type=bind,dst=/b': a bind needs source=PATH");
	check_docker_fail("type=bind,src=/a",
	                  "--mount 'type=bind,src=/a': needs an absolute destination=PATH");
	check_docker_fail("type=bind,src=/a,dst=b",
	                  "--mount 'type=bind,src=/a,dst=b': needs an absolute destination=PATH");
	check_docker_fail("type=tmpfs,src=/a,dst=/b",
	                  "--mount 'type=tmpfs,src=/a,dst=/b': a tmpfs takes no source");
	check_docker_fail("type=bind,src=/a,dst=/b,readonly=maybe",
	                  "--mount 'type=bind,src=/a,dst=/b,readonly=maybe': readonly takes true or false");
	check_docker_fail("type=bind,src=/a,dst=/x/..",
	                  "--mount 'type=bind,src=/a,dst=/x/..': cannot mount over the container's root "
	                  "(choose another destination)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normalize),
	        cmocka_unit_test(test_parse_valid),
	        cmocka_unit_test(test_parse_invalid),
	        cmocka_unit_test(test_parse_docker_valid),
	        cmocka_unit_test(test_parse_docker_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
