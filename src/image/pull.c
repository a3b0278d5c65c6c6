/* burrow pull: resolve the manifest, store the config, then one thread per layer (up to the
 * connection limit) streams the blob from the registry into the store while a pipe carries the
 * same bytes to the unpacker: hashed, decompressed, hashed again (diff_id) and written in one
 * pass. A layer dir becomes visible only after its blob and its diff_id both verified. */
#include "image/pull.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/registry.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CONFIG_MAX (8 << 20)

/* --- small blobs (configs) held in memory --- */

struct buffer {
	char *data;
	size_t len, max;
	bool too_large, no_memory; /* why the sink stopped */
};

static int buffer_sink(void *ctx, const void *buf, size_t len)
{
	struct buffer *b = ctx;
	if (b->len + len > b->max) {
		b->too_large = true;
		return -1;
	}
	char *grown = realloc(b->data, b->len + len + 1);
	if (!grown) {
		b->no_memory = true;
		return -1;
	}
	memcpy(grown + b->len, buf, len);
	b->data = grown;
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

static int buffer_restart(void *ctx)
{
	((struct buffer *)ctx)->len = 0;
	return 0;
}

/* Fetch a small blob, verify it, store it; returns the bytes (malloc'd). */
static char *fetch_small_blob(struct store *st, struct registry *reg, const struct descriptor *d, size_t *len,
                              struct error *err)
{
	if (store_has_blob(st, d->digest))
		return store_read_blob(st, d->digest, CONFIG_MAX, len, err);
	struct buffer b = {.max = CONFIG_MAX};
	if (registry_get_blob(reg, d->digest, 0, buffer_sink, buffer_restart, &b, err) < 0) {
		if (b.too_large)
			error_set(err, EFBIG, "%s is larger than %d bytes", d->digest, CONFIG_MAX);
		else if (b.no_memory)
			error_set(err, ENOMEM, "out of memory");
		free(b.data);
		return NULL;
	}
	if (!b.data && (b.data = strdup("")) == NULL) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (store_put_blob(st, d->digest, b.data, b.len, err) < 0) {
		free(b.data);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

/* --- one layer: producer (registry -> store + pipe) and consumer (pipe -> layer dir) --- */

struct layer_job {
	struct store *st;
	struct registry *reg;
	const struct pull_options *opts;
	size_t index, n_layers;
	const struct descriptor *layer;
	const char *diff_id;
	struct unpack_limits lim;
	/* producer state */
	struct blob_writer *writer; /* left open on failure: run_layer keeps or drops the partial */
	int pipe_w;                 /* -1: fetch the blob only, the layer dir exists */
	uint64_t resumed_from;      /* bytes a partial from an earlier pull held */
	bool fresh;                 /* drop any partial instead of resuming it */
	uint64_t piped, skip;
	struct error producer_err;
	int producer_rc;
	bool pipe_broken; /* the unpacker stopped reading: its error is the one that counts */
	struct unpack_stats stats;
	/* result */
	struct error err;
	int rc;
	bool fetched;
};

static void report_layer(const struct layer_job *job, enum pull_layer_state state, uint64_t done)
{
	if (!job->opts || !job->opts->layer_progress)
		return;
	struct pull_layer_progress p = {.index = job->index,
	                                .n_layers = job->n_layers,
	                                .digest = job->layer->digest,
	                                .done = done,
	                                .total = job->layer->size,
	                                .state = state};
	job->opts->layer_progress(job->opts->progress_ctx, &p);
}

/* Pass bytes on to the unpacker. */
static int pipe_sink(void *ctx, const void *buf, size_t len)
{
	struct layer_job *job = ctx;
	if (job->pipe_w < 0)
		return 0;
	if (fs_write_all(job->pipe_w, buf, len) < 0) {
		job->pipe_broken = true;
		return error_errno(&job->producer_err, "layer %s: unpacking stopped", job->layer->digest);
	}
	job->piped += len;
	return 0;
}

static int layer_sink(void *ctx, const void *buf, size_t len)
{
	struct layer_job *job = ctx;
	if (blob_writer_write(job->writer, buf, len, &job->producer_err) < 0)
		return -1;
	report_layer(job, PULL_LAYER_FETCHING, blob_writer_offset(job->writer));
	/* After a restart the unpacker already has the first bytes: pass on only new ones. */
	const char *p = buf;
	if (job->skip > 0) {
		size_t drop = job->skip < len ? (size_t)job->skip : len;
		job->skip -= drop;
		p += drop;
		len -= drop;
	}
	return len > 0 ? pipe_sink(job, p, len) : 0;
}

static int layer_restart(void *ctx)
{
	struct layer_job *job = ctx;
	job->skip = job->piped;
	return blob_writer_truncate(job->writer, &job->producer_err);
}

/* Copy a stored blob into the pipe (the layer dir is missing but the blob is there). */
static int pipe_stored_blob(struct layer_job *job)
{
	cleanup_close int fd = store_open_blob(job->st, job->layer->digest, &job->producer_err);
	if (fd < 0)
		return -1;
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fs_write_all(job->pipe_w, buf, (size_t)n) < 0) {
			job->pipe_broken = true;
			return error_errno(&job->producer_err, "layer %s: unpacking stopped",
			                   job->layer->digest);
		}
	return n < 0 ? error_errno(&job->producer_err, "read blob %s", job->layer->digest) : 0;
}

static void *producer_main(void *arg)
{
	struct layer_job *job = arg;
	error_clear(&job->producer_err);
	bool exists = false;
	job->producer_rc = -1;
	if (store_blob_begin(job->st, job->layer->digest, job->layer->size, &job->writer, &exists,
	                     &job->producer_err) < 0)
		goto out;
	if (exists) {
		job->producer_rc = job->pipe_w >= 0 ? pipe_stored_blob(job) : 0;
		goto out;
	}
	uint64_t offset = blob_writer_offset(job->writer);
	if (offset > 0 && job->fresh) {
		if (blob_writer_truncate(job->writer, &job->producer_err) < 0)
			goto out;
		offset = 0;
	}
	/* A partial blob from an interrupted pull: the unpacker needs the whole stream, so it gets
	 * the bytes on disk first, and the download goes on from where they end. */
	job->resumed_from = offset;
	if (offset > 0 && job->pipe_w >= 0 &&
	    blob_writer_replay(job->writer, pipe_sink, job, &job->producer_err) < 0)
		goto out;
	if ((job->layer->size < 0 || offset < (uint64_t)job->layer->size) &&
	    registry_get_blob(job->reg, job->layer->digest, offset, layer_sink, layer_restart, job,
	                      &job->producer_err) < 0)
		goto out;
	job->fetched = true;
	struct blob_writer *w = job->writer;
	job->writer = NULL;
	job->producer_rc = store_blob_commit(w, &job->producer_err);
out:
	if (job->pipe_w >= 0)
		close(job->pipe_w);
	job->pipe_w = -1;
	return NULL;
}

/* The layer dir is there but its blob is not (fsck --repair removed a corrupt one, or another
 * tool wrote the dir): fetch the blob alone, so the image is whole again in the OCI layout. */
static void fetch_blob_only(struct layer_job *job)
{
	job->pipe_w = -1;
	producer_main(job);
	job->rc = job->producer_rc;
	if (job->rc < 0)
		job->err = job->producer_err;
	store_blob_abort(job->writer, job->err.code != ENOSPC);
	job->writer = NULL;
}

/* The unpacker reads the decompressed stream through this, so the diff_id is hashed on the way. */
struct diff_reader {
	struct archive *inner; /* the compressed pipe, decompressed by libarchive's filters */
	struct digest_ctx *hash;
	char buf[1 << 16];
};

static la_ssize_t diff_read(struct archive *outer, void *ctx, const void **out)
{
	(void)outer;
	struct diff_reader *r = ctx;
	la_ssize_t n = archive_read_data(r->inner, r->buf, sizeof(r->buf));
	if (n > 0)
		digest_update(r->hash, r->buf, (size_t)n);
	*out = r->buf;
	return n;
}

static void archive_free_p(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static int consume_layer(struct layer_job *job, int pipe_r, int dir_fd, struct error *err)
{
	__attribute__((cleanup(archive_free_p))) struct archive *inner = archive_read_new();
	__attribute__((cleanup(archive_free_p))) struct archive *outer = archive_read_new();
	struct diff_reader r = {.hash = digest_new()};
	if (!inner || !outer || !r.hash) {
		digest_free(r.hash);
		return error_set(err, ENOMEM, "out of memory");
	}
	r.inner = inner;
	archive_read_support_filter_gzip(inner);
	archive_read_support_filter_zstd(inner);
	archive_read_support_format_raw(inner);
	archive_read_support_format_tar(outer);
	archive_read_support_format_gnutar(outer);
	struct archive_entry *entry;
	int rc = -1;
	if (archive_read_open_fd(inner, pipe_r, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(inner, &entry) != ARCHIVE_OK) {
		error_set(err, EPROTO, "layer %s: %s", job->layer->digest,
		          archive_error_string(inner) ? archive_error_string(inner) : "empty stream");
		goto out;
	}
	if (archive_read_open(outer, &r, NULL, diff_read, NULL) != ARCHIVE_OK) {
		error_set(err, EPROTO, "layer %s: %s", job->layer->digest, archive_error_string(outer));
		goto out;
	}
	if (unpack_layer(outer, dir_fd, &job->lim, &job->stats, err) < 0) {
		error_prefix(err, "layer %s", job->layer->digest);
		goto out;
	}
	/* The tar's end blocks and padding count for the diff_id too. */
	while (diff_read(outer, &r, &(const void *){NULL}) > 0)
		;
	char diff_id[DIGEST_STRING_LEN + 1];
	digest_final(r.hash, diff_id);
	if (strcmp(diff_id, job->diff_id) != 0) {
		error_set(err, EBADMSG, "layer %s unpacks to %s, but the image config says %s: refused",
		          job->layer->digest, diff_id, job->diff_id);
		goto out;
	}
	rc = 0;
out:
	digest_free(r.hash);
	return rc;
}

static void run_layer_once(struct layer_job *job)
{
	job->rc = -1;
	error_clear(&job->err);
	struct layer_writer *lw = NULL;
	int dir_fd = -1;
	bool exists = store_has_layer(job->st, job->diff_id);
	if (!exists && store_layer_begin(job->st, job->diff_id, &lw, &dir_fd, &exists, &job->err) < 0)
		return;
	if (exists) {
		if (store_has_blob(job->st, job->layer->digest))
			job->rc = 0;
		else
			fetch_blob_only(job);
		return;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		error_errno(&job->err, "pipe");
		close(dir_fd);
		store_layer_abort(lw);
		return;
	}
	job->pipe_w = p[1];
	pthread_t producer;
	if (pthread_create(&producer, NULL, producer_main, job) != 0) {
		error_set(&job->err, EAGAIN, "cannot start a download thread");
		close(p[0]);
		close(p[1]);
		close(dir_fd);
		store_layer_abort(lw);
		return;
	}
	int consumed = consume_layer(job, p[0], dir_fd, &job->err);
	close(p[0]); /* a producer still writing gets EPIPE and stops */
	pthread_join(producer, NULL);
	close(dir_fd);
	if (job->producer_rc < 0 && !(consumed < 0 && job->pipe_broken))
		job->err = job->producer_err; /* the download's failure explains a cut stream */
	if (job->producer_rc < 0 || consumed < 0) {
		/* Keep what was fetched for the next pull to resume, unless the disk is full: a
		 * failed pull must not leave it so. */
		store_blob_abort(job->writer, job->err.code != ENOSPC);
		job->writer = NULL;
		store_layer_abort(lw);
		return;
	}
	job->rc = store_layer_commit(lw, &job->err);
}

/* Errors that bytes from an earlier pull's partial blob can explain: not a network failure. */
static bool partial_suspect(int code)
{
	return code == EBADMSG || code == EPROTO || code == EFBIG || code == EINVAL || code == EILSEQ;
}

static void run_layer(struct layer_job *job)
{
	run_layer_once(job);
	if (job->rc < 0 && job->resumed_from > 0 && partial_suspect(job->err.code)) {
		/* Those bytes were not a prefix of this blob (another server's, or damaged on disk):
		 * once more from nothing. */
		job->fresh = true;
		job->resumed_from = job->piped = job->skip = 0;
		job->pipe_broken = job->fetched = false;
		job->stats = (struct unpack_stats){0};
		run_layer_once(job);
	}
}

struct job_queue {
	struct layer_job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	const struct pull_options *opts;
};

static void *worker_main(void *arg)
{
	struct job_queue *q = arg;
	for (;;) {
		pthread_mutex_lock(&q->lock);
		size_t i = q->next < q->n ? q->next++ : q->n;
		pthread_mutex_unlock(&q->lock);
		if (i >= q->n)
			return NULL;
		run_layer(&q->jobs[i]);
		if (q->jobs[i].rc == 0)
			report_layer(&q->jobs[i], q->jobs[i].fetched ? PULL_LAYER_DONE : PULL_LAYER_CACHED,
			             (uint64_t)q->jobs[i].layer->size);
		if (q->opts && q->opts->progress && q->jobs[i].rc == 0) {
			char line[160];
			snprintf(line, sizeof(line), "layer %.19s %s", q->jobs[i].layer->digest,
			         q->jobs[i].fetched ? "fetched and unpacked" : "already in the cache");
			pthread_mutex_lock(&q->lock);
			q->opts->progress(q->opts->progress_ctx, line);
			pthread_mutex_unlock(&q->lock);
		}
	}
}

static int max_connections(const struct pull_options *opts)
{
	if (opts && opts->max_connections > 0)
		return opts->max_connections;
	const char *env = getenv("BURROW_MAX_CONNECTIONS");
	long n = env && *env ? strtol(env, NULL, 10) : 8;
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static int pull_layers(struct store *st, struct registry *reg, const struct manifest *m,
                       const struct image_config *config, const struct pull_options *opts,
                       struct pull_result *result, struct error *err)
{
	if (config->n_diff_ids != m->n_layers)
		return error_set(err, EPROTO, "the manifest has %zu layers but the config %zu diff_ids",
		                 m->n_layers, config->n_diff_ids);
	struct layer_job *jobs = calloc(m->n_layers ? m->n_layers : 1, sizeof(*jobs));
	if (!jobs)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < m->n_layers; i++) {
		jobs[i] = (struct layer_job){.st = st,
		                             .reg = reg,
		                             .opts = opts,
		                             .index = i,
		                             .n_layers = m->n_layers,
		                             .layer = &m->layers[i],
		                             .diff_id = config->diff_ids[i],
		                             .pipe_w = -1};
		unpack_limits_default(&jobs[i].lim);
	}
	struct job_queue q = {.jobs = jobs, .n = m->n_layers, .opts = opts};
	pthread_mutex_init(&q.lock, NULL);
	for (size_t i = 0; i < m->n_layers; i++)
		report_layer(&jobs[i], PULL_LAYER_WAITING, 0);
	int n_threads = max_connections(opts);
	if ((size_t)n_threads > m->n_layers)
		n_threads = (int)m->n_layers;
	pthread_t threads[64];
	int started = 0;
	for (; started < n_threads; started++)
		if (pthread_create(&threads[started], NULL, worker_main, &q) != 0)
			break;
	if (started == 0)
		worker_main(&q);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&q.lock);
	int rc = 0;
	for (size_t i = 0; i < m->n_layers; i++) {
		if (jobs[i].rc < 0 && rc == 0) {
			*err = jobs[i].err;
			rc = -1;
		}
		if (jobs[i].rc == 0)
			jobs[i].fetched ? result->layers_fetched++ : result->layers_cached++;
		result->devices_skipped += jobs[i].stats.devices_skipped;
	}
	free(jobs);
	return rc;
}

/* The image manifest for ref: the document itself, or the one an index lists for the platform. */
static int resolve_manifest(struct store *st, struct registry *reg, const struct reference *ref,
                            const struct pull_options *opts, struct registry_document *doc,
                            struct manifest *m, struct error *err)
{
	const char *wanted = ref->digest ? ref->digest : ref->tag;
	if (registry_get_manifest(reg, wanted, doc, err) < 0)
		return -1;
	if (manifest_parse(doc->body, doc->len, doc->content_type, m, err) < 0) {
		error_prefix(err, "%s", wanted);
		return -1;
	}
	if (m->kind == MANIFEST_IMAGE)
		return 0;
	struct platform host = {0};
	const struct platform *want = opts && opts->platform ? opts->platform : NULL;
	if (!want) {
		platform_host(&host);
		want = &host;
	}
	const struct descriptor *chosen = NULL;
	int rc = manifest_select(m, want, &chosen, err);
	cleanup_free char *digest = rc == 0 ? strdup(chosen->digest) : NULL;
	platform_free(&host);
	if (rc < 0)
		return -1;
	if (store_put_blob(st, doc->digest, doc->body, doc->len, err) < 0)
		return -1;
	manifest_free(m);
	registry_document_free(doc);
	if (!digest)
		return error_set(err, ENOMEM, "out of memory");
	if (registry_get_manifest(reg, digest, doc, err) < 0)
		return -1;
	if (manifest_parse(doc->body, doc->len, doc->content_type, m, err) < 0) {
		error_prefix(err, "%s", digest);
		return -1;
	}
	if (m->kind != MANIFEST_IMAGE)
		return error_set(err, EPROTO, "%s: the index points at another index", digest);
	return 0;
}

int pull_image(struct store *st, const struct reference *ref, const struct pull_options *opts,
               struct pull_result *result, struct error *err)
{
	memset(result, 0, sizeof(*result));
	/* A download whose unpacker stopped must get EPIPE, not die of SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	struct registry *reg = NULL;
	if (registry_open(ref, &reg, err) < 0)
		return -1;
	int store_lock_fd = store_lock(st, false, true, err);
	if (store_lock_fd < 0) {
		registry_close(reg);
		return -1;
	}
	struct registry_document doc = {0};
	struct manifest m = {0};
	struct image_config config = {0};
	char *config_json = NULL, *oci_manifest = NULL;
	size_t config_len = 0;
	int rc = -1;
	if (resolve_manifest(st, reg, ref, opts, &doc, &m, err) < 0)
		goto out;
	config_json = fetch_small_blob(st, reg, &m.config, &config_len, err);
	if (!config_json) {
		error_prefix(err, "config");
		goto out;
	}
	if (image_config_parse(config_json, config_len, &config, err) < 0) {
		error_prefix(err, "config %s", m.config.digest);
		goto out;
	}
	if (pull_layers(st, reg, &m, &config, opts, result, err) < 0)
		goto out;
	result->name = reference_name(ref);
	struct store_descriptor manifest = {
	        .media_type = m.media_type ? m.media_type : (char *)MEDIA_OCI_MANIFEST,
	        .digest = doc.digest,
	        .size = (int64_t)doc.len,
	};
	/* A Docker manifest is stored in its OCI form (same config and layers), so that tools
	 * reading the layout as OCI (skopeo's and umoci's oci: transports) find the image. */
	char oci_digest[DIGEST_STRING_LEN + 1];
	bool docker = m.media_type && strcmp(m.media_type, MEDIA_DOCKER_MANIFEST) == 0;
	if (!docker && store_put_blob(st, doc.digest, doc.body, doc.len, err) < 0)
		goto out;
	if (docker) {
		size_t oci_len = 0;
		oci_manifest = manifest_docker_to_oci(doc.body, doc.len, &oci_len, err);
		if (!oci_manifest)
			goto out;
		digest_buffer(oci_manifest, oci_len, oci_digest);
		if (store_put_blob(st, oci_digest, oci_manifest, oci_len, err) < 0)
			goto out;
		manifest = (struct store_descriptor){.media_type = (char *)MEDIA_OCI_MANIFEST,
		                                     .digest = oci_digest,
		                                     .size = (int64_t)oci_len};
	}
	if (!result->name) {
		error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (store_tag(st, result->name, &manifest, err) < 0)
		goto out;
	snprintf(result->digest, sizeof(result->digest), "%s", doc.digest);
	rc = 0;
out:
	store_unlock(store_lock_fd);
	if (rc < 0 && err->code == ENOSPC) {
		char reason[ERROR_MSG_MAX];
		snprintf(reason, sizeof(reason), "%s", err->msg);
		error_set(err, ENOSPC,
		          "%s; free space in %s ('burrow gc' removes what no image uses) or set "
		          "BURROW_CACHE_PATH to a larger disk",
		          reason, st->path);
	}
	free(config_json);
	free(oci_manifest);
	image_config_free(&config);
	manifest_free(&m);
	registry_document_free(&doc);
	registry_close(reg);
	return rc;
}

void pull_result_free(struct pull_result *result)
{
	free(result->name);
	result->name = NULL;
}
