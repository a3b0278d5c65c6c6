/* Layer dirs merged into one tree in memory, top layer first, as overlayfs shows them. The rules
 * (flatten_add) are pure; flatten_layers reads the layer dirs, always relative to fds it holds. */
#include "image/flatten.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/imagefile.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define XATTR_OPAQUE       "user.overlay.opaque"
#define XATTR_WHITEOUT     "user.overlay.whiteout"
#define XATTR_OVERLAY      "user.overlay."
#define XATTR_OWNER        "user.rootlesscontainers"
#define NOOP_ID            UINT32_MAX
#define XATTR_LIST_MAX_LEN 65536

struct flat_link {
	unsigned layer;
	uint64_t ino;
	struct flat_node *node; /* NULL: a free slot */
};

void flatten_xattrs_free(struct flat_xattr *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(x[i].key);
		free(x[i].value);
	}
	free(x);
}

static void node_free(struct flat_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nchildren; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->name);
	free(n->link_target);
	flatten_xattrs_free(n->xattrs, n->nxattrs);
	free(n);
}

int flatten_init(struct flat_tree *t, struct error *err)
{
	memset(t, 0, sizeof(*t));
	t->root = calloc(1, sizeof(*t->root));
	if (!t->root || !(t->root->name = strdup("")))
		return error_set(err, ENOMEM, "out of memory");
	t->root->mode = S_IFDIR | 0755;
	t->root->lowest_layer = UINT_MAX;
	t->root->layer = UINT_MAX;
	t->nodes = 1;
	return 0;
}

void flatten_free(struct flat_tree *t)
{
	node_free(t->root);
	t->root = NULL;
	free(t->links);
	t->links = NULL;
	for (size_t i = 0; i < t->nlayers; i++)
		if (t->layer_fds[i] >= 0)
			close(t->layer_fds[i]);
	free(t->layer_fds);
	t->layer_fds = NULL;
	t->nlayers = 0;
	imagefile_cursor_free(t->image_cur);
	t->image_cur = NULL;
}

static size_t link_hash(unsigned layer, uint64_t ino, size_t cap)
{
	uint64_t h = (ino ^ ((uint64_t)layer << 48)) * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 17) & (cap - 1);
}

static struct flat_link *link_slot(struct flat_tree *t, unsigned layer, uint64_t ino)
{
	size_t i = link_hash(layer, ino, t->links_cap);
	while (t->links[i].node && !(t->links[i].layer == layer && t->links[i].ino == ino))
		i = (i + 1) & (t->links_cap - 1);
	return &t->links[i];
}

/* The first name of (layer, ino) seen, or NULL after recording node as it. */
static int link_find_or_add(struct flat_tree *t, unsigned layer, uint64_t ino, struct flat_node *node,
                            struct flat_node **first, struct error *err)
{
	if ((t->nlinks + 1) * 2 > t->links_cap) {
		size_t cap = t->links_cap ? t->links_cap * 2 : 64;
		struct flat_link *old = t->links;
		size_t old_cap = t->links_cap;
		t->links = calloc(cap, sizeof(*t->links));
		if (!t->links) {
			t->links = old;
			return error_set(err, ENOMEM, "out of memory");
		}
		t->links_cap = cap;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].node)
				*link_slot(t, old[i].layer, old[i].ino) = old[i];
		free(old);
	}
	struct flat_link *slot = link_slot(t, layer, ino);
	if (slot->node) {
		*first = slot->node;
		return 0;
	}
	*slot = (struct flat_link){.layer = layer, .ino = ino, .node = node};
	t->nlinks++;
	*first = NULL;
	return 0;
}

