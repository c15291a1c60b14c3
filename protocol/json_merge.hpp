// Top-level editing of serialized JSON objects that the broker otherwise
// keeps as opaque text: metadataPatch on a conversation's metadata, and the
// rewrite of a message body on edit ("text", "editedAt").
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace parley {

// `base_obj` with every top-level key of `patch_obj` set to the patch's
// value; a null value in the patch removes the key. Base keys keep their
// order, new keys follow in patch order; the output is minified. When a key
// repeats, the patch's last occurrence wins and the base's first is kept.
// Both arguments are meant to be serialized objects (the decoder ensures
// it): a base that is not an object is read as {}, a patch that is not an
// object changes nothing.
std::string merge_object(std::string_view base_obj, std::string_view patch_obj);

// `base_obj` with each (key, serialized JSON value) of `fields_json` set,
// verbatim ("null" sets null here, it does not remove). The values are
// trusted to be valid JSON, as the caller builds them.
std::string set_fields(
    std::string_view base_obj,
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields_json);

}  // namespace parley
