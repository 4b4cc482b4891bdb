//! A synthesiser for tests: no model, deterministic output.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use awaaz_audio::{AudioChunk, SAMPLE_RATE_HZ};

use super::split_clauses;
use crate::{SpeechError, SpeechSynthesizer, SynthesisStream, Voice};

/// [`SpeechSynthesizer`] fake: each clause becomes `ms_per_char` of silence per
/// character, split like the real synthesiser (but without `speakable`, so
/// tests see the text they passed). It records what it was asked to say.
#[derive(Debug, Clone)]
pub struct SilentSynthesizer {
    ms_per_char: u32,
    spoken: Arc<Mutex<Vec<(String, Voice)>>>,
}

impl Default for SilentSynthesizer {
    fn default() -> Self {
        Self::new()
    }
}

impl SilentSynthesizer {
    /// 60 ms per character: about a real voice's pace.
    pub fn new() -> Self {
        Self::with_ms_per_char(60)
    }

    /// A chosen pace.
    pub fn with_ms_per_char(ms_per_char: u32) -> Self {
        Self {
            ms_per_char,
            spoken: Arc::default(),
        }
    }

    /// Every text passed to `synthesize`, in order, with its voice.
    pub fn spoken(&self) -> Vec<(String, Voice)> {
        self.spoken.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Samples this fake makes for `clause`.
    pub fn samples_for(&self, clause: &str) -> usize {
        let chars = clause.chars().count() as u64;
        let samples = chars * u64::from(self.ms_per_char) * u64::from(SAMPLE_RATE_HZ) / 1000;
        usize::try_from(samples).unwrap_or(usize::MAX)
    }
}

#[async_trait]
impl SpeechSynthesizer for SilentSynthesizer {
    async fn synthesize(
        &self,
        text: &str,
        voice: Voice,
    ) -> Result<Box<dyn SynthesisStream>, SpeechError> {
        if let Ok(mut spoken) = self.spoken.lock() {
            spoken.push((text.to_owned(), voice));
        }
        let clauses = split_clauses(text, 40)
            .into_iter()
            .map(|c| {
                let audio = AudioChunk::new(vec![0; self.samples_for(&c)]);
                (c, audio)
            })
            .collect();
        Ok(Box::new(SilentStream { clauses }))
    }
}

struct SilentStream {
    clauses: std::collections::VecDeque<(String, AudioChunk)>,
}

#[async_trait]
impl SynthesisStream for SilentStream {
    async fn next(&mut self) -> Result<Option<(String, AudioChunk)>, SpeechError> {
        Ok(self.clauses.pop_front())
    }
}
