/* burrow digest's question to a registry: one manifest request, and for a platform the choice
 * an index offers, made as pull makes it. */
#include "image/remote.h"

#include <errno.h>
#include <stdio.h>

#include "image/registry.h"

int remote_digest(const struct reference *ref, const struct platform *platform,
                  char digest[DIGEST_STRING_LEN + 1], struct error *err)
{
	struct registry *reg = NULL;
	if (registry_open(ref, &reg, err) < 0)
		return -1;
	const char *wanted = ref->digest ? ref->digest : ref->tag;
	struct registry_document doc = {0};
	struct manifest m = {0};
	int rc = -1;
	if (registry_get_manifest(reg, wanted, &doc, err) < 0)
		goto out;
	if (!platform) {
		snprintf(digest, DIGEST_STRING_LEN + 1, "%.*s", DIGEST_STRING_LEN, doc.digest);
		rc = 0;
		goto out;
	}
	if (manifest_parse(doc.body, doc.len, doc.content_type, &m, err) < 0) {
		error_prefix(err, "%s", wanted);
		goto out;
	}
	const struct descriptor *chosen = NULL;
	if (m.kind == MANIFEST_INDEX && manifest_select(&m, platform, &chosen, err) < 0)
		goto out;
	snprintf(digest, DIGEST_STRING_LEN + 1, "%.*s", DIGEST_STRING_LEN,
	         chosen ? chosen->digest : doc.digest);
	rc = 0;
out:
	manifest_free(&m);
	registry_document_free(&doc);
	registry_close(reg);
	return rc;
}
