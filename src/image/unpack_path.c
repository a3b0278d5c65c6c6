/* Normalising entry paths taken from archives before anything is created for them.
 * Pure string work: it never touches the filesystem and knows nothing of symlinks. */
#include "image/unpack.h"

#include <errno.h>
#include <string.h>

int unpack_clean_path(const char *in, char *out, size_t max_path)
{
	if (*in == '\0') {
		errno = EINVAL;
		return -1;
	}
	size_t used = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p = end;
			continue;
		}
		/* Even where ".." would stay inside the root after resolution, an archive that
		 * climbs is either broken or an attack: refuse it outright, as GNU tar does. */
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			errno = EPERM;
			return -1;
		}
		if (used > 0)
			out[used++] = '/';
		memcpy(out + used, p, len);
		used += len;
		p = end;
	}
	if (used == 0)
		out[used++] = '.';
	out[used] = '\0';
	if (used > max_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
