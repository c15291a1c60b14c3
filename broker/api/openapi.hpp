// The OpenAPI 3 document of the HTTP server API (docs/openapi.yaml),
// generated from the method table (methods.hpp: which methods HTTP serves)
// and its descriptions (method_docs.hpp). `parley --print-openapi` prints it;
// a unit test keeps the committed file equal to it.
#pragma once

#include <string>

namespace parley {

std::string openapi_yaml();

}  // namespace parley
