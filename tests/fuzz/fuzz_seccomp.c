/* Fuzz harness: arbitrary bytes as a linux.seccomp object. On success every rule's arguments
 * have an index of 0 to 5 and known operators, errno values fit; on failure nothing is
 * returned and the message says it is about seccomp. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *obj = json_loadb((const char *)data, size, 0, NULL);
	if (!obj)
		return 0;
	struct seccomp_profile *p = NULL;
	struct error err = {0};
	if (seccomp_profile_from_json(obj, &p, &err) == 0) {
		if (!p || p->default_ret < 0 || p->default_ret > 65535)
			abort();
		for (size_t i = 0; i < p->n_rules; i++) {
			const struct seccomp_rule *r = &p->rules[i];
			if (r->ret < 0 || r->ret > 65535)
				abort();
			for (size_t k = 0; k < r->n_args; k++)
				if (r->args[k].index > 5 || r->args[k].op > SECCOMP_OP_MASKED_EQ)
					abort();
		}
		seccomp_profile_free(p);
	} else if (p || (strncmp(err.msg, "seccomp: ", 9) != 0 && strcmp(err.msg, "out of memory") != 0)) {
		abort();
	}
	json_decref(obj);
	return 0;
}
