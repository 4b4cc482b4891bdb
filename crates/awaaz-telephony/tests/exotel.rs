//! Exotel Voicebot frames: the documented samples, the variants Exotel's own
//! samples show, the 320-byte chunk rule, and the exact text of what we send.

use awaaz_telephony::exotel::{
    self, CallSid, Chunker, Clear, Connected, Dtmf, Inbound, Mark, Media, MediaFormat, Outbound,
    Stop, StreamSid, Track,
};
use awaaz_telephony::Error;

fn sid() -> StreamSid {
    StreamSid::new("MZxxxxxxxxxxxxxxxxxxxxxxxx")
}

// Shapes from https://developer.exotel.com/docs/agentstream/websocket-protocol.

#[test]
fn documented_start_decodes() {
    let frame = r#"{
      "event": "start",
      "sequence_number": "1",
      "stream_sid": "MZxxxxxxxxxxxxxxxxxxxxxxxx",
      "start": {
        "stream_sid": "MZxxxxxxxxxxxxxxxxxxxxxxxx",
        "call_sid": "CAxxxxxxxxxxxxxxxxxxxxxxxx",
        "account_sid": "ACxxxxxxxxxxxxxxxxxxxxxxxx",
        "from": "+919876543210",
        "to": "+918047491899",
        "custom_parameters": { "key1": "value1" },
        "media_format": { "encoding": "audio/x-raw", "sample_rate": "8000", "bit_rate": "16" }
      }
    }"#;
    let Inbound::Start(start) = exotel::decode(frame).unwrap() else {
        panic!("not a start")
    };
    assert_eq!(start.sequence_number, Some(1));
    assert_eq!(start.stream_sid, sid());
    assert_eq!(start.call_sid, CallSid::new("CAxxxxxxxxxxxxxxxxxxxxxxxx"));
    assert_eq!(
        start.account_sid.as_deref(),
        Some("ACxxxxxxxxxxxxxxxxxxxxxxxx")
    );
    assert_eq!(
        start.from.as_ref().map(|n| n.as_str()),
        Some("+919876543210")
    );
    assert_eq!(start.to.as_ref().map(|n| n.as_str()), Some("+918047491899"));
    assert_eq!(start.custom_parameters.get("key1"), Some("value1"));
    assert_eq!(
        start.media_format,
        MediaFormat {
            encoding: "audio/x-raw".into(),
            sample_rate_hz: 8000,
            bit_rate: Some(16)
        }
    );
    // The caller's number never shows in Debug output.
    let shown = format!("{start:?}");
    assert!(
        !shown.contains("9876543210") && !shown.contains("8047491899"),
        "{shown}"
    );
}

#[test]
fn documented_media_dtmf_and_mark_decode() {
    let media = r#"{"event":"media","sequence_number":"3","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx","media":{"chunk":"2","timestamp":"200","payload":"AAD/fw=="}}"#;
    assert_eq!(
        exotel::decode(media).unwrap(),
        Inbound::Media(Media {
            sequence_number: Some(3),
            stream_sid: Some(sid()),
            track: None,
            chunk: Some(2),
            timestamp_ms: Some(200),
            payload: vec![0x00, 0x00, 0xff, 0x7f],
        })
    );
    let dtmf = r#"{"event":"dtmf","sequence_number":"7","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx","dtmf":{"digit":"5","duration":"100"}}"#;
    assert_eq!(
        exotel::decode(dtmf).unwrap(),
        Inbound::Dtmf(Dtmf {
            sequence_number: Some(7),
            stream_sid: Some(sid()),
            digit: '5',
            duration_ms: Some(100)
        })
    );
    let mark = r#"{"event":"mark","sequence_number":"15","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx","mark":{"name":"greeting-complete"}}"#;
    assert_eq!(
        exotel::decode(mark).unwrap(),
        Inbound::Mark(Mark {
            sequence_number: Some(15),
            stream_sid: Some(sid()),
            name: "greeting-complete".into()
        })
    );
}

