/* Unit tests for flatten.c's rules: layers merged top first as overlayfs shows them. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/flatten.h"
#include "image/unpack.h"
#include "util/fs.h"

static struct flat_entry file_entry(void)
{
	return (struct flat_entry){.mode = S_IFREG | 0644, .nlink = 1};
}

static struct flat_entry dir_entry(bool opaque)
{
	return (struct flat_entry){.mode = S_IFDIR | 0755, .nlink = 2, .opaque = opaque};
}

static struct flat_entry whiteout_entry(void)
{
	return (struct flat_entry){.mode = S_IFCHR, .whiteout = true};
}

/* Adds name under parent for layer and returns the result code. */
static int add(struct flat_tree *t, struct flat_node *parent, const char *name, unsigned layer,
               struct flat_entry e, struct flat_node **node)
{
	struct error err;
	struct flat_node *unused;
	int rc = flatten_add(t, parent, name, layer, &e, node ? node : &unused, &err);
	assert_true(rc >= 0);
	return rc;
}

static struct flat_node *child(const struct flat_node *dir, const char *name)
{
	for (size_t i = 0; i < dir->nchildren; i++)
		if (strcmp(dir->children[i]->name, name) == 0)
			return dir->children[i];
	return NULL;
}

static void test_whiteout_hides_lower_name(void **state)
{
	(void)state;
	struct flat_tree t;
	struct error err;
	assert_int_equal(flatten_init(&t, &err), 0);
	assert_int_equal(add(&t, t.root, "gone", 0, whiteout_entry(), NULL), FLATTEN_ADDED);
	assert_int_equal(add(&t, t.root, "gone", 1, file_entry(), NULL), FLATTEN_HIDDEN);
	assert_int_equal(add(&t, t.root, "gone", 2, dir_entry(false), NULL), FLATTEN_HIDDEN);
	assert_true(child(t.root, "gone")->whiteout);
	flatten_free(&t);
}

static void test_opaque_dir_hides_lower_contents(void **state)
{
	(void)state;
	struct flat_tree t;
	struct error err;
	struct flat_node *dir, *merged;
	assert_int_equal(flatten_init(&t, &err), 0);
	assert_int_equal(add(&t, t.root, "d", 0, dir_entry(true), &dir), FLATTEN_ADDED);
	assert_int_equal(add(&t, dir, "new", 0, file_entry(), NULL), FLATTEN_ADDED);
	/* The lower d is hidden, and so is anything of it. */
	assert_int_equal(add(&t, t.root, "d", 1, dir_entry(false), &merged), FLATTEN_HIDDEN);
	assert_null(merged);
	assert_int_equal(add(&t, dir, "old", 1, file_entry(), NULL), FLATTEN_HIDDEN);
	assert_int_equal(dir->nchildren, 1);
	flatten_free(&t);
}

static void test_lower_dirs_merge_upper_attributes_win(void **state)
{
	(void)state;
	struct flat_tree t;
	struct error err;
	struct flat_node *dir, *merged;
	assert_int_equal(flatten_init(&t, &err), 0);
	struct flat_entry upper = dir_entry(false);
	upper.mode = S_IFDIR | 0700;
	upper.uid = 5;
	assert_int_equal(add(&t, t.root, "d", 0, upper, &dir), FLATTEN_ADDED);
	assert_int_equal(add(&t, dir, "b", 0, file_entry(), NULL), FLATTEN_ADDED);
	assert_int_equal(add(&t, t.root, "d", 1, dir_entry(false), &merged), FLATTEN_MERGED);
	assert_ptr_equal(merged, dir);
	assert_int_equal(add(&t, dir, "a", 1, file_entry(), NULL), FLATTEN_ADDED);
	assert_int_equal(add(&t, dir, "b", 1, file_entry(), NULL), FLATTEN_HIDDEN);
	assert_int_equal(dir->mode, S_IFDIR | 0700);
	assert_int_equal(dir->uid, 5);
	/* Children stay sorted by name whatever the layer they come from. */
	assert_string_equal(dir->children[0]->name, "a");
	assert_string_equal(dir->children[1]->name, "b");
	flatten_free(&t);
}

static void test_file_and_dir_replace_each_other(void **state)
{
	(void)state;
	struct flat_tree t;
	struct error err;
	assert_int_equal(flatten_init(&t, &err), 0);
	assert_int_equal(add(&t, t.root, "f2d", 0, dir_entry(false), NULL), FLATTEN_ADDED);
	assert_int_equal(add(&t, t.root, "d2f", 0, file_entry(), NULL), FLATTEN_ADDED);
	assert_int_equal(add(&t, t.root, "f2d", 1, file_entry(), NULL), FLATTEN_HIDDEN);
	assert_int_equal(add(&t, t.root, "d2f", 1, dir_entry(false), NULL), FLATTEN_HIDDEN);
	assert_true(S_ISDIR(child(t.root, "f2d")->mode));
	assert_true(S_ISREG(child(t.root, "d2f")->mode));
	flatten_free(&t);
}

