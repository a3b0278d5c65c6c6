/* Parsing and choosing an image's JSON documents: manifests, indexes (manifest lists), image configs, and the
 * platform an index entry is chosen by. Not fetching or storing them. */
#include "image/manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "image/digest.h"
#include "util/cleanup.h"
#include "util/strv.h"

/* Registries (distribution, Harbor, ECR) refuse manifests over 4 MiB; so do we, before parsing. */
#define MANIFEST_MAX_BYTES (4u << 20)
/* Configs carry history and labels and have no registry-wide cap; 8 MiB is far above any seen. */
#define CONFIG_MAX_BYTES (8u << 20)
#define MAX_ENTRIES      1000
/* Sizes above 2^53 lose precision in parsers that read JSON numbers as doubles (JavaScript, some Go code
 * paths): two tools would then disagree on a descriptor's size. */
#define SIZE_MAX_EXACT (INT64_C(1) << 53)
/* Text from the document is cut to this, and non-printable bytes replaced, in messages. */
#define SHOWN_MAX 80
#define SHOWN_BUF (SHOWN_MAX + 4)

#define MEDIA_OCI_LAYER_ND       "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define MEDIA_OCI_LAYER_ND_GZIP  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ND_ZSTD  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define MEDIA_DOCKER_SCHEMA1     "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_DOCKER_SCHEMA1_JWS "application/vnd.docker.distribution.manifest.v1+prettyjws"

#define SCHEMA1_MESSAGE                                                         \
	"Docker schema 1 manifest: not supported; push the image again with a " \
	"current docker or podman"

const char MANIFEST_ACCEPT[] =
        MEDIA_OCI_INDEX "," MEDIA_OCI_MANIFEST "," MEDIA_DOCKER_LIST "," MEDIA_DOCKER_MANIFEST;

static const char *const layer_types[] = {
        MEDIA_OCI_LAYER,         MEDIA_OCI_LAYER_GZIP,       MEDIA_OCI_LAYER_ZSTD,
        MEDIA_DOCKER_LAYER_GZIP, MEDIA_DOCKER_FOREIGN_LAYER, MEDIA_OCI_LAYER_ND,
        MEDIA_OCI_LAYER_ND_GZIP, MEDIA_OCI_LAYER_ND_ZSTD,
};

static void json_decref_p(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(json_decref_p)))

