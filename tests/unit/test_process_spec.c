/* Unit tests for the text forms of process settings (src/runtime/process_spec.c): capability
 * and rlimit names, docker's --ulimit, --cap-add/--cap-drop and --sysctl. Not for applying
 * them (process_setup.c; the CLI tests check /proc/self/status inside). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "runtime/process_spec.h"

static void test_capability_names(void **state)
{
	assert_int_equal(cap_from_name("CAP_CHOWN"), 0);
	assert_int_equal(cap_from_name("sys_admin"), 21);
	assert_int_equal(cap_from_name("Net_Raw"), 13);
	assert_int_equal(cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(cap_from_name("FLY"), -1);
	assert_int_equal(cap_from_name("CAP_"), -1);
	assert_string_equal(cap_name(21), "CAP_SYS_ADMIN");
	assert_string_equal(cap_name(63), "CAP_?");
}

static void test_rlimit_names(void **state)
{
	assert_int_equal(rlimit_from_name("nofile"), RLIMIT_NOFILE);
	assert_int_equal(rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
	assert_int_equal(rlimit_from_name("Stack"), RLIMIT_STACK);
	assert_int_equal(rlimit_from_name("files"), -1);
	assert_string_equal(rlimit_name(RLIMIT_MEMLOCK), "memlock");
}

static void check_ulimit(const char *spec, int resource, uint64_t soft, uint64_t hard)
{
	struct plan_rlimit r;
	struct error err;
	assert_int_equal(ulimit_parse(spec, &r, &err), 0);
	assert_int_equal(r.resource, resource);
	assert_int_equal(r.soft, soft);
	assert_int_equal(r.hard, hard);
}

static void check_ulimit_fails(const char *spec, const char *message)
{
	struct plan_rlimit r;
	struct error err;
	assert_int_equal(ulimit_parse(spec, &r, &err), -1);
	assert_string_equal(err.msg, message);
}

static void test_ulimit(void **state)
{
	check_ulimit("nofile=512:1024", RLIMIT_NOFILE, 512, 1024);
	check_ulimit("nproc=100", RLIMIT_NPROC, 100, 100);
	check_ulimit("core=0:unlimited", RLIMIT_CORE, 0, RLIM_INFINITY);
	check_ulimit("memlock=-1:-1", RLIMIT_MEMLOCK, RLIM_INFINITY, RLIM_INFINITY);
	check_ulimit_fails("nofile", "--ulimit 'nofile': expected NAME=SOFT[:HARD] (nofile=1024:4096)");
	check_ulimit_fails("=5", "--ulimit '=5': expected NAME=SOFT[:HARD]");
	check_ulimit_fails("files=5",
	                   "--ulimit 'files=5': unknown limit 'files' (nofile, nproc, stack, core, "
	                   "memlock, ...)");
	check_ulimit_fails("nofile=many", "--ulimit 'nofile=many': limits are numbers or 'unlimited' "
	                                  "(NAME=SOFT[:HARD])");
	check_ulimit_fails("nofile=-5", "--ulimit 'nofile=-5': limits are numbers or 'unlimited' "
	                                "(NAME=SOFT[:HARD])");
	check_ulimit_fails("nofile=10:", "--ulimit 'nofile=10:': limits are numbers or 'unlimited' "
	                                 "(NAME=SOFT[:HARD])");
	check_ulimit_fails("nofile=2048:1024",
	                   "--ulimit 'nofile=2048:1024': the soft limit is above the hard "
	                   "limit");
}

static void test_caps_from_docker(void **state)
{
	uint64_t set, added;
	struct error err;
	char *none[] = {NULL};
	char *all[] = {"ALL", NULL};
	char *chown_only[] = {"CAP_CHOWN", NULL};
	char *net_raw[] = {"net_raw", NULL};
	char *bad[] = {"CHOWN", "FLY", NULL};
	assert_int_equal(caps_from_docker(none, none, &set, &added, &err), 0);
	assert_int_equal(set, ~0ULL);
	assert_int_equal(added, 0);
	assert_int_equal(caps_from_docker(none, chown_only, &set, &added, &err), 0);
	assert_int_equal(set, ~1ULL);
	assert_int_equal(caps_from_docker(net_raw, all, &set, &added, &err), 0);
	assert_int_equal(set, 1ULL << 13);
	assert_int_equal(added, 1ULL << 13);
	/* drops first, then adds, whatever the order on the command line */
	assert_int_equal(caps_from_docker(all, all, &set, &added, &err), 0);
	assert_int_equal(set, ~0ULL);
	assert_int_equal(caps_from_docker(bad, none, &set, &added, &err), -1);
	assert_string_equal(err.msg, "--cap-add 'FLY': unknown capability (see capabilities(7))");
	assert_int_equal(caps_from_docker(none, bad, &set, &added, &err), -1);
	assert_string_equal(err.msg, "--cap-drop 'FLY': unknown capability (see capabilities(7))");
}

static void test_sysctl(void **state)
{
	char key[64];
	const char *value;
	struct error err;
	assert_int_equal(sysctl_parse("net.ipv4.ip_forward=1", key, sizeof(key), &value, &err), 0);
	assert_string_equal(key, "net.ipv4.ip_forward");
	assert_string_equal(value, "1");
	assert_int_equal(sysctl_parse("kernel/shmmax=1 2", key, sizeof(key), &value, &err), 0);
	assert_string_equal(key, "kernel.shmmax");
	assert_string_equal(value, "1 2");
	assert_int_equal(sysctl_parse("net.ipv4.ip_forward", key, sizeof(key), &value, &err), -1);
	assert_string_equal(err.msg, "--sysctl 'net.ipv4.ip_forward': expected KEY=VALUE "
	                             "(net.ipv4.ip_forward=1)");
	assert_int_equal(sysctl_parse("net..x=1", key, sizeof(key), &value, &err), -1);
	assert_string_equal(err.msg, "--sysctl 'net..x=1': invalid key");
	assert_int_equal(sysctl_parse("net/../../x=1", key, sizeof(key), &value, &err), -1);
	assert_int_equal(sysctl_parse("net x=1", key, sizeof(key), &value, &err), -1);
	assert_string_equal(err.msg, "--sysctl 'net x=1': invalid character in the key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_capability_names), cmocka_unit_test(test_rlimit_names),
	        cmocka_unit_test(test_ulimit),           cmocka_unit_test(test_caps_from_docker),
	        cmocka_unit_test(test_sysctl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
