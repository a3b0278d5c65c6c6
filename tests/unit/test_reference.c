/* Unit tests for image reference parsing (src/image/reference.c): docker and Enroot forms,
 * Docker Hub defaults, canonical names and their round trips, and each refusal. Not for digests. */
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

#define HEX    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DIGEST "sha256:" HEX

struct valid_case {
	const char *text;
	const char *user, *registry, *repository, *tag, *digest;
	const char *name, *basename;
};

static const struct valid_case valid_cases[] = {
        /* docker form, Docker Hub */
        {"ubuntu", NULL, "docker.io", "library/ubuntu", "latest", NULL, "docker.io/library/ubuntu:latest",
         "ubuntu"},
        {"ubuntu:22.04", NULL, "docker.io", "library/ubuntu", "22.04", NULL, "docker.io/library/ubuntu:22.04",
         "ubuntu"},
        {"library/ubuntu:22.04", NULL, "docker.io", "library/ubuntu", "22.04", NULL,
         "docker.io/library/ubuntu:22.04", "ubuntu"},
        {"docker.io/ubuntu", NULL, "docker.io", "library/ubuntu", "latest", NULL,
         "docker.io/library/ubuntu:latest", "ubuntu"},
        {"docker.io/library/ubuntu:24.04", NULL, "docker.io", "library/ubuntu", "24.04", NULL,
         "docker.io/library/ubuntu:24.04", "ubuntu"},
        {"index.docker.io/ubuntu:20.04", NULL, "docker.io", "library/ubuntu", "20.04", NULL,
         "docker.io/library/ubuntu:20.04", "ubuntu"},
        {"registry-1.docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04", NULL, "docker.io", "nvidia/cuda",
         "12.4.1-base-ubuntu22.04", NULL, "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04", "cuda"},
        {"Docker.IO/ubuntu", NULL, "docker.io", "library/ubuntu", "latest", NULL,
         "docker.io/library/ubuntu:latest", "ubuntu"},
        {"nvidia/cuda:12.4.1-devel-ubuntu22.04", NULL, "docker.io", "nvidia/cuda", "12.4.1-devel-ubuntu22.04",
         NULL, "docker.io/nvidia/cuda:12.4.1-devel-ubuntu22.04", "cuda"},
        {"foo/bar", NULL, "docker.io", "foo/bar", "latest", NULL, "docker.io/foo/bar:latest", "bar"},
        {"a", NULL, "docker.io", "library/a", "latest", NULL, "docker.io/library/a:latest", "a"},
        {"1/2/3:4", NULL, "docker.io", "1/2/3", "4", NULL, "docker.io/1/2/3:4", "3"},
        {"g0/a-b__c.d_e---f", NULL, "docker.io", "g0/a-b__c.d_e---f", "latest", NULL,
         "docker.io/g0/a-b__c.d_e---f:latest", "a-b__c.d_e---f"},
        {"ubuntu:Latest_V1.0-rc", NULL, "docker.io", "library/ubuntu", "Latest_V1.0-rc", NULL,
         "docker.io/library/ubuntu:Latest_V1.0-rc", "ubuntu"},
        {"ubuntu:_x", NULL, "docker.io", "library/ubuntu", "_x", NULL, "docker.io/library/ubuntu:_x",
         "ubuntu"},
        /* a registry port with no path is docker's name:tag */
        {"localhost:5000", NULL, "docker.io", "library/localhost", "5000", NULL,
         "docker.io/library/localhost:5000", "localhost"},
        /* docker form, other registries */
        {"nvcr.io/nvidia/pytorch:24.05-py3", NULL, "nvcr.io", "nvidia/pytorch", "24.05-py3", NULL,
         "nvcr.io/nvidia/pytorch:24.05-py3", "pytorch"},
        {"ghcr.io/owner/repo/sub/image:v1.2.3", NULL, "ghcr.io", "owner/repo/sub/image", "v1.2.3", NULL,
         "ghcr.io/owner/repo/sub/image:v1.2.3", "image"},
        {"quay.io/fedora/fedora", NULL, "quay.io", "fedora/fedora", "latest", NULL,
         "quay.io/fedora/fedora:latest", "fedora"},
        {"localhost/foo", NULL, "localhost", "foo", "latest", NULL, "localhost/foo:latest", "foo"},
        {"localhost:5000/foo:bar", NULL, "localhost:5000", "foo", "bar", NULL, "localhost:5000/foo:bar",
         "foo"},
        {"127.0.0.1:5000/team/app:1", NULL, "127.0.0.1:5000", "team/app", "1", NULL,
         "127.0.0.1:5000/team/app:1", "app"},
        {"127.0.0.1/x", NULL, "127.0.0.1", "x", "latest", NULL, "127.0.0.1/x:latest", "x"},
        {"[::1]:5000/app", NULL, "[::1]:5000", "app", "latest", NULL, "[::1]:5000/app:latest", "app"},
        {"[fe80::1]/app:x", NULL, "[fe80::1]", "app", "x", NULL, "[fe80::1]/app:x", "app"},
        {"registry.example.com:443/a/b/c:d", NULL, "registry.example.com:443", "a/b/c", "d", NULL,
         "registry.example.com:443/a/b/c:d", "c"},
        {"my-registry.local:8080/ns/app", NULL, "my-registry.local:8080", "ns/app", "latest", NULL,
         "my-registry.local:8080/ns/app:latest", "app"},
        /* digests: alone, with a tag (the tag names it), with a port */
        {"ubuntu@" DIGEST, NULL, "docker.io", "library/ubuntu", NULL, DIGEST,
         "docker.io/library/ubuntu@" DIGEST, "ubuntu"},
        {"ubuntu:22.04@" DIGEST, NULL, "docker.io", "library/ubuntu", "22.04", DIGEST,
         "docker.io/library/ubuntu:22.04", "ubuntu"},
        {"nvcr.io/nvidia/pytorch@" DIGEST, NULL, "nvcr.io", "nvidia/pytorch", NULL, DIGEST,
         "nvcr.io/nvidia/pytorch@" DIGEST, "pytorch"},
        {"localhost:5000/foo@" DIGEST, NULL, "localhost:5000", "foo", NULL, DIGEST,
         "localhost:5000/foo@" DIGEST, "foo"},
        /* docker:// with the docker form after it */
        {"docker://ubuntu", NULL, "docker.io", "library/ubuntu", "latest", NULL,
         "docker.io/library/ubuntu:latest", "ubuntu"},
        {"docker://ubuntu:22.04", NULL, "docker.io", "library/ubuntu", "22.04", NULL,
         "docker.io/library/ubuntu:22.04", "ubuntu"},
        {"docker://nvcr.io/nvidia/pytorch:24.05", NULL, "nvcr.io", "nvidia/pytorch", "24.05", NULL,
         "nvcr.io/nvidia/pytorch:24.05", "pytorch"},
        {"docker://alice@ubuntu", "alice", "docker.io", "library/ubuntu", "latest", NULL,
         "docker.io/library/ubuntu:latest", "ubuntu"},
        {"docker://alice@ubuntu:22.04", "alice", "docker.io", "library/ubuntu", "22.04", NULL,
         "docker.io/library/ubuntu:22.04", "ubuntu"},
        {"docker://alice@nvcr.io/nvidia/pytorch:24.05", "alice", "nvcr.io", "nvidia/pytorch", "24.05", NULL,
         "nvcr.io/nvidia/pytorch:24.05", "pytorch"},
        {"docker://ubuntu@" DIGEST, NULL, "docker.io", "library/ubuntu", NULL, DIGEST,
         "docker.io/library/ubuntu@" DIGEST, "ubuntu"},
        {"docker://alice@ubuntu@" DIGEST, "alice", "docker.io", "library/ubuntu", NULL, DIGEST,
         "docker.io/library/ubuntu@" DIGEST, "ubuntu"},
        {"docker://127.0.0.1:5000/x/y:z@" DIGEST, NULL, "127.0.0.1:5000", "x/y", "z", DIGEST,
         "127.0.0.1:5000/x/y:z", "y"},
        /* docker:// with Enroot's REGISTRY# */
        {"docker://alice@nvcr.io#nvidia/pytorch:24.05", "alice", "nvcr.io", "nvidia/pytorch", "24.05", NULL,
         "nvcr.io/nvidia/pytorch:24.05", "pytorch"},
        {"docker://nvcr.io#nvidia/pytorch:24.05", NULL, "nvcr.io", "nvidia/pytorch", "24.05", NULL,
         "nvcr.io/nvidia/pytorch:24.05", "pytorch"},
        {"docker://$oauthtoken@nvcr.io#nvidia/pytorch:24.05", "$oauthtoken", "nvcr.io", "nvidia/pytorch",
         "24.05", NULL, "nvcr.io/nvidia/pytorch:24.05", "pytorch"},
        {"docker://docker.io#ubuntu", NULL, "docker.io", "library/ubuntu", "latest", NULL,
         "docker.io/library/ubuntu:latest", "ubuntu"},
        {"docker://alice@docker.io#library/ubuntu", "alice", "docker.io", "library/ubuntu", "latest", NULL,
         "docker.io/library/ubuntu:latest", "ubuntu"},
        {"docker://index.docker.io#nvidia/cuda:12", NULL, "docker.io", "nvidia/cuda", "12", NULL,
         "docker.io/nvidia/cuda:12", "cuda"},
        {"docker://localhost:5000#team/app@" DIGEST, NULL, "localhost:5000", "team/app", NULL, DIGEST,
         "localhost:5000/team/app@" DIGEST, "app"},
        {"docker://bob.smith-2@localhost#foo.bar/baz:1.0", "bob.smith-2", "localhost", "foo.bar/baz", "1.0",
         NULL, "localhost/foo.bar/baz:1.0", "baz"},
        {"docker://[::1]:5000#app:dev", NULL, "[::1]:5000", "app", "dev", NULL, "[::1]:5000/app:dev", "app"},
        {"docker://org+robot@quay.io#org/app:v1", "org+robot", "quay.io", "org/app", "v1", NULL,
         "quay.io/org/app:v1", "app"},
        /* after '#' the first component is part of the repository, even when it looks like a host */
        {"docker://nvcr.io#localhost/x", NULL, "nvcr.io", "localhost/x", "latest", NULL,
         "nvcr.io/localhost/x:latest", "x"},
};

