/* Fuzz harness: arbitrary bytes as an image reference. Checks on success: the canonical name reads
 * back to the same fields, the repository is well-formed lower case, a digest is valid. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/reference.h"

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_repository(const char *repo)
{
	size_t len = strlen(repo);
	if (len == 0 || repo[0] == '/' || repo[len - 1] == '/' || strstr(repo, "//") || strstr(repo, ".."))
		abort();
	for (const char *p = repo; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p);
		if (!ok)
			abort();
	}
}

static void check(const struct reference *ref)
{
	if (!ref->registry || !*ref->registry || !ref->repository)
		abort();
	check_repository(ref->repository);
	if (!ref->tag && !ref->digest)
		abort();
	if (ref->digest && !digest_valid(ref->digest))
		abort();
	if (ref->tag && (!*ref->tag || strlen(ref->tag) > 128))
		abort();
	if (strcmp(ref->registry, "docker.io") == 0 && !strchr(ref->repository, '/'))
		abort(); /* Docker Hub's single names get library/ */
	if (strlen(ref->registry) + 1 + strlen(ref->repository) > 255)
		abort();

	char *name = reference_name(ref);
	char *base = reference_basename(ref);
	if (!name || !base || !*base)
		abort();
	size_t rlen = strlen(ref->repository), blen = strlen(base);
	if (blen > rlen || strcmp(ref->repository + rlen - blen, base) != 0 || strchr(base, '/'))
		abort();

	/* The name is the image's key in the store: it must read back as the same image. */
	struct reference again;
	struct error err;
	if (reference_parse(name, &again, &err) != 0)
		abort();
	if (again.user || !same(again.registry, ref->registry) || !same(again.repository, ref->repository) ||
	    !same(again.tag, ref->tag) || !same(again.digest, ref->tag ? NULL : ref->digest))
		abort();
	char *name_again = reference_name(&again);
	if (!name_again || strcmp(name, name_again) != 0)
		abort();
	free(name_again);
	reference_free(&again);
	free(name);
	free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct reference ref;
	struct error err;
	err.msg[0] = '\0';
	if (reference_parse(text, &ref, &err) == 0) {
		check(&ref);
		reference_free(&ref);
	} else {
		/* a failure leaves nothing behind and says what it was about */
		if (ref.user || ref.registry || ref.repository || ref.tag || ref.digest)
			abort();
		if (strncmp(err.msg, "reference", 9) != 0 || strchr(err.msg, '\n'))
			abort();
	}
	free(text);
	return 0;
}
