//! `X-Plivo-Signature-V3` validation: proof that a request came from Plivo.
//!
//! Plivo signs each request to an answer, hangup or transfer URL, and each
//! audio-stream WebSocket upgrade, with HMAC-SHA256 keyed by the account's
//! (or subaccount's) auth token, base64, in `X-Plivo-Signature-V3`; a fresh
//! random nonce goes in `X-Plivo-Signature-V3-Nonce`. What is signed:
//!
//! ```text
//!  base  = scheme://host[:port]/path            (no query, no fragment)
//!  query = the URL's query parameters, decoded, sorted by name then value, "name=value" joined by "&"
//!  GET:   base ["?" query]                      (for GET, extra params join the query)
//!  POST:  base ["?" query] ["." if query and params] params,
//!         with "?" whenever there is a query or there are params;
//!         params = each POST parameter's name then value, no separators, sorted by name then value
//!  signed = that + "." + nonce
//! ```
//!
//! The header may list several signatures separated by commas (one per
//! active auth token while a token is being rotated); any one matching is
//! enough. Comparison is constant-time. As with Twilio, the URL must be the
//! one Plivo requested (scheme and host as Plivo saw them: mind TLS-ending
//! proxies). This module does no I/O and never logs.
//!
//! Verified against the published test vectors of Plivo's Go helper library
//! (`ValidateSignatureV3`, GET and POST, with and without a query).

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use crate::Error;

type HmacSha256 = Hmac<Sha256>;

/// The header with the signature(s).
pub const SIGNATURE_HEADER: &str = "X-Plivo-Signature-V3";
/// The header with the nonce the signature covers.
pub const NONCE_HEADER: &str = "X-Plivo-Signature-V3-Nonce";

/// How the request was made; it changes what is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET (also a WebSocket upgrade): parameters are part of the query.
    Get,
    /// POST: form parameters are appended after the URL.
    Post,
}

/// Checks `X-Plivo-Signature-V3` headers with one auth token.
///
/// `Debug` does not show the token.
#[derive(Clone)]
pub struct SignatureV3Validator {
    auth_token: String,
}

impl fmt::Debug for SignatureV3Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureV3Validator")
            .finish_non_exhaustive()
    }
}

impl SignatureV3Validator {
    /// A validator for the account whose auth token this is.
    pub fn new(auth_token: impl Into<String>) -> Self {
        Self {
            auth_token: auth_token.into(),
        }
    }

    /// The signature Plivo would send for this request: `params` are the
    /// POST parameters, decoded (for GET, parameters beyond the URL's query,
    /// usually none).
    pub fn compute<K: AsRef<str>, V: AsRef<str>>(
        &self,
        method: Method,
        url: &str,
        params: &[(K, V)],
        nonce: &str,
    ) -> String {
        let mut signed = signed_url(method, url, params);
        signed.push('.');
        signed.push_str(nonce);
        STANDARD.encode(self.hmac(signed.as_bytes()))
    }

    /// Checks a request: `signatures` is the `X-Plivo-Signature-V3` header
    /// (one or more, comma-separated), `nonce` the
    /// `X-Plivo-Signature-V3-Nonce` header.
    ///
    /// # Errors
    /// [`Error::SignatureMissing`] when either header is empty,
    /// [`Error::SignatureMismatch`] when no signature matches.
    pub fn validate<K: AsRef<str>, V: AsRef<str>>(
        &self,
        method: Method,
        url: &str,
        params: &[(K, V)],
        nonce: &str,
        signatures: &str,
    ) -> Result<(), Error> {
        let nonce = nonce.trim();
        if nonce.is_empty() || signatures.trim().is_empty() {
            return Err(Error::SignatureMissing);
        }
        let expected = self.compute(method, url, params, nonce);
        let mut matched = Choice::from(0);
        for signature in signatures.split(',') {
            matched |= expected.as_bytes().ct_eq(signature.trim().as_bytes());
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }

    /// Checks a form-encoded POST from its raw body
    /// (`application/x-www-form-urlencoded`).
    ///
    /// # Errors
    /// As [`SignatureV3Validator::validate`].
    pub fn validate_form(
        &self,
        url: &str,
        form_body: &[u8],
        nonce: &str,
        signatures: &str,
    ) -> Result<(), Error> {
        let params: Vec<(String, String)> =
            form_urlencoded::parse(form_body).into_owned().collect();
        self.validate(Method::Post, url, &params, nonce, signatures)
    }

    /// An HMAC-SHA256 of `message` keyed by the auth token, base64url
    /// without padding: a token the application can hand out in a signed
    /// answer (for example in the stream URL) and check when it comes back.
    pub fn token(&self, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.hmac(message.as_bytes()))
    }

