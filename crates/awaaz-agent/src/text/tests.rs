use proptest::prelude::*;

use super::*;

fn digits_of(n: &Normalized) -> Vec<&str> {
    n.numbers.iter().map(|s| s.digits.as_str()).collect()
}

#[test]
fn devanagari_sentence_romanises_and_is_hindi() {
    let n = normalize("मेरा ऑर्डर कब आएगा");
    assert_eq!(n.text, "mera order kab aayega");
    assert_eq!(n.language, Language::Hindi);
    assert!(n.script.devanagari > 0);
    let n = normalize("मेरा पार्सल कहाँ है? अभी तक नहीं आया");
    assert_eq!(n.text, "mera parcel kahan hai abhi tak nahi aaya");
}

#[test]
fn urdu_sentence_romanises_and_is_hindi() {
    let n = normalize("میرا آرڈر کب آئے گا");
    assert_eq!(n.text, "mera order kab aayega");
    assert_eq!(n.language, Language::Hindi);
    assert!(n.script.arabic > 0);
}

#[test]
fn latin_is_lower_cased_punctuation_stripped_and_variants_folded() {
    let n = normalize("Kahaan hai mera PARCEL?? Abhi tak nahin aaya!");
    assert_eq!(n.text, "kahan hai mera parcel abhi tak nahi aaya");
    assert_eq!(n.language, Language::Hinglish);
    assert_eq!(normalize("Don't worry").text, "dont worry");
    assert_eq!(normalize("haanji theek hai").text, "haan ji theek hai");
}

#[test]
fn language_detection() {
    assert_eq!(
        normalize("do you have the blue kurta in medium?").language,
        Language::English
    );
    assert_eq!(
        normalize("blue kurta available hai?").language,
        Language::Hinglish
    );
    assert_eq!(
        normalize("मेरा parcel abhi tak nahi aaya").language,
        Language::Hinglish
    );
    assert_eq!(
        normalize("mera order kab aayega").language,
        Language::Hinglish
    );
    assert_eq!(normalize("मुझे नीला कुर्ता चाहिए").language, Language::Hindi);
}

#[test]
fn language_cues() {
    assert!(!normalize("45678").has_language_cues());
    assert!(!normalize("kurta").has_language_cues());
    assert!(normalize("haan").has_language_cues());
    assert!(normalize("yes please").has_language_cues());
    assert!(normalize("हाँ").has_language_cues());
}

#[test]
fn spoken_order_numbers() {
    assert_eq!(
        digits_of(&normalize("mera order 4 5 6 7 8 kab tak aayega")),
        ["45678"]
    );
    assert_eq!(
        digits_of(&normalize("forty five six seventy eight")),
        ["45678"]
    );
    assert_eq!(
        digits_of(&normalize("order chaar paanch six seven eight")),
        ["45678"]
    );
    assert_eq!(digits_of(&normalize("ORD-45678")), ["45678"]);
    assert_eq!(normalize("ORD-45678").text, "ord 45678");
    assert_eq!(digits_of(&normalize("#45678 ka status")), ["45678"]);
    assert_eq!(digits_of(&normalize("पैंतालीस छह सात आठ")), ["45678"]);
    assert_eq!(digits_of(&normalize("४५६७८")), ["45678"]);
    assert_eq!(
        digits_of(&normalize("order number double five six seven eight")),
        ["55678"]
    );
    assert_eq!(digits_of(&normalize("one two three four five")), ["12345"]);
    assert_eq!(digits_of(&normalize("ek do teen chaar paanch")), ["12345"]);
    assert_eq!(digits_of(&normalize("45,678")), ["45678"]);
}

#[test]
fn recogniser_fillers_between_digits() {
    assert_eq!(digits_of(&normalize("456 and 8")), ["4568"]);
    assert_eq!(digits_of(&normalize("4. I'm 6.7.8.")), ["4678"]);
    // Two whole numbers joined by "and" stay two numbers.
    assert_eq!(digits_of(&normalize("45678 and 12345")), ["45678", "12345"]);
}

#[test]
fn phone_numbers_in_groups_are_one_span() {
    assert_eq!(
        digits_of(&normalize("my number is 98123 45678")),
        ["9812345678"]
    );
    assert_eq!(
        digits_of(&normalize(
            "nine eight one two three, four five six seven eight"
        )),
        ["9812345678"]
    );
    assert_eq!(digits_of(&normalize("+91 98123-45678")), ["919812345678"]);
}