#[test]
fn connected_stop_and_clear_decode() {
    assert_eq!(
        exotel::decode(r#"{ "event": "connected" }"#).unwrap(),
        Inbound::Connected(Connected::default())
    );
    let stop = r#"{"event":"stop","sequence_number":"100","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx","stop":{"call_sid":"CA1","account_sid":"AC1","reason":"callended"}}"#;
    assert_eq!(
        exotel::decode(stop).unwrap(),
        Inbound::Stop(Stop {
            sequence_number: Some(100),
            stream_sid: Some(sid()),
            call_sid: Some(CallSid::new("CA1")),
            account_sid: Some("AC1".into()),
            reason: Some("callended".into()),
        })
    );
    assert_eq!(
        exotel::decode(r#"{"event":"clear","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx"}"#).unwrap(),
        Inbound::Clear(Clear {
            sequence_number: None,
            stream_sid: Some(sid())
        })
    );
    assert_eq!(
        exotel::decode(r#"{"event":"stop"}"#).unwrap(),
        Inbound::Stop(Stop {
            sequence_number: None,
            stream_sid: None,
            call_sid: None,
            account_sid: None,
            reason: None,
        })
    );
}

/// The variant in Exotel's Agent-Stream repository: numbers as numbers, no
/// stream id at the top, `connected` with protocol and version.
#[test]
fn older_sample_variant_decodes() {
    let connected = r#"{"event":"connected","protocol":"Exotel Media Stream","version":"1.0.0"}"#;
    assert_eq!(
        exotel::decode(connected).unwrap(),
        Inbound::Connected(Connected {
            protocol: Some("Exotel Media Stream".into()),
            version: Some("1.0.0".into())
        })
    );
    let start = r#"{"event":"start","sequence_number":1,"start":{"stream_sid":"s-1","call_sid":"abc123","account_sid":"xyz789","from":"+1234567890","to":"+0987654321","media_format":{"encoding":"linear16","sample_rate":16000,"bit_rate":16},"custom_parameters":{"campaign_id":12345}}}"#;
    let Inbound::Start(start) = exotel::decode(start).unwrap() else {
        panic!("not a start")
    };
    assert_eq!(start.stream_sid, StreamSid::new("s-1"));
    assert_eq!(start.media_format.sample_rate_hz, 16_000);
    assert_eq!(start.custom_parameters.get("campaign_id"), Some("12345"));
    let media = r#"{"event":"media","sequence_number":2,"media":{"chunk":1,"timestamp":"1234567890","payload":"AAA="}}"#;
    let Inbound::Media(media) = exotel::decode(media).unwrap() else {
        panic!("not media")
    };
    assert_eq!(
        (media.stream_sid, media.chunk, media.payload),
        (None, Some(1), vec![0, 0])
    );
}

#[test]
fn camel_case_spellings_and_units_are_accepted() {
    let start = r#"{"event":"start","streamSid":"MZ9","start":{"callSid":"CA9","mediaFormat":{"encoding":"audio/x-raw","sampleRate":"16000Hz","bitRate":"16 bit"}}}"#;
    let Inbound::Start(start) = exotel::decode(start).unwrap() else {
        panic!("not a start")
    };
    assert_eq!(start.stream_sid, StreamSid::new("MZ9"));
    assert_eq!(start.call_sid, CallSid::new("CA9"));
    assert_eq!(
        (
            start.media_format.sample_rate_hz,
            start.media_format.bit_rate
        ),
        (16_000, Some(16))
    );
    assert!(start.from.is_none() && start.custom_parameters.is_empty());
    // No media_format at all: Exotel's default.
    let start = r#"{"event":"start","start":{"stream_sid":"MZ9","call_sid":"CA9"}}"#;
    let Inbound::Start(start) = exotel::decode(start).unwrap() else {
        panic!("not a start")
    };
    assert_eq!(start.media_format, MediaFormat::default());
    assert_eq!(
        start.media_format.sample_rate_hz,
        exotel::DEFAULT_SAMPLE_RATE_HZ
    );
}

#[test]
fn a_track_is_read_when_both_tracks_are_streamed() {
    let media = r#"{"event":"media","media":{"track":"outbound","payload":"AAA="}}"#;
    let Inbound::Media(media) = exotel::decode(media).unwrap() else {
        panic!("not media")
    };
    assert_eq!(media.track, Some(Track::Outbound));
}

#[test]
fn what_a_call_needs_is_required() {
    let err = exotel::decode(r#"{"event":"start","start":{"call_sid":"CA1"}}"#).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { event, field } if event == "start" && field == "start.stream_sid"),
        "{err:?}"
    );
    let err = exotel::decode(r#"{"event":"start","stream_sid":"MZ1","start":{}}"#).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "start.call_sid"),
        "{err:?}"
    );
    let err = exotel::decode(r#"{"event":"media","stream_sid":"MZ1","media":{"chunk":"1"}}"#)
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "media.payload"),
        "{err:?}"
    );
    let err = exotel::decode(r#"{"event":"media","media":{"payload":"%%%"}}"#).unwrap_err();
    assert!(matches!(&err, Error::InvalidBase64 { .. }), "{err:?}");
    let err = exotel::decode(r#"{"event":"mark","mark":{}}"#).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "mark.name"),
        "{err:?}"
    );
    let err = exotel::decode(r#"{"event":"media","sequence_number":"x1","media":{"payload":""}}"#)
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidField { field, .. } if field == "sequence_number"),
        "{err:?}"
    );
}

#[test]
fn unknown_events_are_unknown_even_with_odd_fields() {
    assert_eq!(
        exotel::decode(r#"{"event":"heartbeat","sequence_number":"not a number"}"#).unwrap(),
        Inbound::Unknown {
            event: "heartbeat".into()
        }
    );
}

#[test]
fn huge_frames_are_refused() {
    let frame = format!(
        r#"{{"event":"media","media":{{"payload":"{}"}}}}"#,
        "A".repeat(300_000)
    );
    let err = exotel::decode(&frame).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLarge { max: 262_144, .. }),
        "{err:?}"
    );
}

#[test]
fn encoders_write_the_documented_snake_case_text() {
    let audio = vec![0u8; 320];
    let text = exotel::encode_media(&sid(), &audio).unwrap();
    assert_eq!(
        text,
        // 320 zero bytes: 106 groups of "AAAA", then "AAA=" for the last two bytes.
        format!(
            r#"{{"event":"media","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx","media":{{"payload":"{}="}}}}"#,
            "A".repeat(427)
        )
    );
    assert_eq!(
        exotel::encode_mark(&sid(), "t0-c1"),
        r#"{"event":"mark","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx","mark":{"name":"t0-c1"}}"#
    );
    assert_eq!(
        exotel::encode_clear(&sid()),
        r#"{"event":"clear","stream_sid":"MZxxxxxxxxxxxxxxxxxxxxxxxx"}"#
    );
}

#[test]
fn media_payload_round_trips_through_what_exotel_reads() {
    let audio: Vec<u8> = (0..640u16).map(|i| (i % 251) as u8).collect();
    let text = exotel::encode_media(&sid(), &audio).unwrap();
    assert_eq!(
        exotel::decode_outbound(&text).unwrap(),
        Outbound::Media {
            stream_sid: sid(),
            payload: audio
        }
    );
    // Exotel's own sample code sends camelCase; a fake peer reads that too.
    let camel = r#"{"event":"clear","streamSid":"MZ1"}"#;
    assert_eq!(
        exotel::decode_outbound(camel).unwrap(),
        Outbound::Clear {
            stream_sid: StreamSid::new("MZ1")
        }
    );
}

#[test]
fn media_chunks_of_the_wrong_size_are_refused() {
    for len in [0, 100, 321, 3_199, 102_720] {
        let err = exotel::encode_media(&sid(), &vec![0; len]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidChunkSize { len: l, multiple: 320, max: 102_400 } if l == len),
            "{len}: {err:?}"
        );
    }
    for len in [320, 3_200, 6_400, 102_400] {
        assert!(exotel::encode_media(&sid(), &vec![0; len]).is_ok(), "{len}");
    }
}

