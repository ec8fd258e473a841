/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "app_config.h"
#include "sluice_service.h"

#define SL_MAX_SERVICES APP_MAX_SERVICES

static const struct sl_service *sl_services[SL_MAX_SERVICES];
static unsigned int sl_n_services;

void
sl_service_register(const struct sl_service *svc)
{
	/* Runs from constructors, before main(): nobody to return an error
	 * to, and a missing service is reported when it is selected. */
	if (sl_n_services < SL_MAX_SERVICES && svc != NULL && svc->name != NULL)
		sl_services[sl_n_services++] = svc;
	else
		fprintf(stderr, "sluice: cannot register service '%s'\n",
			svc && svc->name ? svc->name : "(null)");
}

const struct sl_service *
sl_service_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sl_n_services; i++)
		if (strcmp(sl_services[i]->name, name) == 0)
			return sl_services[i];
	return NULL;
}

void
sl_service_foreach(void (*fn)(const struct sl_service *svc, void *arg), void *arg)
{
	unsigned int i;

	for (i = 0; i < sl_n_services; i++)
		fn(sl_services[i], arg);
}

unsigned int
sl_service_count(void)
{
	return sl_n_services;
}

const struct sl_service *
sl_service_at(unsigned int i)
{
	return i < sl_n_services ? sl_services[i] : NULL;
}
