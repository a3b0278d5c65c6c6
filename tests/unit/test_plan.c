/* Unit tests for the run plan (src/runtime/plan.c): how a start source becomes the root's
 * overlay, what the image gives (environment, default command), and the choices made once the
 * root can be read (plan_resolve_in_root). Not the mounting itself (rootfs.c, CLI tests). */
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

#include "runtime/plan.h"
#include "util/fs.h"
#include "util/strv.h"

struct fixture {
	char dir[64];
	int root_fd;
};

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

/* A root with /etc/passwd naming an image user, and /bin/sh. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	strcpy(fx->dir, "/tmp/burrow-test-plan-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	char path[256];
	for (const char *sub = "etc\0bin\0app\0"; *sub; sub += strlen(sub) + 1) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, sub);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	write_file(fx->dir, "etc/passwd", "imageuser:x:4242:4242::/home/imageuser:/bin/sh\n", 0644);
	write_file(fx->dir, "bin/sh", "", 0755);
	fx->root_fd = open(fx->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->root_fd >= 0);
	/* No host's or developer's configuration may change a plan under test. */
	snprintf(path, sizeof(path), "%s/sysconf", fx->dir);
	setenv("BURROW_SYSCONF_PATH", path, 1);
	snprintf(path, sizeof(path), "%s/userconf", fx->dir);
	setenv("BURROW_CONFIG_PATH", path, 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct error err;
	close(fx->root_fd);
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, fx->dir, &err), 0);
	free(fx);
	return 0;
}

static const struct plan_mount *find_mount(const struct run_plan *plan, const char *target)
{
	const struct plan_mount *found = NULL;
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (strcmp(plan->mounts[i].target, target) == 0)
			found = &plan->mounts[i];
	return found;
}

static void test_plain_tree_has_no_overlay(void **state)
{
	struct fixture *fx = *state;
	struct start_source src = {.label = "c", .rootfs = fx->dir};
	struct start_options opts = {0};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_string_equal(plan.rootfs, fx->dir);
	assert_null(plan.overlay.lowers);
	assert_true(plan.rootfs_readonly);
	plan_free(&plan);
}

static void test_container_layers_read_only_and_rw(void **state)
{
	struct fixture *fx = *state;
	char *layers[] = {"/cache/top", "/cache/bottom", NULL};
	struct start_source src = {.label = "c",
	                           .rootfs = fx->dir,
	                           .layers = layers,
	                           .upper = "/data/c/upper",
	                           .work = "/data/c/work"};
	struct start_options opts = {0};
	struct run_plan plan;
	struct error err;
	/* Without --rw the container's upper dir is the top lower layer; writes go to a tmpfs. */
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_int_equal(strv_len(plan.overlay.lowers), 3);
	assert_string_equal(plan.overlay.lowers[0], "/data/c/upper");
	assert_string_equal(plan.overlay.lowers[1], "/cache/top");
	assert_string_equal(plan.overlay.lowers[2], "/cache/bottom");
	assert_null(plan.overlay.upper);
	assert_true(plan.overlay.tmpfs_upper);
	assert_true(plan.rootfs_readonly);
	plan_free(&plan);
	/* With --rw the changes go to the container's own upper dir. */
	opts.rw = true;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_int_equal(strv_len(plan.overlay.lowers), 2);
	assert_string_equal(plan.overlay.upper, "/data/c/upper");
	assert_string_equal(plan.overlay.work, "/data/c/work");
	assert_false(plan.overlay.tmpfs_upper);
	assert_false(plan.rootfs_readonly);
	plan_free(&plan);
}

static void test_image_started_directly_writes_to_tmpfs(void **state)
{
	struct fixture *fx = *state;
	char *layers[] = {"/cache/only", NULL};
	struct start_source src = {.label = "img", .rootfs = fx->dir, .layers = layers};
	struct start_options opts = {.rw = true};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_int_equal(strv_len(plan.overlay.lowers), 1);
	assert_null(plan.overlay.upper);
	assert_true(plan.overlay.tmpfs_upper);
	assert_false(plan.rootfs_readonly);
	plan_free(&plan);
}

