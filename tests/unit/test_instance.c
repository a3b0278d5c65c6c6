/* Unit tests for running-instance records (src/runtime/instance.c): the record's format, the
 * start time in /proc/PID/stat, and pruning of records whose process is gone or was replaced.
 * Not the joining (tests/cli/exec.bats). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/instance.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void test_record_round_trips(void **state)
{
	char *argv[] = {"sh", "-c", "echo \"hi\" ; exit", NULL};
	struct instance in = {.pid = 4242,
	                      .start_time = 123456789012ULL,
	                      .name = "web",
	                      .container = true,
	                      .argv = argv,
	                      .burrow_pid = 4241,
	                      .namespaces = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID,
	                      .started = 1700000000};
	struct error err;
	cleanup_free char *text = instance_format(&in, &err);
	assert_non_null(text);
	struct instance out;
	assert_int_equal(instance_parse(text, strlen(text), &out, &err), 0);
	assert_int_equal(out.pid, 4242);
	assert_true(out.start_time == 123456789012ULL);
	assert_string_equal(out.name, "web");
	assert_true(out.container);
	assert_int_equal(out.burrow_pid, 4241);
	assert_int_equal(out.namespaces, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID);
	assert_true(out.started == 1700000000);
	assert_string_equal(out.argv[2], "echo \"hi\" ; exit");
	assert_null(out.argv[3]);
	instance_free(&out);
}

static void test_malformed_records_are_refused(void **state)
{
	static const char *const bad[] = {
	        "",
	        "{}",
	        "not json",
	        "{\"pid\":0,\"start_time\":1,\"name\":\"a\",\"container\":true,\"argv\":[],\"burrow_pid\":1,"
	        "\"namespaces\":0,\"started\":0}",
	        "{\"pid\":5,\"start_time\":1,\"name\":\"a\",\"container\":true,\"argv\":[3],\"burrow_pid\":1,"
	        "\"namespaces\":0,\"started\":0}",
	        "{\"pid\":5,\"start_time\":1,\"name\":\"a\",\"container\":true,\"argv\":\"sh\",\"burrow_"
	        "pid\":"
	        "1,\"namespaces\":0,\"started\":0}",
	        "{\"pid\":5,\"pid\":6,\"start_time\":1,\"name\":\"a\",\"container\":true,\"argv\":[],"
	        "\"burrow_pid\":1,\"namespaces\":0,\"started\":0}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct instance out;
		struct error err;
		assert_int_equal(instance_parse(bad[i], strlen(bad[i]), &out, &err), -1);
		assert_int_equal(err.code, EINVAL);
	}
}

static void test_start_time_is_field_22_after_the_last_parenthesis(void **state)
{
	uint64_t t = 0;
	const char *plain = "17 (sleep) S 1 17 17 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 98765 2000 100 "
	                    "18446744073709551615\n";
	assert_int_equal(instance_stat_start_time(plain, &t), 0);
	assert_true(t == 98765);
	/* A command name may hold ") " to mislead a parser that splits on spaces. */
	const char *tricky = "17 (a) S 1 2 3) R 1 17 17 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 555 2000\n";
	assert_int_equal(instance_stat_start_time(tricky, &t), 0);
	assert_true(t == 555);
	assert_int_equal(instance_stat_start_time("17 (x) S 1 2 3\n", &t), -1);
	assert_int_equal(instance_stat_start_time("no parenthesis", &t), -1);
}

static void test_own_start_time_matches_proc(void **state)
{
	uint64_t a, b;
	struct error err;
	assert_int_equal(instance_process_start_time(getpid(), &a, &err), 0);
	assert_int_equal(instance_process_start_time(getpid(), &b, &err), 0);
	assert_true(a == b);
	struct instance me = {.pid = getpid(), .start_time = a};
	assert_true(instance_alive(&me));
	me.start_time = a + 1;
	assert_false(instance_alive(&me));
}

