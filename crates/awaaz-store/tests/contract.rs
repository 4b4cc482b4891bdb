//! The store contract: one suite of tests, run against every implementation.
//!
//! `suite` holds the test bodies; `contract_tests!` turns each into a
//! `#[tokio::test]` inside a backend module (`memory`, `sqlite`, `postgres`)
//! whose `run` function builds a fresh store with the demo shop and tears it
//! down afterwards. A behaviour difference between backends is a bug in one
//! of them.
//!
//! PostgreSQL: `AWAAZ_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Each test works in its own
//! schema `awaaz_t_<uuid>`, chosen through `search_path`, dropped at the end
//! even when the test fails, so tests run in parallel and leave nothing
//! behind. An unreachable server fails the tests: CI has one.

// Test code: an unwrap is an assertion with a location. clippy's
// `allow-unwrap-in-tests` only covers `#[test]` bodies, not the shared suite.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;

use awaaz_store::{SeaStore, Store};
use chrono::{NaiveDate, Utc};
use sea_orm::ConnectionTrait;

/// A store under test and what the suite needs to poke at it from outside.
struct Fixture {
    store: Arc<dyn Store>,
    today: NaiveDate,
    backend: Backend,
    /// Keeps a SQLite file's directory alive for the test.
    _dir: Option<tempfile::TempDir>,
}

enum Backend {
    #[cfg(feature = "test-support")]
    Memory(Arc<awaaz_store::MemoryStore>),
    Sea {
        url: String,
    },
}

impl Fixture {
    /// Opens the same data again the way a restarted server would.
    async fn reopen(&self) -> Arc<dyn Store> {
        match &self.backend {
            #[cfg(feature = "test-support")]
            Backend::Memory(store) => {
                assert!(
                    !store.load_demo(self.today),
                    "demo loaded twice into a memory store"
                );
                store.clone()
            }
            Backend::Sea { url } => Arc::new(SeaStore::connect(url).await.expect("reconnect")),
        }
    }

    /// The database URL of a SeaStore fixture.
    fn sea_url(&self) -> &str {
        match &self.backend {
            Backend::Sea { url } => url,
            #[cfg(feature = "test-support")]
            Backend::Memory(_) => panic!("not a SeaStore fixture"),
        }
    }

    /// Runs raw SQL on the database behind the store (SeaStore only).
    async fn execute_sql(&self, sql: &str) -> bool {
        match &self.backend {
            #[cfg(feature = "test-support")]
            Backend::Memory(_) => false,
            Backend::Sea { url } => {
                let db = sea_orm::Database::connect(url.as_str())
                    .await
                    .expect("raw connect");
                db.execute_unprepared(sql).await.expect("raw sql");
                db.close().await.expect("close raw connection");
                true
            }
        }
    }
}

/// The test bodies.
mod suite {
    use std::collections::HashSet;
    use std::time::Instant;

    use awaaz_store::*;
    use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
    use serde_json::json;
    use tokio::task::JoinSet;

    use super::Fixture;

    fn priya() -> PhoneNumber {
        // Spaced and without +91, as a caller ID or a person might give it.
        PhoneNumber::new("98123 45678")
    }