static void test_image_file_is_the_bottom_layer(void **state)
{
	struct fixture *fx = *state;
	struct start_source src = {.label = "img.sqsh", .rootfs = fx->dir, .image_file = "/shared/img.sqsh"};
	struct start_options opts = {0};
	struct run_plan plan;
	struct error err;
	/* Started directly: only the file below a throw-away upper, read-only in the end. */
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_non_null(plan.overlay.lowers);
	assert_int_equal(strv_len(plan.overlay.lowers), 0);
	assert_string_equal(plan.overlay.image_file, "/shared/img.sqsh");
	assert_true(plan.overlay.tmpfs_upper);
	assert_true(plan.rootfs_readonly);
	plan_free(&plan);
	/* A container over the file: its upper dir above the file, or taking the changes (--rw). */
	src.upper = "/data/c/upper";
	src.work = "/data/c/work";
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_int_equal(strv_len(plan.overlay.lowers), 1);
	assert_string_equal(plan.overlay.lowers[0], "/data/c/upper");
	assert_string_equal(plan.overlay.image_file, "/shared/img.sqsh");
	plan_free(&plan);
	opts.rw = true;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_int_equal(strv_len(plan.overlay.lowers), 0);
	assert_string_equal(plan.overlay.upper, "/data/c/upper");
	assert_false(plan.overlay.tmpfs_upper);
	assert_false(plan.rootfs_readonly);
	plan_free(&plan);
}

static void test_image_environment_and_command(void **state)
{
	struct fixture *fx = *state;
	char *env[] = {"GREETING=hi", "PATH=/image/bin", NULL};
	char *cmd[] = {"/app/entry.sh", "default-arg", NULL};
	struct start_source src = {.label = "c", .rootfs = fx->dir, .image_env = env, .image_cmd = cmd};
	struct start_options opts = {0};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_false(plan.default_argv);
	assert_string_equal(plan.argv[0], "/app/entry.sh");
	assert_string_equal(plan.argv[1], "default-arg");
	assert_null(plan.argv[2]);
	assert_true(strv_env_find(plan.env, "GREETING", 8) >= 0);
	assert_string_equal(plan.env[strv_env_find(plan.env, "PATH", 4)], "PATH=/image/bin");
	plan_free(&plan);
	/* A command given wins over the image's. */
	char *given[] = {"true", NULL};
	opts.argv = given;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_string_equal(plan.argv[0], "true");
	assert_null(plan.argv[1]);
	plan_free(&plan);
}

static void test_resolve_fills_identity_shell_and_workdir(void **state)
{
	struct fixture *fx = *state;
	struct start_source src = {.label = "c", .rootfs = fx->dir};
	struct start_options opts = {.no_cwd = true};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	/* Placeholders until the root is readable. */
	assert_null(find_mount(&plan, "/etc/passwd")->data);
	assert_true(plan.default_argv);
	assert_null(plan.workdir);
	assert_int_equal(plan_resolve_in_root(&plan, fx->root_fd, &err), 0);
	const char *passwd = find_mount(&plan, "/etc/passwd")->data;
	assert_non_null(passwd);
	assert_non_null(strstr(passwd, "imageuser:x:4242:4242::/home/imageuser:/bin/sh\n"));
	assert_non_null(find_mount(&plan, "/etc/group")->data);
	/* The user's own shell is not in this root: /bin/sh is, so the login shell is that. */
	assert_string_equal(plan.argv[0], "/bin/sh");
	assert_string_equal(plan.argv[1], "-l");
	assert_false(plan.default_argv);
	assert_non_null(plan.workdir);
	plan_free(&plan);
}

static void test_resolve_binds_a_cwd_missing_from_the_root(void **state)
{
	struct fixture *fx = *state;
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/proc/self"), 0);
	struct start_source src = {.label = "c", .rootfs = fx->dir};
	struct start_options opts = {0};
	struct run_plan plan;
	struct error err;
	int rc = plan_build(&src, &opts, &plan, &err);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	size_t before = plan.n_mounts;
	assert_int_equal(plan_resolve_in_root(&plan, fx->root_fd, &err), 0);
	assert_int_equal(plan.n_mounts, before + 1);
	const struct plan_mount *m = &plan.mounts[plan.n_mounts - 1];
	assert_int_equal(m->kind, PLAN_MOUNT_BIND);
	assert_string_equal(m->target, plan.cwd);
	assert_string_equal(plan.workdir, plan.cwd);
	plan_free(&plan);
}

