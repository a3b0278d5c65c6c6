/* burrow check: whether this host is ready, one line per requirement with its fix. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/check.h"

int cmd_check(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: burrow check\n\n"
		       "Check this host for what burrow needs: one line per requirement, OK, WARN or KO\n"
		       "with the fix. Exits 1 when any line is KO.\n");
		return 0;
	}
	if (argc > 1)
		return cli_usage_error("check", "unexpected argument '%s'", argv[1]);
	struct check_facts facts;
	check_probe(&facts);
	struct check_line lines[CHECK_LINES];
	int ko = check_judge(&facts, lines);
	for (int i = 0; i < CHECK_LINES; i++) {
		printf("%-4s  %s: %s", check_status_name(lines[i].status), lines[i].requirement,
		       lines[i].detail);
		if (lines[i].fix[0])
			printf(" - fix: %s", lines[i].fix);
		printf("\n");
	}
	return ko > 0 ? 1 : 0;
}