#[test]
fn chunker_emits_full_chunks_then_a_padded_tail() {
    let mut chunker = Chunker::new(640).unwrap();
    chunker.push(&[1; 500]);
    assert_eq!(chunker.poll_chunk(), None);
    chunker.push(&[2; 900]);
    let first = chunker.poll_chunk().unwrap();
    assert_eq!(first.len(), 640);
    assert_eq!(&first[..500], &[1; 500][..]);
    assert_eq!(&first[500..], &[2; 140][..]);
    assert_eq!(chunker.poll_chunk().map(|c| c.len()), Some(640));
    assert_eq!(chunker.pending_bytes(), 120);
    let tail = chunker.finish().unwrap();
    assert_eq!(tail.len(), 320);
    assert_eq!(&tail[..120], &[2; 120][..]);
    assert!(tail[120..].iter().all(|&b| b == 0), "padding is silence");
    assert_eq!(chunker.finish(), None);
}

#[test]
fn chunker_clear_drops_pending_audio() {
    let mut chunker = Chunker::default();
    assert_eq!(chunker.chunk_bytes(), 3_200);
    chunker.push(&[9; 5_000]);
    chunker.clear();
    assert_eq!(chunker.pending_bytes(), 0);
    assert_eq!(chunker.finish(), None);
}

