//! Property tests: every message survives encode → decode unchanged, the
//! decoders never panic on any input (random text, random bytes, mutated
//! valid frames), outbound audio chunks are always valid, signatures do not
//! depend on parameter order, and XML text cannot inject markup.

use awaaz_telephony::{exotel, plivo, signature::RequestValidator, twilio, twiml, Error};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

const KNOWN_EVENTS: &[&str] = &[
    "connected",
    "start",
    "media",
    "dtmf",
    "mark",
    "stop",
    "clear",
    "playedStream",
    "played",
    "clearedAudio",
];

fn text() -> impl Strategy<Value = String> {
    // Any characters, control characters and quotes included, to exercise escaping.
    prop_oneof![any::<String>(), "[a-zA-Z0-9 _\\-\"\\\\/\n]{0,24}"]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[A-Z]{2}[0-9a-f]{32}"]
}

fn unknown_event() -> impl Strategy<Value = String> {
    text().prop_filter("a known event", |e| !KNOWN_EVENTS.contains(&e.as_str()))
}

fn audio() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..400)
}

fn track() -> impl Strategy<Value = twilio::Track> {
    prop_oneof![
        Just(twilio::Track::Inbound),
        Just(twilio::Track::Outbound),
        text().prop_map(|name| twilio::Track::parse(&name)),
    ]
}

fn params() -> impl Strategy<Value = twilio::CustomParameters> {
    btree_map(text(), text(), 0..4).prop_map(|map| map.into_iter().collect())
}

// --- Twilio ------------------------------------------------------------------

fn twilio_inbound() -> impl Strategy<Value = twilio::Inbound> {
    use twilio::*;
    let sid = || id().prop_map(StreamSid::from);
    prop_oneof![
        (text(), text())
            .prop_map(|(protocol, version)| Inbound::Connected(Connected { protocol, version })),
        (
            any::<u64>(),
            sid(),
            id(),
            id(),
            vec(track(), 0..3),
            params(),
            text(),
            any::<u32>(),
            any::<u16>()
        )
            .prop_map(
                |(
                    seq,
                    stream_sid,
                    account,
                    call,
                    tracks,
                    custom_parameters,
                    encoding,
                    rate,
                    channels,
                )| {
                    Inbound::Start(Start {
                        sequence_number: seq,
                        stream_sid,
                        account_sid: AccountSid::from(account),
                        call_sid: CallSid::from(call),
                        tracks,
                        custom_parameters,
                        media_format: MediaFormat {
                            encoding,
                            sample_rate_hz: rate,
                            channels,
                        },
                    })
                }
            ),
        (
            any::<u64>(),
            sid(),
            track(),
            any::<u64>(),
            any::<u64>(),
            audio()
        )
            .prop_map(
                |(sequence_number, stream_sid, track, chunk, timestamp_ms, payload)| {
                    Inbound::Media(Media {
                        sequence_number,
                        stream_sid,
                        track,
                        chunk,
                        timestamp_ms,
                        payload,
                    })
                }
            ),
        (any::<u64>(), sid(), track(), any::<char>()).prop_map(
            |(sequence_number, stream_sid, track, digit)| {
                Inbound::Dtmf(Dtmf {
                    sequence_number,
                    stream_sid,
                    track,
                    digit,
                })
            }
        ),
        (any::<u64>(), sid(), text()).prop_map(
            |(sequence_number, stream_sid, name)| Inbound::Mark(Mark {
                sequence_number,
                stream_sid,
                name
            })
        ),
        (any::<u64>(), sid(), id(), id()).prop_map(
            |(sequence_number, stream_sid, account, call)| {
                Inbound::Stop(Stop {
                    sequence_number,
                    stream_sid,
                    account_sid: AccountSid::from(account),
                    call_sid: CallSid::from(call),
                })
            }
        ),
        unknown_event().prop_map(|event| Inbound::Unknown { event }),
    ]
}

