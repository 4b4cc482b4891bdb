//! `agent-accuracy`: scores the embedded agent on the labelled utterances.
//!
//! For every utterance: the intent from `EmbeddedAgent::understand`, and the
//! first tool call (name and arguments) of the reply when the utterance is
//! the first thing said in a fresh session with the caller's number known.
//! Prints a table per language style (`--json` for machines, `--verbose` for
//! every wrong item); `--check` exits non-zero below 95 % tool choice or 92 %
//! slots, or on any failed turn.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use awaaz_agent::{Agent, EmbeddedAgent, SessionContext};
use awaaz_bench::data::{self, Utterance};
use awaaz_bench::score::{self, Catalog, ItemResult, Observation, Report, Tally};
use awaaz_store::{CallId, Channel, PhoneNumber};
use chrono::Utc;
use clap::Parser;

/// Scores the embedded agent on the labelled utterances.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The labelled set (JSON lines).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Database to run against; default: a temporary SQLite file with the
    /// demo shop.
    #[arg(long, env = "AWAAZ_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// The caller's number the sessions start with.
    #[arg(long, default_value = awaaz_bench::DEFAULT_CALLER)]
    caller: String,
    /// List every item with something wrong, and the per-intent table.
    #[arg(long, short)]
    verbose: bool,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Exit non-zero when tool choice < 95 % or slots < 92 %.
    #[arg(long)]
    check: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let path = args
        .data
        .clone()
        .unwrap_or_else(awaaz_bench::default_data_path);
    let utterances = data::load_utterances(&path)
        .with_context(|| format!("loading the labelled set {}", path.display()))?;

    let bench = awaaz_bench::open_store(args.database_url.as_deref()).await?;
    let store = bench.store.clone();
    let products = store.products().await.context("reading the catalog")?;
    let order_ids = store.order_ids().await.context("reading the order ids")?;
    let problems = data::validate(&utterances, &products, &order_ids);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        bail!(
            "{} labels do not match the store or the labelling policy:\n  {}",
            problems.len(),
            list.join("\n  ")
        );
    }
    let catalog = Catalog::new(products);
    let caller = PhoneNumber::new(&args.caller);
    let agent = EmbeddedAgent::load(store)
        .await
        .context("loading the embedded agent")?;

    let mut items = Vec::with_capacity(utterances.len());
    for u in &utterances {
        items.push(run_one(&agent, u, &catalog, &caller).await);
    }
    let report = Report::new(&items);
    let misses = if args.check {
        report.check(score::CHECK)
    } else {
        Vec::new()
    };

    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::json!({
            "data": path.display().to_string(),
            "store": bench.description,
            "thresholds": score::CHECK,
            "check_failures": misses,
            "report": report,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        print_tables(&mut out, &report, &path, &bench.description, args.verbose)?;
    }
    if !misses.is_empty() {
        eprintln!("agent-accuracy --check failed:");
        for m in &misses {
            eprintln!("  {m}");
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Understands the utterance, then says it as the first turn of a fresh
/// session (after the greeting, as on a call) and scores what happened.
async fn run_one(
    agent: &EmbeddedAgent,
    u: &Utterance,
    catalog: &Catalog,
    caller: &PhoneNumber,
) -> ItemResult {
    let understanding = agent.understand(&u.text);
    let mut session = agent
        .start(SessionContext {
            call_id: CallId::new_v7(),
            channel: Channel::Text,
            caller: Some(caller.clone()),
        })
        .await;
    let now = Utc::now();
    // The greeting's own tool calls, if any, are not the caller's doing.
    let _greeting = session.greet(now).await;
    let reply = session.respond(&u.text, now).await;
    let (calls, error) = match &reply {
        Ok(r) => (r.tool_calls.as_slice(), None),
        Err(e) => (&[][..], Some(error_chain(e))),
    };
    score::score_item(
        u,
        Observation {
            understanding: &understanding,
            calls,
            error: error.as_deref(),
        },
        catalog,
        caller,
    )
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn row(out: &mut impl Write, t: &Tally) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<22} {:>4} {:>8} {:>8} {:>8} {:>9} {:>7} {:>6}",
        t.name,
        t.n,
        pct(t.intent_accuracy()),
        pct(t.tool_accuracy()),
        pct(t.slot_accuracy()),
        format!("{}/{}", t.slots_ok, t.slots),
        format!("{}/{}", t.then_ok, t.then_n),
        t.errors
    )
}

fn header(out: &mut impl Write, first: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "{first:<22} {:>4} {:>8} {:>8} {:>8} {:>9} {:>7} {:>6}",
        "n", "intent", "tool", "slots", "slots n", "then", "errors"
    )
}

fn print_tables(
    out: &mut impl Write,
    report: &Report,
    path: &std::path::Path,
    store: &str,
    verbose: bool,
) -> std::io::Result<()> {
    writeln!(out, "agent accuracy: {} on {store}", path.display())?;
    writeln!(out)?;
    header(out, "language")?;
    for g in &report.groups {
        if g.name == "all" {
            writeln!(out, "{}", "-".repeat(80))?;
        }
        row(out, g)?;
    }
    let wrong_tool: Vec<_> = report.failures.iter().filter(|f| !f.tool_ok).collect();
    let after_wrong_intent = wrong_tool.iter().filter(|f| !f.intent_ok).count();
    writeln!(
        out,
        "\nwrong first tool: {} ({} after a wrong intent, {} with the intent right)",
        wrong_tool.len(),
        after_wrong_intent,
        wrong_tool.len() - after_wrong_intent
    )?;
    if verbose {
        writeln!(out)?;
        header(out, "intent")?;
        for t in &report.by_intent {
            row(out, t)?;
        }
        writeln!(out)?;
        writeln!(out, "{} items with something wrong:", report.failures.len())?;
        for f in &report.failures {
            writeln!(out, "  {} [{}] {}", f.id, f.lang, f.text)?;
            if !f.intent_ok {
                writeln!(
                    out,
                    "      intent: expected {}, got {}",
                    f.intent_expected, f.intent_got
                )?;
            }
            if !f.tool_ok || f.then_ok == Some(false) {
                let mut expected = f.tool_expected.clone().unwrap_or_else(|| "none".to_owned());
                for t in &f.then_expected {
                    expected.push_str(" → ");
                    expected.push_str(t);
                }
                let got = if f.tools_got.is_empty() {
                    "none".to_owned()
                } else {
                    f.tools_got.join(" → ")
                };
                writeln!(
                    out,
                    "      tools:  expected {expected}, got {got}{}",
                    f.tool_arguments
                        .as_ref()
                        .map(|a| format!(" (first {a})"))
                        .unwrap_or_default()
                )?;
            }
            for s in f.slots.iter().filter(|s| !s.ok) {
                writeln!(
                    out,
                    "      slot {}: expected {}, understood {}, argument {}",
                    s.slot,
                    s.expected,
                    s.understood.as_deref().unwrap_or("-"),
                    s.argument.as_deref().unwrap_or("-")
                )?;
            }
            if let Some(e) = &f.error {
                writeln!(out, "      error: {e}")?;
            }
        }
    } else if !report.failures.is_empty() {
        writeln!(
            out,
            "\n{} items with something wrong (--verbose lists them)",
            report.failures.len()
        )?;
    }
    Ok(())
}
