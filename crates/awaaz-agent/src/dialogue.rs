//! Per-conversation dialogue state and policy.
//!
//! One [`Dialogue`] per call. Each caller turn is understood once, then:
//!
//! ```text
//!  Understanding ──▶ repeat? human/angry? bye?          (always first)
//!        │
//!        ▼
//!  pending question? ──▶ answer it (yes/no, an order number, a choice, a category)
//!        │ no, or the caller moved on
//!        ▼
//!  requests (intent + `also`) ──▶ tasks ──▶ need an order? ask / confirm / look up
//!        │                                      │
//!        ▼                                      ▼
//!  tools (lookup, stock, ticket, SMS, transfer) ──▶ reply parts in the caller's language
//! ```
//!
//! The state is small and explicit: the order being talked about (so "aur
//! uska refund?" works), the last product asked about, one pending question,
//! requests queued behind it, and the misunderstanding count that hands the
//! caller to a person after two in a row.

use std::collections::VecDeque;
use std::sync::Arc;

use awaaz_store::{Order, OrderId, OrderStatus, PhoneNumber, StoreError, TicketCategory};
use chrono::{DateTime, Utc};

use crate::nlu::{Intent, Nlu, OrderRef, ProductRef, Understanding};
use crate::reply::{stable_hash, HindiNames, TransferWhy, Voice};
use crate::tools::{
    AvailabilityAnswer, CheckProductAvailabilityArgs, CreateTicketArgs, LookupOrderArgs,
    OrderLookup, SendSmsArgs, TicketCreated, ToolContext, ToolError, ToolRun, Tools,
    TransferToHumanArgs,
};
use crate::{AgentError, AgentReply, CallAction, Language, SessionContext, ToolCallOutcome};

/// Orders read out when the caller has several.
const MAX_CHOICES: usize = 3;
/// Match score a product named on its own needs to be acted on.
const STRONG_PRODUCT: f32 = 0.88;
/// Misunderstandings in a row before a person takes over.
const MAX_MISUNDERSTOOD: u32 = 2;

/// Everything the sessions of one agent share: built once.
pub(crate) struct Shared {
    pub(crate) nlu: Nlu,
    pub(crate) tools: Tools,
    pub(crate) names: HindiNames,
    pub(crate) shop_name: String,
    pub(crate) default_language: Language,
    pub(crate) record_tool_calls: bool,
}

/// Something the caller asked for.
#[derive(Debug, Clone, PartialEq)]
enum Task {
    Status,
    Delay,
    Refund {
        overdue: bool,
    },
    Complaint {
        category: Option<TicketCategory>,
        description: String,
    },
    Return {
        description: String,
    },
    Cancel,
    Address {
        description: String,
    },
    Product,
    Sms,
}

/// The one question the agent is waiting on.
#[derive(Debug, Clone)]
enum Pending {
    /// "What's your order number? (Or shall I use your registered number?)"
    Order { task: Task, offered_phone: bool },
    /// "You said 4 5 6 7 — is it 4 5 6 7 8?"
    ConfirmOrder { task: Task, id: OrderId },
    /// "You have 3 orders: … Which one?"
    ChooseOrder { task: Task, options: Vec<Order> },
    /// "What's the problem: damaged, wrong or missing?"
    Category { description: String },
    /// "Shall I cancel order …?"
    ConfirmCancel,
    /// "Shall I raise a complaint/return request?"
    ConfirmTicket {
        category: TicketCategory,
        description: String,
    },
    /// "Shall I SMS you the details?"
    OfferSms { body: String },
    /// "Which product?"
    Product,
}

/// The product being talked about, with the colour and size asked for.
#[derive(Debug, Clone)]
struct ProductQuery {
    product: ProductRef,
    colour: Option<String>,
    size: Option<String>,
}

/// How an utterance related to the pending question.
enum Answer {
    /// It answered it.
    Done,
    /// It was meant as an answer but could not be used (counted).
    Missed,
    /// The caller moved on; handle the utterance afresh.
    MovedOn,
}

/// What one turn produced.
#[derive(Default)]
struct Out {
    parts: Vec<String>,
    calls: Vec<ToolCallOutcome>,
    action: Option<CallAction>,
    ended: bool,
    /// A request was answered (so "anything else?" may follow).
    answered: bool,
}

impl Out {
    fn say(&mut self, s: String) {
        if !s.is_empty() {
            self.parts.push(s);
        }
    }
}

/// One entry of the conversation as the caller heard it.
#[derive(Debug, Clone)]
struct Said {
    agent: bool,
    text: String,
}

/// One conversation's dialogue state.
pub(crate) struct Dialogue {
    shared: Arc<Shared>,
    ctx: SessionContext,
    lang: Language,
    turn: u32,
    order: Option<Order>,
    last_task: Option<Task>,
    product: Option<ProductQuery>,
    pending: Option<Pending>,
    queue: VecDeque<Task>,
    misunderstood: u32,
    last_ticket: Option<TicketCreated>,
    /// The last reply in full, for "phir se boliye".
    last_reply: Option<String>,
    history: Vec<Said>,
    /// The product named in the request being looked up by phone, to pick
    /// the caller's order that holds it.
    product_hint: Option<ProductRef>,
}

type Step = Result<(), AgentError>;

