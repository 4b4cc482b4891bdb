//! Piper (VITS) voices run with ONNX Runtime.
//!
//! ```text
//!  clause text ─▶ espeak-ng --ipa ─▶ IPA + punctuation ─▶ phoneme_id_map ─▶ ids
//!     ids ─▶ ONNX session (input, input_lengths, scales) ─▶ f32 @ 22,050 Hz ─▶ 16 kHz PCM16
//! ```
//!
//! The ids follow Piper's own phonemiser exactly: `^` then pad, each IPA
//! character (after Unicode decomposition) followed by the pad `_`, `$` last;
//! characters the voice does not know are skipped. The session is loaded once
//! and shared; ONNX Runtime's `run` needs `&mut`, so calls take turns on a
//! mutex (one inference is ~5 % of the audio it makes).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use awaaz_audio::{AudioChunk, SAMPLE_RATE_HZ};
use ort::environment::Environment;
use ort::session::Session;
use ort::value::Tensor;
use unicode_normalization::UnicodeNormalization;

use super::espeak::Espeak;
use super::resample::{resample, to_pcm16_normalised};
use crate::SpeechError;

/// Output peak relative to full scale: a little headroom for the phone codec.
const OUTPUT_PEAK: f32 = 0.9;

/// The parts of a Piper voice's `.onnx.json` that synthesis needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PiperConfig {
    /// Rate of the model's output.
    pub sample_rate_hz: u32,
    /// espeak-ng voice for phonemes (`en-us`).
    pub espeak_voice: String,
    /// Noise added to the prior (`inference.noise_scale`).
    pub noise_scale: f32,
    /// Speaking slowness: > 1 is slower (`inference.length_scale`).
    pub length_scale: f32,
    /// Noise in phoneme durations (`inference.noise_w`).
    pub noise_w: f32,
    /// Phoneme (one character) → ids.
    pub phoneme_id_map: HashMap<char, Vec<i64>>,
}

impl PiperConfig {
    /// Parses a voice's JSON config.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let sample_rate_hz = v["audio"]["sample_rate"]
            .as_u64()
            .and_then(|r| u32::try_from(r).ok())
            .ok_or("audio.sample_rate missing")?;
        let espeak_voice = v["espeak"]["voice"]
            .as_str()
            .ok_or("espeak.voice missing")?
            .to_owned();
        if let Some(kind) = v["phoneme_type"].as_str() {
            if kind != "espeak" {
                return Err(format!(
                    "phoneme_type {kind} is not supported (only espeak)"
                ));
            }
        }
        let scale = |key: &str, default: f32| -> f32 {
            // JSON numbers are f64; voice scales are small, so f32 is exact enough.
            #[allow(clippy::cast_possible_truncation)]
            v["inference"][key].as_f64().map_or(default, |x| x as f32)
        };
        let map = v["phoneme_id_map"]
            .as_object()
            .ok_or("phoneme_id_map missing")?;
        let mut phoneme_id_map = HashMap::with_capacity(map.len());
        for (phoneme, ids) in map {
            let mut chars = phoneme.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err(format!("phoneme {phoneme:?} is not one character"));
            };
            let ids = ids
                .as_array()
                .ok_or("phoneme ids are not a list")?
                .iter()
                .map(|id| id.as_i64().ok_or("phoneme id is not an integer"))
                .collect::<Result<Vec<_>, _>>()?;
            phoneme_id_map.insert(c, ids);
        }
        for required in ['^', '$', '_'] {
            if !phoneme_id_map.contains_key(&required) {
                return Err(format!("phoneme_id_map lacks {required:?}"));
            }
        }
        Ok(Self {
            sample_rate_hz,
            espeak_voice,
            noise_scale: scale("noise_scale", 0.667),
            length_scale: scale("length_scale", 1.0),
            noise_w: scale("noise_w", 0.8),
            phoneme_id_map,
        })
    }

    /// Piper's phoneme → id mapping: `^`, pad, then each phoneme and a pad,
    /// then `$`. Unknown phonemes are skipped, as Piper does.
    pub fn phoneme_ids(&self, phonemes: &str) -> Vec<i64> {
        let map = &self.phoneme_id_map;
        let pad = &map[&'_'];
        let mut ids = Vec::with_capacity(phonemes.len() * 2 + 3);
        ids.extend_from_slice(&map[&'^']);
        ids.extend_from_slice(pad);
        for c in phonemes.nfd() {
            if let Some(id) = map.get(&c) {
                ids.extend_from_slice(id);
                ids.extend_from_slice(pad);
            }
        }
        ids.extend_from_slice(&map[&'$']);
        ids
    }
}