    fn days(today: NaiveDate, n: i64) -> NaiveDate {
        if n >= 0 {
            today.checked_add_days(Days::new(n.unsigned_abs())).unwrap()
        } else {
            today.checked_sub_days(Days::new(n.unsigned_abs())).unwrap()
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    async fn new_call(store: &dyn Store, carrier: Option<&str>, started_at: DateTime<Utc>) -> Call {
        store
            .create_call(NewCall {
                id: CallId::new_v7(),
                channel: if carrier.is_some() {
                    Channel::Twilio
                } else {
                    Channel::Text
                },
                caller: Some(priya()),
                carrier_call_id: carrier.map(str::to_owned),
                started_at,
            })
            .await
            .unwrap()
    }

    fn turn(call: &CallId, speaker: Speaker, text: &str) -> NewTurn {
        NewTurn {
            call_id: call.clone(),
            speaker,
            text: text.to_owned(),
            language: Some("hinglish".to_owned()),
            started_at: t0(),
            ended_at: t0() + Duration::milliseconds(1500),
            latency: TurnLatency::default(),
            interrupted: false,
        }
    }

    fn ticket(order: Option<&str>, call: Option<&CallId>, at: DateTime<Utc>) -> NewTicket {
        NewTicket {
            order_id: order.map(|o| OrderId(o.to_owned())),
            call_id: call.cloned(),
            customer_id: Some(1),
            category: TicketCategory::Damaged,
            priority: TicketPriority::High,
            description: "cooker ka handle toota hua aaya".to_owned(),
            created_at: at,
        }
    }

    pub(super) async fn demo_loaded_once(fx: &Fixture) {
        let store = fx.store.as_ref();
        let products = store.products().await.unwrap();
        let ids = store.order_ids().await.unwrap();
        assert_eq!(products.len(), 70);
        assert_eq!(ids.len(), 320);
        let again = fx.reopen().await;
        assert_eq!(again.products().await.unwrap(), products);
        assert_eq!(again.order_ids().await.unwrap(), ids);
        let unique: HashSet<&OrderId> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "order ids must be unique");
    }

    pub(super) async fn catalogue_matches_fixtures(fx: &Fixture) {
        let products = fx.store.products().await.unwrap();
        assert!(
            products.windows(2).all(|w| w[0].id < w[1].id),
            "products ordered by id"
        );
        let by_name = |n: &str| products.iter().find(|p| p.name == n).unwrap().clone();
        let kurta = by_name("Blue Cotton Kurta");
        assert_eq!(kurta.kind, "kurta");
        assert!(kurta.aliases.iter().any(|a| a == "कुर्ता"));
        let v = |colour: &str, size: &str| {
            kurta
                .variants
                .iter()
                .find(|v| v.colour.as_deref() == Some(colour) && v.size.as_deref() == Some(size))
                .unwrap()
                .clone()
        };
        assert_eq!(v("blue", "M").stock, 12);
        assert_eq!(v("blue", "XL").stock, 0);
        for size in ["S", "M", "L", "XL", "XXL"] {
            assert!(v("white", size).stock > 0, "white {size} must be in stock");
        }
        assert!((89_900..=149_900).contains(&v("blue", "M").price_paise));
        let lehenga = by_name("Lehenga Choli");
        assert!(lehenga
            .variants
            .iter()
            .filter(|v| v.colour.as_deref() == Some("red"))
            .all(|v| v.stock == 0));
        assert_eq!(by_name("OnePlus Nord CE4").total_stock(), 0);
        assert_eq!(
            by_name("Prestige Popular 5 Litre Pressure Cooker").kind,
            "pressure cooker"
        );
        assert!(products
            .iter()
            .all(|p| !p.name.to_lowercase().contains("curtain")));
        assert!(products.iter().all(|p| !p.variants.is_empty()));
        let categories: HashSet<&str> = products.iter().map(|p| p.category.as_str()).collect();
        for c in [
            "ethnic_wear",
            "electronics",
            "home_kitchen",
            "footwear",
            "beauty",
            "accessories",
        ] {
            assert!(categories.contains(c), "no {c} products");
        }
        let skus: HashSet<&str> = products
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| v.sku.as_str()))
            .collect();
        assert_eq!(
            skus.len(),
            products.iter().map(|p| p.variants.len()).sum::<usize>()
        );
        assert_eq!(fx.store.product(kurta.id).await.unwrap(), Some(kurta));
        assert_eq!(fx.store.product(10_000).await.unwrap(), None);
    }

    pub(super) async fn every_order_status_present(fx: &Fixture) {
        for status in OrderStatus::ALL {
            let filter = OrderFilter {
                status: Some(status),
                limit: Some(500),
                ..Default::default()
            };
            let orders = fx.store.orders(&filter).await.unwrap();
            assert!(orders.len() >= 8, "only {} orders {status:?}", orders.len());
            for o in &orders {
                assert_eq!(o.status, status);
                assert!(!o.items.is_empty(), "{} has no items", o.id);
                let sum: i64 = o
                    .items
                    .iter()
                    .map(|i| i.unit_price_paise * i64::from(i.quantity))
                    .sum();
                assert_eq!(o.total_paise, sum, "{} total", o.id);
                let shipped = matches!(
                    status,
                    OrderStatus::Shipped
                        | OrderStatus::OutForDelivery
                        | OrderStatus::Delivered
                        | OrderStatus::Returned
                        | OrderStatus::RefundInitiated
                        | OrderStatus::RefundCompleted
                );
                assert_eq!(o.courier.is_some(), shipped, "{} courier", o.id);
                assert_eq!(o.tracking_number.is_some(), shipped, "{} tracking", o.id);
                assert_eq!(
                    o.expected_delivery.is_some(),
                    status.is_in_transit(),
                    "{}",
                    o.id
                );
                if status == OrderStatus::Delivered {
                    assert!(o.delivered_at.is_some(), "{} delivered_at", o.id);
                }
                if matches!(
                    status,
                    OrderStatus::RefundInitiated | OrderStatus::RefundCompleted
                ) {
                    assert!(o.refund_paise.is_some_and(|r| r > 0), "{} refund", o.id);
                }
            }
        }
    }

    pub(super) async fn order_lookup_with_items(fx: &Fixture) {
        let today = fx.today;
        let o = fx
            .store
            .order(&OrderId("ORD-45678".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(o.customer_id, 1);
        assert_eq!(o.customer_name, "Priya Sharma");
        assert_eq!(o.customer_phone, priya());
        assert_eq!(o.status, OrderStatus::Shipped);
        assert_eq!(o.courier.as_deref(), Some("Delhivery"));
        assert_eq!(o.tracking_number.as_deref(), Some("DL1234567890IN"));
        assert_eq!(o.expected_delivery, Some(days(today, 2)));
        assert_eq!(o.delivery_city, "Delhi");
        assert_eq!(o.items.len(), 1);
        let item = &o.items[0];
        assert_eq!(item.product_name, "Blue Cotton Kurta");
        assert_eq!(
            (item.colour.as_deref(), item.size.as_deref(), item.quantity),
            (Some("blue"), Some("M"), 1)
        );
        assert_eq!(o.total_paise, item.unit_price_paise);

        let late = fx
            .store
            .order(&OrderId("ORD-33445".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(late.expected_delivery, Some(days(today, -1)));
        assert_eq!(late.items[0].size.as_deref(), Some("128GB"));
        let refund = fx
            .store
            .order(&OrderId("ORD-78901".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(refund.status, OrderStatus::RefundInitiated);
        assert_eq!(refund.refund_paise, Some(49_900));
        assert_eq!(refund.updated_at.date_naive(), days(today, -2));
        let charger = fx
            .store
            .order(&OrderId("ORD-89012".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(charger.refund_paise, Some(79_900));
        let ofd = fx
            .store
            .order(&OrderId("ORD-12345".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (ofd.status, ofd.courier.as_deref()),
            (OrderStatus::OutForDelivery, Some("Ekart"))
        );
        assert_eq!(ofd.expected_delivery, Some(today));
        let cooker = fx
            .store
            .order(&OrderId("ORD-45679".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            cooker.delivered_at.map(|d| d.date_naive()),
            Some(days(today, -3))
        );
    }

    pub(super) async fn orders_by_phone_newest_first(fx: &Fixture) {
        let filter = OrderFilter {
            customer_phone: Some(priya()),
            ..Default::default()
        };
        let orders = fx.store.orders(&filter).await.unwrap();
        let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
        // Placed today-3, today-7, today-8, today-25.
        assert_eq!(ids, ["ORD-45678", "ORD-33445", "ORD-45679", "ORD-89012"]);
        let second_page = fx
            .store
            .orders(&OrderFilter {
                limit: Some(2),
                offset: Some(1),
                ..filter.clone()
            })
            .await
            .unwrap();
        assert_eq!(
            second_page
                .iter()
                .map(|o| o.id.as_str())
                .collect::<Vec<_>>(),
            ["ORD-33445", "ORD-45679"]
        );
        let all = fx
            .store
            .orders(&OrderFilter {
                limit: Some(10_000),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 320, "limit is capped at 500, shop has 320");
        assert!(
            all.windows(2).all(|w| w[0].placed_at >= w[1].placed_at),
            "newest first"
        );
        let default_page = fx.store.orders(&OrderFilter::default()).await.unwrap();
        assert_eq!(default_page.len(), 50);
        assert_eq!(default_page, all[..50]);
        let shipped_for_priya = fx
            .store
            .orders(&OrderFilter {
                status: Some(OrderStatus::Shipped),
                ..filter
            })
            .await
            .unwrap();
        assert_eq!(shipped_for_priya.len(), 2);
        let customer = fx.store.customer_by_phone(&priya()).await.unwrap().unwrap();
        assert_eq!(
            (customer.id, customer.name.as_str(), customer.city.as_str()),
            (1, "Priya Sharma", "Delhi")
        );
        assert_eq!(customer.address, "B-42 Lajpat Nagar II, New Delhi 110024");
    }

    pub(super) async fn unknown_ids_are_none(fx: &Fixture) {
        let s = fx.store.as_ref();
        assert_eq!(s.order(&OrderId("ORD-00000".into())).await.unwrap(), None);
        assert_eq!(s.order(&OrderId("45678".into())).await.unwrap(), None);
        assert_eq!(
            s.customer_by_phone(&PhoneNumber::new("+919000000001"))
                .await
                .unwrap(),
            None
        );
        assert!(s
            .orders(&OrderFilter {
                customer_phone: Some(PhoneNumber::new("+919000000001")),
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty());
        assert_eq!(s.call(&CallId::new_v7()).await.unwrap(), None);
        assert_eq!(s.call_by_carrier_id("CA-nope").await.unwrap(), None);
        assert_eq!(s.ticket(&TicketId("TKT-99999".into())).await.unwrap(), None);
        let missing = s
            .set_order_status(&OrderId("ORD-00000".into()), OrderStatus::Cancelled)
            .await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "order" })),
            "{missing:?}"
        );
    }

    pub(super) async fn set_order_status_persists(fx: &Fixture) {
        let id = OrderId("ORD-23456".into());
        let before = fx.store.order(&id).await.unwrap().unwrap();
        fx.store
            .set_order_status(&id, OrderStatus::Cancelled)
            .await
            .unwrap();
        let after = fx.store.order(&id).await.unwrap().unwrap();
        assert_eq!(after.status, OrderStatus::Cancelled);
        assert!(after.updated_at >= before.updated_at);
        assert_eq!(after.items, before.items);
    }

    pub(super) async fn turns_get_sequential_seq(fx: &Fixture) {
        let s = fx.store.as_ref();
        let call = new_call(s, None, t0()).await;
        assert_eq!((call.status.as_str(), call.turn_count), ("active", 0));
        let mut agent = turn(
            &call.id,
            Speaker::Agent,
            "Namaste! Main aapki kya madad kar sakti hoon?",
        );
        agent.latency = TurnLatency {
            reply_ready_ms: Some(12),
            agent_us: Some(850),
            ..Default::default()
        };
        let t0_ = s.append_turn(agent.clone()).await.unwrap();
        let t1 = s
            .append_turn(turn(&call.id, Speaker::Caller, "mera order kab aayega"))
            .await
            .unwrap();
        let mut cut = turn(&call.id, Speaker::Agent, "Aapka order");
        cut.interrupted = true;
        let t2 = s.append_turn(cut).await.unwrap();
        assert_eq!((t0_.seq, t1.seq, t2.seq), (0, 1, 2));
        assert!(t0_.id != t1.id && t1.id != t2.id);
        let other = new_call(s, None, t0()).await;
        assert_eq!(
            s.append_turn(turn(&other.id, Speaker::Caller, "hello"))
                .await
                .unwrap()
                .seq,
            0
        );
        let detail = s.call(&call.id).await.unwrap().unwrap();
        assert_eq!(detail.call.turn_count, 3);
        assert_eq!(detail.turns, vec![t0_.clone(), t1, t2.clone()]);
        assert_eq!(detail.turns[0].latency, agent.latency);
        assert_eq!(detail.turns[0].speaker, Speaker::Agent);
        assert!(detail.turns[2].interrupted);
        let missing = s
            .append_turn(turn(&CallId::new_v7(), Speaker::Caller, "x"))
            .await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "call" })),
            "{missing:?}"
        );
    }

    pub(super) async fn tool_calls_are_recorded(fx: &Fixture) {
        let s = fx.store.as_ref();
        let call = new_call(s, None, t0()).await;
        let agent = s
            .append_turn(turn(&call.id, Speaker::Agent, "dekhti hoon"))
            .await
            .unwrap();
        let record = |turn_id: Option<i64>, name: &str, ok: bool| NewToolCall {
            call_id: call.id.clone(),
            turn_id,
            name: name.to_owned(),
            arguments: json!({"order_id": "ORD-45678"}),
            result: json!({"status": "shipped", "items": [{"name": "Blue Cotton Kurta"}]}),
            ok,
            duration_us: 420,
            created_at: t0(),
        };
        let a = s
            .record_tool_call(record(Some(agent.id), "lookup_order", true))
            .await
            .unwrap();
        let b = s
            .record_tool_call(record(None, "create_ticket", false))
            .await
            .unwrap();
        let detail = s.call(&call.id).await.unwrap().unwrap();
        assert_eq!(detail.tool_calls, vec![a.clone(), b]);
        assert_eq!(a.arguments["order_id"], "ORD-45678");
        assert_eq!(
            detail.tool_calls[0].result["items"][0]["name"],
            "Blue Cotton Kurta"
        );
        let other = new_call(s, None, t0()).await;
        let foreign = s
            .record_tool_call(NewToolCall {
                call_id: other.id.clone(),
                ..record(Some(agent.id), "x", true)
            })
            .await;
        assert!(
            matches!(foreign, Err(StoreError::NotFound { entity: "turn" })),
            "{foreign:?}"
        );
        let nowhere = s
            .record_tool_call(NewToolCall {
                call_id: CallId::new_v7(),
                ..record(None, "x", true)
            })
            .await;
        assert!(
            matches!(nowhere, Err(StoreError::NotFound { entity: "call" })),
            "{nowhere:?}"
        );
        assert!(s
            .call(&other.id)
            .await
            .unwrap()
            .unwrap()
            .tool_calls
            .is_empty());
    }

    pub(super) async fn call_lifecycle_and_listing(fx: &Fixture) {
        let s = fx.store.as_ref();
        let older = new_call(s, Some("CA111"), t0()).await;
        let newer = new_call(s, Some("CA222"), t0() + Duration::minutes(5)).await;
        let listed = s.calls(10, 0).await.unwrap();
        assert_eq!(
            listed.iter().map(|c| &c.id).collect::<Vec<_>>(),
            vec![&newer.id, &older.id]
        );
        assert_eq!(s.calls(1, 1).await.unwrap()[0].id, older.id);
        assert_eq!(listed[0].caller, Some(priya()));
        assert_eq!(listed[0].channel, Channel::Twilio);
        s.set_call_status(&older.id, "in-progress").await.unwrap();
        assert_eq!(
            s.call_by_carrier_id("CA111").await.unwrap().unwrap().status,
            "in-progress"
        );
        let ended_at = t0() + Duration::minutes(3);
        s.end_call(&older.id, "completed", ended_at).await.unwrap();
        let detail = s.call(&older.id).await.unwrap().unwrap();
        assert_eq!(
            (detail.call.status.as_str(), detail.call.ended_at),
            ("completed", Some(ended_at))
        );
        assert_eq!(detail.call.started_at, t0());
        let dup = s
            .create_call(NewCall {
                id: older.id.clone(),
                channel: Channel::Web,
                caller: None,
                carrier_call_id: None,
                started_at: t0(),
            })
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict { entity: "call" })),
            "{dup:?}"
        );
        let missing = s.end_call(&CallId::new_v7(), "completed", ended_at).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "call" })),
            "{missing:?}"
        );
        let missing = s.set_call_status(&CallId::new_v7(), "ringing").await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "call" })),
            "{missing:?}"
        );
    }

    pub(super) async fn call_usage_is_kept_per_call(fx: &Fixture) {
        let s = fx.store.as_ref();
        let call = new_call(s, Some("CA333"), t0()).await;
        let other = new_call(s, None, t0()).await;
        assert_eq!(s.call(&call.id).await.unwrap().unwrap().usage, None);
        let first = CallUsage {
            input_tokens: 1200,
            output_tokens: 340,
            audio_in_tokens: 900,
            audio_out_tokens: 300,
            cached_tokens: 640,
            cost_usd: 0.0345,
            cost_inr: 3.036,
            model_errors: 0,
        };
        s.record_call_usage(&call.id, &first).await.unwrap();
        assert_eq!(s.call(&call.id).await.unwrap().unwrap().usage, Some(first));
        // A later total replaces the earlier one.
        let total = CallUsage {
            input_tokens: 5000,
            output_tokens: 900,
            model_errors: 2,
            cost_usd: 0.125,
            cost_inr: 11.0,
            ..first
        };
        s.record_call_usage(&call.id, &total).await.unwrap();
        let detail = s.call(&call.id).await.unwrap().unwrap();
        assert_eq!(detail.usage, Some(total));
        assert_eq!(s.call(&other.id).await.unwrap().unwrap().usage, None);
        let missing = s.record_call_usage(&CallId::new_v7(), &first).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "call" })),
            "{missing:?}"
        );
    }

    pub(super) async fn tickets_get_readable_ids(fx: &Fixture) {
        let s = fx.store.as_ref();
        let call = new_call(s, None, t0()).await;
        let a = s
            .create_ticket(ticket(Some("ORD-45679"), Some(&call.id), t0()))
            .await
            .unwrap();
        let b = s
            .create_ticket(ticket(None, None, t0() + Duration::minutes(1)))
            .await
            .unwrap();
        let c = s
            .create_ticket(ticket(Some("ORD-45679"), None, t0() + Duration::minutes(2)))
            .await
            .unwrap();
        assert_eq!(
            (a.id.0.as_str(), b.id.0.as_str(), c.id.0.as_str()),
            ("TKT-10001", "TKT-10002", "TKT-10003")
        );
        assert_eq!(
            (a.status.as_str(), a.category, a.priority),
            ("open", TicketCategory::Damaged, TicketPriority::High)
        );
        assert_eq!(s.ticket(&a.id).await.unwrap(), Some(a.clone()));
        let by_order = s
            .tickets(&TicketFilter {
                order_id: Some(OrderId("ORD-45679".into())),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(by_order, vec![c.clone(), a.clone()], "newest first");
        let by_call = s
            .tickets(&TicketFilter {
                call_id: Some(call.id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(by_call, vec![a.clone()]);
        assert_eq!(s.tickets(&TicketFilter::default()).await.unwrap().len(), 3);
        let closed = TicketFilter {
            status: Some("closed".into()),
            ..Default::default()
        };
        assert!(s.tickets(&closed).await.unwrap().is_empty());
        let paged = s
            .tickets(&TicketFilter {
                limit: Some(1),
                offset: Some(1),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(paged, vec![b]);
        let bad = s.create_ticket(ticket(Some("ORD-00000"), None, t0())).await;
        assert!(
            matches!(bad, Err(StoreError::NotFound { entity: "order" })),
            "{bad:?}"
        );
        let bad = s
            .create_ticket(ticket(None, Some(&CallId::new_v7()), t0()))
            .await;
        assert!(
            matches!(bad, Err(StoreError::NotFound { entity: "call" })),
            "{bad:?}"
        );
        let bad = s
            .create_ticket(NewTicket {
                customer_id: Some(99_999),
                ..ticket(None, None, t0())
            })
            .await;
        assert!(
            matches!(bad, Err(StoreError::NotFound { entity: "customer" })),
            "{bad:?}"
        );
        // Failed attempts do not use up numbers visibly out of order.
        let d = s.create_ticket(ticket(None, None, t0())).await.unwrap();
        assert_eq!(d.id.0, "TKT-10004");
    }

    pub(super) async fn transfers_are_tracked(fx: &Fixture) {
        let s = fx.store.as_ref();
        let call = new_call(s, None, t0()).await;
        let other = new_call(s, None, t0()).await;
        let request = |call_id: &CallId, reason: &str| NewTransfer {
            call_id: call_id.clone(),
            reason: reason.to_owned(),
            target: Some("+911140001234".to_owned()),
            created_at: t0(),
        };
        let a = s
            .create_transfer(request(&call.id, "caller_asked"))
            .await
            .unwrap();
        let b = s.create_transfer(request(&call.id, "angry")).await.unwrap();
        s.create_transfer(request(&other.id, "not_understood"))
            .await
            .unwrap();
        assert_eq!(a.status, "requested");
        s.set_transfer_status(a.id, "connected").await.unwrap();
        let listed = s.transfers(&call.id).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(
            (listed[0].id, listed[0].status.as_str()),
            (a.id, "connected")
        );
        assert_eq!(listed[1], b);
        let missing = s.set_transfer_status(i64::MAX, "failed").await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "transfer" })),
            "{missing:?}"
        );
        let missing = s.create_transfer(request(&CallId::new_v7(), "x")).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "call" })),
            "{missing:?}"
        );
    }

    pub(super) async fn sms_queue_and_updates(fx: &Fixture) {
        let s = fx.store.as_ref();
        let call = new_call(s, None, t0()).await;
        let sms = |minutes: i64, body: &str| NewSms {
            call_id: Some(call.id.clone()),
            to: priya(),
            body: body.to_owned(),
            created_at: t0() + Duration::minutes(minutes),
        };
        let late = s.queue_sms(sms(5, "second")).await.unwrap();
        let early = s.queue_sms(sms(1, "first")).await.unwrap();
        let third = s.queue_sms(sms(9, "third")).await.unwrap();
        assert_eq!(
            (early.status, early.attempts, early.to.as_str()),
            (SmsStatus::Queued, 0, "+919812345678")
        );
        let queued = s.sms_by_status(SmsStatus::Queued, 10).await.unwrap();
        assert_eq!(
            queued.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![early.id, late.id, third.id]
        );
        assert_eq!(
            s.sms_by_status(SmsStatus::Queued, 2).await.unwrap().len(),
            2
        );
        s.update_sms(early.id, SmsStatus::Queued, None, Some("timeout".into()))
            .await
            .unwrap();
        s.update_sms(early.id, SmsStatus::Sent, Some("SM123".into()), None)
            .await
            .unwrap();
        s.update_sms(
            late.id,
            SmsStatus::Failed,
            None,
            Some("invalid number".into()),
        )
        .await
        .unwrap();
        let sent = s.sms_by_status(SmsStatus::Sent, 10).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (sent[0].attempts, sent[0].provider_id.as_deref()),
            (2, Some("SM123"))
        );
        assert_eq!(
            sent[0].last_error.as_deref(),
            Some("timeout"),
            "a success keeps the last failure"
        );
        let failed = s.sms_by_status(SmsStatus::Failed, 10).await.unwrap();
        assert_eq!(
            (failed[0].id, failed[0].last_error.as_deref()),
            (late.id, Some("invalid number"))
        );
        assert_eq!(
            s.sms_by_status(SmsStatus::Queued, 10).await.unwrap(),
            vec![third]
        );
        let missing = s.update_sms(i64::MAX, SmsStatus::Sent, None, None).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { entity: "sms" })),
            "{missing:?}"
        );
        let orphan = s
            .queue_sms(NewSms {
                call_id: None,
                ..sms(0, "no call")
            })
            .await
            .unwrap();
        assert_eq!(orphan.call_id, None);
    }

    pub(super) async fn concurrent_writers_do_not_collide(fx: &Fixture) {
        const WRITERS: u32 = 20;
        let call = new_call(fx.store.as_ref(), None, t0()).await;
        let mut tasks = JoinSet::new();
        for i in 0..WRITERS {
            let store = fx.store.clone();
            let call_id = call.id.clone();
            tasks.spawn(async move {
                let t = store
                    .append_turn(turn(&call_id, Speaker::Caller, &format!("turn {i}")))
                    .await
                    .unwrap();
                let k = store
                    .create_ticket(ticket(None, Some(&call_id), t0()))
                    .await
                    .unwrap();
                let other = new_call(store.as_ref(), None, t0()).await;
                store
                    .append_turn(turn(&other.id, Speaker::Agent, "hi"))
                    .await
                    .unwrap();
                (t.seq, k.id)
            });
        }
        let mut seqs = HashSet::new();
        let mut tickets = HashSet::new();
        while let Some(joined) = tasks.join_next().await {
            let (seq, ticket) = joined.unwrap();
            assert!(seqs.insert(seq), "seq {seq} handed out twice");
            assert!(
                tickets.insert(ticket.0.clone()),
                "{ticket} handed out twice"
            );
        }
        assert_eq!(seqs, (0..WRITERS).collect::<HashSet<_>>());
        let expected: HashSet<String> = (1..=WRITERS)
            .map(|n| format!("TKT-{}", 10_000 + n))
            .collect();
        assert_eq!(tickets, expected);
        let detail = fx.store.call(&call.id).await.unwrap().unwrap();
        assert_eq!(detail.call.turn_count, WRITERS);
        assert_eq!(
            detail.turns.iter().map(|t| t.seq).collect::<Vec<_>>(),
            (0..WRITERS).collect::<Vec<_>>()
        );
    }

    /// SeaStore only: a value the code does not know comes back as an error.
    pub(super) async fn corrupt_value_is_an_error(fx: &Fixture) {
        assert!(
            fx.execute_sql("UPDATE orders SET status = 'teleported' WHERE code = 'ORD-45678'")
                .await,
            "backend cannot run raw SQL"
        );
        let one = fx.store.order(&OrderId("ORD-45678".into())).await;
        assert!(
            matches!(
                one,
                Err(StoreError::Corrupt {
                    entity: "order",
                    field: "status"
                })
            ),
            "{one:?}"
        );
        let listed = fx
            .store
            .orders(&OrderFilter {
                customer_phone: Some(priya()),
                ..Default::default()
            })
            .await;
        assert!(
            matches!(listed, Err(StoreError::Corrupt { .. })),
            "{listed:?}"
        );
        // Other orders are still readable.
        assert!(fx
            .store
            .order(&OrderId("ORD-45679".into()))
            .await
            .unwrap()
            .is_some());
        fx.execute_sql("UPDATE products SET aliases = 'not json' WHERE id = 1")
            .await;
        let p = fx.store.product(1).await;
        assert!(
            matches!(
                p,
                Err(StoreError::Corrupt {
                    entity: "product",
                    field: "aliases"
                })
            ),
            "{p:?}"
        );
    }

    /// Order lookup by id is what a caller waits on; report its latency and
    /// fail only if it is grossly slow (debug build, shared 2-core machine).
    pub(super) async fn order_lookup_is_fast(fx: &Fixture) {
        let id = OrderId("ORD-45678".into());
        for _ in 0..50 {
            fx.store.order(&id).await.unwrap();
        }
        const N: u32 = 500;
        let start = Instant::now();
        for _ in 0..N {
            assert!(fx.store.order(&id).await.unwrap().is_some());
        }
        let per_lookup = start.elapsed() / N;
        eprintln!("order lookup: {per_lookup:?} per call");
        assert!(
            per_lookup.as_micros() < 5_000,
            "order lookup took {per_lookup:?}"
        );
    }
}

