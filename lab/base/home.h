/*
 * home.h - where ikelab's own files are: the helper programs it starts and
 * the files it ships.
 *
 * ikelab runs from two kinds of trees, and finds both from the path of its
 * own binary (/proc/self/exe), never from the working directory or a path
 * compiled in, so that a DESTDIR staging and a copied tree work as well as
 * the final place:
 *
 *   build tree   BUILD/ikelab (or BUILD/asan/ikelab, BUILD/tests/NAME):
 *                the helpers lie beside the binary, the shipped files
 *                (topologies/, peers/, scenarios/, schemas/, scripts/) in
 *                the tree above it;
 *   installed    PREFIX/bin/ikelab: the helpers in PREFIX/libexec/ikelab,
 *                the shipped files in PREFIX/share/ikelab (make install).
 *
 * A folder is taken for the shipped tree only when it holds the default
 * topology (HOME_MARK), so a stray scenarios/ above the binary is never
 * mistaken for it. The installed layout is checked first.
 */
#ifndef IKELAB_HOME_H
#define IKELAB_HOME_H

#define HOME_MARK "topologies/two-peer.yaml"
#define HOME_SHARE "share/ikelab"     /* under PREFIX */
#define HOME_LIBEXEC "libexec/ikelab" /* under PREFIX */

/* The folder of the shipped files, resolved (allocated), or NULL when
 * there is none. */
char *home_data_dir(void);
/* REL ("topologies/two-peer.yaml", "scenarios") under that folder, if it
 * exists there (allocated), else NULL. */
char *home_data(const char *rel);
/* The helper program NAME (ikelab-probe, uml-fpfix.so) (allocated): the
 * installed one when the binary is installed, else the one beside the
 * binary -- also when that is missing, so the error names where it was
 * looked for. */
char *home_helper(const char *name);

#endif
