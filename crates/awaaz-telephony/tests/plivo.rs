//! Plivo Audio Streams frames and answer XML: the documented samples and the
//! exact text of what we send.

use awaaz_telephony::plivo::xml::{Dial, Response, Speak, Stream};
use awaaz_telephony::plivo::{
    self, CallId, ClearedAudio, ContentType, Dtmf, Inbound, Media, MediaFormat, Outbound,
    PlayedStream, StreamId, Track,
};
use awaaz_telephony::Error;

const STREAM: &str = "87654321-4321-4321-4321-cba987654321";

fn stream_id() -> StreamId {
    StreamId::new(STREAM)
}

// Shapes from https://www.plivo.com/docs/voice/audio-streaming/audio-streaming.

#[test]
fn documented_start_decodes() {
    let frame = r#"{
      "event": "start",
      "sequenceNumber": 1,
      "start": {
        "callId": "12345678-1234-1234-1234-123456789abc",
        "streamId": "87654321-4321-4321-4321-cba987654321",
        "accountId": "MAXXXXXXXXXXXXXXXXXX",
        "tracks": ["inbound"],
        "mediaFormat": { "encoding": "audio/x-mulaw", "sampleRate": 8000 }
      },
      "extra_headers": "userId=12345;sessionId=abc-xyz"
    }"#;
    let Inbound::Start(start) = plivo::decode(frame).unwrap() else {
        panic!("not a start")
    };
    assert_eq!(start.sequence_number, Some(1));
    assert_eq!(start.stream_id, stream_id());
    assert_eq!(
        start.call_id,
        CallId::new("12345678-1234-1234-1234-123456789abc")
    );
    assert_eq!(start.account_id.as_deref(), Some("MAXXXXXXXXXXXXXXXXXX"));
    assert_eq!(start.tracks, vec![Track::Inbound]);
    assert_eq!(
        start.media_format,
        MediaFormat {
            encoding: "audio/x-mulaw".into(),
            sample_rate_hz: 8000
        }
    );
    assert_eq!(
        start.media_format.content_type(),
        Some(ContentType::MulawRate8000)
    );
    assert_eq!(
        start.extra_headers.as_deref(),
        Some("userId=12345;sessionId=abc-xyz")
    );
    assert_eq!((start.from, start.to), (None, None));
}

#[test]
fn documented_media_decodes() {
    let frame = r#"{
      "event": "media",
      "sequenceNumber": 42,
      "streamId": "87654321-4321-4321-4321-cba987654321",
      "media": { "track": "inbound", "timestamp": "1705312200000", "chunk": 41, "payload": "//79/A==" },
      "extra_headers": "userId=12345;sessionId=abc-xyz"
    }"#;
    assert_eq!(
        plivo::decode(frame).unwrap(),
        Inbound::Media(Media {
            sequence_number: Some(42),
            stream_id: Some(stream_id()),
            track: Track::Inbound,
            timestamp_ms: Some(1_705_312_200_000),
            chunk: Some(41),
            payload: vec![0xff, 0xfe, 0xfd, 0xfc],
        })
    );
}

#[test]
fn dtmf_played_stream_and_cleared_audio_decode() {
    let dtmf = r##"{"event":"dtmf","sequenceNumber":50,"streamId":"87654321-4321-4321-4321-cba987654321","dtmf":{"track":"inbound","digit":"#","timestamp":"1705312205000"}}"##;
    assert_eq!(
        plivo::decode(dtmf).unwrap(),
        Inbound::Dtmf(Dtmf {
            sequence_number: Some(50),
            stream_id: Some(stream_id()),
            track: Some(Track::Inbound),
            digit: '#',
            timestamp_ms: Some(1_705_312_205_000),
        })
    );
    let played = r#"{"event":"playedStream","streamId":"87654321-4321-4321-4321-cba987654321","name":"customer greeting audio"}"#;
    let expected = Inbound::PlayedStream(PlayedStream {
        sequence_number: None,
        stream_id: Some(stream_id()),
        name: "customer greeting audio".into(),
    });
    assert_eq!(plivo::decode(played).unwrap(), expected);
    // The older name from Plivo's support article.
    let played = r#"{"event":"played","streamId":"87654321-4321-4321-4321-cba987654321","name":"customer greeting audio"}"#;
    assert_eq!(plivo::decode(played).unwrap(), expected);
    let cleared = r#"{"sequenceNumber":0,"event":"clearedAudio","streamId":"87654321-4321-4321-4321-cba987654321"}"#;
    assert_eq!(
        plivo::decode(cleared).unwrap(),
        Inbound::ClearedAudio(ClearedAudio {
            sequence_number: Some(0),
            stream_id: Some(stream_id())
        })
    );
}

