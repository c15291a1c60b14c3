// The Redis engine's value encodings (storage/redis/redis_codec.cpp) and its
// reply copy (redis_reply.cpp), over arbitrary bytes.
//
// The first byte picks what the rest is:
//   0 an event encoding, 1 a member encoding, 2 a record's `rec` JSON,
//   3 a pub/sub message, 4 a whole record as HGETALL replies (a token list),
//   5 RESP bytes through hiredis' reader into RedisReply::copy_of, and
//     through a reader built with RedisReply::reader_functions (one pass),
//     which must build the same replies,
//   6 an event and a member built from the bytes, encoded then decoded.
// Whatever decodes must encode and decode again to the same value (and the
// second encoding must equal the first); nothing may crash.
#include <hiredis/hiredis.h>
#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "redis_codec.hpp"
#include "redis_record_codec.hpp"
#include "redis_reply.hpp"

namespace {

using namespace parley;
using namespace parley::redis;
using parley::fuzz::Input;

std::string dump(const Event& e) {
  std::ostringstream o;
  o << e.seq << '|' << e.prev_public_seq << '|' << e.ts << '|' << e.messages_all << '|'
    << e.messages_public << '|' << e.type << '|' << e.dialog_id << '|' << e.from_user << '|'
    << e.from_role << '|' << static_cast<int>(e.visibility) << '|' << e.client_message_id << '|'
    << e.body;
  return o.str();
}

std::string dump(const Member& m) {
  std::ostringstream o;
  o << m.user_id << '|' << m.name << '|' << static_cast<int>(m.role) << '|'
    << static_cast<int>(m.state) << '|' << m.joined_at << '|' << m.left_at << '|'
    << m.last_read_seq << '|' << m.last_accept_seq << '|' << m.read_messages_all << '|'
    << m.read_messages_public << '|' << m.archived << '|' << m.draft_at << '|' << m.draft;
  return o.str();
}

// The fields encode_rec and encode_meta store.
std::string dump(const Conversation& c) {
  std::ostringstream o;
  auto opt = [&](const std::optional<std::string>& v) { o << (v ? "=" + *v : "-") << '\n'; };
  opt(c.name), opt(c.display_name), opt(c.image_url), opt(c.external_id), opt(c.campaign_id);
  opt(c.skill_id), opt(c.group_id);
  o << c.channel << '\n' << c.metadata << '\n';
  for (const Dialog& d : c.dialogs)
    o << d.dialog_id << ' ' << d.type << ' ' << d.open << ' ' << d.opened_at << ' ' << d.closed_at
      << ' ' << d.closed_cause << '\n';
  o << (c.ttl ? std::to_string(*c.ttl) : "-") << ' ' << c.post_survey << ' ' << c.ttr_type << ' '
    << (c.ttr_value ? std::to_string(*c.ttr_value) : "-") << ' ' << c.ttr_manual << '\n';
  if (c.csat)
    o << "csat " << c.csat->rate << ' ' << c.csat->resolution_confirmation << ' '
      << c.csat->status << ' ' << c.csat->set_at << '\n';
  o << c.notes_bytes << ' ' << c.notes_count << '\n';
  for (const auto& u : c.former_consumers) o << u << ',';
  o << '\n' << c.epoch << ' ' << c.version << ' ' << static_cast<int>(c.state) << ' ' << c.status
    << ' ' << c.last_seq << ' ' << c.last_public_seq << ' ' << c.messages_all << ' '
    << c.messages_public << ' ' << c.updated_at << ' ' << c.created_at << ' '
    << c.last_message_at << ' ' << c.last_message.seq << ' ' << c.last_message.from << ' '
    << c.last_message.text << ' ' << c.last_message.ts << ' ' << c.last_consumer_message_at
    << '\n';
  for (const Member& m : c.members) o << dump(m) << '\n';
  return o.str();
}

// Both dumps on stderr when they differ, so a failure shows what changed.
bool same(const std::string& a, const std::string& b) {
  if (a != b) std::fprintf(stderr, "first:\n%s\nagain:\n%s\n", a.c_str(), b.c_str());
  return a == b;
}

void event_round_trip(std::string_view enc) {
  auto e = decode_event(enc);
  if (!e) return;
  const std::string again = encode_event(*e);
  auto back = decode_event(again);
  FUZZ_CHECK(back && same(dump(*e), dump(*back)));
  FUZZ_CHECK(encode_event(*back) == again);
}

void member_round_trip(std::string_view user, std::string_view enc) {
  auto m = decode_member(user, enc);
  if (!m) return;
  const std::string again = encode_member(m->first, m->second);
  auto back = decode_member(user, again);
  FUZZ_CHECK(back && back->second == m->second && same(dump(m->first), dump(back->first)));
  FUZZ_CHECK(encode_member(back->first, back->second) == again);
}

// What decode_rec reads from arbitrary JSON need not be what encode_rec
// writes (notesBytes without notesCount is dropped, unknown keys are
// skipped); what it reads from encode_rec's output must be.
void rec_round_trip(std::string_view json) {
  Conversation c;
  if (!decode_rec(json, c)) return;
  const std::string once = encode_rec(c);
  Conversation back;
  FUZZ_CHECK(decode_rec(once, back));
  const std::string twice = encode_rec(back);
  FUZZ_CHECK(same(once, twice));
  Conversation again;
  FUZZ_CHECK(decode_rec(twice, again));
  FUZZ_CHECK(same(dump(back), dump(again)));
}

void message_round_trip(std::string_view payload) {
  auto m = decode_message(payload);
  if (!m) return;
  std::string again;
  if (m->is_signal) {
    again = signal_message(m->signal);
  } else {
    std::vector<std::string> encodings;
    for (const auto& e : m->events) encodings.push_back(encode_event(*e));
    again = events_message(m->epoch, encodings);
  }
  auto back = decode_message(again);
  FUZZ_CHECK(back && back->is_signal == m->is_signal);
  if (m->is_signal) {
    FUZZ_CHECK(back->signal.from_user == m->signal.from_user &&
               back->signal.skip_sender == m->signal.skip_sender &&
               back->signal.agents_only == m->signal.agents_only &&
               *back->signal.frame == *m->signal.frame);
    FUZZ_CHECK(signal_message(back->signal) == again);
  } else {
    FUZZ_CHECK(back->epoch == m->epoch && back->events.size() == m->events.size());
    for (size_t i = 0; i < m->events.size(); ++i)
      FUZZ_CHECK(dump(*back->events[i]) == dump(*m->events[i]));
  }
}

// A token list of strings as an array reply; the token "\0" is a nil.
RedisReply array_of(TokenReader& r, size_t n) {
  std::vector<RedisReply> items;
  std::string_view s;
  while (items.size() < n && r.next(s))
    items.push_back(s == std::string_view("\0", 1) ? RedisReply() : RedisReply::make_string(std::string(s)));
  return RedisReply::make_array(std::move(items));
}

// A record as the engine writes it (HSET meta, HSET members), read back.
bool write_and_read(const Conversation& c, const std::string& creq, Conversation& out,
                    std::string& out_creq) {
  std::vector<RedisReply> meta, members;
  for (auto& [k, v] : encode_meta(c)) {
    meta.push_back(RedisReply::make_string(k));
    meta.push_back(RedisReply::make_string(v));
  }
  meta.push_back(RedisReply::make_string("creq"));
  meta.push_back(RedisReply::make_string(creq));
  for (size_t i = 0; i < c.members.size(); ++i) {
    members.push_back(RedisReply::make_string(c.members[i].user_id));
    members.push_back(RedisReply::make_string(encode_member(c.members[i], i)));
  }
  return decode_record(RedisReply::make_array(std::move(meta)),
                       RedisReply::make_array(std::move(members)), out, &out_creq);
}

// As with `rec`: what is read from the engine's own writing reads the same
// when written again.
void record_round_trip(Input& in) {
  const size_t meta_items = in.below(64);
  const std::string rest(in.rest());
  TokenReader r(rest);
  const RedisReply meta = array_of(r, meta_items);
  const RedisReply members = array_of(r, SIZE_MAX);
  Conversation c;
  std::string creq;
  if (!decode_record(meta, members, c, &creq)) return;
  Conversation back, again;
  std::string creq2, creq3;
  FUZZ_CHECK(write_and_read(c, creq, back, creq2));
  FUZZ_CHECK(write_and_read(back, creq2, again, creq3));
  FUZZ_CHECK(creq == creq2 && creq2 == creq3);
  FUZZ_CHECK(same(dump(back), dump(again)));
}

// copy_of must copy a hiredis reply whole.
void same_reply(const redisReply* r, const RedisReply& copy) {
  switch (r->type) {
    case REDIS_REPLY_NIL:
      FUZZ_CHECK(copy.is_nil());
      break;
    case REDIS_REPLY_INTEGER:
      FUZZ_CHECK(copy.is_integer() && copy.integer() == r->integer);
      FUZZ_CHECK(copy.as_int() == r->integer);
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      FUZZ_CHECK(copy.str() == std::string_view(r->str, r->len));
      FUZZ_CHECK(copy.is_error() == (r->type == REDIS_REPLY_ERROR));
      (void)copy.as_int();
      (void)copy.error_is("NOSCRIPT");
      break;
    case REDIS_REPLY_ARRAY:
      FUZZ_CHECK(copy.is_array() && copy.size() == r->elements);
      for (size_t i = 0; i < r->elements; ++i) same_reply(r->element[i], copy[i]);
      break;
    default:
      break;
  }
}

// The same bytes through a second reader with RedisReply::reader_functions
// (the one-pass build the command connections use), fed in pieces of
// `step`: each reply must equal copy_of's, and both readers must agree on
// where the stream fails.
void resp_replies(std::string_view bytes, size_t step) {
  using Reader = std::unique_ptr<redisReader, void (*)(redisReader*)>;
  Reader reader(redisReaderCreate(), redisReaderFree);
  Reader one_pass(redisReaderCreateWithFunctions(RedisReply::reader_functions()), redisReaderFree);
  if (!reader || !one_pass || redisReaderFeed(reader.get(), bytes.data(), bytes.size()) != REDIS_OK)
    return;
  size_t fed = 0;
  for (int n = 0; n < 64; ++n) {
    void* raw = nullptr;
    const bool ok = redisReaderGetReply(reader.get(), &raw) == REDIS_OK;
    std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                       freeReplyObject);
    // The one-pass reader, fed a piece at a time until it has a reply or
    // has seen every byte.
    void* mine = nullptr;
    bool mine_ok = true;
    for (;;) {
      mine_ok = redisReaderGetReply(one_pass.get(), &mine) == REDIS_OK;
      if (!mine_ok || mine || fed == bytes.size()) break;
      const size_t piece = std::min(step, bytes.size() - fed);
      FUZZ_CHECK(redisReaderFeed(one_pass.get(), bytes.data() + fed, piece) == REDIS_OK);
      fed += piece;
    }
    std::unique_ptr<RedisReply> built(static_cast<RedisReply*>(mine));
    FUZZ_CHECK(ok == mine_ok);
    FUZZ_CHECK((reply != nullptr) == (built != nullptr));
    if (!ok || !reply) return;
    const RedisReply copy = RedisReply::copy_of(reply.get());
    same_reply(reply.get(), copy);
    FUZZ_CHECK(copy == *built);
  }
}

