/* Image references as users type them, split into registry, repository, tag and digest with
 * the docker reference grammar and Enroot's docker:// form. No I/O: see registry.c for talking. */
#include "image/reference.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/digest.h"
#include "util/cleanup.h"

#define NAME_TOTAL_MAX 255 /* "REGISTRY/REPOSITORY", as docker/distribution limits it */
#define TAG_MAX        128
#define USER_MAX       255
#define SHOWN_MAX      200 /* of the reference, quoted in messages */

static const char DOCKER_PREFIX[] = "docker://";
static const char DOCKER_HUB[] = "docker.io";

/* A piece of the text being parsed: not terminated. */
struct slice {
	const char *p;
	size_t n;
};

static int fail(struct error *err, const char *text, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Every message starts with the reference as typed, made printable and cut short. */
static int fail(struct error *err, const char *text, const char *fmt, ...)
{
	char shown[SHOWN_MAX + 4];
	size_t i = 0;
	for (; text[i] && i < SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)text[i];
		shown[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	shown[i] = '\0';
	if (text[i])
		strcpy(shown + i, "...");

	char what[ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(err, EINVAL, "reference \"%s\": %s", shown, what);
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool slice_is(struct slice s, const char *word)
{
	return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

static const char *slice_find(struct slice s, char c)
{
	return memchr(s.p, c, s.n);
}

static const char *slice_find_last(struct slice s, char c)
{
	return memrchr(s.p, c, s.n);
}

/* Docker's rule for the first component of a name: a registry when it holds "." or ":" or is
 * "localhost". It decides how a name is split, so reference_name() must emit only registries
 * that pass it, or the name would read back differently. */
static bool looks_like_registry(struct slice s)
{
	return slice_find(s, '.') || slice_find(s, ':') || slice_is(s, "localhost");
}

/* Docker Hub's other names, folded into one so that each image has one key in the store. */
static bool is_docker_hub(struct slice s)
{
	static const char *const names[] = {"docker.io", "index.docker.io", "registry-1.docker.io"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s.n == strlen(names[i]) && strncasecmp(s.p, names[i], s.n) == 0)
			return true;
	return false;
}

/* Whether text starts with a digest algorithm name and ':'. With docker://, this is what tells
 * "ubuntu@sha256:..." (a digest) from "alice@ubuntu" (a user). */
static bool starts_with_algorithm(const char *text)
{
	static const char *const algorithms[] = {"sha256:", "sha384:", "sha512:", "blake3:"};
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strncasecmp(text, algorithms[i], strlen(algorithms[i])) == 0)
			return true;
	return false;
}

static bool is_user_char(char c)
{
	return is_alnum(c) || strchr("._-+~$", c);
}

static bool valid_user(struct slice s)
{
	if (s.n == 0 || s.n > USER_MAX)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!is_user_char(s.p[i]))
			return false;
	return true;
}

/* Port: 1 to 65535, digits only. */
static bool valid_port(struct slice s)
{
	if (s.n == 0 || s.n > 5)
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return false;
		v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Hostname labels (IPv4 addresses are a case of it): [A-Za-z0-9] at both ends, '-' inside. */
static bool valid_hostname(struct slice s)
{
	if (s.n == 0)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c == '.') {
			if (label == 0 || s.p[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return label > 0 && s.p[s.n - 1] != '-';
}

/* "[v6]" as docker's grammar has it: hex digits and colons between brackets. */
static bool valid_ipv6(struct slice s)
{
	if (s.n < 4 || s.p[0] != '[' || s.p[s.n - 1] != ']')
		return false;
	bool colon = false;
	for (size_t i = 1; i + 1 < s.n; i++) {
		char c = s.p[i];
		if (c == ':')
			colon = true;
		else if (!is_digit(c) && !((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return colon;
}

static int check_registry(const char *text, struct slice reg, struct error *err)
{
	struct slice host = reg;
	const char *sep = NULL;
	if (reg.n && reg.p[0] == '[') {
		const char *close = slice_find(reg, ']');
		if (close && close + 1 < reg.p + reg.n)
			sep = close + 1;
	} else {
		sep = slice_find(reg, ':');
	}
	if (sep) {
		host.n = (size_t)(sep - reg.p);
		struct slice port = {sep + 1, reg.n - host.n - 1};
		if (*sep != ':')
			return fail(err, text, "registry \"%.*s\" has something other than :PORT after ']'",
			            (int)reg.n, reg.p);
		if (port.n == 0)
			return fail(err, text, "registry \"%.*s\" has an empty port after ':'", (int)reg.n,
			            reg.p);
		if (!valid_port(port))
			return fail(err, text, "registry port \"%.*s\" is not a number from 1 to 65535",
			            (int)port.n, port.p);
	}
	bool ok = host.n && host.p[0] == '[' ? valid_ipv6(host) : valid_hostname(host);
	if (!ok)
		return fail(err, text,
		            "registry host \"%.*s\" is not a hostname, an IPv4 address or an [IPv6] address",
		            (int)host.n, host.p);
	return 0;
}

/* One path component: [a-z0-9]+ runs joined by ".", "_", "__" or any number of "-". */
static bool valid_component(struct slice s)
{
	if (s.n == 0 || !is_lower_alnum(s.p[0]) || !is_lower_alnum(s.p[s.n - 1]))
		return false;
	for (size_t i = 0; i < s.n;) {
		if (is_lower_alnum(s.p[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < s.n && !is_lower_alnum(s.p[j]))
			j++;
		struct slice sep = {s.p + i, j - i};
		bool dashes = true;
		for (size_t k = 0; k < sep.n; k++)
			dashes = dashes && sep.p[k] == '-';
		if (!dashes && !slice_is(sep, ".") && !slice_is(sep, "_") && !slice_is(sep, "__"))
			return false;
		i = j;
	}
	return true;
}

static int check_repository(const char *text, struct slice repo, struct error *err)
{
	if (repo.n == 0)
		return fail(err, text, "the repository name is empty");
	if (repo.p[0] == '/')
		return fail(err, text, "the repository starts with '/'");
	if (repo.p[repo.n - 1] == '/')
		return fail(err, text, "the repository ends with '/'");
	for (size_t i = 0; i < repo.n; i++)
		if (repo.p[i] >= 'A' && repo.p[i] <= 'Z')
			return fail(err, text,
			            "repository \"%.*s\" has upper case letters: repositories are lower case",
			            (int)repo.n, repo.p);
	for (const char *p = repo.p, *end = repo.p + repo.n; p < end;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		struct slice comp = {p, (size_t)((slash ? slash : end) - p)};
		if (comp.n == 0)
			return fail(err, text, "repository \"%.*s\" has an empty component ('//')",
			            (int)repo.n, repo.p);
		if (!valid_component(comp))
			return fail(
			        err, text,
			        "repository component \"%.*s\" is not valid: lower-case letters and digits, "
			        "joined by '.', '_', '__' or dashes",
			        (int)comp.n, comp.p);
		p = slash ? slash + 1 : end;
	}
	return 0;
}

static int check_tag(const char *text, struct slice tag, struct error *err)
{
	if (tag.n == 0)
		return fail(err, text, "the tag after ':' is empty");
	bool ok = tag.n <= TAG_MAX && (is_alnum(tag.p[0]) || tag.p[0] == '_');
	for (size_t i = 1; ok && i < tag.n; i++)
		ok = is_alnum(tag.p[i]) || tag.p[i] == '_' || tag.p[i] == '.' || tag.p[i] == '-';
	if (!ok)
		return fail(err, text,
		            "tag \"%.*s\" is not valid: up to 128 letters, digits, '_', '.' and '-', "
		            "not starting with '.' or '-'",
		            (int)tag.n, tag.p);
	return 0;
}

static int check_digest(const char *text, struct slice digest, struct error *err)
{
	if (digest.n == 0)
		return fail(err, text, "the digest after '@' is empty");
	const char *colon = slice_find(digest, ':');
	if (!colon)
		return fail(err, text, "digest \"%.*s\" is not ALGORITHM:HEX: write @sha256:<64 hex digits>",
		            (int)digest.n, digest.p);
	struct slice alg = {digest.p, (size_t)(colon - digest.p)};
	if (alg.n != 6 || strncasecmp(alg.p, "sha256", 6) != 0)
		return fail(err, text, "digest algorithm \"%.*s\" is not supported: only sha256", (int)alg.n,
		            alg.p);
	char copy[DIGEST_STRING_LEN + 1];
	bool ok = digest.n == DIGEST_STRING_LEN;
	if (ok) {
		memcpy(copy, digest.p, digest.n);
		copy[digest.n] = '\0';
		ok = digest_valid(copy);
	}
	if (!ok)
		return fail(err, text, "digest \"%.*s\" is not sha256: followed by 64 lower-case hex digits",
		            (int)digest.n, digest.p);
	return 0;
}

/* Whole-text rules, checked before any splitting so that messages stay simple. */
static int check_characters(const char *text, struct error *err)
{
	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f)
			return fail(err, text, "it contains whitespace or a control character");
		if (c >= 0x80)
			return fail(err, text, "it contains a non-ASCII character");
	}
	if (strstr(text, ".."))
		return fail(err, text, "'..' is not allowed anywhere in a reference");
	return 0;
}

/* "scheme://" other than docker://, for a clear message instead of a grammar error. */
static int check_transport(const char *text, struct error *err)
{
	const char *sep = strstr(text, "://");
	if (!sep || sep == text)
		return 0;
	for (const char *p = text; p < sep; p++)
		if (!is_alnum(*p) && *p != '-' && *p != '+' && *p != '.')
			return 0;
	return fail(err, text,
	            "transport \"%.*s://\" is not supported: only docker:// references can be pulled",
	            (int)(sep - text), text);
}

static char *slice_dup(struct slice s)
{
	return strndup(s.p ? s.p : "", s.n);
}

int reference_parse(const char *text, struct reference *ref, struct error *err)
{
	memset(ref, 0, sizeof(*ref));
	if (!text || !*text)
		return error_set(err, EINVAL, "reference is empty: give an image such as ubuntu:24.04");
	if (check_characters(text, err) < 0)
		return -1;

	struct slice user = {NULL, 0}, registry = {NULL, 0}, tag = {NULL, 0}, digest = {NULL, 0};
	bool has_user = false, has_registry = false, has_tag = false, has_digest = false;
	bool enroot = strncmp(text, DOCKER_PREFIX, strlen(DOCKER_PREFIX)) == 0;
	const char *rest = text;
	if (enroot) {
		rest += strlen(DOCKER_PREFIX);
		if (!*rest)
			return fail(err, text, "nothing follows docker://");
	} else if (check_transport(text, err) < 0) {
		return -1;
	}

	const char *hash = strchr(rest, '#');
	if (hash && !enroot)
		return fail(err, text, "'#' (Enroot's REGISTRY#IMAGE) needs the docker:// prefix");
	if (hash) {
		if (strchr(hash + 1, '#'))
			return fail(err, text, "it has more than one '#'");
		struct slice left = {rest, (size_t)(hash - rest)};
		const char *at = slice_find(left, '@');
		if (at) {
			has_user = true;
			user = (struct slice){rest, (size_t)(at - rest)};
			left = (struct slice){at + 1, (size_t)(hash - at - 1)};
		}
		if (left.n == 0)
			return fail(err, text, "the registry before '#' is empty");
		if (check_registry(text, left, err) < 0)
			return -1;
		if (!looks_like_registry(left))
			return fail(err, text,
			            "registry \"%.*s\" needs a '.' or a ':port' to be told from a repository "
			            "(write %.*s:443 for https)",
			            (int)left.n, left.p, (int)left.n, left.p);
		has_registry = true;
		registry = left;
		rest = hash + 1;
	} else if (enroot) {
		const char *at = strchr(rest, '@');
		if (at && !starts_with_algorithm(at + 1)) {
			struct slice before = {rest, (size_t)(at - rest)};
			if (before.n == 0 || valid_user(before)) {
				has_user = true;
				user = before;
				rest = at + 1;
			}
		}
	}
	if (has_user && !valid_user(user)) {
		if (user.n == 0)
			return fail(err, text, "the user name before '@' is empty");
		return fail(err, text, "user \"%.*s\" is not valid: letters, digits and '._-+~$'",
		            (int)user.n, user.p);
	}

	/* rest is [REGISTRY/]REPOSITORY[:TAG][@DIGEST], the registry only when not given with '#'. */
	struct slice name = {rest, strlen(rest)};
	const char *at = slice_find(name, '@');
	if (at) {
		has_digest = true;
		digest = (struct slice){at + 1, name.n - (size_t)(at + 1 - rest)};
		name.n = (size_t)(at - rest);
		if (slice_find(digest, '@'))
			return fail(err, text, "it has more than one '@'");
	}
	const char *slash = slice_find_last(name, '/');
	struct slice last = slash ? (struct slice){slash + 1, name.n - (size_t)(slash + 1 - rest)} : name;
	const char *colon = slice_find_last(last, ':');
	if (colon) {
		has_tag = true;
		tag = (struct slice){colon + 1, (size_t)(last.p + last.n - colon - 1)};
		name.n = (size_t)(colon - rest);
	}
	if (!has_registry) {
		const char *first = slice_find(name, '/');
		struct slice head = {rest, first ? (size_t)(first - rest) : 0};
		if (first && looks_like_registry(head)) {
			if (check_registry(text, head, err) < 0)
				return -1;
			has_registry = true;
			registry = head;
			name = (struct slice){first + 1, name.n - head.n - 1};
		}
	}
	if (check_repository(text, name, err) < 0)
		return -1;
	if (has_tag && check_tag(text, tag, err) < 0)
		return -1;
	if (has_digest && check_digest(text, digest, err) < 0)
		return -1;

	bool hub = !has_registry || is_docker_hub(registry);
	bool library = hub && !slice_find(name, '/');
	size_t registry_len = hub ? strlen(DOCKER_HUB) : registry.n;
	size_t total = registry_len + 1 + (library ? strlen("library/") : 0) + name.n;
	if (total > NAME_TOTAL_MAX)
		return fail(err, text, "the name REGISTRY/REPOSITORY is %zu characters, more than %d", total,
		            NAME_TOTAL_MAX);

	struct reference out = {0};
	bool oom = false;
	if (has_user)
		oom |= !(out.user = slice_dup(user));
	oom |= !(out.registry = hub ? strdup(DOCKER_HUB) : slice_dup(registry));
	if (library)
		oom |= asprintf(&out.repository, "library/%.*s", (int)name.n, name.p) < 0;
	else
		oom |= !(out.repository = slice_dup(name));
	if (has_tag || !has_digest)
		oom |= !(out.tag = has_tag ? slice_dup(tag) : strdup("latest"));
	if (has_digest)
		oom |= !(out.digest = slice_dup(digest));
	out.registry_given = has_registry;
	out.tag_given = has_tag;
	if (oom) {
		reference_free(&out);
		errno = ENOMEM;
		return error_errno(err, "reference \"%.*s\"", SHOWN_MAX, text);
	}
	*ref = out;
	return 0;
}

void reference_free(struct reference *ref)
{
	if (!ref)
		return;
	free(ref->user);
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

const char *reference_api_host(const struct reference *ref)
{
	struct slice reg = {ref->registry, strlen(ref->registry)};
	return is_docker_hub(reg) ? "registry-1.docker.io" : ref->registry;
}

char *reference_name(const struct reference *ref)
{
	char *name = NULL;
	int n;
	if (ref->tag)
		n = asprintf(&name, "%s/%s:%s", ref->registry, ref->repository, ref->tag);
	else
		n = asprintf(&name, "%s/%s@%s", ref->registry, ref->repository, ref->digest);
	return n < 0 ? NULL : name;
}

char *reference_basename(const struct reference *ref)
{
	const char *slash = strrchr(ref->repository, '/');
	return strdup(slash ? slash + 1 : ref->repository);
}

/* A decimal octet 0-255 at *p, advancing it. */
static bool read_octet(const char **p)
{
	unsigned v = 0;
	size_t n = 0;
	for (; is_digit(**p) && n < 4; (*p)++, n++)
		v = v * 10 + (unsigned)(**p - '0');
	return n >= 1 && n <= 3 && v <= 255;
}

bool reference_host_is_local(const char *host)
{
	if (!host)
		return false;
	const char *rest = NULL;
	if (strncasecmp(host, "localhost", 9) == 0) {
		rest = host + 9;
	} else if (strncmp(host, "[::1]", 5) == 0) {
		rest = host + 5;
	} else if (strncmp(host, "127.", 4) == 0) {
		rest = host + 4;
		for (int i = 0; i < 3; i++) {
			if (!read_octet(&rest))
				return false;
			if (i < 2 && *rest++ != '.')
				return false;
		}
	} else {
		return false;
	}
	if (!*rest)
		return true;
	return *rest == ':' && valid_port((struct slice){rest + 1, strlen(rest + 1)});
}

/* ---- names in the store ---- */

static const char LOCAL_REGISTRY[] = "localhost";

/* Whether text is a reference that names no registry: its name is then local, or Docker Hub's
 * by default. docker:// always means a registry (Enroot's docker://ubuntu is Docker Hub's). */
static bool names_no_registry(const char *text, const struct reference *ref)
{
	return !ref->registry_given && strncmp(text, DOCKER_PREFIX, strlen(DOCKER_PREFIX)) != 0;
}

/* "localhost/" + text, parsed: the repository as typed, without Docker Hub's "library/". */
static char *local_form(const char *text, struct error *err)
{
	cleanup_free char *prefixed = NULL;
	if (asprintf(&prefixed, "%s/%s", LOCAL_REGISTRY, text) < 0) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	struct reference local;
	if (reference_parse(prefixed, &local, err) < 0)
		return NULL;
	char *name = reference_name(&local);
	reference_free(&local);
	if (!name)
		error_set(err, ENOMEM, "out of memory");
	return name;
}

char *reference_local_name(const char *text, struct error *err)
{
	struct reference ref;
	if (reference_parse(text, &ref, err) < 0)
		return NULL;
	char *name = NULL;
	if (ref.user)
		fail(err, text, "a name in the store has no user: leave out \"%s@\"", ref.user);
	else if (ref.digest)
		fail(err, text, "a new name needs a tag, not a digest: write NAME:TAG");
	else if (names_no_registry(text, &ref))
		name = local_form(text, err);
	else if (!(name = reference_name(&ref)))
		error_set(err, ENOMEM, "out of memory");
	reference_free(&ref);
	return name;
}

int reference_store_names(const char *text, char *names[2], size_t *n, struct error *err)
{
	names[0] = names[1] = NULL;
	*n = 0;
	struct reference ref;
	struct error ignored;
	if (reference_parse(text, &ref, &ignored) < 0)
		return 0;
	int rc = 0;
	/* A name with a digest has no local form: only pulls are named REPO@DIGEST. */
	if (names_no_registry(text, &ref) && !ref.digest) {
		names[*n] = local_form(text, &ignored);
		if (names[*n])
			(*n)++;
	}
	names[*n] = reference_name(&ref);
	if (names[*n])
		(*n)++;
	else
		rc = error_set(err, ENOMEM, "out of memory");
	reference_free(&ref);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			free(names[i]);
		*n = 0;
	}
	return rc;
}

static bool same_repository(const char *a, const char *b)
{
	struct reference x, y;
	struct error ignored;
	if (reference_parse(a, &x, &ignored) < 0)
		return false;
	bool same = false;
	if (reference_parse(b, &y, &ignored) == 0) {
		same = strcmp(x.registry, y.registry) == 0 && strcmp(x.repository, y.repository) == 0;
		reference_free(&y);
	}
	reference_free(&x);
	return same;
}

bool reference_name_matches(const char *pattern, const char *name)
{
	if (strcmp(pattern, name) == 0)
		return true;
	struct reference ref;
	struct error ignored;
	if (reference_parse(pattern, &ref, &ignored) < 0)
		return false;
	bool whole_repository = !ref.tag_given && !ref.digest;
	reference_free(&ref);
	char *names[2];
	size_t n = 0;
	if (reference_store_names(pattern, names, &n, &ignored) < 0)
		return false;
	bool match = false;
	for (size_t i = 0; i < n; i++) {
		match = match || strcmp(names[i], name) == 0 ||
		        (whole_repository && same_repository(names[i], name));
		free(names[i]);
	}
	return match;
}

char *reference_registry_host(const char *text, struct error *err)
{
	if (!text || !*text) {
		error_set(err, EINVAL, "registry is empty: give a host such as nvcr.io or localhost:5000");
		return NULL;
	}
	if (check_characters(text, err) < 0)
		return NULL;
	const char *host = text;
	if (strncasecmp(host, "https://", 8) == 0)
		host += 8;
	else if (strncasecmp(host, "http://", 7) == 0)
		host += 7;
	struct slice s = {host, strcspn(host, "/")};
	if (check_registry(text, s, err) < 0)
		return NULL;
	char *out = is_docker_hub(s) ? strdup(DOCKER_HUB) : slice_dup(s);
	if (!out)
		error_set(err, ENOMEM, "out of memory");
	return out;
}