/// Who waits for a clause, which decides the order in which calls share
/// the one Piper session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClausePriority {
    /// Nothing of this reply plays yet: the caller hears silence until it
    /// is ready. Goes ahead of every [`ClausePriority::Ahead`] clause.
    #[default]
    First,
    /// Synthesised ahead while an earlier clause of the same reply plays.
    Ahead,
}

/// Orders the callers of one session: a first clause waiting goes before
/// any look-ahead clause, so one call's later sentences never hold up
/// another call's first audio.
#[derive(Debug, Default)]
struct PriorityGate {
    state: Mutex<GateState>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    busy: bool,
    first_waiting: usize,
    ahead_waiting: usize,
}

struct GatePass<'a> {
    gate: &'a PriorityGate,
}

impl PriorityGate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state is two counters; a panic elsewhere cannot corrupt them.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&self, priority: ClausePriority) -> GatePass<'_> {
        let first = priority == ClausePriority::First;
        let mut state = self.lock();
        fn waiting(state: &mut GateState, first: bool) -> &mut usize {
            if first {
                &mut state.first_waiting
            } else {
                &mut state.ahead_waiting
            }
        }
        *waiting(&mut state, first) += 1;
        while state.busy || (!first && state.first_waiting > 0) {
            state = self
                .turn
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *waiting(&mut state, first) -= 1;
        state.busy = true;
        GatePass { gate: self }
    }
}

impl Drop for GatePass<'_> {
    fn drop(&mut self) {
        self.gate.lock().busy = false;
        self.gate.turn.notify_all();
    }
}

/// A loaded Piper voice, shared by all calls.
#[derive(Debug)]
pub struct PiperVoice {
    gate: PriorityGate,
    session: Mutex<Session>,
    config: PiperConfig,
    espeak: Espeak,
}

impl PiperVoice {
    /// Loads `model` (`*.onnx`) with its config beside it (`*.onnx.json`).
    pub fn load(env: &Environment, model: &Path) -> Result<Self, SpeechError> {
        let mut config = model.as_os_str().to_owned();
        config.push(".json");
        Self::load_with_config(env, model, Path::new(&config))
    }

    /// Loads `model` with the config at `config`.
    pub fn load_with_config(
        env: &Environment,
        model: &Path,
        config: &Path,
    ) -> Result<Self, SpeechError> {
        let load_err = |path: &Path, reason: String| SpeechError::Load {
            what: "piper voice",
            path: path.display().to_string(),
            reason,
        };
        let json = std::fs::read_to_string(config).map_err(|e| load_err(config, e.to_string()))?;
        let config = PiperConfig::from_json(&json).map_err(|e| load_err(model, e))?;
        let session = Session::builder(env)
            .and_then(|mut b| b.commit_from_file(model))
            .map_err(|e| load_err(model, e.to_string()))?;
        Ok(Self {
            gate: PriorityGate::default(),
            session: Mutex::new(session),
            config,
            espeak: Espeak::new(),
        })
    }

    /// Uses a specific `espeak-ng` for phonemes.
    pub fn with_espeak(mut self, espeak: Espeak) -> Self {
        self.espeak = espeak;
        self
    }

    /// The voice's config.
    pub fn config(&self) -> &PiperConfig {
        &self.config
    }

    /// IPA for one clause, with the clause punctuation Piper keeps (`, ; : . ? !`).
    pub fn phonemize(&self, text: &str) -> Result<String, SpeechError> {
        let lines = self.espeak.phonemes(text, &self.config.espeak_voice)?;
        Ok(join_with_punctuation(
            &lines,
            &clause_marks(text),
            ends_with_mark(text),
        ))
    }

    /// Runs the model on phoneme ids: float audio at the voice's rate.
    pub fn infer(&self, ids: &[i64]) -> Result<Vec<f32>, SpeechError> {
        self.infer_with(ids, ClausePriority::First)
    }

