/* Unit tests for credentials (src/image/credentials.c): netrc and docker config parsing, docker
 * credential helpers (fake ones on PATH), the lookup order, and login/logout file edits. */
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

#include "image/auth.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define assert_contains(haystack, needle)                                             \
	do {                                                                          \
		if (!strstr((haystack), (needle)))                                    \
			fail_msg("'%s' does not contain '%s'", (haystack), (needle)); \
	} while (0)

/* ---- fixtures: a temporary home with the variables the lookup reads pointing into it ---- */

struct fixture {
	char root[64];
	char path_env[4096];
};

static char *join(const struct fixture *fx, const char *rel)
{
	char *out = NULL;
	if (asprintf(&out, "%s/%s", fx->root, rel) < 0)
		return NULL;
	return out;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void write_at(const struct fixture *fx, const char *rel, const char *text)
{
	cleanup_free char *path = join(fx, rel);
	cleanup_free char *dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	struct error err;
	assert_int_equal(fs_mkdir_p(dir, 0700, &err), 0);
	write_file(path, text, 0600);
}

static char *read_at(const struct fixture *fx, const char *rel)
{
	cleanup_free char *path = join(fx, rel);
	struct error err;
	return fs_read_file_at(AT_FDCWD, path, false, 1 << 20, NULL, &err);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/test_credentials.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	cleanup_free char *home = join(fx, "home");
	cleanup_free char *bin = join(fx, "bin");
	if (mkdir(home, 0700) < 0 || mkdir(bin, 0700) < 0)
		return -1;
	const char *old_path = getenv("PATH");
	snprintf(fx->path_env, sizeof(fx->path_env), "%s:%s", bin, old_path ? old_path : "/usr/bin:/bin");
	setenv("HOME", home, 1);
	setenv("PATH", fx->path_env, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct error err;
	int rc = fs_remove_tree_at(AT_FDCWD, fx->root, &err);
	free(fx);
	return rc;
}

/* A fake docker-credential-NAME in the fixture's bin directory, first on PATH. */
static void fake_helper(const struct fixture *fx, const char *name, const char *script)
{
	cleanup_free char *rel = NULL;
	assert_true(asprintf(&rel, "bin/docker-credential-%s", name) > 0);
	cleanup_free char *path = join(fx, rel);
	cleanup_free char *text = NULL;
	assert_true(asprintf(&text, "#!/bin/sh\n%s\n", script) > 0);
	write_file(path, text, 0755);
}

/* ---- netrc ---- */

static void expect_netrc(const char *text, const char *host, const char *user, const char *secret)
{
	struct credentials c = {.user = (char *)"stale"};
	struct error err = {0};
	int rc = credentials_from_netrc(text, host, &c, &err);
	if (!user) {
		assert_int_equal(rc, 0);
		assert_null(c.user);
		assert_null(c.secret);
		return;
	}
	if (rc != 1)
		fail_msg("netrc for %s: rc %d: %s", host, rc, err.msg);
	assert_string_equal(c.user, user);
	assert_string_equal(c.secret, secret);
	credentials_free(&c);
	assert_null(c.user);
	assert_null(c.secret);
}

static void expect_netrc_error(const char *text, const char *needle)
{
	struct credentials c;
	struct error err = {0};
	assert_int_equal(credentials_from_netrc(text, "h", &c, &err), -1);
	assert_null(c.user);
	assert_null(c.secret);
	assert_contains(err.msg, needle);
}

static void test_netrc_enroot_line(void **state)
{
	/* As Enroot's documentation has users write it for NGC: "$oauthtoken" is a literal login. */
	expect_netrc("machine nvcr.io login $oauthtoken password KEY\n", "nvcr.io", "$oauthtoken", "KEY");
	expect_netrc("machine nvcr.io login $oauthtoken password KEY", "nvcr.io", "$oauthtoken", "KEY");
	/* curl's netrc, which Enroot uses, matches the host name whatever the port. */
	expect_netrc("machine nvcr.io login $oauthtoken password KEY\n", "nvcr.io:443", "$oauthtoken", "KEY");
	expect_netrc("machine nvcr.io login $oauthtoken password KEY\n", "NVCR.IO", NULL, NULL);
}

static void test_netrc_tokens_across_lines(void **state)
{
	expect_netrc("machine\n  registry.example.com\n\tlogin alice\r\n password\fs3cret\v",
	             "registry.example.com", "alice", "s3cret");
	expect_netrc("machine a password p login u", "a", "u", "p");
	/* account is read and ignored; a later login replaces an earlier one. */
	expect_netrc("machine a account acct login x login u password p", "a", "u", "p");
}

static void test_netrc_host_with_port(void **state)
{
	const char *text =
	        "machine localhost login a password 1\nmachine localhost:5000 login b password 2\n";
	expect_netrc(text, "localhost:5000", "b", "2");
	expect_netrc(text, "localhost", "a", "1");
	/* No entry for the port: the host name's, as curl's netrc has it. */
	expect_netrc(text, "localhost:5001", "a", "1");
	expect_netrc("machine [::1] login v6 password 6\n", "[::1]:5000", "v6", "6");
	expect_netrc("machine localhost:5000 login b password 2\n", "localhost", NULL, NULL);
}

static void test_netrc_first_match_and_default(void **state)
{
	const char *text = "default login anon password none\n"
	                   "machine a login first password 1\n"
	                   "machine a login second password 2\n"
	                   "default login later password 3\n";
	expect_netrc(text, "a", "first", "1");
	expect_netrc(text, "b", "anon", "none");
	expect_netrc("machine a login u password p\n", "b", NULL, NULL);
	expect_netrc("", "a", NULL, NULL);
	expect_netrc("# only a comment\n\n", "a", NULL, NULL);
}

static void test_netrc_comments_and_quotes(void **state)
{
	const char *text = "# credentials\n"
	                   "machine a login u password p # trailing words are a comment\n"
	                   "  # machine b login x password y\n"
	                   "machine c login \"user name\" password \"p \\\"q\\\\ r\"\n"
	                   "machine d login u password #not-a-comment\n"
	                   "machine \"e\" login \"\" password x\"y\n";
	expect_netrc(text, "a", "u", "p");
	expect_netrc(text, "b", NULL, NULL);
	expect_netrc(text, "c", "user name", "p \"q\\ r");
	expect_netrc(text, "d", "u", "#not-a-comment");
	expect_netrc(text, "e", "", "x\"y");
}

static void test_netrc_macdef_skipped(void **state)
{
	const char *text = "macdef init\n"
	                   "machine fake login x password y\n"
	                   "  \t \n"
	                   "machine a login u password p\n"
	                   "machine b login v password q macdef m2\n"
	                   "machine b login w password r\n"
	                   "\n"
	                   "machine c login c password c\n";
	expect_netrc(text, "fake", NULL, NULL);
	expect_netrc(text, "a", "u", "p");
	expect_netrc(text, "b", "v", "q");
	expect_netrc(text, "c", "c", "c");
	expect_netrc("macdef x\nmachine a login u password p\n", "a", NULL, NULL);
}

static void test_netrc_errors(void **state)
{
	expect_netrc_error("machine h login u passwd p\n", "line 1, column 19: unexpected word");
	expect_netrc_error("machine h login u password my secret\n", "line 1, column 31: unexpected word");
	expect_netrc_error("\n\nlogin u\n", "line 3, column 1: 'login' outside a machine entry");
	expect_netrc_error("machine h login u password", "line 1, column 19: 'password' without a value");
	expect_netrc_error("machine", "'machine' without a value");
	expect_netrc_error("machine h macdef", "'macdef' without a value");
	expect_netrc_error("machine h login \"u password p\n",
	                   "line 1, column 17: unterminated quoted value");
	expect_netrc_error("machine h login \"u\\\"", "unterminated quoted value");
	expect_netrc_error("machine h login \"u\"x password p", "a space must follow a quoted value");
	/* The matching entry must be complete; an incomplete one elsewhere is fine. */
	expect_netrc_error("machine x login a\nmachine h login u\n",
	                   "line 2: the machine h entry has no password");
	expect_netrc_error("machine h password p\n", "the machine h entry has no login");
	expect_netrc_error("default password p\n", "the default entry has no login");
	expect_netrc("machine x login a\nmachine h login u password p\n", "h", "u", "p");
	/* A fault after the match still counts: a file is good or it is reported. */
	expect_netrc_error("machine h login u password p\nbogus\n", "line 2, column 1");
}

/* ---- docker config ---- */

static int docker(const char *json, const char *host, struct credentials *c, char **helper, struct error *err)
{
	return credentials_from_docker_config(json, host, c, helper, err);
}

static void expect_docker(const char *json, const char *host, const char *user, const char *secret)
{
	struct credentials c;
	struct error err = {0};
	char *helper = (char *)"stale";
	int rc = docker(json, host, &c, &helper, &err);
	assert_null(helper);
	if (!user) {
		assert_int_equal(rc, 0);
		assert_null(c.user);
		return;
	}
	if (rc != 1)
		fail_msg("%s for %s: rc %d: %s", json, host, rc, err.msg);
	assert_string_equal(c.user, user);
	assert_string_equal(c.secret, secret);
	credentials_free(&c);
}

static void expect_docker_helper(const char *json, const char *host, const char *name)
{
	struct credentials c;
	struct error err = {0};
	cleanup_free char *helper = NULL;
	assert_int_equal(docker(json, host, &c, &helper, &err), 0);
	assert_null(c.user);
	assert_non_null(helper);
	assert_string_equal(helper, name);
	/* Without a place for the name, a helper reads as "none here". */
	assert_int_equal(docker(json, host, &c, NULL, &err), 0);
}

static void expect_docker_error(const char *json, const char *host, const char *needle)
{
	struct credentials c;
	struct error err = {0};
	char *helper = NULL;
	assert_int_equal(docker(json, host, &c, &helper, &err), -1);
	assert_null(helper);
	assert_null(c.user);
	assert_contains(err.msg, needle);
}

static void test_docker_auth_field(void **state)
{
	/* "alice:pa:ss" split at the first ':'. */
	expect_docker("{\"auths\":{\"nvcr.io\":{\"auth\":\"YWxpY2U6cGE6c3M=\"}}}", "nvcr.io", "alice",
	              "pa:ss");
	expect_docker("{\"auths\":{\"nvcr.io\":{\"username\":\"bob\",\"password\":\"pw\",\"email\":\"x\"}}}",
	              "nvcr.io", "bob", "pw");
	/* "auth" wins over username and password. */
	expect_docker("{\"auths\":{\"r\":{\"auth\":\"YTpi\",\"username\":\"c\",\"password\":\"d\"}}}", "r",
	              "a", "b");
	expect_docker("{\"auths\":{\"r\":{\"auth\":\"YTpi\"}}}", "other", NULL, NULL);
	expect_docker("{}", "r", NULL, NULL);
	expect_docker("{\"auths\":{}}", "r", NULL, NULL);
	expect_docker("{\"auths\":null,\"credHelpers\":null,\"credsStore\":null}", "r", NULL, NULL);
	/* An entry with no credential in it: nothing (no credsStore either). */
	expect_docker("{\"auths\":{\"r\":{}}}", "r", NULL, NULL);
	expect_docker("{\"auths\":{\"r\":{\"username\":\"only\"}}}", "r", NULL, NULL);
	expect_docker("{\"auths\":{\"r\":{\"auth\":\"\",\"identitytoken\":\"\"}}}", "r", NULL, NULL);
}

static void test_docker_identity_token(void **state)
{
	expect_docker("{\"auths\":{\"r\":{\"auth\":\"YWxpY2U6\",\"identitytoken\":\"refresh-tok\"}}}", "r",
	              "<token>", "refresh-tok");
}

static void test_docker_keys_normalised(void **state)
{
	const char *hub = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnM=\"}}}";
	expect_docker(hub, "docker.io", "hub", "s");
	expect_docker(hub, "registry-1.docker.io", "hub", "s");
	expect_docker(hub, "index.docker.io", "hub", "s");
	expect_docker(hub, "quay.io", NULL, NULL);
	const char *aliases[] = {"index.docker.io", "docker.io", "registry-1.docker.io",
	                         "http://docker.io/v2/"};
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		char json[256];
		snprintf(json, sizeof(json), "{\"auths\":{\"%s\":{\"auth\":\"aHViOnM=\"}}}", aliases[i]);
		expect_docker(json, "docker.io", "hub", "s");
		expect_docker(json, "registry-1.docker.io", "hub", "s");
		expect_docker(json, "docker.io:443", NULL, NULL);
	}
	const char *local = "{\"auths\":{\"http://localhost:5000/v2/\":{\"auth\":\"YTpi\"},"
	                    "\"registry.example.com/some/path\":{\"auth\":\"Yzpk\"}}}";
	expect_docker(local, "localhost:5000", "a", "b");
	expect_docker(local, "localhost", NULL, NULL);
	expect_docker(local, "registry.example.com", "c", "d");
	/* A key spelled exactly as the host beats one that only normalises to it. */
	expect_docker("{\"auths\":{\"https://index.docker.io/v1/"
	              "\":{\"auth\":\"YTpi\"},\"docker.io\":{\"auth\":\"Yzpk\"}}}",
	              "docker.io", "c", "d");
}

static void test_docker_helpers(void **state)
{
	/* credHelpers[host] wins over auths. */
	expect_docker_helper("{\"auths\":{\"r\":{\"auth\":\"YTpi\"}},\"credHelpers\":{\"r\":\"ecr-login\"}}",
	                     "r", "ecr-login");
	expect_docker_helper("{\"credHelpers\":{\"https://index.docker.io/v1/\":\"pass\"}}",
	                     "registry-1.docker.io", "pass");
	/* credsStore: for a host with an entry that holds nothing, or with no entry at all... */
	expect_docker_helper("{\"auths\":{\"r\":{}},\"credsStore\":\"desktop\"}", "r", "desktop");
	expect_docker_helper("{\"auths\":{\"other\":{\"auth\":\"YTpi\"}},\"credsStore\":\"osxkeychain\"}",
	                     "r", "osxkeychain");
	expect_docker_helper("{\"credHelpers\":{\"other\":\"x\"},\"credsStore\":\"a_b.c-9\"}", "r",
	                     "a_b.c-9");
	/* ...but credentials written in auths win over it. */
	expect_docker("{\"auths\":{\"r\":{\"auth\":\"YTpi\"}},\"credsStore\":\"desktop\"}", "r", "a", "b");
	/* Empty names mean none. */
	expect_docker("{\"credHelpers\":{\"r\":\"\"},\"credsStore\":\"\"}", "r", NULL, NULL);
}

static void test_docker_errors(void **state)
{
	expect_docker_error("{\"auths\":{\n\"r\":{\"auth\":\"YTpi\"},,}}", "r", "line 2, column");
	expect_docker_error("", "r", "line 1");
	expect_docker_error("[]", "r", "not a JSON object");
	expect_docker_error("{\"auths\":[]}", "r", "auths: not an object");
	expect_docker_error("{\"auths\":{\"r\":\"YTpi\"}}", "r", "auths.r: not an object");
	expect_docker_error("{\"auths\":{\"r\":{\"auth\":5}}}", "r", "auths.r.auth: not a string");
	expect_docker_error("{\"auths\":{\"r\":{\"username\":\"u\",\"password\":true}}}", "r",
	                    "auths.r.password: not a string");
	expect_docker_error("{\"auths\":{\"r\":{\"identitytoken\":[]}}}", "r",
	                    "auths.r.identitytoken: not a string");
	expect_docker_error("{\"auths\":{\"r\":{\"auth\":\"!!!!\"}}}", "r", "auths.r.auth: not the base64");
	expect_docker_error("{\"auths\":{\"r\":{\"auth\":\"bm9jb2xvbg==\"}}}", "r",
	                    "auths.r.auth: not the base64");
	/* "a\0:b" hides a NUL in the user. */
	expect_docker_error("{\"auths\":{\"r\":{\"auth\":\"YQA6Yg==\"}}}", "r",
	                    "auths.r.auth: not the base64");
	expect_docker_error("{\"credHelpers\":[]}", "r", "credHelpers: not an object");
	expect_docker_error("{\"credHelpers\":{\"r\":1}}", "r", "credHelpers.r: not a string");
	expect_docker_error("{\"credsStore\":{}}", "r", "credsStore: not a string");
	expect_docker_error("{\"auths\":{\"r\":{\"auth\":\"YTpi\"}},\"credsStore\":1}", "other",
	                    "credsStore: not a string");
	/* Helper names come from a file: nothing that could leave PATH's directories. */
	expect_docker_error("{\"credHelpers\":{\"r\":\"../../tmp/x\"}}", "r",
	                    "credHelpers.r: invalid credential helper name '../../tmp/x'");
	expect_docker_error("{\"credHelpers\":{\"r\":\"a/b\"}}", "r", "invalid credential helper name");
	expect_docker_error("{\"credHelpers\":{\"r\":\"Desktop\"}}", "r", "invalid credential helper name");
	expect_docker_error("{\"credsStore\":\"pass\\nword\"}", "r",
	                    "credsStore: invalid credential helper name 'pass?word'");
	char json[128];
	snprintf(json, sizeof(json), "{\"credsStore\":\"%065d\"}", 0); /* 65 characters: too long */
	expect_docker_error(json, "r", "invalid credential helper name");
	char name[65];
	snprintf(name, sizeof(name), "%064d", 0);
	snprintf(json, sizeof(json), "{\"credsStore\":\"%s\"}", name);
	expect_docker_helper(json, "r", name);
}

/* ---- credential helpers ---- */

#define GOOD_HELPER                    \
	"[ \"$1\" = get ] || exit 3\n" \
	"host=$(cat)\n"                \
	"printf '{\"ServerURL\":\"%s\",\"Username\":\"u-%s\",\"Secret\":\"s3 cret\"}' \"$host\" \"$host\""

static void test_helper_found(void **state)
{
	struct fixture *fx = *state;
	fake_helper(fx, "good", GOOD_HELPER);
	struct credentials c;
	struct error err = {0};
	assert_int_equal(credentials_from_helper("good", "nvcr.io", &c, &err), 1);
	assert_string_equal(c.user, "u-nvcr.io"); /* the host went in on stdin, without a newline */
	assert_string_equal(c.secret, "s3 cret");
	credentials_free(&c);

	/* A helper that never reads its stdin is no trouble. */
	fake_helper(fx, "noread", "echo '{\"Username\":\"x\",\"Secret\":\"y\"}'");
	assert_int_equal(credentials_from_helper("noread", "h", &c, &err), 1);
	assert_string_equal(c.user, "x");
	credentials_free(&c);

	/* Username may be missing; an empty Secret means nothing. */
	fake_helper(fx, "nouser", "echo '{\"Secret\":\"y\"}'");
	assert_int_equal(credentials_from_helper("nouser", "h", &c, &err), 1);
	assert_string_equal(c.user, "");
	assert_string_equal(c.secret, "y");
	credentials_free(&c);
	fake_helper(fx, "empty", "echo '{\"Username\":\"\",\"Secret\":\"\"}'");
	assert_int_equal(credentials_from_helper("empty", "h", &c, &err), 0);
	assert_null(c.user);
}

static void test_helper_not_found(void **state)
{
	struct fixture *fx = *state;
	fake_helper(fx, "none", "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1");
	struct credentials c;
	struct error err = {0};
	assert_int_equal(credentials_from_helper("none", "h", &c, &err), 0);
	assert_null(c.user);
	assert_null(c.secret);
}

static void expect_helper_error(const char *name, const char *needle)
{
	struct credentials c;
	struct error err = {0};
	assert_int_equal(credentials_from_helper(name, "h", &c, &err), -1);
	assert_null(c.user);
	assert_contains(err.msg, needle);
}

static void test_helper_failures(void **state)
{
	struct fixture *fx = *state;
	fake_helper(fx, "fail", "echo 'boom: no keyring' >&2; echo '{}'; exit 2");
	expect_helper_error("fail", "docker-credential-fail: exit status 2: boom: no keyring");
	fake_helper(fx, "quiet", "echo 'store locked'; exit 1");
	expect_helper_error("quiet", "docker-credential-quiet: exit status 1: store locked");
	fake_helper(fx, "killed", "kill -9 $$");
	expect_helper_error("killed", "docker-credential-killed: killed by signal 9");
	fake_helper(fx, "badjson", "echo nope");
	expect_helper_error("badjson", "docker-credential-badjson: its output is not {\"Username\"");
	fake_helper(fx, "nosecret", "echo '{\"Username\":\"u\"}'");
	expect_helper_error("nosecret", "its output is not");
	fake_helper(fx, "numuser", "echo '{\"Username\":1,\"Secret\":\"s\"}'");
	expect_helper_error("numuser", "its output is not");
	fake_helper(fx, "big", "head -c 70000 /dev/zero | tr '\\0' x");
	expect_helper_error("big", "docker-credential-big: output larger than 65536 bytes");
	expect_helper_error("missing", "docker-credential-missing not found on PATH");
	/* Not executable: not a candidate. */
	cleanup_free char *path = join(fx, "bin/docker-credential-noexec");
	write_file(path, "#!/bin/sh\necho '{\"Secret\":\"s\"}'\n", 0644);
	expect_helper_error("noexec", "docker-credential-noexec not found on PATH");
	expect_helper_error("../bin/x", "invalid credential helper name '../bin/x'");
	expect_helper_error("", "invalid credential helper name");

	struct credentials c;
	struct error err = {0};
	fake_helper(fx, "good", GOOD_HELPER);
	assert_int_equal(credentials_from_helper("good", "", &c, &err), -1);
	assert_contains(err.msg, "invalid registry host");
}

/* ---- the lookup ---- */

static void expect_lookup(const char *host, const char *user, const char *want_user, const char *want_secret)
{
	struct credentials c;
	struct error err = {0};
	int rc = credentials_lookup(host, user, &c, &err);
	if (!want_user) {
		if (rc != 0)
			fail_msg("lookup %s: rc %d: %s", host, rc, err.msg);
		assert_null(c.user);
		return;
	}
	if (rc != 1)
		fail_msg("lookup %s: rc %d: %s", host, rc, err.msg);
	assert_string_equal(c.user, want_user);
	assert_string_equal(c.secret, want_secret);
	credentials_free(&c);
}

static void expect_lookup_error(const char *host, const char *needle)
{
	struct credentials c;
	struct error err = {0};
	assert_int_equal(credentials_lookup(host, NULL, &c, &err), -1);
	assert_null(c.user);
	assert_contains(err.msg, needle);
}

static void test_lookup_nothing_anywhere(void **state)
{
	expect_lookup("nvcr.io", NULL, NULL, NULL);
	/* Variables that point nowhere are not errors either. */
	setenv("REGISTRY_AUTH_FILE", "/nonexistent/auth.json", 1);
	setenv("DOCKER_CONFIG", "/nonexistent", 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	expect_lookup("nvcr.io", NULL, NULL, NULL);
}

static void test_lookup_order(void **state)
{
	struct fixture *fx = *state;
	write_at(fx, "home/.docker/config.json",
	         "{\"auths\":{\"a\":{\"auth\":\"ZG9ja2VyOjM=\"},\"b\":{\"auth\":\"ZG9ja2VyOjM=\"},"
	         "\"c\":{\"auth\":\"ZG9ja2VyOjM=\"}}}");
	expect_lookup("a", NULL, "docker", "3");
	cleanup_free char *auth_file = join(fx, "auth.json");
	write_at(fx, "auth.json",
	         "{\"auths\":{\"a\":{\"auth\":\"cmVnOjI=\"},\"b\":{\"auth\":\"cmVnOjI=\"}}}");
	setenv("REGISTRY_AUTH_FILE", auth_file, 1);
	expect_lookup("a", NULL, "reg", "2");
	write_at(fx, "home/.config/burrow/.credentials", "machine a login burrow password 1\n");
	expect_lookup("a", NULL, "burrow", "1");
	expect_lookup("b", NULL, "reg", "2");
	expect_lookup("c", NULL, "docker", "3");
	expect_lookup("d", NULL, NULL, NULL);

	/* XDG_CONFIG_HOME moves burrow's file; DOCKER_CONFIG moves docker's directory. */
	cleanup_free char *xdg = join(fx, "xdg");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	expect_lookup("a", NULL, "reg", "2");
	write_at(fx, "xdg/burrow/.credentials", "machine c login xdg password 4\n");
	expect_lookup("c", NULL, "xdg", "4");
	cleanup_free char *dc = join(fx, "dc");
	setenv("DOCKER_CONFIG", dc, 1);
	write_at(fx, "dc/config.json", "{\"auths\":{\"e\":{\"username\":\"dc\",\"password\":\"5\"}}}");
	expect_lookup("e", NULL, "dc", "5");
	unsetenv("REGISTRY_AUTH_FILE");
	expect_lookup("b", NULL, NULL, NULL);
}

static void test_lookup_user_filter(void **state)
{
	struct fixture *fx = *state;
	write_at(fx, "home/.config/burrow/.credentials",
	         "machine r login alice password 1\nmachine r login bob password 2\ndefault login anon "
	         "password 0\n");
	write_at(fx, "home/.docker/config.json", "{\"auths\":{\"r\":{\"auth\":\"Y2Fyb2w6Mw==\"}}}");
	expect_lookup("r", NULL, "alice", "1");
	expect_lookup("r", "bob", "bob", "2");
	expect_lookup("r", "carol", "carol", "3"); /* not in burrow's file: docker's has it */
	expect_lookup("r", "dave", NULL, NULL);
	expect_lookup("other", "anon", "anon", "0");
	expect_lookup("other", NULL, "anon", "0");
}

static void test_lookup_docker_hub_names(void **state)
{
	struct fixture *fx = *state;
	/* Enroot's documentation writes Docker Hub as auth.docker.io. */
	write_at(fx, "home/.config/burrow/.credentials",
	         "default login anon password 0\nmachine auth.docker.io login hub password 1\n");
	expect_lookup("registry-1.docker.io", NULL, "hub", "1");
	expect_lookup("docker.io", NULL, "hub", "1");
	expect_lookup("quay.io", NULL, "anon", "0");
	write_at(fx, "home/.config/burrow/.credentials", "machine docker.io login d password 2\n");
	expect_lookup("registry-1.docker.io", NULL, "d", "2");
	expect_lookup("auth.docker.io", NULL, NULL, NULL);
}

static void test_lookup_through_helpers(void **state)
{
	struct fixture *fx = *state;
	fake_helper(fx, "good", GOOD_HELPER);
	fake_helper(fx, "none", "echo 'credentials not found in native keychain'; exit 1");
	write_at(fx, "home/.docker/config.json",
	         "{\"credsStore\":\"good\",\"credHelpers\":{\"n\":\"none\",\"f\":\"gone\"}}");
	expect_lookup("nvcr.io", NULL, "u-nvcr.io", "s3 cret");
	/* Docker Hub is asked for under the address docker login stores it with. */
	expect_lookup("registry-1.docker.io", NULL, "u-https://index.docker.io/v1/", "s3 cret");
	expect_lookup("n", NULL, NULL, NULL);
	expect_lookup("nvcr.io", "someone", NULL, NULL);
	expect_lookup_error("f", "config.json: docker-credential-gone not found on PATH");
}

static void test_lookup_malformed_files(void **state)
{
	struct fixture *fx = *state;
	write_at(fx, "home/.docker/config.json", "{\"auths\":\n{\"r\": }}");
	expect_lookup_error("r", "/home/.docker/config.json: line 2, column");
	write_at(fx, "home/.config/burrow/.credentials", "machine r login u password p\nmachine s login\n");
	expect_lookup_error("r",
	                    "/home/.config/burrow/.credentials: line 2, column 11: 'login' without a value");
}

static void test_lookup_unreadable_files(void **state)
{
	struct fixture *fx = *state;
	/* A directory where a file belongs, and a file with a NUL byte, are reported. */
	cleanup_free char *dir = join(fx, "home/.config/burrow/.credentials");
	struct error err;
	assert_int_equal(fs_mkdir_p(dir, 0700, &err), 0);
	expect_lookup_error("r", "not a regular file");
	rmdir(dir);
	int fd = open(dir, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "machine r\0login", 15), 15);
	close(fd);
	expect_lookup_error("r", ".credentials: holds a NUL byte");
	unlink(dir);
	cleanup_free char *auth_file = join(fx, "auth.json");
	write_file(auth_file, "{\"auths\":", 0600);
	setenv("REGISTRY_AUTH_FILE", auth_file, 1);
	expect_lookup_error("r", "auth.json: line 1");
}

/* ---- burrow login / logout ---- */

static const char *const CREDS = "home/.config/burrow/.credentials";

static void expect_file(const struct fixture *fx, const char *want)
{
	cleanup_free char *text = read_at(fx, CREDS);
	assert_non_null(text);
	assert_string_equal(text, want);
}

static void test_save_creates_private_file(void **state)
{
	struct fixture *fx = *state;
	mode_t old = umask(0);
	struct error err = {0};
	int rc = credentials_save("nvcr.io", "$oauthtoken", "KEY", &err);
	umask(old);
	if (rc != 0)
		fail_msg("save: %s", err.msg);
	expect_file(fx, "machine nvcr.io login $oauthtoken password KEY\n");
	cleanup_free char *path = join(fx, CREDS);
	cleanup_free char *dir = join(fx, "home/.config/burrow");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	expect_lookup("nvcr.io", NULL, "$oauthtoken", "KEY");

	/* A second save under umask 000 over a file made 0644 by hand: 0600 again. */
	assert_int_equal(chmod(path, 0644), 0);
	old = umask(0);
	rc = credentials_save("nvcr.io", "$oauthtoken", "KEY2", &err);
	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	expect_file(fx, "machine nvcr.io login $oauthtoken password KEY2\n");
}

static void test_save_keeps_other_entries(void **state)
{
	struct fixture *fx = *state;
	write_at(fx, CREDS,
	         "# my registries\n"
	         "machine a login x password y\n"
	         "\n"
	         "machine h login old password old # keep this note\n"
	         "machine b\n  login z\n  password w\n"
	         "machine h login dup password dup\n"
	         "machine c login \"q r\" password s machine h login d2 password d2 machine e login e "
	         "password e\n");
	struct error err = {0};
	assert_int_equal(credentials_save("h", "new", "pw", &err), 0);
	expect_file(fx, "# my registries\n"
	                "machine a login x password y\n"
	                "\n"
	                "machine h login new password pw # keep this note\n"
	                "machine b\n  login z\n  password w\n"
	                "machine c login \"q r\" password s  machine e login e password e\n");
	/* Adding another host appends it. */
	assert_int_equal(credentials_save("localhost:5000", "u", "p", &err), 0);
	expect_lookup("b", NULL, "z", "w");
	expect_lookup("localhost:5000", NULL, "u", "p");
	cleanup_free char *text = read_at(fx, CREDS);
	assert_non_null(
	        strstr(text, "machine e login e password e\nmachine localhost:5000 login u password p\n"));
	/* No temporary file is left behind. */
	cleanup_free char *dir = join(fx, "home/.config/burrow");
	cleanup_free char *cmd = NULL;
	assert_true(asprintf(&cmd, "ls -A %s", dir) > 0);
	FILE *ls = popen(cmd, "r");
	assert_non_null(ls);
	char line[256] = "";
	assert_non_null(fgets(line, sizeof(line), ls));
	assert_string_equal(line, ".credentials\n");
	assert_null(fgets(line, sizeof(line), ls));
	pclose(ls);
}

static void test_save_quotes_what_needs_it(void **state)
{
	struct fixture *fx = *state;
	struct error err = {0};
	assert_int_equal(credentials_save("r", "first last", "p \"w\\ #", &err), 0);
	expect_file(fx, "machine r login \"first last\" password \"p \\\"w\\\\ #\"\n");
	expect_lookup("r", NULL, "first last", "p \"w\\ #");
	assert_int_equal(credentials_save("r", "\"u", "#s", &err), 0);
	expect_file(fx, "machine r login \"\\\"u\" password \"#s\"\n");
	expect_lookup("r", NULL, "\"u", "#s");
	assert_int_equal(credentials_save("r", "a\"b", "c\\d", &err), 0);
	expect_file(fx, "machine r login a\"b password c\\d\n");
	expect_lookup("r", NULL, "a\"b", "c\\d");
}

static void test_save_before_default_and_after_macdef(void **state)
{
	struct fixture *fx = *state;
	struct error err = {0};
	write_at(fx, CREDS, "machine a login x password y\n  default login anon password none\n");
	assert_int_equal(credentials_save("r", "u", "p", &err), 0);
	expect_file(fx, "machine a login x password y\nmachine r login u password p\n  default login anon "
	                "password none\n");
	write_at(fx, CREDS, "machine a login x password y default login anon password none");
	assert_int_equal(credentials_save("r", "u", "p", &err), 0);
	expect_file(
	        fx,
	        "machine a login x password y machine r login u password p default login anon password none");

	/* A macro that runs to the end of the file is closed first, or it would swallow the entry. */
	write_at(fx, CREDS, "macdef init\necho hi");
	assert_int_equal(credentials_save("r", "u", "p", &err), 0);
	expect_file(fx, "macdef init\necho hi\n\nmachine r login u password p\n");
	expect_lookup("r", NULL, "u", "p");
	write_at(fx, CREDS, "macdef init\necho hi\n\n");
	assert_int_equal(credentials_save("r", "u", "p", &err), 0);
	expect_file(fx, "macdef init\necho hi\n\nmachine r login u password p\n");
	write_at(fx, CREDS, "machine a login x password y");
	assert_int_equal(credentials_save("r", "u", "p", &err), 0);
	expect_file(fx, "machine a login x password y\nmachine r login u password p\n");
}

static void test_save_refuses(void **state)
{
	struct fixture *fx = *state;
	struct error err = {0};
	static const char *const bad_hosts[] = {"", "a b", "a\"b", "a\nb", "a/b", "#x"};
	for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
		assert_int_equal(credentials_save(bad_hosts[i], "u", "p", &err), -1);
		assert_contains(err.msg, "invalid registry host");
		assert_int_equal(credentials_forget(bad_hosts[i], &err), -1);
	}
	assert_int_equal(credentials_save("r", "", "p", &err), -1);
	assert_contains(err.msg, "r: the user name must not be empty");
	assert_int_equal(credentials_save("r", "u\n", "p", &err), -1);
	assert_contains(err.msg, "user name must not be empty nor hold control characters");
	assert_int_equal(credentials_save("r", "u", "", &err), -1);
	assert_contains(err.msg, "r: the password must not be empty");
	assert_int_equal(credentials_save("r", "u", "p\x7f", &err), -1);
	assert_contains(err.msg, "password");
	assert_int_equal(credentials_save("r", NULL, "p", &err), -1);
	assert_contains(err.msg, "a user name and a password are needed");
	/* Nothing was created by refused calls. */
	cleanup_free char *dir = join(fx, "home/.config");
	assert_false(fs_is_dir(dir));

	/* A file we cannot read is left as it is. */
	const char *broken = "machine a login x password y\nmachine r login \"open\n";
	write_at(fx, CREDS, broken);
	assert_int_equal(credentials_save("r", "u", "p", &err), -1);
	assert_contains(err.msg,
	                ".credentials: line 2, column 17: unterminated quoted value; fix or remove the file");
	assert_int_equal(credentials_forget("a", &err), -1);
	expect_file(fx, broken);

	/* A config directory that is a file. */
	cleanup_free char *xdg = join(fx, "xdgfile");
	write_file(xdg, "", 0600);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	assert_int_equal(credentials_save("r", "u", "p", &err), -1);
	assert_contains(err.msg, "xdgfile/burrow");
}

