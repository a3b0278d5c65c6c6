/* Fuzz harness: arbitrary bytes as a -m/--mount spec. On success source and target must be
 * absolute, already normalised, and the target never the container's root. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_paths.h"
#include "runtime/mountspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const cwds[] = {NULL, "/", "/home/user/work", "/a/../b//c/"};
	const char *cwd = cwds[data[0] & 3];
	char *spec = malloc(size);
	if (!spec)
		return 0;
	memcpy(spec, data + 1, size - 1);
	spec[size - 1] = '\0';

	struct mount_spec m;
	struct error err = {0};
	if (mountspec_parse(spec, cwd, &m, &err) == 0) {
		fuzz_check_normal_path(m.source);
		fuzz_check_normal_path(m.target);
		if (strcmp(m.target, "/") == 0)
			abort();
		mountspec_free(&m);
	} else if (err.msg[0] == '\0' || m.source || m.target) {
		abort();
	}
	free(spec);
	return 0;
}
