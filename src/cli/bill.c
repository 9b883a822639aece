/* `oneguard bill` and the in-server billing worker. The billing engine
 * itself lives in src/billing; until it lands, both say so plainly. */
#include "cli/cli.h"

#include <stdio.h>

int cli_bill(struct og_config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	fprintf(stderr, "oneguard bill: the billing engine is not built yet\n");
	return 1;
}

struct cli_worker *cli_worker_start(const struct og_config *cfg, struct og_store *st)
{
	(void)cfg;
	(void)st;
	return NULL;
}

void cli_worker_stop(struct cli_worker *w)
{
	(void)w;
}
