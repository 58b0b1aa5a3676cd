/*
 * fuzz_profile.c - profile_load() on a file made of the input, beside
 * links to the shipped profiles so that `base:` can lay it over them (and
 * over itself: the depth limit). A loaded profile is also laid over a copy
 * of itself, as a scenario's per-peer `set:` is.
 */
#include "config/profile.h"
#include "base/err.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p, *q;
	const char *path;

	fuzz_setup();
	if (fuzz_path_unsafe(data, size))
		return -1;
	path = fuzz_write("p", "in.yaml", data, size);
	p = profile_load(path);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s\n", p ? "loaded" : err_msg());
	if (p) {
		if (!p->path || strcmp(p->path, path))
			abort();
		if (p->charon && p->charon[0] != '/')
			abort();
		for (unsigned i = 0; i < p->plugins_count; i++)
			if (!p->plugins[i] || !p->plugins[i][0])
				abort();
		/* The same file again, laid over the first load. */
		q = profile_load(path);
		if (!q)
			abort();
		profile_overlay(p, q);
	} else if (!err_msg()[0]) {
		abort();
	}
	profile_free(p);
	err_clear();
	return 0;
}