#[test]
fn do_is_a_number_only_among_numbers() {
    let n = normalize("mujhe do kurta chahiye");
    assert!(n.numbers.is_empty());
    assert_eq!(n.tokens[1].kind, TokenKind::Word);
    assert_eq!(digits_of(&normalize("do teen chaar")), ["234"]);
    assert_eq!(digits_of(&normalize("do")), ["2"]);
    assert_eq!(digits_of(&normalize("order number do")), ["2"]);
    // "to" and "for" only between numbers.
    assert!(normalize("I want to return it for my sister")
        .numbers
        .is_empty());
    assert_eq!(digits_of(&normalize("four ate six")), ["486"]);
}

#[test]
fn compounds_and_multipliers() {
    assert_eq!(digits_of(&normalize("ek sau bees rupaye")), ["120"]);
    assert_eq!(digits_of(&normalize("do hazaar")), ["2000"]);
    assert_eq!(digits_of(&normalize("dedh sau")), ["150"]);
    assert_eq!(digits_of(&normalize("dhai hazaar ka")), ["2500"]);
    assert_eq!(
        digits_of(&normalize("four hundred and ninety nine")),
        ["499"]
    );
    let n = normalize("ek sau bees");
    assert_eq!(n.tokens[0].kind, TokenKind::Number(120));
    assert_eq!(n.tokens[0].raw, "ek sau bees");
    // A typed order id followed by a spoken word number is not one number.
    assert_eq!(
        digits_of(&normalize("45678 ek baar check karo")),
        ["45678", "1"]
    );
}

#[test]
fn ordinals() {
    assert_eq!(normalize("doosra wala").ordinal(), Some(2));
    assert_eq!(normalize("the second one").ordinal(), Some(2));
    assert_eq!(normalize("पहला order").ordinal(), Some(1));
    assert_eq!(normalize("तीसरा").ordinal(), Some(3));
    let n = normalize("2nd order");
    assert_eq!(n.ordinal(), Some(2));
    assert!(n.numbers.is_empty());
}

#[test]
fn relative_days_follow_tense() {
    assert_eq!(normalize("kal aayega").relative_day(), Some(1));
    assert_eq!(normalize("kal aaya tha").relative_day(), Some(-1));
    assert_eq!(normalize("kal order kiya").relative_day(), Some(-1));
    assert_eq!(normalize("parson tak").relative_day(), Some(2));
    assert_eq!(normalize("parso deliver hua").relative_day(), Some(-2));
    assert_eq!(normalize("aaj").relative_day(), Some(0));
    assert_eq!(normalize("will it come tomorrow").relative_day(), Some(1));
    assert_eq!(normalize("कल आएगा").relative_day(), Some(1));
}

fn english_words(n: u32) -> String {
    const SMALL: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    match n {
        0..=19 => SMALL[n as usize].to_owned(),
        100 => "one hundred".to_owned(),
        _ if n.is_multiple_of(10) => TENS[(n / 10) as usize].to_owned(),
        _ => format!("{} {}", TENS[(n / 10) as usize], SMALL[(n % 10) as usize]),
    }
}

proptest! {
    #[test]
    fn normalize_never_panics(s in any::<String>()) {
        let n = normalize(&s);
        for span in &n.numbers {
            prop_assert!(span.start < span.end && span.end <= n.tokens.len());
            prop_assert!(span.digits.chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn normalize_never_panics_on_indic_text(s in "[\\u{0900}-\\u{097F}\\u{0600}-\\u{06FF} a-z0-9.,'-]{0,40}") {
        let _ = normalize(&s);
    }

    #[test]
    fn english_number_words_round_trip(n in 0u32..=100) {
        let n2 = normalize(&english_words(n));
        prop_assert_eq!(digits_of(&n2), vec![n.to_string()]);
    }

    #[test]
    fn hindi_number_words_round_trip(n in 0u32..=100) {
        let word = hindi_number_word(n).unwrap_or_default();
        let got = normalize(word);
        prop_assert_eq!(digits_of(&got), vec![n.to_string()], "{}", word);
        let deva = hindi_number_devanagari(n).unwrap_or_default();
        let got = normalize(deva);
        prop_assert_eq!(digits_of(&got), vec![n.to_string()], "{}", deva);
    }
}
