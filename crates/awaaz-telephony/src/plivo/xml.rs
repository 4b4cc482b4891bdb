//! Plivo XML: the answer document that starts a bidirectional audio stream
//! (or speaks, dials or hangs up).
//!
//! ```
//! use awaaz_telephony::plivo::xml::{Response, Stream};
//! use awaaz_telephony::plivo::ContentType;
//!
//! let xml = Response::new()
//!     .stream(
//!         Stream::new("wss://awaaz.example.com/plivo/media")
//!             .bidirectional(true)
//!             .keep_call_alive(true)
//!             .content_type(ContentType::MulawRate8000),
//!     )
//!     .render();
//! assert_eq!(
//!     xml,
//!     r#"<?xml version="1.0" encoding="UTF-8"?><Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">wss://awaaz.example.com/plivo/media</Stream></Response>"#
//! );
//! ```
//!
//! Attribute values and text are XML-escaped; characters XML 1.0 cannot
//! carry are dropped. Element reference: <https://www.plivo.com/docs/voice/xml/audiostream>.

use crate::plivo::ContentType;
use crate::wire::{
    push_xml_close, push_xml_open, push_xml_text, push_xml_text_element, XML_DECLARATION,
};

/// A Plivo XML `<Response>`: elements run in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    elements: Vec<Element>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Stream(Stream),
    Speak(Speak),
    Dial(Dial),
    Wait { length_s: u32 },
    Hangup,
}

impl Response {
    /// An empty response (Plivo hangs up when it runs out of elements).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `<Stream>`.
    #[must_use]
    pub fn stream(mut self, stream: Stream) -> Self {
        self.elements.push(Element::Stream(stream));
        self
    }

    /// Adds `<Speak>`.
    #[must_use]
    pub fn speak(mut self, speak: Speak) -> Self {
        self.elements.push(Element::Speak(speak));
        self
    }

    /// Adds `<Dial>`.
    #[must_use]
    pub fn dial(mut self, dial: Dial) -> Self {
        self.elements.push(Element::Dial(dial));
        self
    }

    /// Adds `<Wait length="…"/>`.
    #[must_use]
    pub fn wait(mut self, length_s: u32) -> Self {
        self.elements.push(Element::Wait { length_s });
        self
    }

    /// Adds `<Hangup/>`.
    #[must_use]
    pub fn hangup(mut self) -> Self {
        self.elements.push(Element::Hangup);
        self
    }

    /// The document, starting with the XML declaration, without whitespace
    /// between elements.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str(XML_DECLARATION);
        if self.elements.is_empty() {
            out.push_str("<Response/>");
            return out;
        }
        out.push_str("<Response>");
        for element in &self.elements {
            match element {
                Element::Stream(stream) => stream.render(&mut out),
                Element::Speak(speak) => speak.render(&mut out),
                Element::Dial(dial) => dial.render(&mut out),
                Element::Wait { length_s } => {
                    push_xml_open(
                        &mut out,
                        "Wait",
                        &[("length", Some(&length_s.to_string()))],
                        true,
                    );
                }
                Element::Hangup => out.push_str("<Hangup/>"),
            }
        }
        out.push_str("</Response>");
        out
    }
}

/// `<Stream>`: stream the call's audio to a WebSocket URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    url: String,
    bidirectional: bool,
    keep_call_alive: bool,
    content_type: Option<ContentType>,
    audio_track: Option<String>,
    stream_timeout_s: Option<u32>,
    status_callback_url: Option<String>,
    status_callback_method: Option<String>,
    extra_headers: Vec<(String, String)>,
}

