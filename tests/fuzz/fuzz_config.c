/* Fuzz harness: arbitrary bytes as an image config. Checks what a parse promises: valid diff_ids within the
 * cap, labels sorted and splittable, and nothing left behind by a refusal. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "util/strv.h"

static bool config_is_empty(const struct image_config *c)
{
	return !c->env && !c->entrypoint && !c->cmd && !c->working_dir && !c->user && !c->labels &&
	       !c->platform.os && !c->platform.architecture && !c->platform.variant && !c->diff_ids &&
	       !c->n_diff_ids;
}

static void check_config(const struct image_config *c)
{
	(void)strv_len(c->env);
	(void)strv_len(c->entrypoint);
	(void)strv_len(c->cmd);
	if ((c->working_dir && !*c->working_dir) || (c->user && !*c->user))
		abort();
	if (c->n_diff_ids > 1000 || (c->n_diff_ids && !c->diff_ids))
		abort();
	for (size_t i = 0; i < c->n_diff_ids; i++)
		if (!digest_valid(c->diff_ids[i]))
			abort();
	if (c->diff_ids && c->diff_ids[c->n_diff_ids])
		abort();
	/* Each label splits at its first '=' into a non-empty name; names strictly increase. */
	const char *prev = NULL;
	size_t prev_len = 0;
	for (char **l = c->labels; l && *l; l++) {
		const char *eq = strchr(*l, '=');
		if (!eq || eq == *l)
			abort();
		size_t len = (size_t)(eq - *l);
		if (prev) {
			int r = memcmp(prev, *l, prev_len < len ? prev_len : len);
			if (r > 0 || (r == 0 && prev_len >= len))
				abort();
		}
		prev = *l;
		prev_len = len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so a read past the end is caught. */
	char *doc = malloc(size ? size : 1);
	if (!doc)
		return 0;
	memcpy(doc, data, size);
	struct image_config c;
	struct error err = {0};
	if (image_config_parse(doc, size, &c, &err) == 0) {
		check_config(&c);
		image_config_free(&c);
		if (!config_is_empty(&c))
			abort();
	} else if (!err.msg[0] || !config_is_empty(&c)) {
		abort();
	}
	free(doc);
	return 0;
}
