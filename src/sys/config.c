/* Configuration defaults (the system part: reads the number of cores). Flags and environment are read in src/cli. */
#include "sys/config.h"
#include "sys/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void config_defaults(struct og_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
	cfg->listen_port = 8080;
	snprintf(cfg->db_url, sizeof cfg->db_url, "sqlite:oneguard.db");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->n_threads = cores > 0 ? (int)cores : 1;
	cfg->n_db_workers = 8;
	cfg->log_level = LOG_INFO;
	cfg->body_limit = 64 * 1024;
	cfg->idle_timeout = 60;
	cfg->enable_test_clocks = false;
	snprintf(cfg->invoice_prefix, sizeof cfg->invoice_prefix, "INV");
	snprintf(cfg->payment_provider, sizeof cfg->payment_provider, "sandbox");
	cfg->billing_interval = 60;
	cfg->access_log = true;
	snprintf(cfg->mail_from, sizeof cfg->mail_from, "oneguard@localhost");
	snprintf(cfg->mail_dir, sizeof cfg->mail_dir, "mail");
	snprintf(cfg->public_url, sizeof cfg->public_url, "http://127.0.0.1:8080");
	cfg->signup = true;
}
