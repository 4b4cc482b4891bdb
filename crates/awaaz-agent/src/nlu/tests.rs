use std::sync::OnceLock;

use awaaz_store::{OrderId, TicketCategory};
use chrono::NaiveDate;

use super::*;

fn nlu() -> &'static Nlu {
    static NLU: OnceLock<Nlu> = OnceLock::new();
    NLU.get_or_init(|| {
        let today = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap_or_default();
        let shop = awaaz_store::demo::shop(today);
        let orders: Vec<OrderId> = shop.orders.iter().map(|o| o.id.clone()).collect();
        Nlu::new(CatalogIndex::new(&shop.products, &orders))
    })
}

fn u(text: &str) -> Understanding {
    nlu().understand(text)
}

fn id(s: &str) -> OrderId {
    OrderId(s.to_owned())
}

#[track_caller]
fn assert_intent(text: &str, want: Intent) {
    let got = u(text);
    assert_eq!(
        got.intent, want,
        "{text:?} → {:?} (also {:?})",
        got.intent, got.also
    );
}

#[test]
fn order_status_in_every_mix() {
    for t in [
        "where is my order 45678",
        "what is the status of my order",
        "can you track my parcel",
        "mera order kab aayega",
        "mera order 4 5 6 7 8 kab tak aayega",
        "ORD-45678 ka status batao",
        "मेरा ऑर्डर कब आएगा",
        "मेरा पार्सल कहाँ है",
        "میرا آرڈر کب آئے گا",
        "mera parcel kahan hai",
        "order kab tak deliver hoga",
        "when will my order arrive",
        "kal deliver hoga kya",
        "where's my stuff?",
    ] {
        assert_intent(t, Intent::OrderStatus);
    }
}

#[test]
fn delivery_delay() {
    for t in [
        "मेरा parcel abhi tak nahi aaya",
        "my order is late",
        "order abhi tak nahi aaya",
        "delivery bahut late ho gayi",
        "I still haven't received my order",
        "मेरा ऑर्डर अभी तक नहीं आया",
        "deliver nahi hua abhi tak",
        "bahut der ho gayi order ko",
    ] {
        let got = u(t);
        assert_eq!(got.intent, Intent::DeliveryDelay, "{t}");
        assert_eq!(
            got.slots.complaint,
            Some(TicketCategory::DeliveryDelay),
            "{t}"
        );
        assert!(!got.also.contains(&Intent::OrderStatus), "{t}");
    }
}

#[test]
fn product_availability() {
    for t in [
        "do you have the blue kurta in medium?",
        "blue kurta available hai?",
        "neela kurta M size mein milega?",
        "क्या नीला कुर्ता मीडियम में उपलब्ध है",
        "pressure cooker stock mein hai kya",
        "mujhe ek saree chahiye",
        "is the samsung phone in stock",
        "nila kurta hai kya medium mein",
        "kya aapke paas laal saree hai",
        "power bank hai kya",
    ] {
        let got = u(t);
        assert_eq!(got.intent, Intent::ProductAvailability, "{t} → {got:?}");
        assert!(got.slots.product.is_some(), "{t}");
    }
}

#[test]
fn misheard_product_names() {
    let got = u("blue curtain medium");
    let p = got.slots.product.as_ref().map(|p| p.name.as_str());
    assert_eq!(p, Some("Blue Cotton Kurta"));
    assert_eq!(got.slots.colour.as_deref(), Some("blue"));
    assert_eq!(got.slots.size.as_deref(), Some("M"));
    let cases = [
        ("kurtha", "kurta"),
        ("sari hai kya", "saree"),
        ("cooker chahiye", "pressure cooker"),
        ("mixie available hai", "mixer grinder"),
        ("earphone chahiye", "earbuds"),
        ("airdopes stock mein hai", "earbuds"),
        ("charger milega", "charger"),
        ("chadar chahiye", "bedsheet"),
        ("kurti hai kya", "kurti"),
        ("लहंगा चाहिए", "lehenga"),
        ("dupata", "dupatta"),
    ];
    for (t, kind) in cases {
        let got = u(t);
        let k = got.slots.product.as_ref().map(|p| p.kind.as_str());
        assert_eq!(k, Some(kind), "{t} → {:?}", got.slots.product);
    }
}