/* Index of name in dir's sorted children, or where it would go (*found false). */
static size_t child_index(const struct flat_node *dir, const char *name, bool *found)
{
	size_t lo = 0, hi = dir->nchildren;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(dir->children[mid]->name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int child_insert(struct flat_node *dir, size_t at, struct flat_node *child, struct error *err)
{
	if (dir->nchildren == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 8;
		struct flat_node **grown = realloc(dir->children, cap * sizeof(*grown));
		if (!grown)
			return error_set(err, ENOMEM, "out of memory");
		dir->children = grown;
		dir->cap = cap;
	}
	memmove(dir->children + at + 1, dir->children + at, (dir->nchildren - at) * sizeof(*dir->children));
	dir->children[at] = child;
	dir->nchildren++;
	child->parent = dir;
	return 0;
}

static void set_attrs(struct flat_node *n, unsigned layer, struct flat_entry *e)
{
	n->mode = e->mode;
	n->uid = e->uid;
	n->gid = e->gid;
	n->mtime = e->mtime;
	n->size = e->size;
	n->layer = layer;
	flatten_xattrs_free(n->xattrs, n->nxattrs);
	n->xattrs = e->xattrs;
	n->nxattrs = e->nxattrs;
	e->xattrs = NULL;
	e->nxattrs = 0;
}

void flatten_set_root(struct flat_tree *t, unsigned layer, const struct flat_entry *e)
{
	struct flat_node *root = t->root;
	if (root->layer != UINT_MAX && root->layer <= layer) {
		if (e->opaque && layer < root->lowest_layer)
			root->lowest_layer = layer;
		return;
	}
	/* A layer without a "./" entry leaves the cache's 0700: a root every user may enter. */
	root->mode = S_IFDIR | (e->mode & 07777) | 0755;
	root->uid = e->uid;
	root->gid = e->gid;
	root->mtime = e->mtime;
	root->layer = layer;
	if (e->opaque && layer < root->lowest_layer)
		root->lowest_layer = layer;
}

int flatten_add(struct flat_tree *t, struct flat_node *parent, const char *name, unsigned layer,
                struct flat_entry *e, struct flat_node **node, struct error *err)
{
	*node = NULL;
	/* An opaque directory of an upper layer hides everything lower layers have in it. */
	if (layer > parent->lowest_layer)
		return FLATTEN_HIDDEN;
	bool found;
	size_t at = child_index(parent, name, &found);
	if (found) {
		struct flat_node *upper = parent->children[at];
		/* A whiteout or a file hides every lower name; a directory hides a lower non-directory
		 * and merges with a lower directory, unless it is opaque. */
		if (upper->whiteout || !S_ISDIR(upper->mode) || layer > upper->lowest_layer)
			return FLATTEN_HIDDEN;
		/* A lower whiteout or file ends the merge: what lies below it stays hidden. */
		if (e->whiteout || !S_ISDIR(e->mode)) {
			upper->lowest_layer = layer;
			return FLATTEN_HIDDEN;
		}
		if (e->opaque && layer < upper->lowest_layer)
			upper->lowest_layer = layer;
		*node = upper;
		return FLATTEN_MERGED;
	}
	struct flat_node *n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup(name)) ||
	    (e->link_target && S_ISLNK(e->mode) && !(n->link_target = strdup(e->link_target)))) {
		node_free(n);
		return error_set(err, ENOMEM, "out of memory");
	}
	n->lowest_layer = UINT_MAX;
	n->nlink = 1;
	if (e->whiteout) {
		n->whiteout = true;
		n->layer = layer;
	} else {
		set_attrs(n, layer, e);
		if (S_ISDIR(e->mode) && e->opaque)
			n->lowest_layer = layer;
	}
	if (child_insert(parent, at, n, err) < 0) {
		node_free(n);
		return -1;
	}
	t->nodes++;
	if (!e->whiteout && !S_ISDIR(e->mode) && e->nlink > 1) {
		struct flat_node *first;
		if (link_find_or_add(t, layer, e->ino, n, &first, err) < 0)
			return -1;
		if (first) {
			n->link_to = first;
			first->nlink++;
		}
	}
	*node = n;
	return FLATTEN_ADDED;
}