impl Stream {
    /// Streams to `url` (`wss://…`), one-way, in Plivo's default format.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            bidirectional: false,
            keep_call_alive: false,
            content_type: None,
            audio_track: None,
            stream_timeout_s: None,
            status_callback_url: None,
            status_callback_method: None,
            extra_headers: Vec::new(),
        }
    }

    /// `bidirectional="true"`: we may send `playAudio` back.
    #[must_use]
    pub fn bidirectional(mut self, on: bool) -> Self {
        self.bidirectional = on;
        self
    }

    /// `keepCallAlive="true"`: run nothing after the stream until it ends.
    #[must_use]
    pub fn keep_call_alive(mut self, on: bool) -> Self {
        self.keep_call_alive = on;
        self
    }

    /// `contentType`: the codec and rate of streamed audio.
    #[must_use]
    pub fn content_type(mut self, content_type: ContentType) -> Self {
        self.content_type = Some(content_type);
        self
    }

    /// `audioTrack`: `inbound` (default), `outbound` or `both`; bidirectional
    /// streams must use `inbound`.
    #[must_use]
    pub fn audio_track(mut self, track: impl Into<String>) -> Self {
        self.audio_track = Some(track.into());
        self
    }

    /// `streamTimeout`: stop streaming after this many seconds.
    #[must_use]
    pub fn stream_timeout_s(mut self, seconds: u32) -> Self {
        self.stream_timeout_s = Some(seconds);
        self
    }

    /// `statusCallbackUrl` and `statusCallbackMethod` (`GET` or `POST`).
    #[must_use]
    pub fn status_callback(mut self, url: impl Into<String>, method: impl Into<String>) -> Self {
        self.status_callback_url = Some(url.into());
        self.status_callback_method = Some(method.into());
        self
    }

    /// One `extraHeaders` pair, passed to the WebSocket as `name=value`.
    /// Plivo allows only ASCII letters and digits here; other characters are
    /// dropped when rendering (so a value cannot smuggle in `,` or `=`).
    #[must_use]
    pub fn extra_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.into(), value.into()));
        self
    }

    fn render(&self, out: &mut String) {
        let timeout = self.stream_timeout_s.map(|s| s.to_string());
        let headers = (!self.extra_headers.is_empty()).then(|| {
            let alnum = |s: &str| {
                s.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            };
            self.extra_headers
                .iter()
                .map(|(name, value)| format!("{}={}", alnum(name), alnum(value)))
                .collect::<Vec<_>>()
                .join(",")
        });
        push_xml_open(
            out,
            "Stream",
            &[
                ("bidirectional", self.bidirectional.then_some("true")),
                ("keepCallAlive", self.keep_call_alive.then_some("true")),
                ("contentType", self.content_type.map(ContentType::with_rate)),
                ("audioTrack", self.audio_track.as_deref()),
                ("streamTimeout", timeout.as_deref()),
                ("statusCallbackUrl", self.status_callback_url.as_deref()),
                (
                    "statusCallbackMethod",
                    self.status_callback_method.as_deref(),
                ),
                ("extraHeaders", headers.as_deref()),
            ],
            false,
        );
        push_xml_text(out, &self.url);
        push_xml_close(out, "Stream");
    }
}

/// `<Speak>`: text-to-speech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speak {
    text: String,
    voice: Option<String>,
    language: Option<String>,
}

impl Speak {
    /// Speaks `text` in Plivo's default voice.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            voice: None,
            language: None,
        }
    }

    /// `voice`, e.g. `WOMAN` or `Polly.Aditi`.
    #[must_use]
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = Some(voice.into());
        self
    }

    /// `language`, e.g. `hi-IN`.
    #[must_use]
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    fn render(&self, out: &mut String) {
        push_xml_text_element(
            out,
            "Speak",
            &[
                ("voice", self.voice.as_deref()),
                ("language", self.language.as_deref()),
            ],
            &self.text,
        );
    }
}

/// `<Dial>`: connect the caller to a number or a SIP endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    targets: Vec<DialTarget>,
    caller_id: Option<String>,
    timeout_s: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DialTarget {
    Number(String),
    User(String),
}

impl Dial {
    /// Dials a phone number (`<Number>`).
    pub fn number(number: impl Into<String>) -> Self {
        Self {
            targets: vec![DialTarget::Number(number.into())],
            caller_id: None,
            timeout_s: None,
        }
    }

    /// Dials a SIP endpoint (`<User>sip:…</User>`).
    pub fn sip(uri: impl Into<String>) -> Self {
        Self {
            targets: vec![DialTarget::User(uri.into())],
            caller_id: None,
            timeout_s: None,
        }
    }

    /// `callerId`: the number the called party sees.
    #[must_use]
    pub fn caller_id(mut self, caller_id: impl Into<String>) -> Self {
        self.caller_id = Some(caller_id.into());
        self
    }

    /// `timeout`: seconds to ring before giving up.
    #[must_use]
    pub fn timeout_s(mut self, seconds: u32) -> Self {
        self.timeout_s = Some(seconds);
        self
    }

    fn render(&self, out: &mut String) {
        let timeout = self.timeout_s.map(|s| s.to_string());
        push_xml_open(
            out,
            "Dial",
            &[
                ("callerId", self.caller_id.as_deref()),
                ("timeout", timeout.as_deref()),
            ],
            false,
        );
        for target in &self.targets {
            match target {
                DialTarget::Number(number) => push_xml_text_element(out, "Number", &[], number),
                DialTarget::User(uri) => push_xml_text_element(out, "User", &[], uri),
            }
        }
        push_xml_close(out, "Dial");
    }
}
