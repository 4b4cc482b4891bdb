//! The same server on PostgreSQL: a conversation is stored and read back, and
//! the listings work. Each test gets its own schema.

use awaaz_tests::{tool_calls, with_postgres_server};

#[tokio::test]
async fn conversation_round_trip_on_postgres() {
    with_postgres_server(|server| async move {
        let conv = server.start_conversation(Some("+919900112233")).await;
        let reply = server.say(&conv.id, "mera order 34567 kahan hai").await;
        assert_eq!(tool_calls(&reply, "lookup_order").len(), 1, "{reply}");
        let call = server.call(&conv.id).await;
        assert_eq!(call["turns"].as_array().unwrap().len(), 3, "{call}");
        assert_eq!(tool_calls(&call, "lookup_order").len(), 1, "{call}");
        assert_eq!(call["call"]["caller"], "+919900112233");

        let (status, order) = server.get("/api/v1/orders/ORD-34567").await;
        assert_eq!(status, 200);
        assert_eq!(order["status"], "packed");
        let (status, health) = server.get("/health").await;
        assert_eq!((status, &health["store"]), (200, &serde_json::json!("ok")));
    })
    .await;
}
