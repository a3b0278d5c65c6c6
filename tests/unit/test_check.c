/* Unit tests for the verdicts of `burrow check` (src/runtime/check.c): every KO and WARN path
 * from facts, network filesystem types and the mountinfo lookup. Not the probing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/check.h"

enum {
	USERNS,
	OVERLAY,
	FUSE,
	SQUASHFUSE,
	SUBIDS,
	DATA
};

/* A host where everything is ready. */
static struct check_facts ready(void)
{
	struct check_facts f = {
	        .user = "alice",
	        .max_user_namespaces = 63412,
	        .unprivileged_userns_clone = CHECK_UNKNOWN,
	        .apparmor_restrict_unprivileged_userns = CHECK_UNKNOWN,
	        .userns_errno = 0,
	        .overlay_listed = true,
	        .overlay_errno = 0,
	        .fuse_present = true,
	        .fuse_usable = true,
	        .fuse_mode = 020666,
	        .squashfuse_present = true,
	        .subuid_file = "/etc/subuid",
	        .subgid_file = "/etc/subgid",
	        .subuid_entry = true,
	        .subgid_entry = true,
	        .newuidmap_present = true,
	        .newgidmap_present = true,
	        .data_path = "/home/alice/.local/share/burrow",
	        .data_fstype = "ext4",
	};
	return f;
}

/* Judges f and checks line `which`: its status, and that detail and fix hold the words given
 * (fix must be empty for OK). Returns the number of KO lines. */
static int expect(const struct check_facts *f, int which, enum check_status status, const char *detail_word,
                  const char *fix_word)
{
	struct check_line lines[CHECK_LINES];
	int ko = check_judge(f, lines);
	const struct check_line *line = &lines[which];
	assert_int_equal(line->status, status);
	if (detail_word && !strstr(line->detail, detail_word))
		fail_msg("detail '%s' lacks '%s'", line->detail, detail_word);
	if (status == CHECK_OK)
		assert_string_equal(line->fix, "");
	else if (!fix_word || !strstr(line->fix, fix_word))
		fail_msg("fix '%s' lacks '%s'", line->fix, fix_word ? fix_word : "(a fix)");
	return ko;
}

static void test_ready_host_is_all_ok(void **state)
{
	struct check_facts f = ready();
	struct check_line lines[CHECK_LINES];
	assert_int_equal(check_judge(&f, lines), 0);
	for (int i = 0; i < CHECK_LINES; i++) {
		assert_int_equal(lines[i].status, CHECK_OK);
		assert_non_null(lines[i].requirement);
	}
	expect(&f, USERNS, CHECK_OK, "63412", NULL);
	expect(&f, DATA, CHECK_OK, "ext4", NULL);
}

static void test_userns_max_zero_is_ko(void **state)
{
	struct check_facts f = ready();
	f.max_user_namespaces = 0;
	assert_int_equal(expect(&f, USERNS, CHECK_KO, "max_user_namespaces = 0", "user.max_user_namespaces="),
	                 1);
}

static void test_userns_debian_knob_is_ko(void **state)
{
	struct check_facts f = ready();
	f.unprivileged_userns_clone = 0;
	expect(&f, USERNS, CHECK_KO, "unprivileged_userns_clone", "kernel.unprivileged_userns_clone=1");
	f.unprivileged_userns_clone = 1;
	expect(&f, USERNS, CHECK_OK, NULL, NULL);
}

static void test_userns_apparmor_is_ko_unless_overlay_worked(void **state)
{
	struct check_facts f = ready();
	f.apparmor_restrict_unprivileged_userns = 1;
	f.overlay_errno = EPERM;
	expect(&f, USERNS, CHECK_KO, "AppArmor", "apparmor_restrict_unprivileged_userns=0");
	f.overlay_errno = CHECK_UNKNOWN; /* not tried (BURROW_HOST_ROOT) */
	expect(&f, USERNS, CHECK_KO, "AppArmor", "AppArmor profile");
	f.overlay_errno = 0; /* a profile lets burrow through: the live mount worked */
	expect(&f, USERNS, CHECK_OK, "allowed", NULL);
	f.apparmor_restrict_unprivileged_userns = 0;
	f.overlay_errno = CHECK_UNKNOWN;
	expect(&f, USERNS, CHECK_OK, "allowed", NULL);
}

static void test_userns_failing_probe_is_ko(void **state)
{
	struct check_facts f = ready();
	f.userns_errno = EPERM;
	expect(&f, USERNS, CHECK_KO, strerror(EPERM), "administrator");
}

