//! `X-Twilio-Signature` validation: proof that a webhook came from Twilio.
//!
//! Twilio signs every webhook with HMAC-SHA1, keyed by the account's auth
//! token, over the full URL it requested followed by each POST parameter's
//! name and value, sorted by name (and, for a repeated name, by value); the
//! header is the base64 of the digest. JSON webhooks instead carry the hex
//! SHA-256 of the body in a `bodySHA256` query parameter and sign the URL
//! alone.
//!
//! ```text
//!  POST url + form ──▶ RequestValidator::validate_form(url, body, header) ──▶ Ok(()) | Err(Signature*)
//!  POST url?bodySHA256=… + JSON ──▶ RequestValidator::validate_body(url, body, header)
//! ```
//!
//! Like Twilio's own helper libraries, validation accepts the URL as given,
//! without its port, and with the scheme's default port added (443 for
//! https, 80 for http), because Twilio is not consistent about ports when it
//! signs. Comparison is constant-time. The URL must be the one Twilio
//! requested (scheme, host and query as Twilio saw them — mind TLS-ending
//! proxies); this module does no I/O and never logs.
//!
//! Reference: <https://www.twilio.com/docs/usage/webhooks/webhooks-security>.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::Error;

type HmacSha1 = Hmac<Sha1>;

/// Checks `X-Twilio-Signature` headers with one auth token.
///
/// `Debug` does not show the token.
#[derive(Clone)]
pub struct RequestValidator {
    auth_token: String,
}

impl fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestValidator").finish_non_exhaustive()
    }
}

impl RequestValidator {
    /// A validator for the account whose auth token this is.
    pub fn new(auth_token: impl Into<String>) -> Self {
        Self {
            auth_token: auth_token.into(),
        }
    }

    /// The signature Twilio would send for `url` and POST `params`: base64
    /// of HMAC-SHA1 over the URL then every name and value, sorted by name
    /// and then value.
    pub fn compute<K: AsRef<str>, V: AsRef<str>>(&self, url: &str, params: &[(K, V)]) -> String {
        let mut sorted: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        sorted.sort_unstable();
        // HMAC takes keys of any length, so this never fails; an empty
        // signature would simply never match.
        let Ok(mut mac) = HmacSha1::new_from_slice(self.auth_token.as_bytes()) else {
            return String::new();
        };
        mac.update(url.as_bytes());
        for (name, value) in sorted {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// Checks a form-encoded (or GET) webhook: `params` are the POST
    /// parameters, decoded (empty for GET, whose parameters are in the URL).
    pub fn validate<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
        signature: &str,
    ) -> Result<(), Error> {
        let signature = signature.trim();
        if signature.is_empty() {
            return Err(Error::SignatureMissing);
        }
        let mut matched = Choice::from(0);
        for candidate in url_candidates(url) {
            matched |= self
                .compute(&candidate, params)
                .as_bytes()
                .ct_eq(signature.as_bytes());
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }

    /// [`RequestValidator::validate`] as a yes or no.
    pub fn is_valid<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
        signature: &str,
    ) -> bool {
        self.validate(url, params, signature).is_ok()
    }

    /// Checks a form-encoded webhook from its raw body
    /// (`application/x-www-form-urlencoded`).
    pub fn validate_form(&self, url: &str, form_body: &[u8], signature: &str) -> Result<(), Error> {
        let params: Vec<(String, String)> =
            form_urlencoded::parse(form_body).into_owned().collect();
        self.validate(url, &params, signature)
    }

    /// Checks a JSON webhook: the signature covers the URL alone (with its
    /// `bodySHA256` query parameter), and that parameter must be the hex
    /// SHA-256 of `body`.
    pub fn validate_body(&self, url: &str, body: &[u8], signature: &str) -> Result<(), Error> {
        if signature.trim().is_empty() {
            return Err(Error::SignatureMissing);
        }
        let expected = query_param(url, "bodySHA256").ok_or(Error::BodyHashMissing)?;
        self.validate::<&str, &str>(url, &[], signature)?;
        let actual = body_sha256_hex(body);
        if bool::from(
            actual
                .as_bytes()
                .ct_eq(expected.to_ascii_lowercase().as_bytes()),
        ) {
            Ok(())
        } else {
            Err(Error::BodyHashMismatch)
        }
    }
}

/// The lowercase hex SHA-256 of a body, as Twilio puts in `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    use fmt::Write as _;
    let digest = Sha256::digest(body);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The first value of a query parameter, decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The URL as given, without its port, and with the default port added.
///
/// Works on the text rather than a parsed URL: a parser would normalise the
/// URL (and drop default ports), changing the bytes that were signed.
fn url_candidates(url: &str) -> Vec<String> {
    let mut candidates = vec![url.to_owned()];
    let Some(scheme_end) = url.find("://") else {
        return candidates;
    };
    let scheme = &url[..scheme_end];
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    // Skip `user:password@`, and do not take an IPv6 address's colons for a port.
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &authority[host_start..];
    let port_colon = host_port.rfind(':').filter(|&colon| {
        !host_port[colon..].contains(']')
            && host_port[colon + 1..].bytes().all(|b| b.is_ascii_digit())
    });
    match port_colon {
        Some(colon) => {
            let host_end = authority_start + host_start + colon;
            candidates.push(format!("{}{}", &url[..host_end], &url[authority_end..]));
        }
        None => {
            let default_port = if scheme.eq_ignore_ascii_case("https") {
                Some("443")
            } else if scheme.eq_ignore_ascii_case("http") {
                Some("80")
            } else {
                None
            };
            if let Some(port) = default_port {
                candidates.push(format!(
                    "{}:{port}{}",
                    &url[..authority_end],
                    &url[authority_end..]
                ));
            }
        }
    }
    candidates.dedup();
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_add_or_remove_the_port() {
        assert_eq!(
            url_candidates("https://a.example/x?y=1"),
            ["https://a.example/x?y=1", "https://a.example:443/x?y=1"]
        );
        assert_eq!(
            url_candidates("http://a.example:8080/x"),
            ["http://a.example:8080/x", "http://a.example/x"]
        );
        assert_eq!(
            url_candidates("https://u:p@a.example?q"),
            ["https://u:p@a.example?q", "https://u:p@a.example:443?q"]
        );
        assert_eq!(
            url_candidates("https://[::1]:8443/x"),
            ["https://[::1]:8443/x", "https://[::1]/x"]
        );
        assert_eq!(
            url_candidates("https://[::1]/x"),
            ["https://[::1]/x", "https://[::1]:443/x"]
        );
        assert_eq!(url_candidates("not a url"), ["not a url"]);
        assert_eq!(url_candidates("wss://a.example/x"), ["wss://a.example/x"]);
    }

    #[test]
    fn query_param_is_decoded_and_ignores_the_fragment() {
        assert_eq!(
            query_param("https://a/x?a=1&bodySHA256=ab%63#frag", "bodySHA256").as_deref(),
            Some("abc")
        );
        assert_eq!(query_param("https://a/x", "bodySHA256"), None);
    }
}