static void assert_argv(char **argv, const char *const *want)
{
	assert_non_null(argv);
	size_t i = 0;
	for (; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	strv_free(argv);
}

static void test_command_start_and_docker_rules(void **state)
{
	(void)state;
	char *entry[] = {"/app/entry.sh", NULL};
	char *cmd[] = {"default-arg", NULL};
	char *both[] = {"/app/entry.sh", "default-arg", NULL};
	char *given[] = {"one", "two", NULL};
	struct start_source src = {
	        .label = "c", .image_cmd = both, .image_entrypoint = entry, .image_cmd_args = cmd};
	struct start_options opts = {0};
	/* start (Enroot's rule): a command replaces Entrypoint and Cmd. */
	assert_argv(plan_command(&src, &opts), (const char *const[]){"/app/entry.sh", "default-arg", NULL});
	opts.argv = given;
	assert_argv(plan_command(&src, &opts), (const char *const[]){"one", "two", NULL});
	/* run (docker's rule): a command replaces Cmd only. */
	opts.docker = true;
	assert_argv(plan_command(&src, &opts), (const char *const[]){"/app/entry.sh", "one", "two", NULL});
	opts.argv = NULL;
	assert_argv(plan_command(&src, &opts), (const char *const[]){"/app/entry.sh", "default-arg", NULL});
	/* --entrypoint drops the image's Cmd too; '' clears the entrypoint. */
	opts.entrypoint = "/bin/echo";
	assert_argv(plan_command(&src, &opts), (const char *const[]){"/bin/echo", NULL});
	opts.argv = given;
	assert_argv(plan_command(&src, &opts), (const char *const[]){"/bin/echo", "one", "two", NULL});
	opts.entrypoint = "";
	assert_argv(plan_command(&src, &opts), (const char *const[]){"one", "two", NULL});
	opts.argv = NULL;
	assert_argv(plan_command(&src, &opts), (const char *const[]){NULL});
}

static void test_docker_workdir_is_image_workdir_else_root_and_made(void **state)
{
	struct fixture *fx = *state;
	struct start_source src = {.label = "c", .rootfs = fx->dir, .image_workdir = "/srv/app"};
	struct start_options opts = {.docker = true};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_string_equal(plan.workdir, "/srv/app");
	assert_true(plan.create_workdir);
	plan_free(&plan);
	src.image_workdir = NULL;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_string_equal(plan.workdir, "/");
	plan_free(&plan);
	opts.workdir = "/given";
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_string_equal(plan.workdir, "/given");
	plan_free(&plan);
}

static void test_start_uses_image_workdir_when_the_cwd_is_not_visible(void **state)
{
	struct fixture *fx = *state;
	struct start_source src = {.label = "c", .rootfs = fx->dir, .image_workdir = "/app"};
	struct start_options opts = {.no_cwd = true};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_false(plan.create_workdir);
	assert_null(plan.workdir);
	assert_int_equal(plan_resolve_in_root(&plan, fx->root_fd, &err), 0);
	assert_string_equal(plan.workdir, "/app");
	plan_free(&plan);
	/* A WorkingDir the root lacks is not made by start: the usual fallback applies. */
	src.image_workdir = "/missing";
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_int_equal(plan_resolve_in_root(&plan, fx->root_fd, &err), 0);
	assert_string_not_equal(plan.workdir, "/missing");
	plan_free(&plan);
}

static void test_user_is_a_single_id_map_and_names_the_ids(void **state)
{
	struct fixture *fx = *state;
	struct start_source src = {.label = "c", .rootfs = fx->dir};
	struct start_options opts = {.user_set = true, .user_uid = 1234, .user_gid = 5};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_true(idmap_single(&plan.uids) && idmap_single(&plan.gids));
	assert_int_equal(plan.uids.ranges[0].inside, 1234);
	assert_int_equal(plan.uids.ranges[0].outside, getuid());
	assert_int_equal(plan.gids.ranges[0].inside, 5);
	assert_int_equal(plan.identity.uid, 1234);
	assert_false(plan.identity.root);
	plan_free(&plan);
}

static void test_tmpfs_hostname_and_network(void **state)
{
	struct fixture *fx = *state;
	char *tmpfs[] = {"/scratch/", NULL};
	struct start_source src = {.label = "c", .rootfs = fx->dir};
	struct start_options opts = {.tmpfs = tmpfs, .hostname = "inside", .network_none = true};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	const struct plan_mount *m = find_mount(&plan, "/scratch");
	assert_non_null(m);
	assert_int_equal(m->kind, PLAN_MOUNT_TMPFS);
	assert_string_equal(plan.hostname, "inside");
	assert_true(plan.network_none);
	plan_free(&plan);
	char *relative[] = {"scratch", NULL};
	opts.tmpfs = relative;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), -1);
	assert_int_equal(err.code, EINVAL);
	char *root[] = {"/", NULL};
	opts.tmpfs = root;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "--tmpfs '/'"));
}