static void test_overlay_missing_or_failing_is_ko(void **state)
{
	struct check_facts f = ready();
	f.overlay_listed = false;
	expect(&f, OVERLAY, CHECK_KO, "/proc/filesystems", "modprobe overlay");
	f = ready();
	f.overlay_errno = EINVAL;
	expect(&f, OVERLAY, CHECK_KO, strerror(EINVAL), "5.11");
	f = ready();
	f.overlay_errno = CHECK_UNKNOWN; /* listed, not tried */
	expect(&f, OVERLAY, CHECK_OK, "available", NULL);
}

static void test_overlay_without_userns_is_ko(void **state)
{
	struct check_facts f = ready();
	f.max_user_namespaces = 0;
	f.overlay_errno = CHECK_UNKNOWN; /* not tried: no namespace to try it in */
	assert_int_equal(expect(&f, OVERLAY, CHECK_KO, "without user namespaces", "user namespaces first"),
	                 2);
	f = ready();
	f.userns_errno = ENOSPC;
	f.overlay_errno = CHECK_UNKNOWN;
	expect(&f, OVERLAY, CHECK_KO, "without user namespaces", "user namespaces first");
	f = ready();
	f.apparmor_restrict_unprivileged_userns = 1;
	f.overlay_errno = EPERM; /* tried, and the error says more than "no user namespaces" */
	expect(&f, OVERLAY, CHECK_KO, strerror(EPERM), "5.11");
}

static void test_fuse_missing_or_unusable_warns(void **state)
{
	struct check_facts f = ready();
	f.fuse_present = f.fuse_usable = false;
	assert_int_equal(expect(&f, FUSE, CHECK_WARN, "missing", "modprobe fuse"), 0);
	f = ready();
	f.fuse_usable = false;
	f.fuse_mode = 020600;
	assert_int_equal(expect(&f, FUSE, CHECK_WARN, "mode 0600", "chmod 0666 /dev/fuse"), 0);
	expect(&f, FUSE, CHECK_WARN, "by alice", "udev rule");
}

static void test_fuse_says_how_image_files_are_read(void **state)
{
	struct check_facts f = ready();
	expect(&f, FUSE, CHECK_OK, "served by burrow over FUSE", NULL);
	f.fuse_usable = false;
	expect(&f, FUSE, CHECK_WARN, "unpacked once into the cache", "chmod 0666");
	f = ready();
	f.fuse_disabled = "BURROW_FUSE=no";
	expect(&f, FUSE, CHECK_WARN, "BURROW_FUSE=no: image files (.sqsh) will be unpacked",
	       "unset BURROW_FUSE");
	f = ready();
	f.fuse_errno = EPERM;
	expect(&f, FUSE, CHECK_WARN, "mounting fuse in a user namespace failed: Operation not permitted",
	       "BURROW_FUSE=no");
}

static void test_squashfuse_missing_warns(void **state)
{
	struct check_facts f = ready();
	f.squashfuse_present = false;
	expect(&f, SQUASHFUSE, CHECK_WARN, "not on PATH", "apt-get install squashfuse");
}

static void test_subids_missing_warns_naming_file(void **state)
{
	struct check_facts f = ready();
	f.subgid_entry = false;
	expect(&f, SUBIDS, CHECK_WARN, "/etc/subgid", "usermod --add-subuids");
	f = ready();
	f.subuid_entry = false;
	f.subuid_file = "/tmp/subuid";
	expect(&f, SUBIDS, CHECK_WARN, "/tmp/subuid", "alice");
}

static void test_subid_helpers_missing_warns(void **state)
{
	struct check_facts f = ready();
	f.newgidmap_present = false;
	expect(&f, SUBIDS, CHECK_WARN, "newgidmap", "apt-get install uidmap");
}

static void test_data_path_on_network_filesystem_warns(void **state)
{
	const char *types[] = {"nfs", "nfs4", "lustre", "gpfs", "beegfs", "fuse.sshfs"};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct check_facts f = ready();
		snprintf(f.data_fstype, sizeof(f.data_fstype), "%s", types[i]);
		assert_int_equal(expect(&f, DATA, CHECK_WARN, types[i], "BURROW_DATA_PATH"), 0);
	}
	struct check_facts f = ready();
	f.data_fstype[0] = '\0';
	expect(&f, DATA, CHECK_WARN, "unknown", "local disk");
}

