//! `agent-latency`: per-turn latency of the embedded agent on a real store.
//!
//! Runs N caller turns (default 2,000) through the scripted multi-turn
//! conversations of `awaaz_bench::scripts` against SeaStore on a temporary
//! SQLite file, timing each `respond` (understanding, policy, every tool's
//! store reads and writes, the reply). Baselines measured in the same
//! process make the figures comparable across noisy machines: a raw store
//! order lookup, a raw store ticket insert, and understanding alone.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use awaaz_agent::{Agent, EmbeddedAgent, SessionContext};
use awaaz_bench::latency::{ms, Recorder, Summary};
use awaaz_bench::scripts::{Script, SCRIPTS};
use awaaz_store::{
    CallId, Channel, NewTicket, OrderId, PhoneNumber, Store, TicketCategory, TicketPriority,
};
use chrono::Utc;
use clap::Parser;
use serde::Serialize;

/// The latency goal for one agent turn, store included.
const GOAL_P99_US: u64 = 10_000;
/// Turns run before measuring: fills the SQLite page cache and the pool.
const WARMUP_TURNS: usize = 100;
/// Ticket inserts for the write baseline (each one is a real row).
const TICKET_BASELINE_MAX: usize = 500;

/// Measures the embedded agent's per-turn latency.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Caller turns to measure.
    #[arg(long, short = 'n', default_value_t = 2_000)]
    turns: usize,
    /// Database to run against; default: a temporary SQLite file with the
    /// demo shop.
    #[arg(long, env = "AWAAZ_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    /// Exit non-zero when the agent's p99 is 10 ms or more.
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Serialize)]
struct Results {
    store: String,
    turns: usize,
    conversations: usize,
    errors: usize,
    goal_p99_us: u64,
    goal_met: bool,
    agent_turn: Summary,
    agent_turn_with_tools: Summary,
    agent_turn_without_tools: Summary,
    session_start: Summary,
    baseline_understand: Summary,
    baseline_store_order_lookup: Summary,
    baseline_store_ticket_insert: Summary,
    /// Agent turn percentile divided by the raw order lookup's.
    ratio_to_order_lookup: Ratios,
    tool_calls: BTreeMap<String, usize>,
}

#[derive(Debug, Serialize)]
struct Ratios {
    p50: f64,
    p99: f64,
}

struct Turns {
    all: Recorder,
    with_tools: Recorder,
    without_tools: Recorder,
    start: Recorder,
    tools: BTreeMap<String, usize>,
    errors: usize,
    conversations: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    anyhow::ensure!(args.turns > 0, "--turns must be at least 1");
    let bench = awaaz_bench::open_store(args.database_url.as_deref()).await?;
    let store = bench.store.clone();
    let agent = EmbeddedAgent::load(store.clone())
        .await
        .context("loading the embedded agent")?;

    // Warm up, then measure.
    run_turns(&agent, WARMUP_TURNS).await?;
    let turns = run_turns(&agent, args.turns).await?;
    let understand = baseline_understand(&agent, args.turns)?;
    let lookup = baseline_order_lookup(store.as_ref(), args.turns).await?;
    let insert =
        baseline_ticket_insert(store.as_ref(), args.turns.min(TICKET_BASELINE_MAX)).await?;

