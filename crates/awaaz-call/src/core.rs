//! [`CallCore`]: the turn-taking and barge-in state machine of one call.
//!
//! It does no I/O and reads no clock: every `handle_*` takes `now_ms`, the
//! milliseconds since the call started, and the driver drains what to do next
//! with [`CallCore::poll_action`] and when to wake it with
//! [`CallCore::poll_timeout`].
//!
//! Polling order after any input (like quinn's `Connection`):
//! 1. [`CallCore::poll_action`] until `None`;
//! 2. [`CallCore::poll_timeout`], and call [`CallCore::handle_timeout`] when
//!    it passes.
//!
//! ```text
//!             speech started            turn ended + transcript
//!  Listening ───────────────▶ CallerSpeaking ────────────────▶ Thinking
//!      ▲                                                        │ reply ready, first audio played
//!      └──────────── bot turn played ◀──────── BotSpeaking ◀────┘
//!
//!  caller speech over Thinking/BotSpeaking: a backchannel ("haan", "hmm") is
//!  ignored; real speech cancels the bot turn (barge-in): Clear, history cut
//!  to what the caller heard, the agent turn stored as interrupted.
//! ```

use std::collections::VecDeque;

use awaaz_store::TurnLatency;

/// Identifies one bot turn (the greeting is turn 0).
pub type TurnId = u64;

/// Timing knobs of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreConfig {
    /// Caller speech over the bot for this long with no backchannel-only
    /// transcript is a barge-in, even before a partial transcript arrives.
    pub barge_in_confirm_ms: u64,
    /// The caller saying nothing for this long (while nobody speaks) ends the
    /// call as timed out.
    pub no_input_timeout_ms: u64,
    /// The agent not producing a reply within this long abandons the turn.
    pub reply_timeout_ms: u64,
    /// Keypad keys the call acts on (a key press interrupts the bot and is
    /// passed to the agent); others are ignored. `0` is "talk to a person".
    pub keys: &'static str,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            barge_in_confirm_ms: 900,
            no_input_timeout_ms: 30_000,
            reply_timeout_ms: 15_000,
            keys: "0",
        }
    }
}

/// Where the conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Nobody speaks; waiting for the caller.
    Listening,
    /// The caller is speaking.
    CallerSpeaking,
    /// The caller finished; transcript or reply are being prepared.
    Thinking,
    /// The bot's audio is playing.
    BotSpeaking,
    /// The call is over.
    Ended,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndStatus {
    /// The agent or the caller ended the conversation normally.
    Completed,
    /// The agent handed the caller to a person.
    Transferred,
    /// The caller stayed silent too long.
    TimedOut,
    /// The server shut down and drained the call.
    Shutdown,
    /// Something in the call failed.
    Failed,
}

impl EndStatus {
    /// The status string stored with the call.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Transferred => "transferred",
            Self::TimedOut => "timed_out",
            Self::Shutdown => "shutdown",
            Self::Failed => "failed",
        }
    }
}

/// A caller turn to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerTurnRecord {
    /// The final transcript (personal data).
    pub text: String,
    /// When the caller started speaking.
    pub speech_start_ms: u64,
    /// When the caller stopped speaking.
    pub speech_end_ms: u64,
    /// When the final transcript was ready.
    pub transcript_ready_ms: u64,
}

