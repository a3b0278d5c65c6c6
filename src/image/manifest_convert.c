/* Docker schema 2 image manifests rewritten with OCI media types, so that the store is an OCI
 * image layout other tools read whole (skopeo's and umoci's oci: transports find OCI manifests
 * only). The config and layer blobs are the same bytes: only the manifest changes. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"

static const char *const layer_types[][2] = {
        {MEDIA_DOCKER_LAYER_GZIP, MEDIA_OCI_LAYER_GZIP},
        {"application/vnd.docker.image.rootfs.diff.tar", MEDIA_OCI_LAYER},
        {MEDIA_DOCKER_FOREIGN_LAYER, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
};

static int set_type(json_t *object, const char *type)
{
	return json_object_set_new(object, "mediaType", json_string(type));
}

char *manifest_docker_to_oci(const char *json, size_t len, size_t *out_len, struct error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	char *out = NULL;
	json_t *config = doc ? json_object_get(doc, "config") : NULL;
	json_t *layers = doc ? json_object_get(doc, "layers") : NULL;
	const char *type = doc ? json_string_value(json_object_get(doc, "mediaType")) : NULL;
	if (!json_is_object(config) || !json_is_array(layers) || !type ||
	    strcmp(type, MEDIA_DOCKER_MANIFEST) != 0) {
		error_set(err, EINVAL, "not a Docker schema 2 image manifest");
		goto out;
	}
	if (set_type(doc, MEDIA_OCI_MANIFEST) < 0 || set_type(config, MEDIA_OCI_CONFIG) < 0)
		goto nomem;
	size_t i;
	json_t *layer;
	json_array_foreach(layers, i, layer)
	{
		const char *from = json_string_value(json_object_get(layer, "mediaType"));
		size_t t = 0;
		while (from && t < sizeof(layer_types) / sizeof(layer_types[0]) &&
		       strcmp(from, layer_types[t][0]) != 0)
			t++;
		if (!from || t == sizeof(layer_types) / sizeof(layer_types[0])) {
			error_set(err, EINVAL, "layer %zu has media type %s, which OCI has no name for", i,
			          from ? from : "(none)");
			goto out;
		}
		if (set_type(layer, layer_types[t][1]) < 0)
			goto nomem;
	}
	out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!out)
		goto nomem;
	*out_len = strlen(out);
	goto out;
nomem:
	error_set(err, ENOMEM, "out of memory");
out:
	json_decref(doc);
	return out;
}