#define N_VALID (sizeof(valid_cases) / sizeof(valid_cases[0]))

static void assert_optional_string(const char *want, const char *got, const char *text)
{
	if (!want) {
		if (got)
			fail_msg("%s: expected NULL, got \"%s\"", text, got);
		return;
	}
	if (!got)
		fail_msg("%s: expected \"%s\", got NULL", text, want);
	if (strcmp(want, got) != 0)
		fail_msg("%s: expected \"%s\", got \"%s\"", text, want, got);
}

static void test_valid_forms(void **state)
{
	assert_true(N_VALID >= 40);
	for (size_t i = 0; i < N_VALID; i++) {
		const struct valid_case *c = &valid_cases[i];
		struct reference ref;
		struct error err = {0};
		if (reference_parse(c->text, &ref, &err) != 0)
			fail_msg("%s: %s", c->text, err.msg);
		assert_optional_string(c->user, ref.user, c->text);
		assert_optional_string(c->registry, ref.registry, c->text);
		assert_optional_string(c->repository, ref.repository, c->text);
		assert_optional_string(c->tag, ref.tag, c->text);
		assert_optional_string(c->digest, ref.digest, c->text);
		cleanup_free char *name = reference_name(&ref);
		cleanup_free char *base = reference_basename(&ref);
		assert_optional_string(c->name, name, c->text);
		assert_optional_string(c->basename, base, c->text);
		reference_free(&ref);
	}
}

