/* Unit tests for image documents (src/image/manifest.c): manifests, indexes and configs shaped as
 * registries serve them, every refusal, and platform choice. Not fetching or storing them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <cmocka.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "util/strv.h"

/* Digests as registries print them; each is the sha256 of a short name, so all are valid. */
#define D_AMD64   "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51"
#define D_ARM64   "sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265"
#define D_PPC64LE "sha256:c92bb5907722b7ac701cea3606df516f5fe98c9f8380063df2d17d7d5db0bd05"
#define D_ATTEST  "sha256:f745a15153c4dacf0ea4bbf57265e73283941f8335939b33c693975315cf5916"
#define D_L_AMD64 "sha256:80adbf1817db69ffe83c35b6df2f28642da7cfadda996caced4225a9951c55a3"
#define D_L_ARM5  "sha256:d1a23206c017e29690ef6a0ff703d821e2dbb7ac50ad9ab226015d17515dd126"
#define D_L_ARM7  "sha256:d55c699b182ed15f2db5168f0b4715c2ca3a0f345ea14baa66c496b465e7cfbb"
#define D_L_ARM64 "sha256:19b60f5f3705977be4770ebf00e5c551e030d55c2a46b5784b7262ea3f889139"
#define D_L_386   "sha256:c1616684eaf9c2fbcd2fbd9276d3dc25ea4445524dfefe1d912679aa897c60a3"
#define D_L_S390X "sha256:69208c3a34478da6173382033dda5ce83d3d0f06ad40abcb0cdbb6c1a58ae134"
#define D_CFG     "sha256:e67d23e7820c49a8051dac2831f38290f5e72f66c8db5079eeb60d82f14894c0"
#define D_L1      "sha256:dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa0"
#define D_L2      "sha256:d76354d8457898445bb69e0dc0dc95fb74cc3cf334f8c1859162a16ad0041f8d"
#define D_L3      "sha256:842983de8fb1d277a3fad5c8295c7a14317c458718a10c5a35b23e7f992a5c80"
#define D_L4      "sha256:4a5a97c6433c4c062457e9335709d57493e75527809d8a9586c141e591ac9f2c"
#define D_DCFG    "sha256:25d7348770f85599630634c25c9d0f82c542d477aba54799e167862b075edcaf"
#define D_F1      "sha256:deae2d4d75857c1081f113bcfc950dca567dd5a2e14e6ac8fb8e5785ff4dd5ec"
#define D_D2      "sha256:2265f5336d7b6037b5b75ace727a6c482c37ae963dad3bd8eff402314e8548ab"
#define D_PARENT  "sha256:e47125968b3b71049fbc4802d1e40a71ea1359decfabacf70b34588037d4ff0c"
#define D_DIFF1   "sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665"
#define D_DIFF2   "sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9"
#define D_ONLY    "sha256:f905b19542ed08c9a9c26543cca32e5711d207dcffb81b4cdb44ce0b989431c9"

static const char OCI_INDEX[] =
        "{"
        " \"schemaVersion\":2,"
        " \"mediaType\":\"" MEDIA_OCI_INDEX "\","
        " \"manifests\":["
        "  {"
        "   \"mediaType\":\"" MEDIA_OCI_MANIFEST "\","
        "   \"digest\":\"" D_AMD64 "\","
        "   \"size\":1022,"
        "   \"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}"
        "  },"
        "  {"
        "   \"mediaType\":\"" MEDIA_OCI_MANIFEST "\","
        "   \"digest\":\"" D_ARM64 "\","
        "   \"size\":1022,"
        "   \"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}"
        "  },"
        "  {"
        "   \"mediaType\":\"" MEDIA_OCI_MANIFEST "\","
        "   \"digest\":\"" D_PPC64LE "\","
        "   \"size\":1022,"
        "   \"platform\":{\"architecture\":\"ppc64le\",\"os\":\"linux\"}"
        "  },"
        "  {"
        "   \"mediaType\":\"" MEDIA_OCI_MANIFEST "\","
        "   \"digest\":\"" D_ATTEST "\","
        "   \"size\":566,"
        "   \"annotations\":{"
        "    \"vnd.docker.reference.digest\":\"" D_AMD64 "\","
        "    \"vnd.docker.reference.type\":\"attestation-manifest\""
        "   },"
        "   \"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}"
        "  }"
        " ]"
        "}";

static const char DOCKER_LIST[] =
        "{"
        " \"manifests\":["
        "  {"
        "   \"digest\":\"" D_L_AMD64 "\","
        "   \"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
        "   \"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
        "   \"size\":529"
        "  },"
        "  {"
        "   \"digest\":\"" D_L_ARM5 "\","
        "   \"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
        "   \"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v5\"},"
        "   \"size\":529"
        "  },"
        "  {"
        "   \"digest\":\"" D_L_ARM7 "\","
        "   \"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
        "   \"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"},"
        "   \"size\":529"
        "  },"
        "  {"
        "   \"digest\":\"" D_L_ARM64 "\","
        "   \"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
        "   \"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"},"
        "   \"size\":529"
        "  },"
        "  {"
        "   \"digest\":\"" D_L_386 "\","
        "   \"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
        "   \"platform\":{\"architecture\":\"386\",\"os\":\"linux\"},"
        "   \"size\":529"
        "  },"
        "  {"
        "   \"digest\":\"" D_L_S390X "\","
        "   \"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
        "   \"platform\":{\"architecture\":\"s390x\",\"os\":\"linux\"},"
        "   \"size\":529"
        "  }"
        " ],"
        " \"mediaType\":\"" MEDIA_DOCKER_LIST "\","
        " \"schemaVersion\":2"
        "}";

static const char OCI_MANIFEST[] =
        "{"
        " \"schemaVersion\":2,"
        " \"mediaType\":\"" MEDIA_OCI_MANIFEST "\","
        " \"config\":{"
        "  \"mediaType\":\"" MEDIA_OCI_CONFIG "\","
        "  \"digest\":\"" D_CFG "\","
        "  \"size\":7023"
        " },"
        " \"layers\":["
        "  {\"mediaType\":\"" MEDIA_OCI_LAYER_GZIP "\",\"digest\":\"" D_L1 "\",\"size\":32654},"
        "  {\"mediaType\":\"" MEDIA_OCI_LAYER_ZSTD "\",\"digest\":\"" D_L2 "\",\"size\":16724},"
        "  {\"mediaType\":\"" MEDIA_OCI_LAYER "\",\"digest\":\"" D_L3 "\",\"size\":0},"
        "  {"
        "   \"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\","
        "   \"digest\":\"" D_L4 "\","
        "   \"size\":73109,"
        "   \"urls\":[\"https://mirror.example.com/layer4.tar.gz\"]"
        "  }"
        " ],"
        " \"annotations\":{\"org.opencontainers.image.created\":\"2024-05-01T10:00:00Z\"}"
        "}";

static const char DOCKER_MANIFEST[] =
        "{"
        " \"schemaVersion\":2,"
        " \"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
        " \"config\":{"
        "  \"mediaType\":\"" MEDIA_DOCKER_CONFIG "\","
        "  \"size\":1469,"
        "  \"digest\":\"" D_DCFG "\""
        " },"
        " \"layers\":["
        "  {"
        "   \"mediaType\":\"" MEDIA_DOCKER_FOREIGN_LAYER "\","
        "   \"size\":1718332879,"
        "   \"digest\":\"" D_F1 "\","
        "   \"urls\":[\"https://mcr.microsoft.com/v2/windows/servercore/blobs/" D_F1 "\"]"
        "  },"
        "  {"
        "   \"mediaType\":\"" MEDIA_DOCKER_LAYER_GZIP "\","
        "   \"size\":29124365,"
        "   \"digest\":\"" D_D2 "\""
        "  }"
        " ]"
        "}";

