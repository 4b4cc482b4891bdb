//! The LLM agent against a fake OpenAI-compatible server over real HTTP and
//! the demo shop: tool calls answered from the store, streaming clauses,
//! actions, the tool-round bound, the fallback on every kind of failure,
//! the API key, and history truncation.

#![cfg(feature = "llm")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers too: a panic is a test failure with a clear location"
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use awaaz_agent::llm::{LlmAgent, LlmConfig};
use awaaz_agent::{
    Agent, AgentReply, AgentSession, CallAction, EmbeddedAgent, Language, SessionContext,
};
use awaaz_fakes::chat::{ChatOptions, ChatRequest, Failure, FakeChat, Reply, ToolCall};
use awaaz_store::{
    CallId, CallStore, Channel, MemoryStore, NewCall, PhoneNumber, Store, SupportStore,
    TicketCategory, TicketFilter,
};
use common::{demo_store, now, PRIYA};
use serde_json::{json, Value};

const EVERY_TOOL: [&str; 6] = [
    "lookup_order",
    "check_product_availability",
    "create_ticket",
    "transfer_to_human",
    "send_sms",
    "end_call",
];

/// One call: the store, the fake model, and a session of the LLM agent.
struct Call {
    store: Arc<MemoryStore>,
    chat: FakeChat,
    agent: LlmAgent,
    ctx: SessionContext,
    session: Box<dyn AgentSession>,
}

fn config_for(chat: &FakeChat) -> LlmConfig {
    let mut config = LlmConfig::new(chat.base_url(), "gpt-test");
    config.first_token_timeout = Duration::from_secs(5);
    config.request_timeout = Duration::from_secs(10);
    config.failure_cooldown = Duration::ZERO;
    config
}

impl Call {
    async fn start<F>(options: ChatOptions, edit: impl FnOnce(&mut LlmConfig), script: F) -> Self
    where
        F: Fn(&ChatRequest) -> Reply + Send + Sync + 'static,
    {
        let chat = FakeChat::start_with(options, script).await;
        let mut config = config_for(&chat);
        edit(&mut config);
        Self::on(chat, config, Some(PRIYA)).await
    }

    async fn on(chat: FakeChat, config: LlmConfig, caller: Option<&str>) -> Self {
        let store = demo_store();
        let ctx = SessionContext {
            call_id: CallId("llm-test-call".to_owned()),
            channel: Channel::Twilio,
            caller: caller.map(PhoneNumber::new),
        };
        store
            .create_call(NewCall {
                id: ctx.call_id.clone(),
                channel: ctx.channel,
                caller: ctx.caller.clone(),
                carrier_call_id: None,
                started_at: now(),
            })
            .await
            .unwrap();
        let dyn_store: Arc<dyn Store> = store.clone();
        let fallback: Arc<dyn Agent> =
            Arc::new(EmbeddedAgent::load(Arc::clone(&dyn_store)).await.unwrap());
        let agent = LlmAgent::new(config, dyn_store, fallback).unwrap();
        let mut session = agent.start(ctx.clone()).await;
        session.greet(now()).await;
        Self {
            store,
            chat,
            agent,
            ctx,
            session,
        }
    }

    async fn say(&mut self, text: &str) -> AgentReply {
        self.session.respond(text, now()).await.unwrap()
    }

    /// What the embedded agent alone answers to `text` in this call.
    async fn embedded_answer(&self, text: &str) -> AgentReply {
        let store: Arc<dyn Store> = demo_store();
        let agent = EmbeddedAgent::load(store).await.unwrap();
        let mut session = agent.session(self.ctx.clone());
        session.greet(now()).await;
        session.respond(text, now()).await.unwrap()
    }
}

/// A model that looks orders up and reads the store's answer back.
fn order_desk(req: &ChatRequest) -> Reply {
    if req.last_role() == Some("tool") {
        let result = req.last_tool_result("lookup_order").unwrap_or_default();
        let order = &result["order"];
        return Reply::text(format!(
            "Your order {} is {} with {}. It should arrive on {}.",
            order["order_id"].as_str().unwrap_or("?"),
            order["status"].as_str().unwrap_or("?"),
            order["courier"].as_str().unwrap_or("?"),
            order["expected_delivery"].as_str().unwrap_or("?"),
        ));
    }
    Reply::text_then_tools(
        "Let me check that for you.",
        vec![ToolCall::new("lookup_order", json!({"order_id": "45678"}))],
    )
}