/* parse(reference_name(r)) gives r back, less the user (not part of the name) and, when there is
 * a tag, the digest (the tag names the image; the digest only pins what is pulled). */
static void test_round_trips(void **state)
{
	for (size_t i = 0; i < N_VALID; i++) {
		const struct valid_case *c = &valid_cases[i];
		struct reference ref, again;
		struct error err = {0};
		assert_int_equal(reference_parse(c->text, &ref, &err), 0);
		cleanup_free char *name = reference_name(&ref);
		assert_non_null(name);
		if (reference_parse(name, &again, &err) != 0)
			fail_msg("%s -> %s: %s", c->text, name, err.msg);
		assert_null(again.user);
		assert_string_equal(again.registry, ref.registry);
		assert_string_equal(again.repository, ref.repository);
		assert_optional_string(ref.tag, again.tag, name);
		assert_optional_string(ref.tag ? NULL : ref.digest, again.digest, name);
		cleanup_free char *name_again = reference_name(&again);
		assert_string_equal(name_again, name);
		reference_free(&ref);
		reference_free(&again);
	}
}

struct invalid_case {
	const char *text;
	const char *fragment;
};

static const struct invalid_case invalid_cases[] = {
        {"", "reference is empty"},
        {"docker://", "nothing follows docker://"},
        {"Ubuntu", "repositories are lower case"},
        {"nvcr.io/NVIDIA/pytorch", "repository \"NVIDIA/pytorch\" has upper case letters"},
        {"docker://nvcr.io#Nvidia/pytorch", "repositories are lower case"},
        {"ubuntu:", "the tag after ':' is empty"},
        {"ubuntu@", "the digest after '@' is empty"},
        {"ubuntu:22.04 ", "whitespace or a control character"},
        {" ubuntu", "whitespace or a control character"},
        {"ubu\tntu", "whitespace or a control character"},
        {"ubu\x7fntu", "whitespace or a control character"},
        {"ub\xc3\xbcntu", "non-ASCII character"},
        {"a/../b", "'..' is not allowed"},
        {"ubuntu:1..2", "'..' is not allowed"},
        {"/ubuntu", "the repository starts with '/'"},
        {"docker:///ubuntu", "the repository starts with '/'"},
        {"ubuntu/", "the repository ends with '/'"},
        {"a//b", "has an empty component ('//')"},
        {"nvcr.io/", "the repository name is empty"},
        {":tag", "the repository name is empty"},
        {"@" DIGEST, "the repository name is empty"},
        {"docker://alice@", "the repository name is empty"},
        {"a__-b", "repository component \"a__-b\" is not valid"},
        {"a___b", "repository component \"a___b\" is not valid"},
        {"-a", "repository component \"-a\" is not valid"},
        {"x/a.", "repository component \"a.\" is not valid"},
        {"ubuntu:a:b", "repository component \"ubuntu:a\" is not valid"},
        {"ubuntu:.bad", "tag \".bad\" is not valid"},
        {"ubuntu:-bad", "tag \"-bad\" is not valid"},
        {"ubuntu:b+d", "tag \"b+d\" is not valid"},
        {"ubuntu@sha512:" HEX HEX, "digest algorithm \"sha512\" is not supported: only sha256"},
        {"ubuntu@md5:d41d8cd98f00b204e9800998ecf8427e", "digest algorithm \"md5\" is not supported"},
        {"ubuntu@sha256", "digest \"sha256\" is not ALGORITHM:HEX: write @sha256:<64 hex digits>"},
        {"ubuntu@sha256:abc", "is not sha256: followed by 64 lower-case hex digits"},
        {"ubuntu@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
         "is not sha256: followed by 64"},
        {"ubuntu@sha256:" HEX "0", "is not sha256: followed by 64"},
        {"docker://ubuntu@SHA256:" HEX, "is not sha256: followed by 64"},
        {"ubuntu@" DIGEST "@" DIGEST, "more than one '@'"},
        {"nvcr.io#nvidia/pytorch", "'#' (Enroot's REGISTRY#IMAGE) needs the docker:// prefix"},
        {"docker://a.io#b#c", "more than one '#'"},
        {"docker://#ubuntu", "the registry before '#' is empty"},
        {"docker://alice@#ubuntu", "the registry before '#' is empty"},
        {"docker://@ubuntu", "the user name before '@' is empty"},
        {"docker://@nvcr.io#ubuntu", "the user name before '@' is empty"},
        {"docker://al:ice@nvcr.io#x", "user \"al:ice\" is not valid"},
        {"docker://nvcr.io#", "the repository name is empty"},
        {"docker://myregistry#foo", "registry \"myregistry\" needs a '.' or a ':port'"},
        {"docker://nvcr.io:#foo", "registry \"nvcr.io:\" has an empty port after ':'"},
        {"ubuntu:ta/g", "registry port \"ta\" is not a number from 1 to 65535"},
        {"localhost:99999/foo", "registry port \"99999\" is not a number"},
        {"localhost:0/foo", "registry port \"0\" is not a number"},
        {"bad_host.com/foo", "registry host \"bad_host.com\" is not a hostname"},
        {"-bad.com/foo", "registry host \"-bad.com\" is not a hostname"},
        {"bad-.com/foo", "registry host \"bad-.com\" is not a hostname"},
        {"a.b-/foo", "registry host \"a.b-\" is not a hostname"},
        {".com/foo", "registry host \".com\" is not a hostname"},
        {"[::1/foo", "registry host \"[::1\" is not a hostname"},
        {"[::1]x/foo", "registry \"[::1]x\" has something other than :PORT after ']'"},
        {"[zz::1]/foo", "registry host \"[zz::1]\" is not a hostname"},
        {"[12]:5000/foo", "registry host \"[12]\" is not a hostname"},
        {"http://registry.example.com/x", "transport \"http://\" is not supported: only docker://"},
        {"oci-archive://x.tar", "transport \"oci-archive://\" is not supported"},
};

