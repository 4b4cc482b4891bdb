//! Twilio Media Streams frames: the documented samples, the error kinds, and
//! the exact text of what we send.

use awaaz_telephony::twilio::{
    self, AccountSid, CallSid, Connected, CustomParameters, Dtmf, Inbound, Mark, Media,
    MediaFormat, Outbound, Start, Stop, StreamSid, Track,
};
use awaaz_telephony::Error;

const SID: &str = "MZ18ad3ab5a668481ce02b83e7395059f0";
const CALL: &str = "CA7df1d7e1e8a7a8d3f8d04bd0e0b46a29";
const ACCOUNT: &str = "AC3b9bd6a7d1a8c4e1b8f3f1d0c1e5f2a7";

fn sid() -> StreamSid {
    StreamSid::new(SID)
}

// Shapes from https://www.twilio.com/docs/voice/media-streams/websocket-messages
// (ids and payloads are made up).

#[test]
fn connected_sample_decodes() {
    let frame = r#"{"event": "connected", "protocol": "Call", "version": "1.0.0"}"#;
    assert_eq!(
        twilio::decode(frame).unwrap(),
        Inbound::Connected(Connected {
            protocol: "Call".into(),
            version: "1.0.0".into()
        })
    );
}

#[test]
fn start_sample_decodes_with_parameters_and_format() {
    let frame = format!(
        r#"{{
          "event": "start",
          "sequenceNumber": "1",
          "start": {{
            "accountSid": "{ACCOUNT}",
            "streamSid": "{SID}",
            "callSid": "{CALL}",
            "tracks": [ "inbound" ],
            "mediaFormat": {{ "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1 }},
            "customParameters": {{ "FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob" }}
          }},
          "streamSid": "{SID}"
        }}"#
    );
    let Inbound::Start(start) = twilio::decode(&frame).unwrap() else {
        panic!("not a start")
    };
    assert_eq!(start.sequence_number, 1);
    assert_eq!(start.stream_sid.as_str(), SID);
    assert_eq!(start.call_sid, CallSid::new(CALL));
    assert_eq!(start.account_sid, AccountSid::new(ACCOUNT));
    assert_eq!(start.tracks, vec![Track::Inbound]);
    assert_eq!(
        start.media_format,
        MediaFormat {
            encoding: "audio/x-mulaw".into(),
            sample_rate_hz: 8000,
            channels: 1
        }
    );
    assert_eq!(start.custom_parameters.len(), 3);
    assert_eq!(start.custom_parameters.get("FirstName"), Some("Jane"));
    assert_eq!(start.custom_parameters.get("RemoteParty"), Some("Bob"));
}

#[test]
fn start_without_custom_parameters_has_none() {
    let frame = format!(
        r#"{{"event":"start","sequenceNumber":"1","start":{{"accountSid":"{ACCOUNT}","streamSid":"{SID}","callSid":"{CALL}","tracks":["inbound"],"mediaFormat":{{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}},"streamSid":"{SID}"}}"#
    );
    let Inbound::Start(start) = twilio::decode(&frame).unwrap() else {
        panic!("not a start")
    };
    assert!(start.custom_parameters.is_empty());
}

#[test]
fn media_sample_decodes_counters_from_strings_and_payload_to_bytes() {
    // 0xFF is μ-law silence; "/w==" is one 0xFF byte, "////" three.
    let frame = format!(
        r#"{{"event":"media","sequenceNumber":"3","media":{{"track":"inbound","chunk":"1","timestamp":"5","payload":"//////8="}},"streamSid":"{SID}"}}"#
    );
    assert_eq!(
        twilio::decode(&frame).unwrap(),
        Inbound::Media(Media {
            sequence_number: 3,
            stream_sid: sid(),
            track: Track::Inbound,
            chunk: 1,
            timestamp_ms: 5,
            payload: vec![0xff; 5],
        })
    );
}

#[test]
fn media_counters_may_also_be_json_numbers() {
    let frame = format!(
        r#"{{"event":"media","sequenceNumber":42,"media":{{"track":"outbound","chunk":41,"timestamp":820,"payload":"AAEC"}},"streamSid":"{SID}"}}"#
    );
    let Inbound::Media(media) = twilio::decode(&frame).unwrap() else {
        panic!("not media")
    };
    assert_eq!(
        (media.sequence_number, media.chunk, media.timestamp_ms),
        (42, 41, 820)
    );
    assert_eq!(media.track, Track::Outbound);
    assert_eq!(media.payload, vec![0, 1, 2]);
}