static void test_lower_file_or_whiteout_ends_a_dir_merge(void **state)
{
	(void)state;
	struct flat_tree t;
	struct error err;
	struct flat_node *d, *w;
	assert_int_equal(flatten_init(&t, &err), 0);
	add(&t, t.root, "d", 0, dir_entry(false), &d);
	add(&t, t.root, "w", 0, dir_entry(false), &w);
	assert_int_equal(add(&t, t.root, "d", 1, file_entry(), NULL), FLATTEN_HIDDEN);
	assert_int_equal(add(&t, t.root, "w", 1, whiteout_entry(), NULL), FLATTEN_HIDDEN);
	assert_int_equal(add(&t, t.root, "d", 2, dir_entry(false), NULL), FLATTEN_HIDDEN);
	assert_int_equal(add(&t, t.root, "w", 2, dir_entry(false), NULL), FLATTEN_HIDDEN);
	assert_int_equal(add(&t, d, "x", 2, file_entry(), NULL), FLATTEN_HIDDEN);
	assert_int_equal(d->nchildren, 0);
	flatten_free(&t);
}

static void test_hard_links_within_a_layer(void **state)
{
	(void)state;
	struct flat_tree t;
	struct error err;
	struct flat_node *a, *b, *c;
	assert_int_equal(flatten_init(&t, &err), 0);
	struct flat_entry e = file_entry();
	e.nlink = 2;
	e.ino = 42;
	add(&t, t.root, "a", 0, e, &a);
	add(&t, t.root, "b", 0, e, &b);
	/* The same inode number in another layer is another file. */
	add(&t, t.root, "c", 1, e, &c);
	assert_null(a->link_to);
	assert_ptr_equal(b->link_to, a);
	assert_null(c->link_to);
	assert_int_equal(a->nlink, 2);
	assert_int_equal(c->nlink, 1);
	flatten_free(&t);
}

static void test_owner_decode_reads_what_pull_writes(void **state)
{
	(void)state;
	uint8_t value[LAYER_OWNER_MAX];
	uint32_t uid, gid;
	size_t len = layer_owner_encode(1000, 0, value);
	assert_int_equal(flatten_owner_decode(value, len, &uid, &gid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 0);
	len = layer_owner_encode(70000, 4000000000u, value);
	assert_int_equal(flatten_owner_decode(value, len, &uid, &gid), 0);
	assert_int_equal(uid, 70000);
	assert_int_equal(gid, 4000000000u);
	const uint8_t truncated[] = {0x08, 0x80};
	assert_int_equal(flatten_owner_decode(truncated, sizeof(truncated), &uid, &gid), -1);
}

static void test_add_file_makes_parents_and_replaces(void **state)
{
	(void)state;
	struct flat_tree t;
	struct error err;
	assert_int_equal(flatten_init(&t, &err), 0);
	struct flat_node *dir;
	add(&t, t.root, ".burrow", 0, dir_entry(false), &dir);
	add(&t, dir, "config.json", 0, file_entry(), NULL);
	assert_int_equal(flatten_add_file(&t, "/.burrow/config.json", "{}", 2, 0644, 7, &err), 0);
	struct flat_node *f = child(child(t.root, ".burrow"), "config.json");
	assert_non_null(f);
	assert_memory_equal(f->data, "{}", 2);
	assert_int_equal(f->size, 2);
	assert_int_equal(f->mtime, 7);
	assert_int_equal(child(t.root, ".burrow")->nchildren, 1);
	flatten_free(&t);
}

/* overlayfs's xattr whiteouts (an empty file with user.overlay.whiteout, in a directory with
 * user.overlay.opaque=x, which is no opaque directory) hide the lower name, as 0/0 devices do. */
static void test_xattr_whiteout_in_a_layer_dir_hides_lower_name(void **state)
{
	(void)state;
	char top[] = "/tmp/test_flatten.XXXXXX", lower[] = "/tmp/test_flatten.XXXXXX";
	assert_non_null(mkdtemp(top));
	assert_non_null(mkdtemp(lower));
	char path[256];
	snprintf(path, sizeof(path), "%s/d", top);
	assert_int_equal(mkdir(path, 0755), 0);
	if (setxattr(path, "user.overlay.opaque", "x", 1, 0) < 0) {
		skip();
	}
	snprintf(path, sizeof(path), "%s/d/gone", top);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(setxattr(path, "user.overlay.whiteout", "", 0, 0), 0);
	snprintf(path, sizeof(path), "%s/d", lower);
	assert_int_equal(mkdir(path, 0755), 0);
	const char *names[] = {"gone", "kept"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/d/%s", lower, names[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	struct flat_tree t;
	struct error err;
	char *layers[] = {top, lower, NULL};
	assert_int_equal(flatten_init(&t, &err), 0);
	assert_int_equal(flatten_layers(&t, layers, &err), 0);
	struct flat_node *d = child(t.root, "d");
	assert_non_null(d);
	assert_true(child(d, "gone")->whiteout);
	assert_false(child(d, "kept")->whiteout);
	flatten_free(&t);
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, top, &err), 0);
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, lower, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whiteout_hides_lower_name),
	        cmocka_unit_test(test_opaque_dir_hides_lower_contents),
	        cmocka_unit_test(test_lower_dirs_merge_upper_attributes_win),
	        cmocka_unit_test(test_file_and_dir_replace_each_other),
	        cmocka_unit_test(test_lower_file_or_whiteout_ends_a_dir_merge),
	        cmocka_unit_test(test_hard_links_within_a_layer),
	        cmocka_unit_test(test_owner_decode_reads_what_pull_writes),
	        cmocka_unit_test(test_add_file_makes_parents_and_replaces),
	        cmocka_unit_test(test_xattr_whiteout_in_a_layer_dir_hides_lower_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