/* A pid that belonged to a process of ours that has been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static char *make_runtime(void)
{
	char tmpl[] = "/tmp/test_instance.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static size_t records_on_disk(const char *runtime)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls %s/instances | wc -l", runtime);
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

static void remove_runtime(char *runtime)
{
	struct error err;
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, runtime, &err), 0);
	free(runtime);
}

static void test_list_keeps_live_records_and_prunes_stale_ones(void **state)
{
	char *runtime = make_runtime();
	char *argv[] = {"sleep", "1", NULL};
	struct error err;
	struct instance live = {.pid = getpid(), .name = "live", .container = true, .argv = argv};
	assert_int_equal(instance_write(runtime, &live, &err), 0);
	/* The process is gone: burrow was killed before it could remove the record. */
	struct instance gone = {.pid = dead_pid(), .name = "gone", .container = true, .argv = argv};
	gone.start_time = live.start_time;
	cleanup_free char *text = instance_format(&gone, &err);
	char path[512];
	snprintf(path, sizeof(path), "%s/instances/%d.json", runtime, (int)gone.pid);
	assert_int_equal(fs_write_file_atomic(path, text, strlen(text), 0600, &err), 0);
	/* The pid now belongs to another process: the parent, started earlier than the record says. */
	struct instance reused = {.pid = getppid(), .start_time = 1, .name = "reused", .argv = argv};
	cleanup_free char *text2 = instance_format(&reused, &err);
	snprintf(path, sizeof(path), "%s/instances/%d.json", runtime, (int)reused.pid);
	assert_int_equal(fs_write_file_atomic(path, text2, strlen(text2), 0600, &err), 0);
	/* Garbage under a record's name is pruned too; other names are left alone. */
	snprintf(path, sizeof(path), "%s/instances/1.json", runtime);
	assert_int_equal(fs_write_file_atomic(path, "{", 1, 0600, &err), 0);
	assert_int_equal(records_on_disk(runtime), 4);

	struct instance *list;
	size_t n;
	assert_int_equal(instance_list(runtime, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "live");
	assert_int_equal(list[0].pid, getpid());
	instance_list_free(list, n);
	assert_int_equal(records_on_disk(runtime), 1);

	struct instance found;
	assert_int_equal(instance_find(runtime, "live", &found, &err), 0);
	assert_int_equal(found.pid, getpid());
	instance_free(&found);
	char pid_text[16];
	snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
	assert_int_equal(instance_find(runtime, pid_text, &found, &err), 0);
	assert_string_equal(found.name, "live");
	instance_free(&found);
	assert_int_equal(instance_find(runtime, "gone", &found, &err), -1);
	assert_int_equal(err.code, ESRCH);
	assert_non_null(strstr(err.msg, "gone"));

	instance_remove(runtime, getpid());
	assert_int_equal(records_on_disk(runtime), 0);
	remove_runtime(runtime);
}

static void test_records_are_private_to_the_user(void **state)
{
	char *runtime = make_runtime();
	char *argv[] = {"true", NULL};
	struct error err;
	struct instance me = {.pid = getpid(), .name = "me", .argv = argv};
	assert_int_equal(instance_write(runtime, &me, &err), 0);
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/instances/%d.json", runtime, (int)getpid());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	remove_runtime(runtime);
}

static void test_a_missing_directory_lists_nothing(void **state)
{
	struct instance *list;
	size_t n = 7;
	struct error err;
	assert_int_equal(instance_list("/nonexistent/burrow-runtime", &list, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_pidfd_refuses_a_record_with_another_start_time(void **state)
{
	struct error err;
	struct instance me = {.pid = getpid(), .name = "me"};
	assert_int_equal(instance_process_start_time(getpid(), &me.start_time, &err), 0);
	int fd = instance_open_pidfd(&me, &err);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	me.start_time++;
	assert_int_equal(instance_open_pidfd(&me, &err), -1);
	assert_int_equal(err.code, ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_record_round_trips),
	        cmocka_unit_test(test_malformed_records_are_refused),
	        cmocka_unit_test(test_start_time_is_field_22_after_the_last_parenthesis),
	        cmocka_unit_test(test_own_start_time_matches_proc),
	        cmocka_unit_test(test_list_keeps_live_records_and_prunes_stale_ones),
	        cmocka_unit_test(test_records_are_private_to_the_user),
	        cmocka_unit_test(test_a_missing_directory_lists_nothing),
	        cmocka_unit_test(test_pidfd_refuses_a_record_with_another_start_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