static const char DOCKER_CONFIG[] =
        "{"
        " \"architecture\":\"amd64\","
        " \"config\":{"
        "  \"Hostname\":\"\","
        "  \"Domainname\":\"\","
        "  \"User\":\"app\","
        "  \"AttachStdin\":false,"
        "  \"Tty\":false,"
        "  \"Env\":["
        "   \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
        "   \"LANG=C.UTF-8\","
        "   \"PYTHON_VERSION=3.12.3\""
        "  ],"
        "  \"Cmd\":[\"python3\"],"
        "  \"Image\":\"" D_PARENT "\","
        "  \"Volumes\":null,"
        "  \"WorkingDir\":\"/srv\","
        "  \"Entrypoint\":[\"/docker-entrypoint.sh\",\"--\"],"
        "  \"OnBuild\":null,"
        "  \"Labels\":{"
        "   \"org.opencontainers.image.version\":\"24.04\","
        "   \"maintainer\":\"ops@example.com\","
        "   \"org.opencontainers.image.ref.name\":\"ubuntu\""
        "  }"
        " },"
        " \"created\":\"2024-04-27T15:04:31.181216927Z\","
        " \"docker_version\":\"24.0.5\","
        " \"history\":["
        "  {"
        "   \"created\":\"2024-04-27T15:04:29Z\","
        "   \"created_by\":\"/bin/sh -c #(nop) ADD file:abc in / \""
        "  }"
        " ],"
        " \"os\":\"linux\","
        " \"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D_DIFF1 "\",\"" D_DIFF2 "\"]}"
        "}";

static const char OCI_CONFIG[] =
        "{"
        " \"created\":\"2024-01-01T00:00:00Z\","
        " \"architecture\":\"arm64\","
        " \"variant\":\"v8\","
        " \"os\":\"linux\","
        " \"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":null,\"WorkingDir\":\"\",\"User\":\"\"},"
        " \"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D_ONLY "\"]},"
        " \"history\":[{\"created_by\":\"COPY . /\"}]"
        "}";

/* doc with the first occurrence of from replaced by to (from must occur). */
static char *edit(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	assert_non_null(at);
	size_t head = (size_t)(at - doc), to_len = strlen(to), tail = strlen(at + strlen(from));
	char *out = malloc(head + to_len + tail + 1);
	assert_non_null(out);
	memcpy(out, doc, head);
	memcpy(out + head, to, to_len);
	memcpy(out + head + to_len, at + strlen(from), tail + 1);
	return out;
}

static bool manifest_is_empty(const struct manifest *m)
{
	return !m->media_type && !m->config.digest && !m->layers && !m->n_layers && !m->manifests &&
	       !m->n_manifests;
}