#[test]
fn no_product_for_things_not_sold_or_not_named() {
    for t in [
        "mera order kab aayega",
        "sofa chahiye",
        "bahut noise hai line pe",
        "cotton",
        "hello",
        "I want my money back",
        "shukriya bhaiya",
        "my phone is 9876543210",
        "bank account mein paisa nahi aaya",
    ] {
        let got = u(t);
        assert_eq!(got.slots.product, None, "{t} → {:?}", got.slots.product);
    }
}

#[test]
fn complaints_with_category() {
    let cases = [
        ("mera kurta phata hua aaya", TicketCategory::Damaged),
        ("the cooker arrived broken", TicketCategory::Damaged),
        ("टूटा हुआ सामान आया", TicketCategory::Damaged),
        ("phone kaam nahi kar raha", TicketCategory::Damaged),
        ("galat item aaya hai", TicketCategory::WrongItem),
        ("you sent me the wrong item", TicketCategory::WrongItem),
        ("मुझे गलत साइज़ भेजा", TicketCategory::WrongItem),
        (
            "parcel mein ek item missing hai",
            TicketCategory::MissingItem,
        ),
        ("box khali tha", TicketCategory::MissingItem),
        ("ek cheez gayab hai", TicketCategory::MissingItem),
        ("mujhe complaint karni hai", TicketCategory::Other),
    ];
    for (t, cat) in cases {
        let got = u(t);
        assert_eq!(got.intent, Intent::Complaint, "{t} → {got:?}");
        assert_eq!(got.slots.complaint, Some(cat), "{t}");
    }
}

#[test]
fn returns_refunds_cancel_address() {
    for t in [
        "I want to return this kurta",
        "mujhe ye wapas karna hai",
        "return karna hai",
        "मुझे ये लौटाना है",
        "size exchange karna hai",
    ] {
        assert_intent(t, Intent::ReturnRequest);
    }
    for t in [
        "where is my refund",
        "refund kab aayega",
        "paisa wapas chahiye",
        "mera paisa abhi tak nahi aaya",
        "रिफंड कब मिलेगा",
        "paise wapas kab milenge",
    ] {
        assert_intent(t, Intent::Refund);
    }
    assert_eq!(
        u("refund abhi tak nahi aaya").slots.complaint,
        Some(TicketCategory::RefundNotReceived)
    );
    assert_eq!(u("refund kaise milega").slots.complaint, None);
    for t in [
        "cancel my order",
        "order cancel kar do",
        "mujhe ye order nahi chahiye",
        "ऑर्डर रद्द करो",
        "I don't want this order anymore",
    ] {
        assert_intent(t, Intent::Cancel);
    }
    for t in [
        "I want to change my delivery address",
        "address badalna hai",
        "mera pata badal do",
        "पता बदलना है",
        "deliver to a different address please",
    ] {
        assert_intent(t, Intent::AddressChange);
    }
}