/// An agent turn to store, once it is over (played or interrupted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentTurnRecord {
    /// Which bot turn.
    pub turn: TurnId,
    /// What the caller heard (all of it unless interrupted).
    pub heard: String,
    /// The reply the agent meant to say, if it was ready.
    pub full_text: Option<String>,
    /// The caller cut it short (or the call ended under it).
    pub interrupted: bool,
    /// When the turn began (the request for a reply).
    pub started_ms: u64,
    /// When it ended.
    pub ended_ms: u64,
    /// Stage timings, milliseconds since the call started.
    pub latency: TurnLatency,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ask the agent for the opening line, spoken as bot turn `turn`.
    Greet {
        /// The bot turn.
        turn: TurnId,
    },
    /// Ask the agent to answer `text`, spoken as bot turn `turn`.
    Respond {
        /// The bot turn.
        turn: TurnId,
        /// The caller's words (personal data).
        text: String,
    },
    /// Pass a key press to the agent; its answer is spoken as bot turn `turn`.
    Keypress {
        /// The bot turn.
        turn: TurnId,
        /// The key (`0`–`9`, `*`, `#`).
        digit: char,
    },
    /// Stop preparing and playing bot turn `turn` (and everything before it).
    CancelBotTurn {
        /// The bot turn.
        turn: TurnId,
    },
    /// Hold the bot's outbound audio where it is: the caller started
    /// talking over it and it is not decided yet whether this is a barge-in
    /// or a backchannel. Nothing is dropped.
    PauseOutput,
    /// Carry on playing held audio: the overlap was a backchannel or noise.
    ResumeOutput,
    /// Tell the carrier to drop audio it has queued.
    Clear,
    /// Cut the agent's last message in its history to `heard`.
    TruncateHistory {
        /// What the caller heard.
        heard: String,
    },
    /// Store a caller turn.
    RecordCallerTurn(CallerTurnRecord),
    /// Store an agent turn.
    RecordAgentTurn(AgentTurnRecord),
    /// End the call.
    HangUp {
        /// Why.
        status: EndStatus,
    },
}

/// One synthesised clause of a bot turn and how much of it has played.
#[derive(Debug, Clone)]
struct Clause {
    text: String,
    total_samples: usize,
    played_samples: usize,
    acked: bool,
}

impl Clause {
    fn fully_heard(&self) -> bool {
        self.acked || self.played_samples >= self.total_samples
    }
}

#[derive(Debug, Clone)]
struct BotTurn {
    id: TurnId,
    started_ms: u64,
    text: Option<String>,
    ends_call: Option<EndStatus>,
    clauses: Vec<Clause>,
    latency: TurnLatency,
}

impl BotTurn {
    /// The words the caller has heard: whole clauses that played (or were
    /// acknowledged by a mark), then the share of the current clause's words
    /// matching the share of its samples that played.
    fn heard(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for clause in &self.clauses {
            if clause.fully_heard() {
                parts.push(clause.text.trim().to_owned());
                continue;
            }
            if clause.played_samples > 0 && clause.total_samples > 0 {
                let words: Vec<&str> = clause.text.split_whitespace().collect();
                let n = words.len() * clause.played_samples / clause.total_samples;
                if n > 0 {
                    parts.push(words[..n].join(" "));
                }
            }
            break;
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }

    fn audio_started(&self) -> bool {
        self.latency.first_audio_ms.is_some()
    }
}

/// One caller utterance between speech start and its transcript.
#[derive(Debug, Clone, Copy)]
struct Utterance {
    started_ms: u64,
    ended_ms: Option<u64>,
}

/// Caller speech over a bot turn, until it is judged a backchannel or a
/// barge-in.
#[derive(Debug, Clone, Copy, Default)]
struct Overlap {
    /// Sounding since (None while the caller pauses).
    voiced_since_ms: Option<u64>,
    /// Sounding time before the current stretch.
    voiced_ms: u64,
}

impl Overlap {
    fn started_at(now_ms: u64) -> Self {
        Self {
            voiced_since_ms: Some(now_ms),
            voiced_ms: 0,
        }
    }

