//! Shared wire helpers: reading JSON frames leniently, writing JSON and XML,
//! and the small value types every carrier module uses.
//!
//! Frames are read through [`serde_json::Value`] and the [`Obj`] accessor
//! rather than derived `Deserialize` impls, so that every error can name the
//! event and the dotted path of the field at fault, numbers may arrive as
//! strings, and a field may have more than one spelling.
//!
//! JSON is written by hand ([`JsonObject`]) so that field order is exactly
//! the carrier's, whatever features of `serde_json` other crates enable.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::Error;

/// Decodes standard base64 with or without `=` padding.
const B64_DECODE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Declares a string id newtype (`StreamSid`, `CallId`, …).
macro_rules! id_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as received from, or configured for, the carrier.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Gives back the id's text.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use id_newtype;

/// A telephone number as the carrier sent it (caller or called party).
///
/// Its `Debug` output is redacted, so a frame can be logged with `{:?}`
/// without leaking who called; use [`PhoneNumber::as_str`] where the number
/// is really needed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Wraps a number.
    pub fn new(number: impl Into<String>) -> Self {
        Self(number.into())
    }

    /// The number as the carrier sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneNumber(<redacted>)")
    }
}

/// Custom key/value parameters passed into a stream (TwiML `<Parameter>`s,
/// Exotel `custom_parameters`).
///
/// They often carry customer data, so `Debug` shows the keys only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CustomParameters(BTreeMap<String, String>);

