/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sluice binary: sluice_main() (apps/sluice_main.c) with the services
 * of apps/services/ linked in, each registering itself at load time.
 * (The program was apps/main.c; it is apps/sluice_main.c now, so that the
 * library has it too.)
 */
#include "sluice_service.h"

int
main(int argc, char **argv)
{
	return sluice_main(argc, argv);
}
