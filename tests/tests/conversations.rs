//! A text conversation is stored exactly like a phone call; many run at once
//! without touching each other; shutdown ends them in the store.

use awaaz_store::CallId;
use awaaz_tests::{start_server, start_server_with, tool_calls};
use serde_json::Value;

#[tokio::test]
async fn a_conversation_is_stored_like_a_call() {
    let server = start_server().await;
    let conv = server.start_conversation(Some("+919812345678")).await;
    let reply = server.say(&conv.id, "mera order 45678 kahan hai").await;
    assert_eq!(tool_calls(&reply, "lookup_order").len(), 1, "{reply}");

    let call = server.call(&conv.id).await;
    assert_eq!(call["call"]["id"], conv.id.as_str());
    assert_eq!(call["call"]["channel"], "text");
    assert_eq!(call["call"]["status"], "active");
    assert_eq!(call["call"]["caller"], "+919812345678");

    let turns = call["turns"].as_array().unwrap();
    let speakers: Vec<&str> = turns
        .iter()
        .map(|t| t["speaker"].as_str().unwrap())
        .collect();
    assert_eq!(speakers, ["agent", "caller", "agent"], "{call}");
    assert_eq!(turns[0]["text"], conv.started["greeting"]["reply"]);
    assert_eq!(turns[1]["text"], "mera order 45678 kahan hai");
    assert_eq!(turns[2]["text"], reply["reply"]);
    assert_eq!(turns[2]["language"], reply["language"]);
    let seqs: Vec<u64> = turns.iter().map(|t| t["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [0, 1, 2]);
    for agent_turn in [&turns[0], &turns[2]] {
        let latency = &agent_turn["latency"];
        assert!(
            latency["agent_us"].as_u64().is_some(),
            "agent latency recorded: {agent_turn}"
        );
        assert!(latency["reply_ready_ms"].as_u64().is_some(), "{agent_turn}");
    }

    // Recorded once, linked to the agent turn that made it.
    let stored = tool_calls(&call, "lookup_order");
    assert_eq!(stored.len(), 1, "tool call recorded exactly once: {call}");
    assert_eq!(
        stored[0]["arguments"],
        tool_calls(&reply, "lookup_order")[0]["arguments"]
    );
    assert_eq!(stored[0]["turn_id"], turns[2]["id"], "{call}");
    assert!(
        stored[0]["result"].to_string().contains("ORD-45678"),
        "{call}"
    );

    let (_, calls) = server.get("/api/v1/calls").await;
    assert_eq!(calls["calls"][0]["id"], conv.id.as_str());
    assert_eq!(calls["calls"][0]["turn_count"], 3);

    let bye = server.say(&conv.id, "bas itna hi, thank you, bye").await;
    assert_eq!(bye["ended"], true, "{bye}");
    let call = server.call(&conv.id).await;
    assert_eq!(call["call"]["status"], "completed");
    assert!(call["call"]["ended_at"].is_string(), "{call}");
    server.shutdown().await;
}

/// Each conversation asks about a different fixed order; each must see only
/// its own answer and its own records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_conversations_do_not_interfere() {
    const ORDERS: [&str; 10] = [
        "45678", "45679", "12345", "23456", "34567", "56789", "67890", "78901", "89012", "11223",
    ];
    let server = std::sync::Arc::new(start_server().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let server = std::sync::Arc::clone(&server);
        tasks.spawn(async move {
            let number = ORDERS[i % ORDERS.len()];
            let conv = server.start_conversation(None).await;
            let reply = server
                .say(&conv.id, &format!("order number {number} ka status batao"))
                .await;
            let lookups = tool_calls(&reply, "lookup_order");
            assert_eq!(lookups.len(), 1, "conversation {i}: {reply}");
            let result = lookups[0]["result"].to_string();
            assert!(
                result.contains(&format!("ORD-{number}")),
                "conversation {i} got {result}"
            );
            for other in ORDERS.iter().filter(|o| **o != number) {
                assert!(
                    !result.contains(&format!("ORD-{other}")),
                    "conversation {i} saw ORD-{other}"
                );
            }
            (conv.id, number)
        });
    }
    let mut ids = std::collections::HashSet::new();
    while let Some(done) = tasks.join_next().await {
        let (id, number) = done.expect("conversation task");
        let call = server.call(&id).await;
        let turns = call["turns"].as_array().unwrap();
        assert_eq!(turns.len(), 3, "{call}");
        assert!(turns[1]["text"].as_str().unwrap().contains(number));
        let stored = tool_calls(&call, "lookup_order");
        assert_eq!(stored.len(), 1, "{call}");
        assert!(stored[0]["result"]
            .to_string()
            .contains(&format!("ORD-{number}")));
        assert!(ids.insert(id), "conversation ids are unique");
    }
    assert_eq!(ids.len(), 20);
    let (_, health) = server.get("/health").await;
    assert_eq!(health["active_conversations"], 20);
    let server = std::sync::Arc::try_unwrap(server).expect("tasks are done");
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_ends_active_conversations_in_the_store() {
    let server = start_server().await;
    let open = server.start_conversation(None).await;
    let finished = server.start_conversation(None).await;
    server.say(&finished.id, "bye").await;
    let store = server.store();
    let _stopped = server.shutdown().await;

    let open = store.call(&CallId(open.id)).await.unwrap().unwrap();
    assert_eq!(open.call.status, "completed");
    assert!(open.call.ended_at.is_some());
    let finished = store.call(&CallId(finished.id)).await.unwrap().unwrap();
    assert_eq!(finished.call.status, "completed");
}

#[tokio::test]
async fn idle_conversations_are_ended() {
    let server = start_server_with(|c| {
        c.conversation_idle_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let conv = server.start_conversation(None).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (status, body) = server.message(&conv.id, "hello?").await;
    assert_eq!(status, 409, "{body}");
    let call: Value = server.call(&conv.id).await;
    assert_eq!(call["call"]["status"], "timed_out");
    server.shutdown().await;
}
