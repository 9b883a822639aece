/* The provider registry: a deployment names one (--payment-provider). */
#include "pay/provider.h"
#include "pay/sandbox.h"

#include <string.h>

const struct pay_provider *pay_provider_get(const char *name)
{
	if (!name || !strcmp(name, "sandbox"))
		return &pay_sandbox;
	return NULL; /* stripe and manual: not built yet */
}

bool pay_provider_known(const char *name)
{
	return name && (!strcmp(name, "sandbox") || !strcmp(name, "stripe") || !strcmp(name, "manual"));
}