#[test]
fn dtmf_mark_and_stop_samples_decode() {
    let dtmf = format!(
        r#"{{"event":"dtmf","streamSid":"{SID}","sequenceNumber":"5","dtmf":{{"track":"inbound_track","digit":"1"}}}}"#
    );
    assert_eq!(
        twilio::decode(&dtmf).unwrap(),
        Inbound::Dtmf(Dtmf {
            sequence_number: 5,
            stream_sid: sid(),
            track: Track::Inbound,
            digit: '1'
        })
    );

    let mark = format!(
        r#"{{"event":"mark","sequenceNumber":"4","streamSid":"{SID}","mark":{{"name":"my label"}}}}"#
    );
    assert_eq!(
        twilio::decode(&mark).unwrap(),
        Inbound::Mark(Mark {
            sequence_number: 4,
            stream_sid: sid(),
            name: "my label".into()
        })
    );

    let stop = format!(
        r#"{{"event":"stop","sequenceNumber":"5","streamSid":"{SID}","stop":{{"accountSid":"{ACCOUNT}","callSid":"{CALL}"}}}}"#
    );
    assert_eq!(
        twilio::decode(&stop).unwrap(),
        Inbound::Stop(Stop {
            sequence_number: 5,
            stream_sid: sid(),
            account_sid: AccountSid::new(ACCOUNT),
            call_sid: CallSid::new(CALL),
        })
    );
}

#[test]
fn unknown_events_decode_to_unknown_not_an_error() {
    let frame = r#"{"event":"transcription","sequenceNumber":"9","anything":{"goes":[1,2]}}"#;
    assert_eq!(
        twilio::decode(frame).unwrap(),
        Inbound::Unknown {
            event: "transcription".into()
        }
    );
}

#[test]
fn stream_sid_is_read_for_each_message() {
    let mark = format!(
        r#"{{"event":"mark","sequenceNumber":"4","streamSid":"{SID}","mark":{{"name":"x"}}}}"#
    );
    assert_eq!(twilio::decode(&mark).unwrap().stream_sid(), Some(&sid()));
    let connected = r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#;
    assert_eq!(twilio::decode(connected).unwrap().stream_sid(), None);
}

#[test]
fn bad_json_is_invalid_json_with_position() {
    let err = twilio::decode(r#"{"event":"media","#).unwrap_err();
    assert!(matches!(err, Error::InvalidJson { line: 1, .. }), "{err:?}");
    assert!(matches!(twilio::decode(""), Err(Error::InvalidJson { .. })));
}

#[test]
fn non_objects_and_missing_events_are_refused() {
    assert!(matches!(twilio::decode("[1,2]"), Err(Error::NotAnObject)));
    assert!(matches!(
        twilio::decode("\"media\""),
        Err(Error::NotAnObject)
    ));
    let err = twilio::decode(r#"{"streamSid":"MZ1"}"#).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "event"),
        "{err:?}"
    );
    let err = twilio::decode(r#"{"event":7}"#).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidField { field, .. } if field == "event"),
        "{err:?}"
    );
}

#[test]
fn missing_fields_name_the_event_and_dotted_path() {
    let frame = format!(
        r#"{{"event":"media","sequenceNumber":"3","media":{{"track":"inbound","chunk":"1","timestamp":"5"}},"streamSid":"{SID}"}}"#
    );
    let err = twilio::decode(&frame).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { event, field } if event == "media" && field == "media.payload"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "media frame has no `media.payload`");

    let frame = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"]},"streamSid":"MZ1"}"#;
    let err = twilio::decode(frame).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "start.mediaFormat"),
        "{err:?}"
    );

    let frame = r#"{"event":"mark","sequenceNumber":"4","mark":{"name":"x"}}"#;
    let err = twilio::decode(frame).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "streamSid"),
        "{err:?}"
    );
}

#[test]
fn invalid_fields_are_refused_without_echoing_the_value() {
    let frame = format!(
        r#"{{"event":"mark","sequenceNumber":"+919876543210x","streamSid":"{SID}","mark":{{"name":"x"}}}}"#
    );
    let err = twilio::decode(&frame).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidField { field, .. } if field == "sequenceNumber"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("9876"), "{err}");

    let frame = format!(
        r#"{{"event":"dtmf","streamSid":"{SID}","sequenceNumber":"5","dtmf":{{"track":"inbound_track","digit":"12"}}}}"#
    );
    let err = twilio::decode(&frame).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidField { field, .. } if field == "dtmf.digit"),
        "{err:?}"
    );

    let frame = format!(
        r#"{{"event":"mark","sequenceNumber":"-1","streamSid":"{SID}","mark":{{"name":"x"}}}}"#
    );
    assert!(matches!(
        twilio::decode(&frame),
        Err(Error::InvalidField { .. })
    ));
}

