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

#endif