impl CustomParameters {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of one parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Sets one parameter, returning the previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(name.into(), value.into())
    }

    /// All parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for CustomParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomParameters")
            .field("keys", &self.0.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for CustomParameters {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Which side of the call a piece of audio or a key press belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Track {
    /// Audio from the caller to the carrier (`inbound`, `inbound_track`).
    Inbound,
    /// Audio from the carrier to the caller (`outbound`, `outbound_track`).
    Outbound,
    /// Any other value, kept as sent.
    Other(String),
}

impl Track {
    /// Reads a carrier's track name; `inbound_track`/`outbound_track` (Twilio
    /// DTMF) mean the same as `inbound`/`outbound`.
    pub fn parse(name: &str) -> Self {
        match name {
            "inbound" | "inbound_track" => Self::Inbound,
            "outbound" | "outbound_track" => Self::Outbound,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The short name: `inbound`, `outbound` or the other value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::Other(name) => name,
        }
    }
}

/// Bytes of audio shown by length only in `Debug` output.
pub(crate) struct AudioLen<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for AudioLen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A frame that is a JSON object with a string `event`.
pub(crate) struct Frame {
    pub(crate) event: String,
    pub(crate) root: Map<String, Value>,
}

impl Frame {
    /// The top-level object, for reading fields.
    pub(crate) fn obj(&self) -> Obj<'_> {
        Obj {
            event: &self.event,
            path: "",
            map: &self.root,
        }
    }
}

/// Checks the size, parses the JSON and reads the `event` field.
pub(crate) fn parse_frame(text: &str, max_frame_bytes: usize) -> Result<Frame, Error> {
    if text.len() > max_frame_bytes {
        return Err(Error::FrameTooLarge {
            len: text.len(),
            max: max_frame_bytes,
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|source| Error::InvalidJson {
        line: source.line(),
        column: source.column(),
        source,
    })?;
    let Value::Object(root) = value else {
        return Err(Error::NotAnObject);
    };
    let event = match root.get("event") {
        Some(Value::String(event)) => event.clone(),
        None | Some(Value::Null) => {
            return Err(Error::MissingField {
                event: "unknown".to_owned(),
                field: "event".to_owned(),
            })
        }
        Some(_) => {
            return Err(Error::InvalidField {
                event: "unknown".to_owned(),
                field: "event".to_owned(),
                expected: "a string",
            })
        }
    };
    Ok(Frame { event, root })
}

const EXPECT_UINT: &str = "an unsigned integer or a string of digits";

/// A JSON object inside a frame, with its dotted path for error messages.
///
/// Every accessor takes a list of accepted spellings; the first is the
/// canonical one used in errors. `null` counts as absent.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    event: &'a str,
    path: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn field_path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    pub(crate) fn missing(&self, names: &[&'static str]) -> Error {
        Error::MissingField {
            event: self.event.to_owned(),
            field: self.field_path(names.first().copied().unwrap_or_default()),
        }
    }

    pub(crate) fn invalid(&self, names: &[&'static str], expected: &'static str) -> Error {
        Error::InvalidField {
            event: self.event.to_owned(),
            field: self.field_path(names.first().copied().unwrap_or_default()),
            expected,
        }
    }

    /// The first non-null value among the spellings.
    pub(crate) fn get(&self, names: &[&'static str]) -> Option<&'a Value> {
        names
            .iter()
            .filter_map(|name| self.map.get(*name))
            .find(|value| !value.is_null())
    }

    /// A required string.
    pub(crate) fn str(&self, names: &[&'static str]) -> Result<&'a str, Error> {
        self.opt_str(names)?.ok_or_else(|| self.missing(names))
    }

    /// An optional string.
    pub(crate) fn opt_str(&self, names: &[&'static str]) -> Result<Option<&'a str>, Error> {
        match self.get(names) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.invalid(names, "a string")),
        }
    }

    /// An optional scalar as text: strings as they are, numbers and booleans
    /// in their JSON spelling (for loosely typed maps such as custom parameters).
    fn scalar_text(value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// A required unsigned integer, sent as a number or a string of digits.
    pub(crate) fn u64(&self, names: &[&'static str]) -> Result<u64, Error> {
        self.opt_u64(names)?.ok_or_else(|| self.missing(names))
    }

    /// An optional unsigned integer, sent as a number or a string of digits.
    pub(crate) fn opt_u64(&self, names: &[&'static str]) -> Result<Option<u64>, Error> {
        match self.get(names) {
            None => Ok(None),
            Some(value) => lenient_u64(value)
                .map(Some)
                .ok_or_else(|| self.invalid(names, EXPECT_UINT)),
        }
    }

    /// An optional unsigned integer that may carry a unit after its digits
    /// (`"8000"`, `8000`, `"8000Hz"`, `"16 bit"`). An empty string counts as absent.
    pub(crate) fn opt_u64_with_unit(&self, names: &[&'static str]) -> Result<Option<u64>, Error> {
        match self.get(names) {
            None => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => {
                let text = text.trim();
                let digits = text
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(text, |end| &text[..end]);
                digits
                    .parse()
                    .map(Some)
                    .map_err(|_| self.invalid(names, EXPECT_UINT))
            }
            Some(value) => lenient_u64(value)
                .map(Some)
                .ok_or_else(|| self.invalid(names, EXPECT_UINT)),
        }
    }

    /// A required unsigned 32-bit integer.
    pub(crate) fn u32(&self, names: &[&'static str]) -> Result<u32, Error> {
        let value = self.u64(names)?;
        u32::try_from(value).map_err(|_| self.invalid(names, "an integer that fits in 32 bits"))
    }

    /// A required unsigned 16-bit integer.
    pub(crate) fn u16(&self, names: &[&'static str]) -> Result<u16, Error> {
        let value = self.u64(names)?;
        u16::try_from(value).map_err(|_| self.invalid(names, "an integer that fits in 16 bits"))
    }

    /// Narrows an optional integer to 32 bits.
    pub(crate) fn fit_u32(
        &self,
        names: &[&'static str],
        value: Option<u64>,
    ) -> Result<Option<u32>, Error> {
        value
            .map(|v| {
                u32::try_from(v).map_err(|_| self.invalid(names, "an integer that fits in 32 bits"))
            })
            .transpose()
    }

    /// A required single character (a DTMF digit).
    pub(crate) fn char(&self, names: &[&'static str]) -> Result<char, Error> {
        let text = self.str(names)?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(self.invalid(names, "a single character")),
        }
    }

    /// A required nested object; `path` is its dotted path for errors.
    pub(crate) fn obj(&self, names: &[&'static str], path: &'static str) -> Result<Self, Error> {
        self.opt_obj(names, path)?
            .ok_or_else(|| self.missing(names))
    }

    /// An optional nested object.
    pub(crate) fn opt_obj(
        &self,
        names: &[&'static str],
        path: &'static str,
    ) -> Result<Option<Self>, Error> {
        match self.get(names) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                event: self.event,
                path,
                map,
            })),
            Some(_) => Err(self.invalid(names, "an object")),
        }
    }

    /// A required base64 audio payload, decoded.
    pub(crate) fn base64(&self, names: &[&'static str]) -> Result<Vec<u8>, Error> {
        let text = self.str(names)?;
        B64_DECODE
            .decode(text.trim())
            .map_err(|source| Error::InvalidBase64 {
                event: self.event.to_owned(),
                field: self.field_path(names.first().copied().unwrap_or_default()),
                source,
            })
    }

    /// A required list of track names.
    pub(crate) fn tracks(&self, names: &[&'static str]) -> Result<Vec<Track>, Error> {
        self.opt_tracks(names)?.ok_or_else(|| self.missing(names))
    }

    /// An optional list of track names (a single string counts as a list of one).
    pub(crate) fn opt_tracks(&self, names: &[&'static str]) -> Result<Option<Vec<Track>>, Error> {
        match self.get(names) {
            None => Ok(None),
            Some(Value::String(track)) => Ok(Some(vec![Track::parse(track)])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(track) => Ok(Track::parse(track)),
                    _ => Err(self.invalid(names, "a list of strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.invalid(names, "a list of strings")),
        }
    }

    /// Optional custom parameters: an object whose values are scalars.
    /// Nested objects and arrays are refused.
    pub(crate) fn params(&self, names: &[&'static str]) -> Result<CustomParameters, Error> {
        match self.get(names) {
            None => Ok(CustomParameters::new()),
            Some(Value::Object(map)) => map
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| {
                    Self::scalar_text(value)
                        .map(|text| (key.clone(), text))
                        .ok_or_else(|| self.invalid(names, "an object of strings"))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(CustomParameters),
            Some(_) => Err(self.invalid(names, "an object of strings")),
        }
    }
}

/// A number, or a string of ASCII digits (surrounding spaces allowed).
fn lenient_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => {
            let text = text.trim();
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.parse().ok()
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Writing JSON
// ---------------------------------------------------------------------------

/// Appends `text` as a JSON string literal.
pub(crate) fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes one JSON object, field by field, in the order given.
pub(crate) struct JsonObject<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> JsonObject<'a> {
    fn begin(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_json_str(self.out, key);
        self.out.push(':');
    }

    /// A string field.
    pub(crate) fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_json_str(self.out, value);
        self
    }

    /// A string field, if present.
    pub(crate) fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(key, value);
        }
        self
    }

    /// A number field.
    pub(crate) fn num(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        let _ = write!(self.out, "{value}");
        self
    }

    /// A number written as a string, the way Twilio and Exotel send counters.
    pub(crate) fn num_str(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        let _ = write!(self.out, "\"{value}\"");
        self
    }

    /// A number written as a string, if present.
    pub(crate) fn opt_num_str(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(value) = value {
            self.num_str(key, value);
        }
        self
    }

    /// A number field, if present.
    pub(crate) fn opt_num(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(value) = value {
            self.num(key, value);
        }
        self
    }

    /// Bytes as a base64 string.
    pub(crate) fn base64(&mut self, key: &str, bytes: &[u8]) -> &mut Self {
        self.key(key);
        self.out.push('"');
        STANDARD.encode_string(bytes, self.out);
        self.out.push('"');
        self
    }

    /// An array of strings.
    pub(crate) fn str_array<'s>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = &'s str>,
    ) -> &mut Self {
        self.key(key);
        self.out.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_json_str(self.out, item);
        }
        self.out.push(']');
        self
    }

    /// An object of string values.
    pub(crate) fn str_map<'s>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = (&'s str, &'s str)>,
    ) -> &mut Self {
        self.object(key, |object| {
            for (k, v) in items {
                object.str(k, v);
            }
        })
    }

    /// A nested object.
    pub(crate) fn object(
        &mut self,
        key: &str,
        fill: impl FnOnce(&mut JsonObject<'_>),
    ) -> &mut Self {
        self.key(key);
        let mut inner = JsonObject::begin(self.out);
        fill(&mut inner);
        inner.out.push('}');
        self
    }
}

/// Writes one JSON object and returns its text.
pub(crate) fn json_object(fill: impl FnOnce(&mut JsonObject<'_>)) -> String {
    let mut out = String::with_capacity(128);
    let mut object = JsonObject::begin(&mut out);
    fill(&mut object);
    object.out.push('}');
    out
}

// ---------------------------------------------------------------------------
// Writing XML
// ---------------------------------------------------------------------------

/// The declaration both TwiML and Plivo XML documents start with.
pub(crate) const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Whether XML 1.0 allows the character at all (it does not allow most
/// control characters, escaped or not); such characters are dropped.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (u32::from(c) >= 0x20 && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Appends element text, escaped.
pub(crate) fn push_xml_text(out: &mut String, text: &str) {
    for c in text.chars().filter(|c| xml_allowed(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Appends an attribute value (without the quotes), escaped. Tabs and line
/// breaks are written as character references so that attribute-value
/// normalisation does not turn them into spaces.
pub(crate) fn push_xml_attr(out: &mut String, value: &str) {
    for c in value.chars().filter(|c| xml_allowed(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Appends `<name attr="value"…>` (or `…/>` when `empty`), skipping absent
/// attributes.
pub(crate) fn push_xml_open(
    out: &mut String,
    name: &str,
    attrs: &[(&str, Option<&str>)],
    empty: bool,
) {
    out.push('<');
    out.push_str(name);
    for (attr, value) in attrs {
        if let Some(value) = value {
            out.push(' ');
            out.push_str(attr);
            out.push_str("=\"");
            push_xml_attr(out, value);
            out.push('"');
        }
    }
    out.push_str(if empty { "/>" } else { ">" });
}

/// Appends `</name>`.
pub(crate) fn push_xml_close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `<name attrs>text</name>`.
pub(crate) fn push_xml_text_element(
    out: &mut String,
    name: &str,
    attrs: &[(&str, Option<&str>)],
    text: &str,
) {
    push_xml_open(out, name, attrs, false);
    push_xml_text(out, text);
    push_xml_close(out, name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn xml_escapes_markup_and_drops_forbidden_controls() {
        let mut text = String::new();
        push_xml_text(&mut text, "a<b>&c\u{0}\"'");
        assert_eq!(text, "a&lt;b&gt;&amp;c\"'");
        let mut attr = String::new();
        push_xml_attr(&mut attr, "x\"y'z\n&");
        assert_eq!(attr, "x&quot;y&apos;z&#10;&amp;");
    }

    #[test]
    fn numbers_may_come_as_strings_with_or_without_units() {
        let frame = parse_frame(
            r#"{"event":"x","a":"12","b":12,"c":"8000Hz","d":"1x"}"#,
            1000,
        )
        .unwrap();
        let obj = frame.obj();
        assert_eq!(obj.u64(&["a"]).unwrap(), 12);
        assert_eq!(obj.u64(&["b"]).unwrap(), 12);
        assert_eq!(obj.opt_u64_with_unit(&["c"]).unwrap(), Some(8000));
        assert!(matches!(obj.u64(&["d"]), Err(Error::InvalidField { .. })));
        assert!(matches!(obj.u64(&["zz"]), Err(Error::MissingField { .. })));
    }

    #[test]
    fn debug_output_redacts_numbers_and_parameter_values() {
        let number = PhoneNumber::new("+919876543210");
        assert_eq!(format!("{number:?}"), "PhoneNumber(<redacted>)");
        let params: CustomParameters = [("caller", "+919876543210")].into_iter().collect();
        let shown = format!("{params:?}");
        assert!(shown.contains("caller"), "{shown}");
        assert!(!shown.contains("9876"), "{shown}");
    }
}