/* Parse doc (edited when from is not NULL) and expect a failure whose message contains want. */
static void expect_manifest_error(const char *doc, const char *from, const char *to, const char *content_type,
                                  const char *want)
{
	char *text = from ? edit(doc, from, to) : strdup(doc);
	struct manifest m;
	struct error err = {0};
	assert_int_equal(manifest_parse(text, strlen(text), content_type, &m, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" does not contain \"%s\"", err.msg, want);
	assert_int_not_equal(err.code, 0);
	assert_true(manifest_is_empty(&m));
	free(text);
}

static void parse_ok(const char *doc, const char *content_type, struct manifest *m)
{
	struct error err = {0};
	if (manifest_parse(doc, strlen(doc), content_type, m, &err) != 0)
		fail_msg("manifest_parse: %s", err.msg);
}

static void test_accept_lists_the_four_types(void **state)
{
	assert_string_equal(MANIFEST_ACCEPT, MEDIA_OCI_INDEX "," MEDIA_OCI_MANIFEST "," MEDIA_DOCKER_LIST
	                                                     "," MEDIA_DOCKER_MANIFEST);
}

static void test_oci_index(void **state)
{
	struct manifest m;
	parse_ok(OCI_INDEX, MEDIA_OCI_INDEX, &m);
	assert_int_equal(m.kind, MANIFEST_INDEX);
	assert_string_equal(m.media_type, MEDIA_OCI_INDEX);
	assert_int_equal(m.n_manifests, 4);
	assert_int_equal(m.n_layers, 0);
	assert_null(m.layers);
	assert_null(m.config.digest);
	const char *digests[] = {D_AMD64, D_ARM64, D_PPC64LE, D_ATTEST};
	const char *arches[] = {"amd64", "arm64", "ppc64le", "unknown"};
	const char *variants[] = {NULL, "v8", NULL, NULL};
	for (size_t i = 0; i < 4; i++) {
		const struct descriptor *d = &m.manifests[i];
		assert_string_equal(d->media_type, MEDIA_OCI_MANIFEST);
		assert_string_equal(d->digest, digests[i]);
		assert_int_equal(d->size, i == 3 ? 566 : 1022);
		assert_null(d->urls);
		assert_string_equal(d->platform.os, i == 3 ? "unknown" : "linux");
		assert_string_equal(d->platform.architecture, arches[i]);
		if (variants[i])
			assert_string_equal(d->platform.variant, variants[i]);
		else
			assert_null(d->platform.variant);
	}
	manifest_free(&m);
	assert_true(manifest_is_empty(&m));
}

static void test_docker_list(void **state)
{
	struct manifest m;
	parse_ok(DOCKER_LIST, MEDIA_DOCKER_LIST "; charset=utf-8", &m);
	assert_int_equal(m.kind, MANIFEST_INDEX);
	assert_string_equal(m.media_type, MEDIA_DOCKER_LIST);
	assert_int_equal(m.n_manifests, 6);
	assert_string_equal(m.manifests[2].digest, D_L_ARM7);
	assert_string_equal(m.manifests[2].media_type, MEDIA_DOCKER_MANIFEST);
	assert_string_equal(m.manifests[2].platform.architecture, "arm");
	assert_string_equal(m.manifests[2].platform.variant, "v7");
	assert_int_equal(m.manifests[2].size, 529);
	assert_string_equal(m.manifests[4].platform.architecture, "386");
	manifest_free(&m);
}

static void test_oci_manifest_gzip_zstd_tar_nondistributable(void **state)
{
	struct manifest m;
	parse_ok(OCI_MANIFEST, NULL, &m);
	assert_int_equal(m.kind, MANIFEST_IMAGE);
	assert_string_equal(m.media_type, MEDIA_OCI_MANIFEST);
	assert_string_equal(m.config.media_type, MEDIA_OCI_CONFIG);
	assert_string_equal(m.config.digest, D_CFG);
	assert_int_equal(m.config.size, 7023);
	assert_null(m.config.platform.os);
	assert_null(m.manifests);
	assert_int_equal(m.n_layers, 4);
	assert_string_equal(m.layers[0].media_type, MEDIA_OCI_LAYER_GZIP);
	assert_string_equal(m.layers[0].digest, D_L1);
	assert_int_equal(m.layers[0].size, 32654);
	assert_string_equal(m.layers[1].media_type, MEDIA_OCI_LAYER_ZSTD);
	assert_string_equal(m.layers[1].digest, D_L2);
	assert_string_equal(m.layers[2].media_type, MEDIA_OCI_LAYER);
	assert_int_equal(m.layers[2].size, 0);
	assert_null(m.layers[2].urls);
	assert_string_equal(m.layers[3].media_type,
	                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip");
	assert_int_equal(strv_len(m.layers[3].urls), 1);
	assert_string_equal(m.layers[3].urls[0], "https://mirror.example.com/layer4.tar.gz");
	manifest_free(&m);
}

static void test_docker_manifest_with_foreign_layer(void **state)
{
	struct manifest m;
	parse_ok(DOCKER_MANIFEST, MEDIA_DOCKER_MANIFEST, &m);
	assert_int_equal(m.kind, MANIFEST_IMAGE);
	assert_string_equal(m.media_type, MEDIA_DOCKER_MANIFEST);
	assert_string_equal(m.config.media_type, MEDIA_DOCKER_CONFIG);
	assert_string_equal(m.config.digest, D_DCFG);
	assert_int_equal(m.n_layers, 2);
	assert_string_equal(m.layers[0].media_type, MEDIA_DOCKER_FOREIGN_LAYER);
	assert_int_equal(m.layers[0].size, 1718332879);
	assert_int_equal(strv_len(m.layers[0].urls), 1);
	assert_string_equal(m.layers[0].urls[0],
	                    "https://mcr.microsoft.com/v2/windows/servercore/blobs/" D_F1);
	assert_string_equal(m.layers[1].media_type, MEDIA_DOCKER_LAYER_GZIP);
	assert_string_equal(m.layers[1].digest, D_D2);
	assert_null(m.layers[1].urls);
	manifest_free(&m);
}

static void test_docker_manifest_converted_to_oci(void **state)
{
	struct error err;
	size_t len = 0;
	char *oci = manifest_docker_to_oci(DOCKER_MANIFEST, strlen(DOCKER_MANIFEST), &len, &err);
	assert_non_null(oci);
	assert_int_equal(len, strlen(oci));
	struct manifest m;
	parse_ok(oci, MEDIA_OCI_MANIFEST, &m);
	assert_string_equal(m.media_type, MEDIA_OCI_MANIFEST);
	assert_string_equal(m.config.media_type, MEDIA_OCI_CONFIG);
	/* The blobs are the same: digests, sizes and urls kept. */
	assert_string_equal(m.config.digest, D_DCFG);
	assert_int_equal(m.config.size, 1469);
	assert_int_equal(m.n_layers, 2);
	assert_string_equal(m.layers[0].media_type,
	                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip");
	assert_string_equal(m.layers[0].digest, D_F1);
	assert_int_equal(strv_len(m.layers[0].urls), 1);
	assert_string_equal(m.layers[1].media_type, MEDIA_OCI_LAYER_GZIP);
	assert_string_equal(m.layers[1].digest, D_D2);
	assert_int_equal(m.layers[1].size, 29124365);
	manifest_free(&m);
	free(oci);
	/* Only Docker manifests are converted, and only layer types OCI names. */
	assert_null(manifest_docker_to_oci(OCI_MANIFEST, strlen(OCI_MANIFEST), &len, &err));
	assert_int_equal(err.code, EINVAL);
	assert_null(manifest_docker_to_oci(DOCKER_LIST, strlen(DOCKER_LIST), &len, &err));
	assert_null(manifest_docker_to_oci("{", 1, &len, &err));
	char *odd = edit(DOCKER_MANIFEST, MEDIA_DOCKER_LAYER_GZIP, "application/x-odd");
	assert_null(manifest_docker_to_oci(odd, strlen(odd), &len, &err));
	assert_non_null(strstr(err.msg, "application/x-odd"));
	free(odd);
}

static void test_media_type_from_shape_or_content_type(void **state)
{
	struct manifest m;
	/* No mediaType in the document: the Content-Type names it, else the shape does. */
	char *oci = edit(OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",", "");
	parse_ok(oci, NULL, &m);
	assert_string_equal(m.media_type, MEDIA_OCI_MANIFEST);
	manifest_free(&m);
	parse_ok(oci, "application/json", &m);
	assert_string_equal(m.media_type, MEDIA_OCI_MANIFEST);
	manifest_free(&m);
	parse_ok(oci, " " MEDIA_DOCKER_MANIFEST " ; charset=utf-8", &m);
	assert_string_equal(m.media_type, MEDIA_DOCKER_MANIFEST);
	manifest_free(&m);
	free(oci);

	char *docker = edit(DOCKER_MANIFEST, "\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",", "");
	parse_ok(docker, "text/plain", &m);
	assert_string_equal(m.media_type, MEDIA_DOCKER_MANIFEST);
	manifest_free(&m);
	free(docker);

	char *index = edit(OCI_INDEX, "\"mediaType\":\"" MEDIA_OCI_INDEX "\",", "");
	parse_ok(index, NULL, &m);
	assert_int_equal(m.kind, MANIFEST_INDEX);
	assert_string_equal(m.media_type, MEDIA_OCI_INDEX);
	manifest_free(&m);
	free(index);

	/* Media types are case-insensitive in HTTP. */
	parse_ok(DOCKER_LIST, "Application/VND.Docker.Distribution.Manifest.List.V2+JSON", &m);
	assert_string_equal(m.media_type, MEDIA_DOCKER_LIST);
	manifest_free(&m);
	/* An unknown Content-Type is tolerated when the document decides. */
	parse_ok(OCI_INDEX, "application/json; charset=utf-8", &m);
	assert_string_equal(m.media_type, MEDIA_OCI_INDEX);
	manifest_free(&m);
}

static void test_empty_layers_and_edge_sizes(void **state)
{
	struct manifest m;
	char *empty = edit(DOCKER_MANIFEST, "\"layers\":[", "\"unused\":[");
	char *doc = edit(empty, "\"schemaVersion\":2,", "\"schemaVersion\":2,\"layers\":[],");
	parse_ok(doc, NULL, &m);
	assert_int_equal(m.n_layers, 0);
	assert_null(m.layers);
	manifest_free(&m);
	free(doc);
	free(empty);

	doc = edit(OCI_MANIFEST, "\"size\":32654", "\"size\":9007199254740992"); /* 2^53 */
	parse_ok(doc, NULL, &m);
	assert_int_equal(m.layers[0].size, INT64_C(9007199254740992));
	manifest_free(&m);
	free(doc);

	/* An index entry without a platform is kept (OCI makes it optional) and never chosen. */
	doc = edit(OCI_INDEX, "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}", "\"unused\":{}");
	parse_ok(doc, NULL, &m);
	assert_null(m.manifests[0].platform.os);
	assert_null(m.manifests[0].platform.architecture);
	manifest_free(&m);
	free(doc);
}

static void test_schema1_refused(void **state)
{
	const char *want =
	        "Docker schema 1 manifest: not supported; push the image again with a current docker or "
	        "podman";
	const char schema1[] = "{\"schemaVersion\":1,\"name\":\"library/busybox\",\"tag\":\"1.0\","
	                       "\"architecture\":\"amd64\",\"fsLayers\":[{\"blobSum\":\"" D_L1 "\"}],"
	                       "\"history\":[{\"v1Compatibility\":\"{}\"}],\"signatures\":[]}";
	expect_manifest_error(schema1, NULL, NULL, NULL, want);
	expect_manifest_error(schema1, NULL, NULL,
	                      "application/vnd.docker.distribution.manifest.v1+prettyjws", want);
	expect_manifest_error(OCI_MANIFEST, NULL, NULL,
	                      "application/vnd.docker.distribution.manifest.v1+json", want);
	expect_manifest_error(DOCKER_MANIFEST, "\"mediaType\":\"" MEDIA_DOCKER_MANIFEST,
	                      "\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+json", NULL,
	                      want);
	struct manifest m;
	struct error err;
	assert_int_equal(manifest_parse(schema1, strlen(schema1), NULL, &m, &err), -1);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, ENOTSUP);
}

static void test_schema_version_refusals(void **state)
{
	expect_manifest_error(OCI_MANIFEST, "\"schemaVersion\":2", "\"schemaVersion\":3", NULL,
	                      "manifest: schemaVersion 3 is not supported (want 2)");
	expect_manifest_error(OCI_MANIFEST, "\"schemaVersion\":2", "\"schemaVersion\":\"2\"", NULL,
	                      "manifest: \"schemaVersion\" is not an integer");
	expect_manifest_error(OCI_MANIFEST, "\"schemaVersion\":2,", "", NULL,
	                      "manifest: \"schemaVersion\" is missing");
}

static void test_shape_refusals(void **state)
{
	expect_manifest_error(OCI_INDEX, "\"manifests\":[", "\"layers\":[],\"manifests\":[", NULL,
	                      "manifest is ambiguous: it has both \"manifests\" (an index) and \"layers\"");
	expect_manifest_error(OCI_MANIFEST, "\"layers\":[", "\"manifests\":[],\"layers\":[", NULL,
	                      "manifest is ambiguous");
	expect_manifest_error(OCI_INDEX, "\"manifests\":[", "\"config\":{},\"manifests\":[", NULL,
	                      "it has both \"manifests\" (an index) and \"config\"");
	expect_manifest_error(
	        "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_MANIFEST "\"}", NULL, NULL, NULL,
	        "document is not a manifest or index: it has neither \"manifests\" nor \"layers\" and "
	        "\"config\"");
	expect_manifest_error(OCI_MANIFEST, "\"config\":{", "\"unused\":{", NULL,
	                      "manifest has \"layers\" but no \"config\"");
	expect_manifest_error(OCI_MANIFEST, "\"layers\":[", "\"unused\":[", NULL,
	                      "manifest has \"config\" but no \"layers\"");
	expect_manifest_error("{\"schemaVersion\":2,\"config\":{},\"layers\":{}}", NULL, NULL, NULL,
	                      "manifest config: \"mediaType\" is missing");
	expect_manifest_error("{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", NULL, NULL, NULL,
	                      "manifest config is not an object");
	char *layers_object = edit(OCI_MANIFEST, "\"layers\":[", "\"layers\":5,\"unused\":[");
	expect_manifest_error(layers_object, NULL, NULL, NULL, "manifest layers is not an array");
	free(layers_object);
	expect_manifest_error("{\"schemaVersion\":2,\"manifests\":{}}", NULL, NULL, NULL,
	                      "index manifests is not an array");
	expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[\"" D_AMD64 "\"]}", NULL, NULL, NULL,
	                      "index manifests[0] is not an object");
}

static void test_not_json(void **state)
{
	expect_manifest_error("", NULL, NULL, NULL, "manifest is not valid JSON");
	expect_manifest_error("{\"schemaVersion\":2", NULL, NULL, NULL, "manifest is not valid JSON");
	expect_manifest_error(OCI_INDEX, "}", "} x", NULL, "manifest is not valid JSON");
	expect_manifest_error("[1,2]", NULL, NULL, NULL, "manifest is not a JSON object");
	expect_manifest_error("\"manifests\"", NULL, NULL, NULL, "not valid JSON");
	/* A NUL inside a string would let C see a different string than another parser does. */
	expect_manifest_error(OCI_MANIFEST, "\"" MEDIA_OCI_LAYER_GZIP, "\"" MEDIA_OCI_LAYER_GZIP "\\u0000x",
	                      NULL, "not valid JSON");
	struct manifest m;
	struct error err;
	assert_int_equal(manifest_parse(NULL, 0, NULL, &m, &err), -1);
	assert_string_equal(err.msg, "manifest: no document");
}

static void test_duplicate_keys_refused(void **state)
{
	expect_manifest_error(OCI_MANIFEST, "\"schemaVersion\":2,",
	                      "\"schemaVersion\":2,\"schemaVersion\":2,", NULL,
	                      "manifest is not valid JSON: duplicate object key");
	/* The classic differential: a checker reads the first digest, a puller the second. */
	expect_manifest_error(OCI_MANIFEST, "\"digest\":\"" D_L1 "\"",
	                      "\"digest\":\"" D_L1 "\",\"digest\":\"" D_L2 "\"", NULL,
	                      "duplicate object key");
	expect_manifest_error(OCI_INDEX, "\"os\":\"linux\"", "\"os\":\"linux\",\"os\":\"windows\"", NULL,
	                      "duplicate object key");
}

static void test_media_type_against_kind(void **state)
{
	/* The document's own mediaType contradicts its shape. */
	expect_manifest_error(
	        OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_INDEX, NULL,
	        "manifest: mediaType \"" MEDIA_OCI_INDEX "\" says an index but the document is an "
	        "image manifest");
	expect_manifest_error(DOCKER_LIST, "\"mediaType\":\"" MEDIA_DOCKER_LIST,
	                      "\"mediaType\":\"" MEDIA_DOCKER_MANIFEST, NULL,
	                      "says an image manifest but the document is an index");
	expect_manifest_error(
	        OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_MANIFEST,
	        "\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json", NULL,
	        "manifest: mediaType \"application/vnd.oci.artifact.manifest.v1+json\" is not a manifest "
	        "or index type");
	expect_manifest_error(OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_MANIFEST "\"", "\"mediaType\":7",
	                      NULL, "manifest: \"mediaType\" is not a string");
}

static void test_content_type_against_document(void **state)
{
	/* Content-Type says manifest, the document says index, and the other way round. */
	expect_manifest_error(OCI_INDEX, NULL, NULL, MEDIA_OCI_MANIFEST,
	                      "manifest: Content-Type \"" MEDIA_OCI_MANIFEST
	                      "\" contradicts the document's mediaType \"" MEDIA_OCI_INDEX "\"");
	expect_manifest_error(OCI_MANIFEST, NULL, NULL, MEDIA_OCI_INDEX,
	                      "manifest: Content-Type \"" MEDIA_OCI_INDEX
	                      "\" contradicts the document's mediaType \"" MEDIA_OCI_MANIFEST "\"");
	/* Same kind, other family. */
	expect_manifest_error(DOCKER_MANIFEST, NULL, NULL, MEDIA_OCI_MANIFEST "; charset=utf-8",
	                      "contradicts the document's mediaType \"" MEDIA_DOCKER_MANIFEST "\"");
	/* No mediaType in the document: the Content-Type's kind must still match the shape. */
	expect_manifest_error(OCI_INDEX, "\"mediaType\":\"" MEDIA_OCI_INDEX "\",", "", MEDIA_DOCKER_MANIFEST,
	                      "manifest: Content-Type \"" MEDIA_DOCKER_MANIFEST
	                      "\" says an image manifest but the document is an index");
	expect_manifest_error(OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",", "",
	                      MEDIA_DOCKER_LIST, "says an index but the document is an image manifest");
}

static void test_bad_digests(void **state)
{
	const char upper[] = "sha256:0697C0F434F8672811EB1B52D443D0D4CB616FA58E4D10B25E91471B7F45A665";
	char from[128], to[128];
	snprintf(from, sizeof(from), "\"%s\"", D_CFG);
	snprintf(to, sizeof(to), "\"%s\"", upper);
	char want[256];
	snprintf(want, sizeof(want),
	         "manifest config: digest \"%s\" is not a valid sha256 digest (sha256: and 64 lowercase hex "
	         "digits)",
	         upper);
	expect_manifest_error(OCI_MANIFEST, from, to, NULL, want);
	expect_manifest_error(OCI_MANIFEST, D_L2, "sha512:abcd", NULL,
	                      "manifest layers[1]: digest \"sha512:abcd\" is not a valid sha256 digest");
	expect_manifest_error(
	        DOCKER_LIST, D_L_386, "sha256:../../etc/passwd", NULL,
	        "index manifests[4]: digest \"sha256:../../etc/passwd\" is not a valid sha256 digest");
	expect_manifest_error(OCI_MANIFEST, "\"digest\":\"" D_L1 "\"", "\"digest\":null", NULL,
	                      "manifest layers[0]: \"digest\" is missing");
	expect_manifest_error(OCI_MANIFEST, "\"digest\":\"" D_L1 "\"", "\"digest\":1", NULL,
	                      "manifest layers[0]: \"digest\" is not a string");
}

static void test_bad_sizes(void **state)
{
	expect_manifest_error(OCI_MANIFEST, "\"size\":32654", "\"size\":-1", NULL,
	                      "manifest layers[0]: size -1 is negative");
	expect_manifest_error(OCI_MANIFEST, "\"size\":32654", "\"size\":9007199254740993", NULL,
	                      "manifest layers[0]: size 9007199254740993 is larger than 2^53");
	expect_manifest_error(OCI_MANIFEST, "\"size\":7023", "\"size\":7023.5", NULL,
	                      "manifest config: \"size\" is not an integer");
	expect_manifest_error(OCI_MANIFEST, "\"size\":7023", "\"size\":7e3", NULL,
	                      "manifest config: \"size\" is not an integer");
	expect_manifest_error(OCI_INDEX, "\"size\":566", "\"size\":\"566\"", NULL,
	                      "index manifests[3]: \"size\" is not an integer");
	/* Beyond 64 bits jansson itself refuses the number. */
	expect_manifest_error(OCI_MANIFEST, "\"size\":32654", "\"size\":99999999999999999999999", NULL,
	                      "not valid JSON");
	expect_manifest_error(OCI_MANIFEST, ",\"size\":16724", "", NULL,
	                      "manifest layers[1]: \"size\" is missing");
}

static void test_missing_fields(void **state)
{
	expect_manifest_error(OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_LAYER_ZSTD "\",", "", NULL,
	                      "manifest layers[1]: \"mediaType\" is missing");
	expect_manifest_error(DOCKER_LIST, "\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",", "", NULL,
	                      "index manifests[0]: \"mediaType\" is missing");
	expect_manifest_error(OCI_INDEX, "\"architecture\":\"ppc64le\",", "", NULL,
	                      "index manifests[2].platform: \"architecture\" is missing");
	expect_manifest_error(OCI_INDEX, ",\"os\":\"linux\",\"variant\"", ",\"variant\"", NULL,
	                      "index manifests[1].platform: \"os\" is missing");
	expect_manifest_error(OCI_INDEX, "\"os\":\"linux\"", "\"os\":\"\"", NULL,
	                      "index manifests[0].platform: \"os\" is empty");
	expect_manifest_error(OCI_INDEX, "\"variant\":\"v8\"", "\"variant\":8", NULL,
	                      "index manifests[1].platform: \"variant\" is not a string");
	expect_manifest_error(OCI_INDEX, "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}",
	                      "\"platform\":\"linux/amd64\"", NULL,
	                      "index manifests[0].platform is not an object");
}

static void test_urls(void **state)
{
	expect_manifest_error(DOCKER_MANIFEST, "\"urls\":[\"https", "\"urls\":[7,\"https", NULL,
	                      "manifest layers[0].urls[0] is not a string");
	expect_manifest_error(DOCKER_MANIFEST, "\"urls\":[", "\"urls\":\"x\",\"unused\":[", NULL,
	                      "manifest layers[0].urls is not an array of strings");
	struct manifest m;
	char *doc = edit(DOCKER_MANIFEST, "\"size\":29124365", "\"size\":29124365,\"urls\":[]");
	parse_ok(doc, NULL, &m);
	assert_null(m.layers[1].urls);
	manifest_free(&m);
	free(doc);
}

static void test_unknown_layer_and_config_types(void **state)
{
	expect_manifest_error(
	        OCI_MANIFEST, MEDIA_OCI_LAYER_ZSTD, "application/vnd.oci.image.layer.v1.tar+lz4", NULL,
	        "manifest layers[1]: layer media type \"application/vnd.oci.image.layer.v1.tar+lz4\" is "
	        "not one burrow can unpack");
	/* Helm charts and other artifacts come with a config of their own type. */
	expect_manifest_error(
	        OCI_MANIFEST, MEDIA_OCI_CONFIG, "application/vnd.cncf.helm.config.v1+json", NULL,
	        "manifest config: media type \"application/vnd.cncf.helm.config.v1+json\" is not an "
	        "image config");
	/* A layer type as config, and a config type as layer. */
	expect_manifest_error(DOCKER_MANIFEST, MEDIA_DOCKER_CONFIG, MEDIA_DOCKER_LAYER_GZIP, NULL,
	                      "manifest config: media type");
	expect_manifest_error(DOCKER_MANIFEST, MEDIA_DOCKER_LAYER_GZIP, MEDIA_DOCKER_CONFIG, NULL,
	                      "manifest layers[1]: layer media type \"" MEDIA_DOCKER_CONFIG "\"");
}

static void test_hostile_text_in_messages(void **state)
{
	/* Escape sequences and floods from the document are neither printed nor passed on whole. */
	struct manifest m;
	struct error err;
	char *doc = edit(OCI_MANIFEST, MEDIA_OCI_LAYER_ZSTD, "\\u001b[2J\\u001b]0;pwned\\u0007");
	assert_int_equal(manifest_parse(doc, strlen(doc), NULL, &m, &err), -1);
	assert_null(strchr(err.msg, '\x1b'));
	assert_null(strchr(err.msg, '\a'));
	assert_non_null(strstr(err.msg, "\"?[2J?]0;pwned?\""));
	free(doc);

	char big[400];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	doc = edit(OCI_MANIFEST, MEDIA_OCI_LAYER_ZSTD, big);
	assert_int_equal(manifest_parse(doc, strlen(doc), NULL, &m, &err), -1);
	assert_non_null(strstr(err.msg, "xxx...\""));
	assert_true(strlen(err.msg) < 250);
	free(doc);
}

/* An image manifest with n gzip layers, or an index with n amd64 entries. */
static char *many(size_t n, bool index)
{
	size_t cap = 300 + n * 300, len = 0;
	char *doc = malloc(cap);
	assert_non_null(doc);
	len += (size_t)snprintf(doc + len, cap - len, "{\"schemaVersion\":2,%s[",
	                        index ? "\"manifests\":"
	                              : "\"config\":{\"mediaType\":\"" MEDIA_OCI_CONFIG
	                                "\",\"digest\":\"" D_CFG "\",\"size\":1},\"layers\":");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(
		        doc + len, cap - len, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu%s}",
		        i ? "," : "", index ? MEDIA_OCI_MANIFEST : MEDIA_OCI_LAYER_GZIP, D_L1, i,
		        index ? ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}" : "");
	snprintf(doc + len, cap - len, "]}");
	return doc;
}

static void test_entry_caps(void **state)
{
	struct manifest m;
	char *doc = many(1000, false);
	parse_ok(doc, NULL, &m);
	assert_int_equal(m.n_layers, 1000);
	assert_int_equal(m.layers[999].size, 999);
	manifest_free(&m);
	free(doc);
	doc = many(1001, false);
	expect_manifest_error(doc, NULL, NULL, NULL,
	                      "manifest layers has 1001 entries; at most 1000 are allowed");
	free(doc);

	doc = many(1000, true);
	parse_ok(doc, NULL, &m);
	assert_int_equal(m.n_manifests, 1000);
	manifest_free(&m);
	free(doc);
	doc = many(1001, true);
	expect_manifest_error(doc, NULL, NULL, NULL,
	                      "index manifests has 1001 entries; at most 1000 are allowed");
	free(doc);
}

static void test_oversize_document(void **state)
{
	/* Refused on its length alone, before any parsing: the bytes need not even be JSON. */
	size_t len = (4u << 20) + 1;
	char *doc = malloc(len);
	assert_non_null(doc);
	memset(doc, '[', len);
	struct manifest m;
	struct error err;
	assert_int_equal(manifest_parse(doc, len, NULL, &m, &err), -1);
	assert_string_equal(err.msg, "manifest is 4194305 bytes, more than the 4 MiB allowed; refusing it");
	assert_int_equal(err.code, EFBIG);
	/* Exactly 4 MiB is read (and here fails as JSON, not on size). */
	assert_int_equal(manifest_parse(doc, len - 1, NULL, &m, &err), -1);
	assert_non_null(strstr(err.msg, "not valid JSON"));
	free(doc);
}

static void test_platform_parse(void **state)
{
	struct platform p;
	struct error err;
	assert_int_equal(platform_parse("linux/arm64/v8", &p, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.architecture, "arm64");
	assert_string_equal(p.variant, "v8");
	platform_free(&p);
	assert_null(p.os);

	assert_int_equal(platform_parse("linux/amd64", &p, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.architecture, "amd64");
	assert_null(p.variant);
	platform_free(&p);

	assert_int_equal(platform_parse("arm64", &p, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.architecture, "arm64");
	assert_null(p.variant);
	platform_free(&p);

	assert_int_equal(platform_parse("windows/amd64", &p, &err), 0);
	assert_string_equal(p.os, "windows");
	platform_free(&p);

	/* uname's names are accepted for Go's. */
	assert_int_equal(platform_parse("x86_64", &p, &err), 0);
	assert_string_equal(p.architecture, "amd64");
	platform_free(&p);
	assert_int_equal(platform_parse("linux/aarch64", &p, &err), 0);
	assert_string_equal(p.architecture, "arm64");
	platform_free(&p);
}

static void test_platform_parse_errors(void **state)
{
	const char *empty_part[] = {"linux//v8", "/amd64",       "linux/amd64/", "linux/",
	                            "/",         "linux/am d64", "linux/amd64\n"};
	struct platform p;
	struct error err;
	for (size_t i = 0; i < sizeof(empty_part) / sizeof(empty_part[0]); i++) {
		assert_int_equal(platform_parse(empty_part[i], &p, &err), -1);
		assert_non_null(strstr(
		        err.msg, "has an empty or invalid part; write OS/ARCH[/VARIANT], e.g. linux/arm64"));
		assert_null(p.os);
		assert_null(p.architecture);
	}
	assert_int_equal(platform_parse("linux/arm64/v8/x", &p, &err), -1);
	assert_string_equal(
	        err.msg, "platform \"linux/arm64/v8/x\" has more than three parts; write OS/ARCH[/VARIANT], "
	                 "e.g. linux/arm64/v8");
	assert_int_equal(platform_parse("", &p, &err), -1);
	assert_string_equal(err.msg, "platform is empty; write OS/ARCH[/VARIANT], e.g. linux/arm64");
	assert_int_equal(platform_parse(NULL, &p, &err), -1);
	assert_int_equal(err.code, EINVAL);
}

static void test_platform_host(void **state)
{
	struct platform p;
	struct utsname u;
	assert_int_equal(uname(&u), 0);
	platform_host(&p);
	assert_string_equal(p.os, "linux");
	assert_non_null(p.architecture);
	if (strcmp(u.machine, "x86_64") == 0) {
		assert_string_equal(p.architecture, "amd64");
		assert_null(p.variant);
	} else if (strcmp(u.machine, "aarch64") == 0) {
		assert_string_equal(p.architecture, "arm64");
		assert_string_equal(p.variant, "v8");
	} else if (strcmp(u.machine, "ppc64le") == 0) {
		assert_string_equal(p.architecture, "ppc64le");
	}
	platform_free(&p);
}

/* Select text from doc and return the chosen digest, or NULL with the message in err. */
static const char *select_digest(const char *doc, const char *text, char msg[ERROR_MSG_MAX])
{
	static char digest[DIGEST_STRING_LEN + 1];
	struct manifest m;
	struct platform want;
	struct error err = {0};
	parse_ok(doc, NULL, &m);
	assert_int_equal(platform_parse(text, &want, &err), 0);
	const struct descriptor *d = NULL;
	int r = manifest_select(&m, &want, &d, &err);
	const char *out = NULL;
	if (r == 0) {
		assert_non_null(d);
		assert_true(d >= m.manifests && d < m.manifests + m.n_manifests);
		snprintf(digest, sizeof(digest), "%s", d->digest);
		out = digest;
	} else {
		assert_int_equal(r, -1);
		assert_null(d);
		assert_int_equal(err.code, ENOENT);
		snprintf(msg, ERROR_MSG_MAX, "%s", err.msg);
	}
	platform_free(&want);
	manifest_free(&m);
	return out;
}

static void expect_selected(const char *doc, const char *text, const char *want_digest)
{
	char msg[ERROR_MSG_MAX];
	const char *got = select_digest(doc, text, msg);
	if (!got)
		fail_msg("select %s: %s", text, msg);
	assert_string_equal(got, want_digest);
}

static void expect_not_selected(const char *doc, const char *text, const char *want_msg)
{
	char msg[ERROR_MSG_MAX];
	assert_null(select_digest(doc, text, msg));
	assert_string_equal(msg, want_msg);
}

static void test_select_exact(void **state)
{
	expect_selected(OCI_INDEX, "linux/amd64", D_AMD64);
	expect_selected(OCI_INDEX, "linux/ppc64le", D_PPC64LE);
	expect_selected(DOCKER_LIST, "linux/386", D_L_386);
	expect_selected(DOCKER_LIST, "s390x", D_L_S390X);
	/* The os must match too. */
	expect_not_selected(
	        OCI_INDEX, "windows/amd64",
	        "no windows/amd64 image in the index; it has: linux/amd64, linux/arm64/v8, linux/ppc64le");
}

static void test_select_variants(void **state)
{
	/* No variant wanted: the first entry of the architecture. */
	expect_selected(DOCKER_LIST, "linux/arm", D_L_ARM5);
	expect_selected(DOCKER_LIST, "linux/arm/v7", D_L_ARM7);
	expect_selected(DOCKER_LIST, "linux/arm/v5", D_L_ARM5);
	expect_selected(DOCKER_LIST, "linux/arm64/v8", D_L_ARM64);
	expect_selected(OCI_INDEX, "linux/arm64", D_ARM64);
	expect_not_selected(
	        DOCKER_LIST, "linux/arm/v6",
	        "no linux/arm/v6 image in the index; it has: linux/amd64, linux/arm/v5, linux/arm/v7, "
	        "linux/arm64/v8, linux/386, linux/s390x");
	/* arm64 without a variant in the index is v8, and only v8. */
	char *no_variant = edit(OCI_INDEX, ",\"variant\":\"v8\"", "");
	expect_selected(no_variant, "linux/arm64/v8", D_ARM64);
	expect_selected(no_variant, "linux/arm64", D_ARM64);
	expect_not_selected(
	        no_variant, "linux/arm64/v9",
	        "no linux/arm64/v9 image in the index; it has: linux/amd64, linux/arm64, linux/ppc64le");
	free(no_variant);
	/* Other architectures get no default variant. */
	char *arm_plain = edit(DOCKER_LIST, ",\"variant\":\"v7\"", "");
	expect_not_selected(
	        arm_plain, "linux/arm/v7",
	        "no linux/arm/v7 image in the index; it has: linux/amd64, linux/arm/v5, linux/arm, "
	        "linux/arm64/v8, linux/386, linux/s390x");
	free(arm_plain);
}

static void test_select_skips_attestations_and_others(void **state)
{
	/* buildx's attestation manifests say unknown/unknown; they are never a runnable image. */
	expect_not_selected(
	        OCI_INDEX, "unknown/unknown",
	        "no unknown/unknown image in the index; it has: linux/amd64, linux/arm64/v8, linux/ppc64le");
	/* An attestation listed first does not shadow the image. */
	char *att_amd64 = edit(OCI_INDEX, "\"architecture\":\"unknown\",\"os\":\"unknown\"",
	                       "\"architecture\":\"amd64\",\"os\":\"unknown\"");
	expect_selected(att_amd64, "linux/amd64", D_AMD64);
	free(att_amd64);
	/* A nested index, or an entry without a platform, is not chosen. */
	char *nested =
	        edit(OCI_INDEX, "\"mediaType\":\"" MEDIA_OCI_MANIFEST, "\"mediaType\":\"" MEDIA_OCI_INDEX);
	expect_not_selected(nested, "linux/s390x",
	                    "no linux/s390x image in the index; it has: linux/arm64/v8, linux/ppc64le");
	expect_selected(nested, "linux/ppc64le", D_PPC64LE);
	free(nested);
	char *bare = edit(OCI_INDEX, "\"platform\":{\"architecture\":\"ppc64le\",\"os\":\"linux\"}",
	                  "\"unused\":{}");
	expect_not_selected(bare, "linux/ppc64le",
	                    "no linux/ppc64le image in the index; it has: linux/amd64, linux/arm64/v8");
	free(bare);
}

static void test_select_lists_each_platform_once(void **state)
{
	char *doc = many(5, true);
	expect_not_selected(doc, "linux/arm64", "no linux/arm64 image in the index; it has: linux/amd64");
	free(doc);
	expect_not_selected("{\"schemaVersion\":2,\"manifests\":[]}", "linux/arm64",
	                    "no linux/arm64 image in the index; it has: no platform images");
}

static void test_select_needs_an_index(void **state)
{
	struct manifest m;
	struct platform want = {"linux", "amd64", NULL};
	struct error err;
	const struct descriptor *d = (void *)&m;
	parse_ok(OCI_MANIFEST, NULL, &m);
	assert_int_equal(manifest_select(&m, &want, &d, &err), -1);
	assert_null(d);
	assert_string_equal(err.msg, "manifest_select: the document is an image manifest, not an index");
	manifest_free(&m);
	parse_ok(OCI_INDEX, NULL, &m);
	struct platform none = {0};
	assert_int_equal(manifest_select(&m, &none, &d, &err), -1);
	assert_string_equal(err.msg, "manifest_select: no platform to choose");
	manifest_free(&m);
}

static void config_ok(const char *doc, struct image_config *c)
{
	struct error err = {0};
	if (image_config_parse(doc, strlen(doc), c, &err) != 0)
		fail_msg("image_config_parse: %s", err.msg);
}

static bool config_is_empty(const struct image_config *c)
{
	return !c->env && !c->entrypoint && !c->cmd && !c->working_dir && !c->user && !c->labels &&
	       !c->platform.os && !c->platform.architecture && !c->platform.variant && !c->diff_ids &&
	       !c->n_diff_ids;
}

static void expect_config_error(const char *doc, const char *from, const char *to, const char *want)
{
	char *text = from ? edit(doc, from, to) : strdup(doc);
	struct image_config c;
	struct error err = {0};
	assert_int_equal(image_config_parse(text, strlen(text), &c, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" does not contain \"%s\"", err.msg, want);
	assert_int_not_equal(err.code, 0);
	assert_true(config_is_empty(&c));
	free(text);
}

static void test_docker_config(void **state)
{
	struct image_config c;
	config_ok(DOCKER_CONFIG, &c);
	assert_int_equal(strv_len(c.env), 3);
	assert_string_equal(c.env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(c.env[1], "LANG=C.UTF-8");
	assert_string_equal(c.env[2], "PYTHON_VERSION=3.12.3");
	assert_int_equal(strv_len(c.entrypoint), 2);
	assert_string_equal(c.entrypoint[0], "/docker-entrypoint.sh");
	assert_string_equal(c.entrypoint[1], "--");
	assert_int_equal(strv_len(c.cmd), 1);
	assert_string_equal(c.cmd[0], "python3");
	assert_string_equal(c.working_dir, "/srv");
	assert_string_equal(c.user, "app");
	/* Sorted by name: "org.opencontainers.image.ref.name" < "...version". */
	assert_int_equal(strv_len(c.labels), 3);
	assert_string_equal(c.labels[0], "maintainer=ops@example.com");
	assert_string_equal(c.labels[1], "org.opencontainers.image.ref.name=ubuntu");
	assert_string_equal(c.labels[2], "org.opencontainers.image.version=24.04");
	assert_string_equal(c.platform.os, "linux");
	assert_string_equal(c.platform.architecture, "amd64");
	assert_null(c.platform.variant);
	assert_int_equal(c.n_diff_ids, 2);
	assert_string_equal(c.diff_ids[0], D_DIFF1);
	assert_string_equal(c.diff_ids[1], D_DIFF2);
	assert_null(c.diff_ids[2]);
	image_config_free(&c);
	assert_true(config_is_empty(&c));
}

static void test_oci_config_nulls_and_empties(void **state)
{
	struct image_config c;
	config_ok(OCI_CONFIG, &c);
	assert_int_equal(strv_len(c.env), 1);
	assert_null(c.cmd);
	assert_null(c.entrypoint);
	assert_null(c.working_dir); /* "" is "not set" */
	assert_null(c.user);
	assert_null(c.labels);
	assert_string_equal(c.platform.architecture, "arm64");
	assert_string_equal(c.platform.variant, "v8");
	assert_int_equal(c.n_diff_ids, 1);
	assert_string_equal(c.diff_ids[0], D_ONLY);
	image_config_free(&c);

	/* [] stays an empty list (ENTRYPOINT [] clears the entrypoint), unlike null. */
	char *doc = edit(OCI_CONFIG, "\"Cmd\":null", "\"Cmd\":[],\"Entrypoint\":[],\"Labels\":{}");
	config_ok(doc, &c);
	assert_non_null(c.cmd);
	assert_null(c.cmd[0]);
	assert_non_null(c.entrypoint);
	assert_null(c.entrypoint[0]);
	assert_non_null(c.labels);
	assert_null(c.labels[0]);
	image_config_free(&c);
	free(doc);
}

static void test_config_without_config_object(void **state)
{
	struct image_config c;
	config_ok("{}", &c);
	assert_true(config_is_empty(&c));
	image_config_free(&c);

	config_ok("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":null,"
	          "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	          &c);
	assert_null(c.env);
	assert_null(c.cmd);
	assert_string_equal(c.platform.os, "linux");
	assert_int_equal(c.n_diff_ids, 0);
	assert_non_null(c.diff_ids);
	assert_null(c.diff_ids[0]);
	image_config_free(&c);
}

static void test_config_errors(void **state)
{
	expect_config_error(DOCKER_CONFIG, "\"LANG=C.UTF-8\"", "42",
	                    "image config: config.Env[1] is not a string");
	expect_config_error(DOCKER_CONFIG, "\"Cmd\":[\"python3\"]", "\"Cmd\":\"python3\"",
	                    "image config: config.Cmd is not an array of strings");
	expect_config_error(DOCKER_CONFIG, "[\"/docker-entrypoint.sh\",", "[null,",
	                    "image config: config.Entrypoint[0] is not a string");
	expect_config_error(DOCKER_CONFIG, "\"WorkingDir\":\"/srv\"", "\"WorkingDir\":[]",
	                    "image config: config: \"WorkingDir\" is not a string");
	expect_config_error(DOCKER_CONFIG, "\"User\":\"app\"", "\"User\":0",
	                    "image config: config: \"User\" is not a string");
	expect_config_error(DOCKER_CONFIG, "\"maintainer\":\"ops@example.com\"", "\"maintainer\":1",
	                    "image config: label \"maintainer\" is not a string");
	expect_config_error(DOCKER_CONFIG, "\"maintainer\":", "\"a=b\":",
	                    "image config: label name \"a=b\" is empty or contains '='");
	expect_config_error(DOCKER_CONFIG,
	                    "\"maintainer\":", "\"\":", "image config: label name \"\" is empty");
	expect_config_error(DOCKER_CONFIG, "\"Labels\":{", "\"Labels\":[],\"unused\":{",
	                    "image config: config.Labels is not an object");
	expect_config_error(DOCKER_CONFIG, "\"config\":{", "\"config\":[],\"unused\":{",
	                    "image config: \"config\" is not an object");
	expect_config_error(DOCKER_CONFIG, "\"os\":\"linux\"", "\"os\":{}",
	                    "image config: \"os\" is not a string");
	expect_config_error(DOCKER_CONFIG, "\"Tty\":false,", "\"Tty\":false,\"Tty\":true,",
	                    "duplicate object key");
	expect_config_error(DOCKER_CONFIG, "}", "", "image config is not valid JSON");
	expect_config_error("[]", NULL, NULL, "image config is not a JSON object");
}

static void test_config_rootfs_errors(void **state)
{
	expect_config_error(DOCKER_CONFIG, "\"type\":\"layers\"", "\"type\":\"squashfs\"",
	                    "image config: rootfs.type is \"squashfs\", want \"layers\"");
	expect_config_error(DOCKER_CONFIG, "\"type\":\"layers\",", "",
	                    "image config: rootfs: \"type\" is missing");
	expect_config_error(DOCKER_CONFIG, D_DIFF2, "sha256:abc",
	                    "image config: rootfs.diff_ids[1] \"sha256:abc\" is not a valid sha256 digest");
	expect_config_error(DOCKER_CONFIG, "\"" D_DIFF1 "\"", "{}",
	                    "image config: rootfs.diff_ids[0] is not a string");
	expect_config_error(DOCKER_CONFIG, ",\"diff_ids\":[\"" D_DIFF1 "\",\"" D_DIFF2 "\"]", "",
	                    "image config: rootfs.diff_ids is missing or not an array");
	expect_config_error(DOCKER_CONFIG, "\"rootfs\":{\"type\"", "\"rootfs\":7,\"unused\":{\"type\"",
	                    "image config: rootfs is not an object");

	/* 1001 diff_ids are refused, 1000 taken. */
	size_t cap = 1100 * (DIGEST_STRING_LEN + 4) + 100, len = 0;
	char *doc = malloc(cap);
	assert_non_null(doc);
	for (size_t n = 1000; n <= 1001; n++) {
		len = (size_t)snprintf(doc, cap, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(doc + len, cap - len, "%s\"%s\"", i ? "," : "", D_DIFF1);
		snprintf(doc + len, cap - len, "]}}");
		if (n == 1000) {
			struct image_config c;
			config_ok(doc, &c);
			assert_int_equal(c.n_diff_ids, 1000);
			image_config_free(&c);
		} else {
			expect_config_error(
			        doc, NULL, NULL,
			        "image config: rootfs.diff_ids has 1001 entries; at most 1000 are allowed");
		}
	}
	free(doc);
}

static void test_config_oversize(void **state)
{
	size_t len = (8u << 20) + 1;
	char *doc = malloc(len);
	assert_non_null(doc);
	memset(doc, ' ', len);
	struct image_config c;
	struct error err;
	assert_int_equal(image_config_parse(doc, len, &c, &err), -1);
	assert_string_equal(err.msg,
	                    "image config is 8388609 bytes, more than the 8 MiB allowed; refusing it");
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_accept_lists_the_four_types),
	        cmocka_unit_test(test_oci_index),
	        cmocka_unit_test(test_docker_list),
	        cmocka_unit_test(test_oci_manifest_gzip_zstd_tar_nondistributable),
	        cmocka_unit_test(test_docker_manifest_with_foreign_layer),
	        cmocka_unit_test(test_docker_manifest_converted_to_oci),
	        cmocka_unit_test(test_media_type_from_shape_or_content_type),
	        cmocka_unit_test(test_empty_layers_and_edge_sizes),
	        cmocka_unit_test(test_schema1_refused),
	        cmocka_unit_test(test_schema_version_refusals),
	        cmocka_unit_test(test_shape_refusals),
	        cmocka_unit_test(test_not_json),
	        cmocka_unit_test(test_duplicate_keys_refused),
	        cmocka_unit_test(test_media_type_against_kind),
	        cmocka_unit_test(test_content_type_against_document),
	        cmocka_unit_test(test_bad_digests),
	        cmocka_unit_test(test_bad_sizes),
	        cmocka_unit_test(test_missing_fields),
	        cmocka_unit_test(test_urls),
	        cmocka_unit_test(test_unknown_layer_and_config_types),
	        cmocka_unit_test(test_hostile_text_in_messages),
	        cmocka_unit_test(test_entry_caps),
	        cmocka_unit_test(test_oversize_document),
	        cmocka_unit_test(test_platform_parse),
	        cmocka_unit_test(test_platform_parse_errors),
	        cmocka_unit_test(test_platform_host),
	        cmocka_unit_test(test_select_exact),
	        cmocka_unit_test(test_select_variants),
	        cmocka_unit_test(test_select_skips_attestations_and_others),
	        cmocka_unit_test(test_select_lists_each_platform_once),
	        cmocka_unit_test(test_select_needs_an_index),
	        cmocka_unit_test(test_docker_config),
	        cmocka_unit_test(test_oci_config_nulls_and_empties),
	        cmocka_unit_test(test_config_without_config_object),
	        cmocka_unit_test(test_config_errors),
	        cmocka_unit_test(test_config_rootfs_errors),
	        cmocka_unit_test(test_config_oversize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