    /// [`Self::infer`], waiting for the session in `priority` order.
    pub fn infer_with(
        &self,
        ids: &[i64],
        priority: ClausePriority,
    ) -> Result<Vec<f32>, SpeechError> {
        let err = |e: ort::Error| SpeechError::Inference {
            engine: "piper",
            reason: e.to_string(),
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let c = &self.config;
        let input = Tensor::from_array(([1usize, ids.len()], ids.to_vec())).map_err(err)?;
        let lengths = Tensor::from_array(([1usize], vec![ids.len() as i64])).map_err(err)?;
        let scales = Tensor::from_array(([3usize], vec![c.noise_scale, c.length_scale, c.noise_w]))
            .map_err(err)?;
        let _pass = self.gate.enter(priority);
        let mut session = self.session.lock().map_err(|_| SpeechError::Inference {
            engine: "piper",
            reason: "session lock poisoned by an earlier panic".into(),
        })?;
        let outputs = session
            .run(ort::inputs!["input" => input, "input_lengths" => lengths, "scales" => scales])
            .map_err(err)?;
        let (_, audio) = outputs["output"].try_extract_tensor::<f32>().map_err(err)?;
        Ok(audio.to_vec())
    }

    /// Speaks one clause: 16 kHz PCM16.
    pub fn synthesize(&self, text: &str) -> Result<AudioChunk, SpeechError> {
        self.synthesize_with(text, ClausePriority::First)
    }

    /// [`Self::synthesize`], waiting for the session in `priority` order.
    pub fn synthesize_with(
        &self,
        text: &str,
        priority: ClausePriority,
    ) -> Result<AudioChunk, SpeechError> {
        let phonemes = self.phonemize(text)?;
        if phonemes.trim().is_empty() {
            return Ok(AudioChunk::default());
        }
        let audio = self.infer_with(&self.config.phoneme_ids(&phonemes), priority)?;
        let audio = resample(&audio, self.config.sample_rate_hz, SAMPLE_RATE_HZ);
        Ok(AudioChunk::new(to_pcm16_normalised(&audio, OUTPUT_PEAK)))
    }
}

/// Clause punctuation in `text` that espeak breaks at, in order.
fn clause_marks(text: &str) -> Vec<char> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let mark = match c {
                ',' | ';' | ':' | '.' | '?' | '!' => *c,
                '।' | '॥' => '.',
                _ => return None,
            };
            let followed_by_space = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            let after_word = i > 0 && !chars[i - 1].is_whitespace();
            (followed_by_space && after_word).then_some(mark)
        })
        .collect()
}

fn ends_with_mark(text: &str) -> bool {
    text.trim_end()
        .ends_with([',', ';', ':', '.', '?', '!', '।', '॥'])
}

/// Rebuilds Piper's phoneme string from espeak's clause lines: each clause's
/// IPA, then its punctuation, and a space after a pause inside a sentence.
/// When espeak split differently from the punctuation we see (an
/// abbreviation, a dash), the lines are joined with spaces and only the final
/// punctuation is kept.
fn join_with_punctuation(lines: &[String], marks: &[char], ends_with_mark: bool) -> String {
    let paired = marks.len() == lines.len() || (!ends_with_mark && marks.len() + 1 == lines.len());
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(line);
        if paired {
            if let Some(mark) = marks.get(i) {
                out.push(*mark);
                if matches!(mark, ',' | ';' | ':') && i + 1 < lines.len() {
                    out.push(' ');
                }
            }
        }
    }
    if !paired && ends_with_mark {
        if let Some(last) = marks.last() {
            out.push(*last);
        }
    }
    out
}

