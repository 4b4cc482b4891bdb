//! Weighted keyword and phrase rules over canonical tokens.
//!
//! A rule is a sequence of elements, each a set of alternative words; up to
//! [`MAX_GAP`] other words may sit between two elements ("paisa abhi tak
//! wapas nahi aaya" matches `paisa … wapas`). A word also matches an
//! alternative of five letters or more with the same phonetic key, so a
//! spelling the lexicon does not know still counts. Each rule that matches
//! adds its weight to its target once.
//!
//! Rule syntax: `"kab aayega|milega"`; a leading `^` means the match must
//! start within the first two words, a leading `!` that the utterance has at
//! most four words, `=` at most two; `~ a|b` at the end lists words whose presence anywhere
//! disables the rule.

use std::collections::HashMap;
use std::sync::OnceLock;

use awaaz_store::TicketCategory;

use super::Intent;
use crate::text::{phonetic_key, Normalized, TokenKind};

/// Most words allowed between two elements of a rule.
const MAX_GAP: usize = 3;

/// What a rule votes for: an intent, or a kind of complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    Intent(Intent),
    Complaint(TicketCategory),
}

use Intent as I;
use Target::{Complaint as Tc, Intent as Ti};
use TicketCategory as C;

const RULES: &[(Target, f32, &str)] = &[
    // ---- order status
    (Ti(I::OrderStatus), 2.0, "status"),
    (Ti(I::OrderStatus), 2.0, "track|tracking"),
    (Ti(I::OrderStatus), 1.2, "kahan|kidhar|where"),
    (Ti(I::OrderStatus), 0.6, "where is|are"),
    (Ti(I::OrderStatus), 2.0, "kab aayega|aayegi|aayenge|milega|milegi|milenge|pahunchega|deliver|delivery|tak|hoga|aa|ship|dispatch"),
    (Ti(I::OrderStatus), 0.6, "kab"),
    (Ti(I::OrderStatus), 1.0, "aayega|aayegi|aayenge|pahunchega|arrive|arriving|arrives|reach|reaching"),
    (Ti(I::OrderStatus), 1.5, "when will|does|is|would|can"),
    (Ti(I::OrderStatus), 1.2, "update|updates|expected|dispatched|shipped|dispatch"),
    (Ti(I::OrderStatus), 1.5, "order|parcel|package|delivery kya hua|kahan"),
    (Ti(I::OrderStatus), 1.0, "delivery date|kab"),
    (Ti(I::OrderStatus), 1.0, "kitne din mein|me"),
    (Ti(I::OrderStatus), 1.5, "check karo|karein|kijiye|karna|kar"),
    (Ti(I::OrderStatus), 1.5, "check my|the|order"),
    (Ti(I::OrderStatus), 1.2, "order|parcel batao"),
    (Ti(I::OrderStatus), 1.6, "deliver|delivery|dispatch|ship|aayega|aayegi|pahunchega hoga|hogi|ho|jayega|jayegi|kya"),
    (Ti(I::OrderStatus), 1.0, "kal|aaj|parson|tomorrow|today deliver|delivery|aayega|aayegi|aa|pahunchega|milega|arrive|come"),
    // "kis haal mein hai", "ki sthiti", "ki jaankari dijiye".
    (Ti(I::OrderStatus), 2.0, "order|parcel|saamaan|delivery|shipment haal|haalat|sthiti|jaankari|details|information|info|update|progress"),
    (Ti(I::OrderStatus), 1.5, "kis|kya haal|haalat|sthiti"),
    // "ship hua ya nahi", "dispatch hua ki nahi".
    (Ti(I::OrderStatus), 2.0, "ship|shipped|dispatch|dispatched|deliver|delivered|pack|packed|bhej|nikla|nikli hua|hui|ho|hue|gaya|gayi|gaye ya|ki nahi"),
    // "aane wala tha, nikla kya?": it was due; has it left?
    (Ti(I::OrderStatus), 2.0, "aane|aani|pahunchne wala|wali tha|thi|hai"),
    (Ti(I::OrderStatus), 1.5, "nikla|nikli|chala|chali kya|ki"),
    (Ti(I::OrderStatus), 2.5, "out for delivery"),
    (Ti(I::OrderStatus), 1.5, "can|could|please|kindly check|see|look"),
    (Ti(I::OrderStatus), 2.5, "happening|happened|going on with|to order|parcel|delivery|it"),
    (Ti(I::OrderStatus), 2.0, "order|parcel baare|bare mein|me batao|jaankari|details|puchna"),
    (Ti(I::OrderStatus), 1.5, "tell me about"),
    (Ti(I::OrderStatus), 1.5, "been dispatched|shipped|sent|delivered|packed"),
    // ---- delivery delay
    (Ti(I::DeliveryDelay), 2.5, "late|delay|overdue|der|deri|dari"),
    (Ti(I::DeliveryDelay), 2.5, "abhi tak nahi"),
    (Ti(I::DeliveryDelay), 1.6, "nahi aaya|aayi|mila|mili|pahuncha|hua|hui ~ paisa|refund|money|item|saamaan|cheez|samajh|suna|sunai|pasand|fit"),
    (Ti(I::DeliveryDelay), 2.0, "deliver|delivery nahi"),
    (Ti(I::DeliveryDelay), 2.5, "still not|waiting|havent|hasnt|didnt"),
    (Ti(I::DeliveryDelay), 2.0, "not received|arrived|delivered|come|reached|yet"),
    (Ti(I::DeliveryDelay), 2.0, "havent|hasnt|didnt|never received|arrived|got|get|come|came|reached|delivered ~ refund|money"),
    (Ti(I::DeliveryDelay), 1.8, "bahut|kitne|itne din|hafte|week|weeks|days ho"),
    (Ti(I::DeliveryDelay), 1.8, "din|days|hafte|hafta|mahina|mahine|week ho gaye|gaya|gayi|hui|hua"),
    (Ti(I::DeliveryDelay), 2.6, "taking so|too|this long|forever|ages"),
    (Ti(I::DeliveryDelay), 2.0, "been week|weeks|days|month|months|ages|forever"),
    (Ti(I::DeliveryDelay), 2.2, "saamaan|order|parcel|delivery|cheez koi|kuch pata|khabar nahi"),
    (Ti(I::DeliveryDelay), 1.5, "supposed to|expected"),
    (Ti(I::DeliveryDelay), 1.5, "date nikal|nikli|chali|gone|passed"),
    // ---- availability
    (Ti(I::ProductAvailability), 2.0, "stock|available|availability|uplabdh"),
    // "kab tak stock mein aayega", "when will it be back in stock".
    (Ti(I::ProductAvailability), 2.5, "stock|restock mein|me|in aayega|aayegi|aayenge|aa|aaye|hoga|back|kab"),
    (Ti(I::ProductAvailability), 2.5, "kab|when stock|restock|restocked|available"),
    (Ti(I::ProductAvailability), 2.5, "back in stock"),
    (Ti(I::ProductAvailability), 1.0, "milega|milegi|milenge|mil ~ kab|order|parcel|paisa|refund"),
    (Ti(I::ProductAvailability), 0.8, "hai|hain kya"),
    (Ti(I::ProductAvailability), 1.2, "aapke|aapka|aap|apke|tumhare paas"),
    (Ti(I::ProductAvailability), 0.4, "^kya"),
    (Ti(I::ProductAvailability), 2.0, "do|did you have|sell|got"),
    (Ti(I::ProductAvailability), 2.0, "have you got"),
    (Ti(I::ProductAvailability), 0.6, "chahiye|want|need|lena|leni|kharidna|buy|purchase ~ refund|paisa|money|agent|insaan|human|manager|return|cancel|address|baat|exchange"),
    (Ti(I::ProductAvailability), 1.5, "kharidna|buy|purchase ~ refund|paisa|money|return|cancel"),
    (Ti(I::ProductAvailability), 1.5, "price|kitne|kitna ka|ki|ke|kimat|keemat|daam|cost|rate ~ paisa|refund"),
    (Ti(I::ProductAvailability), 1.5, "kimat|keemat|daam|price|cost|mrp"),
    (Ti(I::ProductAvailability), 1.0, "dikhao|show|options|collection|variety"),
    (Ti(I::ProductAvailability), 1.0, "size|colour mein|me|in"),
    // ---- complaints
    (Tc(C::Damaged), 2.6, "toota|tooti|toote|broken|damaged|kharab|defective|phata|phati|cracked|leak|leaking|dent|faulty|tear|torn|scratch|scratches|crack"),
    (Tc(C::Damaged), 2.2, "kaam|chal|chalu|on|start nahi"),
    (Tc(C::Damaged), 2.2, "not working|charging|turning"),
    (Tc(C::Damaged), 2.2, "doesnt|dont|isnt|wont work|working|start|charge"),
    (Tc(C::WrongItem), 3.2, "galat|wrong|different item|product|saamaan|cheez|size|colour|order|parcel|maal|piece|thing|one|model|kurta|saree|phone|aaya|aayi|mila|mili|bheja|bheji|deliver|diya|de|bhej|aa|gaya|gayi|sent|delivered|received|got ~ pincode|pin|address|landmark|number"),
    (Tc(C::WrongItem), 2.5, "instead of"),
    (Tc(C::WrongItem), 2.5, "not what i ordered"),
    (Tc(C::WrongItem), 2.5, "maine ye|yeh order nahi"),
    (Tc(C::WrongItem), 2.5, "kuch aur|alag aaya|aayi|bheja|mila|de|aa|nikla|nikli|diya|bhej"),
    // "maroon lehenga mangaya tha, kuch aur aa gaya"; "ordered X but got Y".
    (Tc(C::WrongItem), 2.0, "mangaya|mangayi|mangwaya|mangwayi|manga|mangvaya tha|thi aaya|aayi|aa|bheja|bhej|mila|mili|diya|nikla|nikli|de"),
    (Tc(C::WrongItem), 2.5, "ordered but|and got|received|sent|came|delivered|receive|get"),
    (Tc(C::MissingItem), 3.0, "missing|gayab|khali|empty"),
    (Tc(C::MissingItem), 2.6, "item|saamaan|cheez|piece|items kam|nahi aaya|aayi|mila|mili|tha|thi"),
    (Tc(C::MissingItem), 2.6, "box|packet|dabba|parcel mein|me|in kuch nahi"),
    // "parcel mein charger nahi tha", "dibbe mein charger tha hi nahi".
    (Tc(C::MissingItem), 2.8, "box|packet|dabba|dabbe|dibba|dibbe|parcel|package|packing mein|me|in nahi|missing tha|thi|the|mila|mili|nikla|nikli"),
    (Tc(C::MissingItem), 2.8, "box|packet|dabba|dabbe|dibba|dibbe|parcel|package|packing mein|me|in tha|thi|the hi nahi"),
    (Tc(C::MissingItem), 2.6, "tha|thi|the hi nahi"),
    (Tc(C::MissingItem), 2.6, "wasnt|werent|was|not in the box|parcel|package"),
    (Tc(C::MissingItem), 2.2, "only|sirf #|one|ek aaya|mila|came|received|item"),
    (Tc(C::Other), 2.2, "complaint|shikayat"),
    (Tc(C::Other), 1.4, "problem|dikkat|pareshani|issue|samasya|gadbad"),
    // ---- return
    (Ti(I::ReturnRequest), 2.6, "return|lautana|exchange|replace|replacement"),
    (Ti(I::ReturnRequest), 2.6, "wapas karna|karo|karein|kar|bhejna|bhej|lena|lene|leni|lo|le|lelo|lijiye|dena ~ paisa|refund|money|amount"),
    (Ti(I::ReturnRequest), 2.0, "badal|change size|item|product|kurta|saree|piece|model|colour"),
    (Ti(I::ReturnRequest), 2.0, "size|item|product|kurta|saree|colour badal|change|exchange"),
    (Ti(I::ReturnRequest), 2.0, "pasand|fit|fitting nahi"),
    (Ti(I::ReturnRequest), 2.0, "dont|didnt|do like|fit"),
    (Ti(I::ReturnRequest), 2.5, "send|give|take it back"),
    (Ti(I::ReturnRequest), 2.5, "send|give|take back"),
    // Return pickups: "return pickup kab aayega", "arrange a pickup".
    (Ti(I::ReturnRequest), 3.0, "return|wapsi|exchange pickup|pick"),
    (Ti(I::ReturnRequest), 1.5, "pickup"),
    // "saaman wapas lene wala kab aayega": the return pickup, in Hindi.
    (Ti(I::ReturnRequest), 3.5, "wapas|return lene|le|lena|leni|lejane wala|wale|aayega|kab"),
    // ---- refund
    (Ti(I::Refund), 3.2, "refund|refunds"),
    (Ti(I::Refund), 3.0, "paisa|money|amount|rupaye wapas|back|return|refund"),
    (Ti(I::Refund), 3.0, "refund|paisa|money|amount nahi|not|kab|kahan|abhi|status|still|sthiti|haal|update|kya"),
    (Ti(I::Refund), 1.2, "paisa|money|amount|credit|credited"),
    (Ti(I::Refund), 1.2, "account|bank mein|me|in"),
    // ---- cancel
    (Ti(I::Cancel), 3.2, "cancel|cancellation|radd"),
    (Ti(I::Cancel), 2.6, "order|parcel|ye|yeh|item|product|saamaan|it nahi chahiye"),
    (Ti(I::Cancel), 2.4, "dont want|need"),
    (Ti(I::Cancel), 2.4, "no longer want|need"),
    (Ti(I::Cancel), 2.0, "rok|roko|stop order|it|delivery|do|dijiye"),
    (Ti(I::Cancel), 2.0, "order|delivery rok|roko|stop|band"),
    // ---- address change
    (Ti(I::AddressChange), 3.2, "address|pata badal|change|update|naya|new|modify|edit|correct|different|dusra|doosra|dusre|doosre|galat|wrong"),
    (Ti(I::AddressChange), 3.2, "badal|change|update|new|naya|modify|edit|correct|different|another|dusra|doosra|dusre|doosre|wrong|galat address"),
    (Ti(I::AddressChange), 1.2, "address"),
    (Ti(I::AddressChange), 2.0, "ghar|location|shift|flat badal|change|shifted|ho"),
    (Ti(I::AddressChange), 2.0, "shift|shifted|moved|move ho|kar|house|home"),
    (Ti(I::AddressChange), 2.2, "deliver|bhej|bhejo|send dusre|doosre|another|different|new|naye"),
    // Somewhere else than home: "office pe bhej do", "deliver it to my office".
    (Ti(I::AddressChange), 3.0, "office|daftar|dukaan|shop|padosi|neighbour|neighbor pe|par|ko|mein|me bhej|deliver|dena|de|do|pahuncha|send"),
    (Ti(I::AddressChange), 3.0, "deliver|send|bhej to|at|pe|par office|work|workplace|neighbour|neighbor"),
    // Wrong details in the address: pincode, landmark, flat number.
    (Ti(I::AddressChange), 3.6, "pincode|pin|landmark|flat|gali|street|city galat|wrong|badal|change|correct|update|sahi|incorrect"),
    (Ti(I::AddressChange), 3.6, "galat|wrong|incorrect|badal|change|correct|update pincode|pin|landmark"),
    // ---- human
    (Ti(I::TalkToHuman), 3.2, "insaan|human|agent|manager|representative|executive|operator|supervisor|senior|staff|aadmi|person"),
    // "customer care?" alone asks whether this is the helpline; it needs a
    // "connect me"/"baat karni" to be a transfer.
    (Ti(I::TalkToHuman), 0.8, "customer care|service|support"),
    (Ti(I::TalkToHuman), 2.4, "customer care|service|support chahiye|lagao|milao|karao|karwao|dijiye|se|ko|wale|wala|executive|agent|team|person"),
    (Ti(I::TalkToHuman), 2.4, "want|need|chahiye|connect|give|call customer care|service|support"),
    (Ti(I::TalkToHuman), 1.5, "se baat"),
    (Ti(I::TalkToHuman), 3.0, "kisi|someone|somebody se|to|with baat|talk|speak"),
    (Ti(I::TalkToHuman), 2.0, "baat karni|karna|karao|karwao|karwa|karaiye|karwaiye|karwayein|kar"),
    (Ti(I::TalkToHuman), 2.0, "talk|speak to|with"),
    (Ti(I::TalkToHuman), 2.0, "transfer|connect"),
    (Ti(I::TalkToHuman), 1.5, "robot|machine|bot|computer"),
    (Ti(I::TalkToHuman), 2.0, "real|actual|live person|human|insaan|aadmi"),
    // ---- sms
    (Ti(I::SendSms), 3.2, "sms|whatsapp"),
    (Ti(I::SendSms), 2.6, "message|text|sms bhej|send|kar|karo|kardo|karein|karna|me|pe|par|mein|se"),
    (Ti(I::SendSms), 2.6, "bhej|send message|text|details|detail|link|sms"),
    (Ti(I::SendSms), 1.6, "message|text"),
    (Ti(I::SendSms), 2.6, "by|via|on|through sms|message|text|whatsapp"),
    (Ti(I::SendSms), 2.6, "text|message me|it"),
    (Ti(I::SendSms), 1.2, "likh|likhkar|writing|written"),
    // ---- social and conversational
    (Ti(I::Greeting), 1.0, "^namaste|namaskar|hello|hey|hii|salaam|assalam|adaab|pranam|helo|radhe|jai|vanakkam|sat"),
    (Ti(I::Greeting), 1.0, "^hi"),
    (Ti(I::Greeting), 1.2, "^ram ram"),
    // "is this the customer support line?", "customer care?": checking
    // they reached the shop.
    (Ti(I::Greeting), 1.5, "^hi|hello|namaste|namaskar|hey customer|support|helpline"),
    (Ti(I::Greeting), 1.5, "is this|that the|awaaz"),
    (Ti(I::Greeting), 1.0, "^good morning|afternoon|evening"),
    (Ti(I::Thanks), 1.3, "thanks|thank|dhanyavaad|shukriya|meherbani|grateful|appreciate"),
    (Ti(I::Goodbye), 1.7, "bye|alvida|goodbye|tata|hafiz"),
    (Ti(I::Goodbye), 1.7, "good night"),
    (Ti(I::Goodbye), 1.7, "see you"),
    (Ti(I::Goodbye), 2.0, "bas itna|itni|yahi"),
    (Ti(I::Goodbye), 1.5, "!bas"),
    (Ti(I::Goodbye), 2.0, "aur|kuch kuch|aur nahi"),
    (Ti(I::Goodbye), 1.6, "!kuch nahi"),
    (Ti(I::Goodbye), 2.0, "thats|that all"),
    (Ti(I::Goodbye), 2.0, "nothing else|more"),
    (Ti(I::Goodbye), 2.5, "phir|baad milenge|milte|baat"),
    (Ti(I::Goodbye), 2.0, "talk later"),
    (Ti(I::Goodbye), 1.8, "rakhta|rakhti|rakh|cut phone|call|hoon|hun|raha|rahi|do|rha|deta|deti"),
    (Ti(I::Goodbye), 1.8, "phone|call rakhta|rakhti|rakh|cut"),
    (Ti(I::Goodbye), 1.2, "!done|finished"),
    (Ti(I::Goodbye), 1.2, "!ho gaya"),
    (Ti(I::Repeat), 3.0, "repeat|pardon|dobara"),
    (Ti(I::Repeat), 2.4, "phir se bolo|boliye|batao|kaho|kahiye|bataiye"),
    (Ti(I::Repeat), 2.4, "#|ek baar bolo|boliye|batao|kaho|kahiye"),
    (Ti(I::Repeat), 2.4, "phir se ~ order|bhej|karo|kar|karna"),
    (Ti(I::Repeat), 2.6, "#|ek baar aur|phir"),
    (Ti(I::Repeat), 2.8, "kya kahan|bola|boliye|bole"),
    (Ti(I::Repeat), 2.8, "samajh|suna|sunai|sun nahi|na"),
    (Ti(I::Repeat), 2.6, "didnt|did|dont|couldnt|not get|catch|understand|hear"),
    (Ti(I::Repeat), 2.6, "say that|it again"),
    (Ti(I::Repeat), 2.4, "come again"),
    (Ti(I::Repeat), 2.0, "!again"),
    (Ti(I::Repeat), 2.0, "=what|kya|sorry|huh|kyaa|pardon"),
    (Ti(I::Repeat), 1.5, "aawaz|awaaz|voice nahi|not|clear|cut|break"),
    (Ti(I::Repeat), 1.5, "dheere|slowly|slow"),
    (Ti(I::Affirm), 1.0, "^haan|ji|yes|yeah|yep|yup|sahi|theek|okay|correct|right|bilkul|sure|zaroor|achha|confirm|exactly|wahi|same|hmm|han|absolutely|definitely"),
    (Ti(I::Affirm), 1.0, "!karo|karein|please"),
    (Ti(I::Affirm), 1.0, "!kar do"),
    (Ti(I::Affirm), 1.0, "!go ahead"),
    (Ti(I::Affirm), 1.2, "^ji haan"),
    (Ti(I::Affirm), 1.2, "^haan ji"),
    (Ti(I::Affirm), 1.2, "^yes please"),
    (Ti(I::Deny), 1.0, "^nahi|no|nope|galat|wrong|mat|nah|na|naa"),
    (Ti(I::Deny), 1.0, "!not that|this|correct|right|sahi"),
    (Ti(I::Deny), 1.5, "^no|nahi|nope not|na that|this|ye|yeh|wo|woh one|wala|wali|nahi"),
    // ---- out of scope: what the shop cannot help with
    (Ti(I::OutOfScope), 3.0, "weather|mausam|baarish|barish|temperature|forecast"),
    (Ti(I::OutOfScope), 3.0, "recharge|richarj|recharj"),
    (Ti(I::OutOfScope), 3.0, "cricket|ipl"),
    (Ti(I::OutOfScope), 3.0, "electricity|bijli|gas|water|phone|mobile bill|bills"),
    (Ti(I::OutOfScope), 3.0, "bill|bills pay|bharna|bhar|jama|payment"),
    (Ti(I::OutOfScope), 3.0, "pizza|burger|biryani|khana|food"),
    (Ti(I::OutOfScope), 3.0, "train|rail|flight|bus|movie|cinema ticket|tickets|booking"),
    (Ti(I::OutOfScope), 3.0, "ticket|tickets book|booking"),
    (Ti(I::OutOfScope), 3.0, "joke|jokes|chutkula|chutkule|song|gaana"),
    (Ti(I::OutOfScope), 3.0, "capital of"),
];