int flatten_add_file(struct flat_tree *t, const char *path, const void *data, size_t len, mode_t perm,
                     int64_t mtime, struct error *err)
{
	struct flat_node *dir = t->root;
	cleanup_free char *copy = strdup(path);
	if (!copy)
		return error_set(err, ENOMEM, "out of memory");
	char *save = NULL;
	char *part = strtok_r(copy, "/", &save);
	while (part) {
		char *next = strtok_r(NULL, "/", &save);
		bool found;
		size_t at = child_index(dir, part, &found);
		struct flat_node *n = found ? dir->children[at] : NULL;
		bool want_dir = next != NULL;
		bool replace = n && (n->whiteout || !want_dir || !S_ISDIR(n->mode));
		/* Dropping a hard link's first name or a directory's names would orphan links. */
		if (replace && (n->link_to || n->nlink > 1 || n->nchildren > 0))
			return error_set(err, EEXIST, "/%s: the image has its own; it cannot be replaced",
			                 path);
		if (replace) {
			memmove(dir->children + at, dir->children + at + 1,
			        (dir->nchildren - at - 1) * sizeof(*dir->children));
			dir->nchildren--;
			node_free(n);
			n = NULL;
		}
		if (!n) {
			n = calloc(1, sizeof(*n));
			if (!n || !(n->name = strdup(part))) {
				node_free(n);
				return error_set(err, ENOMEM, "out of memory");
			}
			n->lowest_layer = UINT_MAX;
			n->layer = UINT_MAX;
			n->nlink = 1;
			n->mode = want_dir ? S_IFDIR | 0755 : S_IFREG;
			n->mtime = mtime;
			bool unused;
			if (child_insert(dir, child_index(dir, part, &unused), n, err) < 0) {
				node_free(n);
				return -1;
			}
			t->nodes++;
		}
		if (!want_dir) {
			n->mode = S_IFREG | (perm & 07777);
			n->uid = n->gid = 0;
			n->mtime = mtime;
			n->size = len;
			n->data = data;
			n->layer = UINT_MAX;
			flatten_xattrs_free(n->xattrs, n->nxattrs);
			n->xattrs = NULL;
			n->nxattrs = 0;
		}
		dir = n;
		part = next;
	}
	return 0;
}

static int read_varint(const uint8_t *p, size_t len, size_t *at, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*at >= len)
			return -1;
		uint8_t b = p[(*at)++];
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

int flatten_owner_decode(const void *value, size_t len, uint32_t *uid, uint32_t *gid)
{
	const uint8_t *p = value;
	uint64_t u = NOOP_ID, g = NOOP_ID;
	size_t at = 0;
	while (at < len) {
		uint64_t key, v;
		if (read_varint(p, len, &at, &key) < 0 || (key & 7) != 0 || read_varint(p, len, &at, &v) < 0)
			return -1;
		if (v > UINT32_MAX)
			return -1;
		if (key >> 3 == 1)
			u = v;
		else if (key >> 3 == 2)
			g = v;
	}
	/* umoci's no-op id: the owner the file has, root inside the container. */
	*uid = u == NOOP_ID ? 0 : (uint32_t)u;
	*gid = g == NOOP_ID ? 0 : (uint32_t)g;
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Reading a layer dir. Files the image made unreadable by their owner (mode 0000, a 0311
 * directory) are made readable by their owner, the user, for the moment of the read. */
struct walk {
	struct flat_tree *t;
	unsigned layer;
	char path[PATH_MAX];
	/* A symlink's target, copied by flatten_add before the walk goes deeper: one buffer for
	 * all levels keeps a deep tree's recursion off the stack limit. */
	char target[PATH_MAX];
};

static int entry_xattrs(int fd, struct flat_entry *e, struct error *err)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	char list[XATTR_LIST_MAX_LEN];
	ssize_t n = listxattr(proc, list, sizeof(list));
	if (n < 0) {
		if (errno == ENOTSUP || errno == ENODATA)
			return 0;
		return error_errno(err, "list extended attributes");
	}
	for (ssize_t at = 0; at < n; at += (ssize_t)strlen(list + at) + 1) {
		const char *key = list + at;
		bool owner = strcmp(key, XATTR_OWNER) == 0;
		bool keep = !owner && !has_prefix(key, XATTR_OVERLAY) &&
		            /* the host's label of the cache, not the image's */
		            strcmp(key, "security.selinux") != 0 &&
		            (has_prefix(key, "user.") || has_prefix(key, "trusted.") ||
		             has_prefix(key, "security."));
		/* overlayfs's other whiteout form (Linux 6.7+): an empty file marked so, in a directory
		 * marked user.overlay.opaque=x. */
		if (strcmp(key, XATTR_WHITEOUT) == 0 && S_ISREG(e->mode)) {
			e->whiteout = true;
			continue;
		}
		if (!owner && !keep && strcmp(key, XATTR_OPAQUE) != 0)
			continue;
		uint8_t value[XATTR_SIZE_MAX];
		ssize_t len = getxattr(proc, key, value, sizeof(value));
		if (len < 0) {
			if (errno == ENODATA)
				continue;
			return error_errno(err, "read extended attribute %s", key);
		}
		if (owner) {
			if (flatten_owner_decode(value, (size_t)len, &e->uid, &e->gid) < 0)
				return error_set(err, EINVAL, "malformed %s", XATTR_OWNER);
			continue;
		}
		if (strcmp(key, XATTR_OPAQUE) == 0) {
			e->opaque = len == 1 && value[0] == 'y';
			continue;
		}
		struct flat_xattr *grown = realloc(e->xattrs, (e->nxattrs + 1) * sizeof(*grown));
		if (!grown)
			return error_set(err, ENOMEM, "out of memory");
		e->xattrs = grown;
		struct flat_xattr *x = &e->xattrs[e->nxattrs];
		x->key = strdup(key);
		x->value = malloc(len ? (size_t)len : 1);
		x->len = (size_t)len;
		if (!x->key || !x->value) {
			free(x->key);
			free(x->value);
			return error_set(err, ENOMEM, "out of memory");
		}
		memcpy(x->value, value, (size_t)len);
		e->nxattrs++;
	}
	return 0;
}

