/* Fuzz harness: arbitrary bytes as a burrow.conf or --conf file. On success every setting is a
 * known key with a value and a line within the text; on failure the message names the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"
#include "util/strv.h"

static bool known(const char *key)
{
	for (size_t i = 0; i < config_n_keys; i++)
		if (strcmp(config_keys[i].name, key) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool sections = data[0] & 1;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	size_t lines = 1;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';

	struct config_file f;
	struct error err = {0};
	if (config_parse(text, "fuzz.conf", sections, &f, &err) == 0) {
		for (size_t i = 0; i < f.n_settings; i++)
			if (!known(f.settings[i].key) || !f.settings[i].value || f.settings[i].line == 0 ||
			    f.settings[i].line > lines)
				abort();
		if (!sections && (f.environ || f.mounts))
			abort();
		for (size_t i = 0; f.environ && f.environ[i]; i++)
			if (!strchr(f.environ[i], '=') || f.environ[i][0] == '=')
				abort();
		for (size_t i = 0; f.mounts && f.mounts[i]; i++)
			if (f.mount_lines[i] == 0 || f.mount_lines[i] > lines || !f.mounts[i][0])
				abort();
		config_file_free(&f);
	} else if (strncmp(err.msg, "fuzz.conf:", 10) != 0 || f.settings || f.environ || f.mounts) {
		abort();
	}
	free(text);
	return 0;
}
