/*
 * scratch.h - a private scratch directory for each unit test that needs
 * files: made with mkdtemp under /tmp by the fixture scratch(), removed by
 * cleanup() (each libcheck test runs in a fork of its own), and at(NAME)
 * for a path inside it. SCRATCH_TAG, defined before the include, names the
 * test in the directory's name.
 */
#ifndef IKELAB_TEST_SCRATCH_H
#define IKELAB_TEST_SCRATCH_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/util.h"

#ifndef SCRATCH_TAG
#error "define SCRATCH_TAG before including scratch.h"
#endif

/* ck_assert with the last error message, which says what was refused. */
#define CHECK(c) ck_assert_msg((c), "%s (last error: %s)", #c, err_msg())

static char scratch_dir[64];

static void scratch(void)
{
	snprintf(scratch_dir, sizeof(scratch_dir), "/tmp/ikelab-test-%s.XXXXXX", SCRATCH_TAG);
	ck_assert_ptr_nonnull(mkdtemp(scratch_dir));
}

static void cleanup(void)
{
	rm_rf(scratch_dir);
}

/* scratch_dir/name, in one of four rotating buffers. */
static char *at(const char *name)
{
	static char bufs[4][512];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", scratch_dir, name);
	return b;
}

#endif
