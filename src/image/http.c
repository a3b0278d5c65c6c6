/* HTTP over libcurl, dlopen'd the first time a request is made (see http.h for why). Only the
 * handful of entry points used here are looked up; the types come from curl's own header. */
#include "image/http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/cleanup.h"

static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content, unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **content, unsigned int flags);
	void (*url_cleanup)(CURLU *u);
	void (*free)(void *p);
} curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_load_error[256];

static void curl_load(void)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(curl_load_error, sizeof(curl_load_error),
		         "cannot load libcurl (%s): install it (apt-get install libcurl4)", dlerror());
		return;
	}
	struct {
		void **slot;
		const char *name;
	} symbols[] = {
	        {(void **)&curl.global_init, "curl_global_init"},
	        {(void **)&curl.easy_init, "curl_easy_init"},
	        {(void **)&curl.easy_setopt, "curl_easy_setopt"},
	        {(void **)&curl.easy_perform, "curl_easy_perform"},
	        {(void **)&curl.easy_getinfo, "curl_easy_getinfo"},
	        {(void **)&curl.easy_cleanup, "curl_easy_cleanup"},
	        {(void **)&curl.easy_strerror, "curl_easy_strerror"},
	        {(void **)&curl.slist_append, "curl_slist_append"},
	        {(void **)&curl.slist_free_all, "curl_slist_free_all"},
	        {(void **)&curl.url, "curl_url"},
	        {(void **)&curl.url_set, "curl_url_set"},
	        {(void **)&curl.url_get, "curl_url_get"},
	        {(void **)&curl.url_cleanup, "curl_url_cleanup"},
	        {(void **)&curl.free, "curl_free"},
	};
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		*symbols[i].slot = dlsym(lib, symbols[i].name);
		if (!*symbols[i].slot) {
			snprintf(curl_load_error, sizeof(curl_load_error),
			         "libcurl lacks %s: install libcurl4 7.62 or later", symbols[i].name);
			return;
		}
	}
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(curl_load_error, sizeof(curl_load_error), "cannot initialise libcurl");
}

static int curl_ready(struct error *err)
{
	pthread_once(&curl_once, curl_load);
	if (curl_load_error[0])
		return error_set(err, ENOSYS, "%s", curl_load_error);
	return 0;
}

struct transfer {
	const struct http_request *req;
	struct http_response *resp;
	CURL *handle;
	long timeout_s;
	struct timespec last_data; /* CLOCK_MONOTONIC: when a header or body byte last came */
	bool stalled;
};

static void mark_data(struct transfer *t)
{
	clock_gettime(CLOCK_MONOTONIC, &t->last_data);
}

/* curl's own low-speed limit averages over its last five seconds, so a body that stalls after a
 * burst is noticed only seconds late: the stall is timed here, from the last byte that came. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	struct transfer *t = userdata;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double idle = (double)(now.tv_sec - t->last_data.tv_sec) +
	              (double)(now.tv_nsec - t->last_data.tv_nsec) / 1e9;
	if (idle < (double)t->timeout_s)
		return 0;
	t->stalled = true;
	return 1; /* aborts the transfer */
}

/* Keeps the value of header name from line ("Name: value\r\n"), replacing an earlier one. */
static void keep_header(char **slot, const char *name, const char *line, size_t len)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	const char *value = line + n + 1;
	const char *end = line + len;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	char *copy = strndup(value, (size_t)(end - value));
	if (copy) {
		free(*slot);
		*slot = copy;
	}
}

static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * n;
	struct http_response *r = t->resp;
	mark_data(t);
	keep_header(&r->content_type, "Content-Type", line, len);
	keep_header(&r->location, "Location", line, len);
	keep_header(&r->www_authenticate, "WWW-Authenticate", line, len);
	keep_header(&r->docker_content_digest, "Docker-Content-Digest", line, len);
	keep_header(&r->retry_after, "Retry-After", line, len);
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * n;
	struct http_response *r = t->resp;
	long status = 0;
	mark_data(t);
	curl.easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
	/* Only a successful body is data; an error's body is kept for its message. */
	if (t->req->sink && status >= 200 && status < 300) {
		r->status = status; /* the sink may look: 206 or 200 decides a resume */
		if (t->req->sink(t->req->ctx, buf, len) < 0) {
			r->sink_failed = true;
			return 0;
		}
		return len;
	}
	size_t max = t->req->sink ? 64 * 1024 : t->req->max_body;
	if (r->body_len + len > max) {
		r->body_too_large = true;
		return 0;
	}
	char *grown = realloc(r->body, r->body_len + len + 1);
	if (!grown)
		return 0;
	memcpy(grown + r->body_len, buf, len);
	r->body = grown;
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static void slist_free_p(struct curl_slist **list)
{
	if (*list)
		curl.slist_free_all(*list);
}

