/* The distribution client over http.c: authentication on 401, retries on 429/5xx and broken
 * connections, redirects followed by hand so that credentials stay with the registry's origin,
 * and resumable blob streams. One client may serve several threads (one request each). */
#include "image/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/auth.h"
#include "image/digest.h"
#include "image/http.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define MAX_ATTEMPTS  6
#define MAX_REDIRECTS 5
#define MANIFEST_MAX  (4 << 20)

/* A resumed blob download that got this far counts as progress: its failures start over. */
#define RESUME_PROGRESS (1u << 20)

struct registry {
	char *host;       /* as the API is reached: "registry-1.docker.io", "127.0.0.1:5000" */
	char *base;       /* "https://HOST" or "http://HOST" */
	char *origin;     /* http_origin(base), to decide where credentials may go */
	char *repository; /* "library/busybox" */
	char *user;       /* docker://USER@: whose credentials, or NULL */
	bool http_allowed, scheme_decided;
	char *ca_blob;
	size_t ca_len;
	pthread_mutex_t lock;
	char *authorization; /* "Bearer ..." or "Basic ...", shared by all requests */
	long timeout_s;      /* BURROW_HTTP_TIMEOUT: connect, and the longest stall mid-body */
	/* burrow login's check: these credentials, never the stored ones (borrowed; NULL else) */
	const struct credentials *login;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Backoff before attempt n (1-based): BURROW_RETRY_MS (default 500) doubling, capped at 8 s;
 * a Retry-After of a few seconds is honoured up to 30 s. */
static long backoff_ms(int attempt, const char *retry_after)
{
	const char *base_env = getenv("BURROW_RETRY_MS");
	long base = base_env && *base_env ? strtol(base_env, NULL, 10) : 500;
	long ms = base << (attempt > 4 ? 4 : attempt - 1);
	if (ms > 8000)
		ms = 8000;
	if (retry_after) {
		long seconds = strtol(retry_after, NULL, 10);
		if (seconds > 0 && seconds <= 30 && seconds * 1000 > ms)
			ms = seconds * 1000;
	}
	return ms;
}

/* BURROW_HTTP_TIMEOUT seconds (default 30): how long to wait for a connection, and for any
 * byte of a body, before the request counts as failed (and is retried or resumed). */
static long http_timeout_s(void)
{
	const char *env = getenv("BURROW_HTTP_TIMEOUT");
	char *end = NULL;
	long seconds = env && *env ? strtol(env, &end, 10) : 0;
	return end && *end == '\0' && seconds > 0 && seconds <= 3600 ? seconds : 30;
}

static bool retryable_status(long status)
{
	return status == 429 || status == 408 || (status >= 500 && status <= 599 && status != 501);
}

static bool listed_insecure(const char *host)
{
	const char *list = getenv("BURROW_INSECURE_REGISTRIES");
	if (!list || !*list)
		return false;
	cleanup_free char *copy = strdup(list);
	char *save = NULL;
	for (char *item = copy ? strtok_r(copy, ", ", &save) : NULL; item; item = strtok_r(NULL, ", ", &save))
		if (strcmp(item, host) == 0)
			return true;
	return false;
}

/* The system CA bundle plus the first per-registry CA found, or nothing when there is none. */
static void load_cas(struct registry *reg)
{
	static const char *const dirs[] = {"/etc/burrow/certs.d", "/etc/containers/certs.d",
	                                   "/etc/docker/certs.d"};
	struct error err;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s/ca.crt", dirs[i], reg->host);
		size_t extra_len = 0;
		cleanup_free char *extra = fs_read_file_at(AT_FDCWD, path, false, 1 << 20, &extra_len, &err);
		if (!extra)
			continue;
		size_t sys_len = 0;
		cleanup_free char *sys = fs_read_file_at(AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt",
		                                         false, 8 << 20, &sys_len, &err);
		reg->ca_blob = malloc(sys_len + extra_len + 2);
		if (!reg->ca_blob)
			return;
		memcpy(reg->ca_blob, sys ? sys : "", sys_len);
		reg->ca_blob[sys_len] = '\n';
		memcpy(reg->ca_blob + sys_len + 1, extra, extra_len);
		reg->ca_len = sys_len + 1 + extra_len;
		return;
	}
}

