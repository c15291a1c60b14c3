// The chaos run's checker: given, for one conversation, its final log as read
// from every node, every send that was attempted (and what its promise said),
// and every event stream the subscribers saw, it lists what breaks the
// broker's promises. Pure: no I/O, so checker.test.mjs can feed it made-up
// histories.
//
// Streams are flat arrays [seq, prevSeq, fp, seq, prevSeq, fp, …]; fp is
// fingerprint(event), which stands for the event's content (epoch, type,
// sender, clientMessageId, text) in 30 bits, so long runs keep little memory.
//
// A conversation's history:
// {
//   id,
//   logs: {nodeName: Event[] | {error: string}},     final log from each node
//   sends: [{userId, clientMessageId, text, acked: null | {seq, epoch, duplicate}}],
//   appStreams: [{name, segments: [{kind: 'live'|'reread', data}], ended?}],
//        what a subscriber's application saw, in order: the SDK subscription's
//        events from sinceSeq 0, and after each reset the range it re-read
//   socketStreams: [{name, start, reason, data}],
//        what one socket received for the conversation after one subscribe
//        answer (or subscriptionReset): start is the first seq due
//   orphanEvents?: events that came on a socket before any subscribe answer
// }

/** 30-bit FNV-1a of a string (a small integer: cheap to keep in arrays). */
export function hash30(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x3fffffff;
}

/** What the checker compares of an event seen in a stream with the stored one. */
export function fingerprint(ev) {
  return hash30([ev.epoch, ev.type, ev.from?.userId ?? '', ev.clientMessageId ?? '', ev.body?.text ?? ''].join('\u0001'));
}

/** Violation kinds, and the counters of the summary. */
export function newReport() {
  return {
    counts: {
      conversations: 0,
      events: 0,
      attempted: 0,
      acknowledged: 0,
      acknowledgedAsDuplicate: 0,
      unacknowledged: 0,
      unacknowledgedStored: 0,
      lost: 0,
      duplicated: 0,
      phantom: 0,
      ackMismatch: 0,
      nodeDivergence: 0,
      malformedLog: 0,
      streams: 0,
      streamEvents: 0,
      resets: 0,
      gaps: 0,
      streamDuplicates: 0,
      outOfOrder: 0,
      contentMismatch: 0,
      prevSeqMismatch: 0,
      behind: 0,
      ended: 0,
    },
    /** @type {{kind: string, conversationId: string, detail: string}[]} */
    violations: [],
    /** violations not listed (each kind lists at most 20 per conversation) */
    unlisted: 0,
  };
}

const MAX_LISTED = 20;