/* fd open on the entry (O_RDONLY for a directory, O_PATH for a file) and its attributes read. */
static int read_entry(int dir_fd, const char *name, const struct stat *st, struct flat_entry *e, char *target,
                      struct error *err)
{
	memset(e, 0, sizeof(*e));
	e->mode = st->st_mode;
	e->mtime = st->st_mtime;
	e->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	e->ino = st->st_ino;
	e->nlink = st->st_nlink;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
		e->whiteout = true;
		return 0;
	}
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlinkat(dir_fd, name, target, PATH_MAX - 1);
		if (n < 0)
			return error_errno(err, "read link");
		target[n] = '\0';
		e->link_target = target;
		return 0;
	}
	/* Linux keeps user.* xattrs off everything but files and directories. */
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return 0;
	mode_t need = S_ISDIR(st->st_mode) ? 0500 : 0400;
	bool loosen = (st->st_mode & need) != need && st->st_uid == geteuid();
	if (loosen && fchmodat(dir_fd, name, (st->st_mode & 07777) | need, 0) < 0)
		return error_errno(err, "make readable");
	cleanup_close int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	int rc = fd < 0 ? error_errno(err, "open") : entry_xattrs(fd, e, err);
	if (loosen && fchmodat(dir_fd, name, st->st_mode & 07777, 0) < 0 && rc == 0)
		rc = error_errno(err, "restore mode");
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Names in dir_fd, sorted (readdir's order differs between filesystems). */
static int read_names(int dir_fd, char ***out, size_t *count, struct error *err)
{
	int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(err, "dup");
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_errno(err, "open directory");
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(names, cap * sizeof(*grown));
			if (!grown) {
				rc = error_set(err, ENOMEM, "out of memory");
				break;
			}
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = error_set(err, ENOMEM, "out of memory");
			break;
		}
		n++;
		errno = 0;
	}
	if (rc == 0 && errno)
		rc = error_errno(err, "read directory");
	closedir(d);
	if (rc < 0) {
		names_free(names, n);
		return -1;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	*count = n;
	return 0;
}

static int walk_dir(struct walk *w, struct flat_node *dir, int dir_fd, struct error *err);

static int walk_entry(struct walk *w, struct flat_node *dir, int dir_fd, const char *name, struct error *err)
{
	struct stat st;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_errno(err, "stat");
	struct flat_entry e;
	int rc = read_entry(dir_fd, name, &st, &e, w->target, err);
	struct flat_node *node = NULL;
	if (rc == 0)
		rc = flatten_add(w->t, dir, name, w->layer, &e, &node, err);
	flatten_xattrs_free(e.xattrs, e.nxattrs);
	if (rc < 0 || rc == FLATTEN_HIDDEN || !node || !S_ISDIR(st.st_mode))
		return rc < 0 ? -1 : 0;
	bool loosen = (st.st_mode & 0500) != 0500 && st.st_uid == geteuid();
	if (loosen && fchmodat(dir_fd, name, (st.st_mode & 07777) | 0500, 0) < 0)
		return error_errno(err, "make readable");
	cleanup_close int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rc = fd < 0 ? error_errno(err, "open directory") : walk_dir(w, node, fd, err);
	if (loosen && fchmodat(dir_fd, name, st.st_mode & 07777, 0) < 0 && rc == 0)
		rc = error_errno(err, "restore mode");
	return rc;
}