#[test]
fn bad_base64_is_invalid_base64() {
    let frame = format!(
        r#"{{"event":"media","sequenceNumber":"3","media":{{"track":"inbound","chunk":"1","timestamp":"5","payload":"not base64!"}},"streamSid":"{SID}"}}"#
    );
    let err = twilio::decode(&frame).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidBase64 { field, .. } if field == "media.payload"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "media frame has a `media.payload` that is not valid base64"
    );
}

#[test]
fn huge_frames_are_refused_before_parsing() {
    let payload = "A".repeat(1 << 20);
    let frame = format!(
        r#"{{"event":"media","sequenceNumber":"3","media":{{"track":"inbound","chunk":"1","timestamp":"5","payload":"{payload}"}},"streamSid":"{SID}"}}"#
    );
    let err = twilio::decode(&frame).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLarge { max: 65_536, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "frame of {} bytes is over the 65536-byte limit",
            frame.len()
        )
    );
    // A caller may set its own limit.
    assert!(matches!(
        twilio::decode_with_limit(r#"{"event":"x"}"#, 5),
        Err(Error::FrameTooLarge { len: 13, max: 5 })
    ));
}

#[test]
fn encoders_write_twilios_exact_text() {
    assert_eq!(
        twilio::encode_media(&sid(), &[0xff, 0xff, 0xff, 0x7f]),
        format!(r#"{{"event":"media","streamSid":"{SID}","media":{{"payload":"////fw=="}}}}"#)
    );
    assert_eq!(
        twilio::encode_mark(&sid(), "turn-3 \"clause\" 1"),
        format!(
            r#"{{"event":"mark","streamSid":"{SID}","mark":{{"name":"turn-3 \"clause\" 1"}}}}"#
        )
    );
    assert_eq!(
        twilio::encode_clear(&sid()),
        format!(r#"{{"event":"clear","streamSid":"{SID}"}}"#)
    );
}

#[test]
fn what_we_send_decodes_as_twilio_reads_it() {
    let media = twilio::encode_media(&sid(), &[1, 2, 3]);
    assert_eq!(
        twilio::decode_outbound(&media).unwrap(),
        Outbound::Media {
            stream_sid: sid(),
            payload: vec![1, 2, 3]
        }
    );
    let mark = Outbound::Mark {
        stream_sid: sid(),
        name: "t1-c0".into(),
    };
    assert_eq!(twilio::decode_outbound(&mark.to_json()).unwrap(), mark);
    let clear = Outbound::Clear { stream_sid: sid() };
    assert_eq!(twilio::decode_outbound(&clear.to_json()).unwrap(), clear);
    let err = twilio::decode_outbound(r#"{"event":"hangup","streamSid":"MZ1"}"#).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownEvent { event } if event == "hangup"),
        "{err:?}"
    );
}

#[test]
fn inbound_to_json_is_twilios_shape() {
    let start = Inbound::Start(Start {
        sequence_number: 1,
        stream_sid: sid(),
        account_sid: AccountSid::new(ACCOUNT),
        call_sid: CallSid::new(CALL),
        tracks: vec![Track::Inbound],
        custom_parameters: [("lang", "hi")].into_iter().collect::<CustomParameters>(),
        media_format: MediaFormat::default(),
    });
    assert_eq!(
        start.to_json(),
        format!(
            r#"{{"event":"start","sequenceNumber":"1","start":{{"accountSid":"{ACCOUNT}","streamSid":"{SID}","callSid":"{CALL}","tracks":["inbound"],"customParameters":{{"lang":"hi"}},"mediaFormat":{{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}},"streamSid":"{SID}"}}"#
        )
    );
    let dtmf = Inbound::Dtmf(Dtmf {
        sequence_number: 7,
        stream_sid: sid(),
        track: Track::Inbound,
        digit: '#',
    });
    assert_eq!(
        dtmf.to_json(),
        format!(
            r##"{{"event":"dtmf","streamSid":"{SID}","sequenceNumber":"7","dtmf":{{"track":"inbound_track","digit":"#"}}}}"##
        )
    );
    assert_eq!(twilio::decode(&dtmf.to_json()).unwrap(), dtmf);
}

#[test]
fn debug_output_shows_audio_length_not_audio() {
    let media = Media {
        sequence_number: 3,
        stream_sid: sid(),
        track: Track::Inbound,
        chunk: 1,
        timestamp_ms: 20,
        payload: vec![0x55; 160],
    };
    let shown = format!("{media:?}");
    assert!(shown.contains("<160 bytes>"), "{shown}");
    assert!(!shown.contains("85"), "{shown}");
    let shown = format!(
        "{:?}",
        Outbound::Media {
            stream_sid: sid(),
            payload: vec![0x55; 160]
        }
    );
    assert!(
        shown.contains("<160 bytes>") && !shown.contains("85,"),
        "{shown}"
    );
}
