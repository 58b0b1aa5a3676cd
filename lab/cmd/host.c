/*
 * host.c - this host: what it can do (doctor), how fast (bench), and which
 * ikelab and charon it has (version).
 */
#include "cmd/cmd.h"
#include "backend/doctor.h"
#include "base/err.h"
#include "base/json.h"
#include "campaign/bench.h"
#include "charon/build.h"
#include "charon/peer.h"
#include "config/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_doctor(const struct cli *c)
{
	return doctor_run(c->json);
}

int cmd_bench(const struct cli *c)
{
	long rounds = number("--rounds", c->rounds, 5, 1000);
	const char *kernel = pick_kernel(c);

	double secs;

	if (rounds < 0 || !kernel || decimal("--duration", c->duration, 60, 1, 3600, &secs) < 0)
		return fail();
	if (c->npos == 1 && !strcmp(c->pos[0], "up"))
		return bench_up((int)rounds, kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "esp"))
		return bench_esp(kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "record"))
		return bench_record(secs, kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "first-sa"))
		return bench_first_sa((int)rounds, kernel, c->out) < 0 ? fail() : 0;
	return usage_fail(c);
}

/* The charon a lab would start: --charon (a version or commit is built
 * first), or the one a profile gets by default (a profile's own 'charon:'
 * may name another). */
int cmd_version(const struct cli *c)
{
	char *path = NULL, *v;
	const char *charon;
	json_t *rec;

	printf("ikelab %s\n", IKELAB_VERSION);
	if (charon_arg(c, &path) < 0)
		return fail();
	charon = path ? path : PROFILE_DEFAULT_CHARON;
	if (access(charon, X_OK) < 0) {
		printf("charon %s: missing (make deps installs strongswan-charon)\n", charon);
		free(path);
		return 0;
	}
	v = charon_version(charon);
	if (v)
		printf("charon %s: strongSwan %s\n", charon, v);
	else
		printf("charon %s: 'charon --version' named no strongSwan version\n", charon);
	rec = charon_build_record(charon);
	if (rec)
		printf("charon %s: built by ikelab from commit %s%s of %s\n", charon,
		       jget_str_or(rec, "commit", "?"),
		       json_is_true(json_object_get(rec, "patched")) ? " with local changes" : "",
		       jget_str_or(rec, "source", "?"));
	json_decref(rec);
	free(v);
	free(path);
	return 0;
}
