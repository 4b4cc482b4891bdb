//! Scripted multi-turn conversations for the latency benchmark: a mix of
//! languages and of every tool, reads and writes (tickets, transfers, SMS),
//! as callers of the demo shop would have them. They exercise the turn path;
//! they are not labels (nothing is asserted about the replies).

/// One scripted conversation.
#[derive(Debug, Clone, Copy)]
pub struct Script {
    /// Short name for reports.
    pub name: &'static str,
    /// Whether the carrier gave the caller's number (Priya Sharma's).
    pub caller_known: bool,
    /// What the caller says, turn by turn.
    pub turns: &'static [&'static str],
}

/// The conversations, cycled until the requested number of turns is run.
pub const SCRIPTS: &[Script] = &[
    Script {
        name: "en-status-sms",
        caller_known: true,
        turns: &[
            "Hi, where is my order 45678?",
            "Can you send me the tracking details by SMS?",
            "Thanks, bye.",
        ],
    },
    Script {
        name: "hinglish-damaged-ticket",
        caller_known: true,
        turns: &[
            "hello ji",
            "mera cooker toota hua aaya hai, order 45679",
            "haan ji, complaint register kar do",
            "ticket number SMS kar dena",
            "thank you bhaiya",
        ],
    },
    Script {
        name: "hi-kurta-stock",
        caller_known: true,
        turns: &[
            "नमस्ते",
            "क्या नीला कुर्ता मीडियम साइज़ में है?",
            "और XL में?",
            "सफ़ेद वाला XL में?",
            "धन्यवाद",
        ],
    },
    Script {
        name: "hi_roman-human",
        caller_known: false,
        turns: &["namaste ji", "mujhe kisi insaan se baat karni hai"],
    },
    Script {
        name: "hinglish-cancel-declined",
        caller_known: true,
        turns: &[
            "mujhe order 23456 cancel karna hai",
            "nahi rehne do, cancel mat karo",
            "ok bye",
        ],
    },
    Script {
        name: "en-refund-unknown-caller",
        caller_known: false,
        turns: &[
            "When will I get my refund?",
            "It's order 89012.",
            "Please text me the details.",
            "That's all, goodbye.",
        ],
    },
    Script {
        name: "hinglish-delay-angry",
        caller_known: true,
        turns: &[
            "order 33445 kal aana tha, abhi tak nahi aaya",
            "ye bahut bekaar service hai",
            "manager se baat karao",
        ],
    },
    Script {
        name: "asr-nearest-order",
        caller_known: true,
        turns: &[
            "order one two three four six ka status",
            "haan",
            "kya bola? phir se bolo",
            "theek hai bye",
        ],
    },
    Script {
        name: "en-address-change",
        caller_known: true,
        turns: &[
            "I need to change the delivery address for my order.",
            "ORD-34567",
            "Yes please.",
            "Thank you.",
        ],
    },
    Script {
        name: "hi-missing-item",
        caller_known: true,
        turns: &[
            "पार्सल में चार्जर नहीं था",
            "ऑर्डर 89012",
            "हाँ जी",
            "ठीक है जी, रखती हूँ",
        ],
    },
    Script {
        name: "hinglish-curtain-mishearing",
        caller_known: true,
        turns: &[
            "blue curtain medium hai kya",
            "pressure cooler 5 litre bhi chahiye",
            "OnePlus Nord CE4 kab aayega",
            "chalo ok bye",
        ],
    },
    Script {
        name: "hi_roman-return",
        caller_known: true,
        turns: &[
            "mujhe yeh kurta wapas karna hai",
            "order 45678",
            "ji bilkul",
            "bahut bahut dhanyavaad",
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_non_empty_and_uniquely_named() {
        let mut names: Vec<&str> = SCRIPTS.iter().map(|s| s.name).collect();
        assert!(SCRIPTS.iter().all(|s| !s.turns.is_empty()));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SCRIPTS.len());
    }
}
