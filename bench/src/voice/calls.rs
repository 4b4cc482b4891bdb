//! The synthetic callers: what they say, in which language, and their
//! phone-quality audio (espeak-ng → μ-law 8 kHz → PCM16 16 kHz with sox).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _};

/// The caller's language; decides the espeak-ng voice and how WER is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Lang {
    /// English, `-v en-us`.
    English,
    /// Romanised Hindi-English mix read by the English voice `-v en`.
    Hinglish,
    /// Hindi in Devanagari, `-v hi`.
    Hindi,
}

impl Lang {
    pub(crate) fn voice(self) -> &'static str {
        match self {
            Self::English => "en-us",
            Self::Hinglish => "en",
            Self::Hindi => "hi",
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::English => "english",
            Self::Hinglish => "hinglish",
            Self::Hindi => "hindi",
        }
    }
}

/// One scripted call: 1–2 caller turns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Script {
    pub(crate) lang: Lang,
    pub(crate) turns: &'static [&'static str],
}

/// 8 English, 6 Hinglish, 6 Hindi calls about the demo shop; `--calls N`
/// cycles through them.
pub(crate) const SCRIPTS: &[Script] = &[
    Script {
        lang: Lang::English,
        turns: &["Where is my order 45678?", "Thank you, goodbye."],
    },
    Script {
        lang: Lang::English,
        turns: &["I want to return the blue kurta I bought last week."],
    },
    Script {
        lang: Lang::English,
        turns: &[
            "Can you check the status of my order please?",
            "Okay, thank you.",
        ],
    },
    Script {
        lang: Lang::English,
        turns: &["My parcel has not arrived yet and I am worried."],
    },
    Script {
        lang: Lang::English,
        turns: &[
            "Do you have the red saree in stock?",
            "Thanks, that is all.",
        ],
    },
    Script {
        lang: Lang::English,
        turns: &["I would like a refund for my pressure cooker."],
    },
    Script {
        lang: Lang::English,
        turns: &["Please cancel my order 12345.", "Yes, please cancel it."],
    },
    Script {
        lang: Lang::English,
        turns: &["When will my delivery come?"],
    },
    Script {
        lang: Lang::Hinglish,
        turns: &["Mera order kahan hai?", "Theek hai, dhanyavaad."],
    },
    Script {
        lang: Lang::Hinglish,
        turns: &["Mujhe blue kurta return karna hai."],
    },
    Script {
        lang: Lang::Hinglish,
        turns: &["Order 45678 ka status bataiye.", "Accha, shukriya."],
    },
    Script {
        lang: Lang::Hinglish,
        turns: &["Mera parcel abhi tak nahi aaya."],
    },
    Script {
        lang: Lang::Hinglish,
        turns: &["Red saree stock mein hai kya?", "Bas itna hi, thank you."],
    },
    Script {
        lang: Lang::Hinglish,
        turns: &["Mujhe refund chahiye please."],
    },
    Script {
        lang: Lang::Hindi,
        turns: &["मेरा ऑर्डर कहाँ है?", "ठीक है, धन्यवाद।"],
    },
    Script {
        lang: Lang::Hindi,
        turns: &["मुझे अपना कुर्ता वापस करना है।"],
    },
    Script {
        lang: Lang::Hindi,
        turns: &["मेरा पार्सल अभी तक नहीं आया।", "अच्छा, शुक्रिया।"],
    },
    Script {
        lang: Lang::Hindi,
        turns: &["मुझे पैसे वापस चाहिए।"],
    },
    Script {
        lang: Lang::Hindi,
        turns: &["क्या लाल साड़ी उपलब्ध है?", "बस इतना ही।"],
    },
    Script {
        lang: Lang::Hindi,
        turns: &["मेरी डिलीवरी कब आएगी?"],
    },
];

/// `n` calls: the set in an order that spreads the languages evenly
/// (each script at its position within its language, as a fraction), so
/// `--quick` with 3 calls gets one of each language and 20 calls get the
/// whole 8/6/6 set; cycles when `n` exceeds the set.
pub(crate) fn pick(n: usize) -> Vec<Script> {
    let mut keyed: Vec<(f64, Lang, Script)> = Vec::with_capacity(SCRIPTS.len());
    for lang in [Lang::English, Lang::Hinglish, Lang::Hindi] {
        let of: Vec<Script> = SCRIPTS.iter().copied().filter(|s| s.lang == lang).collect();
        for (k, s) in of.iter().enumerate() {
            // Script counts are tiny; the conversions are exact.
            #[allow(clippy::cast_precision_loss)]
            let at = k as f64 / of.len() as f64;
            keyed.push((at, lang, *s));
        }
    }
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    keyed
        .into_iter()
        .map(|(_, _, s)| s)
        .cycle()
        .take(n)
        .collect()
}

/// Speaks `text` with espeak-ng and passes it through a phone line: μ-law
/// 8 kHz, then back to PCM16 mono 16 kHz (what the call sees from a carrier
/// adapter).
pub(crate) fn phone_audio(
    text: &str,
    lang: Lang,
    dir: &Path,
    name: &str,
) -> anyhow::Result<Vec<i16>> {
    let raw = dir.join(format!("{name}.espeak.wav"));
    let ulaw = dir.join(format!("{name}.ulaw.wav"));
    let out = dir.join(format!("{name}.16k.wav"));
    run(Command::new("espeak-ng")
        .args(["-v", lang.voice(), "-w"])
        .arg(&raw)
        .arg(text))?;
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-e", "u-law", "-b", "8"])
        .arg(&ulaw))?;
    run(Command::new("sox")
        .arg(&ulaw)
        .args(["-r", "16000", "-c", "1", "-e", "signed-integer", "-b", "16"])
        .arg(&out))?;
    let reader = hound::WavReader::open(&out).context("cannot read sox output")?;
    let spec = reader.spec();
    if spec.sample_rate != 16_000 || spec.channels != 1 || spec.bits_per_sample != 16 {
        bail!("sox wrote {spec:?}, expected 16 kHz mono PCM16");
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .context("corrupt sox output")
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let output = cmd
        .output()
        .with_context(|| format!("cannot run {program} (is it installed?)"))?;
    if !output.status.success() {
        bail!(
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_is_8_6_6_and_pick_rotates_languages() {
        let count = |l| SCRIPTS.iter().filter(|s| s.lang == l).count();
        assert_eq!(
            (
                count(Lang::English),
                count(Lang::Hinglish),
                count(Lang::Hindi)
            ),
            (8, 6, 6)
        );
        assert!(SCRIPTS.iter().all(|s| (1..=2).contains(&s.turns.len())));
        let langs: Vec<Lang> = pick(4).iter().map(|s| s.lang).collect();
        assert_eq!(
            langs,
            [Lang::English, Lang::Hinglish, Lang::Hindi, Lang::English]
        );
        let all = pick(20);
        let of = |l| all.iter().filter(|s| s.lang == l).count();
        assert_eq!(
            (of(Lang::English), of(Lang::Hinglish), of(Lang::Hindi)),
            (8, 6, 6)
        );
        assert_eq!(pick(45).len(), 45);
        assert_eq!(pick(21)[20].turns, pick(1)[0].turns);
    }
}