/// The process's ONNX Runtime environment.
///
/// ONNX Runtime allows one environment per process, so every ONNX model in
/// awaaz should get it from here. The library is `dylib`, else
/// `AWAAZ_ORT_DYLIB`, else `<models>/onnxruntime/libonnxruntime.so`; only the
/// first successful call loads it.
pub fn onnx_environment(dylib: Option<&Path>) -> Result<Environment, SpeechError> {
    awaaz_audio::onnx::environment(dylib).map_err(|e| SpeechError::Load {
        what: "onnx runtime",
        path: dylib
            .map_or_else(awaaz_audio::onnx::default_dylib, Path::to_path_buf)
            .display()
            .to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_waiting_first_clause_goes_before_waiting_look_ahead() {
        let gate = Arc::new(PriorityGate::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let held = gate.enter(ClausePriority::First);
        let waiter = |priority, name: &'static str| {
            let (gate, order) = (Arc::clone(&gate), Arc::clone(&order));
            std::thread::spawn(move || {
                let _pass = gate.enter(priority);
                order
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(name);
            })
        };
        let until = |done: &dyn Fn(&GateState) -> bool| {
            while !done(&gate.lock()) {
                std::thread::yield_now();
            }
        };
        let ahead = waiter(ClausePriority::Ahead, "ahead");
        until(&|s| s.ahead_waiting == 1);
        let first = waiter(ClausePriority::First, "first");
        until(&|s| s.first_waiting == 1);
        drop(held);
        first.join().expect("first clause thread");
        ahead.join().expect("look-ahead thread");
        assert_eq!(
            *order.lock().unwrap_or_else(PoisonError::into_inner),
            ["first", "ahead"],
            "the look-ahead clause waited although it asked first"
        );
        let state = gate.lock();
        assert!(!state.busy && state.first_waiting == 0 && state.ahead_waiting == 0);
    }

    fn config() -> PiperConfig {
        PiperConfig::from_json(
            r#"{"audio":{"sample_rate":22050},"espeak":{"voice":"en-us"},
                "inference":{"noise_scale":0.5,"length_scale":1.1,"noise_w":0.7},
                "phoneme_type":"espeak",
                "phoneme_id_map":{"_":[0],"^":[1],"$":[2]," ":[3],",":[8],".":[10],
                                  "h":[20],"ə":[59],"l":[24],"ˈ":[120],"o":[27],"ʊ":[100],"c":[16],"̧":[140]}}"#,
        )
        .unwrap()
    }

    #[test]
    fn config_reads_scales_and_rate() {
        let c = config();
        assert_eq!(
            (c.sample_rate_hz, c.espeak_voice.as_str()),
            (22_050, "en-us")
        );
        assert_eq!((c.noise_scale, c.length_scale, c.noise_w), (0.5, 1.1, 0.7));
    }

    #[test]
    fn ids_are_bos_pad_then_phoneme_pad_pairs_then_eos() {
        // "həlˈoʊ." with an unknown "x" skipped.
        assert_eq!(
            config().phoneme_ids("həxlˈoʊ."),
            vec![1, 0, 20, 0, 59, 0, 24, 0, 120, 0, 27, 0, 100, 0, 10, 0, 2]
        );
    }

    #[test]
    fn precomposed_characters_are_decomposed_like_piper() {
        // "ç" is c + combining cedilla in the id map.
        assert_eq!(config().phoneme_ids("ç"), vec![1, 0, 16, 0, 140, 0, 2]);
    }

    #[test]
    fn configs_without_the_special_symbols_are_refused() {
        let err = PiperConfig::from_json(
            r#"{"audio":{"sample_rate":22050},"espeak":{"voice":"en-us"},"phoneme_id_map":{"a":[1]}}"#,
        )
        .unwrap_err();
        assert!(err.contains("lacks"), "{err}");
    }

    #[test]
    fn punctuation_is_put_back_after_each_espeak_clause() {
        let lines = vec!["həlˈoʊ".to_owned(), "wˈɜːld".to_owned()];
        let text = "Hello, world.";
        assert_eq!(
            join_with_punctuation(&lines, &clause_marks(text), ends_with_mark(text)),
            "həlˈoʊ, wˈɜːld."
        );
        // No final punctuation.
        let text = "Hello, world";
        assert_eq!(
            join_with_punctuation(&lines, &clause_marks(text), ends_with_mark(text)),
            "həlˈoʊ, wˈɜːld"
        );
        // "Mr." does not break a clause in espeak: counts differ, keep the last mark.
        let lines = vec!["mˈɪstɚ ʃˈɑːɹmə".to_owned()];
        let text = "Mr. Sharma?";
        assert_eq!(
            join_with_punctuation(&lines, &clause_marks(text), ends_with_mark(text)),
            "mˈɪstɚ ʃˈɑːɹmə?"
        );
        assert_eq!(clause_marks("₹1,499. ok। हाँ"), vec!['.', '.']);
    }
}
