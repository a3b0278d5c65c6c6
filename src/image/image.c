/* Opening a stored image for a start or a create: name lookup, manifest, config, layer dirs. */
#include "image/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define DOCUMENT_MAX (8 << 20)

int image_find(const struct store *st, const char *text, struct store_image *out, struct error *err)
{
	struct error first;
	if (store_lookup(st, text, out, &first) == 0)
		return 0;
	if (first.code != ENOENT) {
		*err = first;
		return -1;
	}
	char *names[2] = {NULL, NULL};
	size_t n = 0;
	if (reference_store_names(text, names, &n, err) < 0)
		return -1;
	int rc = -1;
	for (size_t i = 0; i < n && rc < 0; i++)
		if (store_lookup(st, names[i], out, err) == 0)
			rc = 0;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (rc < 0)
		error_set(err, ENOENT,
		          "no image '%s' in the store (see 'burrow images', or 'burrow pull %s')", text,
		          text);
	return rc;
}

char **image_layer_dirs(const struct store *st, char *const *diff_ids, struct error *err)
{
	size_t n = strv_len((char **)diff_ids);
	cleanup_strv char **dirs = calloc(n + 1, sizeof(char *));
	if (!dirs) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		dirs[n - 1 - i] = store_layer_path(st, diff_ids[i], err);
		if (!dirs[n - 1 - i]) {
			error_set(err, ENOENT, "layer %s is missing from the cache: pull the image again",
			          diff_ids[i]);
			return NULL;
		}
	}
	return steal_pointer(&dirs);
}

char **image_config_command(const struct image_config *config)
{
	cleanup_strv char **command = calloc(1, sizeof(char *));
	if (!command)
		return NULL;
	char **const parts[] = {config->entrypoint, config->cmd};
	for (size_t p = 0; p < 2; p++)
		for (size_t i = 0; parts[p] && parts[p][i]; i++)
			if (strv_push(&command, parts[p][i]) < 0)
				return NULL;
	return steal_pointer(&command);
}

static int read_manifest(const struct store *st, const char *digest, struct manifest *m, struct error *err)
{
	size_t len = 0;
	cleanup_free char *json = store_read_blob(st, digest, DOCUMENT_MAX, &len, err);
	if (!json || manifest_parse(json, len, NULL, m, err) < 0) {
		error_prefix(err, "manifest %s", digest);
		return -1;
	}
	if (m->kind != MANIFEST_IMAGE)
		return error_set(err, EINVAL, "manifest %s is an index, not an image", digest);
	return 0;
}

int image_open(const struct store *st, const char *text, struct image *img, struct error *err)
{
	memset(img, 0, sizeof(*img));
	struct store_image found = {0};
	struct manifest m = {0};
	int rc = -1;
	if (image_find(st, text, &found, err) < 0)
		return -1;
	img->name = steal_pointer(&found.name);
	img->digest = strdup(found.manifest.digest);
	store_image_free(&found);
	if (!img->name || !img->digest) {
		error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (read_manifest(st, img->digest, &m, err) < 0)
		goto out;
	img->config_json = store_read_blob(st, m.config.digest, DOCUMENT_MAX, &img->config_len, err);
	if (!img->config_json ||
	    image_config_parse(img->config_json, img->config_len, &img->config, err) < 0) {
		error_prefix(err, "config %s", m.config.digest);
		goto out;
	}
	img->layer_dirs = image_layer_dirs(st, img->config.diff_ids, err);
	if (!img->layer_dirs)
		goto out;
	img->command = image_config_command(&img->config);
	if (!img->command) {
		error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	manifest_free(&m);
	if (rc < 0) {
		if (img->name)
			error_prefix(err, "image %s", img->name);
		image_free(img);
	}
	return rc;
}

void image_free(struct image *img)
{
	free(img->name);
	free(img->digest);
	free(img->config_json);
	image_config_free(&img->config);
	strv_free(img->layer_dirs);
	strv_free(img->command);
	memset(img, 0, sizeof(*img));
}
