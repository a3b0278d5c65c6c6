/* Unit tests for config.json to the run plan (src/oci/config.c) and the OCI state record
 * (src/oci/state.c): what each field becomes, the mappings filled in, the refusals named, the
 * record's round trip and the ID rules. Not the lifecycle (tests/cli/oci*.bats). */
#include <errno.h>
#include <linux/mount.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "oci/config.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/strv.h"

static const struct oci_host host = {.uid = 1000, .gid = 100, .hostname = "node1"};

/* A minimal valid config with extra members spliced in (a JSON fragment, may be empty). */
static int parse_with(const char *extra_top, const char *extra_process, struct oci_bundle *b,
                      struct error *err)
{
	char text[8192];
	snprintf(text, sizeof(text),
	         "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
	         "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"%s%s}%s%s}",
	         extra_process[0] ? ", " : "", extra_process, extra_top[0] ? ", " : "", extra_top);
	error_clear(err);
	return oci_config_parse(text, strlen(text), "/b", &host, b, err);
}

static void expect_refused(const char *extra_top, const char *extra_process, const char *words)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(parse_with(extra_top, extra_process, &b, &err), -1);
	if (!strstr(err.msg, words))
		fail_msg("expected '%s' in: %s", words, err.msg);
	/* Nothing is left behind by a refusal. */
	assert_null(b.dir);
	assert_null(b.plan.argv);
}

static const struct plan_mount *find_mount(const struct run_plan *plan, const char *target)
{
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (strcmp(plan->mounts[i].target, target) == 0)
			return &plan->mounts[i];
	return NULL;
}

static void test_minimal_config_gives_an_oci_plan(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(parse_with("", "", &b, &err), 0);
	assert_true(b.plan.oci);
	assert_string_equal(b.plan.rootfs, "/b/rootfs");
	assert_string_equal(b.plan.argv[0], "sh");
	assert_null(b.plan.argv[1]);
	assert_non_null(b.plan.env);
	assert_null(b.plan.env[0]);
	assert_string_equal(b.plan.workdir, "/");
	assert_false(b.plan.rootfs_readonly);
	assert_false(b.terminal);
	assert_int_equal(json_object_size(b.annotations), 0);
	/* noNewPrivileges absent is false. */
	assert_true(b.plan.process.keep_new_privs);
	oci_bundle_free(&b);
}

static void test_missing_mappings_map_the_caller_to_the_process_user(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(parse_with("", "\"user\": {\"uid\": 5, \"gid\": 6}", &b, &err), 0);
	assert_int_equal(b.plan.uids.n, 1);
	assert_int_equal(b.plan.uids.ranges[0].inside, 5);
	assert_int_equal(b.plan.uids.ranges[0].outside, 1000);
	assert_int_equal(b.plan.uids.ranges[0].count, 1);
	assert_int_equal(b.plan.gids.ranges[0].inside, 6);
	assert_int_equal(b.plan.gids.ranges[0].outside, 100);
	oci_bundle_free(&b);
}

static void test_given_mappings_are_kept(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(
	        parse_with("\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, "
	                   "\"size\": 1}, {\"containerID\": 1, \"hostID\": 200000, \"size\": 65536}], "
	                   "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 100, \"size\": 1}]}",
	                   "", &b, &err),
	        0);
	assert_int_equal(b.plan.uids.n, 2);
	assert_int_equal(b.plan.uids.ranges[1].outside, 200000);
	assert_int_equal(b.plan.uids.ranges[1].count, 65536);
	oci_bundle_free(&b);
}

static void test_mappings_that_do_not_map_the_caller_are_refused(void **state)
{
	expect_refused("\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 4000, \"size\": 1}]}",
	               "", "uidMappings");
	expect_refused("\"linux\": {\"uidMappings\": [{\"containerID\": 3, \"hostID\": 1000, \"size\": 1}]}",
	               "", "process.user.uid 0");
	expect_refused("\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000}]}", "", "size");
}