static void make_dirs(const char *dir, const char *const *subs)
{
	char path[256];
	for (size_t i = 0; subs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
}

static void test_config_dirs_add_env_mounts_and_hooks(void **state)
{
	struct fixture *fx = *state;
	make_dirs(fx->dir, (const char *const[]){"sysconf", "sysconf/environ.d", "sysconf/mounts.d",
	                                         "userconf", "userconf/hooks.d", "userconf/environ.d", NULL});
	write_file(fx->dir, "sysconf/environ.d/a.env", "SITE=1\nBOTH=sys\n", 0644);
	write_file(fx->dir, "userconf/environ.d/b.env", "BOTH=user\nCLI=user\n", 0644);
	char text[512];
	snprintf(text, sizeof(text), "# site\n%s/app /app none ro\n/no/such /x none nofail\n", fx->dir);
	write_file(fx->dir, "sysconf/mounts.d/m.fstab", text, 0644);
	write_file(fx->dir, "userconf/hooks.d/10-h", "#!/bin/sh\n", 0755);
	write_file(fx->dir, "userconf/hooks.d/20-not-executable", "#!/bin/sh\n", 0644);

	char mount_arg[128];
	snprintf(mount_arg, sizeof(mount_arg), "%s/app:/app", fx->dir);
	char *mounts[] = {mount_arg, NULL};
	char *env[] = {"CLI=cli", NULL};
	struct start_source src = {.label = "c", .rootfs = fx->dir};
	struct start_options opts = {.mounts = mounts, .env = env};
	struct run_plan plan;
	struct error err;
	assert_int_equal(plan_build(&src, &opts, &plan, &err), 0);
	assert_true(strv_env_find(plan.env, "SITE", 4) >= 0);
	assert_string_equal(plan.env[strv_env_find(plan.env, "BOTH", 4)], "BOTH=user");
	assert_string_equal(plan.env[strv_env_find(plan.env, "CLI", 3)], "CLI=cli");
	/* The mounts.d line, then the -m one to the same place, which wins by coming later. */
	size_t first = plan.n_mounts;
	for (size_t i = 0; i < plan.n_mounts; i++)
		if (strcmp(plan.mounts[i].target, "/app") == 0 && first == plan.n_mounts)
			first = i;
	assert_true(first < plan.n_mounts);
	assert_true(plan.mounts[first].readonly);
	assert_int_equal(plan.mounts[first].create, PLAN_CREATE_NONE);
	const struct plan_mount *last = find_mount(&plan, "/app");
	assert_ptr_not_equal(last, &plan.mounts[first]);
	assert_false(last->readonly);
	assert_null(find_mount(&plan, "/x"));
	snprintf(text, sizeof(text), "%s/userconf/hooks.d/10-h", fx->dir);
	assert_non_null(plan.hooks);
	assert_string_equal(plan.hooks[0], text);
	assert_null(plan.hooks[1]);
	plan_free(&plan);

	/* Without nofail a missing source stops the plan, naming the file and line. */
	write_file(fx->dir, "sysconf/mounts.d/m.fstab", "\n/no/such /x\n", 0644);
	assert_int_equal(plan_build(&src, &opts, &plan, &err), -1);
	snprintf(text, sizeof(text),
	         "%s/sysconf/mounts.d/m.fstab:2: mount source /no/such does not exist (create it, or add "
	         "nofail to skip it)",
	         fx->dir);
	assert_string_equal(err.msg, text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_plain_tree_has_no_overlay, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_image_file_is_the_bottom_layer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_container_layers_read_only_and_rw, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_image_started_directly_writes_to_tmpfs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_image_environment_and_command, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resolve_fills_identity_shell_and_workdir, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_resolve_binds_a_cwd_missing_from_the_root, setup,
	                                        teardown),
	        cmocka_unit_test(test_command_start_and_docker_rules),
	        cmocka_unit_test_setup_teardown(test_docker_workdir_is_image_workdir_else_root_and_made,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_start_uses_image_workdir_when_the_cwd_is_not_visible,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_user_is_a_single_id_map_and_names_the_ids, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_tmpfs_hostname_and_network, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_config_dirs_add_env_mounts_and_hooks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