static void test_data_path_unknown_is_ko(void **state)
{
	struct check_facts f = ready();
	f.data_path[0] = '\0';
	f.data_fstype[0] = '\0';
	assert_int_equal(expect(&f, DATA, CHECK_KO, "HOME", "set BURROW_DATA_PATH"), 1);
}

static void test_fstype_classification(void **state)
{
	assert_true(check_fstype_is_network("nfs"));
	assert_true(check_fstype_is_network("lustre"));
	assert_true(check_fstype_is_network("gpfs"));
	assert_true(check_fstype_is_network("fuse.glusterfs"));
	assert_false(check_fstype_is_network("ext4"));
	assert_false(check_fstype_is_network("xfs"));
	assert_false(check_fstype_is_network("tmpfs"));
	assert_false(check_fstype_is_network("nfsd")); /* the server's control filesystem */
}

static const char mountinfo[] =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "30 22 0:40 / /home rw,relatime shared:5 - nfs4 server:/home rw,vers=4.2\n"
        "31 30 0:41 / /home/alice/scratch rw shared:6 master:2 - lustre 10.0.0.1@tcp:/fs rw\n"
        "32 22 0:42 / /home2 rw - xfs /dev/sdb1 rw\n"
        "33 22 0:43 / /with\\040space rw - gpfs gpfs0 rw\n"
        "34 22 0:44 / /tmp rw - ext4 /dev/sdc1 rw\n"
        "35 22 0:45 / /tmp rw - tmpfs tmpfs rw\n";

static void test_mountinfo_longest_prefix(void **state)
{
	char type[64];
	assert_true(check_mountinfo_fstype(mountinfo, "/home/alice/.local/share/burrow", type, sizeof(type)));
	assert_string_equal(type, "nfs4");
	assert_true(check_mountinfo_fstype(mountinfo, "/home/alice/scratch/burrow", type, sizeof(type)));
	assert_string_equal(type, "lustre");
	assert_true(check_mountinfo_fstype(mountinfo, "/home2/x", type, sizeof(type)));
	assert_string_equal(type, "xfs");
	assert_true(check_mountinfo_fstype(mountinfo, "/homeless", type, sizeof(type)));
	assert_string_equal(type, "ext4"); /* /home is not a prefix of /homeless */
	assert_true(check_mountinfo_fstype(mountinfo, "/", type, sizeof(type)));
	assert_string_equal(type, "ext4");
}

static void test_mountinfo_escapes_and_overmounts(void **state)
{
	char type[64];
	assert_true(check_mountinfo_fstype(mountinfo, "/with space/data", type, sizeof(type)));
	assert_string_equal(type, "gpfs");
	assert_true(check_mountinfo_fstype(mountinfo, "/tmp/burrow", type, sizeof(type)));
	assert_string_equal(type, "tmpfs"); /* the later mount on /tmp hides the earlier */
}

static void test_mountinfo_without_match_or_malformed(void **state)
{
	char type[64] = "untouched";
	assert_false(check_mountinfo_fstype("", "/x", type, sizeof(type)));
	assert_false(check_mountinfo_fstype("garbage\n1 2 3\n", "/x", type, sizeof(type)));
	assert_false(
	        check_mountinfo_fstype("30 22 0:40 / /home rw - nfs4 s:/ rw\n", "/srv", type, sizeof(type)));
	assert_string_equal(type, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ready_host_is_all_ok),
	        cmocka_unit_test(test_userns_max_zero_is_ko),
	        cmocka_unit_test(test_userns_debian_knob_is_ko),
	        cmocka_unit_test(test_userns_apparmor_is_ko_unless_overlay_worked),
	        cmocka_unit_test(test_userns_failing_probe_is_ko),
	        cmocka_unit_test(test_overlay_missing_or_failing_is_ko),
	        cmocka_unit_test(test_overlay_without_userns_is_ko),
	        cmocka_unit_test(test_fuse_missing_or_unusable_warns),
	        cmocka_unit_test(test_fuse_says_how_image_files_are_read),
	        cmocka_unit_test(test_squashfuse_missing_warns),
	        cmocka_unit_test(test_subids_missing_warns_naming_file),
	        cmocka_unit_test(test_subid_helpers_missing_warns),
	        cmocka_unit_test(test_data_path_on_network_filesystem_warns),
	        cmocka_unit_test(test_data_path_unknown_is_ko),
	        cmocka_unit_test(test_fstype_classification),
	        cmocka_unit_test(test_mountinfo_longest_prefix),
	        cmocka_unit_test(test_mountinfo_escapes_and_overmounts),
	        cmocka_unit_test(test_mountinfo_without_match_or_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
