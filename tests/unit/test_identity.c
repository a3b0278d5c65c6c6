/* Unit tests for the /etc/passwd and /etc/group merge (src/runtime/identity.c).
 * Not for reading the host's databases (identity_host.c), which depends on the machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/identity.h"
#include "util/cleanup.h"

static struct identity_group supp[] = {{"video", 44}};

static struct identity alice(void)
{
	return (struct identity){
	        .name = "alice",
	        .uid = 1000,
	        .gid = 1000,
	        .gecos = "Alice A",
	        .home = "/home/alice",
	        .shell = "/bin/bash",
	        .group_name = "staff",
	        .supplementary = NULL,
	        .n_supplementary = 0,
	};
}

static const char *IMAGE_PASSWD = "root:x:0:0:root:/root:/bin/bash\n"
                                  "# a comment\n"
                                  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                  "alice:x:1001:1001::/home/old:/bin/sh\n"
                                  "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n"
                                  "broken line\n"
                                  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

static void test_passwd_replaces_clashing_lines(void **state)
{
	struct identity id = alice();
	struct error err;
	cleanup_free char *out = identity_merge_passwd(IMAGE_PASSWD, &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "root:x:0:0:root:/root:/bin/bash\n"
	                         "# a comment\n"
	                         "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	                         "broken line\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	                         "alice:x:1000:1000:Alice A:/home/alice:/bin/bash\n");
}

static void test_passwd_null_and_empty_image(void **state)
{
	struct identity id = alice();
	struct error err;
	const char *want = "alice:x:1000:1000:Alice A:/home/alice:/bin/bash\n"
	                   "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
	cleanup_free char *a = identity_merge_passwd(NULL, &id, &err);
	cleanup_free char *b = identity_merge_passwd("", &id, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, want);
	assert_string_equal(b, want);
}

static void test_passwd_no_trailing_newline_and_crlf(void **state)
{
	struct identity id = alice();
	struct error err;
	cleanup_free char *out = identity_merge_passwd("a:x:5:5::/:/bin/sh\r\nb:x:6:6::/:/bin/sh", &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "a:x:5:5::/:/bin/sh\r\n"
	                         "b:x:6:6::/:/bin/sh\n"
	                         "alice:x:1000:1000:Alice A:/home/alice:/bin/bash\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
}

static void test_passwd_malformed_lines_with_user_id_are_dropped(void **state)
{
	struct identity id = alice();
	struct error err;
	/* uid field of a short line still names the user's uid; a number with junk does not. */
	cleanup_free char *out =
	        identity_merge_passwd("x:y:1000\nz:y:1000a:1::/:/bin/sh\nalice\n", &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "z:y:1000a:1::/:/bin/sh\n"
	                         "alice:x:1000:1000:Alice A:/home/alice:/bin/bash\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
}