fn twilio_outbound() -> impl Strategy<Value = twilio::Outbound> {
    use twilio::{Outbound, StreamSid};
    prop_oneof![
        (id(), audio()).prop_map(|(sid, payload)| Outbound::Media {
            stream_sid: StreamSid::from(sid),
            payload
        }),
        (id(), text()).prop_map(|(sid, name)| Outbound::Mark {
            stream_sid: StreamSid::from(sid),
            name
        }),
        id().prop_map(|sid| Outbound::Clear {
            stream_sid: StreamSid::from(sid)
        }),
    ]
}

// --- Exotel ------------------------------------------------------------------

fn exotel_inbound() -> impl Strategy<Value = exotel::Inbound> {
    use exotel::*;
    let sid = || option::of(id().prop_map(StreamSid::from));
    let seq = || option::of(any::<u64>());
    let phone = || option::of(text().prop_map(PhoneNumber::new));
    prop_oneof![
        (option::of(text()), option::of(text()))
            .prop_map(|(protocol, version)| Inbound::Connected(Connected { protocol, version })),
        (
            seq(),
            id(),
            id(),
            option::of(text()),
            phone(),
            phone(),
            params(),
            text(),
            any::<u32>(),
            option::of(any::<u32>())
        )
            .prop_map(
                |(
                    sequence_number,
                    sid,
                    call,
                    account,
                    from,
                    to,
                    custom_parameters,
                    encoding,
                    rate,
                    bits,
                )| {
                    Inbound::Start(Start {
                        sequence_number,
                        stream_sid: StreamSid::from(sid),
                        call_sid: CallSid::from(call),
                        account_sid: account,
                        from,
                        to,
                        custom_parameters,
                        media_format: MediaFormat {
                            encoding,
                            sample_rate_hz: rate,
                            bit_rate: bits,
                        },
                    })
                }
            ),
        (
            seq(),
            sid(),
            option::of(track()),
            option::of(any::<u64>()),
            option::of(any::<u64>()),
            audio()
        )
            .prop_map(
                |(sequence_number, stream_sid, track, chunk, timestamp_ms, payload)| {
                    Inbound::Media(Media {
                        sequence_number,
                        stream_sid,
                        track,
                        chunk,
                        timestamp_ms,
                        payload,
                    })
                }
            ),
        (seq(), sid(), any::<char>(), option::of(any::<u64>())).prop_map(
            |(sequence_number, stream_sid, digit, duration_ms)| {
                Inbound::Dtmf(Dtmf {
                    sequence_number,
                    stream_sid,
                    digit,
                    duration_ms,
                })
            }
        ),
        (seq(), sid(), text()).prop_map(|(sequence_number, stream_sid, name)| Inbound::Mark(
            Mark {
                sequence_number,
                stream_sid,
                name
            }
        )),
        (seq(), sid()).prop_map(|(sequence_number, stream_sid)| Inbound::Clear(Clear {
            sequence_number,
            stream_sid
        })),
        (
            seq(),
            sid(),
            option::of(id()),
            option::of(text()),
            option::of(text())
        )
            .prop_map(|(sequence_number, stream_sid, call, account_sid, reason)| {
                Inbound::Stop(Stop {
                    sequence_number,
                    stream_sid,
                    call_sid: call.map(CallSid::from),
                    account_sid,
                    reason,
                })
            }),
        unknown_event().prop_map(|event| Inbound::Unknown { event }),
    ]
}

fn exotel_outbound() -> impl Strategy<Value = exotel::Outbound> {
    use exotel::{Outbound, StreamSid};
    prop_oneof![
        (id(), audio()).prop_map(|(sid, payload)| Outbound::Media {
            stream_sid: StreamSid::from(sid),
            payload
        }),
        (id(), text()).prop_map(|(sid, name)| Outbound::Mark {
            stream_sid: StreamSid::from(sid),
            name
        }),
        id().prop_map(|sid| Outbound::Clear {
            stream_sid: StreamSid::from(sid)
        }),
    ]
}

