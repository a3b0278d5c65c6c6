/* burrow inspect REF: an image in the store as JSON: its name, manifest digest, manifest and
 * config, as stored (both verified against their digests on the way). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "image/image.h"
#include "image/manifest.h"
#include "image/store.h"
#include "util/cleanup.h"

#define DOCUMENT_MAX (8 << 20)

/* A stored blob as JSON; NULL with err. */
static json_t *load_blob(const struct store *st, const char *digest, const char *what, struct error *err)
{
	size_t len = 0;
	cleanup_free char *text = store_read_blob(st, digest, DOCUMENT_MAX, &len, err);
	if (!text) {
		error_prefix(err, "%s %s", what, digest);
		return NULL;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	if (!doc)
		error_set(err, EINVAL, "%s %s: not JSON: %s", what, digest, jerr.text);
	return doc;
}

/* {"name", "digest", "manifest", "config"}; config is null for an index. */
static json_t *describe(const struct store *st, const struct store_image *img, struct error *err)
{
	const char *digest = img->manifest.digest;
	size_t len = 0;
	cleanup_free char *text = store_read_blob(st, digest, DOCUMENT_MAX, &len, err);
	struct manifest m = {0};
	if (!text || manifest_parse(text, len, NULL, &m, err) < 0) {
		error_prefix(err, "manifest %s", digest);
		return NULL;
	}
	json_error_t jerr;
	json_t *manifest = json_loadb(text, len, 0, &jerr);
	if (!manifest)
		error_set(err, EINVAL, "manifest %s: not JSON: %s", digest, jerr.text);
	json_t *config = json_null();
	if (manifest && m.kind == MANIFEST_IMAGE) {
		json_decref(config);
		config = load_blob(st, m.config.digest, "config", err);
	}
	manifest_free(&m);
	if (!manifest || !config) {
		json_decref(manifest);
		json_decref(config);
		return NULL;
	}
	json_t *out = json_pack("{s:s, s:s, s:o, s:o}", "name", img->name, "digest", digest, "manifest",
	                        manifest, "config", config);
	if (!out)
		error_set(err, ENOMEM, "out of memory");
	return out;
}

int cmd_inspect(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: burrow inspect IMAGE\n\n"
		       "Print an image in the store as JSON: {\"name\", \"digest\", \"manifest\", "
		       "\"config\"}.\n"
		       "IMAGE is a name as 'burrow images' lists it, a short form of one "
		       "(busybox for\n"
		       "docker.io/library/busybox:latest) or a manifest digest.\n");
		return 0;
	}
	if (argc != 2)
		return cli_usage_error("inspect", "expected one IMAGE");
	struct error err;
	error_clear(&err);
	struct store st = {.fd = -1};
	struct store_image img = {0};
	json_t *doc = NULL;
	if (cli_open_store(&st, &err) == 0 && image_find(&st, argv[1], &img, &err) == 0)
		doc = describe(&st, &img, &err);
	cleanup_free char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	if (doc && !text)
		error_set(&err, ENOMEM, "out of memory");
	if (text)
		printf("%s\n", text);
	else
		cli_report(&err);
	json_decref(doc);
	store_image_free(&img);
	store_close(&st);
	return text ? 0 : 1;
}