    /// When the overlap has sounded for `confirm_ms`, if it is sounding.
    fn deadline(&self, confirm_ms: u64) -> Option<u64> {
        self.voiced_since_ms
            .map(|since| since + confirm_ms.saturating_sub(self.voiced_ms))
    }
}

/// The sans-I/O turn-taking and barge-in state machine. See the module docs.
#[derive(Debug)]
pub struct CallCore {
    config: CoreConfig,
    is_backchannel: fn(&str) -> bool,
    next_turn: TurnId,
    bot: Option<BotTurn>,
    /// Turns cancelled before their reply was ready: their reply still has
    /// to be stored (its tool calls ran) as an unheard, interrupted turn.
    cancelled_unreplied: Vec<(TurnId, u64, TurnLatency)>,
    /// The utterance in progress (speech started, turn not ended yet).
    speaking: Option<Utterance>,
    /// The caller talking over the current bot turn, undecided yet.
    overlap: Option<Overlap>,
    /// Outbound audio is held (a [`Action::PauseOutput`] is in force).
    paused: bool,
    /// Ended utterances waiting for their transcript, oldest first.
    awaiting_transcript: VecDeque<Utterance>,
    last_activity_ms: u64,
    ended: bool,
    actions: VecDeque<Action>,
}

/// The agent crate's backchannel check on a raw transcript.
pub fn is_backchannel(text: &str) -> bool {
    awaaz_agent::nlu::is_backchannel(&awaaz_agent::text::normalize(text))
}

impl CallCore {
    /// A call that has just been answered, at time 0. Call
    /// [`CallCore::start`] to greet.
    pub fn new(config: CoreConfig) -> Self {
        Self::with_backchannel_check(config, is_backchannel)
    }

    /// Like [`CallCore::new`] with another backchannel test (a different
    /// language pack).
    pub fn with_backchannel_check(config: CoreConfig, is_backchannel: fn(&str) -> bool) -> Self {
        Self {
            config,
            is_backchannel,
            next_turn: 0,
            bot: None,
            cancelled_unreplied: Vec::new(),
            speaking: None,
            overlap: None,
            paused: false,
            awaiting_transcript: VecDeque::new(),
            last_activity_ms: 0,
            ended: false,
            actions: VecDeque::new(),
        }
    }

    /// Where the conversation is now.
    pub fn phase(&self) -> Phase {
        if self.ended {
            return Phase::Ended;
        }
        match &self.bot {
            Some(bot) if bot.audio_started() => Phase::BotSpeaking,
            Some(_) => Phase::Thinking,
            None if self.speaking.is_some() => Phase::CallerSpeaking,
            None if !self.awaiting_transcript.is_empty() => Phase::Thinking,
            None => Phase::Listening,
        }
    }

    /// The bot turn in progress, if any.
    pub fn current_bot_turn(&self) -> Option<TurnId> {
        self.bot.as_ref().map(|b| b.id)
    }

    /// Starts the call: the bot greets first.
    pub fn start(&mut self, now_ms: u64) {
        let turn = self.new_bot_turn(now_ms, TurnLatency::default());
        self.actions.push_back(Action::Greet { turn });
    }

    fn new_bot_turn(&mut self, now_ms: u64, latency: TurnLatency) -> TurnId {
        let id = self.next_turn;
        self.next_turn += 1;
        self.bot = Some(BotTurn {
            id,
            started_ms: now_ms,
            text: None,
            ends_call: None,
            clauses: Vec::new(),
            latency,
        });
        self.last_activity_ms = now_ms;
        id
    }

    /// The voice activity detector heard the caller start speaking.
    pub fn handle_caller_speech_started(&mut self, now_ms: u64) {
        if self.ended {
            return;
        }
        self.last_activity_ms = now_ms;
        if self.speaking.is_none() {
            self.speaking = Some(Utterance {
                started_ms: now_ms,
                ended_ms: None,
            });
        }
        if self.bot.is_some() {
            let overlap = self.overlap.get_or_insert_with(Overlap::default);
            if overlap.voiced_since_ms.is_none() {
                overlap.voiced_since_ms = Some(now_ms);
            }
            // Stop talking at once; whether to drop the rest waits for the
            // transcript (a backchannel resumes it).
            self.pause_output();
        }
    }

    fn pause_output(&mut self) {
        if !self.paused {
            self.paused = true;
            self.actions.push_back(Action::PauseOutput);
        }
    }

    fn resume_output(&mut self) {
        if self.paused {
            self.paused = false;
            if self.bot.is_some() {
                self.actions.push_back(Action::ResumeOutput);
            }
        }
    }

