//! Schema shape tests (the store-backed behaviour is tested in `tests/`).

use super::*;

#[test]
fn schemas_are_inline_closed_objects() {
    let schemas = Tools::schemas();
    let names: Vec<&str> = schemas.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lookup_order",
            "check_product_availability",
            "create_ticket",
            "transfer_to_human",
            "send_sms"
        ]
    );
    for s in &schemas {
        let text = s.parameters.to_string();
        assert!(
            !text.contains("$ref") && !text.contains("$defs") && !text.contains("$schema"),
            "{text}"
        );
        assert_eq!(s.parameters["type"], "object", "{}", s.name);
        assert_eq!(s.parameters["additionalProperties"], false, "{}", s.name);
        assert!(s.parameters["properties"].is_object(), "{}", s.name);
        assert!(s.parameters["required"].is_array(), "{}", s.name);
        assert!(!s.description.is_empty());
    }
    let ticket = &schemas[2].parameters;
    assert_eq!(
        ticket["required"],
        serde_json::json!(["order_id", "category", "description"])
    );
    let cats = ticket["properties"]["category"]["enum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(cats.len(), 9);
    assert!(cats.contains(&serde_json::json!("refund_not_received")));
    assert_eq!(schemas[0].parameters["required"], serde_json::json!([]));
}

#[test]
fn order_ids_parse_in_any_form() {
    use run_support::parse;
    assert_eq!(parse("ORD-45678").as_deref(), Some("ORD-45678"));
    assert_eq!(parse("45678").as_deref(), Some("ORD-45678"));
    assert_eq!(parse("ord 45678").as_deref(), Some("ORD-45678"));
    assert_eq!(
        parse("order number four five six seven eight").as_deref(),
        Some("ORD-45678")
    );
    assert_eq!(parse("no digits here"), None);
    assert_eq!(parse("12"), None);
}

mod run_support {
    pub(super) fn parse(s: &str) -> Option<String> {
        super::run::parse_order_id(s).map(|o| o.0)
    }
}