/// One `#[tokio::test]` per suite function, each on a fresh store from `run`.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                run(|fx| async move { super::suite::$name(&fx).await }).await;
            }
        )*
    };
}

macro_rules! common_contract_tests {
    () => {
        contract_tests!(
            demo_loaded_once,
            catalogue_matches_fixtures,
            every_order_status_present,
            order_lookup_with_items,
            orders_by_phone_newest_first,
            unknown_ids_are_none,
            set_order_status_persists,
            turns_get_sequential_seq,
            tool_calls_are_recorded,
            call_lifecycle_and_listing,
            call_usage_is_kept_per_call,
            tickets_get_readable_ids,
            transfers_are_tracked,
            sms_queue_and_updates,
            concurrent_writers_do_not_collide,
        );
    };
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Runs `body` on its own task, so a failing test still returns here and
/// its backend can clean up before the panic is passed on with [`rethrow`].
async fn run_isolated<F, Fut>(fixture: Fixture, body: F) -> Result<(), tokio::task::JoinError>
where
    F: FnOnce(Fixture) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(body(fixture)).await
}

fn rethrow(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[cfg(feature = "test-support")]
mod memory {
    use super::*;
    use awaaz_store::MemoryStore;

    async fn run<F, Fut>(body: F)
    where
        F: FnOnce(Fixture) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let store = Arc::new(MemoryStore::with_demo(today()));
        let fixture = Fixture {
            store: store.clone(),
            today: today(),
            backend: Backend::Memory(store),
            _dir: None,
        };
        rethrow(run_isolated(fixture, body).await);
    }

    common_contract_tests!();
}