    /// The caller paused (the turn may go on): the stretch of speech that
    /// counts towards a barge-in stops growing.
    pub fn handle_caller_speech_stopped(&mut self, at_ms: u64, now_ms: u64) {
        if self.ended {
            return;
        }
        self.last_activity_ms = now_ms;
        if let Some(overlap) = self.overlap.as_mut() {
            if let Some(since) = overlap.voiced_since_ms.take() {
                overlap.voiced_ms += at_ms.max(since) - since;
            }
        }
    }

    /// A partial transcript of the caller's current utterance.
    pub fn handle_caller_partial(&mut self, text: &str, now_ms: u64) {
        if self.ended {
            return;
        }
        self.last_activity_ms = now_ms;
        if self.overlap.is_some() && self.is_real_speech(text) {
            self.barge_in(now_ms);
        }
    }

    /// The caller pressed a key. Keys in [`CoreConfig::keys`] interrupt the
    /// bot, are stored as a caller turn (`[key 0]`) and go to the agent.
    pub fn handle_keypress(&mut self, digit: char, now_ms: u64) {
        if self.ended || !self.config.keys.contains(digit) {
            return;
        }
        self.last_activity_ms = now_ms;
        if self.bot.is_some() {
            self.barge_in(now_ms);
        }
        self.actions
            .push_back(Action::RecordCallerTurn(CallerTurnRecord {
                text: format!("[key {digit}]"),
                speech_start_ms: now_ms,
                speech_end_ms: now_ms,
                transcript_ready_ms: now_ms,
            }));
        let turn = self.new_bot_turn(now_ms, TurnLatency::default());
        self.actions.push_back(Action::Keypress { turn, digit });
    }

    /// The turn detector decided the caller finished; their speech ended at
    /// `speech_end_ms` (earlier than `now_ms` by the detector's hangover).
    pub fn handle_caller_turn_ended(&mut self, speech_end_ms: u64, now_ms: u64) {
        if self.ended {
            return;
        }
        self.last_activity_ms = now_ms;
        let mut utterance = self.speaking.take().unwrap_or(Utterance {
            started_ms: speech_end_ms,
            ended_ms: None,
        });
        utterance.ended_ms = Some(speech_end_ms.min(now_ms));
        self.awaiting_transcript.push_back(utterance);
    }

    /// The final transcript of the oldest ended utterance.
    pub fn handle_caller_transcript(&mut self, text: &str, now_ms: u64) {
        if self.ended {
            return;
        }
        self.last_activity_ms = now_ms;
        let utterance = self.awaiting_transcript.pop_front().unwrap_or(Utterance {
            started_ms: now_ms,
            ended_ms: Some(now_ms),
        });
        if self.speaking.is_none() {
            // The overlapping speech is over and decided one way or another.
            self.overlap = None;
        }
        let text = text.trim();
        if text.is_empty() || (self.bot.is_some() && (self.is_backchannel)(text)) {
            // Noise, or "haan", "hmm" over the bot: the caller is listening.
            if self.speaking.is_none() {
                self.resume_output();
            }
            return;
        }
        if self.bot.is_some() {
            self.barge_in(now_ms);
        }
        let speech_end_ms = utterance.ended_ms.unwrap_or(now_ms);
        self.actions
            .push_back(Action::RecordCallerTurn(CallerTurnRecord {
                text: text.to_owned(),
                speech_start_ms: utterance.started_ms,
                speech_end_ms,
                transcript_ready_ms: now_ms,
            }));
        let turn = self.new_bot_turn(
            now_ms,
            TurnLatency {
                speech_end_ms: Some(speech_end_ms),
                transcript_ready_ms: Some(now_ms),
                ..TurnLatency::default()
            },
        );
        if self.speaking.is_some() {
            // The caller already started another utterance: it overlaps the
            // new bot turn from its start.
            self.overlap = Some(Overlap::started_at(now_ms));
        }
        self.actions.push_back(Action::Respond {
            turn,
            text: text.to_owned(),
        });
        if self.speaking.is_some() {
            self.pause_output();
        }
    }

