//! What the caller has heard of each assistant item, sans-I/O.
//!
//! The model generates audio faster than the caller hears it. For every
//! assistant item [`Playout`] keeps four positions, in µs of audio:
//!
//! ```text
//!  0 ───── heard ──── sent ──── queued ──── generated
//!          (marks +   (frames    (framed,     (deltas received
//!           time since) handed    waiting to   for the item)
//!                      to the     be paced)
//!                      caller)
//! ```
//!
//! *heard* is the last position the caller's side confirmed with a mark
//! echo, plus the time since that echo, never more than was sent and never
//! more than was generated (the service refuses a truncation beyond the
//! generated audio). Before any echo it is the time since the item's first
//! frame was sent. On barge-in, every item with audio the caller has not
//! heard is cut at its heard position ([`Playout::barge_in`]).
//!
//! Time is an argument (µs since the call started); nothing here reads a
//! clock.

use std::collections::VecDeque;

/// Positions closer than this count as equal: resampling to the caller's
/// rate rounds each item's length by a few samples.
const SLACK_US: u64 = 1_000;

/// A mark's name: the item and the audio position after the frames before
/// the mark.
pub(crate) fn mark_name(item_id: &str, end_ms: u64) -> String {
    format!("rt:{item_id}:{end_ms}")
}

/// The item and position of a mark named by [`mark_name`].
pub(crate) fn parse_mark(name: &str) -> Option<(&str, u64)> {
    let rest = name.strip_prefix("rt:")?;
    let (item, ms) = rest.rsplit_once(':')?;
    Some((item, ms.parse().ok()?))
}

/// One assistant item's audio on its way to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemPlayout {
    /// The item (what `conversation.item.truncate` names).
    pub(crate) item_id: String,
    /// The response it belongs to.
    pub(crate) response_id: String,
    /// Play order; the writer's frames carry it.
    pub(crate) seq: u64,
    /// Audio received and played out (not counting deltas that arrived
    /// after the item was cut).
    pub(crate) generated_us: u64,
    /// Everything received, stale deltas included (the transcript covers it).
    pub(crate) total_us: u64,
    /// Framed and handed to the paced writer.
    pub(crate) queued_us: u64,
    /// Handed to the caller's transport.
    pub(crate) sent_us: u64,
    /// When the first frame was sent.
    pub(crate) first_sent_at_us: Option<u64>,
    /// When the last frame was sent.
    pub(crate) last_sent_at_us: Option<u64>,
    /// The last mark echoed: (audio position, when).
    pub(crate) mark: Option<(u64, u64)>,
    /// The position of the last mark sent.
    pub(crate) mark_sent_us: u64,
    /// Where the item was cut on barge-in.
    pub(crate) truncated_us: Option<u64>,
    /// No more audio will come for it.
    pub(crate) audio_done: bool,
    /// When its first delta arrived.
    pub(crate) created_at_us: u64,
}

impl ItemPlayout {
    /// What the caller has heard by `now_us`.
    pub(crate) fn heard_us(&self, now_us: u64) -> u64 {
        let estimate = match (self.mark, self.first_sent_at_us) {
            (Some((position, at)), _) => position.saturating_add(now_us.saturating_sub(at)),
            (None, Some(first)) => now_us.saturating_sub(first),
            (None, None) => 0,
        };
        estimate.min(self.sent_us).min(self.generated_us)
    }

    /// Everything generated has been sent and, going by the marks (or,
    /// without an echo, by `grace_us` since the last frame), heard.
    pub(crate) fn fully_played(&self, now_us: u64, grace_us: u64) -> bool {
        if !self.audio_done
            || self.sent_us < self.queued_us
            || self.queued_us.saturating_add(SLACK_US) < self.generated_us
        {
            return false;
        }
        let echoed = self
            .mark
            .is_some_and(|(position, _)| position.saturating_add(SLACK_US) >= self.sent_us);
        echoed
            || self
                .last_sent_at_us
                .is_none_or(|last| now_us >= last.saturating_add(grace_us))
    }
}

/// A cut to send as `conversation.item.truncate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cut {
    /// The assistant item.
    pub(crate) item_id: String,
    /// Audio kept, in whole ms (≤ the audio generated for the item).
    pub(crate) audio_end_ms: u64,
    /// The item's play order.
    pub(crate) seq: u64,
}

/// Every assistant item still playing or not yet recorded, in play order.
#[derive(Debug, Default)]
pub(crate) struct Playout {
    items: VecDeque<ItemPlayout>,
    next_seq: u64,
}