#[derive(Debug)]
struct Rule {
    target: Target,
    weight: f32,
    /// Alternatives per element, each with its phonetic key.
    elems: Vec<Vec<(&'static str, String)>>,
    at_start: bool,
    short_only: bool,
    tiny_only: bool,
    unless: Vec<&'static str>,
}

fn parse_rule(target: Target, weight: f32, spec: &'static str) -> Rule {
    let (body, unless) = match spec.split_once('~') {
        Some((b, u)) => (
            b.trim(),
            u.split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect(),
        ),
        None => (spec.trim(), Vec::new()),
    };
    let at_start = body.starts_with('^');
    let short_only = body.starts_with('!');
    let tiny_only = body.starts_with('=');
    let body = body.trim_start_matches(['^', '!', '=']);
    let elems = body
        .split_whitespace()
        .map(|e| {
            e.split('|')
                .map(|a| {
                    (
                        a,
                        if a.len() >= 5 {
                            phonetic_key(a)
                        } else {
                            String::new()
                        },
                    )
                })
                .collect()
        })
        .collect();
    Rule {
        target,
        weight,
        elems,
        at_start,
        short_only,
        tiny_only,
        unless,
    }
}

fn rules() -> &'static [Rule] {
    static R: OnceLock<Vec<Rule>> = OnceLock::new();
    R.get_or_init(|| {
        RULES
            .iter()
            .map(|(t, w, s)| parse_rule(*t, *w, s))
            .collect()
    })
}

