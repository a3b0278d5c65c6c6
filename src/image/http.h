/* One HTTP request over libcurl, which is loaded on first use: a start never pays for loading
 * it (libcurl and its TLS, HTTP/2 and LDAP libraries cost milliseconds at exec). Registry
 * semantics (auth, retries, redirects) are in registry.c, not here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct http_request {
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
	uint64_t range_from;        /* > 0: ask for bytes range_from- */
	/* Body sink: returns 0 to go on, -1 to stop the transfer (the error is the sink's). When
	 * NULL, a body of at most max_body bytes is kept in the response. */
	int (*sink)(void *ctx, const void *buf, size_t len);
	void *ctx;
	size_t max_body;
	const char *ca_blob; /* PEM bundle to trust instead of the system's, or NULL */
	size_t ca_blob_len;
	long timeout_s; /* connect timeout, and abort when no byte came for this long; 0: 30 */
};

struct http_response {
	long status;
	char *body; /* when the request had no sink */
	size_t body_len;
	bool body_too_large;
	char *content_type, *location, *www_authenticate, *docker_content_digest, *retry_after;
	bool sink_failed; /* the sink stopped the transfer */
};

/* Perform req. Returns 0 when a response arrived (whatever its status), -1 when none did
 * (refused, reset, timeout, TLS failure, truncated body): err says which. */
int http_perform(const struct http_request *req, struct http_response *resp, struct error *err);
void http_response_free(struct http_response *resp);

/* Resolve a Location header against the URL it answered (malloc'd), or NULL when invalid. */
char *http_resolve(const char *base, const char *location);

/* The "scheme://host[:port]" part of url (malloc'd), to compare origins. */
char *http_origin(const char *url);
