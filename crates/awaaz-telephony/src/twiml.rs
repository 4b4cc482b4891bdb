//! A small TwiML builder: the voice `<Response>` awaaz answers Twilio with.
//!
//! It knows the few verbs awaaz needs — `<Connect><Stream>` with
//! `<Parameter>`s, `<Say>`, `<Dial>` (a number or `<Sip>`), `<Pause>` and
//! `<Hangup/>` — and renders them as one line after the XML declaration, the
//! way Twilio's helper libraries do. It is not a general TwiML library and
//! does not check that Twilio would accept a document.
//!
//! ```
//! use awaaz_telephony::twiml::{Stream, VoiceResponse};
//!
//! let twiml = VoiceResponse::new()
//!     .connect_stream(Stream::new("wss://awaaz.example.com/twilio/media").parameter("lang", "hi"))
//!     .render();
//! assert_eq!(
//!     twiml,
//!     r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://awaaz.example.com/twilio/media"><Parameter name="lang" value="hi"/></Stream></Connect></Response>"#
//! );
//! ```
//!
//! Attribute values and text are XML-escaped; characters XML 1.0 cannot
//! carry are dropped.
//!
//! Reference: <https://www.twilio.com/docs/voice/twiml/stream>,
//! <https://www.twilio.com/docs/voice/twiml/say>, <https://www.twilio.com/docs/voice/twiml/dial>.

use crate::wire::{push_xml_close, push_xml_open, push_xml_text_element, XML_DECLARATION};

/// A TwiML voice `<Response>`: verbs run in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceResponse {
    verbs: Vec<Verb>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verb {
    ConnectStream(Stream),
    Say(Say),
    Dial(Dial),
    Pause { length_s: u32 },
    Hangup,
}

impl VoiceResponse {
    /// An empty response (Twilio hangs up when it runs out of verbs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `<Connect><Stream>`: a bidirectional Media Stream. Twilio runs no
    /// verb after it until the stream ends.
    #[must_use]
    pub fn connect_stream(mut self, stream: Stream) -> Self {
        self.verbs.push(Verb::ConnectStream(stream));
        self
    }

    /// Adds `<Say>`.
    #[must_use]
    pub fn say(mut self, say: Say) -> Self {
        self.verbs.push(Verb::Say(say));
        self
    }

    /// Adds `<Dial>`.
    #[must_use]
    pub fn dial(mut self, dial: Dial) -> Self {
        self.verbs.push(Verb::Dial(dial));
        self
    }

    /// Adds `<Pause length="…"/>`.
    #[must_use]
    pub fn pause(mut self, length_s: u32) -> Self {
        self.verbs.push(Verb::Pause { length_s });
        self
    }

    /// Adds `<Hangup/>`.
    #[must_use]
    pub fn hangup(mut self) -> Self {
        self.verbs.push(Verb::Hangup);
        self
    }

    /// The document, starting with the XML declaration, without whitespace
    /// between elements.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str(XML_DECLARATION);
        if self.verbs.is_empty() {
            out.push_str("<Response/>");
            return out;
        }
        out.push_str("<Response>");
        for verb in &self.verbs {
            match verb {
                Verb::ConnectStream(stream) => {
                    out.push_str("<Connect>");
                    stream.render(&mut out);
                    out.push_str("</Connect>");
                }
                Verb::Say(say) => say.render(&mut out),
                Verb::Dial(dial) => dial.render(&mut out),
                Verb::Pause { length_s } => {
                    push_xml_open(
                        &mut out,
                        "Pause",
                        &[("length", Some(&length_s.to_string()))],
                        true,
                    );
                }
                Verb::Hangup => out.push_str("<Hangup/>"),
            }
        }
        out.push_str("</Response>");
        out
    }
}

/// `<Stream>`: where Twilio opens the Media Stream WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    url: String,
    name: Option<String>,
    status_callback: Option<String>,
    parameters: Vec<(String, String)>,
}

impl Stream {
    /// Streams to `url` (`wss://…`; Twilio drops query strings, so pass
    /// values as [`Stream::parameter`]s).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            name: None,
            status_callback: None,
            parameters: Vec::new(),
        }
    }

    /// `name`: a name for the stream, unique within the call.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// `statusCallback`: a URL Twilio posts stream events to.
    #[must_use]
    pub fn status_callback(mut self, url: impl Into<String>) -> Self {
        self.status_callback = Some(url.into());
        self
    }

    /// A `<Parameter name value/>`; Twilio echoes it in `start.customParameters`.
    #[must_use]
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }

    fn render(&self, out: &mut String) {
        let attrs = [
            ("url", Some(self.url.as_str())),
            ("name", self.name.as_deref()),
            ("statusCallback", self.status_callback.as_deref()),
        ];
        if self.parameters.is_empty() {
            push_xml_open(out, "Stream", &attrs, true);
            return;
        }
        push_xml_open(out, "Stream", &attrs, false);
        for (name, value) in &self.parameters {
            push_xml_open(
                out,
                "Parameter",
                &[
                    ("name", Some(name.as_str())),
                    ("value", Some(value.as_str())),
                ],
                true,
            );
        }
        push_xml_close(out, "Stream");
    }
}

/// `<Say>`: text-to-speech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    text: String,
    voice: Option<String>,
    language: Option<String>,
}

impl Say {
    /// Says `text` in Twilio's default voice.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            voice: None,
            language: None,
        }
    }

    /// `voice`, e.g. `Polly.Aditi` or `Google.hi-IN-Standard-A`.
    #[must_use]
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = Some(voice.into());
        self
    }

    /// `language`, e.g. `hi-IN` or `en-IN`.
    #[must_use]
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    fn render(&self, out: &mut String) {
        push_xml_text_element(
            out,
            "Say",
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
    target: DialTarget,
    caller_id: Option<String>,
    timeout_s: Option<u32>,
    action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DialTarget {
    Number(String),
    Sip(String),
}

impl Dial {
    /// Dials a phone number: `<Dial>+91…</Dial>`.
    pub fn number(number: impl Into<String>) -> Self {
        Self {
            target: DialTarget::Number(number.into()),
            caller_id: None,
            timeout_s: None,
            action: None,
        }
    }

    /// Dials a SIP URI: `<Dial><Sip>sip:…</Sip></Dial>`.
    pub fn sip(uri: impl Into<String>) -> Self {
        Self {
            target: DialTarget::Sip(uri.into()),
            caller_id: None,
            timeout_s: None,
            action: None,
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

    /// `action`: a URL Twilio requests when the dialled call ends.
    #[must_use]
    pub fn action(mut self, url: impl Into<String>) -> Self {
        self.action = Some(url.into());
        self
    }

    fn render(&self, out: &mut String) {
        let timeout = self.timeout_s.map(|s| s.to_string());
        let attrs = [
            ("callerId", self.caller_id.as_deref()),
            ("timeout", timeout.as_deref()),
            ("action", self.action.as_deref()),
        ];
        match &self.target {
            DialTarget::Number(number) => push_xml_text_element(out, "Dial", &attrs, number),
            DialTarget::Sip(uri) => {
                push_xml_open(out, "Dial", &attrs, false);
                push_xml_text_element(out, "Sip", &[], uri);
                push_xml_close(out, "Dial");
            }
        }
    }
}
