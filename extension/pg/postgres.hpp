// The one way pgfast's C++ includes PostgreSQL's core headers: inside extern "C". Files that need
// more PostgreSQL headers include them after this one, also inside extern "C".
// Only extension/pg/ and the feature entry points include this; extension/core/ never does.
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/memutils.h"
}
