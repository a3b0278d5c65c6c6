/* Unit tests for the names of images in the store as users type them (src/image/reference.c):
 * local names for tag, the names a lookup tries, `images NAME` matching, and registry hosts for
 * login. Not for parsing references as such (test_reference.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/reference.h"
#include "util/cleanup.h"

#define DIGEST "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_parse_says_what_was_written(void **state)
{
	static const struct {
		const char *text;
		bool registry, tag;
	} cases[] = {
	        {"busybox", false, false},
	        {"busybox:1.36", false, true},
	        {"docker.io/busybox", true, false},
	        {"127.0.0.1:5000/busybox", true, false},
	        {"127.0.0.1:5000/busybox:latest", true, true},
	        {"localhost/x@" DIGEST, true, false},
	        {"docker://busybox", false, false},
	        {"docker://nvcr.io#nvidia/x:1", true, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reference ref;
		struct error err = {0};
		assert_int_equal(reference_parse(cases[i].text, &ref, &err), 0);
		if (ref.registry_given != cases[i].registry || ref.tag_given != cases[i].tag)
			fail_msg("%s: registry_given %d tag_given %d", cases[i].text, ref.registry_given,
			         ref.tag_given);
		reference_free(&ref);
	}
}

static void test_local_name(void **state)
{
	static const char *const cases[][2] = {
	        {"mybox", "localhost/mybox:latest"},
	        {"mybox:v1", "localhost/mybox:v1"},
	        {"me/tools", "localhost/me/tools:latest"},
	        {"localhost/mybox", "localhost/mybox:latest"},
	        {"127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest"},
	        {"docker.io/busybox:1", "docker.io/library/busybox:1"},
	        {"docker://busybox", "docker.io/library/busybox:latest"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = {0};
		cleanup_free char *name = reference_local_name(cases[i][0], &err);
		if (!name)
			fail_msg("%s: %s", cases[i][0], err.msg);
		assert_string_equal(name, cases[i][1]);
	}
}

static void test_local_name_refusals(void **state)
{
	static const char *const cases[][2] = {
	        {"mybox@" DIGEST, "needs a tag"},
	        {"docker://alice@nvcr.io#x:1", "has no user"},
	        {"MyBox", "upper case"},
	        {"", "empty"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = {0};
		char *name = reference_local_name(cases[i][0], &err);
		assert_null(name);
		assert_int_equal(err.code, EINVAL);
		if (!strstr(err.msg, cases[i][1]))
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i][0], err.msg, cases[i][1]);
	}
}

static void test_store_names(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		const char *names[2];
	} cases[] = {
	        {"mybox", 2, {"localhost/mybox:latest", "docker.io/library/mybox:latest"}},
	        {"busybox:1.36", 2, {"localhost/busybox:1.36", "docker.io/library/busybox:1.36"}},
	        {"nvidia/cuda:12", 2, {"localhost/nvidia/cuda:12", "docker.io/nvidia/cuda:12"}},
	        {"127.0.0.1:5000/busybox", 1, {"127.0.0.1:5000/busybox:latest"}},
	        {"docker.io/busybox", 1, {"docker.io/library/busybox:latest"}},
	        {"docker://busybox", 1, {"docker.io/library/busybox:latest"}},
	        {"busybox@" DIGEST, 1, {"docker.io/library/busybox@" DIGEST}},
	        {"Not A Reference", 0, {NULL}},
	        {"BusyBox", 0, {NULL}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *names[2] = {NULL, NULL};
		size_t n = 99;
		struct error err = {0};
		assert_int_equal(reference_store_names(cases[i].text, names, &n, &err), 0);
		if (n != cases[i].n)
			fail_msg("%s: %zu names, not %zu", cases[i].text, n, cases[i].n);
		for (size_t j = 0; j < n; j++) {
			assert_string_equal(names[j], cases[i].names[j]);
			free(names[j]);
		}
	}
}

static void test_name_matches(void **state)
{
	static const struct {
		const char *pattern, *name;
		bool match;
	} cases[] = {
	        {"busybox", "docker.io/library/busybox:latest", true},
	        {"busybox", "docker.io/library/busybox:1.36", true},
	        {"busybox", "localhost/busybox:old", true},
	        {"busybox:1.36", "docker.io/library/busybox:1.36", true},
	        {"busybox:1.36", "docker.io/library/busybox:latest", false},
	        {"busybox", "docker.io/library/busyboxes:latest", false},
	        {"busybox", "127.0.0.1:5000/busybox:latest", false},
	        {"127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest", true},
	        {"127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:oci", true},
	        {"127.0.0.1:5000/busybox:oci", "127.0.0.1:5000/busybox:latest", false},
	        {"127.0.0.1:5000/busybox", "127.0.0.1:5001/busybox:latest", false},
	        {"mybox", "localhost/mybox:latest", true},
	        {"localhost/mybox:latest", "localhost/mybox:latest", true},
	        {"busybox@" DIGEST, "docker.io/library/busybox@" DIGEST, true},
	        {"busybox@" DIGEST, "docker.io/library/busybox:latest", false},
	        {"odd name", "odd name", true},
	        {"odd name", "docker.io/library/odd:latest", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (reference_name_matches(cases[i].pattern, cases[i].name) != cases[i].match)
			fail_msg("%s vs %s: expected %s", cases[i].pattern, cases[i].name,
			         cases[i].match ? "a match" : "none");
}

static void test_registry_host(void **state)
{
	static const char *const cases[][2] = {
	        {"127.0.0.1:5000", "127.0.0.1:5000"},
	        {"nvcr.io", "nvcr.io"},
	        {"localhost", "localhost"},
	        {"[::1]:5000", "[::1]:5000"},
	        {"https://index.docker.io/v1/", "docker.io"},
	        {"registry-1.docker.io", "docker.io"},
	        {"http://127.0.0.1:5000/", "127.0.0.1:5000"},
	        {"ghcr.io/some/path", "ghcr.io"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = {0};
		cleanup_free char *host = reference_registry_host(cases[i][0], &err);
		if (!host)
			fail_msg("%s: %s", cases[i][0], err.msg);
		assert_string_equal(host, cases[i][1]);
	}
	static const char *const bad[] = {"", "-x.io", "host:99999", "a b", "https://", "host:"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct error err = {0};
		char *host = reference_registry_host(bad[i], &err);
		if (host)
			fail_msg("%s should be refused, got %s", bad[i], host);
		assert_int_equal(err.code, EINVAL);
	}
	struct error err = {0};
	assert_null(reference_registry_host(NULL, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_says_what_was_written),
	        cmocka_unit_test(test_local_name),
	        cmocka_unit_test(test_local_name_refusals),
	        cmocka_unit_test(test_store_names),
	        cmocka_unit_test(test_name_matches),
	        cmocka_unit_test(test_registry_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
