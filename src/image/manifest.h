/* The JSON documents of an image (OCI image-spec 1.x and Docker's v2 schema 2): indexes and
 * manifest lists, manifests, and image configs. Parsing and choosing only; no I/O. Every digest
 * is checked with digest_valid before it is kept. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define MEDIA_OCI_INDEX            "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST         "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_CONFIG           "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER            "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP       "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD       "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_LIST          "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST      "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_CONFIG        "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER_GZIP    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_DOCKER_FOREIGN_LAYER "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* The Accept header a client sends for manifests: every type above that parse takes. */
extern const char MANIFEST_ACCEPT[];

struct platform {
	char *os, *architecture, *variant; /* variant may be NULL */
};

struct descriptor {
	char *media_type;
	char *digest;
	int64_t size;
	char **urls;              /* foreign layers: NULL-terminated, or NULL */
	struct platform platform; /* in an index; all NULL elsewhere and in entries that give none */
};

enum manifest_kind {
	MANIFEST_IMAGE,
	MANIFEST_INDEX
};

struct manifest {
	enum manifest_kind kind;
	char *media_type;
	/* MANIFEST_IMAGE */
	struct descriptor config;
	struct descriptor *layers;
	size_t n_layers;
	/* MANIFEST_INDEX */
	struct descriptor *manifests;
	size_t n_manifests;
};

/* Parse a manifest or index. content_type is the HTTP Content-Type (or NULL when read from the
 * store); it, the document's own mediaType, and its shape must agree: a document with both
 * "layers" and "manifests", a mediaType that contradicts content_type, Docker schema 1 (refused
 * with a message saying to re-push the image with a current client), or an unknown layer media
 * type are errors. Caps: at most 1000 layers or manifests. */
int manifest_parse(const char *json, size_t len, const char *content_type, struct manifest *m,
                   struct error *err);
void manifest_free(struct manifest *m);

/* A Docker schema 2 image manifest with OCI media types (manifest, config, layers), the rest
 * unchanged (manifest_convert.c). Returns malloc'd compact JSON, or NULL with err (EINVAL when
 * json is no Docker schema 2 manifest or holds a layer type OCI has no name for). */
char *manifest_docker_to_oci(const char *json, size_t len, size_t *out_len, struct error *err);

/* The host's platform (os "linux", architecture in Go's names: amd64, arm64, ppc64le, ...,
 * variant for arm). */
void platform_host(struct platform *p);
/* Parse "OS/ARCH[/VARIANT]" or "ARCH" (os linux). */
int platform_parse(const char *text, struct platform *p, struct error *err);
void platform_free(struct platform *p);

/* Choose the manifest for want from an index: exact os/architecture, then variant (a missing
 * variant in want matches the index's first entry for that architecture; arm64 defaults to v8).
 * Only image manifests with a platform are candidates: attestation entries (os "unknown") and
 * nested indexes are skipped. The error lists the platforms the index offers. */
int manifest_select(const struct manifest *index, const struct platform *want, const struct descriptor **out,
                    struct error *err);

struct image_config {
	char **env;               /* NULL-terminated; NULL when absent or null, empty for [] */
	char **entrypoint;        /* NULL-terminated; NULL when absent or null, empty for [] */
	char **cmd;               /* NULL-terminated; NULL when absent or null, empty for [] */
	char *working_dir;        /* NULL when absent or "" */
	char *user;               /* NULL when absent or "" */
	char **labels;            /* "KEY=VALUE" sorted by KEY, NULL-terminated; NULL when absent */
	struct platform platform; /* each NULL when absent or "" */
	char **diff_ids; /* rootfs.diff_ids, each digest_valid, NULL-terminated; NULL without rootfs */
	size_t n_diff_ids;
};

/* Parse an image config (OCI or Docker). */
int image_config_parse(const char *json, size_t len, struct image_config *c, struct error *err);
void image_config_free(struct image_config *c);
