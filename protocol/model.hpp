// The domain model: conversations, members, dialogs and log events, as the
// engines store them and the rules reason about them. Plain values, no I/O.
//
// Serialized JSON that the broker never inspects (metadata, event bodies) is
// kept as text and spliced into output verbatim.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

using Millis = int64_t;  // milliseconds since the Unix epoch, server clock

// Account role, from the token's `role` claim.
enum class AccountRole : uint8_t { consumer, agent, manager, bot, admin };
// Participant role inside one conversation.
enum class ParticipantRole : uint8_t { consumer, assigned_agent, agent, manager, reader, bot };
enum class MemberState : uint8_t { invited, suggested, active, left };
enum class ConvState : uint8_t { open, close, locked };
enum class Visibility : uint8_t { all, agents };
// Which serialization of an event a receiver gets.
enum class Audience : uint8_t { agents, consumers };

std::string_view to_string(AccountRole r);        // "consumer", ...
std::string_view to_string(ParticipantRole r);    // "CONSUMER", ...
std::string_view to_string(MemberState s);        // "ACTIVE", ...
std::string_view to_string(ConvState s);          // "OPEN", "CLOSE", "LOCKED"
std::string_view to_string(Visibility v);         // "all", "agents"
std::optional<AccountRole> account_role_from(std::string_view s);
std::optional<ParticipantRole> participant_role_from(std::string_view s);
std::optional<ConvState> conv_state_from(std::string_view s);

// Who is calling: built from the token at authentication.
struct Identity {
  std::string tenant = "default";
  std::string user_id;
  std::string name;
  AccountRole role = AccountRole::consumer;
  std::vector<std::string> skills;
  std::string prev;      // token claim `prev` (consumerTakeover)
  Millis expires_at = 0; // 0 = no expiry
};

// Agent side by account role (PROTOCOL §3).
bool is_agent_side(AccountRole r);
// Agent side by participant role.
bool is_agent_side(ParticipantRole r);
// The default participant role a caller joins with.
ParticipantRole default_participant_role(AccountRole r);

struct Member {
  std::string user_id;
  std::string name;
  ParticipantRole role = ParticipantRole::consumer;
  MemberState state = MemberState::active;
  Millis joined_at = 0;
  Millis left_at = 0;
  uint64_t last_read_seq = 0;
  uint64_t last_accept_seq = 0;
  // Message counters (see Conversation) as of last_read_seq: unread is the
  // conversation's counter minus these.
  uint64_t read_messages_all = 0;
  uint64_t read_messages_public = 0;
  // The member's own state (archiveConversation, saveDraft): never in an
  // event, and changing it does not move the conversation's updated_at.
  bool archived = false;
  std::string draft{}; // "" = none (the initializer keeps aggregate inits warning-free)
  Millis draft_at = 0; // when the draft was last saved; 0 = never
};

struct Dialog {
  std::string dialog_id;  // "MAIN", "POST_SURVEY"
  std::string type;       // "MAIN", "POST_SURVEY"
  bool open = true;
  Millis opened_at = 0;
  Millis closed_at = 0;
  std::string closed_cause;
};

// The consumer's satisfaction survey answer (setCsat).
struct Csat {
  int rate = 0;                          // 1..5
  bool resolution_confirmation = false;  // the consumer says the issue was resolved
  std::string status = "FILLED";         // FILLED | SKIPPED | PARTIALLY_FILLED
  Millis set_at = 0;
  bool operator==(const Csat&) const = default;
};

// Seconds of each TTR type but CUSTOM (configurable, PROTOCOL §5 setTtr).
struct TtrSeconds {
  int64_t normal = 3600;
  int64_t prioritized = 600;
  int64_t urgent = 300;
  // The seconds of `type`; CUSTOM (or an unknown type) takes `custom`.
  int64_t of(std::string_view type, std::optional<int64_t> custom) const;
};

struct LastMessage {
  uint64_t seq = 0;  // 0 = none yet
  std::string from;
  std::string text;  // first 200 code points
  Millis ts = 0;
};

