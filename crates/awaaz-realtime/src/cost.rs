//! What a response costs: token usage × list prices.

use std::ops::{Add, AddAssign};

use crate::Usage;

/// List prices in US dollars per one million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// Uncached text input.
    pub text_input: f64,
    /// Uncached audio input.
    pub audio_input: f64,
    /// Cached input (text and audio are priced alike).
    pub cached_input: f64,
    /// Text output (transcripts count here).
    pub text_output: f64,
    /// Audio output.
    pub audio_output: f64,
}

impl Prices {
    /// `gpt-realtime` list prices: text $4.00 in / $0.40 cached / $16.00 out,
    /// audio $32.00 in / $0.40 cached / $64.00 out, per 1M tokens.
    ///
    /// Source: OpenAI's model pages, Pricing section
    /// (developers.openai.com/api/docs/models/gpt-realtime and
    /// …/gpt-realtime-1.5, which list the same figures). Prices change:
    /// check them before relying on these for billing.
    pub const GPT_REALTIME: Self = Self {
        text_input: 4.00,
        audio_input: 32.00,
        cached_input: 0.40,
        text_output: 16.00,
        audio_output: 64.00,
    };

    /// `gpt-realtime-mini` list prices: text $0.60 in / $0.06 cached /
    /// $2.40 out, audio $10.00 in / $0.30 cached / $20.00 out, per 1M tokens
    /// (same source, gpt-realtime-2.1-mini page). Cached text and audio
    /// differ for this model; the audio figure is used, which over-states a
    /// cached-text-heavy bill slightly.
    pub const GPT_REALTIME_MINI: Self = Self {
        text_input: 0.60,
        audio_input: 10.00,
        cached_input: 0.30,
        text_output: 2.40,
        audio_output: 20.00,
    };

    /// The cost of one response's usage.
    ///
    /// Cached tokens are a subset of input tokens and are billed at
    /// [`Prices::cached_input`]; the rest at the modality's price. When the
    /// server gives no cached split, cached tokens are taken from text first
    /// (the cached prefix is mostly instructions and tools). When it gives no
    /// modality split at all, input and output are priced as audio — an upper
    /// bound, so budgets err on the safe side.
    pub fn cost(&self, usage: &Usage) -> Cost {
        let (text_in, audio_in, cached_text, cached_audio) = match &usage.input_token_details {
            Some(d) => {
                let (cached_text, cached_audio) = match &d.cached_tokens_details {
                    Some(c) => (c.text_tokens, c.audio_tokens),
                    None => {
                        let from_text = d.cached_tokens.min(d.text_tokens);
                        (from_text, d.cached_tokens - from_text)
                    }
                };
                (d.text_tokens, d.audio_tokens, cached_text, cached_audio)
            }
            None => (0, usage.input_tokens, 0, 0),
        };
        let (text_out, audio_out) = match &usage.output_token_details {
            Some(d) => (d.text_tokens, d.audio_tokens),
            None => (0, usage.output_tokens),
        };
        let uncached_text = text_in.saturating_sub(cached_text);
        let uncached_audio = audio_in.saturating_sub(cached_audio);
        let cached = cached_text.min(text_in) + cached_audio.min(audio_in);
        #[allow(clippy::cast_precision_loss)] // token counts stay far below 2^52
        let usd = (uncached_text as f64 * self.text_input
            + uncached_audio as f64 * self.audio_input
            + cached as f64 * self.cached_input
            + text_out as f64 * self.text_output
            + audio_out as f64 * self.audio_output)
            / 1_000_000.0;
        Cost { usd }
    }
}

impl Default for Prices {
    fn default() -> Self {
        Self::GPT_REALTIME
    }
}

/// A round US dollar → Indian rupee rate for rough estimates (₹88 per $1).
/// Exchange rates move: configure your own for anything that matters.
pub const DEFAULT_INR_PER_USD: f64 = 88.0;

/// A cost in US dollars; add them up over a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Cost {
    /// US dollars.
    pub usd: f64,
}

impl Cost {
    /// The cost in Indian rupees at `inr_per_usd` rupees per dollar.
    pub fn inr(self, inr_per_usd: f64) -> f64 {
        self.usd * inr_per_usd
    }
}

impl Add for Cost {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self {
            usd: self.usd + rhs.usd,
        }
    }
}

impl AddAssign for Cost {
    fn add_assign(&mut self, rhs: Self) {
        self.usd += rhs.usd;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CachedTokenDetails, InputTokenDetails, OutputTokenDetails};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn cost_with_full_breakdown() {
        // 1000 text in (400 cached), 2000 audio in (1000 cached), 100 text out, 500 audio out.
        let usage = Usage {
            total_tokens: 3600,
            input_tokens: 3000,
            output_tokens: 600,
            input_token_details: Some(InputTokenDetails {
                text_tokens: 1000,
                audio_tokens: 2000,
                image_tokens: None,
                cached_tokens: 1400,
                cached_tokens_details: Some(CachedTokenDetails {
                    text_tokens: 400,
                    audio_tokens: 1000,
                    image_tokens: None,
                }),
            }),
            output_token_details: Some(OutputTokenDetails {
                text_tokens: 100,
                audio_tokens: 500,
            }),
        };
        let cost = Prices::GPT_REALTIME.cost(&usage);
        // 600*4 + 1000*32 + 1400*0.4 + 100*16 + 500*64 = 2400+32000+560+1600+32000 = 68560 per 1M
        assert!(close(cost.usd, 0.068_56), "{}", cost.usd);
        assert!(close(cost.inr(88.0), 0.068_56 * 88.0));
    }

    #[test]
    fn cached_without_split_comes_from_text_first() {
        let usage = Usage {
            input_tokens: 300,
            input_token_details: Some(InputTokenDetails {
                text_tokens: 100,
                audio_tokens: 200,
                cached_tokens: 150,
                ..InputTokenDetails::default()
            }),
            ..Usage::default()
        };
        // text: 100 cached; audio: 50 cached, 150 uncached.
        let cost = Prices::GPT_REALTIME.cost(&usage);
        assert!(
            close(cost.usd, (150.0 * 32.0 + 150.0 * 0.4) / 1e6),
            "{}",
            cost.usd
        );
    }

    #[test]
    fn no_breakdown_is_priced_as_audio() {
        let usage = Usage {
            total_tokens: 300,
            input_tokens: 100,
            output_tokens: 200,
            ..Usage::default()
        };
        let cost = Prices::GPT_REALTIME.cost(&usage);
        assert!(close(cost.usd, (100.0 * 32.0 + 200.0 * 64.0) / 1e6));
        let mut total = Cost::default();
        total += cost;
        total += cost;
        assert!(close(total.usd, 2.0 * cost.usd));
    }
}
