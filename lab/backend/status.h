/*
 * status.h - `ikelab status` and `ikelab exec` on a lab built in this
 * kernel (host backend, or the inner side of a UML lab).
 */
#ifndef IKELAB_STATUS_H
#define IKELAB_STATUS_H

#include <stdbool.h>

int status_host(const char *name, bool json);
/* Does not return on success: the command replaces this process. */
int exec_host(const char *name, const char *node, char *const cmd[]);

#endif