#[tokio::test]
async fn order_status_is_read_from_the_store_through_a_tool_call() {
    let mut call = Call::start(ChatOptions::default(), |_| {}, order_desk).await;
    let reply = call.say("Where is my order 45678?").await;

    assert_eq!(
        reply.text,
        "Let me check that for you. Your order ORD-45678 is shipped with Delhivery. \
         It should arrive on 2026-11-26."
    );
    assert_eq!(reply.language, Language::English);
    assert!(!reply.ended);
    assert_eq!(reply.action, None);
    assert_eq!(reply.tool_calls.len(), 1);
    let tool = &reply.tool_calls[0];
    assert_eq!(tool.name, "lookup_order");
    assert_eq!(tool.arguments, json!({"order_id": "45678"}));
    assert!(tool.ok);
    assert_eq!(tool.result["order"]["courier"], "Delhivery");
    assert_eq!(tool.result["order"]["tracking_number"], "DL1234567890IN");

    let requests = call.chat.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.path, "/v1/chat/completions");
    assert_eq!(first.model(), "gpt-test");
    assert!(first.stream());
    assert_eq!(first.tool_names(), EVERY_TOOL);
    assert_eq!(first.tool_choice(), Some(&json!("auto")));
    assert_eq!(first.authorization, None);
    let lookup = first.tool_parameters("lookup_order").unwrap();
    assert_eq!(lookup["type"], "object");
    assert_eq!(lookup["additionalProperties"], false);
    assert!(lookup["properties"]["order_id"].is_object());
    let system = first.system_prompt().unwrap();
    assert!(system.contains("Awaaz Store"), "{system}");
    assert!(system.contains("Tuesday, 24 November 2026"), "{system}");
    assert!(system.contains("answer in English"), "{system}");
    let roles: Vec<_> = first.messages().iter().map(|m| m["role"].clone()).collect();
    assert_eq!(roles, ["system", "assistant", "user"]);

    // The second request carries the call and its result, matched by id.
    let second = &requests[1];
    let m = second.messages();
    assert_eq!(m.len(), 5);
    assert_eq!(m[3]["role"], "assistant");
    assert_eq!(m[3]["content"], "Let me check that for you.");
    let call_id = m[3]["tool_calls"][0]["id"].as_str().unwrap();
    assert_eq!(m[4]["role"], "tool");
    assert_eq!(m[4]["tool_call_id"], call_id);
    let sent: Value = serde_json::from_str(m[4]["content"].as_str().unwrap()).unwrap();
    assert_eq!(sent, tool.result);
}

#[tokio::test]
async fn the_greeting_is_instant_and_starts_the_history() {
    let chat = FakeChat::start(|_| Reply::text("Ji, bataiye.")).await;
    let config = config_for(&chat);
    let mut call = Call::on(chat, config, None).await;
    assert_eq!(call.chat.request_count(), 0, "greeting needs no model");
    call.say("hello").await;
    let req = &call.chat.requests()[0];
    let greeting = req.messages()[1]["content"].as_str().unwrap();
    assert!(greeting.contains("Awaaz Store"), "{greeting}");
    assert!(req
        .system_prompt()
        .unwrap()
        .contains("phone number is not known"));

    // A configured greeting is used as it is.
    let chat = FakeChat::start(|_| Reply::text("ok")).await;
    let mut config = config_for(&chat);
    config.greeting = Some("Namaste! Awaaz Store mein aapka swagat hai.".into());
    let store: Arc<dyn Store> = demo_store();
    let fallback: Arc<dyn Agent> = Arc::new(EmbeddedAgent::load(store.clone()).await.unwrap());
    let agent = LlmAgent::new(config, store, fallback).unwrap();
    let mut session = agent.start(text_ctx()).await;
    let hello = session.greet(now()).await;
    assert_eq!(hello.text, "Namaste! Awaaz Store mein aapka swagat hai.");
    assert_eq!(hello.language, Language::Hinglish);
}

