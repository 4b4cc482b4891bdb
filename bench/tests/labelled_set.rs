//! The labelled set itself: it loads, matches the demo shop, and covers what
//! the benchmark promises to measure.

use std::collections::{HashMap, HashSet};

use awaaz_agent::nlu::Intent;
use awaaz_bench::data::{self, Style, ToolName};
use awaaz_store::OrderId;

fn load() -> Vec<data::Utterance> {
    data::load_utterances(&awaaz_bench::default_data_path()).expect("labelled set loads")
}

#[test]
fn every_label_matches_the_demo_shop_and_the_policy() {
    let set = load();
    let shop = awaaz_store::demo::shop(chrono::Utc::now().date_naive());
    let ids: Vec<OrderId> = shop.orders.iter().map(|o| o.id.clone()).collect();
    let problems = data::validate(&set, &shop.products, &ids);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_set_is_large_balanced_and_covers_every_intent() {
    let set = load();
    assert!(set.len() >= 320, "only {} utterances", set.len());

    let mut per_style: HashMap<Style, usize> = HashMap::new();
    for u in &set {
        *per_style.entry(u.lang).or_default() += 1;
    }
    for style in Style::ALL {
        let n = per_style.get(&style).copied().unwrap_or(0);
        assert!(n * 5 >= set.len(), "{style} has only {n} utterances");
    }

    let asr = set.iter().filter(|u| u.asr).count();
    assert!(
        asr * 100 >= set.len() * 8,
        "only {asr} recogniser-style lines"
    );

    let all_intents = [
        "order_status",
        "delivery_delay",
        "product_availability",
        "complaint",
        "return_request",
        "refund",
        "cancel",
        "address_change",
        "talk_to_human",
        "greeting",
        "thanks",
        "goodbye",
        "repeat",
        "affirm",
        "deny",
        "inform",
        "send_sms",
        "out_of_scope",
    ]
    .map(|s| serde_json::from_value::<Intent>(serde_json::Value::from(s)).expect(s));
    let seen: HashSet<Intent> = set.iter().map(|u| u.intent).collect();
    for intent in all_intents {
        let n = set.iter().filter(|u| u.intent == intent).count();
        assert!(
            seen.contains(&intent) && n >= 8,
            "{intent:?}: {n} utterances"
        );
    }

    // Every tool is expected somewhere: first, or later in the same turn
    // (tickets and SMS follow the order lookup; see the README).
    for tool in [
        ToolName::LookupOrder,
        ToolName::CheckProductAvailability,
        ToolName::CreateTicket,
        ToolName::TransferToHuman,
        ToolName::SendSms,
    ] {
        let n = set
            .iter()
            .filter(|u| u.tool == Some(tool) || u.then.contains(&tool))
            .count();
        assert!(n >= 4, "{tool:?}: {n} utterances");
    }
    assert!(set.iter().any(|u| u.tool.is_none()));
}

#[test]
fn texts_are_unique() {
    let set = load();
    let mut seen = HashSet::new();
    for u in &set {
        assert!(seen.insert(u.text.as_str()), "{} repeats a text", u.id);
    }
}