impl Playout {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The item, creating it (next in play order) on its first delta.
    pub(crate) fn item_or_insert(
        &mut self,
        item_id: &str,
        response_id: &str,
        now_us: u64,
    ) -> &mut ItemPlayout {
        let position = match self.items.iter().position(|i| i.item_id == item_id) {
            Some(p) => p,
            None => {
                self.next_seq += 1;
                self.items.push_back(ItemPlayout {
                    item_id: item_id.to_owned(),
                    response_id: response_id.to_owned(),
                    seq: self.next_seq,
                    generated_us: 0,
                    total_us: 0,
                    queued_us: 0,
                    sent_us: 0,
                    first_sent_at_us: None,
                    last_sent_at_us: None,
                    mark: None,
                    mark_sent_us: 0,
                    truncated_us: None,
                    audio_done: false,
                    created_at_us: now_us,
                });
                self.items.len() - 1
            }
        };
        &mut self.items[position]
    }

    pub(crate) fn item(&self, item_id: &str) -> Option<&ItemPlayout> {
        self.items.iter().find(|i| i.item_id == item_id)
    }

    pub(crate) fn item_mut(&mut self, item_id: &str) -> Option<&mut ItemPlayout> {
        self.items.iter_mut().find(|i| i.item_id == item_id)
    }

    pub(crate) fn items(&self) -> impl Iterator<Item = &ItemPlayout> {
        self.items.iter()
    }

    /// Whether the item was cut (its later deltas are stale).
    pub(crate) fn is_truncated(&self, item_id: &str) -> bool {
        self.item(item_id).is_some_and(|i| i.truncated_us.is_some())
    }

    /// The writer sent the item's audio up to `end_us` at `at_us`.
    pub(crate) fn on_sent(&mut self, seq: u64, end_us: u64, at_us: u64) {
        if let Some(item) = self.items.iter_mut().find(|i| i.seq == seq) {
            item.sent_us = item.sent_us.max(end_us);
            item.first_sent_at_us.get_or_insert(at_us);
            item.last_sent_at_us = Some(at_us);
        }
    }

    /// The caller's side echoed a mark at `now_us`.
    pub(crate) fn on_mark(&mut self, item_id: &str, end_ms: u64, now_us: u64) {
        let Some(item) = self.item_mut(item_id) else {
            return;
        };
        // Echoes of a cut item are the transport returning marks it dropped
        // on clear (Twilio does); they say nothing about what was heard.
        if item.truncated_us.is_some() {
            return;
        }
        let position = (end_ms.saturating_mul(1_000)).min(item.sent_us);
        if item.mark.is_none_or(|(known, _)| position >= known) {
            item.mark = Some((position, now_us));
        }
    }

    /// The caller barged in at `now_us`: cuts every item with audio not yet
    /// heard at what was heard, and marks them cut. Returns the cuts in
    /// play order.
    pub(crate) fn barge_in(&mut self, now_us: u64) -> Vec<Cut> {
        let mut cuts = Vec::new();
        for item in &mut self.items {
            if item.truncated_us.is_some() || item.generated_us == 0 {
                continue;
            }
            let heard = item.heard_us(now_us);
            if item.audio_done && heard.saturating_add(SLACK_US) >= item.generated_us {
                continue;
            }
            item.truncated_us = Some(heard);
            cuts.push(Cut {
                item_id: item.item_id.clone(),
                audio_end_ms: heard / 1_000,
                seq: item.seq,
            });
        }
        cuts
    }

    /// Every item was cut or has played to the end.
    pub(crate) fn all_played(&self, now_us: u64, grace_us: u64) -> bool {
        self.items
            .iter()
            .all(|i| i.truncated_us.is_some() || i.fully_played(now_us, grace_us))
    }

    /// Removes and returns the item.
    pub(crate) fn remove(&mut self, item_id: &str) -> Option<ItemPlayout> {
        let position = self.items.iter().position(|i| i.item_id == item_id)?;
        self.items.remove(position)
    }

    /// The highest play order handed out so far.
    pub(crate) fn last_seq(&self) -> u64 {
        self.next_seq
    }
}

/// The start of `transcript` the caller heard: `heard_us / total_us` of its
/// characters, cut back to the last whole word.
pub(crate) fn heard_text(transcript: &str, heard_us: u64, total_us: u64) -> String {
    let transcript = transcript.trim();
    if total_us == 0 || heard_us >= total_us {
        return transcript.to_owned();
    }
    let chars: Vec<char> = transcript.chars().collect();
    let share = u128::from(heard_us) * chars.len() as u128 / u128::from(total_us);
    let n = usize::try_from(share)
        .unwrap_or(chars.len())
        .min(chars.len());
    let mut heard: String = chars[..n].iter().collect();
    // A word cut in the middle was not heard whole.
    let cut_mid_word = n > 0 && n < chars.len() && !chars[n].is_whitespace();
    if cut_mid_word && !chars[n - 1].is_whitespace() {
        match heard.rfind(char::is_whitespace) {
            Some(space) => heard.truncate(space),
            None => heard.clear(),
        }
    }
    heard.trim_end().to_owned()
}
