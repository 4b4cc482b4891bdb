//! Call scenarios stepped on a virtual clock.

use super::*;

const CLAUSE: usize = 16_000; // one second of audio per clause

fn drain(core: &mut CallCore) -> Vec<Action> {
    std::iter::from_fn(|| core.poll_action()).collect()
}

/// A core past its greeting (turn 0 played), at `t = 1000`.
fn greeted() -> CallCore {
    let mut core = CallCore::new(CoreConfig::default());
    core.start(0);
    assert_eq!(drain(&mut core), vec![Action::Greet { turn: 0 }]);
    core.handle_reply_ready(0, "Namaste", None, 10, 5);
    core.handle_clause_queued(0, 0, "Namaste", CLAUSE);
    core.handle_audio_played(0, 0, CLAUSE, 20);
    core.handle_bot_turn_played(0, 1000);
    let actions = drain(&mut core);
    assert!(
        matches!(&actions[..], [Action::RecordAgentTurn(r)] if r.heard == "Namaste" && !r.interrupted)
    );
    assert_eq!(core.phase(), Phase::Listening);
    core
}

/// The caller says `text` from `start` to `end`; the transcript is ready at
/// `end + 100`.
fn caller_says(core: &mut CallCore, text: &str, start: u64, end: u64) -> Vec<Action> {
    core.handle_caller_speech_started(start);
    core.handle_caller_turn_ended(end, end + 50);
    core.handle_caller_transcript(text, end + 100);
    drain(core)
}

/// Reply `text` to `turn` in two clauses and starts playing it at `at`.
fn bot_speaks(core: &mut CallCore, turn: TurnId, first: &str, second: &str, at: u64) {
    core.handle_reply_ready(turn, &format!("{first} {second}"), None, 200, at - 10);
    core.handle_clause_queued(turn, 0, first, CLAUSE);
    core.handle_clause_queued(turn, 1, second, CLAUSE);
    core.handle_audio_played(turn, 0, 320, at);
    assert_eq!(core.phase(), Phase::BotSpeaking);
}

#[test]
fn caller_turn_asks_for_a_reply_and_records_latency() {
    let mut core = greeted();
    let actions = caller_says(&mut core, "mera order 45678 kahan hai", 2000, 3500);
    assert_eq!(
        actions,
        vec![
            Action::RecordCallerTurn(CallerTurnRecord {
                text: "mera order 45678 kahan hai".into(),
                speech_start_ms: 2000,
                speech_end_ms: 3500,
                transcript_ready_ms: 3600,
            }),
            Action::Respond {
                turn: 1,
                text: "mera order 45678 kahan hai".into()
            },
        ]
    );
    assert_eq!(core.phase(), Phase::Thinking);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3900);
    core.handle_audio_played(1, 0, CLAUSE, 4900);
    core.handle_audio_played(1, 1, CLAUSE, 5900);
    core.handle_bot_turn_played(1, 5920);
    let [Action::RecordAgentTurn(record)] = &drain(&mut core)[..] else {
        panic!("expected one agent turn record")
    };
    assert_eq!(record.heard, "Aapka order kal aa jayega.");
    assert!(!record.interrupted);
    assert_eq!(record.latency.speech_end_ms, Some(3500));
    assert_eq!(record.latency.transcript_ready_ms, Some(3600));
    assert_eq!(record.latency.reply_ready_ms, Some(3890));
    assert_eq!(record.latency.first_audio_ms, Some(3900));
    assert_eq!(record.latency.voice_to_voice_ms, Some(400));
    assert_eq!(record.latency.agent_us, Some(200));
    assert_eq!(core.phase(), Phase::Listening);
}

