#include "bench.h"
#include "doctor.h"
#include "err.h"
#include "lab.h"
#include "state.h"
#include "uml.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_script(const char *script, const char *dir, const char *name)
{
	char *path = lab_find_file(script);
	char *cmd = xasprintf("sh %s %s %s", path, dir, name);
	int st = system(cmd);

	free(cmd);
	free(path);
	if (st != 0)
		return err_set("%s failed (status %d)", script, st);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Inside the kernel that runs the lab: measure both, alternating. */
static int bench_up_here(int rounds)
{
	double *ik = xcalloc((size_t)rounds, sizeof(double));
	double *sh = xcalloc((size_t)rounds, sizeof(double));
	struct up_opts o = { .name = "bench-ikelab", .quiet = true };
	int r = 0;

	for (int i = 0; i < rounds && r == 0; i++) {
		int64_t t0 = mono_ns();

		r = lab_up_host(&o);
		ik[i] = (double)(mono_ns() - t0) / 1e9;
		if (r == 0)
			r = lab_down_host(o.name);
		if (r < 0)
			break;
		t0 = mono_ns();
		r = run_script("scripts/baseline-up.sh", "/tmp/ikelab-baseline", "bench-shell");
		sh[i] = (double)(mono_ns() - t0) / 1e9;
		run_script("scripts/baseline-down.sh", "/tmp/ikelab-baseline", "bench-shell");
		if (r == 0)
			printf("round %d: ikelab %.3f s, shell baseline %.3f s\n", i + 1, ik[i], sh[i]);
	}
	if (r == 0) {
		double mi = median(ik, rounds), ms = median(sh, rounds);

		printf("up to trap policies, median of %d: ikelab %.3f s, shell baseline %.3f s, "
		       "ratio %.2f\n", rounds, mi, ms, mi / ms);
		printf("BENCH up_seconds=%.3f baseline_seconds=%.3f ratio=%.3f\n", mi, ms, mi / ms);
	}
	free(ik);
	free(sh);
	return r;
}

int bench_up(int rounds, const char *kernel)
{
	char rs[16];

	if (inside_uml() || !strcmp(kernel, "host"))
		return bench_up_here(rounds);
	snprintf(rs, sizeof(rs), "%d", rounds);
	{
		char *const inner[] = { "bench", "up", "--rounds", rs, NULL };
		int rc = uml_boot_and_run("bench", inner, NULL, false);

		return rc == 0 ? 0 : -1;
	}
}
