/* burrow's FUSE server for an image file, on libfuse3's low-level API with its multithreaded
 * loop. Node ids are squashfs inode references, so the server keeps no table of nodes and
 * forget has nothing to do; each worker thread decodes with its own imagefile_cursor. */
#define FUSE_USE_VERSION 312
#include "runtime/fuse_server.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fuse3/fuse_lowlevel.h>

#include "runtime/prefetch.h"
#include "util/cleanup.h"

/* The image never changes while it is served: the kernel may cache everything for long. */
#define CACHE_SECONDS 86400.0
#define MAX_WORKERS   16
#define MIN_WORKERS   2

/* An open directory: its entries, read once at opendir. */
struct dir_listing {
	size_t n;
	struct dir_entry {
		char *name;
		uint64_t ref;
		mode_t type;
	} * entries;
};

/* What an open directory (its listing) or file (its decoded inode) holds. Listed, so that the
 * ones the kernel never released (the connection ended with them open) go with the server. */
struct handle {
	struct handle *prev, *next;
	struct dir_listing *listing;
	struct imagefile_node node;
};

struct fuse_server {
	struct imagefile *img;
	struct prefetcher *prefetch;  /* the caller's, may be NULL */
	pthread_mutex_t handles_lock; /* taken at open and release only, never by a read */
	struct handle handles;
	struct fuse_server_owners owners;
	struct fuse_session *se;
	pthread_key_t cursor_key;
	pthread_t loop;
	bool loop_started;
	int fuse_fd;
};

static void cursor_destroy(void *cur)
{
	imagefile_cursor_free(cur);
}

static struct imagefile_cursor *thread_cursor(struct fuse_server *srv)
{
	struct imagefile_cursor *cur = pthread_getspecific(srv->cursor_key);
	if (cur)
		return cur;
	struct error err;
	cur = imagefile_cursor_new(srv->img, &err);
	if (cur && pthread_setspecific(srv->cursor_key, cur) != 0) {
		imagefile_cursor_free(cur);
		return NULL;
	}
	return cur;
}

/* FUSE's root is node 1; every other node is its inode reference + 2, which is never 1. */
static uint64_t ino_to_ref(const struct fuse_server *srv, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? imagefile_root_ref(srv->img) : ino - 2;
}

static fuse_ino_t ref_to_ino(const struct fuse_server *srv, uint64_t ref)
{
	return ref == imagefile_root_ref(srv->img) ? FUSE_ROOT_ID : ref + 2;
}

/* The node for ino in *node, with the thread's cursor in *cur; a negative errno on failure. */
static int load(fuse_req_t req, fuse_ino_t ino, struct imagefile_cursor **cur, struct imagefile_node *node)
{
	struct fuse_server *srv = fuse_req_userdata(req);
	*cur = thread_cursor(srv);
	if (!*cur)
		return -ENOMEM;
	return imagefile_node_read(*cur, ino_to_ref(srv, ino), node);
}

static bool mapped(const struct idmap *m, uint32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (id >= m->ranges[i].inside && id - m->ranges[i].inside < m->ranges[i].count)
			return true;
	return false;
}

/* The stat the kernel gets for node: FUSE's node id, owners as the namespace can show them (an
 * unmapped owner would leave even the image's root-owned /etc closed to the user). */
static void show_stat(const struct fuse_server *srv, const struct imagefile_node *node, fuse_ino_t ino,
                      struct stat *st)
{
	*st = node->st;
	st->st_ino = ino;
	if (!mapped(&srv->owners.uids, st->st_uid))
		st->st_uid = srv->owners.self_uid;
	if (!mapped(&srv->owners.gids, st->st_gid))
		st->st_gid = srv->owners.self_gid;
}