static void test_passwd_host_fields_cannot_add_fields(void **state)
{
	struct identity id = alice();
	id.gecos = "Evil:0:0\nroot";
	id.home = NULL;
	id.shell = NULL;
	struct error err;
	cleanup_free char *out = identity_merge_passwd(NULL, &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "alice:x:1000:1000:Evil 0 0 root:/:/bin/sh\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
}

static void test_passwd_root_keeps_image_root(void **state)
{
	struct identity id = alice();
	id.root = true;
	struct error err;
	cleanup_free char *out = identity_merge_passwd("toor:x:0:0:Root:/root:/bin/zsh\n"
	                                               "root:x:0:0::/:/bin/sh\n"
	                                               "alice:x:1000:1000::/:/bin/sh\n",
	                                               &id, &err);
	assert_non_null(out);
	/* the first well-formed uid-0 line is kept; the second uid-0 line would be a second root */
	assert_string_equal(out, "toor:x:0:0:Root:/root:/bin/zsh\n"
	                         "alice:x:1000:1000::/:/bin/sh\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
}

static void test_passwd_root_added_when_missing(void **state)
{
	struct identity id = alice();
	id.root = true;
	struct error err;
	cleanup_free char *out = identity_merge_passwd(
	        "root:x:0\nroot:x:5:5::/:/bin/sh\nnobody:x:65534:65534::/:/x\n", &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "nobody:x:65534:65534::/:/x\n"
	                         "root:x:0:0:root:/root:/bin/bash\n");
}

static void test_passwd_user_is_nobody(void **state)
{
	struct identity id = alice();
	id.uid = 65534;
	struct error err;
	cleanup_free char *out = identity_merge_passwd(NULL, &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "alice:x:65534:1000:Alice A:/home/alice:/bin/bash\n");
}

static void test_group_user_primary(void **state)
{
	struct identity id = alice();
	struct error err;
	cleanup_free char *out =
	        identity_merge_group("root:x:0:\nstaff:x:50:\nusers:x:1000:bob\nvideo:x:44:\n", &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "root:x:0:\nvideo:x:44:\nstaff:x:1000:alice\nnogroup:x:65534:\n");
}

static void test_group_supplementary_listed_in_nogroup(void **state)
{
	struct identity id = alice();
	id.supplementary = supp;
	id.n_supplementary = 1;
	id.group_name = NULL;
	struct error err;
	cleanup_free char *out = identity_merge_group(NULL, &id, &err);
	assert_non_null(out);
	assert_string_equal(out, "1000:x:1000:alice\nnogroup:x:65534:alice\n");
	cleanup_free char *kept = identity_merge_group("nogroup:x:65534:\n", &id, &err);
	assert_non_null(kept);
	assert_string_equal(kept, "nogroup:x:65534:\n1000:x:1000:alice\n");
}

static void test_group_root(void **state)
{
	struct identity id = alice();
	id.root = true;
	struct error err;
	cleanup_free char *added = identity_merge_group("staff:x:1000:\n", &id, &err);
	assert_non_null(added);
	assert_string_equal(added, "staff:x:1000:\nroot:x:0:\nnogroup:x:65534:\n");
	cleanup_free char *kept = identity_merge_group("wheel:x:0:a\nroot:x:0:\n", &id, &err);
	assert_non_null(kept);
	assert_string_equal(kept, "wheel:x:0:a\nnogroup:x:65534:\n");
}

static void test_passwd_home_is_the_uids_first_well_formed_line(void **state)
{
	struct error err;
	cleanup_free char *home = identity_passwd_home("broken:1000\n"
	                                               "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n"
	                                               "again:x:1000:1000::/home/again:/bin/sh\n",
	                                               1000, &err);
	assert_string_equal(home, "/home/ubuntu");
}

static void test_passwd_home_is_root_without_a_line_or_a_home(void **state)
{
	struct error err;
	cleanup_free char *missing = identity_passwd_home(IMAGE_PASSWD, 4242, &err);
	cleanup_free char *none = identity_passwd_home(NULL, 0, &err);
	cleanup_free char *empty = identity_passwd_home("u:x:7:7:::/bin/sh\n", 7, &err);
	assert_string_equal(missing, "/");
	assert_string_equal(none, "/");
	assert_string_equal(empty, "/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_passwd_replaces_clashing_lines),
	        cmocka_unit_test(test_passwd_null_and_empty_image),
	        cmocka_unit_test(test_passwd_no_trailing_newline_and_crlf),
	        cmocka_unit_test(test_passwd_malformed_lines_with_user_id_are_dropped),
	        cmocka_unit_test(test_passwd_host_fields_cannot_add_fields),
	        cmocka_unit_test(test_passwd_root_keeps_image_root),
	        cmocka_unit_test(test_passwd_root_added_when_missing),
	        cmocka_unit_test(test_passwd_user_is_nobody),
	        cmocka_unit_test(test_group_user_primary),
	        cmocka_unit_test(test_group_supplementary_listed_in_nogroup),
	        cmocka_unit_test(test_group_root),
	        cmocka_unit_test(test_passwd_home_is_the_uids_first_well_formed_line),
	        cmocka_unit_test(test_passwd_home_is_root_without_a_line_or_a_home),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