fn text_ctx() -> SessionContext {
    SessionContext {
        call_id: CallId("llm-test-call".to_owned()),
        channel: Channel::Text,
        caller: None,
    }
}

#[tokio::test]
async fn clauses_reach_the_voice_before_the_reply_is_complete() {
    let options = ChatOptions {
        chunk_delay: Duration::from_millis(15),
        ..ChatOptions::default()
    };
    let text = "Aapka order ship ho gaya hai. Delhivery se aapka parcel aa raha hai, aur \
                parson tak aapke ghar pahunch jayega. Kya main aur kuch madad kar sakti hoon?";
    let mut call = Call::start(options, |_| {}, move |_| Reply::text(text)).await;
    let heard: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let sink = Arc::clone(&heard);
    let mut on_clause = move |clause: String| {
        sink.lock().unwrap().push((Instant::now(), clause));
    };
    let reply = call
        .session
        .respond_streaming("mera order kab aayega", now(), &mut on_clause)
        .await
        .unwrap();
    let done = Instant::now();
    let heard = heard.lock().unwrap().clone();
    let clauses: Vec<&str> = heard.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(
        clauses,
        [
            "Aapka order ship ho gaya hai.",
            "Delhivery se aapka parcel aa raha hai,",
            "aur parson tak aapke ghar pahunch jayega.",
            "Kya main aur kuch madad kar sakti hoon?"
        ]
    );
    assert_eq!(
        reply.text,
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    assert_eq!(reply.language, Language::Hinglish);
    // About 20 more chunks of 15 ms followed the first sentence.
    let lead = done - heard[0].0;
    assert!(
        lead >= Duration::from_millis(200),
        "first clause only {lead:?} early"
    );
}

#[tokio::test]
async fn transfer_to_human_becomes_a_transfer_action() {
    let mut call = Call::start(
        ChatOptions::default(),
        |_| {},
        |req| {
            if req.last_role() == Some("tool") {
                // The agent ends the turn itself; a second request is a bug.
                return Reply::text("SHOULD NOT BE ASKED");
            }
            Reply::tool(
                "transfer_to_human",
                json!({"reason": "caller asked for a person"}),
            )
        },
    )
    .await;
    let reply = call.say("mujhe kisi insaan se baat karni hai").await;
    assert_eq!(
        reply.action,
        Some(CallAction::TransferToHuman {
            reason: "caller asked for a person".into()
        })
    );
    assert!(reply.ended);
    assert_eq!(
        reply.text,
        "Main aapko abhi ek colleague se connect kar rahi hoon. Kripya line par bane rahiye."
    );
    assert_eq!(reply.language, Language::Hinglish);
    assert_eq!(call.chat.request_count(), 1);
    let transfers = call.store.transfers(&call.ctx.call_id).await.unwrap();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].reason, "caller asked for a person");
}

#[tokio::test]
async fn end_call_hangs_up_after_the_goodbye() {
    let mut call = Call::start(
        ChatOptions::default(),
        |_| {},
        |_| {
            Reply::text_then_tools(
                "Thank you for calling. Goodbye!",
                vec![ToolCall::new("end_call", json!({}))],
            )
        },
    )
    .await;
    let reply = call.say("that's all, thank you, bye").await;
    assert!(reply.ended);
    assert_eq!(reply.action, Some(CallAction::HangUp));
    assert_eq!(reply.text, "Thank you for calling. Goodbye!");
    assert_eq!(reply.tool_calls[0].name, "end_call");
    assert_eq!(call.chat.request_count(), 1);
}