static void fill_entry(const struct fuse_server *srv, const struct imagefile_node *node,
                       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ref_to_ino(srv, node->ref);
	e->generation = 1;
	show_stat(srv, node, e->ino, &e->attr);
	e->attr_timeout = CACHE_SECONDS;
	e->entry_timeout = CACHE_SECONDS;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want |=
	        conn->capable & (FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_ASYNC_READ);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct imagefile_cursor *cur;
	struct imagefile_node dir, child;
	int rc = load(req, parent, &cur, &dir);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	rc = imagefile_lookup(cur, &dir, name, &child);
	imagefile_node_free(&dir);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	struct fuse_entry_param e;
	fill_entry(fuse_req_userdata(req), &child, &e);
	imagefile_node_free(&child);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct imagefile_cursor *cur;
	struct imagefile_node node;
	int rc = load(req, ino, &cur, &node);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	struct stat st;
	show_stat(fuse_req_userdata(req), &node, ino, &st);
	imagefile_node_free(&node);
	fuse_reply_attr(req, &st, CACHE_SECONDS);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct imagefile_cursor *cur;
	struct imagefile_node node;
	cleanup_free char *target = NULL;
	int rc = load(req, ino, &cur, &node);
	if (rc == 0) {
		rc = imagefile_readlink(&node, &target);
		imagefile_node_free(&node);
	}
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_readlink(req, target);
}

static void listing_free(struct dir_listing *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->entries[i].name);
	if (l)
		free(l->entries);
	free(l);
}

