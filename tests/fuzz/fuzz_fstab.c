/* Fuzz harness: arbitrary bytes as a mounts.d line. On success the target is absolute,
 * normalised and never the root, a bind has an absolute source, a tmpfs has options; on
 * failure nothing is left allocated and the message names the line's origin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_paths.h"
#include "runtime/fstab.h"
#include "runtime/mountspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	struct plan_mount m;
	struct error err = {0};
	if (fstab_parse_line(line, "f:1", &m, &err) == 0) {
		fuzz_check_normal_path(m.target);
		if (strcmp(m.target, "/") == 0)
			abort();
		if (m.kind == PLAN_MOUNT_BIND)
			fuzz_check_normal_path(m.source);
		else if (m.kind != PLAN_MOUNT_TMPFS || m.source || !m.data || m.create == PLAN_CREATE_FILE)
			abort();
		fstab_mount_free(&m);
	} else if (strncmp(err.msg, "f:1: ", 5) != 0 || m.source || m.target || m.data) {
		abort();
	}
	free(line);
	return 0;
}