#[tokio::test]
async fn a_ticket_is_created_and_its_number_read_back() {
    let mut call = Call::start(
        ChatOptions::default(),
        |_| {},
        |req| {
            if let Some(t) = req.last_tool_result("create_ticket") {
                return Reply::text(format!(
                    "I have opened ticket {}. Our team will call you within {} hours.",
                    t["ticket_id"].as_str().unwrap_or("?"),
                    t["response_hours"]
                ));
            }
            Reply::tool(
                "create_ticket",
                json!({"order_id": "ORD-45678", "category": "damaged",
                   "description": "kurta arrived torn"}),
            )
        },
    )
    .await;
    let reply = call.say("my kurta from order 45678 arrived damaged").await;
    let tickets = call
        .store
        .tickets(&TicketFilter {
            call_id: Some(call.ctx.call_id.clone()),
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(tickets.len(), 1);
    let ticket = &tickets[0];
    assert_eq!(ticket.category, TicketCategory::Damaged);
    assert_eq!(
        ticket.order_id.as_ref().map(|o| o.as_str()),
        Some("ORD-45678")
    );
    assert_eq!(
        reply.text,
        format!(
            "I have opened ticket {}. Our team will call you within 24 hours.",
            ticket.id.0
        )
    );
    assert_eq!(reply.tool_calls[0].name, "create_ticket");
    assert!(reply.tool_calls[0].ok);
}

#[tokio::test]
async fn invalid_tool_arguments_go_back_to_the_model() {
    let mut call = Call::start(
        ChatOptions::default(),
        |_| {},
        |req| {
            if let Some(r) = req.tool_results().first() {
                return Reply::text(format!(
                    "code {}",
                    r.content["code"].as_str().unwrap_or("?")
                ));
            }
            Reply::tools(vec![ToolCall::raw("lookup_order", "{\"order_id\": 45")])
        },
    )
    .await;
    let reply = call.say("order 45678").await;
    assert_eq!(reply.text, "code invalid_arguments");
    assert!(!reply.tool_calls[0].ok);
}

#[tokio::test]
async fn tool_rounds_are_bounded() {
    let mut call = Call::start(
        ChatOptions::default(),
        |c| c.max_tool_rounds = 2,
        |_| Reply::tool("lookup_order", json!({"order_id": "45678"})),
    )
    .await;
    let reply = call.say("where is my order 45678").await;
    let requests = call.chat.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].tool_choice(), Some(&json!("auto")));
    assert_eq!(requests[2].tool_choice(), Some(&json!("none")));
    assert_eq!(reply.tool_calls.len(), 2);
    assert_eq!(
        reply.text,
        "Sorry, I could not finish that just now. Could you tell me once more what you need?"
    );
    assert!(!reply.ended);

    // The history stays valid: the next turn is accepted by the server.
    call.say("hello?").await;
    assert_eq!(call.chat.requests()[3].status, 200);
}

/// The fallback answers a turn the model fails with `failure`, and the log
/// names the failure as `logged`.
async fn assert_fallback_answers(
    failure: Failure,
    logged: &str,
    edit: impl FnOnce(&mut LlmConfig),
) {
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let mut call = Call::start(ChatOptions::default(), edit, |_| {
        Reply::text("Aapka order ship ho gaya hai aur jaldi pahunchega")
    })
    .await;
    call.chat.fail_next(failure.clone());
    let said = "mera order 45678 kab aayega";
    let mut clauses = Vec::new();
    let started = Instant::now();
    let reply = call
        .session
        .respond_streaming(said, now(), &mut |c| clauses.push(c))
        .await
        .unwrap();
    let expected = call.embedded_answer(said).await;
    assert_eq!(reply.text, expected.text, "{failure:?}");
    assert_eq!(reply.language, expected.language);
    assert_eq!(reply.tool_calls.len(), expected.tool_calls.len());
    assert_eq!(reply.tool_calls[0].name, "lookup_order");
    assert_eq!(clauses.join(" "), expected.text);
    assert!(started.elapsed() < Duration::from_secs(3), "{failure:?}");
    let log = logs.text();
    assert!(log.contains(logged), "{failure:?}: {log}");

    // The model is back next turn, and knows what the fallback said.
    let next = call.say("theek hai").await;
    assert_eq!(
        next.text,
        "Aapka order ship ho gaya hai aur jaldi pahunchega"
    );
    let requests = call.chat.requests();
    let last = requests.last().unwrap().messages();
    let n = last.len();
    assert_eq!(last[n - 2]["role"], "assistant");
    assert_eq!(last[n - 2]["content"], expected.text.as_str());
    assert_eq!(last[n - 1]["content"], "theek hai");
}

