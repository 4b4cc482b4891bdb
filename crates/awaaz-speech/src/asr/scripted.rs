//! A hand-written recogniser fake: each utterance yields the next scripted
//! transcript, whatever audio was pushed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use awaaz_audio::AudioChunk;

use crate::{
    RecognitionHints, RecognitionStream, SpeechError, SpeechLanguage, SpeechRecognizer, Transcript,
};

/// [`SpeechRecognizer`] that returns scripted transcripts in order.
///
/// * `start` takes the next transcript (an exhausted script behaves like
///   silence: empty final text) and records the hints it was given;
/// * `partial` returns the first word once, after some audio was pushed;
/// * `finish` returns the whole transcript, `is_final: true`.
///
/// The language is Hindi when the text has Devanagari or Arabic-script
/// letters, English otherwise.
#[derive(Debug, Clone, Default)]
pub struct ScriptedRecognizer {
    shared: Arc<Mutex<Shared>>,
}

#[derive(Debug, Default)]
struct Shared {
    script: VecDeque<String>,
    hints: Vec<RecognitionHints>,
    audio_ms: Vec<u64>,
}

impl ScriptedRecognizer {
    /// A recogniser that will hear `transcripts`, one per utterance.
    pub fn new<I, S>(transcripts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let shared = Shared {
            script: transcripts.into_iter().map(Into::into).collect(),
            ..Shared::default()
        };
        Self {
            shared: Arc::new(Mutex::new(shared)),
        }
    }

    /// Appends one more utterance to the script.
    pub fn push_utterance(&self, text: impl Into<String>) {
        self.lock().script.push_back(text.into());
    }

    /// Transcripts not yet used.
    pub fn remaining(&self) -> usize {
        self.lock().script.len()
    }

    /// The hints passed to each `start`, in order.
    pub fn hints_seen(&self) -> Vec<RecognitionHints> {
        self.lock().hints.clone()
    }

    /// Milliseconds of audio pushed into each finished utterance, in order.
    pub fn audio_ms_heard(&self) -> Vec<u64> {
        self.lock().audio_ms.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panicking test thread must not hide the script from the others.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn language_of(text: &str) -> Option<SpeechLanguage> {
    if text.trim().is_empty() {
        None
    } else if text
        .chars()
        .any(|c| matches!(c, '\u{0900}'..='\u{097F}' | '\u{0600}'..='\u{06FF}'))
    {
        Some(SpeechLanguage::Hindi)
    } else {
        Some(SpeechLanguage::English)
    }
}

#[async_trait]
impl SpeechRecognizer for ScriptedRecognizer {
    async fn start(
        &self,
        hints: &RecognitionHints,
    ) -> Result<Box<dyn RecognitionStream>, SpeechError> {
        let mut shared = self.lock();
        shared.hints.push(hints.clone());
        let text = shared.script.pop_front().unwrap_or_default();
        Ok(Box::new(ScriptedStream {
            owner: self.clone(),
            text,
            audio_ms: 0,
            partial_sent: false,
        }))
    }
}

struct ScriptedStream {
    owner: ScriptedRecognizer,
    text: String,
    audio_ms: u64,
    partial_sent: bool,
}

#[async_trait]
impl RecognitionStream for ScriptedStream {
    async fn push(&mut self, audio: &AudioChunk) -> Result<(), SpeechError> {
        self.audio_ms += audio.duration_ms();
        Ok(())
    }

    async fn partial(&mut self) -> Result<Option<Transcript>, SpeechError> {
        if self.audio_ms == 0 || self.partial_sent {
            return Ok(None);
        }
        let Some(first) = self.text.split_whitespace().next() else {
            return Ok(None);
        };
        self.partial_sent = true;
        Ok(Some(Transcript {
            text: first.to_owned(),
            language: language_of(&self.text),
            is_final: false,
        }))
    }

    async fn finish(&mut self) -> Result<Transcript, SpeechError> {
        self.owner.lock().audio_ms.push(self.audio_ms);
        let text = std::mem::take(&mut self.text);
        Ok(Transcript {
            language: language_of(&text),
            text,
            is_final: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn yields_scripted_transcripts_in_order_then_silence() {
        let asr = ScriptedRecognizer::new(["where is my order", "मेरा ऑर्डर कहाँ है"]);
        let hints = RecognitionHints {
            vocabulary: vec!["kurta".into()],
            language: None,
        };

        let mut first = asr.start(&hints).await.expect("start");
        assert_eq!(
            first.partial().await.expect("partial"),
            None,
            "no audio yet"
        );
        first
            .push(&AudioChunk::new(vec![0; 16_000]))
            .await
            .expect("push");
        let partial = first
            .partial()
            .await
            .expect("partial")
            .expect("a partial after audio");
        assert_eq!(partial.text, "where");
        assert!(!partial.is_final);
        assert_eq!(first.partial().await.expect("partial"), None, "only once");
        let fin = first.finish().await.expect("finish");
        assert_eq!(
            fin,
            Transcript {
                text: "where is my order".into(),
                language: Some(SpeechLanguage::English),
                is_final: true
            }
        );

        let mut second = asr
            .start(&RecognitionHints::default())
            .await
            .expect("start");
        assert_eq!(
            second.finish().await.expect("finish").language,
            Some(SpeechLanguage::Hindi)
        );

        let mut third = asr
            .start(&RecognitionHints::default())
            .await
            .expect("start");
        assert_eq!(
            third.finish().await.expect("finish"),
            Transcript {
                text: String::new(),
                language: None,
                is_final: true
            }
        );

        assert_eq!(asr.hints_seen()[0], hints);
        assert_eq!(asr.audio_ms_heard(), vec![1_000, 0, 0]);
        assert_eq!(asr.remaining(), 0);
    }
}
