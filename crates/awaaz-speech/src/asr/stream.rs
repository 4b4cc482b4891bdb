//! The recogniser seam over [`WhisperModel`]: one stream per utterance,
//! decoding on tokio's blocking pool.

use std::sync::Arc;

use async_trait::async_trait;
use awaaz_audio::AudioChunk;
use tokio::task::JoinHandle;

use super::guard;
use super::model::{BusyGuard, DecodeRequest, Decoded, UtteranceGuard, WhisperModel};
use crate::{RecognitionHints, RecognitionStream, SpeechError, SpeechRecognizer, Transcript};

const SAMPLES_PER_MS: usize = 16;
/// Partials start once this much audio is buffered (less is rarely a word).
const FIRST_PARTIAL_MS: usize = 500;

/// [`SpeechRecognizer`] backed by an embedded Whisper model.
#[derive(Debug, Clone)]
pub struct WhisperRecognizer {
    model: WhisperModel,
}

impl WhisperRecognizer {
    /// A recogniser sharing `model` (weights are not copied).
    pub fn new(model: WhisperModel) -> Self {
        Self { model }
    }

    /// The shared model.
    pub fn model(&self) -> &WhisperModel {
        &self.model
    }

    /// Opens a concrete stream (the trait method boxes this).
    pub fn open(&self, hints: &RecognitionHints) -> WhisperStream {
        let prompt = self
            .model
            .prompt_tokens(&super::hint_prompt(&hints.vocabulary));
        WhisperStream {
            _utterance: self.model.open_utterance(),
            model: self.model.clone(),
            request: Arc::new(DecodeRequest {
                language: hints.language,
                prompt,
            }),
            samples: Vec::new(),
            dropped_samples: 0,
            in_flight: None,
            last: None,
            last_reported: 0,
            last_started: 0,
            pause_pending: false,
        }
    }
}

#[async_trait]
impl SpeechRecognizer for WhisperRecognizer {
    async fn start(
        &self,
        hints: &RecognitionHints,
    ) -> Result<Box<dyn RecognitionStream>, SpeechError> {
        Ok(Box::new(self.open(hints)))
    }
}

type DecodeTask = JoinHandle<Result<Decoded, SpeechError>>;

// `map_err` hands the error over by value.
#[allow(clippy::needless_pass_by_value)]
fn join_error(e: tokio::task::JoinError) -> SpeechError {
    SpeechError::Inference {
        engine: "whisper",
        reason: format!("decode task failed: {e}"),
    }
}

/// One utterance: buffers audio, decodes partials in the background and
/// produces the final transcript.
///
/// Dropping a stream while a decode runs lets that decode finish on its
/// blocking thread (CTranslate2 cannot be interrupted); its result is discarded.
#[derive(Debug)]
pub struct WhisperStream {
    /// Counts this stream among the model's open utterances (best-effort
    /// partials are declined while other callers are speaking).
    _utterance: UtteranceGuard,
    model: WhisperModel,
    request: Arc<DecodeRequest>,
    samples: Vec<i16>,
    dropped_samples: usize,
    in_flight: Option<DecodeTask>,
    /// Latest completed decode.
    last: Option<Decoded>,
    /// Samples covered by the last partial handed to the caller.
    last_reported: usize,
    /// Samples covered by the last decode started.
    last_started: usize,
    /// A pause asked for a decode while another one was running: start it
    /// when that one is done.
    pause_pending: bool,
}

impl WhisperStream {
    fn spawn(&self, busy: BusyGuard) -> DecodeTask {
        let model = self.model.clone();
        let samples = self.samples.clone();
        let request = Arc::clone(&self.request);
        tokio::task::spawn_blocking(move || {
            let _busy = busy;
            model.decode(&samples, &request)
        })
    }

    /// Collects a finished background decode. The language is *not* fixed
    /// from a partial: a first partial of half a second (often one syllable
    /// and the vocabulary prompt) was detected as English for Hindi callers,
    /// so every decode detects on all the audio it covers.
    fn absorb(&mut self, decoded: Decoded) {
        self.last = Some(decoded);
    }

    async fn join(task: DecodeTask) -> Result<Decoded, SpeechError> {
        task.await.map_err(join_error)?
    }

    /// Collects the background decode if it has finished, without waiting.
    async fn collect_finished(&mut self) -> Result<(), SpeechError> {
        if self.in_flight.as_ref().is_some_and(JoinHandle::is_finished) {
            if let Some(task) = self.in_flight.take() {
                let decoded = Self::join(task).await?;
                self.absorb(decoded);
            }
        }
        Ok(())
    }