void built_round_trip(Input& in) {
  Event e;
  e.seq = in.u64();
  e.prev_public_seq = in.u64();
  e.ts = static_cast<Millis>(in.u64());
  e.messages_all = in.u64();
  e.messages_public = in.u64();
  e.type = in.bytes(16);
  e.dialog_id = in.bytes(8);
  e.from_user = in.bytes(16);
  e.from_role = in.bytes(8);
  e.visibility = in.flag() ? Visibility::agents : Visibility::all;
  e.client_message_id = in.bytes(16);
  e.body = in.bytes(64);
  auto back = decode_event(encode_event(e));
  FUZZ_CHECK(back && dump(*back) == dump(e));

  Member m;
  m.user_id = in.bytes(16);
  m.name = in.bytes(24);
  m.role = static_cast<ParticipantRole>(in.below(6));
  m.state = static_cast<MemberState>(in.below(4));
  m.joined_at = static_cast<Millis>(in.u64());
  m.left_at = static_cast<Millis>(in.u64());
  m.last_read_seq = in.u64();
  m.last_accept_seq = in.u64();
  m.read_messages_all = in.u64();
  m.read_messages_public = in.u64();
  m.archived = in.flag();
  m.draft_at = in.flag() ? static_cast<Millis>(in.u64()) : 0;
  m.draft = in.bytes(24);
  const size_t ordinal = in.below(1 << 16);
  auto mb = decode_member(m.user_id, encode_member(m, ordinal));
  FUZZ_CHECK(mb && mb->second == ordinal && dump(mb->first) == dump(m));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  switch (in.byte() % 7) {
    case 0:
      event_round_trip(in.rest());
      break;
    case 1: {
      const std::string user = in.bytes(8);
      member_round_trip(user, in.rest());
      break;
    }
    case 2:
      rec_round_trip(in.rest());
      break;
    case 3:
      message_round_trip(in.rest());
      break;
    case 4:
      record_round_trip(in);
      break;
    case 5: {
      const size_t step = 1 + in.below(16);  // the one-pass reader's feed size
      resp_replies(in.rest(), step);
      break;
    }
    default:
      built_round_trip(in);
      break;
  }
  return 0;
}
