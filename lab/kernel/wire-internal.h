/*
 * wire-internal.h - what wire.c (the queue, verdicts, copies) and
 * wire_parse.c (headers and rules, pure) share.
 */
#ifndef IKELAB_WIRE_INTERNAL_H
#define IKELAB_WIRE_INTERNAL_H

#include <stdint.h>

#define IKE_PORT 500
#define NATT_PORT 4500
#define IKE_HDR_LEN 28

/* The big-endian 16-bit number at P. */
uint16_t wire_be16(const uint8_t *p);

#endif
