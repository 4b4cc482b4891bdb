//! G.711 (ITU-T) μ-law and A-law companding, computed without tables.
//!
//! Telephone carriers (Twilio, Exotel, Plivo) send 8 kHz μ-law (North America,
//! India) or A-law (Europe). One byte encodes one sample; the decoded value is
//! the midpoint of the quantisation interval, so the round-trip error is at
//! most half a step: 4·2^segment for μ-law (plus clipping above ±32 635) and
//! 8·2^max(segment-1,0) for A-law.

/// Which G.711 law a stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// μ-law (PCMU, payload type 0), used by Twilio and most Indian carriers.
    MuLaw,
    /// A-law (PCMA, payload type 8).
    ALaw,
}

impl Law {
    /// Encodes PCM16 samples, one byte per sample.
    pub fn encode(self, pcm: &[i16]) -> Vec<u8> {
        match self {
            Self::MuLaw => ulaw_encode(pcm),
            Self::ALaw => alaw_encode(pcm),
        }
    }

    /// Decodes bytes to PCM16 samples.
    pub fn decode(self, bytes: &[u8]) -> Vec<i16> {
        match self {
            Self::MuLaw => ulaw_decode(bytes),
            Self::ALaw => alaw_decode(bytes),
        }
    }
}

/// μ-law bias: shifts the input so every segment starts on a power of two.
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude μ-law can represent before the biased value overflows 15 bits.
const ULAW_CLIP: i32 = 32_635;

/// Encodes one PCM16 sample to μ-law.
#[allow(clippy::cast_possible_truncation)] // codes fit in 8 bits and decoded values in i16, by construction
pub fn ulaw_encode_sample(sample: i16) -> u8 {
    let mut magnitude = i32::from(sample);
    let sign = if magnitude < 0 {
        magnitude = -magnitude;
        0x80
    } else {
        0
    };
    let biased = magnitude.min(ULAW_CLIP) + ULAW_BIAS;
    // biased is in [0x84, 0x7FFF]: its top set bit is bit 7..=14, the segment is that minus 7.
    let segment = (31 - biased.leading_zeros() as i32 - 7).clamp(0, 7);
    let mantissa = (biased >> (segment + 3)) & 0x0F;
    let code = sign | (segment << 4) | mantissa;
    // The complement keeps long runs of zero bits off the wire (a T1 requirement).
    !(code as u8)
}

/// Decodes one μ-law byte to PCM16.
#[allow(clippy::cast_possible_truncation)] // codes fit in 8 bits and decoded values in i16, by construction
pub fn ulaw_decode_sample(byte: u8) -> i16 {
    let code = i32::from(!byte);
    let segment = (code >> 4) & 0x07;
    let mantissa = code & 0x0F;
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << segment) - ULAW_BIAS;
    let value = if code & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    };
    // |value| ≤ 32 124, always within i16.
    value as i16
}

/// Encodes one PCM16 sample to A-law.
#[allow(clippy::cast_possible_truncation)] // codes fit in 8 bits and decoded values in i16, by construction
pub fn alaw_encode_sample(sample: i16) -> u8 {
    // A-law works on 13 bits.
    let mut pcm = i32::from(sample) >> 3;
    let mask: i32 = if pcm >= 0 {
        0xD5
    } else {
        // One's complement for negatives: -1 maps to the smallest negative code.
        pcm = -pcm - 1;
        0x55
    };
    // Segment ends (inclusive) are 0x1F, 0x3F, 0x7F, … 0xFFF: segment = bit length - 5.
    let bits = 32 - pcm.leading_zeros() as i32;
    let segment = (bits - 5).max(0);
    let code = if segment >= 8 {
        0x7F
    } else {
        let shift = if segment < 2 { 1 } else { segment };
        (segment << 4) | ((pcm >> shift) & 0x0F)
    };
    // Toggling even bits (0x55) keeps the line busy with transitions, as the standard asks.
    (code ^ mask) as u8
}

