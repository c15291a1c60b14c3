// Contract cases for what the contact-centre model asks of an engine
// (conversation_store.hpp, contract 7 and 8): append labels each event with the
// sender's seat and the dialog in progress and tracks the consumer's last
// message; a record's workflow fields (TTR, CSAT, notes, former consumers,
// dialogs, INVITED and SUGGESTED members) come back as they were written.
// Part of engine_contract.hpp, run against every engine.
#pragma once

#include "engine_contract_support.hpp"

namespace parley::contract {

template <class F>
void append_labels_seat_and_dialog() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-labels"};
  REQUIRE(h.create(k).ok());
  // The drafts claim another seat and dialog: the engine knows better.
  AppendRequest from_consumer = message("c1", "hi");
  from_consumer.event.from_role = "MANAGER";
  from_consumer.event.dialog_id = "ELSEWHERE";
  auto c1 = h.append(k, from_consumer);
  REQUIRE(c1.ok());
  REQUIRE(c1->events.size() == 1);
  CHECK(c1->events[0]->from_role == "CONSUMER");
  CHECK(c1->events[0]->dialog_id == "MAIN");
  CHECK(c1->record.last_consumer_message_at == c1->ts);
  auto a1 = h.append(k, message("a1", "hello"));
  REQUIRE(a1.ok());
  CHECK(a1->events[0]->from_role == "ASSIGNED_AGENT");
  // An agent's message does not move the consumer's TTR base.
  CHECK(a1->record.last_consumer_message_at == c1->ts);
  auto r1 = h.append(k, message("r1", "custom", {}, "custom"));  // any seat: mask 0
  REQUIRE(r1.ok());
  CHECK(r1->events[0]->from_role == "READER");

  // MAIN closes into the post-survey: what is sent now belongs to it.
  auto survey = h.update(k, [](const Conversation& cur, const Event*) -> Result<Decision> {
    Decision d = keep(cur, {draft("dialog.opened", "", R"({"dialogId":"POST_SURVEY"})")});
    d.next.dialogs = {Dialog{"MAIN", "MAIN", false, 1, 5, {}}};
    d.next.dialogs.push_back(Dialog{"POST_SURVEY", "POST_SURVEY", true, 5, 0, {}});
    return d;
  });
  REQUIRE(survey.ok());
  CHECK(survey->record.last_consumer_message_at == c1->ts);  // engine-owned: kept
  auto answer = h.append(k, message("c1", "5 stars"));
  REQUIRE(answer.ok());
  CHECK(answer->events[0]->dialog_id == "POST_SURVEY");

  // Stored and delivered with the same labels.
  const uint64_t last = answer->seq;
  REQUIRE(h.sink.wait_for(k, last));
  auto delivered = h.sink.events(k);
  REQUIRE(delivered.size() == last);
  CHECK(delivered[2]->from_role == "CONSUMER");
  CHECK(delivered[last - 1]->dialog_id == "POST_SURVEY");
  auto page = h.read(k);
  REQUIRE(page.ok());
  REQUIRE(page->events.size() == last);
  CHECK(page->events[2]->from_role == "CONSUMER");
  CHECK(page->events[3]->from_role == "ASSIGNED_AGENT");
  CHECK(page->events[2]->dialog_id == "MAIN");
  CHECK(page->events[last - 1]->dialog_id == "POST_SURVEY");
  auto g = h.get(k);
  REQUIRE(g.ok());
  CHECK(g->last_consumer_message_at == answer->ts);
}

template <class F>
void workflow_fields_round_trip() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-workflow"};
  REQUIRE(h.create(k).ok());
  auto c = h.update(k, [](const Conversation& cur, const Event*) -> Result<Decision> {
    Decision d = keep(cur, {draft("state.changed", "", R"({"from":"OPEN","to":"CLOSE"})")});
    Conversation& n = d.next;
    n.state = ConvState::close;
    n.status = "resolved";
    n.group_id = "vip";
    n.skill_id = "sales";
    n.post_survey = true;
    n.ttr_type = "CUSTOM";
    n.ttr_value = 90;
    n.ttr_manual = 1'700'000'000'123;
    n.csat = Csat{4, true, "PARTIALLY_FILLED", 1'700'000'000'456};
    n.notes_bytes = 321;
    n.notes_count = 3;
    n.former_consumers = {"x1", "o\"dd|name"};
    n.dialogs = {Dialog{"MAIN", "MAIN", false, 1, 10, "solved"}};
    n.dialogs.push_back(Dialog{"POST_SURVEY", "POST_SURVEY", false, 10, 20, {}});
    Member invited = member("i1", ParticipantRole::reader, MemberState::invited);
    Member suggested = member("s1", ParticipantRole::assigned_agent, MemberState::suggested);
    n.members.push_back(invited);
    n.members.push_back(suggested);
    return d;
  });
  REQUIRE(c.ok());
  auto g = h.get(k);
  REQUIRE(g.ok());
  const Conversation& r = *g;
  CHECK(r.state == ConvState::close);
  CHECK(r.status == "resolved");
  CHECK(r.group_id == std::optional<std::string>("vip"));
  CHECK(r.post_survey);
  CHECK(r.ttr_type == "CUSTOM");
  CHECK(r.ttr_value == std::optional<int64_t>(90));
  CHECK(r.ttr_manual == 1'700'000'000'123);
  REQUIRE(r.csat);
  CHECK(*r.csat == Csat{4, true, "PARTIALLY_FILLED", 1'700'000'000'456});
  CHECK(r.notes_bytes == 321);
  CHECK(r.notes_count == 3);
  CHECK(r.former_consumers == std::vector<std::string>{"x1", "o\"dd|name"});
  REQUIRE(r.dialogs.size() == 2);
  CHECK(r.dialogs[0].closed_cause == "solved");
  CHECK(r.dialogs[1].dialog_id == "POST_SURVEY");
  CHECK(r.dialogs[1].closed_at == 20);
  CHECK(r.closed_at() == 20);
  REQUIRE(r.member("i1"));
  CHECK(r.member("i1")->state == MemberState::invited);
  CHECK(r.member("i1")->role == ParticipantRole::reader);
  REQUIRE(r.member("s1"));
  CHECK(r.member("s1")->state == MemberState::suggested);
  CHECK(r.members.back().user_id == "s1");  // order kept

  // Unset again: the defaults come back.
  REQUIRE(h.update(k, [](const Conversation& cur, const Event*) -> Result<Decision> {
             Decision d = keep(cur);
             d.next.ttr_type = "NORMAL";
             d.next.ttr_value.reset();
             d.next.ttr_manual = 0;
             d.next.csat.reset();
             d.next.former_consumers.clear();
             d.next.group_id.reset();
             return d;
           }).ok());
  auto again = h.get(k);
  REQUIRE(again.ok());
  CHECK(again->ttr_type == "NORMAL");
  CHECK_FALSE(again->ttr_value);
  CHECK(again->ttr_manual == 0);
  CHECK_FALSE(again->csat);
  CHECK(again->former_consumers.empty());
  CHECK_FALSE(again->group_id);
}

}  // namespace parley::contract