int registry_open(const struct reference *ref, struct registry **out, struct error *err)
{
	struct registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&reg->lock, NULL);
	reg->host = strdup(reference_api_host(ref));
	reg->repository = strdup(ref->repository);
	reg->user = ref->user ? strdup(ref->user) : NULL;
	const char *allow = getenv("BURROW_ALLOW_HTTP");
	reg->http_allowed = reference_host_is_local(reg->host) || listed_insecure(reg->host) ||
	                    (allow && strcmp(allow, "yes") == 0);
	if (!reg->host || !reg->repository || (ref->user && !reg->user) ||
	    asprintf(&reg->base, "https://%s", reg->host) < 0) {
		reg->base = NULL;
		registry_close(reg);
		return error_set(err, ENOMEM, "out of memory");
	}
	load_cas(reg);
	reg->timeout_s = http_timeout_s();
	*out = reg;
	return 0;
}

void registry_close(struct registry *reg)
{
	if (!reg)
		return;
	free(reg->host);
	free(reg->base);
	free(reg->origin);
	free(reg->repository);
	free(reg->user);
	free(reg->ca_blob);
	free(reg->authorization);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

static char *url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c)) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Ask the token server of a Bearer challenge for a pull token, with the user's credentials
 * when there are some. Sets *authorization ("Bearer ..."). */
static int fetch_token(struct registry *reg, const struct auth_challenge *ch, const struct credentials *cred,
                       char **authorization, struct error *err)
{
	cleanup_free char *service = url_escape(ch->service ? ch->service : "");
	cleanup_free char *scope_text = NULL;
	if (ch->scope)
		scope_text = strdup(ch->scope);
	else if (!*reg->repository)
		/* A login check at /v2/: a token for no repository, as docker asks for one. */
		scope_text = strdup("");
	else if (asprintf(&scope_text, "repository:%s:pull", reg->repository) < 0)
		scope_text = NULL;
	cleanup_free char *scope = scope_text ? url_escape(scope_text) : NULL;
	cleanup_free char *url = NULL;
	if (!service || !scope ||
	    asprintf(&url, "%s%sservice=%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?", service,
	             *scope ? "&scope=" : "", scope) < 0)
		return error_set(err, ENOMEM, "out of memory");
	cleanup_free char *basic = NULL;
	const char *headers[2] = {NULL, NULL};
	if (cred) {
		cleanup_free char *pair = NULL;
		if (asprintf(&pair, "%s:%s", cred->user, cred->secret) < 0)
			return error_set(err, ENOMEM, "out of memory");
		cleanup_free char *encoded = base64_encode(pair, strlen(pair));
		if (!encoded || asprintf(&basic, "Authorization: Basic %s", encoded) < 0)
			return error_set(err, ENOMEM, "out of memory");
		headers[0] = basic;
	}
	struct http_request req = {.url = url,
	                           .headers = headers,
	                           .max_body = 1 << 20,
	                           .ca_blob = reg->ca_blob,
	                           .ca_blob_len = reg->ca_len,
	                           .timeout_s = reg->timeout_s};
	struct http_response resp;
	if (http_perform(&req, &resp, err) < 0) {
		error_prefix(err, "token for %s", reg->host);
		return -1;
	}
	int rc = -1;
	if ((resp.status == 401 || resp.status == 403) && reg->login) {
		error_set(err, EACCES, "%s refused user %s: wrong user name or password", ch->realm,
		          cred->user);
	} else if (resp.status == 401 || resp.status == 403) {
		error_set(err, EACCES, "%s refused %s: %s", ch->realm,
		          cred ? "your credentials" : "anonymous access",
		          cred ? "check them (burrow login)"
		               : "log in with 'burrow login' if the image is private");
	} else if (resp.status != 200 || !resp.body) {
		error_set(err, EPROTO, "token server %s answered %ld", ch->realm, resp.status);
	} else {
		json_error_t jerr;
		json_t *doc = json_loadb(resp.body, resp.body_len, 0, &jerr);
		const char *token = NULL;
		if (doc) {
			token = json_string_value(json_object_get(doc, "token"));
			if (!token)
				token = json_string_value(json_object_get(doc, "access_token"));
		}
		if (!token || !*token || strpbrk(token, "\r\n"))
			error_set(err, EPROTO, "token server %s gave no usable token", ch->realm);
		else if (asprintf(authorization, "Bearer %s", token) < 0)
			error_set(err, ENOMEM, "out of memory");
		else
			rc = 0;
		json_decref(doc);
	}
	http_response_free(&resp);
	return rc;
}

