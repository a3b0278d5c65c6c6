/* An image file merged below layer dirs as the bottom layer of a flat tree (export of a container
 * made from an image file): its entries read through imagefile.c, its files' data too when the
 * tree is written. Not the merge rules (flatten.c) nor the reading of squashfs (imagefile.c). */
#include "image/flatten.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/imagefile.h"
#include "util/cleanup.h"

#define MAX_DEPTH 512

struct image_walk {
	struct flat_tree *t;
	struct flat_node *dir;
	unsigned depth;
	struct error *err;
};

static int add_xattr(void *ctx, const char *name, const void *value, size_t size)
{
	struct flat_entry *e = ctx;
	struct flat_xattr *grown = realloc(e->xattrs, (e->nxattrs + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->xattrs = grown;
	struct flat_xattr *x = &e->xattrs[e->nxattrs];
	x->key = strdup(name);
	x->value = malloc(size ? size : 1);
	x->len = size;
	if (!x->key || !x->value) {
		free(x->key);
		free(x->value);
		return -ENOMEM;
	}
	memcpy(x->value, value, size);
	e->nxattrs++;
	return 0;
}

/* The entry flatten_add takes for node: owners, mode and time as the image has them. */
static int read_entry(struct image_walk *w, const struct imagefile_node *node, struct flat_entry *e,
                      char **target)
{
	memset(e, 0, sizeof(*e));
	e->mode = node->st.st_mode;
	e->uid = node->st.st_uid;
	e->gid = node->st.st_gid;
	e->mtime = node->st.st_mtime;
	e->size = S_ISREG(node->st.st_mode) ? (uint64_t)node->st.st_size : 0;
	e->ino = node->st.st_ino;
	e->nlink = node->st.st_nlink;
	if (S_ISLNK(node->st.st_mode)) {
		int rc = imagefile_readlink(node, target);
		e->link_target = *target;
		return rc;
	}
	return imagefile_xattrs(w->t->image_cur, node, add_xattr, e);
}

static int walk_image_dir(struct image_walk *w, const struct imagefile_node *dir);

static int walk_image_entry(void *ctx, const char *name, uint64_t ref, mode_t type)
{
	struct image_walk *w = ctx;
	/* Device nodes and sockets: as in layer dirs, an unprivileged user cannot make them. */
	if (type != S_IFDIR && type != S_IFREG && type != S_IFLNK && type != S_IFIFO)
		return 0;
	struct imagefile_node node;
	int rc = imagefile_node_read(w->t->image_cur, ref, &node);
	if (rc < 0)
		return error_set(w->err, -rc, "%s: %s", name, strerror(-rc));
	struct flat_entry e;
	cleanup_free char *target = NULL;
	struct flat_node *added = NULL;
	rc = read_entry(w, &node, &e, &target);
	if (rc < 0)
		error_set(w->err, -rc, "%s: %s", name, strerror(-rc));
	else
		rc = flatten_add(w->t, w->dir, name, w->t->image_layer, &e, &added, w->err);
	flatten_xattrs_free(e.xattrs, e.nxattrs);
	if (rc >= 0 && added)
		added->image_ref = ref;
	if (rc >= 0 && added && S_ISDIR(node.st.st_mode)) {
		struct flat_node *parent = w->dir;
		w->dir = added;
		rc = walk_image_dir(w, &node);
		w->dir = parent;
		if (rc < 0)
			error_prefix(w->err, "%s", name);
	}
	imagefile_node_free(&node);
	return rc < 0 ? -1 : 0;
}

static int walk_image_dir(struct image_walk *w, const struct imagefile_node *dir)
{
	if (w->depth >= MAX_DEPTH)
		return error_set(w->err, ELOOP, "directories nested deeper than %d", MAX_DEPTH);
	w->depth++;
	int rc = imagefile_list(w->t->image_cur, dir, walk_image_entry, w);
	w->depth--;
	if (rc < 0 && !w->err->msg[0])
		error_set(w->err, -rc, "list: %s", strerror(-rc));
	return rc < 0 ? -1 : 0;
}

int flatten_imagefile(struct flat_tree *t, struct imagefile *img, struct error *err)
{
	t->image_layer = (unsigned)t->nlayers;
	if (!(t->image_cur = imagefile_cursor_new(img, err)))
		return -1;
	error_clear(err);
	struct imagefile_node root;
	int rc = imagefile_node_read(t->image_cur, imagefile_root_ref(img), &root);
	if (rc < 0)
		return error_set(err, -rc, "root: %s", strerror(-rc));
	struct image_walk w = {.t = t, .dir = t->root, .err = err};
	if (t->image_layer <= t->root->lowest_layer) {
		struct flat_entry e;
		cleanup_free char *target = NULL;
		if ((rc = read_entry(&w, &root, &e, &target)) < 0)
			error_set(err, -rc, "root: %s", strerror(-rc));
		else
			flatten_set_root(t, t->image_layer, &e);
		flatten_xattrs_free(e.xattrs, e.nxattrs);
		if (rc == 0)
			rc = walk_image_dir(&w, &root);
	}
	imagefile_node_free(&root);
	return rc < 0 ? -1 : 0;
}

long flatten_image_read(const struct flat_tree *t, const struct flat_node *node, uint64_t offset, void *buf,
                        size_t size)
{
	struct imagefile_node file;
	int rc = imagefile_node_read(t->image_cur, node->image_ref, &file);
	if (rc < 0)
		return rc;
	long n = imagefile_read(t->image_cur, &file, offset, buf, size);
	imagefile_node_free(&file);
	return n;
}