    /// The agent's reply for `turn` is ready; `ends_call` says whether the
    /// call ends after it is spoken.
    pub fn handle_reply_ready(
        &mut self,
        turn: TurnId,
        text: &str,
        ends_call: Option<EndStatus>,
        agent_us: u64,
        now_ms: u64,
    ) {
        if let Some(bot) = self.bot.as_mut().filter(|b| b.id == turn) {
            bot.text = Some(text.to_owned());
            bot.ends_call = ends_call;
            bot.latency.reply_ready_ms = Some(now_ms);
            bot.latency.agent_us = Some(agent_us);
            return;
        }
        if let Some(pos) = self
            .cancelled_unreplied
            .iter()
            .position(|(id, _, _)| *id == turn)
        {
            let (_, started_ms, mut latency) = self.cancelled_unreplied.remove(pos);
            latency.reply_ready_ms = Some(now_ms);
            latency.agent_us = Some(agent_us);
            self.actions
                .push_back(Action::RecordAgentTurn(AgentTurnRecord {
                    turn,
                    heard: String::new(),
                    full_text: Some(text.to_owned()),
                    interrupted: true,
                    started_ms,
                    ended_ms: now_ms,
                    latency,
                }));
        }
    }

    /// Clause `index` of `turn` is queued for playing: its text and length.
    pub fn handle_clause_queued(
        &mut self,
        turn: TurnId,
        index: usize,
        text: &str,
        total_samples: usize,
    ) {
        if let Some(bot) = self.bot.as_mut().filter(|b| b.id == turn) {
            if bot.clauses.len() <= index {
                bot.clauses.resize(
                    index + 1,
                    Clause {
                        text: String::new(),
                        total_samples: 0,
                        played_samples: 0,
                        acked: false,
                    },
                );
            }
            bot.clauses[index].text = text.to_owned();
            bot.clauses[index].total_samples = total_samples;
        }
    }

    /// `played_samples` of clause `index` of `turn` have now been played out
    /// (a running total for the clause, so a lost report does no harm).
    pub fn handle_audio_played(
        &mut self,
        turn: TurnId,
        index: usize,
        played_samples: usize,
        now_ms: u64,
    ) {
        if let Some(bot) = self.bot.as_mut().filter(|b| b.id == turn) {
            if bot.latency.first_audio_ms.is_none() {
                bot.latency.first_audio_ms = Some(now_ms);
                bot.latency.voice_to_voice_ms = bot
                    .latency
                    .speech_end_ms
                    .map(|end| now_ms.saturating_sub(end));
            }
            if let Some(clause) = bot.clauses.get_mut(index) {
                clause.played_samples = clause.played_samples.max(played_samples);
            }
        }
    }

    /// The carrier acknowledged the mark after clause `index` of `turn`: the
    /// caller has heard all of it.
    pub fn handle_mark(&mut self, turn: TurnId, index: usize) {
        if let Some(clause) = self
            .bot
            .as_mut()
            .filter(|b| b.id == turn)
            .and_then(|b| b.clauses.get_mut(index))
        {
            clause.acked = true;
        }
    }

    /// Every clause of `turn` has played: the bot finished speaking.
    pub fn handle_bot_turn_played(&mut self, turn: TurnId, now_ms: u64) {
        let Some(bot) = self.bot.take_if(|b| b.id == turn) else {
            return;
        };
        self.last_activity_ms = now_ms;
        self.overlap = None;
        self.paused = false;
        let heard = bot
            .text
            .clone()
            .unwrap_or_else(|| bot.clauses.iter().map(|c| c.text.as_str()).collect());
        let ends_call = bot.ends_call;
        self.actions
            .push_back(Action::RecordAgentTurn(AgentTurnRecord {
                turn,
                heard,
                full_text: bot.text,
                interrupted: false,
                started_ms: bot.started_ms,
                ended_ms: now_ms,
                latency: bot.latency,
            }));
        if let Some(status) = ends_call {
            self.end(status);
        }
    }

