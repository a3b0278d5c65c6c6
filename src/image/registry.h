/* The OCI distribution client: manifests and blobs of one repository, with the registry's
 * authentication (anonymous or credentialed Bearer tokens, Basic), retries with backoff,
 * redirects that never carry credentials to another host, and resumable blob downloads. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "image/reference.h"
#include "util/error.h"

struct registry;

/* A client for ref's registry and repository. Plain http is used only for local hosts
 * (reference_host_is_local), hosts listed in BURROW_INSECURE_REGISTRIES (comma-separated), or
 * with BURROW_ALLOW_HTTP=yes; https trusts the system CAs plus /etc/burrow/certs.d/HOST/ca.crt,
 * /etc/containers/certs.d/HOST/ca.crt and /etc/docker/certs.d/HOST/ca.crt. */
int registry_open(const struct reference *ref, struct registry **reg, struct error *err);
void registry_close(struct registry *reg);

/* A manifest or index by tag or digest, with its Content-Type and the sha256 of the bytes
 * received (checked against the digest asked for and against Docker-Content-Digest). */
struct registry_document {
	char *body;
	size_t len;
	char *content_type;
	char digest[80];
};
int registry_get_manifest(struct registry *reg, const char *tag_or_digest, struct registry_document *doc,
                          struct error *err);
void registry_document_free(struct registry_document *doc);

/* Stream blob digest from offset into sink (0: go on, -1: stop). When the server answers a
 * Range request with the whole blob, restart is called first (the caller rewinds) and the
 * bytes come from 0. A transfer cut short is resumed from where it stopped, with backoff (a
 * stall of BURROW_HTTP_TIMEOUT seconds, default 30, counts as cut). The caller verifies the
 * digest (store_blob_commit). When sink stops the transfer, this returns -1 with err as the
 * sink left it: a sink that fails fills err (or its own error) itself. */
int registry_get_blob(struct registry *reg, const char *digest, uint64_t offset,
                      int (*sink)(void *ctx, const void *buf, size_t len), int (*restart)(void *ctx),
                      void *ctx, struct error *err);

/* burrow login's check: GET /v2/ on host ("127.0.0.1:5000", "docker.io"), answering its
 * challenge with user and secret only (Basic, or a Bearer token asked for with them), never
 * with stored credentials. Returns 1 when the registry accepted them, 0 when it asked for none
 * (so nothing could be checked), -1 with EACCES when it refused them, or with the failure when
 * it could not be asked. */
int registry_check_login(const char *host, const char *user, const char *secret, struct error *err);