#define N_INVALID (sizeof(invalid_cases) / sizeof(invalid_cases[0]))

static void test_invalid_forms(void **state)
{
	assert_true(N_INVALID >= 25);
	for (size_t i = 0; i < N_INVALID; i++) {
		const struct invalid_case *c = &invalid_cases[i];
		struct reference ref;
		struct error err = {0};
		if (reference_parse(c->text, &ref, &err) != -1)
			fail_msg("%s: parsed, expected \"%s\"", c->text, c->fragment);
		assert_int_equal(err.code, EINVAL);
		if (!strstr(err.msg, c->fragment))
			fail_msg("%s: message \"%s\" lacks \"%s\"", c->text, err.msg, c->fragment);
		/* nothing is left allocated on failure */
		assert_null(ref.user);
		assert_null(ref.registry);
		assert_null(ref.repository);
		assert_null(ref.tag);
		assert_null(ref.digest);
	}
}

static void test_null_is_empty(void **state)
{
	struct reference ref;
	struct error err = {0};
	assert_int_equal(reference_parse(NULL, &ref, &err), -1);
	assert_string_equal(err.msg, "reference is empty: give an image such as ubuntu:24.04");
	assert_null(ref.repository);
}

static void test_message_names_the_reference(void **state)
{
	struct reference ref;
	struct error err = {0};
	assert_int_equal(reference_parse("docker://nvcr.io#Nvidia/x", &ref, &err), -1);
	assert_string_equal(err.msg,
	                    "reference \"docker://nvcr.io#Nvidia/x\": repository \"Nvidia/x\" has upper "
	                    "case letters: repositories are lower case");

	/* unprintable bytes are shown as '?' so the message stays one clean line */
	assert_int_equal(reference_parse("a\nb", &ref, &err), -1);
	assert_string_equal(err.msg, "reference \"a?b\": it contains whitespace or a control character");

	/* a long reference is cut short */
	char long_text[400];
	memset(long_text, 'a', sizeof(long_text) - 2);
	long_text[sizeof(long_text) - 2] = ' ';
	long_text[sizeof(long_text) - 1] = '\0';
	assert_int_equal(reference_parse(long_text, &ref, &err), -1);
	char want[300];
	snprintf(want, sizeof(want), "reference \"%.200s...\": it contains whitespace", long_text);
	assert_non_null(strstr(err.msg, want));
}

