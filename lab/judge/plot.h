/*
 * plot.h - a recorded run as one picture: SA counts per peer, probe loss,
 * and the events that explain them, rendered by gnuplot.
 */
#ifndef IKELAB_PLOT_H
#define IKELAB_PLOT_H

/*
 * Read run_dir's timeline.csv (required) and traffic.csv, events.jsonl and
 * summary.json (each optional), write the data gnuplot needs under
 * run_dir/.plot/ and the script as run_dir/timeline.gp, and run gnuplot
 * (found in PATH) to render run_dir/timeline.svg and run_dir/timeline.png.
 * Returns 0, or -1 with err_msg() naming the file and line at fault, or
 * quoting what gnuplot said.
 */
int plot_run(const char *run_dir);

/* gnuplot (from PATH, with its defaults: -d) on the script DIR/NAME, run in
 * DIR, within a deadline; -1 with err_msg() quoting what gnuplot said. DIR
 * and the script are the caller's own, never a guest's. */
int plot_gnuplot(const char *dir, const char *name);

#endif
