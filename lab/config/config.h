/*
 * config.h - loading topologies and peer profiles from YAML.
 *
 * libcyaml turns a document into C structs; before that, the document is
 * checked against the same schema on libyaml's own node tree, so that an
 * unknown key, a wrong type or a number like "5x" is reported at its exact
 * file:line:column with the field's path. Semantic checks (a link to a node
 * that does not exist, a bad address) report positions the same way.
 */
#ifndef IKELAB_CONFIG_H
#define IKELAB_CONFIG_H

#include <cyaml/cyaml.h>

#include "config/profile.h"
#include "config/topology.h"

struct ydoc;

/* A profile with `base: other.yaml` is laid over that one (recursively). */
struct profile *profile_load(const char *path);
void profile_free(struct profile *p);
/* Lay src's settings over dst's; src is consumed. */
void profile_overlay(struct profile *dst, struct profile *src);

/* A profile as a mapping inside another file (a scenario's `set:`): its
 * schema fields, and its checks with paths under AT ("peers[0].set."). */
extern const cyaml_schema_field_t profile_fields[];
int profile_check_at(const struct profile *p, const struct ydoc *d,
    const char *at);

#endif