static void test_docker_hub_defaults(void **state)
{
	struct reference ref;
	struct error err = {0};
	assert_int_equal(reference_parse("ubuntu", &ref, &err), 0);
	assert_null(ref.user);
	assert_string_equal(ref.registry, "docker.io");
	assert_string_equal(ref.repository, "library/ubuntu");
	assert_string_equal(ref.tag, "latest");
	assert_null(ref.digest);
	assert_string_equal(reference_api_host(&ref), "registry-1.docker.io");
	reference_free(&ref);

	/* "library/" only for one component; no "latest" when a digest pins the image */
	assert_int_equal(reference_parse("nvidia/cuda@" DIGEST, &ref, &err), 0);
	assert_string_equal(ref.repository, "nvidia/cuda");
	assert_null(ref.tag);
	assert_string_equal(ref.digest, DIGEST);
	reference_free(&ref);

	/* Docker Hub's other names are folded into docker.io */
	assert_int_equal(reference_parse("index.docker.io/busybox", &ref, &err), 0);
	assert_string_equal(ref.registry, "docker.io");
	assert_string_equal(ref.repository, "library/busybox");
	reference_free(&ref);

	/* other registries get neither library/ nor a changed host */
	assert_int_equal(reference_parse("quay.io/busybox", &ref, &err), 0);
	assert_string_equal(ref.registry, "quay.io");
	assert_string_equal(ref.repository, "busybox");
	assert_string_equal(reference_api_host(&ref), "quay.io");
	assert_ptr_equal(reference_api_host(&ref), ref.registry);
	reference_free(&ref);
}