/* Answer a 401: find credentials and make the Authorization value the challenge asks for. */
static int authenticate(struct registry *reg, const char *challenge_text, struct error *err)
{
	struct auth_challenge ch = {0};
	if (!challenge_text)
		return error_set(err, EACCES, "%s: unauthorized and no challenge given", reg->host);
	if (auth_parse_challenge(challenge_text, &ch, err) < 0) {
		error_prefix(err, "%s", reg->host);
		return -1;
	}
	struct credentials cred = {0};
	int found = reg->login ? 1 : credentials_lookup(reg->host, reg->user, &cred, err);
	const struct credentials *use = reg->login ? reg->login : &cred;
	int rc = -1;
	char *authorization = NULL;
	if (found < 0) {
		rc = -1;
	} else if (ch.scheme == AUTH_BASIC) {
		cleanup_free char *pair = NULL;
		if (!found)
			error_set(err, EACCES, "%s needs a login: run 'burrow login %s'", reg->host,
			          reg->host);
		else if (asprintf(&pair, "%s:%s", use->user, use->secret) >= 0) {
			cleanup_free char *encoded = base64_encode(pair, strlen(pair));
			if (encoded && asprintf(&authorization, "Basic %s", encoded) >= 0)
				rc = 0;
			else
				error_set(err, ENOMEM, "out of memory");
		}
	} else if (ch.scheme == AUTH_BEARER) {
		rc = fetch_token(reg, &ch, found ? use : NULL, &authorization, err);
	} else {
		error_set(err, EPROTO, "%s: unsupported authentication", reg->host);
	}
	credentials_free(&cred);
	auth_challenge_free(&ch);
	if (rc == 0) {
		pthread_mutex_lock(&reg->lock);
		free(reg->authorization);
		reg->authorization = authorization;
		pthread_mutex_unlock(&reg->lock);
	}
	return rc;
}

/* Whether url belongs to the registry's own origin (credentials may go there). */
static bool same_origin(struct registry *reg, const char *url)
{
	cleanup_free char *origin = http_origin(url);
	pthread_mutex_lock(&reg->lock);
	if (!reg->origin)
		reg->origin = http_origin(reg->base);
	bool same = origin && reg->origin && strcmp(origin, reg->origin) == 0;
	pthread_mutex_unlock(&reg->lock);
	return same;
}

/* One logical request: GET base+path (or where redirects lead), authenticating, retrying and
 * falling back to http where allowed. *delivered counts body bytes the sink took. */