/// The utterance as the rules see it.
pub(crate) struct View<'a> {
    words: Vec<&'a str>,
    keys: Vec<String>,
    word_count: usize,
}

impl<'a> View<'a> {
    pub(crate) fn new(n: &'a Normalized) -> Self {
        // A run of number tokens is one "#": "order 1 2 3 4 5 ki jaankari"
        // must keep "order" and "jaankari" within a rule's reach.
        let mut words: Vec<&str> = Vec::with_capacity(n.tokens.len());
        for t in &n.tokens {
            match t.kind {
                TokenKind::Number(_) if words.last() == Some(&"#") => {}
                TokenKind::Number(_) => words.push("#"),
                _ => words.push(t.text.as_str()),
            }
        }
        let keys = words
            .iter()
            .map(|w| {
                if w.len() >= 5 {
                    phonetic_key(w)
                } else {
                    String::new()
                }
            })
            .collect();
        let word_count = n
            .tokens
            .iter()
            .filter(|t| t.kind != TokenKind::Number(0) && !matches!(t.kind, TokenKind::Number(_)))
            .count();
        Self {
            words,
            keys,
            word_count,
        }
    }

    fn matches(&self, i: usize, alts: &[(&str, String)]) -> bool {
        let w = self.words[i];
        alts.iter()
            .any(|(a, k)| *a == w || (!k.is_empty() && *k == self.keys[i]))
    }

