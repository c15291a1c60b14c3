// docs/openapi.yaml is what `parley --print-openapi` prints (api/openapi.hpp):
// regenerate it with `build/parley --print-openapi > docs/openapi.yaml`.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "api/method_docs.hpp"
#include "api/methods.hpp"
#include "api/openapi.hpp"

using namespace parley;

TEST_CASE("docs/openapi.yaml equals the document generated from the method table") {
  std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/docs/openapi.yaml");
  REQUIRE_MESSAGE(in.good(), "docs/openapi.yaml is missing");
  std::stringstream committed;
  committed << in.rdbuf();
  const std::string generated = openapi_yaml();
  CHECK_MESSAGE(committed.str() == generated,
                "docs/openapi.yaml is stale: build/parley --print-openapi > docs/openapi.yaml");
}

TEST_CASE("openapi: every method HTTP serves has a path and a params schema; no other") {
  const std::string doc = openapi_yaml();
  for (const auto& h : kHandlers) {
    const std::string name(kMethodNames[h.index]);
    CAPTURE(name);
    const bool path = doc.find("  /api/v1/" + name + ":\n") != std::string::npos;
    const bool schema = doc.find("    " + name + "Params:\n") != std::string::npos;
    CHECK(path == !h.socket);
    CHECK(schema == !h.socket);
  }
  CHECK(doc.find("  /api/v1/batch:\n") != std::string::npos);
}