static int request(struct registry *reg, const char *path, const char *accept, struct http_request *tmpl,
                   struct http_response *resp, uint64_t *delivered, struct error *err)
{
	bool authenticated = false;
	int redirects = 0;
	cleanup_free char *url = NULL;
	for (int attempt = 1;; attempt++) {
		if (!url) {
			pthread_mutex_lock(&reg->lock);
			int n = asprintf(&url, "%s/v2/%s", reg->base, path);
			pthread_mutex_unlock(&reg->lock);
			if (n < 0)
				return error_set(err, ENOMEM, "out of memory");
		}
		cleanup_free char *auth_header = NULL;
		cleanup_free char *accept_header = NULL;
		const char *headers[3] = {NULL, NULL, NULL};
		size_t nh = 0;
		if (accept && asprintf(&accept_header, "Accept: %s", accept) >= 0)
			headers[nh++] = accept_header;
		pthread_mutex_lock(&reg->lock);
		if (reg->authorization && asprintf(&auth_header, "Authorization: %s", reg->authorization) < 0)
			auth_header = NULL;
		pthread_mutex_unlock(&reg->lock);
		if (auth_header && same_origin(reg, url))
			headers[nh++] = auth_header;
		struct http_request req = *tmpl;
		req.url = url;
		req.headers = headers;
		req.ca_blob = reg->ca_blob;
		req.ca_blob_len = reg->ca_len;
		req.timeout_s = reg->timeout_s;
		uint64_t before = *delivered;
		if (http_perform(&req, resp, err) < 0) {
			bool stopped = resp->sink_failed;
			http_response_free(resp);
			if (stopped)
				return -1;
			pthread_mutex_lock(&reg->lock);
			bool fallback = !reg->scheme_decided && reg->http_allowed &&
			                strncmp(url, "https:", 6) == 0 &&
			                strncmp(reg->base, "https:", 6) == 0;
			if (fallback) {
				free(reg->base);
				reg->base = NULL;
				if (asprintf(&reg->base, "http://%s", reg->host) < 0)
					reg->base = NULL;
				free(reg->origin);
				reg->origin = NULL;
				reg->scheme_decided = true;
			}
			pthread_mutex_unlock(&reg->lock);
			if (fallback) {
				free(url);
				url = NULL;
				continue;
			}
			/* Bytes already passed on: the caller resumes from there. */
			if (*delivered > before || attempt >= MAX_ATTEMPTS || err->code == ENOSYS)
				return -1;
			sleep_ms(backoff_ms(attempt, NULL));
			continue;
		}
		pthread_mutex_lock(&reg->lock);
		reg->scheme_decided = true;
		pthread_mutex_unlock(&reg->lock);
		if (resp->status == 401 && !authenticated) {
			authenticated = true;
			int rc = authenticate(reg, resp->www_authenticate, err);
			http_response_free(resp);
			if (rc < 0)
				return -1;
			continue;
		}
		if (resp->status >= 300 && resp->status < 400 && resp->location) {
			char *next = http_resolve(url, resp->location);
			http_response_free(resp);
			if (!next || ++redirects > MAX_REDIRECTS || strncmp(next, "http", 4) != 0) {
				free(next);
				return error_set(err, EPROTO, "%s: too many or bad redirects", reg->host);
			}
			free(url);
			url = next;
			continue;
		}
		if (retryable_status(resp->status) && attempt < MAX_ATTEMPTS) {
			long ms = backoff_ms(attempt, resp->retry_after);
			http_response_free(resp);
			sleep_ms(ms);
			continue;
		}
		return 0;
	}
}

/* A one-line error for an unexpected status, with the registry's own message when it sent the
 * standard {"errors":[{"code","message"}]} body. */
static int status_error(struct registry *reg, const char *what, const struct http_response *resp,
                        struct error *err)
{
	const char *message = NULL;
	json_t *doc = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	json_t *first = doc ? json_array_get(json_object_get(doc, "errors"), 0) : NULL;
	if (first)
		message = json_string_value(json_object_get(first, "message"));
	int code = resp->status == 404                          ? ENOENT
	           : resp->status == 401 || resp->status == 403 ? EACCES
	                                                        : EPROTO;
	if (resp->status == 404)
		error_set(err, code, "%s/%s: %s not found%s%s", reg->host, reg->repository, what,
		          message ? ": " : "", message ? message : "");
	else
		error_set(err, code, "%s/%s: %s: HTTP %ld%s%s", reg->host, reg->repository, what,
		          resp->status, message ? ": " : "", message ? message : "");
	json_decref(doc);
	return -1;
}

int registry_get_manifest(struct registry *reg, const char *tag_or_digest, struct registry_document *doc,
                          struct error *err)
{
	memset(doc, 0, sizeof(*doc));
	bool by_digest = strncmp(tag_or_digest, "sha256:", 7) == 0;
	if (by_digest && !digest_valid(tag_or_digest))
		return error_set(err, EINVAL, "invalid digest %s", tag_or_digest);
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/manifests/%s", reg->repository, tag_or_digest) < 0)
		return error_set(err, ENOMEM, "out of memory");
	struct http_request tmpl = {.max_body = MANIFEST_MAX};
	struct http_response resp;
	uint64_t delivered = 0;
	if (request(reg, path, MANIFEST_ACCEPT, &tmpl, &resp, &delivered, err) < 0)
		return -1;
	int rc = -1;
	if (resp.status != 200) {
		status_error(reg, tag_or_digest, &resp, err);
	} else if (!resp.body) {
		error_set(err, EPROTO, "%s: empty manifest %s", reg->host, tag_or_digest);
	} else {
		digest_buffer(resp.body, resp.body_len, doc->digest);
		if (by_digest && strcmp(doc->digest, tag_or_digest) != 0)
			error_set(err, EBADMSG, "%s: manifest %s has digest %s: refused", reg->host,
			          tag_or_digest, doc->digest);
		else if (resp.docker_content_digest && digest_valid(resp.docker_content_digest) &&
		         strcmp(resp.docker_content_digest, doc->digest) != 0)
			error_set(err, EBADMSG, "%s: manifest %s is %s but the registry says %s: refused",
			          reg->host, tag_or_digest, doc->digest, resp.docker_content_digest);
		else {
			doc->body = resp.body;
			doc->len = resp.body_len;
			doc->content_type = resp.content_type;
			resp.body = resp.content_type = NULL;
			rc = 0;
		}
	}
	http_response_free(&resp);
	return rc;
}

