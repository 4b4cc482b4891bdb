//! `X-Twilio-Signature` validation against Twilio's published test vectors
//! (twilio-python `tests/unit/test_request_validator.py` and the security
//! docs' snippets in TwilioDevEd/api-snippets), plus the ways it must fail.

use awaaz_telephony::signature::{body_sha256_hex, RequestValidator};
use awaaz_telephony::Error;

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

fn params() -> Vec<(String, String)> {
    [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

#[test]
fn computes_twilios_published_signature() {
    let validator = RequestValidator::new(TOKEN);
    assert_eq!(validator.compute(URL, &params()), EXPECTED);
    assert_eq!(
        validator
            .validate(URL, &params(), EXPECTED)
            .map_err(|e| e.to_string()),
        Ok(())
    );
    assert!(validator.is_valid(URL, &params(), EXPECTED));
}

#[test]
fn the_security_page_example_with_its_other_caller_number() {
    // The current docs' example: the same request with Caller/From +14158675310.
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675310"),
        ("Digits", "1234"),
        ("From", "+14158675310"),
        ("To", "+18005551212"),
    ];
    let validator = RequestValidator::new(TOKEN);
    assert_eq!(
        validator.compute(URL, &params),
        "GvWf1cFY/Q7PnoempGyD5oXAezc="
    );
}

#[test]
fn parameter_order_does_not_matter() {
    let mut reversed = params();
    reversed.reverse();
    assert_eq!(
        RequestValidator::new(TOKEN).compute(URL, &reversed),
        EXPECTED
    );
}

#[test]
fn repeated_names_are_sorted_by_value() {
    let params = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
    ];
    assert_eq!(
        RequestValidator::new(TOKEN).compute(URL, &params),
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    );
}

#[test]
fn validates_a_raw_form_body() {
    let body = b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";
    assert!(RequestValidator::new(TOKEN)
        .validate_form(URL, body, EXPECTED)
        .is_ok());
}

#[test]
fn port_variants_pass() {
    let validator = RequestValidator::new(TOKEN);
    // Signed without the port, requested with one (https).
    let with_port = URL.replace(".com", ".com:1234");
    assert!(validator.validate(&with_port, &params(), EXPECTED).is_ok());
    // Signed with port 1234 over http.
    let http_with_port = with_port.replace("https", "http");
    assert!(validator
        .validate(&http_with_port, &params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")
        .is_ok());
    // Signed with the default port added: 443 for https, 80 for http.
    assert!(validator
        .validate(URL, &params(), "kvajT1Ptam85bY51eRf/AJRuM3w=")
        .is_ok());
    let http = URL.replace("https", "http");
    assert!(validator
        .validate(&http, &params(), "0ZXoZLH/DfblKGATFgpif+LLRf4=")
        .is_ok());
}

#[test]
fn json_body_with_body_sha256() {
    let body = br#"{"property": "value", "boolean": true}"#;
    let hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    assert_eq!(body_sha256_hex(body), hash);
    let url = format!("{URL}&bodySHA256={hash}");
    let validator = RequestValidator::new(TOKEN);
    assert!(validator
        .validate_body(&url, body, "a9nBmqA0ju/hNViExpshrM61xv4=")
        .is_ok());

    let tampered = br#"{"property": "value", "boolean": false}"#;
    assert!(matches!(
        validator.validate_body(&url, tampered, "a9nBmqA0ju/hNViExpshrM61xv4="),
        Err(Error::BodyHashMismatch)
    ));
    assert!(matches!(
        validator.validate_body(URL, body, "a9nBmqA0ju/hNViExpshrM61xv4="),
        Err(Error::BodyHashMissing)
    ));
    assert!(matches!(
        validator.validate_body(&url, body, EXPECTED),
        Err(Error::SignatureMismatch)
    ));
}

#[test]
fn wrong_token_fails() {
    let err = RequestValidator::new("54321")
        .validate(URL, &params(), EXPECTED)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureMismatch), "{err:?}");
}

#[test]
fn missing_or_blank_signature_fails() {
    let validator = RequestValidator::new(TOKEN);
    assert!(matches!(
        validator.validate(URL, &params(), ""),
        Err(Error::SignatureMissing)
    ));
    assert!(matches!(
        validator.validate(URL, &params(), "  "),
        Err(Error::SignatureMissing)
    ));
    assert!(matches!(
        validator.validate_body(URL, b"{}", ""),
        Err(Error::SignatureMissing)
    ));
}

#[test]
fn a_request_replayed_to_another_url_fails() {
    let validator = RequestValidator::new(TOKEN);
    for url in [
        "https://mycompany.com/other.php?foo=1&bar=2",
        "https://evil.example/myapp.php?foo=1&bar=2",
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        "https://mycompany.com/myapp.php",
    ] {
        assert!(
            matches!(
                validator.validate(url, &params(), EXPECTED),
                Err(Error::SignatureMismatch)
            ),
            "{url}"
        );
    }
}

#[test]
fn changed_added_or_dropped_parameters_fail() {
    let validator = RequestValidator::new(TOKEN);
    let mut changed = params();
    changed[2].1 = "9999".into();
    assert!(validator.validate(URL, &changed, EXPECTED).is_err());
    let mut added = params();
    added.push(("Extra".into(), "1".into()));
    assert!(validator.validate(URL, &added, EXPECTED).is_err());
    let dropped = &params()[1..];
    assert!(validator.validate(URL, dropped, EXPECTED).is_err());
    // A truncated or padded signature never matches.
    assert!(validator
        .validate(URL, &params(), &EXPECTED[..EXPECTED.len() - 1])
        .is_err());
    assert!(validator
        .validate(URL, &params(), &format!("{EXPECTED}A"))
        .is_err());
}

#[test]
fn debug_does_not_show_the_token() {
    let shown = format!("{:?}", RequestValidator::new("s3cr3t-t0ken"));
    assert!(!shown.contains("s3cr3t"), "{shown}");
}
