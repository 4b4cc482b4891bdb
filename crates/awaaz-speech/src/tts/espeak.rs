//! The `espeak-ng` program: IPA phonemes for Piper, and the Hindi voice.
//!
//! We run the program rather than link libespeak-ng: the library keeps one
//! global, non-thread-safe voice state (every call would serialise on a lock
//! and Hindi synthesis would block English phonemisation), and linking it
//! would need `unsafe` FFI, which this workspace forbids. A run costs about
//! 15–20 ms on the 2-core reference machine (measured in docs/benchmarks.md,
//! "TTS"), small next to Piper's inference and paid on a blocking thread.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::SpeechError;

/// How to run `espeak-ng`.
#[derive(Debug, Clone)]
pub struct Espeak {
    program: PathBuf,
}

impl Default for Espeak {
    fn default() -> Self {
        Self::new()
    }
}

impl Espeak {
    /// `espeak-ng` from `AWAAZ_ESPEAK` or the `PATH`.
    pub fn new() -> Self {
        let program =
            std::env::var_os("AWAAZ_ESPEAK").map_or_else(|| "espeak-ng".into(), PathBuf::from);
        Self { program }
    }

    /// A specific `espeak-ng` binary.
    pub fn with_program(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
        }
    }

    /// IPA phonemes of `text` in espeak voice `voice`, one string per clause
    /// espeak found (it breaks at , ; : . ? ! and dashes), stress marks kept,
    /// language-switch markers such as `(en)` removed — what Piper's
    /// phonemiser feeds its voices.
    pub fn phonemes(&self, text: &str, voice: &str) -> Result<Vec<String>, SpeechError> {
        let out = self.run(&["-q", "--ipa"], text, voice)?;
        let text =
            String::from_utf8(out).map_err(|_| inference("espeak-ng printed invalid UTF-8"))?;
        Ok(text
            .lines()
            .map(|l| strip_language_switches(l.trim()))
            .filter(|l| !l.is_empty())
            .collect())
    }

    /// Speaks `text` with voice `voice` at `rate_wpm` words per minute:
    /// returns (sample rate, mono PCM16 samples).
    pub fn synthesize(
        &self,
        text: &str,
        voice: &str,
        rate_wpm: u32,
    ) -> Result<(u32, Vec<i16>), SpeechError> {
        let rate = rate_wpm.clamp(80, 450).to_string();
        let wav = self.run(&["--stdout", "-s", &rate], text, voice)?;
        parse_wav(&wav)
    }

    fn run(&self, args: &[&str], text: &str, voice: &str) -> Result<Vec<u8>, SpeechError> {
        // The voice name comes from a model's JSON; refuse anything that could
        // be read as another option.
        if voice.is_empty()
            || voice.starts_with('-')
            || !voice
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_+".contains(c))
        {
            return Err(inference("invalid espeak voice name"));
        }
        // Text goes through stdin so that it can never be taken for an option;
        // -b 1 says it is UTF-8.
        let mut child = Command::new(&self.program)
            .args(["-b", "1", "-v", voice])
            .args(args)
            .arg("--stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| SpeechError::Load {
                what: "espeak-ng",
                path: self.program.display().to_string(),
                reason: e.to_string(),
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A newline ends the text, as if typed.
            stdin
                .write_all(text.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .map_err(|e| inference(&format!("writing to espeak-ng: {e}")))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| inference(&format!("espeak-ng: {e}")))?;
        if !output.status.success() {
            return Err(inference(&format!(
                "espeak-ng exited with {}",
                output.status
            )));
        }
        Ok(output.stdout)
    }
}

fn inference(reason: &str) -> SpeechError {
    SpeechError::Inference {
        engine: "espeak-ng",
        reason: reason.to_owned(),
    }
}

/// espeak marks words it read with another language's rules as `(en)…(hi)`;
/// Piper drops those markers, and so do we.
fn strip_language_switches(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        match after.find(')') {
            Some(close)
                if (2..=8).contains(&close)
                    && after[..close]
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-') =>
            {
                out.push_str(&rest[..open]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The WAV espeak-ng writes to a pipe: RIFF, a `fmt ` chunk, then `data` whose
/// length field is a placeholder (it cannot seek back), so the samples are
/// everything after the `data` header.
fn parse_wav(bytes: &[u8]) -> Result<(u32, Vec<i16>), SpeechError> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(inference("espeak-ng did not write a WAV file"));
    }
    let mut pos = 12;
    let mut sample_rate = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]);
        let body = pos + 8;
        if id == b"fmt " {
            let fmt = bytes
                .get(body..body + 16)
                .ok_or_else(|| inference("short WAV fmt chunk"))?;
            let format = u16::from_le_bytes([fmt[0], fmt[1]]);
            let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
            let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
            if format != 1 || channels != 1 || bits != 16 {
                return Err(inference("espeak-ng WAV is not mono PCM16"));
            }
            sample_rate = Some(u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]));
        } else if id == b"data" {
            let rate = sample_rate.ok_or_else(|| inference("WAV data before fmt"))?;
            let samples = bytes[body..]
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            return Ok((rate, samples));
        }
        pos = body + size as usize + (size as usize & 1);
    }
    Err(inference("WAV without data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_switch_markers_are_removed() {
        assert_eq!(
            strip_language_switches("nəmˈʌsteː (en)tˈɛst(hi) dˈoːstõ"),
            "nəmˈʌsteː tˈɛst dˈoːstõ"
        );
        assert_eq!(strip_language_switches("a (b c) d"), "a (b c) d");
        assert_eq!(strip_language_switches("x(("), "x((");
    }

    #[test]
    fn wav_from_a_pipe_is_parsed_without_trusting_the_length() {
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF\x24\xf0\xff\x7fWAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes());
        wav.extend_from_slice(&22_050u32.to_le_bytes());
        wav.extend_from_slice(&44_100u32.to_le_bytes());
        wav.extend_from_slice(&2u16.to_le_bytes());
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data\x00\xf0\xff\x7f");
        wav.extend_from_slice(&[1, 0, 0xff, 0xff, 7]);
        assert_eq!(parse_wav(&wav).unwrap(), (22_050, vec![1, -1]));
        assert!(parse_wav(b"not a wav").is_err());
    }

    #[test]
    fn option_like_voice_names_are_refused() {
        let err = Espeak::new().phonemes("hi", "--help").unwrap_err();
        assert!(err.to_string().contains("invalid espeak voice"), "{err}");
    }
}