void registry_document_free(struct registry_document *doc)
{
	free(doc->body);
	free(doc->content_type);
	memset(doc, 0, sizeof(*doc));
}

struct blob_stream {
	int (*sink)(void *ctx, const void *buf, size_t len);
	int (*restart)(void *ctx);
	void *ctx;
	struct http_response *resp;
	uint64_t range_from, delivered;
	bool started, stopped;
};

static int blob_sink(void *data, const void *buf, size_t len)
{
	struct blob_stream *s = data;
	if (!s->started) {
		s->started = true;
		/* A server that ignores Range sends everything again. */
		if (s->range_from > 0 && s->resp->status == 200) {
			if (s->restart(s->ctx) < 0) {
				s->stopped = true;
				return -1;
			}
			s->range_from = 0;
		}
	}
	if (s->sink(s->ctx, buf, len) < 0) {
		s->stopped = true;
		return -1;
	}
	s->delivered += len;
	return 0;
}

int registry_get_blob(struct registry *reg, const char *digest, uint64_t offset,
                      int (*sink)(void *ctx, const void *buf, size_t len), int (*restart)(void *ctx),
                      void *ctx, struct error *err)
{
	if (!digest_valid(digest))
		return error_set(err, EINVAL, "invalid digest %s", digest);
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/blobs/%s", reg->repository, digest) < 0)
		return error_set(err, ENOMEM, "out of memory");
	for (int failures = 0;;) {
		struct http_response resp;
		struct blob_stream s = {
		        .sink = sink, .restart = restart, .ctx = ctx, .resp = &resp, .range_from = offset};
		struct http_request tmpl = {.range_from = offset, .sink = blob_sink, .ctx = &s};
		int rc = request(reg, path, NULL, &tmpl, &resp, &s.delivered, err);
		offset = s.range_from + s.delivered;
		if (rc < 0) {
			if (s.stopped || s.delivered == 0)
				return -1;
			/* A long blob over a flaky link may be cut many times; give up only on cuts
			 * that come without progress. */
			if (s.delivered >= RESUME_PROGRESS)
				failures = 0;
			if (++failures >= MAX_ATTEMPTS)
				return -1;
			/* Cut short after some bytes: resume from there. */
			sleep_ms(backoff_ms(failures, NULL));
			continue;
		}
		if (resp.status == 416 && offset > 0) {
			/* Nothing left to send: the partial file already holds the whole blob. */
			http_response_free(&resp);
			return 0;
		}
		if (resp.status != 200 && resp.status != 206) {
			status_error(reg, digest, &resp, err);
			http_response_free(&resp);
			return -1;
		}
		http_response_free(&resp);
		return 0;
	}
}

int registry_check_login(const char *host, const char *user, const char *secret, struct error *err)
{
	struct reference ref = {.registry = (char *)host, .repository = (char *)""};
	struct credentials login = {.user = (char *)user, .secret = (char *)secret};
	struct registry *reg = NULL;
	if (registry_open(&ref, &reg, err) < 0)
		return -1;
	reg->login = &login;
	struct http_request tmpl = {.max_body = 1 << 16};
	struct http_response resp;
	uint64_t delivered = 0;
	int rc = -1;
	if (request(reg, "", NULL, &tmpl, &resp, &delivered, err) == 0) {
		if (resp.status == 200)
			rc = reg->authorization ? 1 : 0;
		else if (resp.status == 401 || resp.status == 403)
			error_set(err, EACCES, "%s refused user %s: wrong user name or password", reg->host,
			          user);
		else
			status_error(reg, "/v2/", &resp, err);
		http_response_free(&resp);
	}
	registry_close(reg);
	return rc;
}
