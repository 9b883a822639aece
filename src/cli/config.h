/* Command-line and environment configuration: each option has a flag and
 * an ONEGUARD_* variable; flags win over the environment, which wins over
 * the defaults in sys/config.c. */
#ifndef OG_CLI_CONFIG_H
#define OG_CLI_CONFIG_H

#include "sys/config.h"

#include <stdio.h>

/* Which options a subcommand takes. */
enum cli_opt_set {
	CLI_OPTS_DB = 1u << 0,    /* --db, --log-level */
	CLI_OPTS_SERVE = 1u << 1, /* --listen, --threads, --db-workers, --body-limit, ... */
	CLI_OPTS_BILL = 1u << 2,  /* --invoice-prefix */
};

/* Applies ONEGUARD_* variables, then argv flags (argv[0] is the
 * subcommand). Unknown or bad flags print a message and usage to stderr and
 * return 2; --help prints usage to stdout and returns 1; 0 on success.
 * *n_rest / rest get the positional arguments left over. */
int cli_config_parse(struct og_config *cfg, unsigned opt_set, int argc, char **argv, const char *usage, int *n_rest,
                     char **rest, int max_rest);
void cli_config_print_options(FILE *f, unsigned opt_set);

#endif