static int walk_dir(struct walk *w, struct flat_node *dir, int dir_fd, struct error *err)
{
	char **names = NULL;
	size_t n = 0;
	if (read_names(dir_fd, &names, &n, err) < 0)
		return -1;
	size_t len = strlen(w->path);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (len + 1 + strlen(names[i]) >= sizeof(w->path)) {
			rc = error_set(err, ENAMETOOLONG, "%s/%s: path too long", w->path, names[i]);
			break;
		}
		snprintf(w->path + len, sizeof(w->path) - len, "/%s", names[i]);
		rc = walk_entry(w, dir, dir_fd, names[i], err);
		if (rc < 0 && !strstr(err->msg, w->path))
			error_prefix(err, "%s", w->path);
		w->path[len] = '\0';
	}
	names_free(names, n);
	return rc;
}

int flatten_layers(struct flat_tree *t, char *const *layer_dirs, struct error *err)
{
	size_t n = 0;
	while (layer_dirs[n])
		n++;
	t->layer_fds = malloc((n ? n : 1) * sizeof(*t->layer_fds));
	if (!t->layer_fds)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		t->layer_fds[i] = open(layer_dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		t->nlayers = i + 1;
		if (t->layer_fds[i] < 0)
			return error_errno(err, "open layer %s", layer_dirs[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		if ((unsigned)i > t->root->lowest_layer)
			break;
		struct stat st;
		if (fstat(t->layer_fds[i], &st) < 0)
			return error_errno(err, "layer %s", layer_dirs[i]);
		struct flat_entry e;
		char target[PATH_MAX];
		if (read_entry(t->layer_fds[i], ".", &st, &e, target, err) < 0) {
			flatten_xattrs_free(e.xattrs, e.nxattrs);
			error_prefix(err, "layer %s", layer_dirs[i]);
			return -1;
		}
		flatten_set_root(t, i, &e);
		flatten_xattrs_free(e.xattrs, e.nxattrs);
		struct walk w = {.t = t, .layer = i, .path = ""};
		if (walk_dir(&w, t->root, t->layer_fds[i], err) < 0) {
			error_prefix(err, "layer %s", layer_dirs[i]);
			return -1;
		}
	}
	return 0;
}

int flatten_open_file(const struct flat_tree *t, const struct flat_node *node, struct error *err)
{
	if (node->layer >= t->nlayers)
		return error_set(err, EINVAL, "%s: not from a layer", node->name);
	char path[PATH_MAX];
	size_t len = 0;
	const struct flat_node *parts[PATH_MAX / 2];
	size_t depth = 0;
	for (const struct flat_node *p = node; p && p->parent; p = p->parent) {
		if (depth == sizeof(parts) / sizeof(*parts))
			return error_set(err, ENAMETOOLONG, "%s: path too deep", node->name);
		parts[depth++] = p;
	}
	path[0] = '\0';
	while (depth > 0) {
		const char *name = parts[--depth]->name;
		int n = snprintf(path + len, sizeof(path) - len, "%s%s", len ? "/" : "", name);
		if (n < 0 || (size_t)n >= sizeof(path) - len)
			return error_set(err, ENAMETOOLONG, "%s: path too long", node->name);
		len += (size_t)n;
	}
	int layer_fd = t->layer_fds[node->layer];
	int fd = fs_open_in_root(layer_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 && errno == EACCES) {
		/* A file its owner may not read (mode 0000): the owner is the user. */
		if (fchmodat(layer_fd, path, (node->mode & 07777) | 0400, 0) == 0) {
			fd = fs_open_in_root(layer_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
			int saved = errno;
			if (fchmodat(layer_fd, path, node->mode & 07777, 0) < 0 && fd >= 0) {
				close(fd);
				return error_errno(err, "restore the mode of /%s", path);
			}
			errno = saved;
		}
	}
	if (fd < 0)
		return error_errno(err, "open /%s", path);
	return fd;
}