/// Decodes one A-law byte to PCM16.
#[allow(clippy::cast_possible_truncation)] // codes fit in 8 bits and decoded values in i16, by construction
pub fn alaw_decode_sample(byte: u8) -> i16 {
    let code = i32::from(byte ^ 0x55);
    let mut magnitude = (code & 0x0F) << 4;
    let segment = (code & 0x70) >> 4;
    match segment {
        0 => magnitude += 8,
        1 => magnitude += 0x108,
        _ => {
            magnitude += 0x108;
            magnitude <<= segment - 1;
        }
    }
    let value = if code & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    };
    // |value| ≤ 32 256, always within i16.
    value as i16
}

/// Encodes PCM16 samples to μ-law bytes.
pub fn ulaw_encode(pcm: &[i16]) -> Vec<u8> {
    pcm.iter().map(|&s| ulaw_encode_sample(s)).collect()
}

/// Decodes μ-law bytes to PCM16 samples.
pub fn ulaw_decode(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| ulaw_decode_sample(b)).collect()
}

/// Encodes PCM16 samples to A-law bytes.
pub fn alaw_encode(pcm: &[i16]) -> Vec<u8> {
    pcm.iter().map(|&s| alaw_encode_sample(s)).collect()
}

/// Decodes A-law bytes to PCM16 samples.
pub fn alaw_decode(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| alaw_decode_sample(b)).collect()
}

/// Encodes PCM16 samples to μ-law, appending to `out` (no allocation when it has room).
pub fn ulaw_encode_into(pcm: &[i16], out: &mut Vec<u8>) {
    out.extend(pcm.iter().map(|&s| ulaw_encode_sample(s)));
}

