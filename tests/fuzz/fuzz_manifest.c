/* Fuzz harness: arbitrary bytes as a manifest or index, read with no Content-Type or with one chosen by the
 * first byte. Checks what a parse promises, then platform choice on an index. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/manifest.h"

static const char *const content_types[] = {
        NULL,
        MEDIA_OCI_INDEX,
        MEDIA_OCI_MANIFEST,
        MEDIA_DOCKER_LIST,
        MEDIA_DOCKER_MANIFEST,
        "application/json",
        MEDIA_DOCKER_MANIFEST "; charset=utf-8",
};
/* The known type each Content-Type above names, or NULL. */
static const char *const named_types[] = {
        NULL, MEDIA_OCI_INDEX,       MEDIA_OCI_MANIFEST, MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST,
        NULL, MEDIA_DOCKER_MANIFEST,
};

static const char *const layer_types[] = {
        MEDIA_OCI_LAYER,
        MEDIA_OCI_LAYER_GZIP,
        MEDIA_OCI_LAYER_ZSTD,
        MEDIA_DOCKER_LAYER_GZIP,
        MEDIA_DOCKER_FOREIGN_LAYER,
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
};

static bool is(const char *s, const char *a, const char *b)
{
	return s && (strcmp(s, a) == 0 || strcmp(s, b) == 0);
}

static void check_descriptor(const struct descriptor *d, bool in_index)
{
	if (!d->media_type || !digest_valid(d->digest) || d->size < 0 || d->size > (INT64_C(1) << 53))
		abort();
	if (d->urls) {
		if (!d->urls[0])
			abort(); /* an empty list is NULL */
		for (char **u = d->urls; *u; u++)
			(void)strlen(*u);
	}
	const struct platform *p = &d->platform;
	if (!in_index && (p->os || p->architecture || p->variant))
		abort();
	if (!p->os != !p->architecture || (p->variant && !p->os))
		abort();
	if ((p->os && !*p->os) || (p->architecture && !*p->architecture) || (p->variant && !*p->variant))
		abort();
}

static void check_manifest(const struct manifest *m, const char *named)
{
	if (!m->media_type)
		abort();
	if (named && strcmp(named, m->media_type) != 0)
		abort();
	if (m->kind == MANIFEST_INDEX) {
		if (!is(m->media_type, MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST) || m->n_manifests > 1000 ||
		    !m->n_manifests != !m->manifests || m->layers || m->n_layers || m->config.digest)
			abort();
		for (size_t i = 0; i < m->n_manifests; i++)
			check_descriptor(&m->manifests[i], true);
		return;
	}
	if (m->kind != MANIFEST_IMAGE || !is(m->media_type, MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST) ||
	    m->n_layers > 1000 || !m->n_layers != !m->layers || m->manifests || m->n_manifests)
		abort();
	check_descriptor(&m->config, false);
	if (!is(m->config.media_type, MEDIA_OCI_CONFIG, MEDIA_DOCKER_CONFIG))
		abort();
	for (size_t i = 0; i < m->n_layers; i++) {
		check_descriptor(&m->layers[i], false);
		bool known = false;
		for (size_t k = 0; k < sizeof(layer_types) / sizeof(layer_types[0]); k++)
			known |= strcmp(m->layers[i].media_type, layer_types[k]) == 0;
		if (!known)
			abort();
	}
}

static void check_select(const struct manifest *m, const struct platform *want)
{
	const struct descriptor *d = NULL;
	struct error err = {0};
	if (manifest_select(m, want, &d, &err) == 0) {
		if (!d || d < m->manifests || d >= m->manifests + m->n_manifests)
			abort();
		if (strcmp(d->platform.os, want->os) != 0 ||
		    strcmp(d->platform.architecture, want->architecture) != 0 ||
		    !is(d->media_type, MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST))
			abort();
		if (want->variant && d->platform.variant && strcmp(want->variant, d->platform.variant) != 0)
			abort();
	} else if (d || strncmp(err.msg, "no ", 3) != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct platform host, arm64 = {"linux", "arm64", NULL}, armv7 = {"linux", "arm", "v7"};
	if (!host.os)
		platform_host(&host);
	if (size < 1)
		return 0;
	size_t pick = data[0] % (sizeof(content_types) / sizeof(content_types[0]));
	/* An exact-size copy, so a read past the end is caught. */
	char *doc = malloc(size - 1 ? size - 1 : 1);
	if (!doc)
		return 0;
	memcpy(doc, data + 1, size - 1);

	struct manifest m;
	struct error err = {0};
	if (manifest_parse(doc, size - 1, content_types[pick], &m, &err) == 0) {
		check_manifest(&m, named_types[pick]);
		if (m.kind == MANIFEST_INDEX) {
			check_select(&m, &host);
			check_select(&m, &arm64);
			check_select(&m, &armv7);
		}
		manifest_free(&m);
	} else if (!err.msg[0] || m.media_type || m.layers || m.manifests || m.config.digest) {
		abort();
	}
	free(doc);
	return 0;
}
