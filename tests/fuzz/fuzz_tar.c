/* libFuzzer harness for the unpacker: arbitrary bytes as a (possibly compressed) tar, written
 * into a fresh private directory under /tmp that is removed again after every input. */
#include <archive.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/unpack.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/burrow-fuzz-tar-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	int root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		abort();
	/* Small limits keep every input fast and the disk untouched by bombs. */
	struct unpack_limits lim = {.max_entries = 256, .max_bytes = 1 << 20, .max_path = 4096};
	struct unpack_stats stats = {0};
	struct error err = {0};
	struct archive *in = archive_read_new();
	if (!in)
		abort();
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_bzip2(in);
	archive_read_support_filter_xz(in);
	archive_read_support_filter_zstd(in);
	if (archive_read_open_memory(in, data, size) == ARCHIVE_OK) {
		int rc = unpack_archive(in, root_fd, &lim, &stats, &err);
		/* Every failure must come with a message naming what failed. */
		if (rc < 0 && err.msg[0] == '\0')
			abort();
		if (stats.bytes > lim.max_bytes || stats.entries > lim.max_entries)
			abort();
	}
	archive_read_free(in);
	close(root_fd);
	struct error rm = {0};
	if (fs_remove_tree_at(AT_FDCWD, dir, &rm) < 0) {
		fprintf(stderr, "cannot remove %s: %s\n", dir, rm.msg);
		abort();
	}
	return 0;
}
