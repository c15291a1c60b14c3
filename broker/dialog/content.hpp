// The message kinds, notes, CSAT and TTR (PROTOCOL §5 "Messages",
// "Contact-centre workflow"). Pure functions with the order of checks of
// workflow.hpp ("agent side writer" is defined there).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "limits.hpp"
#include "model.hpp"
#include "params.hpp"
#include "write.hpp"

namespace parley::rules {

// The hot path's appends, each built the same way: the event to append and
// the preconditions the engine checks atomically (the sender ACTIVE in an
// allowed seat, the conversation OPEN).
// sendMessage: message {"text","metadata"?,"quickReplies"?,"mentions"?},
// from every seat but READER.
AppendRequest send_message(const Identity& who, const params::SendMessage& p);
// sendPrivateMessage: message.private {"text","metadata"?,"mentions"?},
// agents-only, from ASSIGNED_AGENT, AGENT, MANAGER or BOT seats.
AppendRequest send_private_message(const Identity& who, const params::SendMessage& p);
// sendRichContent: message.rich {"content","metadata"?,"quickReplies"?}.
AppendRequest send_rich_content(const Identity& who, const params::SendRichContent& p);
// sendFile: message.file {"url","name","mimeType"?,"size"?,"caption"?}.
AppendRequest send_file(const Identity& who, const params::SendFile& p);
// sendEvent: custom {"name","data"}; with visibility "agents" only the
// agent-side seats may send it. Not a message: no read horizon moves.
AppendRequest send_event(const Identity& who, const params::SendEvent& p);

// A note's text as stored: at most `max_chars` code points.
struct NoteText {
  std::string text;
  bool truncated = false;
};
NoteText clip_note(std::string_view text, size_t max_chars);

// setNote: agent side writers; not LOCKED (409). Over limits.note_chars:
// truncated, or 413 {"field":"text"} with truncate false. More than
// limits.notes_bytes of note text in the conversation: 409 "no room left to
// add agent note". note.added {"noteId","agentId","name","text",
// "isAutoSummary","truncated"} (agents).
Result<Decision> set_note(const Conversation& c, const Identity& who, const params::SetNote& p,
                          std::string note_id, Millis now, const Limits& limits);
// listNotes: agent-side accounts and agent-side members, READER included
// (403 agent).
Status may_read_notes(const Conversation& c, const Identity& who);
// setCsat: the conversation's ACTIVE consumer (403 consumer). The same
// answer: noop. LOCKED: 409; OPEN outside the post-survey: 409. csat.set
// {"csatRate","csatResolutionConfirmation","csatStatus"}; in the
// post-survey a FILLED or SKIPPED answer ends it (close as above).
Result<Decision> set_csat(const Conversation& c, const Identity& who, const params::SetCsat& p,
                          Millis now);
// setTtr: agent side writers, and the ACTIVE consumer for NORMAL and URGENT
// (403 agent for the others). The same type and value: noop. OPEN only.
// ttr.changed {"ttrType","ttrValue","ttrEffective"} (all; ttrEffective is
// the type's deadline, without the agent side's manual ETTR).
Result<Decision> set_ttr(const Conversation& c, const Identity& who, const params::SetTtr& p,
                         Millis now, const TtrSeconds& ttr);
// setManualEttr: agent side writers; null clears. The same: noop. OPEN only.
// ettr.changed {"ttrEffectiveManual","ttrEffective"} (agents).
Result<Decision> set_manual_ettr(const Conversation& c, const Identity& who,
                                 std::optional<Millis> time, Millis now, const TtrSeconds& ttr);

}  // namespace parley::rules
