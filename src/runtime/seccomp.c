/* Seccomp profiles: JSON to data, data to a loaded filter (libseccomp). Not the place that
 * decides when a filter is loaded: spawn.c does, last before exec. */
#include "runtime/seccomp.h"

#include <stdlib.h>

struct seccomp_profile {
	int unused;
};

void seccomp_profile_free(struct seccomp_profile *profile)
{
	free(profile);
}