    /// Whether `token` is [`SignatureV3Validator::token`] of `message`
    /// (constant-time).
    pub fn is_token(&self, message: &str, token: &str) -> bool {
        bool::from(self.token(message).as_bytes().ct_eq(token.as_bytes()))
    }

    fn hmac(&self, message: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length, so this never fails; an empty
        // digest would simply never match.
        let Ok(mut mac) = HmacSha256::new_from_slice(self.auth_token.as_bytes()) else {
            return Vec::new();
        };
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
}

/// Name → values, each list sorted; names sorted by the map.
fn grouped(pairs: impl Iterator<Item = (String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in pairs {
        map.entry(name).or_default().push(value);
    }
    for values in map.values_mut() {
        values.sort_unstable();
    }
    map
}

/// The URL part of what Plivo signs (before `.nonce`).
fn signed_url<K: AsRef<str>, V: AsRef<str>>(
    method: Method,
    url: &str,
    params: &[(K, V)],
) -> String {
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let from_url = form_urlencoded::parse(query.as_bytes()).into_owned();
    let given = params
        .iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()));
    let query_string = |map: &BTreeMap<String, Vec<String>>| {
        map.iter()
            .flat_map(|(name, values)| values.iter().map(move |v| format!("{name}={v}")))
            .collect::<Vec<_>>()
            .join("&")
    };
    let mut signed = base.to_owned();
    match method {
        Method::Get => {
            // The URL's own values win over extra parameters of the same name.
            let mut map = grouped(given);
            map.extend(grouped(from_url));
            let query = query_string(&map);
            if !query.is_empty() {
                signed.push('?');
                signed.push_str(&query);
            }
        }
        Method::Post => {
            let query = query_string(&grouped(from_url));
            let form = grouped(given);
            if !query.is_empty() || !form.is_empty() {
                signed.push('?');
                signed.push_str(&query);
            }
            if !query.is_empty() && !form.is_empty() {
                signed.push('.');
            }
            for (name, values) in &form {
                for value in values {
                    signed.push_str(name);
                    signed.push_str(value);
                }
            }
        }
    }
    signed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_signed_for_each_method() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            signed_url(
                Method::Post,
                "https://a.example/x?b=2&a=1#f",
                &[("Z", "9"), ("B", "x y")]
            ),
            "https://a.example/x?a=1&b=2.Bx yZ9"
        );
        assert_eq!(
            signed_url(
                Method::Post,
                "https://a.example/x",
                &[("B", "2"), ("A", "1")]
            ),
            "https://a.example/x?A1B2"
        );
        assert_eq!(
            signed_url(Method::Post, "https://a.example/x", &none),
            "https://a.example/x"
        );
        assert_eq!(
            signed_url(Method::Post, "https://a.example/x?q=%20", &none),
            "https://a.example/x?q= "
        );
        assert_eq!(
            signed_url(Method::Get, "wss://a.example/m?t=1&a=2&a=1", &none),
            "wss://a.example/m?a=1&a=2&t=1"
        );
        assert_eq!(
            signed_url(
                Method::Get,
                "https://a.example/m?a=url",
                &[("a", "extra"), ("b", "1")]
            ),
            "https://a.example/m?a=url&b=1"
        );
        assert_eq!(
            signed_url(Method::Get, "https://a.example/m", &none),
            "https://a.example/m"
        );
    }

    #[test]
    fn tokens_round_trip_and_depend_on_the_message_and_key() {
        let v = SignatureV3Validator::new("secret");
        let t = v.token("call-1");
        assert!(v.is_token("call-1", &t));
        assert!(!v.is_token("call-2", &t));
        assert!(!SignatureV3Validator::new("other").is_token("call-1", &t));
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(t.len(), 43);
    }
}
