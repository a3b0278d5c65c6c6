/* libFuzzer harness for the layer writer: arbitrary bytes as an OCI layer stream (tar, gzip or
 * zstd), unpacked with whiteout and owner handling into a fresh private directory under /tmp
 * that is removed again after every input. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "image/unpack.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/burrow-fuzz-layer-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	int layer_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int p[2];
	if (layer_fd < 0 || pipe(p) < 0)
		abort();
	/* The input goes through a pipe, as a blob streams from the registry. A pipe holds 64 KiB;
	 * longer inputs are cut there, which is one more kind of truncated stream. */
	size_t n = size < 65536 ? size : 65536;
	if (n > 0 && write(p[1], data, n) != (ssize_t)n)
		abort();
	close(p[1]);
	struct unpack_limits lim = {.max_entries = 256, .max_bytes = 1 << 20, .max_path = 4096};
	struct unpack_stats stats = {0};
	struct error err = {0};
	int rc = unpack_layer_fd(p[0], layer_fd, &lim, &stats, &err);
	/* Every failure must come with a message naming what failed. */
	if (rc < 0 && err.msg[0] == '\0')
		abort();
	if (stats.bytes > lim.max_bytes || stats.entries > lim.max_entries)
		abort();
	close(p[0]);
	close(layer_fd);
	struct error rm = {0};
	if (fs_remove_tree_at(AT_FDCWD, dir, &rm) < 0) {
		fprintf(stderr, "cannot remove %s: %s\n", dir, rm.msg);
		abort();
	}
	return 0;
}
