/* Fuzz harness: arbitrary bytes as an OCI bundle's config.json. Checks what a parse promises:
 * a plan with a program, absolute normal paths inside, mappings that map the caller, and
 * nothing left behind by a refusal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_paths.h"
#include "oci/config.h"
#include "util/strv.h"

static void check_bundle(const struct oci_bundle *b)
{
	const struct run_plan *p = &b->plan;
	if (!p->oci || !p->rootfs || !p->argv || !p->argv[0] || !p->env || !b->annotations)
		abort();
	fuzz_check_normal_path(p->workdir);
	for (size_t i = 0; i < p->n_mounts; i++) {
		fuzz_check_normal_path(p->mounts[i].target);
		if (p->mounts[i].kind == PLAN_MOUNT_BIND &&
		    (!p->mounts[i].source || p->mounts[i].source[0] != '/'))
			abort();
	}
	for (size_t i = 0; p->masked_paths && p->masked_paths[i]; i++)
		fuzz_check_normal_path(p->masked_paths[i]);
	for (size_t i = 0; p->readonly_paths && p->readonly_paths[i]; i++)
		fuzz_check_normal_path(p->readonly_paths[i]);
	if (p->uids.n == 0 || p->uids.n > IDMAP_MAX_RANGES || p->gids.n == 0 || p->gids.n > IDMAP_MAX_RANGES)
		abort();
	for (size_t k = 0; k < OCI_HOOK_COUNT; k++)
		for (size_t i = 0; i < b->n_hooks[k]; i++)
			if (!b->hooks[k][i].path || b->hooks[k][i].path[0] != '/' ||
			    b->hooks[k][i].timeout < 0)
				abort();
	(void)strv_len(p->sysctls);
	(void)strv_len(b->warnings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so a read past the end is caught. */
	char *doc = malloc(size ? size : 1);
	if (!doc)
		return 0;
	memcpy(doc, data, size);
	static const struct oci_host host = {.uid = 1000, .gid = 1000, .hostname = "node"};
	struct oci_bundle b;
	struct error err = {0};
	if (oci_config_parse(doc, size, "/bundle", &host, &b, &err) == 0) {
		check_bundle(&b);
		oci_bundle_free(&b);
		if (b.dir || b.plan.argv)
			abort();
	} else if (!err.msg[0] || b.dir || b.plan.argv || b.annotations) {
		abort();
	}
	free(doc);
	return 0;
}