#[test]
fn unknown_events_and_stop_decode() {
    assert_eq!(
        plivo::decode(r#"{"event":"ping"}"#).unwrap(),
        Inbound::Unknown {
            event: "ping".into()
        }
    );
    let Inbound::Stop(stop) =
        plivo::decode(r#"{"event":"stop","streamId":"s","callId":"c"}"#).unwrap()
    else {
        panic!("not a stop")
    };
    assert_eq!(
        (stop.stream_id, stop.call_id),
        (Some(StreamId::new("s")), Some(CallId::new("c")))
    );
}

#[test]
fn what_a_call_needs_is_required() {
    let err = plivo::decode(r#"{"event":"start","start":{"callId":"c","mediaFormat":{"encoding":"audio/x-l16","sampleRate":16000}}}"#)
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "start.streamId"),
        "{err:?}"
    );
    let err =
        plivo::decode(r#"{"event":"start","start":{"streamId":"s","callId":"c"}}"#).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "start.mediaFormat"),
        "{err:?}"
    );
    let err = plivo::decode(r#"{"event":"media","media":{"track":"inbound"}}"#).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "media.payload"),
        "{err:?}"
    );
    let err = plivo::decode(r#"{"event":"playedStream","streamId":"s"}"#).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "name"),
        "{err:?}"
    );
    let err = plivo::decode(r#"{"event":"media","sequenceNumber":1.5,"media":{"payload":"AA=="}}"#)
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidField { field, .. } if field == "sequenceNumber"),
        "{err:?}"
    );
}

#[test]
fn l16_start_maps_to_its_content_type() {
    let frame = r#"{"event":"start","sequenceNumber":1,"start":{"callId":"c","streamId":"s","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-l16","sampleRate":16000}}}"#;
    let Inbound::Start(start) = plivo::decode(frame).unwrap() else {
        panic!("not a start")
    };
    assert_eq!(
        start.media_format.content_type(),
        Some(ContentType::L16Rate16000)
    );
}

#[test]
fn encoders_write_the_documented_text() {
    assert_eq!(
        plivo::encode_play_audio(ContentType::MulawRate8000, &[0xff, 0xff, 0xff]),
        r#"{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"////"}}"#
    );
    assert_eq!(
        plivo::encode_play_audio(ContentType::L16Rate16000, &[0, 0]),
        r#"{"event":"playAudio","media":{"contentType":"audio/x-l16","sampleRate":16000,"payload":"AAA="}}"#
    );
    assert_eq!(
        plivo::encode_checkpoint(
            &StreamId::new("20170ada-f610-433b-8758-c02a2aab3662"),
            "customer greeting audio"
        ),
        r#"{"event":"checkpoint","streamId":"20170ada-f610-433b-8758-c02a2aab3662","name":"customer greeting audio"}"#
    );
    assert_eq!(
        plivo::encode_clear_audio(&StreamId::new("20170ada-f610-433b-8758-c02a2aab3662")),
        r#"{"event":"clearAudio","streamId":"20170ada-f610-433b-8758-c02a2aab3662"}"#
    );
}

#[test]
fn outbound_decodes_as_plivo_reads_it() {
    let play = Outbound::PlayAudio {
        content_type: ContentType::L16Rate8000,
        payload: vec![1, 2, 3, 4],
    };
    assert_eq!(plivo::decode_outbound(&play.to_json()).unwrap(), play);
    // Other senders add a streamId and write the rate as a string.
    let pipecat_style = r#"{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":"8000","payload":"AA=="},"streamId":"s"}"#;
    assert_eq!(
        plivo::decode_outbound(pipecat_style).unwrap(),
        Outbound::PlayAudio {
            content_type: ContentType::MulawRate8000,
            payload: vec![0]
        }
    );
    let bad_rate = r#"{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":16000,"payload":"AA=="}}"#;
    assert!(matches!(
        plivo::decode_outbound(bad_rate),
        Err(Error::InvalidField { .. })
    ));
    let checkpoint = Outbound::Checkpoint {
        stream_id: stream_id(),
        name: "t2-c0".into(),
    };
    assert_eq!(
        plivo::decode_outbound(&checkpoint.to_json()).unwrap(),
        checkpoint
    );
    assert!(matches!(
        plivo::decode_outbound(r#"{"event":"sendDTMF","dtmf":"12"}"#),
        Err(Error::UnknownEvent { .. })
    ));
}

#[test]
fn answer_xml_for_a_bidirectional_stream() {
    let xml = Response::new()
        .stream(
            Stream::new("wss://awaaz.example.com/plivo/media?x=1&y=2")
                .bidirectional(true)
                .keep_call_alive(true)
                .content_type(ContentType::MulawRate8000)
                .stream_timeout_s(3600)
                .status_callback("https://awaaz.example.com/plivo/stream-status", "POST")
                .extra_header("callRef", "abc-123")
                .extra_header("lang", "hi"),
        )
        .render();
    assert_eq!(
        xml,
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#,
            r#"<Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000" streamTimeout="3600" "#,
            r#"statusCallbackUrl="https://awaaz.example.com/plivo/stream-status" statusCallbackMethod="POST" extraHeaders="callRef=abc123,lang=hi">"#,
            "wss://awaaz.example.com/plivo/media?x=1&amp;y=2</Stream></Response>"
        )
    );
}

