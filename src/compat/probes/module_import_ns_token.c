// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.13 made MODULE_IMPORT_NS() take a string literal
 * (MODULE_IMPORT_NS("DMA_BUF")); before, it stringified a bare token
 * (MODULE_IMPORT_NS(DMA_BUF)), and a string literal would name a namespace
 * with quotes in it, so modpost would refuse the dma-buf symbols.
 *
 * HAVE_MODULE_IMPORT_NS_TOKEN: MODULE_IMPORT_NS() takes a bare token
 */
#include <linux/module.h>

MODULE_IMPORT_NS(DMA_BUF);