// --- Plivo -------------------------------------------------------------------

fn plivo_inbound() -> impl Strategy<Value = plivo::Inbound> {
    use plivo::*;
    let sid = || option::of(id().prop_map(StreamId::from));
    let seq = || option::of(any::<u64>());
    let phone = || option::of(text().prop_map(PhoneNumber::new));
    prop_oneof![
        (
            seq(),
            id(),
            id(),
            option::of(text()),
            vec(track(), 0..3),
            text(),
            any::<u32>(),
            option::of(text()),
            phone(),
            phone()
        )
            .prop_map(
                |(
                    sequence_number,
                    stream,
                    call,
                    account_id,
                    tracks,
                    encoding,
                    rate,
                    extra_headers,
                    from,
                    to,
                )| {
                    Inbound::Start(Start {
                        sequence_number,
                        stream_id: StreamId::from(stream),
                        call_id: CallId::from(call),
                        account_id,
                        tracks,
                        media_format: MediaFormat {
                            encoding,
                            sample_rate_hz: rate,
                        },
                        extra_headers,
                        from,
                        to,
                    })
                }
            ),
        (
            seq(),
            sid(),
            track(),
            option::of(any::<u64>()),
            option::of(any::<u64>()),
            audio()
        )
            .prop_map(
                |(sequence_number, stream_id, track, timestamp_ms, chunk, payload)| {
                    Inbound::Media(Media {
                        sequence_number,
                        stream_id,
                        track,
                        timestamp_ms,
                        chunk,
                        payload,
                    })
                }
            ),
        (
            seq(),
            sid(),
            option::of(track()),
            any::<char>(),
            option::of(any::<u64>())
        )
            .prop_map(|(sequence_number, stream_id, track, digit, timestamp_ms)| {
                Inbound::Dtmf(Dtmf {
                    sequence_number,
                    stream_id,
                    track,
                    digit,
                    timestamp_ms,
                })
            }),
        (seq(), sid(), text()).prop_map(|(sequence_number, stream_id, name)| {
            Inbound::PlayedStream(PlayedStream {
                sequence_number,
                stream_id,
                name,
            })
        }),
        (seq(), sid()).prop_map(|(sequence_number, stream_id)| {
            Inbound::ClearedAudio(ClearedAudio {
                sequence_number,
                stream_id,
            })
        }),
        (seq(), sid(), option::of(id())).prop_map(|(sequence_number, stream_id, call)| {
            Inbound::Stop(Stop {
                sequence_number,
                stream_id,
                call_id: call.map(CallId::from),
            })
        }),
        unknown_event().prop_map(|event| Inbound::Unknown { event }),
    ]
}

fn plivo_outbound() -> impl Strategy<Value = plivo::Outbound> {
    use plivo::{ContentType, Outbound, StreamId};
    let content_type = prop_oneof![
        Just(ContentType::MulawRate8000),
        Just(ContentType::L16Rate8000),
        Just(ContentType::L16Rate16000)
    ];
    prop_oneof![
        (content_type, audio()).prop_map(|(content_type, payload)| Outbound::PlayAudio {
            content_type,
            payload
        }),
        (id(), text()).prop_map(|(sid, name)| Outbound::Checkpoint {
            stream_id: StreamId::from(sid),
            name
        }),
        id().prop_map(|sid| Outbound::ClearAudio {
            stream_id: StreamId::from(sid)
        }),
    ]
}