#[test]
fn answer_xml_speak_dial_wait_hangup() {
    let xml = Response::new()
        .speak(
            Speak::new("Namaste! <Aapka> call & \"transfer\"")
                .voice("Polly.Aditi")
                .language("hi-IN"),
        )
        .wait(2)
        .dial(
            Dial::number("+919876543210")
                .caller_id("+918047491899")
                .timeout_s(20),
        )
        .dial(Dial::sip("sip:agent@pbx.example.com"))
        .hangup()
        .render();
    assert_eq!(
        xml,
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#,
            r#"<Speak voice="Polly.Aditi" language="hi-IN">Namaste! &lt;Aapka&gt; call &amp; "transfer"</Speak>"#,
            r#"<Wait length="2"/>"#,
            r#"<Dial callerId="+918047491899" timeout="20"><Number>+919876543210</Number></Dial>"#,
            r#"<Dial><User>sip:agent@pbx.example.com</User></Dial>"#,
            "<Hangup/></Response>"
        )
    );
    assert_eq!(
        Response::new().render(),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#
    );
}

// ---- X-Plivo-Signature-V3: the published vectors of Plivo's Go helper library ----

mod signature_v3 {
    use awaaz_telephony::plivo::signature::{Method, SignatureV3Validator};
    use awaaz_telephony::Error;

    const AUTH_TOKEN: &str = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4";
    const NONCE: &str = "31627761595286130198";
    const URL_WITH_QUERY: &str =
        "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d";
    const URL: &str = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml";

    fn params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("Direction", "outbound"),
            ("From", "19792014278"),
            ("ALegUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
            ("CallStatus", "in-progress"),
            ("BillRate", "0.002"),
            ("ParentAuthID", "MANWVLYTK4ZWU1YTY4QA"),
            (
                "To",
                "sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com",
            ),
            ("ALegRequestUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
            ("CallUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
            ("RequestUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
            (
                "SIP-H-To",
                "<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1",
            ),
            ("SessionStart", "2020-04-08 11:34:33.238707"),
            ("Event", "StartApp"),
        ]
    }

    #[test]
    fn published_vectors_match() {
        let v = SignatureV3Validator::new(AUTH_TOKEN);
        for (method, url, expected) in [
            (
                Method::Post,
                URL_WITH_QUERY,
                "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c=",
            ),
            (
                Method::Get,
                URL_WITH_QUERY,
                "UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ=",
            ),
            (
                Method::Post,
                URL,
                "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=",
            ),
            (
                Method::Get,
                URL,
                "i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc=",
            ),
        ] {
            assert_eq!(
                v.compute(method, url, &params(), NONCE),
                expected,
                "{method:?} {url}"
            );
            v.validate(method, url, &params(), NONCE, expected)
                .unwrap_or_else(|e| panic!("{method:?} {url}: {e}"));
        }
    }

    #[test]
    fn a_form_body_validates_and_any_listed_signature_is_enough() {
        let v = SignatureV3Validator::new(AUTH_TOKEN);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params())
            .finish();
        let good = "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=";
        v.validate_form(URL, body.as_bytes(), NONCE, good).unwrap();
        // Two active auth tokens: Plivo lists both signatures.
        v.validate_form(
            URL,
            body.as_bytes(),
            NONCE,
            &format!("c29tZXRoaW5nIGVsc2U=, {good}"),
        )
        .unwrap();
    }

    #[test]
    fn any_change_is_refused() {
        let v = SignatureV3Validator::new(AUTH_TOKEN);
        let good = "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=";
        let mismatch = |r: Result<(), Error>| matches!(r, Err(Error::SignatureMismatch));
        // Another nonce, URL, scheme, parameter value, token or method.
        assert!(mismatch(v.validate(
            Method::Post,
            URL,
            &params(),
            "1",
            good
        )));
        assert!(mismatch(v.validate(
            Method::Post,
            URL_WITH_QUERY,
            &params(),
            NONCE,
            good
        )));
        let http = URL.replacen("https", "http", 1);
        assert!(mismatch(v.validate(
            Method::Post,
            &http,
            &params(),
            NONCE,
            good
        )));
        let mut changed = params();
        changed[1].1 = "19792014279";
        assert!(mismatch(v.validate(
            Method::Post,
            URL,
            &changed,
            NONCE,
            good
        )));
        let mut extra = params();
        extra.push(("Digits", "0"));
        assert!(mismatch(v.validate(Method::Post, URL, &extra, NONCE, good)));
        assert!(mismatch(SignatureV3Validator::new("other").validate(
            Method::Post,
            URL,
            &params(),
            NONCE,
            good
        )));
        assert!(mismatch(v.validate(
            Method::Get,
            URL,
            &params(),
            NONCE,
            good
        )));
        // Missing headers.
        for (nonce, signature) in [("", good), (NONCE, ""), (NONCE, "  "), ("  ", good)] {
            assert!(matches!(
                v.validate(Method::Post, URL, &params(), nonce, signature),
                Err(Error::SignatureMissing)
            ));
        }
    }
}