static void test_process_fields_fill_the_plan(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(
	        parse_with(
	                "",
	                "\"env\": [\"A=1\"], \"user\": {\"umask\": 18, \"additionalGids\": [4, 9]}, "
	                "\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_SYS_ADMIN\"], \"permitted\": "
	                "[\"CAP_KILL\"], \"inheritable\": [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"]}, "
	                "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, "
	                "\"hard\": 20}], \"noNewPrivileges\": true, \"oomScoreAdj\": -5",
	                &b, &err),
	        0);
	const struct plan_process *p = &b.plan.process;
	assert_string_equal(b.plan.env[0], "A=1");
	assert_true(p->umask_set);
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->n_additional_gids, 2);
	assert_int_equal(p->additional_gids[1], 9);
	assert_true(p->caps_set);
	assert_true(p->cap_bounding == ((UINT64_C(1) << 5) | (UINT64_C(1) << 21)));
	assert_true(p->cap_ambient == (UINT64_C(1) << 5));
	assert_true(p->cap_effective == 0);
	assert_true(p->cap_inheritable == (UINT64_C(1) << 5));
	assert_int_equal(p->n_rlimits, 1);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_true(p->rlimits[0].soft == 10 && p->rlimits[0].hard == 20);
	assert_false(p->keep_new_privs);
	assert_true(p->oom_score_adj_set);
	assert_int_equal(p->oom_score_adj, -5);
	oci_bundle_free(&b);
}

static void test_ambient_caps_not_permitted_and_inheritable_are_dropped(void **state)
{
	struct oci_bundle b;
	struct error err;
	/* runc spec --rootless: ambient capabilities that are permitted but not inheritable. */
	assert_int_equal(parse_with("",
	                            "\"capabilities\": {\"permitted\": [\"CAP_KILL\", \"CAP_CHOWN\"], "
	                            "\"inheritable\": [\"CAP_CHOWN\"], \"ambient\": [\"CAP_KILL\", "
	                            "\"CAP_CHOWN\", \"CAP_SYS_ADMIN\"]}",
	                            &b, &err),
	                 0);
	assert_true(b.plan.process.cap_ambient == (UINT64_C(1) << 0));
	oci_bundle_free(&b);
}

static void test_a_process_json_gives_terminal_and_console_size(void **state)
{
	static const char text[] = "{\"terminal\": true, \"consoleSize\": {\"height\": 30, \"width\": "
	                           "100}, \"args\": [\"sh\"], \"cwd\": \"/tmp\"}";
	cleanup_strv char **argv = NULL;
	cleanup_strv char **env = NULL;
	cleanup_free char *cwd = NULL;
	struct oci_process_extra extra;
	struct error err;
	error_clear(&err);
	assert_int_equal(oci_process_parse(text, strlen(text), &argv, &env, &cwd, &extra, &err), 0);
	assert_string_equal(argv[0], "sh");
	assert_null(env);
	assert_string_equal(cwd, "/tmp");
	assert_true(extra.terminal);
	assert_int_equal(extra.console_height, 30);
	assert_int_equal(extra.console_width, 100);
}

static void test_terminal_and_console_size_are_kept(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(parse_with("",
	                            "\"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80}",
	                            &b, &err),
	                 0);
	assert_true(b.terminal);
	assert_int_equal(b.console_height, 24);
	assert_int_equal(b.console_width, 80);
	oci_bundle_free(&b);
}

