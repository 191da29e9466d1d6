#pragma once

// Everything a plugin needs: the PDK, the Plugin base class and GANTRY_PLUGIN, the schema DSL
// and serve(). Tests add gantry_pdk/testing.h.

#include "gantry_pdk/pdk.h"
#include "gantry_pdk/plugin.h"
#include "gantry_pdk/schema.h"
#include "gantry_pdk/server.h"
#include "gantry_pdk/types.h"