#[test]
fn real_speech_over_the_bot_barges_in_and_cuts_to_what_was_heard() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(
        &mut core,
        1,
        "Aapka order dispatch ho gaya hai,",
        "kal tak pahunch jayega.",
        3500,
    );
    // The first clause played whole, then 2 of the second clause's 4 words.
    core.handle_audio_played(1, 0, CLAUSE, 4500);
    core.handle_audio_played(1, 1, CLAUSE / 2, 5000);
    core.handle_caller_speech_started(5000);
    assert_eq!(
        drain(&mut core),
        vec![Action::PauseOutput],
        "the bot falls silent at once; no decision before words"
    );
    core.handle_caller_partial("nahi ruko", 5300);
    let actions = drain(&mut core);
    let heard = "Aapka order dispatch ho gaya hai, kal tak";
    assert_eq!(actions[0], Action::CancelBotTurn { turn: 1 });
    assert_eq!(actions[1], Action::Clear);
    assert_eq!(
        actions[2],
        Action::TruncateHistory {
            heard: heard.into()
        }
    );
    let Action::RecordAgentTurn(record) = &actions[3] else {
        panic!("{actions:?}")
    };
    assert_eq!(record.heard, heard);
    assert!(record.interrupted);
    assert_eq!(
        record.full_text.as_deref(),
        Some("Aapka order dispatch ho gaya hai, kal tak pahunch jayega.")
    );
    assert_eq!(actions.len(), 4);
    assert_eq!(core.phase(), Phase::CallerSpeaking);

    // The interrupting words become the next caller turn.
    core.handle_caller_turn_ended(5800, 5850);
    core.handle_caller_transcript("nahi ruko, cancel karna hai", 5900);
    let actions = drain(&mut core);
    assert!(matches!(&actions[0], Action::RecordCallerTurn(r) if r.speech_start_ms == 5000));
    assert_eq!(
        actions[1],
        Action::Respond {
            turn: 2,
            text: "nahi ruko, cancel karna hai".into()
        }
    );
}

#[test]
fn a_mark_counts_a_clause_as_heard() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Ek minute.", "Main dekhti hoon.", 3500);
    core.handle_mark(1, 0);
    core.handle_caller_speech_started(3700);
    core.handle_caller_partial("ruko ruko", 3900);
    let actions = drain(&mut core);
    assert!(actions.contains(&Action::TruncateHistory {
        heard: "Ek minute.".into()
    }));
}

#[test]
fn backchannel_over_the_bot_is_ignored() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3500);
    core.handle_caller_speech_started(4000);
    core.handle_caller_partial("haan", 4200);
    core.handle_caller_turn_ended(4300, 4350);
    core.handle_caller_transcript("haan ji", 4400);
    assert_eq!(
        drain(&mut core),
        vec![Action::PauseOutput, Action::ResumeOutput],
        "held while undecided, then resumed where it stopped"
    );
    assert_eq!(core.phase(), Phase::BotSpeaking);
    // The overlap is settled: no barge-in deadline is left.
    assert_eq!(core.poll_timeout(), None);
    core.handle_timeout(6000);
    assert!(drain(&mut core).is_empty());
    core.handle_bot_turn_played(1, 6000);
    let [Action::RecordAgentTurn(record)] = &drain(&mut core)[..] else {
        panic!("expected the turn to finish normally")
    };
    assert!(!record.interrupted);
    assert_eq!(record.heard, "Aapka order kal aa jayega.");
}

#[test]
fn long_overlapping_speech_barges_in_without_a_transcript() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3500);
    core.handle_caller_speech_started(4000);
    assert_eq!(drain(&mut core), vec![Action::PauseOutput]);
    assert_eq!(core.poll_timeout(), Some(4900));
    core.handle_timeout(4899);
    assert!(drain(&mut core).is_empty());
    core.handle_timeout(4900);
    let actions = drain(&mut core);
    assert_eq!(actions[0], Action::CancelBotTurn { turn: 1 });
    assert_eq!(actions[1], Action::Clear);
}

#[test]
fn speech_during_thinking_cancels_the_unspoken_reply() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    core.handle_caller_speech_started(3200);
    core.handle_caller_partial("aur ek baat", 3400);
    let actions = drain(&mut core);
    assert_eq!(
        actions,
        vec![
            Action::PauseOutput,
            Action::CancelBotTurn { turn: 1 },
            Action::TruncateHistory {
                heard: String::new()
            }
        ],
        "no Clear: nothing was playing"
    );
    // The late reply is still stored (its tools ran), as unheard.
    core.handle_reply_ready(1, "Aapka order kal aayega.", None, 100, 3500);
    let [Action::RecordAgentTurn(record)] = &drain(&mut core)[..] else {
        panic!("expected the cancelled reply to be recorded")
    };
    assert_eq!(record.heard, "");
    assert!(record.interrupted);
    assert_eq!(core.phase(), Phase::CallerSpeaking);
}

#[test]
fn silence_times_out_the_call() {
    let mut core = greeted();
    assert_eq!(core.poll_timeout(), Some(31_000));
    core.handle_timeout(30_999);
    assert!(drain(&mut core).is_empty());
    core.handle_timeout(31_000);
    assert_eq!(
        drain(&mut core),
        vec![Action::HangUp {
            status: EndStatus::TimedOut
        }]
    );
    assert_eq!(core.phase(), Phase::Ended);
    assert_eq!(core.poll_timeout(), None);
}