    /// Starts the decode a pause asked for, once no other decode of this
    /// stream runs. It queues like a final (it usually *is* the final:
    /// `finish` reuses it when only silence followed). Nothing is started
    /// when the audio since the last decode began is silent.
    fn start_pause_decode(&mut self) {
        if !self.pause_pending || self.in_flight.is_some() {
            return;
        }
        self.pause_pending = false;
        let new_audio = &self.samples[self.last_started.min(self.samples.len())..];
        if new_audio.is_empty() || guard::is_quiet(new_audio) {
            return;
        }
        self.last_started = self.samples.len();
        self.in_flight = Some(self.spawn(self.model.reserve()));
    }

    fn transcript(decoded: &Decoded, is_final: bool) -> Transcript {
        Transcript {
            text: decoded.text.clone(),
            language: if decoded.text.is_empty() {
                None
            } else {
                decoded.language
            },
            is_final,
        }
    }
}

#[async_trait]
impl RecognitionStream for WhisperStream {
    async fn push(&mut self, audio: &AudioChunk) -> Result<(), SpeechError> {
        let cap = self.model.config().max_utterance_ms as usize * SAMPLES_PER_MS;
        let room = cap.saturating_sub(self.samples.len());
        let take = room.min(audio.samples.len());
        self.samples.extend_from_slice(&audio.samples[..take]);
        if take < audio.samples.len() {
            // Keep the first 28 s: a VAD splits real turns long before this.
            self.dropped_samples += audio.samples.len() - take;
            tracing::debug!(
                dropped_ms = self.dropped_samples / SAMPLES_PER_MS,
                "utterance longer than whisper window"
            );
        }
        Ok(())
    }

    /// Returns a transcript only when a newer background decode has finished
    /// since the last call; never waits for a decode.
    async fn partial(&mut self) -> Result<Option<Transcript>, SpeechError> {
        self.collect_finished().await?;
        self.start_pause_decode();
        let interval = self.model.config().partial_interval_ms as usize * SAMPLES_PER_MS;
        let new_audio = &self.samples[self.last_started.min(self.samples.len())..];
        let due = self.in_flight.is_none()
            && self.samples.len() >= FIRST_PARTIAL_MS * SAMPLES_PER_MS
            && new_audio.len() >= interval
            // Trailing silence cannot change the text: save the CPU.
            && !guard::is_quiet(new_audio);
        if due {
            if let Some(busy) = self.model.reserve_if_uncontended() {
                self.last_started = self.samples.len();
                self.in_flight = Some(self.spawn(busy));
            }
        }
        match &self.last {
            Some(decoded) if decoded.samples > self.last_reported => {
                self.last_reported = decoded.samples;
                Ok(Some(Self::transcript(decoded, false)))
            }
            _ => Ok(None),
        }
    }

    async fn pause(&mut self) -> Result<(), SpeechError> {
        self.collect_finished().await?;
        self.pause_pending = true;
        self.start_pause_decode();
        Ok(())
    }

    async fn decoded(&mut self) -> Result<(), SpeechError> {
        let Some(task) = self.in_flight.as_mut() else {
            return std::future::pending().await;
        };
        // Awaiting `&mut JoinHandle` is cancel-safe: if this future is
        // dropped first, the task and its result stay in `in_flight`.
        let joined = task.await;
        self.in_flight = None;
        let decoded = joined.map_err(join_error)??;
        self.absorb(decoded);
        self.start_pause_decode();
        Ok(())
    }

    async fn finish(&mut self) -> Result<Transcript, SpeechError> {
        self.pause_pending = false;
        if let Some(task) = self.in_flight.take() {
            let decoded = Self::join(task).await?;
            self.absorb(decoded);
        }
        let reusable = self.last.as_ref().filter(|d| {
            d.samples <= self.samples.len() && guard::is_quiet(&self.samples[d.samples..])
        });
        let decoded = if let Some(decoded) = reusable {
            tracing::debug!(
                reused_ms = decoded.samples / SAMPLES_PER_MS,
                "final transcript from last partial"
            );
            decoded.clone()
        } else {
            let decoded = Self::join(self.spawn(self.model.reserve())).await?;
            self.absorb(decoded.clone());
            decoded
        };
        let transcript = Self::transcript(&decoded, true);
        self.samples.clear();
        self.last = None;
        self.last_reported = 0;
        self.last_started = 0;
        Ok(transcript)
    }
}
