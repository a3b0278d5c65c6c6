#include "cli/cli.h"
int cmd_start(int argc, char **argv) { (void)argc; (void)argv; return 1; } /* placeholder */