    /// The call is ending (the caller hung up, a shutdown): a bot turn still in progress is stored as interrupted where it stopped.
    pub fn handle_hang_up(&mut self, now_ms: u64) {
        if self.ended {
            return;
        }
        if self.bot.is_some() {
            self.cancel_bot_turn(now_ms, false);
        }
        self.ended = true;
    }

    /// When the driver should call [`CallCore::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.ended {
            return None;
        }
        let mut deadlines = Vec::with_capacity(3);
        if let (Some(overlap), Some(_)) = (&self.overlap, &self.bot) {
            deadlines.extend(overlap.deadline(self.config.barge_in_confirm_ms));
        }
        if let Some(bot) = self.bot.as_ref().filter(|b| b.text.is_none()) {
            deadlines.push(bot.started_ms + self.config.reply_timeout_ms);
        }
        if self.phase() == Phase::Listening {
            deadlines.push(self.last_activity_ms + self.config.no_input_timeout_ms);
        }
        deadlines.into_iter().min()
    }

    /// Time passed to `now_ms`: fires whatever deadline is due.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.ended {
            return;
        }
        let confirm_ms = self.config.barge_in_confirm_ms;
        if let (Some(deadline), Some(_)) =
            (self.overlap.and_then(|o| o.deadline(confirm_ms)), &self.bot)
        {
            if now_ms >= deadline {
                // Too long to be a backchannel, transcript or not.
                self.barge_in(now_ms);
            }
        }
        if let Some(bot) = self.bot.as_ref().filter(|b| b.text.is_none()) {
            if now_ms >= bot.started_ms + self.config.reply_timeout_ms {
                tracing::warn!(turn = bot.id, "agent reply timed out; turn abandoned");
                self.cancel_bot_turn(now_ms, true);
            }
        }
        if self.phase() == Phase::Listening
            && now_ms >= self.last_activity_ms + self.config.no_input_timeout_ms
        {
            self.end(EndStatus::TimedOut);
        }
    }

    /// The next thing the driver must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    fn is_real_speech(&self, text: &str) -> bool {
        let text = text.trim();
        !text.is_empty() && !(self.is_backchannel)(text)
    }

    fn barge_in(&mut self, now_ms: u64) {
        if self.bot.is_none() {
            return;
        }
        tracing::debug!("caller barged in");
        self.cancel_bot_turn(now_ms, true);
        self.overlap = None;
    }

    /// Cancels the bot turn in progress, clearing queued audio, cutting the
    /// history to what was heard and storing the turn as interrupted.
    fn cancel_bot_turn(&mut self, now_ms: u64, emit_actions: bool) {
        let Some(bot) = self.bot.take() else {
            return;
        };
        self.last_activity_ms = now_ms;
        // Cancelling a turn releases the hold: the writer drops the turn's
        // audio and plays the next turn's as soon as it comes.
        self.paused = false;
        let heard = bot.heard();
        if emit_actions {
            self.actions
                .push_back(Action::CancelBotTurn { turn: bot.id });
            if bot.audio_started() {
                self.actions.push_back(Action::Clear);
            }
            // Sent even when the reply is not ready yet: the agent handles
            // commands in order, so the cut lands after its reply is in the
            // history.
            self.actions.push_back(Action::TruncateHistory {
                heard: heard.clone(),
            });
        }
        if bot.text.is_none() {
            self.cancelled_unreplied
                .push((bot.id, bot.started_ms, bot.latency));
            return;
        }
        self.actions
            .push_back(Action::RecordAgentTurn(AgentTurnRecord {
                turn: bot.id,
                heard,
                full_text: bot.text,
                interrupted: true,
                started_ms: bot.started_ms,
                ended_ms: now_ms,
                latency: bot.latency,
            }));
    }

    fn end(&mut self, status: EndStatus) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.actions.push_back(Action::HangUp { status });
    }
}

#[cfg(test)]
mod tests;