static void test_forget(void **state)
{
	struct fixture *fx = *state;
	struct error err = {0};
	/* No file, no directory: nothing to do, and nothing created. */
	assert_int_equal(credentials_forget("r", &err), 0);
	cleanup_free char *dir = join(fx, "home/.config/burrow");
	assert_false(fs_is_dir(dir));

	write_at(fx, CREDS,
	         "# top\n"
	         "machine a login x password y\n"
	         "machine r login u password p\n"
	         "  machine r\n  login v\n  password q   \n"
	         "machine b login z password w machine r login t password s\n"
	         "default login anon password none\n");
	assert_int_equal(credentials_forget("r", &err), 1);
	expect_file(fx, "# top\n"
	                "machine a login x password y\n"
	                "machine b login z password w \n"
	                "default login anon password none\n");
	expect_lookup("r", NULL, "anon", "none");
	expect_lookup("a", NULL, "x", "y");
	assert_int_equal(credentials_forget("r", &err), 0);
	assert_int_equal(credentials_forget("a", &err), 1);
	assert_int_equal(credentials_forget("b", &err), 1);
	expect_file(fx, "# top\ndefault login anon password none\n");
	cleanup_free char *path = join(fx, CREDS);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* The last entry, without a final newline. */
	write_at(fx, CREDS, "machine a login x password y\nmachine r login u password p");
	assert_int_equal(credentials_forget("r", &err), 1);
	expect_file(fx, "machine a login x password y\n");
}