mod sqlite {
    use super::*;
    use awaaz_store::{OrderStore, StoreError};

    async fn run<F, Fut>(body: F)
    where
        F: FnOnce(Fixture) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let dir = tempfile::tempdir().unwrap();
        // A nested, missing directory: connect must create it.
        let path = dir.path().join("data").join("nested").join("awaaz.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let store = SeaStore::connect(&url).await.expect("open sqlite");
        assert!(path.exists());
        let fixture = Fixture {
            store: Arc::new(store),
            today: today(),
            backend: Backend::Sea { url },
            _dir: Some(dir),
        };
        rethrow(run_isolated(fixture, body).await);
    }

    common_contract_tests!();
    contract_tests!(corrupt_value_is_an_error, order_lookup_is_fast);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn file_database_uses_wal() {
        run(|fx| async move {
            // WAL mode keeps a `-wal` file beside the database while it is open.
            let dir = fx._dir.as_ref().unwrap().path().join("data").join("nested");
            assert!(
                dir.join("awaaz.db-wal").exists(),
                "no WAL file in {}",
                dir.display()
            );
        })
        .await;
    }

    #[tokio::test]
    async fn in_memory_database_loads_the_demo() {
        let store = SeaStore::connect("sqlite::memory:").await.unwrap();
        let order = store
            .order(&awaaz_store::OrderId("ORD-12345".into()))
            .await
            .unwrap();
        assert_eq!(order.unwrap().customer_name, "Rahul Verma");
        let empty = SeaStore::connect_without_demo("sqlite::memory:")
            .await
            .unwrap();
        assert!(awaaz_store::CatalogStore::products(&empty)
            .await
            .unwrap()
            .is_empty());
        assert!(empty.load_demo(today()).await.unwrap());
        assert!(
            !empty.load_demo(today()).await.unwrap(),
            "second load must be a no-op"
        );
        assert_eq!(empty.order_ids().await.unwrap().len(), 320);
    }