#[test]
fn human_sms_and_social() {
    for t in [
        "mujhe kisi insaan se baat karni hai",
        "talk to a human",
        "customer care se baat karao",
        "manager ko bulao",
        "agent please",
        "किसी से बात करवा दो",
    ] {
        assert_intent(t, Intent::TalkToHuman);
    }
    for t in [
        "sms bhej do",
        "please send me a text",
        "message kar dijiye details",
        "मैसेज भेज दो",
    ] {
        assert_intent(t, Intent::SendSms);
    }
    for t in ["namaste", "hello", "hi", "नमस्ते", "assalam alaikum"] {
        assert_intent(t, Intent::Greeting);
    }
    for t in [
        "thank you",
        "dhanyavaad",
        "shukriya bhaiya",
        "धन्यवाद",
        "thanks a lot",
    ] {
        assert_intent(t, Intent::Thanks);
    }
    for t in [
        "bye",
        "alvida",
        "bas itna hi",
        "ok thank you bye",
        "nahi bas itna hi",
        "that's all",
        "aur kuch nahi",
    ] {
        assert_intent(t, Intent::Goodbye);
    }
    for t in [
        "phir se boliye",
        "dobara bolo",
        "repeat please",
        "kya kaha aapne",
        "sorry?",
        "samajh nahi aaya",
        "can you say that again",
        "फिर से बोलिए",
    ] {
        assert_intent(t, Intent::Repeat);
    }
    for t in [
        "haan",
        "ji haan",
        "yes",
        "sahi hai",
        "theek hai",
        "हाँ",
        "haan ji bilkul",
        "yes please",
    ] {
        assert_intent(t, Intent::Affirm);
    }
    for t in ["nahi", "no", "galat", "नहीं", "nahi ji"] {
        assert_intent(t, Intent::Deny);
    }
    assert_intent("aaj mausam kaisa hai", Intent::OutOfScope);
}

#[test]
fn several_requests_in_one_utterance() {
    let got = u("order 45678 cancel karo aur refund bhi chahiye");
    assert_eq!(got.intent, Intent::Cancel);
    assert_eq!(got.also, [Intent::Refund]);
    let got = u("mera order kab aayega aur address bhi badalna hai");
    assert!(
        got.intent == Intent::AddressChange || got.intent == Intent::OrderStatus,
        "{got:?}"
    );
    let all: Vec<Intent> = std::iter::once(got.intent)
        .chain(got.also.iter().copied())
        .collect();
    assert!(
        all.contains(&Intent::OrderStatus) && all.contains(&Intent::AddressChange),
        "{all:?}"
    );
}

#[test]
fn order_numbers_exact_near_unknown() {
    assert_eq!(
        u("mera order 4 5 6 7 8 kab aayega").slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-45678")
        })
    );
    assert_eq!(
        u("forty five six seventy eight").slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-45678")
        })
    );
    assert_eq!(
        u("order chaar paanch six seven eight").slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-45678")
        })
    );
    assert_eq!(
        u("ORD-12345").slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-12345")
        })
    );
    assert_eq!(
        u("पैंतालीस छह सात आठ").slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-45678")
        })
    );
    // A dropped digit: the nearest real order, to be confirmed.
    assert_eq!(
        u("4 5 6 7").slots.order,
        Some(OrderRef::Nearest {
            heard: "4567".to_owned(),
            id: id("ORD-45678")
        })
    );
    assert_eq!(
        u("456 and 8").slots.order,
        Some(OrderRef::Nearest {
            heard: "4568".to_owned(),
            id: id("ORD-45678")
        })
    );
    // An id said inside a longer run still counts exactly.
    assert_eq!(
        u("45678 2 din se pending hai").slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-45678")
        })
    );
    match u("order 99999999").slots.order {
        Some(OrderRef::Unknown { heard }) => assert_eq!(heard, "99999999"),
        other => panic!("expected unknown, got {other:?}"),
    }
    // Amounts are not orders.
    assert_eq!(u("refund of 1500 rupees").slots.order, None);
}

#[test]
fn orders_added_later_match() {
    let nlu = Nlu::new(CatalogIndex::new(&[], &[id("ORD-45678")]));
    assert!(matches!(
        nlu.understand("order 97531").slots.order,
        Some(OrderRef::Unknown { .. })
    ));
    nlu.index().add_order(id("ORD-97531"));
    assert_eq!(
        nlu.understand("order 97531").slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-97531")
        })
    );
    assert_eq!(nlu.index().order_count(), 2);
}

#[test]
fn phone_numbers_are_not_orders() {
    let got = u("my number is 98123 45678");
    assert_eq!(got.slots.phone.as_deref(), Some("+919812345678"));
    assert_eq!(got.slots.order, None);
    let got = u("nau aath ek do teen chaar paanch chhe saat aath");
    assert_eq!(got.slots.phone.as_deref(), Some("+919812345678"));
}