/// Valid frames of every kind, to mutate.
fn valid_frame() -> impl Strategy<Value = String> {
    prop_oneof![
        twilio_inbound().prop_map(|m| m.to_json()),
        twilio_outbound().prop_map(|m| m.to_json()),
        exotel_inbound().prop_map(|m| m.to_json()),
        exotel_outbound().prop_map(|m| m.to_json()),
        plivo_inbound().prop_map(|m| m.to_json()),
        plivo_outbound().prop_map(|m| m.to_json()),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Delete(usize),
    Insert(usize, u8),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let structural = prop_oneof![
        any::<u8>(),
        Just(b'"'),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b','),
        Just(b':'),
        Just(b'\\'),
        Just(b'0'),
    ];
    vec(
        prop_oneof![
            (any::<usize>(), structural.clone()).prop_map(|(at, b)| Edit::Replace(at, b)),
            any::<usize>().prop_map(Edit::Delete),
            (any::<usize>(), structural).prop_map(|(at, b)| Edit::Insert(at, b)),
        ],
        1..8,
    )
}

fn mutate(frame: &str, edits: &[Edit]) -> String {
    let mut bytes = frame.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len();
        match *edit {
            Edit::Replace(at, b) if len > 0 => bytes[at % len] = b,
            Edit::Delete(at) if len > 0 => {
                bytes.remove(at % len);
            }
            Edit::Insert(at, b) => bytes.insert(at % (len + 1), b),
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs every decoder; none may panic, whatever the result.
fn decode_everything(text: &str) {
    let _ = twilio::decode(text);
    let _ = twilio::decode_outbound(text);
    let _ = exotel::decode(text);
    let _ = exotel::decode_outbound(text);
    let _ = plivo::decode(text);
    let _ = plivo::decode_outbound(text);
}

proptest! {
    #[test]
    fn twilio_inbound_round_trips(message in twilio_inbound()) {
        prop_assert_eq!(twilio::decode(&message.to_json()).unwrap(), message);
    }

    #[test]
    fn twilio_outbound_round_trips(message in twilio_outbound()) {
        prop_assert_eq!(twilio::decode_outbound(&message.to_json()).unwrap(), message);
    }

    #[test]
    fn twilio_encoders_round_trip(sid in id(), payload in audio(), name in text()) {
        let sid = twilio::StreamSid::from(sid);
        prop_assert_eq!(
            twilio::decode_outbound(&twilio::encode_media(&sid, &payload)).unwrap(),
            twilio::Outbound::Media { stream_sid: sid.clone(), payload }
        );
        prop_assert_eq!(
            twilio::decode_outbound(&twilio::encode_mark(&sid, &name)).unwrap(),
            twilio::Outbound::Mark { stream_sid: sid, name }
        );
    }

    #[test]
    fn exotel_inbound_round_trips(message in exotel_inbound()) {
        prop_assert_eq!(exotel::decode(&message.to_json()).unwrap(), message);
    }

    #[test]
    fn exotel_outbound_round_trips(message in exotel_outbound()) {
        prop_assert_eq!(exotel::decode_outbound(&message.to_json()).unwrap(), message);
    }

    #[test]
    fn plivo_inbound_round_trips(message in plivo_inbound()) {
        prop_assert_eq!(plivo::decode(&message.to_json()).unwrap(), message);
    }

    #[test]
    fn plivo_outbound_round_trips(message in plivo_outbound()) {
        prop_assert_eq!(plivo::decode_outbound(&message.to_json()).unwrap(), message);
    }

    #[test]
    fn decoders_never_panic_on_any_text(text in any::<String>()) {
        decode_everything(&text);
    }

    #[test]
    fn decoders_never_panic_on_any_bytes(bytes in vec(any::<u8>(), 0..512)) {
        decode_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn decoders_never_panic_on_json_shaped_noise(text in r#"\{("[a-zA-Z_]{1,12}":("[^"]{0,8}"|-?[0-9]{1,22}(\.[0-9])?|true|null|\[\]|\{\}),?){0,6}\}"#) {
        decode_everything(&text);
    }

    #[test]
    fn decoders_never_panic_on_mutated_frames(frame in valid_frame(), edits in edits()) {
        decode_everything(&mutate(&frame, &edits));
    }

    #[test]
    fn oversized_frames_are_refused_whatever_they_hold(extra in 1usize..4096, fill in any::<u8>()) {
        let text = "x".repeat(twilio::MAX_FRAME_BYTES + extra).replace('x', &char::from(fill % 94 + 33).to_string());
        let refused = matches!(twilio::decode(&text), Err(Error::FrameTooLarge { .. }));
        prop_assert!(refused);
    }

    #[test]
    fn exotel_chunks_are_always_valid_and_keep_the_audio(pcm in vec(any::<u8>(), 0..20_000), multiple in 1usize..=20) {
        let chunk_bytes = multiple * exotel::CHUNK_MULTIPLE_BYTES;
        let chunks = exotel::chunk_utterance(&pcm, chunk_bytes).unwrap();
        let sid = exotel::StreamSid::new("MZ1");
        for chunk in &chunks {
            prop_assert!(exotel::is_valid_chunk_len(chunk.len()));
            prop_assert!(chunk.len() <= chunk_bytes);
            prop_assert!(exotel::encode_media(&sid, chunk).is_ok());
        }
        let joined: Vec<u8> = chunks.concat();
        prop_assert!(joined.len() >= pcm.len());
        prop_assert!(joined.len() - pcm.len() < exotel::CHUNK_MULTIPLE_BYTES);
        prop_assert_eq!(&joined[..pcm.len()], &pcm[..]);
        prop_assert!(joined[pcm.len()..].iter().all(|&b| b == 0));
    }

    #[test]
    fn signatures_ignore_parameter_order_and_catch_any_change(
        params in vec(("[A-Za-z]{1,8}", "\\PC{0,12}"), 0..6),
        token in "[a-f0-9]{32}",
        rotate in any::<usize>(),
    ) {
        let url = "https://awaaz.example.com/twilio/voice?x=1";
        let validator = RequestValidator::new(token);
        let signature = validator.compute(url, &params);
        let mut shuffled = params.clone();
        if !shuffled.is_empty() {
            let by = rotate % shuffled.len();
            shuffled.rotate_left(by);
        }
        prop_assert!(validator.validate(url, &shuffled, &signature).is_ok());
        let mut added = params;
        added.push(("Zz".to_owned(), "changed".to_owned()));
        prop_assert!(validator.validate(url, &added, &signature).is_err());
    }

    #[test]
    fn signature_checks_never_panic(url in any::<String>(), body in vec(any::<u8>(), 0..64), signature in any::<String>()) {
        let validator = RequestValidator::new("12345");
        let _ = validator.validate::<&str, &str>(&url, &[], &signature);
        let _ = validator.validate_form(&url, &body, &signature);
        let _ = validator.validate_body(&url, &body, &signature);
        for prefix in ["https://", "http://u:p@[::1", "http://h:"] {
            let url = format!("{prefix}{url}");
            let _ = validator.validate::<&str, &str>(&url, &[], &signature);
        }
    }

    #[test]
    fn xml_text_cannot_inject_markup(say in any::<String>(), param in any::<String>()) {
        let doc = twiml::VoiceResponse::new()
            .say(twiml::Say::new(say.as_str()).voice(param.as_str()))
            .connect_stream(twiml::Stream::new(param.as_str()).parameter(param.as_str(), say.as_str()))
            .render();
        // <?xml, <Response>, <Say>, </Say>, <Connect>, <Stream>, <Parameter/>, </Stream>, </Connect>, </Response>
        prop_assert_eq!(doc.matches('<').count(), 10);
        prop_assert_eq!(doc.matches('>').count(), 10);
        // Every '&' starts an entity.
        for (at, _) in doc.match_indices('&') {
            let rest = &doc[at..];
            let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;"].iter().any(|e| rest.starts_with(e));
            prop_assert!(ok, "bare & at {}", at);
        }
    }
}