#[test]
fn a_reply_that_never_comes_is_abandoned() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    assert_eq!(core.poll_timeout(), Some(3100 + 15_000));
    core.handle_timeout(18_100);
    assert_eq!(
        drain(&mut core),
        vec![
            Action::CancelBotTurn { turn: 1 },
            Action::TruncateHistory {
                heard: String::new()
            }
        ]
    );
    assert_eq!(core.phase(), Phase::Listening);
}

#[test]
fn a_final_reply_hangs_up_after_it_played() {
    let mut core = greeted();
    caller_says(&mut core, "bas, dhanyavaad", 2000, 3000);
    core.handle_reply_ready(1, "Dhanyavaad!", Some(EndStatus::Completed), 50, 3200);
    core.handle_clause_queued(1, 0, "Dhanyavaad!", CLAUSE);
    core.handle_audio_played(1, 0, CLAUSE, 3300);
    core.handle_bot_turn_played(1, 4300);
    let actions = drain(&mut core);
    assert!(matches!(actions[0], Action::RecordAgentTurn(_)));
    assert_eq!(
        actions[1],
        Action::HangUp {
            status: EndStatus::Completed
        }
    );
}

#[test]
fn hang_up_mid_reply_records_the_heard_part() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3500);
    core.handle_audio_played(1, 0, CLAUSE, 4500);
    core.handle_hang_up(4600);
    let [Action::RecordAgentTurn(record)] = &drain(&mut core)[..] else {
        panic!("expected the cut turn")
    };
    assert_eq!(record.heard, "Aapka order");
    assert!(record.interrupted);
    assert_eq!(core.phase(), Phase::Ended);
}

#[test]
fn backchannel_with_nobody_speaking_is_a_turn() {
    let mut core = greeted();
    let actions = caller_says(&mut core, "haan", 2000, 2400);
    assert!(matches!(&actions[1], Action::Respond { turn: 1, text } if text == "haan"));
}

#[test]
fn pauses_do_not_count_towards_a_barge_in() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3500);
    core.handle_caller_speech_started(4000);
    assert_eq!(drain(&mut core), vec![Action::PauseOutput]);
    core.handle_caller_speech_stopped(4400, 4600);
    assert_eq!(core.poll_timeout(), None, "paused: no deadline");
    core.handle_timeout(5000);
    assert!(drain(&mut core).is_empty());
    // Speech resumes: 400 ms already sounded, 500 ms to go.
    core.handle_caller_speech_started(6000);
    assert_eq!(core.poll_timeout(), Some(6500));
    core.handle_timeout(6500);
    assert_eq!(drain(&mut core)[0], Action::CancelBotTurn { turn: 1 });
}

#[test]
fn noise_over_the_bot_resumes_it_without_a_turn() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3500);
    core.handle_caller_speech_started(4000);
    core.handle_caller_turn_ended(4200, 4250);
    // A cough: the recogniser hears nothing.
    core.handle_caller_transcript("", 4300);
    assert_eq!(
        drain(&mut core),
        vec![Action::PauseOutput, Action::ResumeOutput]
    );
    assert_eq!(core.phase(), Phase::BotSpeaking);
}

#[test]
fn a_backchannel_while_the_caller_still_talks_keeps_the_bot_held() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3500);
    core.handle_caller_speech_started(4000);
    core.handle_caller_turn_ended(4200, 4250);
    // The next utterance began before the first one's transcript came.
    core.handle_caller_speech_started(4280);
    core.handle_caller_transcript("haan", 4300);
    assert_eq!(drain(&mut core), vec![Action::PauseOutput], "still held");
    core.handle_caller_partial("nahi ruko", 4600);
    assert_eq!(drain(&mut core)[0], Action::CancelBotTurn { turn: 1 });
}

#[test]
fn zero_on_the_keypad_interrupts_and_goes_to_the_agent() {
    let mut core = greeted();
    caller_says(&mut core, "order 45678", 2000, 3000);
    bot_speaks(&mut core, 1, "Aapka order", "kal aa jayega.", 3500);
    core.handle_audio_played(1, 0, CLAUSE, 4500);
    core.handle_keypress('5', 4600);
    assert!(
        drain(&mut core).is_empty(),
        "keys other than 0 mean nothing"
    );
    core.handle_keypress('0', 4700);
    let actions = drain(&mut core);
    assert_eq!(actions[0], Action::CancelBotTurn { turn: 1 });
    assert_eq!(actions[1], Action::Clear);
    assert!(
        matches!(&actions[4], Action::RecordCallerTurn(r) if r.text == "[key 0]"),
        "{actions:?}"
    );
    assert_eq!(
        actions[5],
        Action::Keypress {
            turn: 2,
            digit: '0'
        }
    );
}
