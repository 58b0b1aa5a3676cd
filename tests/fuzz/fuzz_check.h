/*
 * fuzz_check.h - what every harness asserts with: CHECK(c) names the file,
 * line and condition on stderr and aborts, which libFuzzer reports as a
 * crash and keeps the input of.
 */
#ifndef IKELAB_FUZZ_CHECK_H
#define IKELAB_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                \
	do {                                                                    \
		if (!(c)) {                                                     \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                \
		}                                                               \
	} while (0)

#endif