static void test_save_then_forget_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct error err = {0};
	const char *start = "# keep\nmachine a login x password y\n";
	write_at(fx, CREDS, start);
	assert_int_equal(credentials_save("r", "u", "p", &err), 0);
	assert_int_equal(credentials_forget("r", &err), 1);
	expect_file(fx, start);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_netrc_enroot_line),
	        T(test_netrc_tokens_across_lines),
	        T(test_netrc_host_with_port),
	        T(test_netrc_first_match_and_default),
	        T(test_netrc_comments_and_quotes),
	        T(test_netrc_macdef_skipped),
	        T(test_netrc_errors),
	        T(test_docker_auth_field),
	        T(test_docker_identity_token),
	        T(test_docker_keys_normalised),
	        T(test_docker_helpers),
	        T(test_docker_errors),
	        T(test_helper_found),
	        T(test_helper_not_found),
	        T(test_helper_failures),
	        T(test_lookup_nothing_anywhere),
	        T(test_lookup_order),
	        T(test_lookup_user_filter),
	        T(test_lookup_docker_hub_names),
	        T(test_lookup_through_helpers),
	        T(test_lookup_malformed_files),
	        T(test_lookup_unreadable_files),
	        T(test_save_creates_private_file),
	        T(test_save_keeps_other_entries),
	        T(test_save_quotes_what_needs_it),
	        T(test_save_before_default_and_after_macdef),
	        T(test_save_refuses),
	        T(test_forget),
	        T(test_save_then_forget_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
