// json_merge.hpp: top-level merging of serialized JSON objects.
#include <doctest/doctest.h>

#include "json_merge.hpp"

using namespace parley;

TEST_CASE("merge_object sets, replaces in place and appends") {
  CHECK(merge_object(R"({"a":1,"b":2})", R"({"b":3,"c":4})") == R"({"a":1,"b":3,"c":4})");
  CHECK(merge_object(R"({"b":2,"a":1})", R"({"a":"x"})") == R"({"b":2,"a":"x"})");
  CHECK(merge_object("{}", R"({"z":1,"y":2})") == R"({"z":1,"y":2})");
  CHECK(merge_object(R"({"a":1})", "{}") == R"({"a":1})");
}

TEST_CASE("merge_object: null in the patch removes the key") {
  CHECK(merge_object(R"({"a":1,"b":2,"c":3})", R"({"b":null})") == R"({"a":1,"c":3})");
  CHECK(merge_object(R"({"a":1})", R"({"a":null})") == "{}");
  // Removing a key that is not there is not an error, and adds nothing.
  CHECK(merge_object(R"({"a":1})", R"({"zz":null})") == R"({"a":1})");
}

TEST_CASE("merge_object replaces values whole, nested objects included") {
  CHECK(merge_object(R"({"o":{"x":1,"y":2}})", R"({"o":{"x":9}})") == R"({"o":{"x":9}})");
  CHECK(merge_object(R"({"a":[1,2]})", R"({"a":[]})") == R"({"a":[]})");
  CHECK(merge_object(R"({"a":1})", R"({"b":{"n":null}})") == R"({"a":1,"b":{"n":null}})");
}

TEST_CASE("merge_object minifies and keeps escapes valid") {
  CHECK(merge_object(R"( { "a" : [ 1 , 2 ] , "s" : "x y" } )", R"( { "t" : true } )") ==
        R"({"a":[1,2],"s":"x y","t":true})");
  CHECK(merge_object(R"({"q\"k":"v\n"})", R"({"n\\k":"\u0001"})") ==
        R"({"q\"k":"v\n","n\\k":"\u0001"})");
  CHECK(merge_object(R"({"é":"ü"})", R"({"😀":1})") == R"({"é":"ü","😀":1})");
}

TEST_CASE("merge_object with repeated keys") {
  // The patch's last occurrence wins; the base keeps its first.
  CHECK(merge_object(R"({"a":1})", R"({"a":2,"a":3})") == R"({"a":3})");
  CHECK(merge_object(R"({"a":1})", R"({"a":2,"a":null})") == "{}");
  CHECK(merge_object(R"({"a":1,"a":2})", "{}") == R"({"a":1})");
}

TEST_CASE("merge_object with input that is not an object") {
  CHECK(merge_object("", R"({"a":1})") == R"({"a":1})");
  CHECK(merge_object("[1]", R"({"a":1})") == R"({"a":1})");
  CHECK(merge_object(R"({"a":1})", "not json") == R"({"a":1})");
  CHECK(merge_object(R"({"a":1})", "[2]") == R"({"a":1})");
}

TEST_CASE("set_fields rewrites a message body on edit") {
  CHECK(set_fields(R"({"text":"old","metadata":{"k":1}})",
                   {{"text", R"("new")"}, {"editedAt", "1708192187729"}}) ==
        R"({"text":"new","metadata":{"k":1},"editedAt":1708192187729})");
  // Values are spliced verbatim: null sets null.
  CHECK(set_fields(R"({"a":1})", {{"a", "null"}}) == R"({"a":null})");
  // The later of two fields with the same key wins.
  CHECK(set_fields("{}", {{"a", "1"}, {"a", "2"}}) == R"({"a":2})");
  // Keys are escaped.
  CHECK(set_fields("{}", {{"k\"", "1"}}) == R"({"k\"":1})");
}

TEST_CASE("merge_object's output is reusable as a base") {
  std::string meta = "{}";
  meta = merge_object(meta, R"({"a":1})");
  meta = merge_object(meta, R"({"b":[true]})");
  meta = merge_object(meta, R"({"a":null})");
  CHECK(meta == R"({"b":[true]})");
}