static int collect_entry(void *ctx, const char *name, uint64_t ref, mode_t type)
{
	struct dir_listing *l = ctx;
	struct dir_entry *grown = realloc(l->entries, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->entries = grown;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	l->entries[l->n++] = (struct dir_entry){.name = copy, .ref = ref, .type = type};
	return 0;
}

static struct handle *handle_new(struct fuse_server *srv)
{
	struct handle *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	pthread_mutex_lock(&srv->handles_lock);
	h->next = srv->handles.next;
	h->prev = &srv->handles;
	h->next->prev = h;
	srv->handles.next = h;
	pthread_mutex_unlock(&srv->handles_lock);
	return h;
}

static void handle_free(struct fuse_server *srv, struct handle *h)
{
	pthread_mutex_lock(&srv->handles_lock);
	h->prev->next = h->next;
	h->next->prev = h->prev;
	pthread_mutex_unlock(&srv->handles_lock);
	listing_free(h->listing);
	imagefile_node_free(&h->node);
	free(h);
}

static struct handle *fi_handle(const struct fuse_file_info *fi)
{
	return (struct handle *)(uintptr_t)fi->fh;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct imagefile_cursor *cur;
	struct imagefile_node dir;
	int rc = load(req, ino, &cur, &dir);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	struct fuse_server *srv = fuse_req_userdata(req);
	struct handle *h = handle_new(srv);
	if (h && !(h->listing = calloc(1, sizeof(*h->listing))))
		rc = -ENOMEM;
	rc = rc < 0 ? rc : h ? imagefile_list(cur, &dir, collect_entry, h->listing) : -ENOMEM;
	imagefile_node_free(&dir);
	if (rc < 0) {
		if (h)
			handle_free(srv, h);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)
		handle_free(srv, h);
}

static void do_readdir(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi, bool plus)
{
	struct fuse_server *srv = fuse_req_userdata(req);
	const struct dir_listing *l = fi_handle(fi)->listing;
	struct imagefile_cursor *cur = plus ? thread_cursor(srv) : NULL;
	if (plus && !cur) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	cleanup_free char *buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	for (size_t i = off < 0 ? l->n : (size_t)off; i < l->n; i++) {
		const struct dir_entry *d = &l->entries[i];
		size_t n;
		if (plus) {
			struct imagefile_node node;
			int rc = imagefile_node_read(cur, d->ref, &node);
			if (rc < 0) {
				fuse_reply_err(req, -rc);
				return;
			}
			struct fuse_entry_param e;
			fill_entry(srv, &node, &e);
			imagefile_node_free(&node);
			n = fuse_add_direntry_plus(req, buf + used, size - used, d->name, &e, (off_t)i + 1);
		} else {
			struct stat st = {.st_ino = ref_to_ino(srv, d->ref), .st_mode = d->type};
			n = fuse_add_direntry(req, buf + used, size - used, d->name, &st, (off_t)i + 1);
		}
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	handle_free(fuse_req_userdata(req), fi_handle(fi));
	fuse_reply_err(req, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	struct fuse_server *srv = fuse_req_userdata(req);
	struct imagefile_cursor *cur;
	struct handle *h = handle_new(srv);
	int rc = h ? load(req, ino, &cur, &h->node) : -ENOMEM;
	if (rc < 0) {
		if (h)
			handle_free(srv, h);
		fuse_reply_err(req, -rc);
		return;
	}
	/* The decoded inode (with its block list) is read by every read of this open file; it
	 * is never written after this, so threads share it. */
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)
		handle_free(srv, h);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_server *srv = fuse_req_userdata(req);
	const struct imagefile_node *node = &fi_handle(fi)->node;
	struct imagefile_cursor *cur = thread_cursor(srv);
	cleanup_free char *buf = malloc(size ? size : 1);
	if (!cur || !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t done = 0;
	while (done < size) {
		long n = imagefile_read(cur, node, (uint64_t)off + done, buf + done, size - done);
		if (n < 0) {
			fuse_reply_err(req, (int)-n);
			return;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	/* Decided before the reply: the kernel may release the file (and node) right after it. */
	bool prefetch = off == 0 && prefetcher_wants(srv->prefetch, node, buf, done);
	uint64_t ref = node->ref;
	fuse_reply_buf(req, buf, done);
	if (prefetch)
		prefetcher_add_file(srv->prefetch, ref);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	handle_free(fuse_req_userdata(req), fi_handle(fi));
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_server *srv = fuse_req_userdata(req);
	uint64_t bytes;
	uint32_t block_size, inodes;
	imagefile_stats(srv->img, &bytes, &block_size, &inodes);
	struct statvfs st = {.f_bsize = block_size,
	                     .f_frsize = block_size,
	                     .f_blocks = (bytes + block_size - 1) / block_size,
	                     .f_files = inodes,
	                     .f_namemax = 256,
	                     .f_flag = ST_RDONLY};
	fuse_reply_statfs(req, &st);
}

/* getxattr and listxattr: the size asked for 0 means "how much room is needed". */
struct xattr_query {
	const char *name; /* getxattr: the one wanted; listxattr: NULL */
	char *buf;
	size_t size, used;
	bool found;
};

static int xattr_collect(void *ctx, const char *name, const void *value, size_t size)
{
	struct xattr_query *q = ctx;
	if (!q->name) {
		size_t n = strlen(name) + 1;
		if (q->size && q->used + n <= q->size)
			memcpy(q->buf + q->used, name, n);
		q->used += n;
		return 0;
	}
	if (strcmp(name, q->name) != 0)
		return 0;
	q->found = true;
	q->used = size;
	if (q->size && size <= q->size)
		memcpy(q->buf, value, size);
	return 1;
}

static void xattr_reply(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	/* An image without xattrs says so once: ENOSYS makes the kernel answer every later
	 * getxattr (or listxattr) itself, with EOPNOTSUPP, instead of asking. An overlay on top
	 * asks for its own xattrs at every lookup. */
	if (!imagefile_has_xattrs(((struct fuse_server *)fuse_req_userdata(req))->img)) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	struct imagefile_cursor *cur;
	struct imagefile_node node;
	cleanup_free char *buf = size ? malloc(size) : NULL;
	struct xattr_query q = {.name = name, .buf = buf, .size = size};
	int rc = size && !buf ? -ENOMEM : load(req, ino, &cur, &node);
	if (rc == 0) {
		rc = imagefile_xattrs(cur, &node, xattr_collect, &q);
		imagefile_node_free(&node);
	}
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else if (name && !q.found)
		fuse_reply_err(req, ENODATA);
	else if (!size)
		fuse_reply_xattr(req, q.used);
	else if (q.used > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, q.used);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	xattr_reply(req, ino, name, size);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	xattr_reply(req, ino, NULL, size);
}

static const struct fuse_lowlevel_ops ops = {
        .init = op_init,
        .lookup = op_lookup,
        .getattr = op_getattr,
        .readlink = op_readlink,
        .opendir = op_opendir,
        .readdir = op_readdir,
        .readdirplus = op_readdirplus,
        .releasedir = op_releasedir,
        .open = op_open,
        .read = op_read,
        .release = op_release,
        .statfs = op_statfs,
        .getxattr = op_getxattr,
        .listxattr = op_listxattr,
};

/* Workers decode blocks, which is work for a CPU: one per CPU this process may run on (2 at
 * least, so that a slow read does not hold up a lookup). More only cost a start their thread,
 * stack and request buffer, and each its own decoder. libfuse adds them as requests wait. */
static unsigned workers(void)
{
	cpu_set_t cpus;
	unsigned n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? (unsigned)CPU_COUNT(&cpus) : 0;
	return n < MIN_WORKERS ? MIN_WORKERS : n > MAX_WORKERS ? MAX_WORKERS : n;
}

static void *serve(void *arg)
{
	struct fuse_server *srv = arg;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	if (!cfg)
		return NULL;
	unsigned n = workers();
	fuse_loop_cfg_set_max_threads(cfg, n);
	fuse_loop_cfg_set_idle_threads(cfg, n);
	fuse_session_loop_mt(srv->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return NULL;
}

int fuse_server_start(struct imagefile *img, struct prefetcher *prefetch, int fuse_fd,
                      const struct fuse_server_owners *owners, struct fuse_server **out, struct error *err)
{
	struct fuse_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		close(fuse_fd);
		return error_set(err, ENOMEM, "out of memory");
	}
	srv->img = img;
	pthread_mutex_init(&srv->handles_lock, NULL);
	srv->handles.next = srv->handles.prev = &srv->handles;
	srv->owners = *owners;
	srv->fuse_fd = fuse_fd;
	srv->prefetch = prefetch;
	if (pthread_key_create(&srv->cursor_key, cursor_destroy) != 0) {
		close(fuse_fd);
		free(srv);
		return error_set(err, EAGAIN, "FUSE server: no thread key");
	}
	char *argv[] = {"burrow", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	char mountpoint[32];
	snprintf(mountpoint, sizeof(mountpoint), "/dev/fd/%d", fuse_fd);
	srv->se = fuse_session_new(&args, &ops, sizeof(ops), srv);
	fuse_opt_free_args(&args); /* the session may have copied them */
	/* libfuse (3.3+) takes /dev/fd/N as a connection mounted by the caller. */
	if (!srv->se || fuse_session_mount(srv->se, mountpoint) != 0) {
		fuse_server_stop(srv);
		return error_set(err, EIO, "FUSE server: cannot take the connection");
	}
	if (pthread_create(&srv->loop, NULL, serve, srv) != 0) {
		fuse_server_stop(srv);
		return error_set(err, EAGAIN, "FUSE server: cannot start a thread");
	}
	srv->loop_started = true;
	*out = srv;
	return 0;
}

bool fuse_server_stop(struct fuse_server *srv)
{
	if (!srv)
		return true;
	if (srv->se)
		fuse_session_exit(srv->se);
	if (srv->loop_started) {
		/* The loop ends when the kernel ends the connection; a process of the container that
		 * outlived the program (holding its namespace) must not hold burrow's exit. */
		struct timespec limit;
		clock_gettime(CLOCK_REALTIME, &limit);
		limit.tv_sec += 1;
		if (pthread_timedjoin_np(srv->loop, NULL, &limit) != 0)
			return false; /* left to the process's exit */
	}
	if (srv->se) {
		fuse_session_unmount(srv->se);
		fuse_session_destroy(srv->se); /* closes the connection fd */
	} else {
		close(srv->fuse_fd);
	}
	while (srv->handles.next != &srv->handles)
		handle_free(srv, srv->handles.next);
	pthread_mutex_destroy(&srv->handles_lock);
	pthread_key_delete(srv->cursor_key);
	free(srv);
	return true;
}