#[tokio::test]
async fn a_server_error_is_answered_by_the_fallback() {
    assert_fallback_answers(
        Failure::Status(500),
        "http status 500 (server_error)",
        |_| {},
    )
    .await;
    assert_fallback_answers(
        Failure::Status(429),
        "http status 429 (rate_limit_exceeded)",
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn a_silent_server_times_out_into_the_fallback() {
    assert_fallback_answers(Failure::Hang, "no first token in time", |c| {
        c.first_token_timeout = Duration::from_millis(300);
    })
    .await;
}

#[tokio::test]
async fn a_stream_stalling_after_the_first_words_times_out_into_the_fallback() {
    assert_fallback_answers(Failure::StallAfter(3), "request timed out", |c| {
        c.request_timeout = Duration::from_millis(500);
    })
    .await;
}

#[tokio::test]
async fn a_cut_or_malformed_stream_is_answered_by_the_fallback() {
    assert_fallback_answers(Failure::CutAfter(4), "response body broke off", |_| {}).await;
    assert_fallback_answers(Failure::Malformed, "malformed chunk", |_| {}).await;
}

#[tokio::test]
async fn an_unreachable_server_is_answered_by_the_fallback() {
    let chat = FakeChat::start(|_| Reply::text("unused")).await;
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = config_for(&chat);
    config.base_url = format!("http://127.0.0.1:{port}/v1");
    let mut call = Call::on(chat, config, Some(PRIYA)).await;
    let reply = call.say("mera order 45678 kab aayega").await;
    assert_eq!(
        reply.text,
        call.embedded_answer("mera order 45678 kab aayega")
            .await
            .text
    );
}

#[tokio::test]
async fn words_heard_before_a_cut_stay_said_and_the_fallback_completes_them() {
    let mut call = Call::start(
        ChatOptions::default(),
        |_| {},
        |_| Reply::text("Ek second. Main dekh rahi hoon aapka order"),
    )
    .await;
    // role, "Ek", " second", ".", " Main" — the first clause is out.
    call.chat.fail_next(Failure::CutAfter(5));
    let said = "mera order 45678 kab aayega";
    let mut clauses = Vec::new();
    let reply = call
        .session
        .respond_streaming(said, now(), &mut |c| clauses.push(c))
        .await
        .unwrap();
    let fallback = call.embedded_answer(said).await.text;
    assert_eq!(clauses[0], "Ek second.");
    assert_eq!(reply.text, format!("Ek second. {fallback}"));
}

#[tokio::test]
async fn after_a_failure_the_model_rests_for_the_cooldown() {
    let mut call = Call::start(
        ChatOptions::default(),
        |c| c.failure_cooldown = Duration::from_secs(60),
        |_| Reply::text("from the model"),
    )
    .await;
    call.chat.fail_next(Failure::Status(503));
    let first = call.say("mera order 45678 kab aayega").await;
    let second = call.say("aur mera refund?").await;
    assert_eq!(call.chat.request_count(), 1);
    assert_ne!(first.text, "from the model");
    assert_ne!(second.text, "from the model");
    assert!(!second.text.is_empty());
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_bearer_token_and_never_shown() {
    let key = "sk-test-abc123";
    let options = ChatOptions {
        api_key: Some(key.into()),
        ..ChatOptions::default()
    };
    let mut call = Call::start(
        options.clone(),
        |c| c.api_key = Some(key.into()),
        |_| Reply::text("Hello! How can I help?"),
    )
    .await;
    let reply = call.say("hello").await;
    assert_eq!(reply.text, "Hello! How can I help?");
    assert_eq!(
        call.chat.requests()[0].authorization.as_deref(),
        Some("Bearer sk-test-abc123")
    );
    for shown in [
        format!("{:?}", call.agent.config()),
        format!("{:?}", call.agent),
        format!("{:?}", call.session.language()),
    ] {
        assert!(!shown.contains(key), "{shown}");
    }

    // A wrong key: 401, and the fallback answers.
    let mut call = Call::start(
        options,
        |c| c.api_key = Some("sk-wrong".into()),
        |_| Reply::text("unused"),
    )
    .await;
    let reply = call.say("hello").await;
    assert_eq!(call.chat.requests()[0].status, 401);
    assert_eq!(reply.text, call.embedded_answer("hello").await.text);
}

#[tokio::test]
async fn truncation_cuts_what_the_model_sees_next() {
    let mut call = Call::start(
        ChatOptions::default(),
        |_| {},
        |req| {
            if req.last_user_text() == Some("where is my order 45678") {
                Reply::text("It is shipped. It will arrive on Thursday. Anything else?")
            } else {
                Reply::text("Okay.")
            }
        },
    )
    .await;
    call.say("where is my order 45678").await;
    call.session.truncate_last_reply("It is shipped. It will");
    call.say("wait").await;
    let requests = call.chat.requests();
    let m = requests[1].messages();
    let n = m.len();
    assert_eq!(m[n - 2]["role"], "assistant");
    assert_eq!(m[n - 2]["content"], "It is shipped. It will");
    assert_eq!(m[n - 1]["content"], "wait");
}

#[tokio::test]
async fn the_reply_language_follows_the_model_and_the_prompt_the_caller() {
    let mut call = Call::start(
        ChatOptions::default(),
        |_| {},
        |req| match req.last_user_text() {
            Some(t) if t.contains("ऑर्डर") => Reply::text("आपका ऑर्डर रास्ते में है।"),
            _ => Reply::text("Your order is on its way."),
        },
    )
    .await;
    let hindi = call.say("मेरा ऑर्डर कहाँ है").await;
    assert_eq!(hindi.language, Language::Hindi);
    assert_eq!(call.session.language(), Language::Hindi);
    let system = call.chat.requests()[0].system_prompt().unwrap().to_owned();
    assert!(
        system.contains("answer in Hindi, in Devanagari"),
        "{system}"
    );
    let english = call.say("where is my order").await;
    assert_eq!(english.language, Language::English);
}

/// A log sink for one test.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Everything the agent crate logs, at every level, into this sink.
    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_env_filter("awaaz_agent=trace")
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish()
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn logs_carry_no_personal_data() {
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());

    let mut call = Call::start(ChatOptions::default(), |_| {}, order_desk).await;
    call.say("Where is my order 45678? My number is 9812345678")
        .await;
    call.chat.fail_next(Failure::Status(500));
    call.say("Mera naam Priya Sharma hai").await;

    let text = logs.text();
    assert!(text.contains("llm request failed"), "{text}");
    for secret in [
        "9812345678",
        "Priya",
        "Delhivery",
        "45678",
        "Where is my order",
    ] {
        assert!(!text.contains(secret), "{secret} logged:\n{text}");
    }
}

#[tokio::test]
async fn a_turn_cancelled_by_barge_in_keeps_what_was_heard() {
    let options = ChatOptions {
        chunk_delay: Duration::from_millis(10),
        ..ChatOptions::default()
    };
    let mut call = Call::start(
        options,
        |_| {},
        |req| {
            match req.last_user_text() {
        Some("ruko") => Reply::text("Ji, boliye."),
        _ => Reply::text(
            "Aapka order ship ho gaya hai. Delhivery se aa raha hai. Parson tak pahunch jayega.",
        ),
    }
        },
    )
    .await;
    let first_clause = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&first_clause);
    let mut on_clause = move |_: String| signal.notify_one();
    tokio::select! {
        _ = call.session.respond_streaming("mera order kab aayega", now(), &mut on_clause) => {
            panic!("the turn should have been cancelled");
        }
        () = first_clause.notified() => {}
    }
    // The caller spoke over the bot after its first sentence.
    call.session
        .truncate_last_reply("Aapka order ship ho gaya hai.");
    let reply = call.say("ruko").await;
    assert_eq!(reply.text, "Ji, boliye.");
    let requests = call.chat.requests();
    let last = requests.last().unwrap();
    assert_eq!(last.status, 200);
    let m = last.messages();
    let n = m.len();
    assert_eq!(m[n - 3]["content"], "mera order kab aayega");
    assert_eq!(m[n - 2]["role"], "assistant");
    assert_eq!(m[n - 2]["content"], "Aapka order ship ho gaya hai.");
    assert_eq!(m[n - 1]["content"], "ruko");
}