/** @param {ReturnType<typeof newReport>} report @param {any} conv */
export function checkConversation(report, conv) {
  const c = report.counts;
  const listed = new Map();
  const violation = (kind, detail) => {
    const n = listed.get(kind) || 0;
    listed.set(kind, n + 1);
    if (n < MAX_LISTED) report.violations.push({ kind, conversationId: conv.id, detail });
    else report.unlisted++;
  };
  c.conversations++;

  // 1. The log as each node returns it: dense from 1, one epoch; and the same on every node.
  let ref = null;
  let refNode = null;
  for (const [node, log] of Object.entries(conv.logs)) {
    if (!Array.isArray(log)) {
      c.malformedLog++;
      violation('log-unreadable', `${node}: ${log?.error}`);
      continue;
    }
    for (let i = 0; i < log.length; i++) {
      const e = log[i];
      if (e.seq !== i + 1 || e.epoch !== log[0].epoch || e.conversationId !== conv.id) {
        c.malformedLog++;
        violation('log-malformed', `${node}: entry ${i} is seq ${e.seq} epoch ${e.epoch} of ${e.conversationId}`);
        break;
      }
    }
    if (!ref) {
      ref = log;
      refNode = node;
      continue;
    }
    const n = Math.max(ref.length, log.length);
    for (let i = 0; i < n; i++) {
      const a = ref[i] && JSON.stringify(ref[i]);
      const b = log[i] && JSON.stringify(log[i]);
      if (a !== b) {
        c.nodeDivergence++;
        violation('node-divergence', `${refNode} and ${node} differ at entry ${i + 1} (${ref.length} vs ${log.length} entries): ${a} / ${b}`);
        break;
      }
    }
  }
  if (!ref) return report;
  c.events += ref.length;
  const lastSeq = ref.length;

  // 2. Sends against the log: each acknowledged one there once, at its seq; none twice; nothing unknown.
  const key = (userId, cmid) => userId + '\u0000' + cmid;
  /** @type {Map<string, any[]>} */
  const stored = new Map();
  for (const e of ref) {
    if (e.type !== 'message') continue;
    const k = key(e.from?.userId, e.clientMessageId);
    const list = stored.get(k);
    if (list) list.push(e);
    else stored.set(k, [e]);
  }
  const attempted = new Set();
  for (const s of conv.sends) {
    const k = key(s.userId, s.clientMessageId);
    attempted.add(k);
    c.attempted++;
    const found = stored.get(k) || [];
    const what = `${s.userId}/${s.clientMessageId} "${s.text}"`;
    if (found.length > 1) {
      c.duplicated += found.length - 1;
      violation('duplicated', `${what} stored ${found.length} times, at seq ${found.map((e) => e.seq).join(', ')}`);
    }
    for (const e of found)
      if (e.body?.text !== s.text) {
        c.ackMismatch++;
        violation('text-mismatch', `${what} stored at seq ${e.seq} with text "${e.body?.text}"`);
      }
    if (s.acked) {
      c.acknowledged++;
      if (s.acked.duplicate) c.acknowledgedAsDuplicate++;
      if (!found.length) {
        c.lost++;
        violation('lost', `${what} acknowledged with seq ${s.acked.seq} (epoch ${s.acked.epoch}) is not in the log`);
      } else if (found[0].seq !== s.acked.seq || found[0].epoch !== s.acked.epoch) {
        c.ackMismatch++;
        violation('ack-mismatch', `${what} acknowledged with seq ${s.acked.seq} epoch ${s.acked.epoch}, stored at seq ${found[0].seq} epoch ${found[0].epoch}`);
      }
    } else {
      c.unacknowledged++;
      if (found.length) c.unacknowledgedStored++;
    }
  }
  for (const [k, list] of stored)
    if (!attempted.has(k)) {
      c.phantom += list.length;
      violation('phantom', `seq ${list.map((e) => e.seq).join(', ')}: a message nobody sent (${k.replace('\u0000', '/')})`);
    }

  // 3. Streams against the log.
  const fps = new Array(lastSeq + 1);
  for (const e of ref) fps[e.seq] = fingerprint(e);
  /** Walks a stream that should hold start, start+1, … ; returns the last seq reached. */
  const walk = (name, data, start) => {
    c.streams++;
    let expected = start;
    const skipped = new Set();
    for (let i = 0; i + 2 < data.length; i += 3) {
      const seq = data[i];
      const prev = data[i + 1];
      const fp = data[i + 2];
      c.streamEvents++;
      if (seq === expected) expected++;
      else if (seq > expected) {
        c.gaps++;
        violation('stream-gap', `${name}: seq ${seq} came when ${expected} was due`);
        for (let s = expected; s < seq && skipped.size < 100000; s++) skipped.add(s);
        expected = seq + 1;
      } else if (skipped.delete(seq)) {
        c.outOfOrder++;
        violation('stream-out-of-order', `${name}: seq ${seq} came after ${expected - 1}`);
        continue;
      } else {
        c.streamDuplicates++;
        violation('stream-duplicate', `${name}: seq ${seq} again (after ${expected - 1})`);
        continue;
      }
      if (seq > lastSeq || fps[seq] !== fp) {
        c.contentMismatch++;
        violation('stream-content', `${name}: seq ${seq} is not the stored event (log ends at ${lastSeq})`);
      }
      if (prev !== seq - 1) {
        c.prevSeqMismatch++;
        violation('stream-prevseq', `${name}: seq ${seq} came with prevSeq ${prev}`);
      }
    }
    return { last: expected - 1, missing: skipped.size };
  };
  for (const st of conv.appStreams) {
    c.resets += st.segments.filter((s) => s.kind === 'reread').length;
    const all = st.segments.flatMap((s) => s.data);
    const { last, missing } = walk(`subscriber ${st.name}`, all, 1);
    if (st.ended) {
      c.ended++;
      violation('subscription-ended', `subscriber ${st.name}: the broker ended the subscription (${st.ended})`);
    }
    if (last < lastSeq) {
      c.behind++;
      violation('stream-behind', `subscriber ${st.name}: saw up to seq ${last} of ${lastSeq}`);
    }
    if (missing) violation('stream-lost', `subscriber ${st.name}: ${missing} events never came`);
  }
  if (conv.orphanEvents) {
    c.gaps += conv.orphanEvents;
    violation('event-before-subscribe', `${conv.orphanEvents} events came on a socket before its subscribe answer`);
  }
  for (const st of conv.socketStreams) walk(`socket ${st.name} from seq ${st.start} (${st.reason})`, st.data, st.start);
  return report;
}

/** The kinds of violation in a report, with how many of each were listed. */
export function violationKinds(report) {
  const out = {};
  for (const v of report.violations) out[v.kind] = (out[v.kind] || 0) + 1;
  return out;
}