int http_perform(const struct http_request *req, struct http_response *resp, struct error *err)
{
	memset(resp, 0, sizeof(*resp));
	if (curl_ready(err) < 0)
		return -1;
	CURL *h = curl.easy_init();
	if (!h)
		return error_set(err, ENOMEM, "out of memory");
	__attribute__((cleanup(slist_free_p))) struct curl_slist *headers = NULL;
	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		struct curl_slist *grown = curl.slist_append(headers, req->headers[i]);
		if (!grown) {
			curl.easy_cleanup(h);
			return error_set(err, ENOMEM, "out of memory");
		}
		headers = grown;
	}
	long timeout = req->timeout_s > 0 ? req->timeout_s : 30;
	struct transfer t = {.req = req, .resp = resp, .handle = h, .timeout_s = timeout};
	mark_data(&t);
	char range[64];
	curl.easy_setopt(h, CURLOPT_URL, req->url);
	curl.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* redirects are the caller's: credentials */
	curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
	curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl.easy_setopt(h, CURLOPT_XFERINFODATA, &t);
	curl.easy_setopt(h, CURLOPT_USERAGENT, "burrow/0.1");
	curl.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "identity");
	curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl.easy_setopt(h, CURLOPT_HEADERDATA, &t);
	curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(h, CURLOPT_WRITEDATA, &t);
	if (req->range_from > 0) {
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)req->range_from);
		curl.easy_setopt(h, CURLOPT_RANGE, range);
	}
	if (req->ca_blob) {
		struct curl_blob blob = {
		        .data = (void *)req->ca_blob, .len = req->ca_blob_len, .flags = CURL_BLOB_COPY};
		curl.easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	CURLcode rc = curl.easy_perform(h);
	curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl.easy_cleanup(h);
	if (rc == CURLE_OK)
		return 0;
	if (resp->sink_failed)
		return -1; /* the sink's own error stands (http.h): "transfer stopped" would hide it */
	if (resp->body_too_large)
		return error_set(err, EFBIG, "%s: response larger than %zu bytes", req->url, req->max_body);
	if (t.stalled)
		return error_set(err, ETIMEDOUT, "%s: nothing received for %ld s (BURROW_HTTP_TIMEOUT)",
		                 req->url, timeout);
	int code = rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
	           : rc == CURLE_COULDNT_CONNECT  ? ECONNREFUSED
	                                          : EIO;
	return error_set(err, code, "%s: %s", req->url, curl.easy_strerror(rc));
}

void http_response_free(struct http_response *resp)
{
	free(resp->body);
	free(resp->content_type);
	free(resp->location);
	free(resp->www_authenticate);
	free(resp->docker_content_digest);
	free(resp->retry_after);
	memset(resp, 0, sizeof(*resp));
}

static char *url_part(const char *base, const char *relative, CURLUPart part)
{
	struct error err;
	if (curl_ready(&err) < 0)
		return NULL;
	CURLU *u = curl.url();
	if (!u)
		return NULL;
	char *out = NULL;
	if (curl.url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    (!relative || curl.url_set(u, CURLUPART_URL, relative, 0) == CURLUE_OK)) {
		char *part_text = NULL;
		if (part == CURLUPART_URL) {
			if (curl.url_get(u, CURLUPART_URL, &part_text, 0) == CURLUE_OK)
				out = strdup(part_text);
		} else {
			char *scheme = NULL, *host = NULL, *port = NULL;
			if (curl.url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
			    curl.url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
				curl.url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
				if (asprintf(&out, "%s://%s:%s", scheme, host, port ? port : "") < 0)
					out = NULL;
			}
			curl.free(scheme);
			curl.free(host);
			curl.free(port);
		}
		curl.free(part_text);
	}
	curl.url_cleanup(u);
	return out;
}

char *http_resolve(const char *base, const char *location)
{
	return url_part(base, location, CURLUPART_URL);
}

char *http_origin(const char *url)
{
	return url_part(url, NULL, CURLUPART_SCHEME);
}