#[test]
fn inform_corrections_and_anger() {
    let got = u("45678");
    assert_eq!(got.intent, Intent::Inform);
    assert_eq!(
        got.slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-45678")
        })
    );
    let got = u("mera order number 45678 hai");
    assert_eq!(got.intent, Intent::Inform);
    assert_intent("blue kurta", Intent::Inform);
    let got = u("nahi, 45679");
    assert_eq!(got.intent, Intent::Inform);
    assert!(got.slots.correction);
    assert_eq!(
        got.slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-45679")
        })
    );
    assert!(u("no I said 45679").slots.correction);
    assert!(u("galat, 4 5 6 7 9").slots.correction);
    assert!(!u("45679").slots.correction);
    let got = u("kitni baar bolun, mera order kab aayega");
    assert!(got.slots.angry);
    assert_eq!(got.intent, Intent::OrderStatus);
    assert!(u("WHERE IS MY ORDER").slots.angry);
    assert!(u("bakwas service hai aapki").slots.angry);
    assert!(!u("mera order kab aayega").slots.angry);
}

#[test]
fn language_is_passed_through() {
    assert_eq!(u("मेरा ऑर्डर कब आएगा").language, Language::Hindi);
    assert_eq!(u("mera order kab aayega").language, Language::Hinglish);
    assert_eq!(u("where is my order").language, Language::English);
}

#[test]
fn backchannels() {
    for t in [
        "haan",
        "hmm",
        "ji",
        "achha",
        "okay",
        "haan ji",
        "theek hai",
        "हाँ",
        "accha",
        // How Whisper writes "haan haan" heard over a phone line.
        "Ah, ah, ah.",
    ] {
        assert!(is_backchannel(&text::normalize(t)), "{t}");
    }
    for t in ["nahi", "ruko", "haan mera order", "45678", "", "hai"] {
        assert!(!is_backchannel(&text::normalize(t)), "{t}");
    }
}

#[test]
fn understanding_is_fast() {
    // Not a benchmark: a guard against accidental quadratic work. Debug
    // builds are ~10x slower than release, hence the loose bound.
    let nlu = nlu();
    let _ = nlu.understand("warm up");
    let start = std::time::Instant::now();
    for _ in 0..100 {
        let _ = nlu.understand(
            "bhaiya mera blue curtain medium wala order 4 5 6 7 8 abhi tak nahi aaya, kab aayega?",
        );
    }
    let per_call = start.elapsed() / 100;
    assert!(
        per_call < std::time::Duration::from_millis(20),
        "{per_call:?}"
    );
}

// Each class below was missed once; the phrasings here are not the labelled
// set's sentences, so they check the rules generalise.

#[test]
fn missing_and_wrong_items_are_complaints() {
    for (t, c) in [
        ("box mein earphone nahi tha", TicketCategory::MissingItem),
        ("डिब्बे में चार्जर था ही नहीं", TicketCategory::MissingItem),
        (
            "the charger was not in the box",
            TicketCategory::MissingItem,
        ),
        (
            "maine saree mangayi thi, dupatta aa gaya",
            TicketCategory::WrongItem,
        ),
        (
            "I ordered a kurta but got a saree",
            TicketCategory::WrongItem,
        ),
        (
            "neela kurta manga tha, kuch aur hi nikla",
            TicketCategory::WrongItem,
        ),
    ] {
        let x = u(t);
        assert_eq!(x.intent, Intent::Complaint, "{t}");
        assert_eq!(x.slots.complaint, Some(c), "{t}");
    }
}

#[test]
fn my_product_with_a_shipping_word_is_an_order_question() {
    for t in [
        "has my mixer grinder shipped?",
        "meri saree dispatch hui ya nahi",
        "mera cooker kab aayega?",
        "मेरा कुर्ता कहाँ है?",
    ] {
        let x = u(t);
        assert_eq!(x.intent, Intent::OrderStatus, "{t}");
        assert!(x.slots.product.is_some(), "{t}");
    }
    // A stock word keeps it a stock question; a delay stays a delay.
    assert_intent(
        "mera size ka kurta stock mein hai?",
        Intent::ProductAvailability,
    );
    assert_intent(
        "mere cooker ki delivery mein bahut deri ho gayi",
        Intent::DeliveryDelay,
    );
}