/// Decodes μ-law bytes, appending the samples to `out`.
pub fn ulaw_decode_into(bytes: &[u8], out: &mut Vec<i16>) {
    out.extend(bytes.iter().map(|&b| ulaw_decode_sample(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Half a quantisation step of the μ-law segment `x` falls in, plus clipping.
    fn ulaw_bound(x: i16) -> i32 {
        let magnitude = i32::from(x).abs();
        if magnitude > ULAW_CLIP {
            // Clipped to the top code (32 124).
            return magnitude - 32_124;
        }
        let segment = i32::from((!ulaw_encode_sample(x) >> 4) & 0x07);
        4 << segment
    }

    fn alaw_bound(x: i16) -> i32 {
        let segment = i32::from(((alaw_encode_sample(x) ^ 0x55) >> 4) & 0x07);
        if segment < 2 {
            8
        } else {
            8 << (segment - 1)
        }
    }

    #[test]
    fn ulaw_reference_values() {
        // Values from the ITU-T G.711 μ-law tables (and every open implementation).
        assert_eq!(ulaw_encode_sample(0), 0xFF);
        assert_eq!(ulaw_encode_sample(-1), 0x7F);
        assert_eq!(ulaw_encode_sample(i16::MAX), 0x80);
        assert_eq!(ulaw_encode_sample(i16::MIN), 0x00);
        assert_eq!(ulaw_encode_sample(1000), 0xCE);
        assert_eq!(ulaw_decode_sample(0xFF), 0);
        assert_eq!(ulaw_decode_sample(0x7F), 0);
        assert_eq!(ulaw_decode_sample(0x80), 32_124);
        assert_eq!(ulaw_decode_sample(0x00), -32_124);
        assert_eq!(ulaw_decode_sample(0xCE), 988);
        assert_eq!(ulaw_decode_sample(0xFE), 8);
        assert_eq!(ulaw_decode_sample(0xEF), 132);
    }

    #[test]
    fn alaw_reference_values() {
        assert_eq!(alaw_encode_sample(0), 0xD5);
        assert_eq!(alaw_encode_sample(-1), 0x55);
        assert_eq!(alaw_encode_sample(i16::MAX), 0xAA);
        assert_eq!(alaw_encode_sample(i16::MIN), 0x2A);
        assert_eq!(alaw_decode_sample(0xD5), 8);
        assert_eq!(alaw_decode_sample(0x55), -8);
        assert_eq!(alaw_decode_sample(0xAA), 32_256);
        assert_eq!(alaw_decode_sample(0x2A), -32_256);
        assert_eq!(alaw_encode_sample(1000), 0xFA);
        assert_eq!(alaw_decode_sample(0xFA), 1008);
    }

    #[test]
    fn every_sample_round_trips_within_bound() {
        for x in i16::MIN..=i16::MAX {
            let mu = ulaw_decode_sample(ulaw_encode_sample(x));
            assert!(
                (i32::from(x) - i32::from(mu)).abs() <= ulaw_bound(x),
                "μ-law {x} -> {mu}"
            );
            let a = alaw_decode_sample(alaw_encode_sample(x));
            assert!(
                (i32::from(x) - i32::from(a)).abs() <= alaw_bound(x),
                "A-law {x} -> {a}"
            );
        }
    }

    #[test]
    fn every_code_is_a_fixed_point() {
        // Decoding then re-encoding any byte gives the same byte, except μ-law's
        // two zeros (0x7F = "-0" re-encodes as 0xFF = "+0").
        for b in 0..=255u8 {
            let mu = ulaw_encode_sample(ulaw_decode_sample(b));
            if b == 0x7F {
                assert_eq!(mu, 0xFF);
            } else {
                assert_eq!(mu, b, "μ-law code {b:#04x}");
            }
            assert_eq!(
                alaw_encode_sample(alaw_decode_sample(b)),
                b,
                "A-law code {b:#04x}"
            );
        }
    }

    #[test]
    fn decoding_is_monotonic() {
        let mut prev = i16::MIN;
        for x in (i16::MIN..=i16::MAX).step_by(7) {
            let y = ulaw_decode_sample(ulaw_encode_sample(x));
            assert!(y >= prev);
            prev = y;
        }
    }

    proptest! {
        #[test]
        fn ulaw_slice_round_trip(pcm in proptest::collection::vec(any::<i16>(), 0..400)) {
            let bytes = Law::MuLaw.encode(&pcm);
            prop_assert_eq!(bytes.len(), pcm.len());
            let back = Law::MuLaw.decode(&bytes);
            for (&x, &y) in pcm.iter().zip(&back) {
                prop_assert!((i32::from(x) - i32::from(y)).abs() <= ulaw_bound(x));
                // Relative error of a log codec: about 1/32 of the magnitude, plus the smallest step.
                if i32::from(x).abs() <= ULAW_CLIP {
                    prop_assert!((i32::from(x) - i32::from(y)).abs() <= i32::from(x).abs() / 30 + 4);
                }
            }
        }

        #[test]
        fn alaw_slice_round_trip(pcm in proptest::collection::vec(any::<i16>(), 0..400)) {
            let back = Law::ALaw.decode(&Law::ALaw.encode(&pcm));
            prop_assert_eq!(back.len(), pcm.len());
            for (&x, &y) in pcm.iter().zip(&back) {
                prop_assert!((i32::from(x) - i32::from(y)).abs() <= alaw_bound(x));
                prop_assert_eq!(x < 0, y < 0);
            }
        }

        #[test]
        fn into_variants_match(pcm in proptest::collection::vec(any::<i16>(), 0..100)) {
            let mut bytes = vec![0xAB];
            ulaw_encode_into(&pcm, &mut bytes);
            prop_assert_eq!(&bytes[1..], &ulaw_encode(&pcm)[..]);
            let mut out = Vec::new();
            ulaw_decode_into(&bytes[1..], &mut out);
            prop_assert_eq!(out, ulaw_decode(&bytes[1..]));
        }
    }
}
