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
 * The layout is "installed" when the binary sits in a folder named bin.
 * A folder is taken for the shipped tree only when it holds the default
 * topology (HOME_MARK), so a stray scenarios/ above the binary is never
 * mistaken for it, and only when nobody but root, us and the owner of
 * the binary (who could change the binary itself) can change what is in
 * it, since the shipped folders are trusted without --trust and the
 * helpers run as root: a binary at /tmp/b/ikelab takes neither
 * /tmp/share/ikelab nor /tmp/libexec/ikelab of another user, while root
 * runs a user's build tree as that user's binary. The installed
 * layout is checked first. Without /proc/self/exe there is no home.
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
/* The helper program NAME (ikelab-probe, uml-fpfix.so) (allocated): in
 * PREFIX/libexec/ikelab when the binary is installed, else beside the
 * binary -- also when it is missing there, so the error of running it
 * names where it was looked for. NULL with err_msg() when that folder is
 * not safe as above. */
char *home_helper(const char *name);

#endif