/* A hostile document must not put terminal escapes or a megabyte of text into a message. */
static const char *show(const char *in, char out[SHOWN_BUF])
{
	size_t i = 0;
	for (; in[i] && i < SHOWN_MAX; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	if (in[i])
		memcpy(out + i, "...", 4);
	else
		out[i] = '\0';
	return out;
}
#define SHOW(s) show((s), (char[SHOWN_BUF]){0})

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool is_index_type(const char *t)
{
	return strcmp(t, MEDIA_OCI_INDEX) == 0 || strcmp(t, MEDIA_DOCKER_LIST) == 0;
}

static bool is_image_type(const char *t)
{
	return strcmp(t, MEDIA_OCI_MANIFEST) == 0 || strcmp(t, MEDIA_DOCKER_MANIFEST) == 0;
}

static bool is_schema1_type(const char *t, size_t n)
{
	return (n == strlen(MEDIA_DOCKER_SCHEMA1) && strncasecmp(t, MEDIA_DOCKER_SCHEMA1, n) == 0) ||
	       (n == strlen(MEDIA_DOCKER_SCHEMA1_JWS) && strncasecmp(t, MEDIA_DOCKER_SCHEMA1_JWS, n) == 0);
}

static const char *kind_name(enum manifest_kind k)
{
	return k == MANIFEST_INDEX ? "an index" : "an image manifest";
}

static int dup_into(char **out, const char *s, struct error *err)
{
	*out = strdup(s);
	if (!*out)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* The value of key: NULL when absent or JSON null (both mean "not given"), else it must be a string. required
 * turns "not given" into an error. */
static int get_string(json_t *obj, const char *key, bool required, const char *where, const char **out,
                      struct error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return error_set(err, EINVAL, "%s: \"%s\" is missing", where, key);
		return 0;
	}
	if (!json_is_string(v))
		return error_set(err, EINVAL, "%s: \"%s\" is not a string", where, key);
	*out = json_string_value(v);
	return 0;
}

/* A required string that must not be empty either. */
static int required_string(json_t *obj, const char *key, const char *where, char **out, struct error *err)
{
	const char *s;
	if (get_string(obj, key, true, where, &s, err) < 0)
		return -1;
	if (!*s)
		return error_set(err, EINVAL, "%s: \"%s\" is empty", where, key);
	return dup_into(out, s, err);
}

/* An optional string where "" means "not set" (Docker writes WorkingDir "" and User ""): NULL. */
static int optional_nonempty(json_t *obj, const char *key, const char *where, char **out, struct error *err)
{
	const char *s;
	if (get_string(obj, key, false, where, &s, err) < 0)
		return -1;
	return s && *s ? dup_into(out, s, err) : 0;
}

/* An array of strings as a NULL-terminated vector: NULL when absent or null, an empty vector for []. Any
 * other type, or a non-string entry, is an error. */
static int string_array(json_t *obj, const char *key, const char *where, char ***out, struct error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return error_set(err, EINVAL, "%s.%s is not an array of strings", where, key);
	cleanup_strv char **vec = calloc(1, sizeof(char *));
	if (!vec)
		return error_set(err, ENOMEM, "out of memory");
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return error_set(err, EINVAL, "%s.%s[%zu] is not a string", where, key, i);
		if (strv_push(&vec, json_string_value(e)) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	*out = steal_pointer(&vec);
	return 0;
}

static void descriptor_free(struct descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	strv_free(d->urls);
	platform_free(&d->platform);
	memset(d, 0, sizeof(*d));
}

enum role {
	ROLE_CONFIG,
	ROLE_LAYER,
	ROLE_ENTRY
};

static int check_media_type(const char *type, enum role role, const char *where, struct error *err)
{
	switch (role) {
	case ROLE_CONFIG:
		if (strcmp(type, MEDIA_OCI_CONFIG) != 0 && strcmp(type, MEDIA_DOCKER_CONFIG) != 0)
			return error_set(
			        err, EINVAL,
			        "%s: media type \"%s\" is not an image config (want " MEDIA_OCI_CONFIG
			        " or " MEDIA_DOCKER_CONFIG
			        "); is this an artifact rather than a container image?",
			        where, SHOW(type));
		return 0;
	case ROLE_LAYER:
		if (!in_list(type, layer_types, sizeof(layer_types) / sizeof(layer_types[0])))
			return error_set(err, EINVAL,
			                 "%s: layer media type \"%s\" is not one burrow can unpack (OCI or "
			                 "Docker tar, tar+gzip, tar+zstd)",
			                 where, SHOW(type));
		return 0;
	case ROLE_ENTRY:
		/* Any type is kept: manifest_select only chooses image manifests, and an index may list other
		 * things (nested indexes, artifacts) beside them. */
		return 0;
	}
	return 0;
}

static int platform_from_json(json_t *j, const char *where, struct platform *p, struct error *err)
{
	char at[96];
	snprintf(at, sizeof(at), "%s.platform", where);
	if (!json_is_object(j))
		return error_set(err, EINVAL, "%s is not an object", at);
	if (required_string(j, "os", at, &p->os, err) < 0 ||
	    required_string(j, "architecture", at, &p->architecture, err) < 0 ||
	    optional_nonempty(j, "variant", at, &p->variant, err) < 0)
		return -1;
	return 0;
}

static int descriptor_parse(json_t *j, enum role role, const char *where, struct descriptor *d,
                            struct error *err)
{
	if (!json_is_object(j))
		return error_set(err, EINVAL, "%s is not an object", where);
	const char *media_type, *digest;
	if (get_string(j, "mediaType", true, where, &media_type, err) < 0 ||
	    check_media_type(media_type, role, where, err) < 0)
		return -1;
	if (get_string(j, "digest", true, where, &digest, err) < 0)
		return -1;
	if (!digest_valid(digest))
		return error_set(err, EINVAL,
		                 "%s: digest \"%s\" is not a valid sha256 digest (sha256: and 64 lowercase "
		                 "hex digits)",
		                 where, SHOW(digest));
	json_t *size = json_object_get(j, "size");
	if (!size)
		return error_set(err, EINVAL, "%s: \"size\" is missing", where);
	if (!json_is_integer(size))
		return error_set(err, EINVAL, "%s: \"size\" is not an integer", where);
	json_int_t n = json_integer_value(size);
	if (n < 0)
		return error_set(err, EINVAL, "%s: size %" JSON_INTEGER_FORMAT " is negative", where, n);
	if (n > SIZE_MAX_EXACT)
		return error_set(err, EINVAL, "%s: size %" JSON_INTEGER_FORMAT " is larger than 2^53", where,
		                 n);
	d->size = (int64_t)n;
	if (dup_into(&d->media_type, media_type, err) < 0 || dup_into(&d->digest, digest, err) < 0)
		return -1;
	if (string_array(j, "urls", where, &d->urls, err) < 0)
		return -1;
	if (d->urls && !d->urls[0]) {
		free(d->urls); /* an empty list is no list */
		d->urls = NULL;
	}
	/* The OCI spec makes an index entry's platform optional (an image layout's index.json has none); an
	 * entry without one is kept and never chosen. */
	json_t *platform = json_object_get(j, "platform");
	if (role == ROLE_ENTRY && platform && !json_is_null(platform))
		return platform_from_json(platform, where, &d->platform, err);
	return 0;
}

/* The media type named by an HTTP Content-Type, as one of our constants, or NULL when it is not a manifest
 * type (application/json, text/plain, ...). Parameters are ignored. */
static const char *content_type_known(const char *content_type, bool *schema1)
{
	static const char *const known[] = {MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, MEDIA_DOCKER_LIST,
	                                    MEDIA_DOCKER_MANIFEST};
	*schema1 = false;
	if (!content_type)
		return NULL;
	const char *s = content_type + strspn(content_type, " \t");
	size_t n = strcspn(s, ";");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*schema1 = is_schema1_type(s, n);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == n && strncasecmp(s, known[i], n) == 0)
			return known[i];
	return NULL;
}

static json_t *load(const char *json, size_t len, size_t max, const char *what, struct error *err)
{
	if (!json) {
		error_set(err, EINVAL, "%s: no document", what);
		return NULL;
	}
	if (len > max) {
		error_set(err, EFBIG, "%s is %zu bytes, more than the %zu MiB allowed; refusing it", what,
		          len, (size_t)(max >> 20));
		return NULL;
	}
	json_error_t jerr;
	/* Duplicate keys are refused: two parsers that keep different copies of a key are how
	 * parser-differential attacks slip one document past a check and another into use. */
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		error_set(err, EINVAL, "%s is not valid JSON: %s (line %d, column %d)", what, SHOW(jerr.text),
		          jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		error_set(err, EINVAL, "%s is not a JSON object", what);
		return NULL;
	}
	return root;
}

static int parse_entries(json_t *array, enum role role, const char *where, struct descriptor **out,
                         size_t *n_out, struct error *err)
{
	if (!json_is_array(array))
		return error_set(err, EINVAL, "%s is not an array", where);
	size_t n = json_array_size(array);
	if (n > MAX_ENTRIES)
		return error_set(err, E2BIG, "%s has %zu entries; at most %d are allowed", where, n,
		                 MAX_ENTRIES);
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return error_set(err, ENOMEM, "out of memory");
	*n_out = n;
	for (size_t i = 0; i < n; i++) {
		char at[64];
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (descriptor_parse(json_array_get(array, i), role, at, &(*out)[i], err) < 0)
			return -1;
	}
	return 0;
}

static int manifest_parse_root(json_t *root, const char *content_type, struct manifest *m, struct error *err)
{
	bool ct_schema1;
	const char *ct = content_type_known(content_type, &ct_schema1);
	if (ct_schema1)
		return error_set(err, ENOTSUP, SCHEMA1_MESSAGE);

	const char *doc_type;
	if (get_string(root, "mediaType", false, "manifest", &doc_type, err) < 0)
		return -1;
	if (doc_type && is_schema1_type(doc_type, strlen(doc_type)))
		return error_set(err, ENOTSUP, SCHEMA1_MESSAGE);
	json_t *schema = json_object_get(root, "schemaVersion");
	if (!schema)
		return error_set(err, EINVAL, "manifest: \"schemaVersion\" is missing");
	if (!json_is_integer(schema))
		return error_set(err, EINVAL, "manifest: \"schemaVersion\" is not an integer");
	if (json_integer_value(schema) == 1)
		return error_set(err, ENOTSUP, SCHEMA1_MESSAGE);
	if (json_integer_value(schema) != 2)
		return error_set(err, EINVAL,
		                 "manifest: schemaVersion %" JSON_INTEGER_FORMAT " is not supported (want 2)",
		                 json_integer_value(schema));

	/* The shape decides the kind; the declared types may only confirm it. */
	json_t *manifests = json_object_get(root, "manifests");
	json_t *layers = json_object_get(root, "layers");
	json_t *config = json_object_get(root, "config");
	if (manifests && (layers || config))
		return error_set(err, EINVAL,
		                 "manifest is ambiguous: it has both \"manifests\" (an index) and \"%s\" (an "
		                 "image manifest)",
		                 layers ? "layers" : "config");
	if (manifests)
		m->kind = MANIFEST_INDEX;
	else if (layers && config)
		m->kind = MANIFEST_IMAGE;
	else if (layers || config)
		return error_set(err, EINVAL, "manifest has \"%s\" but no \"%s\"",
		                 layers ? "layers" : "config", layers ? "config" : "layers");
	else
		return error_set(err, EINVAL,
		                 "document is not a manifest or index: it has neither \"manifests\" nor "
		                 "\"layers\" and \"config\"");

	if (doc_type) {
		if (!is_index_type(doc_type) && !is_image_type(doc_type))
			return error_set(err, EINVAL,
			                 "manifest: mediaType \"%s\" is not a manifest or index type",
			                 SHOW(doc_type));
		enum manifest_kind declared = is_index_type(doc_type) ? MANIFEST_INDEX : MANIFEST_IMAGE;
		if (declared != m->kind)
			return error_set(err, EINVAL,
			                 "manifest: mediaType \"%s\" says %s but the document is %s",
			                 doc_type, kind_name(declared), kind_name(m->kind));
	}
	if (ct) {
		enum manifest_kind declared = is_index_type(ct) ? MANIFEST_INDEX : MANIFEST_IMAGE;
		if (doc_type && strcmp(ct, doc_type) != 0)
			return error_set(
			        err, EINVAL,
			        "manifest: Content-Type \"%s\" contradicts the document's mediaType \"%s\"",
			        ct, doc_type);
		if (declared != m->kind)
			return error_set(err, EINVAL,
			                 "manifest: Content-Type \"%s\" says %s but the document is %s", ct,
			                 kind_name(declared), kind_name(m->kind));
	}

	if (m->kind == MANIFEST_INDEX) {
		if (parse_entries(manifests, ROLE_ENTRY, "index manifests", &m->manifests, &m->n_manifests,
		                  err) < 0)
			return -1;
	} else {
		if (descriptor_parse(config, ROLE_CONFIG, "manifest config", &m->config, err) < 0 ||
		    parse_entries(layers, ROLE_LAYER, "manifest layers", &m->layers, &m->n_layers, err) < 0)
			return -1;
	}

	/* Without a declared type the shape, and for an image its config's type, names it. */
	const char *type = doc_type ? doc_type : ct;
	if (!type && m->kind == MANIFEST_INDEX)
		type = MEDIA_OCI_INDEX;
	else if (!type)
		type = strcmp(m->config.media_type, MEDIA_DOCKER_CONFIG) == 0 ? MEDIA_DOCKER_MANIFEST
		                                                              : MEDIA_OCI_MANIFEST;
	return dup_into(&m->media_type, type, err);
}

int manifest_parse(const char *json, size_t len, const char *content_type, struct manifest *m,
                   struct error *err)
{
	memset(m, 0, sizeof(*m));
	cleanup_json json_t *root = load(json, len, MANIFEST_MAX_BYTES, "manifest", err);
	if (!root)
		return -1;
	if (manifest_parse_root(root, content_type, m, err) < 0) {
		manifest_free(m);
		return -1;
	}
	return 0;
}

void manifest_free(struct manifest *m)
{
	free(m->media_type);
	descriptor_free(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_free(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		descriptor_free(&m->manifests[i]);
	free(m->manifests);
	memset(m, 0, sizeof(*m));
}

/* uname's machine names to Go's GOARCH (and GOARM) names, which images are tagged with. */
static const struct {
	const char *machine, *architecture, *variant;
} host_arches[] = {
        {"x86_64", "amd64", NULL},
        {"amd64", "amd64", NULL},
        {"aarch64", "arm64", "v8"},
        {"arm64", "arm64", "v8"},
        {"armv7l", "arm", "v7"},
        {"armv6l", "arm", "v6"},
        {"armv5tel", "arm", "v5"},
        {"ppc64le", "ppc64le", NULL},
        {"s390x", "s390x", NULL},
        {"riscv64", "riscv64", NULL},
        {"i686", "386", NULL},
        {"i586", "386", NULL},
        {"i486", "386", NULL},
        {"i386", "386", NULL},
        {"loongarch64", "loong64", NULL},
        /* A 32-bit userland on a 64-bit ARM core: v7 code runs there, and v8 images of arm are rare. */
        {"armv8l", "arm", "v7"},
};

void platform_host(struct platform *p)
{
	memset(p, 0, sizeof(*p));
	struct utsname u;
	const char *arch = "unknown", *variant = NULL;
	if (uname(&u) == 0) {
		arch = u.machine;
		for (size_t i = 0; i < sizeof(host_arches) / sizeof(host_arches[0]); i++) {
			if (strcmp(u.machine, host_arches[i].machine) == 0) {
				arch = host_arches[i].architecture;
				variant = host_arches[i].variant;
				break;
			}
		}
	}
	/* On memory exhaustion a field stays NULL; manifest_select then refuses the platform. */
	p->os = strdup("linux");
	p->architecture = strdup(arch);
	p->variant = variant ? strdup(variant) : NULL;
}

static bool platform_part_valid(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int platform_parse(const char *text, struct platform *p, struct error *err)
{
	memset(p, 0, sizeof(*p));
	if (!text || !*text)
		return error_set(err, EINVAL, "platform is empty; write OS/ARCH[/VARIANT], e.g. linux/arm64");
	const char *parts[3];
	size_t lens[3], n = 0;
	for (const char *s = text;; n++) {
		size_t l = strcspn(s, "/");
		if (n == 3)
			return error_set(err, EINVAL,
			                 "platform \"%s\" has more than three parts; write "
			                 "OS/ARCH[/VARIANT], e.g. linux/arm64/v8",
			                 SHOW(text));
		if (!platform_part_valid(s, l))
			return error_set(err, EINVAL,
			                 "platform \"%s\" has an empty or invalid part; write "
			                 "OS/ARCH[/VARIANT], e.g. linux/arm64",
			                 SHOW(text));
		parts[n] = s;
		lens[n] = l;
		if (!s[l]) {
			n++;
			break;
		}
		s += l + 1;
	}
	size_t a = n == 1 ? 0 : 1;
	p->os = n == 1 ? strdup("linux") : strndup(parts[0], lens[0]);
	/* The names uname and distributions use are accepted for Go's. */
	if (lens[a] == 6 && strncmp(parts[a], "x86_64", 6) == 0)
		p->architecture = strdup("amd64");
	else if (lens[a] == 7 && strncmp(parts[a], "aarch64", 7) == 0)
		p->architecture = strdup("arm64");
	else
		p->architecture = strndup(parts[a], lens[a]);
	if (n == 3)
		p->variant = strndup(parts[2], lens[2]);
	if (!p->os || !p->architecture || (n == 3 && !p->variant)) {
		platform_free(p);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

void platform_free(struct platform *p)
{
	free(p->os);
	free(p->architecture);
	free(p->variant);
	memset(p, 0, sizeof(*p));
}

/* arm64 images that name no variant are v8: that is the only arm64 there was until v9. */
static const char *variant_of(const struct platform *p)
{
	if (p->variant)
		return p->variant;
	if (strcmp(p->architecture, "arm64") == 0)
		return "v8";
	return NULL;
}

/* Entries a platform can be chosen from: image manifests with a platform, not the attestation manifests (os
 * "unknown") that buildx adds beside them. */
static bool selectable(const struct descriptor *d)
{
	return d->platform.os && d->platform.architecture && strcmp(d->platform.os, "unknown") != 0 &&
	       is_image_type(d->media_type);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_platform(const struct platform *a, const struct platform *b)
{
	return same_str(a->os, b->os) && same_str(a->architecture, b->architecture) &&
	       same_str(a->variant, b->variant);
}

static void append(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n >= cap)
		n = cap - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

static void platform_text(const struct platform *p, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	append(buf, cap, &len, SHOW(p->os));
	append(buf, cap, &len, "/");
	append(buf, cap, &len, SHOW(p->architecture));
	if (p->variant) {
		append(buf, cap, &len, "/");
		append(buf, cap, &len, SHOW(p->variant));
	}
}

int manifest_select(const struct manifest *index, const struct platform *want, const struct descriptor **out,
                    struct error *err)
{
	*out = NULL;
	if (index->kind != MANIFEST_INDEX)
		return error_set(err, EINVAL,
		                 "manifest_select: the document is an image manifest, not an index");
	if (!want->os || !want->architecture)
		return error_set(err, EINVAL, "manifest_select: no platform to choose");
	for (size_t i = 0; i < index->n_manifests; i++) {
		const struct descriptor *d = &index->manifests[i];
		if (!selectable(d) || strcmp(d->platform.os, want->os) != 0 ||
		    strcmp(d->platform.architecture, want->architecture) != 0)
			continue;
		if (want->variant && !same_str(variant_of(&d->platform), variant_of(want)))
			continue;
		*out = d;
		return 0;
	}

	char offered[ERROR_MSG_MAX] = "", one[3 * SHOWN_BUF];
	size_t len = 0;
	for (size_t i = 0; i < index->n_manifests; i++) {
		const struct descriptor *d = &index->manifests[i];
		if (!selectable(d))
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = selectable(&index->manifests[k]) &&
			       same_platform(&index->manifests[k].platform, &d->platform);
		if (seen)
			continue;
		platform_text(&d->platform, one, sizeof(one));
		if (len)
			append(offered, sizeof(offered), &len, ", ");
		append(offered, sizeof(offered), &len, one);
	}
	platform_text(want, one, sizeof(one));
	return error_set(err, ENOENT, "no %s image in the index; it has: %s", one,
	                 len ? offered : "no platform images");
}

static int label_compare(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t kx = strcspn(x, "="), ky = strcspn(y, "=");
	int r = memcmp(x, y, kx < ky ? kx : ky);
	if (r)
		return r;
	return kx < ky ? -1 : kx > ky;
}

static int labels_parse(json_t *cfg, char ***out, struct error *err)
{
	json_t *labels = json_object_get(cfg, "Labels");
	if (!labels || json_is_null(labels))
		return 0;
	if (!json_is_object(labels))
		return error_set(err, EINVAL, "image config: config.Labels is not an object");
	cleanup_strv char **vec = calloc(1, sizeof(char *));
	if (!vec)
		return error_set(err, ENOMEM, "out of memory");
	const char *key;
	json_t *value;
	json_object_foreach(labels, key, value)
	{
		/* "KEY=VALUE" must split back into the same key. */
		if (!*key || strchr(key, '='))
			return error_set(err, EINVAL,
			                 "image config: label name \"%s\" is empty or contains '='",
			                 SHOW(key));
		if (!json_is_string(value))
			return error_set(err, EINVAL, "image config: label \"%s\" is not a string",
			                 SHOW(key));
		char *entry;
		if (asprintf(&entry, "%s=%s", key, json_string_value(value)) < 0 ||
		    strv_push_owned(&vec, entry) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	qsort(vec, strv_len(vec), sizeof(char *), label_compare);
	*out = steal_pointer(&vec);
	return 0;
}

static int rootfs_parse(json_t *root, struct image_config *c, struct error *err)
{
	json_t *rootfs = json_object_get(root, "rootfs");
	if (!rootfs || json_is_null(rootfs))
		return 0;
	if (!json_is_object(rootfs))
		return error_set(err, EINVAL, "image config: rootfs is not an object");
	const char *type;
	if (get_string(rootfs, "type", true, "image config: rootfs", &type, err) < 0)
		return -1;
	if (strcmp(type, "layers") != 0)
		return error_set(err, EINVAL, "image config: rootfs.type is \"%s\", want \"layers\"",
		                 SHOW(type));
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids))
		return error_set(err, EINVAL, "image config: rootfs.diff_ids is missing or not an array");
	size_t n = json_array_size(ids);
	if (n > MAX_ENTRIES)
		return error_set(err, E2BIG,
		                 "image config: rootfs.diff_ids has %zu entries; at most %d are allowed", n,
		                 MAX_ENTRIES);
	c->diff_ids = calloc(n + 1, sizeof(char *));
	if (!c->diff_ids)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		if (!id)
			return error_set(err, EINVAL, "image config: rootfs.diff_ids[%zu] is not a string",
			                 i);
		if (!digest_valid(id))
			return error_set(
			        err, EINVAL,
			        "image config: rootfs.diff_ids[%zu] \"%s\" is not a valid sha256 digest", i,
			        SHOW(id));
		if (dup_into(&c->diff_ids[i], id, err) < 0)
			return -1;
		c->n_diff_ids = i + 1;
	}
	return 0;
}

static int image_config_parse_root(json_t *root, struct image_config *c, struct error *err)
{
	const char *where = "image config";
	if (optional_nonempty(root, "os", where, &c->platform.os, err) < 0 ||
	    optional_nonempty(root, "architecture", where, &c->platform.architecture, err) < 0 ||
	    optional_nonempty(root, "variant", where, &c->platform.variant, err) < 0)
		return -1;
	json_t *cfg = json_object_get(root, "config");
	if (cfg && !json_is_null(cfg)) {
		where = "image config: config";
		if (!json_is_object(cfg))
			return error_set(err, EINVAL, "image config: \"config\" is not an object");
		if (string_array(cfg, "Env", "image config: config", &c->env, err) < 0 ||
		    string_array(cfg, "Entrypoint", "image config: config", &c->entrypoint, err) < 0 ||
		    string_array(cfg, "Cmd", "image config: config", &c->cmd, err) < 0 ||
		    optional_nonempty(cfg, "WorkingDir", where, &c->working_dir, err) < 0 ||
		    optional_nonempty(cfg, "User", where, &c->user, err) < 0 ||
		    labels_parse(cfg, &c->labels, err) < 0)
			return -1;
	}
	return rootfs_parse(root, c, err);
}

int image_config_parse(const char *json, size_t len, struct image_config *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	cleanup_json json_t *root = load(json, len, CONFIG_MAX_BYTES, "image config", err);
	if (!root)
		return -1;
	if (image_config_parse_root(root, c, err) < 0) {
		image_config_free(c);
		return -1;
	}
	return 0;
}

void image_config_free(struct image_config *c)
{
	strv_free(c->env);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	free(c->working_dir);
	free(c->user);
	strv_free(c->labels);
	platform_free(&c->platform);
	for (size_t i = 0; i < c->n_diff_ids; i++)
		free(c->diff_ids[i]);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}