fn store_failure(tool: &'static str, e: ToolError) -> AgentError {
    match e {
        ToolError::Store(source) => AgentError::Store { tool, source },
        // Arguments the dialogue built itself were refused: a bug here, not
        // the caller's fault. Report it as a store-side failure of the tool
        // without personal data.
        other => AgentError::Model {
            reason: format!("{tool} refused the agent's own request: {other}"),
        },
    }
}

impl Dialogue {
    pub(crate) fn new(shared: Arc<Shared>, ctx: SessionContext) -> Self {
        let lang = shared.default_language;
        Self {
            shared,
            ctx,
            lang,
            turn: 0,
            order: None,
            last_task: None,
            product: None,
            pending: None,
            queue: VecDeque::new(),
            misunderstood: 0,
            last_ticket: None,
            last_reply: None,
            history: Vec::new(),
            product_hint: None,
        }
    }

    pub(crate) fn language(&self) -> Language {
        self.lang
    }

    fn voice(&self, now: DateTime<Utc>) -> Voice<'_> {
        let seed =
            stable_hash(&self.ctx.call_id.0) ^ u64::from(self.turn).wrapping_mul(0x9E37_79B9);
        Voice::new(
            self.lang,
            seed,
            now.date_naive(),
            &self.shared.names,
            &self.shared.shop_name,
        )
    }

    fn tool_ctx(&self, now: DateTime<Utc>) -> ToolContext {
        ToolContext {
            call_id: self.ctx.call_id.clone(),
            caller: self.ctx.caller.clone(),
            now,
            record: self.shared.record_tool_calls,
        }
    }

    fn finish(&mut self, out: Out) -> AgentReply {
        let text = out.parts.join(" ");
        self.last_reply = Some(text.clone());
        self.history.push(Said {
            agent: true,
            text: text.clone(),
        });
        AgentReply {
            text,
            language: self.lang,
            tool_calls: out.calls,
            ended: out.ended,
            action: out.action,
        }
    }

    pub(crate) fn greet(&mut self, now: DateTime<Utc>) -> AgentReply {
        let text = self.voice(now).greeting();
        self.finish(Out {
            parts: vec![text],
            ..Out::default()
        })
    }

    pub(crate) fn truncate_last_reply(&mut self, heard: &str) {
        if let Some(last) = self.history.iter_mut().rev().find(|s| s.agent) {
            let heard = heard.trim();
            // Only ever shorten: `heard` is a prefix of what was said.
            if heard.len() < last.text.len() {
                last.text = heard.to_owned();
            }
        }
    }

    pub(crate) async fn respond(
        &mut self,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<AgentReply, AgentError> {
        self.turn = self.turn.saturating_add(1);
        self.history.push(Said {
            agent: false,
            text: text.to_owned(),
        });
        let u = self.shared.nlu.understand(text);
        if u.normalized.has_language_cues() {
            self.lang = u.language;
        }
        // "what about XL?" is a follow-up, not a request to repeat.
        let has_detail =
            u.slots.order.is_some() || u.slots.colour.is_some() || u.slots.size.is_some();
        if u.intent == Intent::Repeat && !has_detail {
            // Say the whole last reply again, even if the caller cut it
            // short: they asked because they did not hear it all.
            let again = self
                .last_reply
                .clone()
                .unwrap_or_else(|| self.voice(now).repeat_nothing());
            let mut out = Out::default();
            out.say(again);
            return Ok(self.finish(out));
        }
        let mut out = Out::default();
        self.handle(&u, now, &mut out).await?;
        while self.pending.is_none() && !out.ended {
            let Some(task) = self.queue.pop_front() else {
                break;
            };
            self.run_task(task, &u, now, &mut out).await?;
        }
        if out.answered && self.pending.is_none() && !out.ended && out.action.is_none() {
            let more = self.voice(now).anything_else();
            out.say(more);
        }
        Ok(self.finish(out))
    }

    /// The caller pressed `digit`: 0 is "talk to a person"; other keys mean
    /// nothing in this dialogue.
    pub(crate) async fn keypress(
        &mut self,
        digit: char,
        now: DateTime<Utc>,
    ) -> Result<Option<AgentReply>, AgentError> {
        if digit != '0' {
            return Ok(None);
        }
        self.turn = self.turn.saturating_add(1);
        let mut out = Out::default();
        self.transfer(TransferWhy::KeyPressed, now, &mut out)
            .await?;
        Ok(Some(self.finish(out)))
    }

    async fn handle(&mut self, u: &Understanding, now: DateTime<Utc>, out: &mut Out) -> Step {
        if u.intent == Intent::TalkToHuman {
            return self.transfer(TransferWhy::Asked, now, out).await;
        }
        if u.slots.angry {
            return self.transfer(TransferWhy::Angry, now, out).await;
        }
        if u.intent == Intent::Goodbye {
            self.pending = None;
            out.say(self.voice(now).goodbye());
            out.ended = true;
            out.action = Some(CallAction::HangUp);
            return Ok(());
        }
        if let Some(pending) = self.pending.take() {
            match self.answer_pending(pending, u, now, out).await? {
                Answer::Done => {
                    self.misunderstood = 0;
                    return Ok(());
                }
                Answer::Missed => return Ok(()),
                Answer::MovedOn => {}
            }
        }
        // "nahi, 45679": a new number for the order just talked about.
        if u.slots.correction && !u.intent.is_request() {
            if let (Some(r), Some(task)) = (u.slots.order.clone(), self.last_task.clone()) {
                self.misunderstood = 0;
                return self.resolve(task, r, now, out).await;
            }
        }
        match u.intent {
            Intent::Greeting => out.say(self.voice(now).how_can_help()),
            Intent::Thanks => out.say(self.voice(now).thanks()),
            Intent::Affirm | Intent::Deny => {
                let v = self.voice(now);
                out.say(format!("{} {}", v.okay(), v.anything_else()));
            }
            Intent::Inform | Intent::Repeat => return self.inform(u, now, out).await,
            Intent::OutOfScope => return self.not_understood(u, now, out).await,
            _ => {
                let mut intents = vec![u.intent];
                intents.extend(u.also.iter().copied().filter(|i| *i != u.intent));
                let mut tasks: VecDeque<Task> =
                    intents.into_iter().filter_map(|i| task_for(i, u)).collect();
                let Some(first) = tasks.pop_front() else {
                    return self.not_understood(u, now, out).await;
                };
                self.misunderstood = 0;
                self.queue = tasks;
                self.run_task(first, u, now, out).await?;
            }
        }
        if matches!(
            u.intent,
            Intent::Greeting | Intent::Thanks | Intent::Affirm | Intent::Deny
        ) {
            self.misunderstood = 0;
        }
        Ok(())
    }

    /// A bare detail: an order number continues the last request (or asks
    /// for its status), a product asks for stock.
    async fn inform(&mut self, u: &Understanding, now: DateTime<Utc>, out: &mut Out) -> Step {
        if let Some(r) = u.slots.order.clone() {
            self.misunderstood = 0;
            let task = self
                .last_task
                .clone()
                .filter(|t| *t != Task::Product)
                .unwrap_or(Task::Status);
            return self.resolve(task, r, now, out).await;
        }
        let product_follow_up =
            self.product.is_some() && (u.slots.colour.is_some() || u.slots.size.is_some());
        // A product name alone, matched only loosely, is more likely noise
        // than a question; with a colour or size it is a question.
        let strong_product = u.slots.product.as_ref().is_some_and(|p| {
            p.score >= STRONG_PRODUCT || u.slots.colour.is_some() || u.slots.size.is_some()
        });
        if strong_product || product_follow_up {
            self.misunderstood = 0;
            return self.run_task(Task::Product, u, now, out).await;
        }
        if let Some(phone) = u.slots.phone.clone() {
            self.misunderstood = 0;
            let task = self.last_task.clone().unwrap_or(Task::Status);
            return self
                .by_phone(task, &PhoneNumber::new(&phone), now, out)
                .await;
        }
        self.not_understood(u, now, out).await
    }

    async fn not_understood(
        &mut self,
        u: &Understanding,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        // A confident out-of-scope request ("what's the weather") is
        // understood, just not ours: redirect without counting it.
        if u.intent == Intent::OutOfScope && u.confidence >= 0.5 {
            out.say(self.voice(now).out_of_scope());
            return Ok(());
        }
        self.misunderstood += 1;
        if self.misunderstood >= MAX_MISUNDERSTOOD {
            return self.transfer(TransferWhy::NotUnderstood, now, out).await;
        }
        out.say(self.voice(now).not_understood());
        Ok(())
    }

    /// Answers the pending question; `false` when the utterance is not an
    /// answer to it (the caller moved on), so it is handled afresh.
    async fn answer_pending(
        &mut self,
        pending: Pending,
        u: &Understanding,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Result<Answer, AgentError> {
        let yes = u.intent == Intent::Affirm;
        let no = u.intent == Intent::Deny;
        let moved_on = u.intent.is_request() && u.intent != Intent::SendSms;
        match pending {
            Pending::ConfirmOrder { task, id } => {
                if yes && u.slots.order.is_none() {
                    self.with_id(task, &id, now, out).await?;
                } else if let Some(r) = u.slots.order.clone() {
                    // "nahi, 45679" or just the right number.
                    let task = if moved_on {
                        task_for(u.intent, u).unwrap_or(task)
                    } else {
                        task
                    };
                    self.resolve(task, r, now, out).await?;
                } else if no {
                    let offer = self.ctx.caller.is_some();
                    let v = self.voice(now);
                    out.say(format!("{} {}", v.okay(), v.ask_order(offer)));
                    self.pending = Some(Pending::Order {
                        task,
                        offered_phone: offer,
                    });
                } else {
                    return Ok(Answer::MovedOn);
                }
            }
            Pending::Order {
                task,
                offered_phone,
            } => {
                if let Some(r) = u.slots.order.clone() {
                    let task = if moved_on {
                        task_for(u.intent, u).unwrap_or(task)
                    } else {
                        task
                    };
                    self.resolve(task, r, now, out).await?;
                } else if let Some(phone) = u.slots.phone.clone() {
                    self.by_phone(task, &PhoneNumber::new(&phone), now, out)
                        .await?;
                } else if yes && offered_phone {
                    match self.ctx.caller.clone() {
                        Some(phone) => self.by_phone(task, &phone, now, out).await?,
                        None => out.say(self.voice(now).no_phone()),
                    }
                } else if no || (yes && !offered_phone) {
                    out.say(self.voice(now).ask_order(false));
                    self.pending = Some(Pending::Order {
                        task,
                        offered_phone: false,
                    });
                } else if moved_on
                    || matches!(
                        u.intent,
                        Intent::Greeting | Intent::Thanks | Intent::SendSms
                    )
                {
                    return Ok(Answer::MovedOn);
                } else {
                    // Not an order number: ask again, and count it.
                    self.misunderstood += 1;
                    if self.misunderstood >= MAX_MISUNDERSTOOD {
                        self.transfer(TransferWhy::NotUnderstood, now, out).await?;
                        return Ok(Answer::Missed);
                    }
                    let v = self.voice(now);
                    out.say(format!(
                        "{} {}",
                        v.not_understood_short(),
                        v.ask_order(offered_phone)
                    ));
                    self.pending = Some(Pending::Order {
                        task,
                        offered_phone,
                    });
                    // Keep the count: a second miss in a row transfers.
                    return Ok(Answer::Missed);
                }
            }
            Pending::ChooseOrder { task, options } => {
                let chosen = choose(&options, u);
                match chosen {
                    Some(o) => {
                        let id = o.id.clone();
                        self.with_id(task, &id, now, out).await?;
                    }
                    None if u.slots.order.is_some() => {
                        let r = u.slots.order.clone().unwrap_or(OrderRef::Unknown {
                            heard: String::new(),
                        });
                        self.resolve(task, r, now, out).await?;
                    }
                    None if moved_on => return Ok(Answer::MovedOn),
                    // "Is it about this order?" "No": ask for the number.
                    None if no && options.len() == 1 => {
                        out.say(self.voice(now).ask_order(false));
                        self.pending = Some(Pending::Order {
                            task,
                            offered_phone: false,
                        });
                    }
                    None => {
                        out.say(self.voice(now).choose_order(&options));
                        self.pending = Some(Pending::ChooseOrder { task, options });
                    }
                }
            }
            Pending::Category { description } => {
                let category = u.slots.complaint.filter(|c| *c != TicketCategory::Other);
                match category {
                    Some(c) => {
                        let description =
                            format!("{description} / {}", u.normalized.original.trim());
                        self.ticket_flow(c, &description, now, out).await?;
                    }
                    None if moved_on => return Ok(Answer::MovedOn),
                    None if yes || no || u.normalized.tokens.is_empty() => {
                        out.say(self.voice(now).ask_complaint());
                        self.pending = Some(Pending::Category { description });
                    }
                    None => {
                        // Their own words: file it as it is, a person reads it.
                        let description =
                            format!("{description} / {}", u.normalized.original.trim());
                        self.ticket_flow(TicketCategory::Other, &description, now, out)
                            .await?;
                    }
                }
            }
            Pending::ConfirmCancel => {
                if yes || u.intent == Intent::Cancel {
                    self.cancel(now, out).await?;
                } else if no {
                    out.say(self.voice(now).not_cancelled());
                    out.answered = true;
                } else {
                    return Ok(Answer::MovedOn);
                }
            }
            Pending::ConfirmTicket {
                category,
                description,
            } => {
                if yes {
                    self.ticket_flow(category, &description, now, out).await?;
                } else if no {
                    let v = self.voice(now);
                    out.say(format!("{} {}", v.okay(), v.anything_else()));
                } else {
                    return Ok(Answer::MovedOn);
                }
            }
            Pending::OfferSms { body } => {
                if yes || u.intent == Intent::SendSms {
                    self.send_sms(&body, now, out).await?;
                } else if no {
                    let v = self.voice(now);
                    out.say(format!("{} {}", v.okay(), v.anything_else()));
                } else {
                    return Ok(Answer::MovedOn);
                }
            }
            Pending::Product => {
                if u.slots.product.is_some() {
                    self.run_task(Task::Product, u, now, out).await?;
                } else {
                    return Ok(Answer::MovedOn);
                }
            }
        }
        Ok(Answer::Done)
    }

    /// Runs one request: the product flow directly, order flows once the
    /// order is known.
    async fn run_task(
        &mut self,
        task: Task,
        u: &Understanding,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        match task {
            Task::Product => return self.product_flow(u, now, out).await,
            // "SMS the details of order 45678": that order, read first.
            Task::Sms if u.slots.order.is_none() => return self.sms_request(now, out).await,
            _ => {}
        }
        if let Some(r) = u.slots.order.clone() {
            return self.resolve(task, r, now, out).await;
        }
        if let Some(id) = self.order.as_ref().map(|o| o.id.clone()) {
            // Looked up again: the status may have changed in this call.
            return self.with_id(task, &id, now, out).await;
        }
        if let Some(phone) = u.slots.phone.clone() {
            return self
                .by_phone(task, &PhoneNumber::new(&phone), now, out)
                .await;
        }
        // No number said: the caller's own number finds their orders at
        // once (the product they named picks among them); only an unknown
        // caller is asked for the order number.
        if let Some(caller) = self.ctx.caller.clone() {
            self.product_hint = u.slots.product.clone();
            let step = self.by_phone(task, &caller, now, out).await;
            self.product_hint = None;
            return step;
        }
        out.say(self.voice(now).ask_order(false));
        self.pending = Some(Pending::Order {
            task,
            offered_phone: false,
        });
        Ok(())
    }

    /// Acts on an order reference: exact → go, nearest → confirm first,
    /// unknown → say so and ask again.
    async fn resolve(
        &mut self,
        task: Task,
        r: OrderRef,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        match r {
            OrderRef::Exact { id } => self.with_id(task, &id, now, out).await,
            OrderRef::Nearest { heard, id } => {
                out.say(self.voice(now).confirm_nearest(&heard, &id));
                self.pending = Some(Pending::ConfirmOrder { task, id });
                Ok(())
            }
            OrderRef::Unknown { heard } => {
                let run = self
                    .shared
                    .tools
                    .lookup_order(
                        LookupOrderArgs {
                            order_id: Some(heard.clone()),
                            phone: None,
                        },
                        &self.tool_ctx(now),
                    )
                    .await;
                let found = self.take("lookup_order", run, out)?;
                if let OrderLookup::Found(order) = found {
                    // The index did not know it yet (created after start-up).
                    self.shared.nlu.index().add_order(order.id.clone());
                    return self.with_order(task, *order, now, out).await;
                }
                let offer = self.ctx.caller.is_some();
                out.say(self.voice(now).order_not_found(&heard, offer));
                self.pending = Some(Pending::Order {
                    task,
                    offered_phone: offer,
                });
                Ok(())
            }
        }
    }

    /// Unwraps a tool run, keeping its outcome for the reply.
    fn take<T>(&self, tool: &'static str, run: ToolRun<T>, out: &mut Out) -> Result<T, AgentError> {
        out.calls.push(run.outcome);
        run.value.map_err(|e| store_failure(tool, e))
    }

    async fn with_id(
        &mut self,
        task: Task,
        id: &OrderId,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        let run = self
            .shared
            .tools
            .lookup_order(
                LookupOrderArgs {
                    order_id: Some(id.0.clone()),
                    phone: None,
                },
                &self.tool_ctx(now),
            )
            .await;
        match self.take("lookup_order", run, out)? {
            OrderLookup::Found(order) => self.with_order(task, *order, now, out).await,
            _ => {
                let heard = id.number().map(|n| n.to_string()).unwrap_or_default();
                let offer = self.ctx.caller.is_some();
                out.say(self.voice(now).order_not_found(&heard, offer));
                self.pending = Some(Pending::Order {
                    task,
                    offered_phone: offer,
                });
                Ok(())
            }
        }
    }

    async fn by_phone(
        &mut self,
        task: Task,
        phone: &PhoneNumber,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        let run = self
            .shared
            .tools
            .lookup_order(
                LookupOrderArgs {
                    order_id: None,
                    phone: Some(phone.as_str().to_owned()),
                },
                &self.tool_ctx(now),
            )
            .await;
        let OrderLookup::ByPhone(orders) = self.take("lookup_order", run, out)? else {
            return Ok(());
        };
        if orders.is_empty() {
            out.say(self.voice(now).no_orders_for_phone());
            self.pending = Some(Pending::Order {
                task,
                offered_phone: false,
            });
            return Ok(());
        }
        let mut picked = pick_orders(orders, &task, self.product_hint.as_ref(), now);
        if picked.len() == 1 {
            let order = picked.remove(0);
            // Raising a ticket is an action: the caller confirms the order
            // first ("is it about the cooker?"); questions are answered.
            if acts_on_order(&task) {
                out.say(self.voice(now).confirm_found_order(&order));
                self.pending = Some(Pending::ChooseOrder {
                    task,
                    options: vec![order],
                });
                return Ok(());
            }
            return self.with_order(task, order, now, out).await;
        }
        picked.truncate(MAX_CHOICES);
        out.say(self.voice(now).choose_order(&picked));
        self.pending = Some(Pending::ChooseOrder {
            task,
            options: picked,
        });
        Ok(())
    }

    /// The request, now that its order is known.
    async fn with_order(
        &mut self,
        task: Task,
        order: Order,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        self.order = Some(order.clone());
        self.last_task = Some(task.clone());
        let today = now.date_naive();
        let late =
            order.status.is_in_transit() && order.expected_delivery.is_some_and(|d| d < today);
        let o = &order;
        match task {
            Task::Status if late => self.late_flow(now, out).await?,
            Task::Status => {
                out.say(self.voice(now).order_status(o));
                out.answered = true;
            }
            Task::Delay if late => self.late_flow(now, out).await?,
            Task::Delay if o.status.is_in_transit() => {
                out.say(self.voice(now).not_late(o));
                out.answered = true;
            }
            Task::Delay if o.status == OrderStatus::Delivered => {
                let v = self.voice(now);
                out.say(format!(
                    "{} {}",
                    v.order_status(o),
                    v.offer_missing_ticket()
                ));
                self.pending = Some(Pending::ConfirmTicket {
                    category: TicketCategory::MissingItem,
                    description: "Marked delivered but the caller says it has not arrived"
                        .to_owned(),
                });
            }
            Task::Delay => {
                out.say(self.voice(now).order_status(o));
                out.answered = true;
            }
            Task::Refund { overdue } => self.refund_flow(o, overdue, now, out).await?,
            Task::Complaint {
                category,
                description,
            } => match category.filter(|c| *c != TicketCategory::Other) {
                Some(c) => self.ticket_flow(c, &description, now, out).await?,
                None => {
                    out.say(self.voice(now).ask_complaint());
                    self.pending = Some(Pending::Category { description });
                }
            },
            Task::Return { description } => match o.status {
                OrderStatus::Delivered => {
                    self.ticket_flow(TicketCategory::ReturnRequest, &description, now, out)
                        .await?;
                    let note = self.voice(now).return_note();
                    insert_before_offer(out, note, self.pending.is_some());
                }
                s if s.is_cancellable() => {
                    out.say(self.voice(now).return_before_delivery(o));
                    self.pending = Some(Pending::ConfirmCancel);
                }
                s if s.is_in_transit() => {
                    out.say(self.voice(now).return_before_delivery(o));
                    out.answered = true;
                }
                _ => {
                    out.say(self.voice(now).order_status(o));
                    out.answered = true;
                }
            },
            Task::Cancel => match o.status {
                s if s.is_cancellable() => {
                    out.say(self.voice(now).confirm_cancel(o));
                    self.pending = Some(Pending::ConfirmCancel);
                }
                OrderStatus::Shipped | OrderStatus::OutForDelivery => {
                    out.say(self.voice(now).cannot_cancel_shipped(o));
                    self.pending = Some(Pending::ConfirmTicket {
                        category: TicketCategory::ReturnRequest,
                        description: "Wanted to cancel after shipping; return after delivery"
                            .to_owned(),
                    });
                }
                OrderStatus::Delivered => {
                    out.say(self.voice(now).cannot_cancel_delivered(o));
                    self.pending = Some(Pending::ConfirmTicket {
                        category: TicketCategory::ReturnRequest,
                        description: "Wanted to cancel after delivery; return requested".to_owned(),
                    });
                }
                _ => {
                    out.say(self.voice(now).order_status(o));
                    out.answered = true;
                }
            },
            Task::Address { description } => match o.status {
                s if s.is_cancellable() => {
                    self.ticket_flow(TicketCategory::AddressChange, &description, now, out)
                        .await?;
                    let note = self.voice(now).address_ticket_note();
                    insert_before_offer(out, note, self.pending.is_some());
                }
                s if s.is_in_transit() => {
                    out.say(self.voice(now).address_too_late(o));
                    out.answered = true;
                }
                _ => {
                    out.say(self.voice(now).order_status(o));
                    out.answered = true;
                }
            },
            Task::Sms => {
                if self.ctx.caller.is_some() {
                    let body = self.voice(now).sms_order(o);
                    self.send_sms(&body, now, out).await?;
                } else {
                    out.say(self.voice(now).order_status(o));
                    out.say(self.voice(now).sms_failed());
                }
            }
            Task::Product => {}
        }
        Ok(())
    }

    /// A late parcel: apologise and raise a delivery-delay ticket.
    async fn late_flow(&mut self, now: DateTime<Utc>, out: &mut Out) -> Step {
        let Some(order) = self.order.clone() else {
            return Ok(());
        };
        out.say(self.voice(now).late_apology(&order));
        let expected = order
            .expected_delivery
            .map(|d| d.to_string())
            .unwrap_or_default();
        let description = format!("Parcel not delivered; expected {expected}");
        self.ticket_flow(TicketCategory::DeliveryDelay, &description, now, out)
            .await
    }

    async fn refund_flow(
        &mut self,
        o: &Order,
        overdue: bool,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        let today = now.date_naive();
        match o.status {
            OrderStatus::RefundCompleted | OrderStatus::Cancelled if o.refund_paise.is_some() => {
                out.say(self.voice(now).refund_status(o));
                if overdue {
                    let description =
                        "Refund shown as completed but not received by the caller".to_owned();
                    self.ticket_flow(TicketCategory::RefundNotReceived, &description, now, out)
                        .await?;
                } else {
                    out.say(self.voice(now).offer_refund_ticket());
                    self.pending = Some(Pending::ConfirmTicket {
                        category: TicketCategory::RefundNotReceived,
                        description: "Refund shown as completed but not received by the caller"
                            .to_owned(),
                    });
                }
            }
            OrderStatus::RefundInitiated => {
                out.say(self.voice(now).refund_status(o));
                // Overdue only once the promised 7 working days are past.
                let started = o.updated_at.date_naive();
                if overdue && (today - started).num_days() > 9 {
                    let description =
                        "Refund initiated more than 7 working days ago, not received".to_owned();
                    self.ticket_flow(TicketCategory::RefundNotReceived, &description, now, out)
                        .await?;
                } else {
                    out.answered = true;
                }
            }
            OrderStatus::Returned => {
                out.say(self.voice(now).refund_status(o));
                out.answered = true;
            }
            OrderStatus::Delivered => {
                let v = self.voice(now);
                out.say(format!("{} {}", v.refund_status(o), v.offer_return()));
                self.pending = Some(Pending::ConfirmTicket {
                    category: TicketCategory::ReturnRequest,
                    description: "Asked for a refund on a delivered order; return requested"
                        .to_owned(),
                });
            }
            _ => {
                out.say(self.voice(now).refund_status(o));
                out.answered = true;
            }
        }
        Ok(())
    }

    /// Raises a ticket about the current order, reads its number back and
    /// offers an SMS.
    async fn ticket_flow(
        &mut self,
        category: TicketCategory,
        description: &str,
        now: DateTime<Utc>,
        out: &mut Out,
    ) -> Step {
        let Some(order_id) = self.order.as_ref().map(|o| o.id.clone()) else {
            let offer = self.ctx.caller.is_some();
            out.say(self.voice(now).ask_order(offer));
            let task = Task::Complaint {
                category: Some(category),
                description: description.to_owned(),
            };
            self.pending = Some(Pending::Order {
                task,
                offered_phone: offer,
            });
            return Ok(());
        };
        let args = CreateTicketArgs {
            order_id: order_id.0.clone(),
            category: category.into(),
            description: if description.trim().is_empty() {
                category.as_str().to_owned()
            } else {
                description.to_owned()
            },
        };
        let run = self
            .shared
            .tools
            .create_ticket(args, &self.tool_ctx(now))
            .await;
        let ticket = self.take("create_ticket", run, out)?;
        out.say(self.voice(now).ticket_created(&ticket));
        self.after_ticket(ticket, now, out);
        Ok(())
    }

    fn after_ticket(&mut self, ticket: TicketCreated, now: DateTime<Utc>, out: &mut Out) {
        let v = self.voice(now);
        if self.ctx.caller.is_some() {
            let body = v.sms_ticket(&ticket);
            out.say(v.offer_sms());
            self.pending = Some(Pending::OfferSms { body });
        } else {
            out.answered = true;
        }
        self.last_ticket = Some(ticket);
    }

    async fn cancel(&mut self, now: DateTime<Utc>, out: &mut Out) -> Step {
        let Some(order) = self.order.clone() else {
            let offer = self.ctx.caller.is_some();
            out.say(self.voice(now).ask_order(offer));
            self.pending = Some(Pending::Order {
                task: Task::Cancel,
                offered_phone: offer,
            });
            return Ok(());
        };
        // Checked again: the order may have shipped since we asked.
        let run = self
            .shared
            .tools
            .lookup_order(
                LookupOrderArgs {
                    order_id: Some(order.id.0.clone()),
                    phone: None,
                },
                &self.tool_ctx(now),
            )
            .await;
        let OrderLookup::Found(fresh) = self.take("lookup_order", run, out)? else {
            return Ok(());
        };
        if !fresh.status.is_cancellable() {
            return self.with_order(Task::Cancel, *fresh, now, out).await;
        }
        self.shared
            .tools
            .store()
            .set_order_status(&fresh.id, OrderStatus::Cancelled)
            .await
            .map_err(|source: StoreError| AgentError::Store {
                tool: "set_order_status",
                source,
            })?;
        let args = CreateTicketArgs {
            order_id: fresh.id.0.clone(),
            category: TicketCategory::CancellationRequest.into(),
            description: "Cancelled on the call at the caller's request".to_owned(),
        };
        let run = self
            .shared
            .tools
            .create_ticket(args, &self.tool_ctx(now))
            .await;
        let ticket = self.take("create_ticket", run, out)?;
        out.say(self.voice(now).cancelled(&fresh, &ticket));
        let mut cancelled = *fresh;
        cancelled.status = OrderStatus::Cancelled;
        self.order = Some(cancelled);
        self.after_ticket(ticket, now, out);
        Ok(())
    }

    async fn send_sms(&mut self, body: &str, now: DateTime<Utc>, out: &mut Out) -> Step {
        let run = self
            .shared
            .tools
            .send_sms(
                SendSmsArgs {
                    message: body.to_owned(),
                    to: None,
                },
                &self.tool_ctx(now),
            )
            .await;
        out.calls.push(run.outcome);
        match run.value {
            Ok(_) => out.say(self.voice(now).sms_sent()),
            Err(ToolError::Store(source)) => {
                return Err(AgentError::Store {
                    tool: "send_sms",
                    source,
                })
            }
            Err(_) => out.say(self.voice(now).sms_failed()),
        }
        out.answered = true;
        Ok(())
    }

    /// "SMS kar do": the last ticket, else the current order's status, else
    /// the caller's orders looked up by their number.
    async fn sms_request(&mut self, now: DateTime<Utc>, out: &mut Out) -> Step {
        let Some(caller) = self.ctx.caller.clone() else {
            out.say(self.voice(now).sms_failed());
            return Ok(());
        };
        let body = match (&self.last_ticket, &self.order) {
            (Some(t), _) => self.voice(now).sms_ticket(t),
            (None, Some(o)) => self.voice(now).sms_order(o),
            (None, None) => return self.by_phone(Task::Sms, &caller, now, out).await,
        };
        self.send_sms(&body, now, out).await
    }

    async fn transfer(&mut self, why: TransferWhy, now: DateTime<Utc>, out: &mut Out) -> Step {
        self.pending = None;
        self.queue.clear();
        let run = self
            .shared
            .tools
            .transfer_to_human(
                TransferToHumanArgs {
                    reason: why.reason().to_owned(),
                },
                &self.tool_ctx(now),
            )
            .await;
        out.calls.push(run.outcome);
        if let Err(e) = run.value {
            // The caller is handed over by the call layer either way; a
            // missing transfer record is logged, not fatal.
            tracing::warn!(error = %e, "transfer could not be recorded");
        }
        out.say(self.voice(now).transfer(why));
        out.action = Some(CallAction::TransferToHuman {
            reason: why.reason().to_owned(),
        });
        out.ended = true;
        self.misunderstood = 0;
        Ok(())
    }

    async fn product_flow(&mut self, u: &Understanding, now: DateTime<Utc>, out: &mut Out) -> Step {
        let query = match (&u.slots.product, &self.product) {
            // The same product again, maybe in another colour or size.
            (Some(p), Some(prev)) if p.product_id == prev.product.product_id => ProductQuery {
                product: p.clone(),
                colour: u.slots.colour.clone().or_else(|| prev.colour.clone()),
                size: u.slots.size.clone().or_else(|| prev.size.clone()),
            },
            (Some(p), _) => ProductQuery {
                product: p.clone(),
                colour: u.slots.colour.clone(),
                size: u.slots.size.clone(),
            },
            // "aur medium mein?": the last product in a new size or colour.
            (None, Some(prev)) if u.slots.colour.is_some() || u.slots.size.is_some() => {
                ProductQuery {
                    product: prev.product.clone(),
                    colour: u.slots.colour.clone().or_else(|| prev.colour.clone()),
                    size: u.slots.size.clone().or_else(|| prev.size.clone()),
                }
            }
            (None, _) => {
                out.say(self.voice(now).ask_product());
                self.pending = Some(Pending::Product);
                return Ok(());
            }
        };
        self.last_task = Some(Task::Product);
        let args = CheckProductAvailabilityArgs {
            product: query.product.name.clone(),
            colour: query.colour.clone(),
            size: query.size.clone(),
        };
        let run = self
            .shared
            .tools
            .check_product_availability(args, &self.tool_ctx(now))
            .await;
        match self.take("check_product_availability", run, out)? {
            AvailabilityAnswer::Found(a) => out.say(self.voice(now).availability(&a)),
            AvailabilityAnswer::NotSold { query, .. } => out.say(self.voice(now).not_sold(&query)),
        }
        self.product = Some(query);
        out.answered = true;
        Ok(())
    }
}

/// Adds a line after the ticket read-back but before the SMS offer, which
/// must stay the last thing said (the caller answers it).
fn insert_before_offer(out: &mut Out, line: String, offered: bool) {
    let at = if offered {
        out.parts.len().saturating_sub(1)
    } else {
        out.parts.len()
    };
    out.parts.insert(at, line);
}

/// The task an intent asks for, with the details it carries.
fn task_for(intent: Intent, u: &Understanding) -> Option<Task> {
    let words = u
        .normalized
        .original
        .trim()
        .chars()
        .take(500)
        .collect::<String>();
    Some(match intent {
        Intent::OrderStatus => Task::Status,
        Intent::DeliveryDelay => Task::Delay,
        Intent::Refund => Task::Refund {
            overdue: u.slots.complaint == Some(TicketCategory::RefundNotReceived),
        },
        Intent::Complaint => Task::Complaint {
            category: u.slots.complaint,
            description: words,
        },
        Intent::ReturnRequest => Task::Return { description: words },
        Intent::Cancel => Task::Cancel,
        Intent::AddressChange => Task::Address { description: words },
        Intent::ProductAvailability => Task::Product,
        Intent::SendSms => Task::Sms,
        _ => return None,
    })
}

/// Whether an order in `status` is one this request is likely about.
fn relevant(task: &Task, status: OrderStatus) -> bool {
    match task {
        Task::Status | Task::Delay | Task::Address { .. } => status.is_in_transit(),
        Task::Cancel => status.is_cancellable(),
        Task::Refund { .. } => matches!(
            status,
            OrderStatus::RefundInitiated
                | OrderStatus::RefundCompleted
                | OrderStatus::Returned
                | OrderStatus::Cancelled
        ),
        Task::Return { .. } | Task::Complaint { .. } => status == OrderStatus::Delivered,
        Task::Product | Task::Sms => true,
    }
}

/// Whether the task raises a ticket on the order (so a guessed order is
/// confirmed before acting).
fn acts_on_order(task: &Task) -> bool {
    matches!(
        task,
        Task::Complaint { .. } | Task::Return { .. } | Task::Address { .. }
    )
}

/// The orders of a phone number a request can be about, best first: those
/// holding the product named (when any do), then those the request is
/// relevant to (when any are), in-transit before the rest, newest first.
fn pick_orders(
    mut orders: Vec<Order>,
    task: &Task,
    product: Option<&ProductRef>,
    now: DateTime<Utc>,
) -> Vec<Order> {
    if let Some(p) = product {
        let holding: Vec<Order> = orders
            .iter()
            .filter(|o| o.items.iter().any(|i| i.product_id == p.product_id))
            .cloned()
            .collect();
        if !holding.is_empty() {
            orders = holding;
        }
    }
    if orders.iter().any(|o| relevant(task, o.status)) {
        orders.retain(|o| relevant(task, o.status));
    }
    let today = now.date_naive();
    orders.sort_by_key(|o| {
        let late = o.status.is_in_transit() && o.expected_delivery.is_some_and(|d| d < today);
        (
            !late,
            !o.status.is_in_transit(),
            std::cmp::Reverse(o.placed_at),
        )
    });
    orders
}

/// Picks one of the offered orders from the answer: "doosra", the number,
/// or the product name.
fn choose<'a>(options: &'a [Order], u: &Understanding) -> Option<&'a Order> {
    if let Some(n) = u.normalized.ordinal() {
        let i = usize::try_from(n).ok()?.checked_sub(1)?;
        return options.get(i);
    }
    if u.normalized.has("last") || u.normalized.has("aakhri") {
        return options.last();
    }
    if let Some(OrderRef::Exact { id } | OrderRef::Nearest { id, .. }) = &u.slots.order {
        if let Some(o) = options.iter().find(|o| &o.id == id) {
            return Some(o);
        }
    }
    if let Some(p) = &u.slots.product {
        return options
            .iter()
            .find(|o| o.items.iter().any(|i| i.product_id == p.product_id));
    }
    if options.len() == 1 && u.intent == Intent::Affirm {
        return options.first();
    }
    None
}
