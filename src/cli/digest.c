/* burrow digest [--arch A | --platform OS/ARCH[/VARIANT]] REF: the digest a registry gives for
 * REF now, from one manifest request (nothing is pulled or stored). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/remote.h"

int cmd_digest(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"arch", required_argument, NULL, 'a'},
	        {"platform", required_argument, NULL, 'p'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *platform_text = NULL;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+a:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
		case 'p':
			platform_text = optarg;
			break;
		case 'h':
			printf("usage: burrow digest [OPTIONS] REF\n\n"
			       "Print the manifest digest REF has in its registry now, without pulling "
			       "layers.\n"
			       "For a multi-platform image that is the index's digest, unless a platform is "
			       "given.\n\n"
			       "  -a, --arch ARCH           the digest of this architecture's manifest\n"
			       "  -p, --platform OS/ARCH[/VARIANT]\n");
			return 0;
		default:
			return cli_usage_error("digest", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("digest", "expected one REF");
	struct error err;
	error_clear(&err);
	struct reference ref = {0};
	struct platform platform = {0};
	char digest[DIGEST_STRING_LEN + 1];
	int status = 1;
	if (reference_parse(argv[optind], &ref, &err) < 0 ||
	    (platform_text && platform_parse(platform_text, &platform, &err) < 0) ||
	    remote_digest(&ref, platform_text ? &platform : NULL, digest, &err) < 0)
		cli_report(&err);
	else {
		printf("%s\n", digest);
		status = 0;
	}
	platform_free(&platform);
	reference_free(&ref);
	return status;
}