#[test]
fn chunker_refuses_invalid_sizes() {
    assert!(matches!(
        Chunker::new(0),
        Err(Error::InvalidChunkSize { len: 0, .. })
    ));
    assert!(matches!(
        Chunker::new(1000),
        Err(Error::InvalidChunkSize { len: 1000, .. })
    ));
    assert!(matches!(
        Chunker::new(102_720),
        Err(Error::InvalidChunkSize { .. })
    ));
}

#[test]
fn chunk_utterance_covers_the_whole_utterance() {
    let chunks = exotel::chunk_utterance(&[7; 7_000], 3_200).unwrap();
    assert_eq!(
        chunks.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3_200, 3_200, 640]
    );
    assert!(chunks.iter().all(|c| exotel::is_valid_chunk_len(c.len())));
    assert!(exotel::chunk_utterance(&[], 3_200).unwrap().is_empty());
}

// ---- stream credentials (basic auth in the applet's URL) ----

#[test]
fn stream_credentials_are_checked_from_the_authorization_header() {
    use awaaz_telephony::exotel::StreamAuth;
    let auth = StreamAuth::new("exotel", "s3cret");
    // base64("exotel:s3cret"), as Exotel sends it for wss://exotel:s3cret@host/path.
    assert_eq!(auth.header_value(), "Basic ZXhvdGVsOnMzY3JldA==");
    auth.check(Some("Basic ZXhvdGVsOnMzY3JldA==")).unwrap();
    auth.check(Some("basic  ZXhvdGVsOnMzY3JldA== ")).unwrap();
    for (header, missing) in [
        (None, true),
        (Some(""), true),
        (Some("Bearer ZXhvdGVsOnMzY3JldA=="), true),
        (Some("Basic not base64!"), true),
        // exotel:wrong, exotel, EXOTEL:s3cret
        (Some("Basic ZXhvdGVsOndyb25n"), false),
        (Some("Basic ZXhvdGVs"), false),
        (Some("Basic RVhPVEVMOnMzY3JldA=="), false),
    ] {
        let result = auth.check(header);
        if missing {
            assert!(
                matches!(result, Err(Error::CredentialsMissing)),
                "{header:?}: {result:?}"
            );
        } else {
            assert!(
                matches!(result, Err(Error::CredentialsMismatch)),
                "{header:?}: {result:?}"
            );
        }
    }
    assert!(!format!("{auth:?}").contains("s3cret"));
}