static void test_mounts_become_plan_mounts(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(
	        parse_with(
	                "\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": "
	                "\"proc\"}, "
	                "{\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
	                "\"options\": "
	                "[\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]}, {\"destination\": "
	                "\"/data\", \"type\": \"bind\", \"source\": \"data\", \"options\": [\"rbind\", "
	                "\"ro\", "
	                "\"nodev\", \"noexec\", \"rprivate\"]}, {\"destination\": \"dev/mqueue\", \"type\": "
	                "\"mqueue\", \"source\": \"mqueue\"}, {\"destination\": \"/sys\", \"type\": "
	                "\"sysfs\", "
	                "\"source\": \"sysfs\"}, {\"destination\": \"/dev/pts\", \"type\": \"devpts\", "
	                "\"source\": \"devpts\", \"options\": [\"newinstance\", \"ptmxmode=0666\"]}, "
	                "{\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": "
	                "\"cgroup\"}]",
	                "", &b, &err),
	        0);
	/* Without a PID namespace, /proc is the host's, bound. */
	const struct plan_mount *m = find_mount(&b.plan, "/proc");
	assert_int_equal(m->kind, PLAN_MOUNT_BIND);
	assert_string_equal(m->source, "/proc");
	m = find_mount(&b.plan, "/dev");
	assert_int_equal(m->kind, PLAN_MOUNT_TMPFS);
	assert_string_equal(m->data, "mode=755,size=65536k");
	assert_true(m->attrs == MOUNT_ATTR_NOSUID);
	m = find_mount(&b.plan, "/data");
	assert_int_equal(m->kind, PLAN_MOUNT_BIND);
	assert_string_equal(m->source, "/b/data");
	assert_true(m->readonly);
	assert_true(m->attrs == (MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
	assert_int_equal(find_mount(&b.plan, "/dev/mqueue")->kind, PLAN_MOUNT_MQUEUE);
	assert_int_equal(find_mount(&b.plan, "/sys")->kind, PLAN_MOUNT_SYSFS);
	assert_string_equal(find_mount(&b.plan, "/dev/pts")->data, "newinstance,ptmxmode=0666");
	assert_int_equal(find_mount(&b.plan, "/sys/fs/cgroup")->kind, PLAN_MOUNT_CGROUP);
	/* /dev a tmpfs: the default devices and links follow. */
	assert_int_equal(find_mount(&b.plan, "/dev/null")->kind, PLAN_MOUNT_BIND);
	assert_string_equal(find_mount(&b.plan, "/dev/ptmx")->data, "pts/ptmx");
	oci_bundle_free(&b);
}

static void test_a_proc_mount_with_a_pid_namespace_is_fresh(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(
	        parse_with("\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}], \"linux\": "
	                   "{\"namespaces\": [{\"type\": \"pid\"}]}",
	                   "", &b, &err),
	        0);
	assert_true(b.plan.new_pid);
	assert_int_equal(find_mount(&b.plan, "/proc")->kind, PLAN_MOUNT_PROC);
	oci_bundle_free(&b);
}

static void test_namespaces_are_made_or_joined(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(
	        parse_with("\"hostname\": \"box\", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}, "
	                   "{\"type\": \"ipc\"}, {\"type\": \"cgroup\"}, {\"type\": \"network\", "
	                   "\"path\": \"/proc/42/ns/net\"}, {\"type\": \"user\"}, {\"type\": "
	                   "\"mount\"}]}",
	                   "", &b, &err),
	        0);
	assert_string_equal(b.plan.hostname, "box");
	assert_true(b.plan.new_ipc);
	assert_true(b.plan.new_cgroup);
	assert_false(b.plan.network_none);
	assert_string_equal(b.plan.ns_join[PLAN_NS_NET], "/proc/42/ns/net");
	assert_false(b.plan.new_pid);
	oci_bundle_free(&b);
	/* A joined user namespace brings its own maps. */
	assert_int_equal(
	        parse_with(
	                "\"linux\": {\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/7/ns/user\"}]}",
	                "", &b, &err),
	        0);
	assert_string_equal(b.plan.ns_join[PLAN_NS_USER], "/proc/7/ns/user");
	assert_int_equal(b.plan.uids.n, 0);
	oci_bundle_free(&b);
	/* A new UTS namespace without a hostname keeps the host's name. */
	assert_int_equal(parse_with("\"linux\": {\"namespaces\": [{\"type\": \"uts\"}]}", "", &b, &err), 0);
	assert_string_equal(b.plan.hostname, "node1");
	oci_bundle_free(&b);
}

static void test_linux_paths_and_sysctls_fill_the_plan(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(
	        parse_with("\"linux\": {\"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": "
	                   "[\"/proc/sys\"], \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}, "
	                   "\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\"}], \"resources\": "
	                   "{\"memory\": {\"limit\": 1}}}, \"annotations\": {\"k\": \"v\"}",
	                   "", &b, &err),
	        0);
	assert_string_equal(b.plan.masked_paths[0], "/proc/kcore");
	assert_string_equal(b.plan.readonly_paths[0], "/proc/sys");
	assert_string_equal(b.plan.sysctls[0], "net.ipv4.ip_forward=1");
	assert_string_equal(find_mount(&b.plan, "/dev/fuse")->source, "/dev/fuse");
	assert_non_null(b.warnings);
	assert_non_null(strstr(b.warnings[0], "linux.resources"));
	assert_string_equal(json_string_value(json_object_get(b.annotations, "k")), "v");
	oci_bundle_free(&b);
}

static void test_hooks_are_kept_by_kind(void **state)
{
	struct oci_bundle b;
	struct error err;
	assert_int_equal(parse_with("\"hooks\": {\"prestart\": [{\"path\": \"/a\"}], \"createRuntime\": "
	                            "[{\"path\": \"/b\", \"args\": [\"b\", \"x\"], \"env\": [\"E=1\"], "
	                            "\"timeout\": 3}], \"poststop\": [{\"path\": \"/c\"}]}",
	                            "", &b, &err),
	                 0);
	assert_int_equal(b.n_hooks[OCI_HOOK_CREATE_RUNTIME], 2);
	assert_string_equal(b.hooks[OCI_HOOK_CREATE_RUNTIME][1].path, "/b");
	assert_string_equal(b.hooks[OCI_HOOK_CREATE_RUNTIME][1].args[1], "x");
	assert_int_equal(b.hooks[OCI_HOOK_CREATE_RUNTIME][1].timeout, 3);
	assert_int_equal(b.n_hooks[OCI_HOOK_POSTSTOP], 1);
	assert_int_equal(b.n_hooks[OCI_HOOK_START_CONTAINER], 0);
	oci_bundle_free(&b);
}

static void test_refused_fields_are_named(void **state)
{
	expect_refused("\"linux\": {\"intelRdt\": {\"closID\": \"x\"}}", "",
	               "config.json: linux.intelRdt is not supported");
	expect_refused("", "\"apparmorProfile\": \"p\"", "process.apparmorProfile is not supported");
	expect_refused("\"linux\": {\"namespaces\": [{\"type\": \"time\"}]}", "",
	               "type time is not supported");
	expect_refused("\"linux\": {\"namespaces\": [{\"type\": \"mount\", \"path\": \"/proc/1/ns/mnt\"}]}",
	               "", "joining a mount namespace");
	expect_refused("\"linux\": {\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}], "
	               "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}",
	               "", "cannot be given with a joined user namespace");
	expect_refused("\"mounts\": [{\"destination\": \"/x\", \"type\": \"nfs\"}]", "",
	               "mounts[0].type nfs");
	expect_refused("\"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/y\", "
	               "\"options\": [\"rshared\"]}]",
	               "", "rshared is not supported");
	expect_refused("\"hostname\": \"h\"", "", "hostname needs a new uts namespace");
	expect_refused("\"domainname\": \"d\"", "", "domainname is not supported");
	expect_refused("\"linux\": {\"rootfsPropagation\": \"shared\"}", "", "linux.rootfsPropagation");
	expect_refused("", "\"rlimits\": [{\"type\": \"RLIMIT_X\", \"soft\": 1, \"hard\": 1}]", "RLIMIT_X");
	expect_refused("", "\"capabilities\": {\"bounding\": [\"CAP_FLY\"]}", "CAP_FLY");
	expect_refused("\"ociVersion\": \"2.0\"", "", "ociVersion");
}

static void test_malformed_configs_are_refused(void **state)
{
	static const char *const bad[] = {
	        "",
	        "[]",
	        "{\"ociVersion\": \"1.0.0\"}",
	        "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}}",
	        "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [], "
	        "\"cwd\": "
	        "\"/\"}}",
	        "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"a\"], "
	        "\"cwd\": "
	        "\"rel\"}}",
	        "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"a\"], "
	        "\"cwd\": "
	        "\"/\", \"env\": [\"NOEQUALS\"]}}",
	        "{\"ociVersion\": \"1.0.0\", \"ociVersion\": \"1.0.0\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct oci_bundle b;
		struct error err;
		error_clear(&err);
		assert_int_equal(oci_config_parse(bad[i], strlen(bad[i]), "/b", &host, &b, &err), -1);
		assert_true(err.msg[0] != '\0');
		assert_null(b.dir);
	}
}

static void test_the_default_config_parses(void **state)
{
	for (int rootless = 0; rootless < 2; rootless++) {
		cleanup_free char *text = oci_config_default(rootless);
		struct oci_bundle b;
		struct error err;
		error_clear(&err);
		assert_int_equal(oci_config_parse(text, strlen(text), "/b", &host, &b, &err), 0);
		assert_true(b.plan.new_pid);
		assert_true(b.plan.rootfs_readonly);
		assert_string_equal(b.plan.hostname, "burrow");
		assert_int_equal(b.plan.uids.ranges[0].outside, 1000);
		oci_bundle_free(&b);
	}
}

static void test_names_of_caps_rlimits_and_signals(void **state)
{
	assert_int_equal(oci_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(oci_cap_from_name("NET_RAW"), 13);
	assert_int_equal(oci_cap_from_name("CAP_NOPE"), -1);
	assert_int_equal(oci_rlimit_from_name("RLIMIT_STACK"), RLIMIT_STACK);
	assert_int_equal(oci_rlimit_from_name("NOFILE"), -1);
	assert_int_equal(oci_signal_from_text("TERM"), SIGTERM);
	assert_int_equal(oci_signal_from_text("SIGKILL"), SIGKILL);
	assert_int_equal(oci_signal_from_text("9"), 9);
	assert_int_equal(oci_signal_from_text("0"), -1);
	assert_int_equal(oci_signal_from_text("9x"), -1);
	assert_int_equal(oci_signal_from_text("NOPE"), -1);
}

static void test_ids_are_checked(void **state)
{
	struct error err;
	assert_int_equal(oci_id_check("job.12_3+a-b", &err), 0);
	assert_int_equal(oci_id_check("", &err), -1);
	assert_int_equal(oci_id_check(".", &err), -1);
	assert_int_equal(oci_id_check("..", &err), -1);
	assert_int_equal(oci_id_check("a/b", &err), -1);
	assert_int_equal(oci_id_check("a b", &err), -1);
}

static void test_state_record_round_trips(void **state)
{
	struct oci_state s = {.id = "c1",
	                      .bundle = "/b",
	                      .rootfs = "/b/rootfs",
	                      .oci_version = "1.0.2",
	                      .created = "2026-01-01T00:00:00.000000000Z",
	                      .owner = 1000,
	                      .pid = 42,
	                      .start_time = 123456789,
	                      .monitor = 41,
	                      .exited = true,
	                      .exit_status = 137,
	                      .annotations = json_pack("{s:s}", "k", "v")};
	struct error err;
	cleanup_free char *text = oci_state_format(&s, &err);
	assert_non_null(text);
	struct oci_state out;
	assert_int_equal(oci_state_parse(text, strlen(text), &out, &err), 0);
	assert_string_equal(out.id, "c1");
	assert_string_equal(out.rootfs, "/b/rootfs");
	assert_int_equal(out.owner, 1000);
	assert_int_equal(out.pid, 42);
	assert_true(out.start_time == 123456789);
	assert_int_equal(out.monitor, 41);
	assert_true(out.exited);
	assert_int_equal(out.exit_status, 137);
	assert_string_equal(json_string_value(json_object_get(out.annotations, "k")), "v");
	json_t *pub = oci_state_public(&out, OCI_STATUS_STOPPED);
	assert_string_equal(json_string_value(json_object_get(pub, "status")), "stopped");
	/* A stopped container has no pid, as runc shows it. */
	assert_int_equal(json_integer_value(json_object_get(pub, "pid")), 0);
	json_decref(pub);
	json_decref(s.annotations);
	oci_state_free(&out);
	assert_int_equal(oci_state_parse("{\"id\": 1}", 9, &out, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_minimal_config_gives_an_oci_plan),
	        cmocka_unit_test(test_missing_mappings_map_the_caller_to_the_process_user),
	        cmocka_unit_test(test_given_mappings_are_kept),
	        cmocka_unit_test(test_mappings_that_do_not_map_the_caller_are_refused),
	        cmocka_unit_test(test_process_fields_fill_the_plan),
	        cmocka_unit_test(test_terminal_and_console_size_are_kept),
	        cmocka_unit_test(test_mounts_become_plan_mounts),
	        cmocka_unit_test(test_a_proc_mount_with_a_pid_namespace_is_fresh),
	        cmocka_unit_test(test_namespaces_are_made_or_joined),
	        cmocka_unit_test(test_linux_paths_and_sysctls_fill_the_plan),
	        cmocka_unit_test(test_hooks_are_kept_by_kind),
	        cmocka_unit_test(test_refused_fields_are_named),
	        cmocka_unit_test(test_malformed_configs_are_refused),
	        cmocka_unit_test(test_the_default_config_parses),
	        cmocka_unit_test(test_names_of_caps_rlimits_and_signals),
	        cmocka_unit_test(test_ids_are_checked),
	        cmocka_unit_test(test_state_record_round_trips),
	        cmocka_unit_test(test_ambient_caps_not_permitted_and_inheritable_are_dropped),
	        cmocka_unit_test(test_a_process_json_gives_terminal_and_console_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
