/* Fuzz harness: arbitrary text as an image's /etc/passwd and /etc/group through both merges.
 * Checks: exactly one well-formed line carries the user's id; every added line is well-formed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/identity.h"

static size_t count_fields(const char *s, size_t len)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += s[i] == ':';
	return n;
}

/* The third field as a plain decimal that fits 32 bits, as the merge reads it. */
static bool third_field_is(const char *s, size_t len, uint32_t want)
{
	const char *f = s, *end = s + len;
	for (int i = 0; i < 2; i++) {
		f = memchr(f, ':', (size_t)(end - f));
		if (!f)
			return false;
		f++;
	}
	const char *fend = memchr(f, ':', (size_t)(end - f));
	if (!fend)
		fend = end;
	if (fend == f)
		return false;
	uint64_t v = 0;
	for (const char *c = f; c < fend; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (uint64_t)(*c - '0');
		if (v > UINT32_MAX)
			return false;
	}
	return v == want;
}

/* Whether line is one of input's lines, byte for byte. */
static bool input_has_line(const char *input, const char *line, size_t len)
{
	for (const char *p = input; *p;) {
		const char *nl = strchrnul(p, '\n');
		if ((size_t)(nl - p) == len && memcmp(p, line, len) == 0)
			return true;
		p = *nl ? nl + 1 : nl;
	}
	return false;
}

static void check(const char *input, const char *out, size_t n_fields, uint32_t self_id)
{
	size_t len = strlen(out);
	if (len == 0 || out[len - 1] != '\n')
		abort();
	size_t self_lines = 0, overflow_lines = 0;
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = (size_t)(nl - p);
		bool well_formed = count_fields(p, l) == n_fields;
		if (third_field_is(p, l, self_id)) {
			self_lines++;
			if (!well_formed)
				abort();
		}
		if (well_formed && third_field_is(p, l, IDENTITY_OVERFLOW_ID))
			overflow_lines++;
		/* Anything not copied from the image was added by the merge and must parse. */
		if (!well_formed && !input_has_line(input, p, l))
			abort();
		p = nl + 1;
	}
	if (self_lines != 1 || overflow_lines == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const uid_t uids[] = {1000, 0, 65534, 4294967295u};
	static struct identity_group supp[] = {{"video", 44}};
	struct identity id = {
	        .name = "alice",
	        .uid = uids[data[0] & 3],
	        .gid = uids[(data[0] >> 2) & 3],
	        .gecos = "Alice:A\nB",
	        .home = "/home/alice",
	        .shell = (data[0] & 0x40) ? NULL : "/bin/bash",
	        .group_name = (data[0] & 0x80) ? NULL : "staff",
	        .supplementary = supp,
	        .n_supplementary = (data[0] >> 4) & 1,
	        .root = (data[0] >> 5) & 1,
	};
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0'; /* the text stops at the first NUL, as the file read does */

	struct error err;
	char *passwd = identity_merge_passwd(text, &id, &err);
	char *group = identity_merge_group(text, &id, &err);
	if (!passwd || !group)
		abort();
	check(text, passwd, 7, id.root ? 0 : id.uid);
	check(text, group, 4, id.root ? 0 : id.gid);
	free(passwd);
	free(group);
	free(text);
	return 0;
}