static void test_enroot_forms(void **state)
{
	struct reference ref;
	struct error err = {0};
	assert_int_equal(reference_parse("docker://alice@nvcr.io#nvidia/pytorch:24.05", &ref, &err), 0);
	assert_string_equal(ref.user, "alice");
	assert_string_equal(ref.registry, "nvcr.io");
	assert_string_equal(ref.repository, "nvidia/pytorch");
	assert_string_equal(ref.tag, "24.05");
	assert_null(ref.digest);
	assert_string_equal(reference_api_host(&ref), "nvcr.io");
	reference_free(&ref);

	assert_int_equal(reference_parse("docker://nvcr.io#nvidia/pytorch:24.05", &ref, &err), 0);
	assert_null(ref.user);
	assert_string_equal(ref.registry, "nvcr.io");
	assert_string_equal(ref.repository, "nvidia/pytorch");
	assert_string_equal(ref.tag, "24.05");
	reference_free(&ref);

	/* a user without a registry: Docker Hub */
	assert_int_equal(reference_parse("docker://alice@ubuntu", &ref, &err), 0);
	assert_string_equal(ref.user, "alice");
	assert_string_equal(ref.registry, "docker.io");
	assert_string_equal(ref.repository, "library/ubuntu");
	assert_string_equal(reference_api_host(&ref), "registry-1.docker.io");
	reference_free(&ref);

	/* '@' followed by an algorithm is a digest, not a user */
	assert_int_equal(reference_parse("docker://busybox@" DIGEST, &ref, &err), 0);
	assert_null(ref.user);
	assert_string_equal(ref.repository, "library/busybox");
	assert_string_equal(ref.digest, DIGEST);
	reference_free(&ref);
	assert_int_equal(reference_parse("docker://busybox@sha512:" HEX HEX, &ref, &err), -1);
	assert_non_null(strstr(err.msg, "digest algorithm \"sha512\" is not supported"));
}

