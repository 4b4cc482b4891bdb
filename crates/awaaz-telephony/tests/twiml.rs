//! TwiML rendering, asserted as exact strings.

use awaaz_telephony::twiml::{Dial, Say, Stream, VoiceResponse};

const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

#[test]
fn connect_stream_with_parameters() {
    let twiml = VoiceResponse::new()
        .connect_stream(
            Stream::new("wss://awaaz.example.com/twilio/media")
                .name("awaaz")
                .parameter("call_id", "0193a2b4")
                .parameter("greeting", "Namaste & \"welcome\""),
        )
        .render();
    assert_eq!(
        twiml,
        format!(
            "{DECL}{}",
            concat!(
                r#"<Response><Connect><Stream url="wss://awaaz.example.com/twilio/media" name="awaaz">"#,
                r#"<Parameter name="call_id" value="0193a2b4"/>"#,
                r#"<Parameter name="greeting" value="Namaste &amp; &quot;welcome&quot;"/>"#,
                "</Stream></Connect></Response>"
            )
        )
    );
}

#[test]
fn connect_stream_without_parameters_is_self_closing() {
    let twiml = VoiceResponse::new()
        .connect_stream(Stream::new("wss://h/m?a=1&b=2").status_callback("https://h/status"))
        .render();
    assert_eq!(
        twiml,
        format!(
            r#"{DECL}<Response><Connect><Stream url="wss://h/m?a=1&amp;b=2" statusCallback="https://h/status"/></Connect></Response>"#
        )
    );
}

#[test]
fn say_pause_dial_hangup() {
    let twiml = VoiceResponse::new()
        .say(
            Say::new("Aapka order <45678> ship ho gaya hai & kal tak aayega.")
                .voice("Polly.Aditi")
                .language("hi-IN"),
        )
        .pause(1)
        .dial(
            Dial::number("+919876543210")
                .caller_id("+14155550100")
                .timeout_s(20)
                .action("https://h/dial-done"),
        )
        .dial(Dial::sip("sip:agent@pbx.example.com;transport=tls"))
        .hangup()
        .render();
    assert_eq!(
        twiml,
        format!(
            "{DECL}{}",
            concat!(
                "<Response>",
                r#"<Say voice="Polly.Aditi" language="hi-IN">Aapka order &lt;45678&gt; ship ho gaya hai &amp; kal tak aayega.</Say>"#,
                r#"<Pause length="1"/>"#,
                r#"<Dial callerId="+14155550100" timeout="20" action="https://h/dial-done">+919876543210</Dial>"#,
                "<Dial><Sip>sip:agent@pbx.example.com;transport=tls</Sip></Dial>",
                "<Hangup/>",
                "</Response>"
            )
        )
    );
}

#[test]
fn plain_say_and_empty_response() {
    assert_eq!(
        VoiceResponse::new().say(Say::new("नमस्ते")).render(),
        format!("{DECL}<Response><Say>नमस्ते</Say></Response>")
    );
    assert_eq!(VoiceResponse::new().render(), format!("{DECL}<Response/>"));
}

#[test]
fn characters_xml_cannot_carry_are_dropped_and_line_breaks_kept_in_attributes() {
    let twiml = VoiceResponse::new()
        .say(Say::new("a\u{0}b\u{1b}c\nd"))
        .connect_stream(Stream::new("wss://h/m").parameter("note", "line1\nline2\t'x'"))
        .render();
    assert_eq!(
        twiml,
        format!(
            "{DECL}{}",
            concat!(
                "<Response><Say>abc\nd</Say>",
                r#"<Connect><Stream url="wss://h/m"><Parameter name="note" value="line1&#10;line2&#9;&apos;x&apos;"/></Stream></Connect>"#,
                "</Response>"
            )
        )
    );
}
