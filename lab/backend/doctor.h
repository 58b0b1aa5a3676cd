/*
 * doctor.h - what this host can do for a lab, and which backend `auto`
 * picks.
 */
#ifndef IKELAB_DOCTOR_H
#define IKELAB_DOCTOR_H

#include <stdbool.h>

/* "host" or "uml" for --kernel auto; NULL with err_msg() when neither. */
const char *doctor_pick_backend(void);
int doctor_run(bool json);

#endif