static void test_boundaries(void **state)
{
	struct reference ref;
	struct error err = {0};
	char text[600];

	/* tag: 128 characters at most */
	snprintf(text, sizeof(text), "ubuntu:%0128d", 7);
	assert_int_equal(reference_parse(text, &ref, &err), 0);
	assert_int_equal(strlen(ref.tag), 128);
	reference_free(&ref);
	snprintf(text, sizeof(text), "ubuntu:%0129d", 7);
	assert_int_equal(reference_parse(text, &ref, &err), -1);
	assert_non_null(strstr(err.msg, "is not valid: up to 128 letters"));

	/* REGISTRY/REPOSITORY: 255 characters at most, counted after the defaults */
	memcpy(text, "nvcr.io/", 8);
	memset(text + 8, 'a', 247);
	text[8 + 247] = '\0';
	assert_int_equal(reference_parse(text, &ref, &err), 0);
	reference_free(&ref);
	text[8 + 247] = 'a';
	text[8 + 248] = '\0';
	assert_int_equal(reference_parse(text, &ref, &err), -1);
	assert_non_null(strstr(err.msg, "the name REGISTRY/REPOSITORY is 256 characters, more than 255"));

	memset(text, 'a', 237); /* docker.io/library/ + 237 = 255 */
	text[237] = '\0';
	assert_int_equal(reference_parse(text, &ref, &err), 0);
	cleanup_free char *name = reference_name(&ref);
	assert_int_equal(strlen(name), 255 + strlen(":latest"));
	reference_free(&ref);
	text[237] = 'a';
	text[238] = '\0';
	assert_int_equal(reference_parse(text, &ref, &err), -1);
	assert_non_null(strstr(err.msg, "is 256 characters"));

	/* user: 255 characters at most */
	memcpy(text, "docker://", 9);
	memset(text + 9, 'u', 255);
	snprintf(text + 9 + 255, sizeof(text) - 9 - 255, "@nvcr.io#x");
	assert_int_equal(reference_parse(text, &ref, &err), 0);
	assert_int_equal(strlen(ref.user), 255);
	reference_free(&ref);
	memset(text + 9, 'u', 256);
	snprintf(text + 9 + 256, sizeof(text) - 9 - 256, "@nvcr.io#x");
	assert_int_equal(reference_parse(text, &ref, &err), -1);
	assert_non_null(strstr(err.msg, "is not valid: letters, digits and '._-+~$'"));

	/* ports: 1 to 65535 */
	assert_int_equal(reference_parse("localhost:65535/x", &ref, &err), 0);
	assert_string_equal(ref.registry, "localhost:65535");
	reference_free(&ref);
	assert_int_equal(reference_parse("localhost:65536/x", &ref, &err), -1);
	assert_int_equal(reference_parse("localhost:000001/x", &ref, &err), -1);
}

static void test_free_is_idempotent(void **state)
{
	struct reference ref;
	struct error err = {0};
	assert_int_equal(reference_parse("docker://alice@nvcr.io#a/b:c@" DIGEST, &ref, &err), 0);
	reference_free(&ref);
	assert_null(ref.user);
	assert_null(ref.registry);
	assert_null(ref.repository);
	assert_null(ref.tag);
	assert_null(ref.digest);
	reference_free(&ref);
	reference_free(NULL);
}

static void test_host_is_local(void **state)
{
	static const char *const local[] = {
	        "localhost", "localhost:5000", "LOCALHOST", "127.0.0.1",  "127.255.255.255:8080",
	        "127.1.2.3", "127.0.0.1:1",    "[::1]",     "[::1]:5000",
	};
	static const char *const remote[] = {
	        "",           "localhost:",  "localhost:abc",   "localhost.example.com",
	        "localhostx", "127.0.0",     "127.0.0.1.5",     "127.0.0.256",
	        "127.0.0.1:", "128.0.0.1",   "[::2]",           "[::1]x",
	        "::1",        "10.0.0.1",    "127.0.0.1:99999", "127.0001.0.1",
	        "nvcr.io",    "127.0.0.1:0", "127..0.1",        "127.0.0.-1",
	};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (!reference_host_is_local(local[i]))
			fail_msg("%s should be local", local[i]);
	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		if (reference_host_is_local(remote[i]))
			fail_msg("%s should not be local", remote[i]);
	assert_false(reference_host_is_local(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid_forms),
	        cmocka_unit_test(test_round_trips),
	        cmocka_unit_test(test_invalid_forms),
	        cmocka_unit_test(test_null_is_empty),
	        cmocka_unit_test(test_message_names_the_reference),
	        cmocka_unit_test(test_docker_hub_defaults),
	        cmocka_unit_test(test_enroot_forms),
	        cmocka_unit_test(test_boundaries),
	        cmocka_unit_test(test_free_is_idempotent),
	        cmocka_unit_test(test_host_is_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