    let agent_turn = turns.all.summary();
    let ratio = |a: u64, b: u64| {
        // Microsecond counts are far below 2^52: the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let r = a as f64 / b.max(1) as f64;
        (r * 10.0).round() / 10.0
    };
    let lookup_s = lookup.summary();
    let results = Results {
        store: bench.description.clone(),
        turns: args.turns,
        conversations: turns.conversations,
        errors: turns.errors,
        goal_p99_us: GOAL_P99_US,
        goal_met: agent_turn.p99_us < GOAL_P99_US && turns.errors == 0,
        ratio_to_order_lookup: Ratios {
            p50: ratio(agent_turn.p50_us, lookup_s.p50_us),
            p99: ratio(agent_turn.p99_us, lookup_s.p99_us),
        },
        agent_turn,
        agent_turn_with_tools: turns.with_tools.summary(),
        agent_turn_without_tools: turns.without_tools.summary(),
        session_start: turns.start.summary(),
        baseline_understand: understand.summary(),
        baseline_store_order_lookup: lookup_s,
        baseline_store_ticket_insert: insert.summary(),
        tool_calls: turns.tools,
    };

    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&results)?)?;
    } else {
        print_table(&mut out, &results)?;
    }
    if turns.errors > 0 {
        eprintln!("agent-latency: {} turns failed", turns.errors);
        return Ok(ExitCode::FAILURE);
    }
    if args.check && !results.goal_met {
        eprintln!(
            "agent-latency --check failed: p99 {} ms is not below {} ms",
            ms(results.agent_turn.p99_us),
            ms(GOAL_P99_US)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `n` caller turns, cycling through the scripts, one session per
/// conversation.
async fn run_turns(agent: &EmbeddedAgent, n: usize) -> anyhow::Result<Turns> {
    let mut t = Turns {
        all: Recorder::new("agent turn")?,
        with_tools: Recorder::new("agent turn, tools called")?,
        without_tools: Recorder::new("agent turn, no tool")?,
        start: Recorder::new("session start")?,
        tools: BTreeMap::new(),
        errors: 0,
        conversations: 0,
    };
    let caller = PhoneNumber::new(awaaz_bench::DEFAULT_CALLER);
    let mut done = 0;
    for script in SCRIPTS.iter().cycle() {
        if done >= n {
            break;
        }
        t.conversations += 1;
        done += run_script(agent, script, &caller, n - done, &mut t).await;
    }
    Ok(t)
}

async fn run_script(
    agent: &EmbeddedAgent,
    script: &Script,
    caller: &PhoneNumber,
    budget: usize,
    t: &mut Turns,
) -> usize {
    let started = Instant::now();
    let mut session = agent
        .start(SessionContext {
            call_id: CallId::new_v7(),
            channel: Channel::Text,
            caller: script.caller_known.then(|| caller.clone()),
        })
        .await;
    let _greeting = session.greet(Utc::now()).await;
    t.start.record(started.elapsed());
    let mut done = 0;
    for text in script.turns.iter().take(budget) {
        let t0 = Instant::now();
        let reply = session.respond(text, Utc::now()).await;
        let took = t0.elapsed();
        done += 1;
        t.all.record(took);
        match reply {
            Ok(r) => {
                if r.tool_calls.is_empty() {
                    t.without_tools.record(took);
                } else {
                    t.with_tools.record(took);
                }
                for c in &r.tool_calls {
                    *t.tools.entry(c.name.clone()).or_default() += 1;
                }
                if r.ended {
                    break;
                }
            }
            Err(_) => t.errors += 1,
        }
    }
    done
}

fn baseline_understand(agent: &EmbeddedAgent, n: usize) -> anyhow::Result<Recorder> {
    let mut r = Recorder::new("understand only")?;
    let texts: Vec<&str> = SCRIPTS
        .iter()
        .flat_map(|s| s.turns.iter().copied())
        .collect();
    for text in texts.iter().cycle().take(n) {
        let t0 = Instant::now();
        let u = agent.understand(text);
        r.record(t0.elapsed());
        std::hint::black_box(u);
    }
    Ok(r)
}

async fn baseline_order_lookup(store: &dyn Store, n: usize) -> anyhow::Result<Recorder> {
    let mut r = Recorder::new("store order lookup")?;
    let ids = ["ORD-45678", "ORD-12345", "ORD-33445", "ORD-89012"].map(|s| OrderId(s.to_owned()));
    for id in ids.iter().cycle().take(n) {
        let t0 = Instant::now();
        let order = store.order(id).await.context("baseline order lookup")?;
        r.record(t0.elapsed());
        anyhow::ensure!(order.is_some(), "demo order missing from the store");
    }
    Ok(r)
}

async fn baseline_ticket_insert(store: &dyn Store, n: usize) -> anyhow::Result<Recorder> {
    let mut r = Recorder::new("store ticket insert")?;
    for _ in 0..n {
        let ticket = NewTicket {
            order_id: Some(OrderId("ORD-45679".to_owned())),
            call_id: None,
            customer_id: Some(1),
            category: TicketCategory::Damaged,
            priority: TicketPriority::Normal,
            description: "benchmark ticket: lid broken".to_owned(),
            created_at: Utc::now(),
        };
        let t0 = Instant::now();
        store
            .create_ticket(ticket)
            .await
            .context("baseline ticket insert")?;
        r.record(t0.elapsed());
    }
    Ok(r)
}

fn print_table(out: &mut impl Write, r: &Results) -> std::io::Result<()> {
    writeln!(
        out,
        "agent latency: {} turns in {} conversations on {}",
        r.turns, r.conversations, r.store
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "per operation (ms)", "n", "p50", "p90", "p99", "max"
    )?;
    for s in [
        &r.agent_turn,
        &r.agent_turn_with_tools,
        &r.agent_turn_without_tools,
        &r.session_start,
        &r.baseline_understand,
        &r.baseline_store_order_lookup,
        &r.baseline_store_ticket_insert,
    ] {
        writeln!(
            out,
            "{:<28} {:>6} {:>9} {:>9} {:>9} {:>9}",
            s.name,
            s.count,
            ms(s.p50_us),
            ms(s.p90_us),
            ms(s.p99_us),
            ms(s.max_us)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "agent turn / store order lookup: p50 {:.1}x, p99 {:.1}x",
        r.ratio_to_order_lookup.p50, r.ratio_to_order_lookup.p99
    )?;
    let tools: Vec<String> = r
        .tool_calls
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(out, "tool calls: {}", tools.join(", "))?;
    writeln!(
        out,
        "goal p99 < {} ms: {}{}",
        ms(r.goal_p99_us),
        if r.goal_met { "met" } else { "NOT met" },
        if r.errors > 0 {
            format!(" ({} turns failed)", r.errors)
        } else {
            String::new()
        }
    )
}
