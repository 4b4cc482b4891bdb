//! `awaaz chat`: talk to the agent in a terminal.
//!
//! The conversation goes through the same [`Conversations`] as the HTTP API,
//! so it is stored as a call (channel `text`) with its turns, tool calls and
//! latency. On a terminal it is an interactive prompt with history; with
//! stdin redirected it reads one message per line and prints the replies, so
//! it can be scripted:
//!
//! ```text
//! printf 'mera order 45678 kahan hai\nbye\n' | awaaz chat
//! ```

use std::io::{BufRead as _, IsTerminal as _, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use awaaz_store::{Channel, PhoneNumber};
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::config::Config;
use crate::conversation::{ConversationError, Conversations, TurnOutcome, STATUS_COMPLETED};
use crate::metrics::Metrics;

/// How the chat behaves.
#[derive(Debug, Clone, Default)]
pub struct ChatOptions {
    /// The number the conversation appears to come from, so "my orders"
    /// finds the caller's orders.
    pub caller: Option<PhoneNumber>,
    /// Show tool arguments and results, not only tool names.
    pub verbose: bool,
}

const HELP: &str = "Type what a caller would say, in English, Hinglish or Hindi. \
/quit ends the conversation; /help shows this.";

/// Where the next message comes from.
enum Input {
    Terminal(Option<Box<DefaultEditor>>),
    Lines(std::io::Lines<std::io::StdinLock<'static>>),
}

impl Input {
    /// The next line, or `None` at end of input (Ctrl-D, Ctrl-C, EOF).
    async fn next(&mut self) -> anyhow::Result<Option<String>> {
        match self {
            Self::Terminal(slot) => {
                let mut editor = slot.take().context("line editor lost")?;
                // rustyline blocks on the terminal, so it runs off the reactor
                // and hands the editor back with the line.
                let (editor, line) = tokio::task::spawn_blocking(move || {
                    let line = editor.readline("you ▸ ");
                    (editor, line)
                })
                .await
                .context("line editor failed")?;
                let mut editor = editor;
                let result = match line {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            // History is a convenience; failing to keep it is harmless.
                            let _ = editor.add_history_entry(line.as_str());
                        }
                        Ok(Some(line))
                    }
                    Err(ReadlineError::Eof | ReadlineError::Interrupted) => Ok(None),
                    Err(e) => Err(e).context("cannot read from the terminal"),
                };
                *slot = Some(editor);
                result
            }
            Self::Lines(lines) => match lines.next() {
                Some(line) => Ok(Some(line.context("cannot read stdin")?)),
                None => Ok(None),
            },
        }
    }
}

/// Renders one agent turn: the reply, then a dim line with the language, the
/// agent's time and the tools it called (with arguments and results when
/// `verbose`).
pub fn render_turn(outcome: &TurnOutcome, verbose: bool) -> String {
    let reply = &outcome.reply;
    let mut out = format!("awaaz ▸ {}\n", reply.text);
    let ms = outcome.agent_time.as_secs_f64() * 1000.0;
    let tools: Vec<String> = reply
        .tool_calls
        .iter()
        .map(|c| format!("{}{}", c.name, if c.ok { "" } else { " (failed)" }))
        .collect();
    let mut meta = format!("        [{} · {ms:.1} ms", reply.language.code());
    if !tools.is_empty() {
        meta.push_str(" · ");
        meta.push_str(&tools.join(", "));
    }
    if reply.ended {
        meta.push_str(" · ended");
    }
    meta.push(']');
    out.push_str(&meta);
    out.push('\n');
    if verbose {
        for c in &reply.tool_calls {
            out.push_str(&format!(
                "        {} {} → {}\n",
                c.name, c.arguments, c.result
            ));
        }
    }
    out
}

fn write_out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")
}

/// Runs a chat until the caller quits or the agent ends the conversation.
pub async fn run_chat(config: &Config, options: ChatOptions) -> anyhow::Result<()> {
    let (store, agent) = crate::server::open(config).await?;
    // One conversation, never idle-evicted while the user thinks.
    let conversations = Arc::new(Conversations::new(
        store,
        agent,
        Arc::new(Metrics::default()),
        1,
        Duration::MAX,
    ));
    let interactive = std::io::stdin().is_terminal();
    let mut input = if interactive {
        let editor = DefaultEditor::new().context("cannot open the terminal")?;
        Input::Terminal(Some(Box::new(editor)))
    } else {
        Input::Lines(std::io::stdin().lock().lines())
    };
    if interactive {
        write_out(&format!("awaaz chat · {} · {HELP}\n\n", config.shop_name))?;
    }

    let started = conversations.start(options.caller, Channel::Text).await?;
    let id = started.id;
    write_out(&render_turn(&started.greeting, options.verbose))?;
    let mut ended = started.greeting.reply.ended;

    while !ended {
        let Some(line) = input.next().await? else {
            break;
        };
        let line = line.trim();
        match line {
            "" => continue,
            "/quit" | "/exit" | "/bye" => break,
            "/help" => {
                write_out(&format!("{HELP}\n"))?;
                continue;
            }
            _ => {}
        }
        if !interactive {
            write_out(&format!("you ▸ {line}\n"))?;
        }
        match conversations.message(&id, line).await {
            Ok(outcome) => {
                write_out(&render_turn(&outcome, options.verbose))?;
                ended = outcome.reply.ended;
            }
            Err(e @ (ConversationError::EmptyText | ConversationError::TextTooLong { .. })) => {
                write_out(&format!("        ({e})\n"))?;
            }
            Err(ConversationError::Agent(e)) => {
                write_out(&format!("        (the agent could not answer: {e})\n"))?;
            }
            Err(e) => return Err(e).context("conversation failed"),
        }
    }
    if !ended {
        conversations
            .end(&id, STATUS_COMPLETED)
            .await
            .context("cannot end the conversation")?;
    }
    if interactive {
        write_out(&format!("\nSaved as call {id} (GET /api/v1/calls/{id}).\n"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use awaaz_agent::{AgentReply, Language, ToolCallOutcome};

    fn outcome(ended: bool) -> TurnOutcome {
        TurnOutcome {
            reply: AgentReply {
                text: "Aapka order ORD-45678 shipped hai.".to_owned(),
                language: Language::Hinglish,
                tool_calls: vec![ToolCallOutcome {
                    name: "lookup_order".to_owned(),
                    arguments: serde_json::json!({ "order_id": "ORD-45678" }),
                    result: serde_json::json!({ "found": true }),
                    ok: true,
                    duration_us: 120,
                }],
                ended,
                action: None,
            },
            agent_time: Duration::from_micros(1500),
        }
    }

    #[test]
    fn compact_turn_names_language_time_and_tools() {
        let text = render_turn(&outcome(false), false);
        assert_eq!(
            text,
            "awaaz ▸ Aapka order ORD-45678 shipped hai.\n        [hinglish · 1.5 ms · lookup_order]\n"
        );
    }

    #[test]
    fn verbose_turn_shows_arguments_and_results() {
        let text = render_turn(&outcome(true), true);
        assert!(text.contains("· ended]"), "{text}");
        assert!(
            text.contains("lookup_order {\"order_id\":\"ORD-45678\"} → {\"found\":true}"),
            "{text}"
        );
    }
}