struct Conversation {
  std::string tenant;
  std::string id;
  std::optional<std::string> name, display_name, image_url, external_id, campaign_id, skill_id,
      group_id;
  std::string channel = "web";
  std::string metadata = "{}";  // serialized JSON object
  ConvState state = ConvState::open;
  std::string status = "open";  // open | pending | snoozed | resolved
  std::vector<Dialog> dialogs;
  std::vector<Member> members;  // every member ever, LEFT ones included
  std::string epoch;            // changes only when the log was lost
  uint64_t last_seq = 0;        // highest seq appended
  uint64_t last_public_seq = 0; // highest seq with visibility "all"
  // Running counts of message events (message, message.private, message.rich,
  // message.file): all of them, and those visible to consumers.
  uint64_t messages_all = 0;
  uint64_t messages_public = 0;
  LastMessage last_message;     // last consumer-visible message
  Millis created_at = 0;
  Millis updated_at = 0;
  Millis last_message_at = 0;
  std::optional<int64_t> ttl;   // seconds; a conversation with no message is deleted after it
  bool post_survey = false;
  uint64_t version = 0;         // bumped on every committed change

  // Contact-centre fields (PROTOCOL §5 "Contact-centre workflow").
  std::string ttr_type = "NORMAL";   // NORMAL | URGENT | PRIORITIZED | CUSTOM
  std::optional<int64_t> ttr_value;  // seconds, CUSTOM only
  Millis ttr_manual = 0;             // setManualEttr; 0 = none
  std::optional<Csat> csat;
  uint64_t notes_bytes = 0;  // bytes of every note's text (limits.notes_bytes)
  uint64_t notes_count = 0;
  // Users that handed the CONSUMER seat over (consumerTakeover): their LEFT
  // entries no longer hold the seat.
  std::vector<std::string> former_consumers;
  // Engine-owned: when the consumer's seat last sent a message (0 = never);
  // TTR counts from it.
  Millis last_consumer_message_at = 0;

  const Member* member(std::string_view user_id) const;
  Member* member(std::string_view user_id);
  // The member if it is ACTIVE, else null.
  const Member* active_member(std::string_view user_id) const;
  const Member* consumer() const;        // active CONSUMER, if any
  const Member* assigned_agent() const;  // active ASSIGNED_AGENT, if any
  size_t active_members() const;
  // The dialog events are filed under: the open one (the last open one if
  // several), else the last one, else "MAIN".
  const std::string& current_dialog_id() const;
  // The open dialog, if any.
  const Dialog* open_dialog() const;
  // When the conversation last became CLOSE: the latest dialog close time.
  Millis closed_at() const;
  // The TTR type's deadline: the consumer's last message (or the creation,
  // before any) plus the type's seconds.
  Millis ttr_deadline(const TtrSeconds& s) const;
  // ttrEffective: the manual ETTR when set, else ttr_deadline.
  Millis ttr_effective(const TtrSeconds& s) const;
};

// What the state machine asks to append; the engine fills in the rest.
struct EventDraft {
  std::string type;  // "message", "member.joined", ...
  std::string dialog_id = "MAIN";
  std::string from_user;  // empty for system events
  std::string from_role;  // participant role name, or "SYSTEM"
  Visibility visibility = Visibility::all;
  std::string client_message_id;  // empty when none
  std::string body = "{}";        // serialized JSON object
};

// True for the event types that count as messages (unread, lastMessage).
bool is_message_type(std::string_view type);

// One entry of a conversation's log, as stored.
struct Event : EventDraft {
  uint64_t seq = 0;
  uint64_t prev_public_seq = 0;  // highest "all" seq before this one (consumer prevSeq)
  Millis ts = 0;
  uint64_t messages_all = 0;     // the conversation's counters including this event
  uint64_t messages_public = 0;

  // prevSeq as the given audience sees it.
  uint64_t prev_seq(Audience a) const { return a == Audience::agents ? seq - 1 : prev_public_seq; }
  bool visible_to(Audience a) const { return a == Audience::agents || visibility == Visibility::all; }
};

// Audience of a reader in a conversation: agent side by account role or by
// participant role.
Audience audience_of(const Identity& who, const Conversation* conv);

// Counts Unicode code points in valid UTF-8 (the unit of every text limit).
size_t code_points(std::string_view utf8);
// The first n code points of s.
std::string_view first_code_points(std::string_view utf8, size_t n);

// The string value of the first of `fields` that the JSON object `body` (an
// event body) has; "" when it has none of them, when that value is not a
// string, or when the body is not a JSON object.
std::string body_string(std::string_view body, std::initializer_list<std::string_view> fields);

}  // namespace parley