    /// Where the rule first matches, if it does.
    fn find(&self, rule: &Rule) -> Option<usize> {
        if (rule.short_only && self.word_count > 4) || (rule.tiny_only && self.word_count > 2) {
            return None;
        }
        if rule.unless.iter().any(|u| self.words.contains(u)) {
            return None;
        }
        let n = self.words.len();
        let starts = if rule.at_start { n.min(2) } else { n };
        'start: for s in 0..starts {
            if !self.matches(s, &rule.elems[0]) {
                continue;
            }
            let mut pos = s;
            for e in &rule.elems[1..] {
                let found = (pos + 1..n.min(pos + 2 + MAX_GAP)).find(|&j| self.matches(j, e));
                match found {
                    Some(j) => pos = j,
                    None => continue 'start,
                }
            }
            return Some(s);
        }
        None
    }
}

/// The score and first position of every target the rules found.
pub(crate) fn score(view: &View<'_>) -> HashMap<Target, (f32, usize)> {
    let mut out: HashMap<Target, (f32, usize)> = HashMap::new();
    for rule in rules() {
        if let Some(pos) = view.find(rule) {
            let e = out.entry(rule.target).or_insert((0.0, pos));
            e.0 += rule.weight;
            e.1 = e.1.min(pos);
        }
    }
    out
}