    #[tokio::test]
    async fn wrong_scheme_names_only_the_scheme() {
        let err = SeaStore::connect("mysql://root:hunter2@db.example.com/shop")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidUrl { url_scheme, .. } if url_scheme == "mysql"),
            "{err:?}"
        );
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("db.example.com"),
            "{shown}"
        );
        let err = SeaStore::connect("root:hunter2@localhost")
            .await
            .unwrap_err();
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }
}

mod postgres {
    use super::*;

    fn base_url() -> String {
        std::env::var("AWAAZ_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
    }

    /// The base URL with `search_path` pointed at `schema`.
    fn url_with_schema(schema: &str) -> String {
        let base = base_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-c%20search_path%3D{schema}")
    }

    async fn admin() -> sea_orm::DatabaseConnection {
        let mut options = sea_orm::ConnectOptions::new(base_url());
        options
            .connect_timeout(std::time::Duration::from_secs(5))
            .acquire_timeout(std::time::Duration::from_secs(5))
            .sqlx_logging(false);
        sea_orm::Database::connect(options)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at AWAAZ_TEST_POSTGRES_URL (default \
                 postgres://postgres@127.0.0.1:5432/test); the store contract must run on it: {e}"
                )
            })
    }

    async fn run<F, Fut>(body: F)
    where
        F: FnOnce(Fixture) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let schema = format!("awaaz_t_{}", uuid::Uuid::new_v4().simple());
        let admin = admin().await;
        admin
            .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        let url = url_with_schema(&schema);
        let opened = SeaStore::connect(&url).await;
        let outcome = match opened {
            Ok(store) => {
                let fixture = Fixture {
                    store: Arc::new(store),
                    today: today(),
                    backend: Backend::Sea { url },
                    _dir: None,
                };
                run_isolated(fixture, body).await
            }
            Err(e) => tokio::spawn(async move { panic!("open postgres store: {e:?}") }).await,
        };
        admin
            .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        rethrow(outcome);
    }

    common_contract_tests!();
    contract_tests!(corrupt_value_is_an_error);

    #[tokio::test]
    async fn schemas_keep_tests_apart() {
        run(|fx| async move {
            // This test's schema holds its own shop and its own tickets.
            let url = fx.sea_url();
            assert!(url.contains("search_path%3Dawaaz_t_"));
            let shown = format!("{:?}", SeaStore::connect_without_demo(url).await.unwrap());
            assert_eq!(shown, "SeaStore { backend: Postgres, .. }");
            let db = sea_orm::Database::connect(url).await.unwrap();
            let row = db
                .query_one(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT current_schema()",
                ))
                .await
                .unwrap()
                .unwrap();
            let schema: String = row.try_get_by_index(0).unwrap();
            assert!(schema.starts_with("awaaz_t_"), "{schema}");
            db.close().await.unwrap();
        })
        .await;
    }
}