#[test]
fn back_in_stock_is_availability() {
    for t in [
        "samsung phone stock mein kab aayega",
        "when will the oneplus be back in stock?",
        "लाल लहंगा स्टॉक में कब आएगा",
    ] {
        assert_intent(t, Intent::ProductAvailability);
    }
}

#[test]
fn reaching_customer_care_is_a_greeting_asking_for_it_a_transfer() {
    for t in [
        "hello, customer care?",
        "namaskar ji, customer support?",
        "is this the helpline?",
    ] {
        assert_intent(t, Intent::Greeting);
    }
    for t in [
        "customer care se baat karni hai",
        "connect me to customer support",
    ] {
        assert_intent(t, Intent::TalkToHuman);
    }
}

#[test]
fn off_topic_requests_match_no_product() {
    for t in [
        "mobile ka recharge karna hai",
        "kal baarish hogi kya",
        "ek biryani order kar do",
        "flight ticket book karni hai",
        "koi gaana sunao, ek joke bhi",
    ] {
        let x = u(t);
        assert_eq!(x.intent, Intent::OutOfScope, "{t}");
        assert!(x.slots.product.is_none(), "{t}: {:?}", x.slots.product);
    }
}

#[test]
fn address_details_and_other_places_are_address_changes() {
    for t in [
        "mera parcel dukaan pe bhej dena",
        "please deliver it to my office",
        "landmark galat likha hai order 23456 mein",
        "wrong pin code diya tha, correct karna hai",
    ] {
        assert_intent(t, Intent::AddressChange);
    }
}

#[test]
fn more_everyday_phrasings() {
    assert_intent("why is my parcel taking so long", Intent::DeliveryDelay);
    assert_intent(
        "do hafte ho gaye, parcel ka kuch pata nahi",
        Intent::DeliveryDelay,
    );
    assert_intent("mera parcel kis haal mein hai", Intent::OrderStatus);
    assert_intent("order 45678 bheja gaya ki nahi", Intent::OrderStatus);
    assert_intent("ram ram bhaiya", Intent::Greeting);
    assert_intent("theek hai ji, phir baat karte hain", Intent::Goodbye);
    assert_intent("nahi nahi, wo wala nahi", Intent::Deny);
    assert_intent("no, not this one", Intent::Deny);
    assert_intent("exchange pickup kab aayega", Intent::ReturnRequest);
    assert_intent("message pe bhej dijiye details", Intent::SendSms);
    assert_intent("can you text me the tracking number", Intent::SendSms);
}

#[test]
fn hindi_size_words_and_misheard_names() {
    let x = u("safed kurta bade naap mein hai?");
    assert_eq!(x.slots.size.as_deref(), Some("L"));
    let x = u("dupatta chhota size mein milega");
    assert_eq!(x.slots.size.as_deref(), Some("S"));
    // "size chhota hai" complains about the fit; it names no size.
    assert_eq!(u("kurta ka size chhota hai").slots.size, None);
    assert_eq!(u("madhyam kurta").slots.size.as_deref(), Some("M"));
    assert_eq!(u("कुकर तीन लीटर").slots.size.as_deref(), Some("3L"));
    let x = u("white curtain large");
    assert_eq!(x.slots.product.map(|p| p.kind).as_deref(), Some("kurta"));
    let x = u("redme note stock mein hai");
    assert_eq!(
        x.slots.product.map(|p| p.name).as_deref(),
        Some("Redmi Note 13 5G")
    );
    let x = u("pressure cooler ka order");
    assert_eq!(
        x.slots.product.map(|p| p.kind).as_deref(),
        Some("pressure cooker")
    );
    // "to" opening a run of digits is "two".
    let x = u("order to three four five six kab aayega");
    assert_eq!(
        x.slots.order,
        Some(OrderRef::Exact {
            id: id("ORD-23456")
        })
    );
}
