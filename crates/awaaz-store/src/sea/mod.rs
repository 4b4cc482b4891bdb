//! The sea-orm implementation of the store traits.
//!
//! ```text
//!  SeaStore::connect(url) ─▶ pool (SQLite: WAL, busy timeout, foreign keys)
//!                         ─▶ Migrator::up
//!                         ─▶ demo shop, if the database has no products
//! ```
//!
//! Concurrency: everything that hands out a number (`turns.seq`, ticket ids)
//! starts its transaction with an `UPDATE … RETURNING` on the row that owns
//! the counter (`calls.turn_count`, `counters.value`). The update takes the
//! write lock on SQLite and a row lock on PostgreSQL before anything is read,
//! so concurrent writers queue instead of colliding, and SQLite never has to
//! upgrade a read transaction (the case its busy timeout cannot retry).

mod convert;
#[allow(unreachable_pub, missing_docs)]
// sea-orm's derives generate `pub` items; the module is crate-private
mod entity;
// sea-orm-migration's trait takes `&SchemaManager` with an elided, late-bound
// lifetime; spelling it `<'_>` makes the impl's lifetimes early-bound and no
// longer match the trait.
#[allow(elided_lifetimes_in_paths)]
mod migration;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
// For `disable_statement_logging`.
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, SqlxSqliteConnector,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use self::convert::{corrupt, to_db_u64, to_u32};
use self::entity::{
    call, call_usage, counter, customer, order, order_item, product, product_variant, sms, ticket,
    tool_call, transfer, turn,
};
use crate::demo::DemoShop;
use crate::{
    Call, CallDetail, CallId, CallStore, CallUsage, CatalogStore, Customer, NewCall, NewSms,
    NewTicket, NewToolCall, NewTransfer, NewTurn, Order, OrderFilter, OrderId, OrderStatus,
    OrderStore, PhoneNumber, Product, Sms, SmsStatus, StoreError, StoreResult, SupportStore,
    Ticket, TicketFilter, TicketId, ToolCall, Transfer, Turn,
};

/// Default page size of listings.
const DEFAULT_LIMIT: u64 = 50;
/// Largest page a listing returns, whatever is asked.
const MAX_LIMIT: u64 = 500;
/// Rows per multi-row `INSERT` when loading the demo shop; keeps every
/// statement far below SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK: usize = 200;
/// SQLite connections in a file database's pool. Readers run in parallel
/// under WAL; writers queue on the busy timeout.
const SQLITE_POOL_SIZE: u32 = 8;
/// How long a SQLite writer waits for the write lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(15);
/// PostgreSQL pool size per process.
const POSTGRES_POOL_SIZE: u32 = 10;

/// The store over SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SeaStore {
    db: DatabaseConnection,
}

impl std::fmt::Debug for SeaStore {
    // Only the backend: the pool's options may hold the database password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeaStore")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// Wraps a driver error with what the store was doing.
fn db_err(operation: &'static str) -> impl FnOnce(DbErr) -> StoreError {
    move |source| StoreError::Database { operation, source }
}

/// The scheme of a database URL, and only that: everything after it may hold
/// a password. `sqlite:` URLs may omit the `//` (`sqlite::memory:`).
fn scheme_of(url: &str) -> &str {
    match url.split_once(':') {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && (rest.starts_with("//") || scheme == "sqlite") =>
        {
            scheme
        }
        _ => "",
    }
}

impl SeaStore {
    /// Opens the database at `url`, applies the migrations and, when the
    /// database holds no products yet, loads the demo shop for today's UTC date.
    ///
    /// Accepted URLs: `sqlite://path/to/file.db?mode=rwc` (the file's directory
    /// is created when missing), `sqlite::memory:`, `postgres://…` /
    /// `postgresql://…` (a schema can be chosen with
    /// `?options=-c%20search_path%3Dmy_schema`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let store = Self::connect_without_demo(url).await?;
        store.load_demo(Utc::now().date_naive()).await?;
        Ok(store)
    }

    /// Like [`SeaStore::connect`] but never loads the demo shop: for tests and
    /// deployments that bring their own catalogue.
    pub async fn connect_without_demo(url: &str) -> StoreResult<Self> {
        let db = match scheme_of(url) {
            "sqlite" => open_sqlite(url).await?,
            "postgres" | "postgresql" => open_postgres(url).await?,
            other => {
                return Err(StoreError::InvalidUrl {
                    url_scheme: other.to_owned(),
                    reason: "expected a sqlite: or postgres:// url".to_owned(),
                })
            }
        };
        migration::Migrator::up(&db, None)
            .await
            .map_err(db_err("migrate"))?;
        tracing::debug!(backend = ?db.get_database_backend(), "store connected and migrated");
        Ok(Self { db })
    }

    /// Loads [`crate::demo::shop`] for `today` if the database has no
    /// products, in one transaction (a crash mid-load leaves no half shop).
    /// Returns whether it loaded anything. Safe to call concurrently from
    /// several processes: only one loads.
    pub async fn load_demo(&self, today: NaiveDate) -> StoreResult<bool> {
        const OP: &str = "load demo shop";
        let txn = self.db.begin().await.map_err(db_err(OP))?;
        // Take the write lock before looking, so two loaders cannot both see
        // an empty shop.
        bump_counter(&txn, "demo_load").await.map_err(db_err(OP))?;
        let products = product::Entity::find()
            .count(&txn)
            .await
            .map_err(db_err(OP))?;
        if products > 0 {
            txn.rollback().await.map_err(db_err(OP))?;
            return Ok(false);
        }
        let shop = crate::demo::shop(today);
        insert_shop(&txn, &shop).await.map_err(db_err(OP))?;
        txn.commit().await.map_err(db_err(OP))?;
        tracing::info!(
            products = shop.products.len(),
            customers = shop.customers.len(),
            orders = shop.orders.len(),
            "demo shop loaded"
        );
        Ok(true)
    }

    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn call_exists<C: ConnectionTrait>(conn: &C, id: &CallId) -> StoreResult<bool> {
        let n = call::Entity::find_by_id(id.0.clone())
            .count(conn)
            .await
            .map_err(db_err("find call"))?;
        Ok(n > 0)
    }

    async fn require_call(&self, id: &CallId) -> StoreResult<()> {
        if Self::call_exists(&self.db, id).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound { entity: "call" })
        }
    }

    /// Reads orders (with their customers) and attaches their lines.
    async fn hydrate_orders(
        &self,
        rows: Vec<(order::Model, Option<customer::Model>)>,
    ) -> StoreResult<Vec<Order>> {
        let ids: Vec<i64> = rows.iter().map(|(o, _)| o.id).collect();
        let mut items: HashMap<i64, Vec<order_item::Model>> = HashMap::new();
        if !ids.is_empty() {
            let lines = order_item::Entity::find()
                .filter(order_item::Column::OrderId.is_in(ids))
                .order_by_asc(order_item::Column::Id)
                .all(&self.db)
                .await
                .map_err(db_err("read order items"))?;
            for line in lines {
                items.entry(line.order_id).or_default().push(line);
            }
        }
        rows.into_iter()
            .map(|(o, c)| {
                let c = c.ok_or_else(|| corrupt("order", "customer_id"))?;
                let lines = items.remove(&o.id).unwrap_or_default();
                convert::order(o, c, lines)
            })
            .collect()
    }
}

async fn open_sqlite(url: &str) -> StoreResult<DatabaseConnection> {
    let invalid = |reason: String| StoreError::InvalidUrl {
        url_scheme: "sqlite".to_owned(),
        reason,
    };
    let options = SqliteConnectOptions::from_str(url).map_err(|e| invalid(e.to_string()))?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if !in_memory {
        let parent = options
            .get_filename()
            .parent()
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent {
            std::fs::create_dir_all(dir).map_err(|e| {
                invalid(format!(
                    "cannot create directory {}: {e}",
                    Path::new(dir).display()
                ))
            })?;
        }
    }
    let options = options
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .disable_statement_logging();
    let pool = if in_memory {
        // An in-memory database lives only as long as its connection: keep
        // exactly one, forever.
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
    } else {
        // WAL lets readers run beside the single writer; NORMAL sync is
        // durable across application crashes, which is what WAL needs.
        SqlitePoolOptions::new()
            .max_connections(SQLITE_POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                options
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal),
            )
            .await
    };
    let pool = pool.map_err(|e| StoreError::Database {
        operation: "connect",
        source: DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)),
    })?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

async fn open_postgres(url: &str) -> StoreResult<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(POSTGRES_POOL_SIZE)
        .acquire_timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        // Statement logs would carry personal data in bound values.
        .sqlx_logging(false);
    Database::connect(options).await.map_err(db_err("connect"))
}

/// `UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value`.
async fn bump_counter<C: ConnectionTrait>(conn: &C, name: &str) -> Result<i64, DbErr> {
    let stmt = Query::update()
        .table(counter::Entity)
        .value(
            counter::Column::Value,
            Expr::col(counter::Column::Value).add(1),
        )
        .and_where(counter::Column::Name.eq(name))
        .returning(Query::returning().column(counter::Column::Value))
        .to_owned();
    let row = conn
        .query_one(conn.get_database_backend().build(&stmt))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("counter {name}")))?;
    row.try_get("", "value")
}

async fn insert_shop<C: ConnectionTrait>(conn: &C, shop: &DemoShop) -> Result<(), DbErr> {
    let customers: Vec<customer::ActiveModel> =
        shop.customers.iter().map(convert::customer_row).collect();
    for chunk in customers.chunks(INSERT_CHUNK) {
        customer::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    let mut products = Vec::new();
    let mut variants = Vec::new();
    for p in &shop.products {
        products.push(convert::product_row(p)?);
        variants.extend(p.variants.iter().map(|v| convert::variant_row(p.id, v)));
    }
    for chunk in products.chunks(INSERT_CHUNK) {
        product::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    for chunk in variants.chunks(INSERT_CHUNK) {
        product_variant::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    let mut orders = Vec::new();
    let mut items = Vec::new();
    for (index, o) in shop.orders.iter().enumerate() {
        let id = i64::try_from(index).unwrap_or(i64::MAX - 1) + 1;
        orders.push(convert::order_row(id, o));
        items.extend(o.items.iter().map(|i| convert::item_row(id, i)));
    }
    for chunk in orders.chunks(INSERT_CHUNK) {
        order::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    for chunk in items.chunks(INSERT_CHUNK) {
        order_item::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        // Explicit ids do not advance PostgreSQL sequences; move them past
        // the loaded rows so later inserts cannot collide.
        for table in ["customers", "products", "product_variants", "orders"] {
            conn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .await?;
        }
    }
    Ok(())
}

fn page(limit: Option<u64>, offset: Option<u64>) -> (u64, u64) {
    (
        limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
        offset.unwrap_or(0),
    )
}

#[async_trait]
impl CatalogStore for SeaStore {
    async fn products(&self) -> StoreResult<Vec<Product>> {
        let rows = product::Entity::find()
            .order_by_asc(product::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err("list products"))?;
        let variants = product_variant::Entity::find()
            .order_by_asc(product_variant::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err("list products"))?;
        let mut by_product: HashMap<i64, Vec<product_variant::Model>> = HashMap::new();
        for v in variants {
            by_product.entry(v.product_id).or_default().push(v);
        }
        rows.into_iter()
            .map(|p| {
                let vs = by_product.remove(&p.id).unwrap_or_default();
                convert::product(p, vs)
            })
            .collect()
    }

    async fn product(&self, id: i64) -> StoreResult<Option<Product>> {
        let Some(p) = product::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_err("find product"))?
        else {
            return Ok(None);
        };
        let variants = product_variant::Entity::find()
            .filter(product_variant::Column::ProductId.eq(id))
            .order_by_asc(product_variant::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err("find product"))?;
        convert::product(p, variants).map(Some)
    }
}

#[async_trait]
impl OrderStore for SeaStore {
    async fn order(&self, id: &OrderId) -> StoreResult<Option<Order>> {
        let row = order::Entity::find()
            .filter(order::Column::Code.eq(id.as_str()))
            .find_also_related(customer::Entity)
            .one(&self.db)
            .await
            .map_err(db_err("find order"))?;
        match row {
            Some(row) => Ok(self.hydrate_orders(vec![row]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn orders(&self, filter: &OrderFilter) -> StoreResult<Vec<Order>> {
        let (limit, offset) = page(filter.limit, filter.offset);
        let mut query = order::Entity::find().find_also_related(customer::Entity);
        if let Some(status) = filter.status {
            query = query.filter(order::Column::Status.eq(status.as_str()));
        }
        if let Some(phone) = &filter.customer_phone {
            query = query.filter(customer::Column::Phone.eq(phone.as_str()));
        }
        let rows = query
            .order_by_desc(order::Column::PlacedAt)
            .order_by_desc(order::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.db)
            .await
            .map_err(db_err("list orders"))?;
        self.hydrate_orders(rows).await
    }

    async fn order_ids(&self) -> StoreResult<Vec<OrderId>> {
        let codes: Vec<String> = order::Entity::find()
            .select_only()
            .column(order::Column::Code)
            .order_by_asc(order::Column::Code)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err("list order ids"))?;
        Ok(codes.into_iter().map(OrderId).collect())
    }

    async fn customer_by_phone(&self, phone: &PhoneNumber) -> StoreResult<Option<Customer>> {
        let row = customer::Entity::find()
            .filter(customer::Column::Phone.eq(phone.as_str()))
            .one(&self.db)
            .await
            .map_err(db_err("find customer"))?;
        Ok(row.map(convert::customer))
    }

    async fn set_order_status(&self, id: &OrderId, status: OrderStatus) -> StoreResult<()> {
        let result = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(status.as_str()))
            .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(order::Column::Code.eq(id.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err("set order status"))?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound { entity: "order" });
        }
        Ok(())
    }
}

#[async_trait]
impl CallStore for SeaStore {
    async fn create_call(&self, new: NewCall) -> StoreResult<Call> {
        let row = call::ActiveModel {
            id: Set(new.id.0.clone()),
            channel: Set(new.channel.as_str().to_owned()),
            caller: Set(new.caller.as_ref().map(|p| p.as_str().to_owned())),
            carrier_call_id: Set(new.carrier_call_id.clone()),
            status: Set("active".to_owned()),
            started_at: Set(new.started_at),
            ended_at: Set(None),
            turn_count: Set(0),
        };
        call::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| {
                if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
                    StoreError::Conflict { entity: "call" }
                } else {
                    StoreError::Database {
                        operation: "create call",
                        source: e,
                    }
                }
            })?;
        Ok(Call {
            id: new.id,
            channel: new.channel,
            caller: new.caller,
            carrier_call_id: new.carrier_call_id,
            status: "active".to_owned(),
            started_at: new.started_at,
            ended_at: None,
            turn_count: 0,
        })
    }

    async fn end_call(
        &self,
        id: &CallId,
        status: &str,
        ended_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let result = call::Entity::update_many()
            .col_expr(call::Column::Status, Expr::value(status))
            .col_expr(call::Column::EndedAt, Expr::value(ended_at))
            .filter(call::Column::Id.eq(id.0.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err("end call"))?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound { entity: "call" });
        }
        Ok(())
    }

    async fn set_call_status(&self, id: &CallId, status: &str) -> StoreResult<()> {
        let result = call::Entity::update_many()
            .col_expr(call::Column::Status, Expr::value(status))
            .filter(call::Column::Id.eq(id.0.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err("set call status"))?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound { entity: "call" });
        }
        Ok(())
    }

    async fn call_by_carrier_id(&self, carrier_call_id: &str) -> StoreResult<Option<Call>> {
        call::Entity::find()
            .filter(call::Column::CarrierCallId.eq(carrier_call_id))
            .order_by_desc(call::Column::StartedAt)
            .one(&self.db)
            .await
            .map_err(db_err("find call"))?
            .map(convert::call)
            .transpose()
    }

    async fn append_turn(&self, new: NewTurn) -> StoreResult<Turn> {
        const OP: &str = "append turn";
        let txn = self.db.begin().await.map_err(db_err(OP))?;
        // Bumping the call's turn count first both locks the call (so
        // concurrent appends queue) and tells us this turn's position.
        let stmt = Query::update()
            .table(call::Entity)
            .value(
                call::Column::TurnCount,
                Expr::col(call::Column::TurnCount).add(1),
            )
            .and_where(call::Column::Id.eq(new.call_id.0.as_str()))
            .returning(Query::returning().column(call::Column::TurnCount))
            .to_owned();
        let Some(row) = txn
            .query_one(self.backend().build(&stmt))
            .await
            .map_err(db_err(OP))?
        else {
            // Dropping the transaction rolls it back.
            return Err(StoreError::NotFound { entity: "call" });
        };
        let count: i64 = row.try_get("", "turn_count").map_err(db_err(OP))?;
        let seq = count - 1;
        let l = new.latency;
        let active = turn::ActiveModel {
            id: NotSet,
            call_id: Set(new.call_id.0.clone()),
            seq: Set(seq),
            speaker: Set(new.speaker.as_str().to_owned()),
            text: Set(new.text.clone()),
            language: Set(new.language.clone()),
            started_at: Set(new.started_at),
            ended_at: Set(new.ended_at),
            speech_end_ms: Set(l.speech_end_ms.map(to_db_u64)),
            transcript_ready_ms: Set(l.transcript_ready_ms.map(to_db_u64)),
            reply_ready_ms: Set(l.reply_ready_ms.map(to_db_u64)),
            first_audio_ms: Set(l.first_audio_ms.map(to_db_u64)),
            voice_to_voice_ms: Set(l.voice_to_voice_ms.map(to_db_u64)),
            agent_us: Set(l.agent_us.map(to_db_u64)),
            interrupted: Set(new.interrupted),
        };
        let id = turn::Entity::insert(active)
            .exec(&txn)
            .await
            .map_err(db_err(OP))?
            .last_insert_id;
        txn.commit().await.map_err(db_err(OP))?;
        Ok(Turn {
            id,
            seq: to_u32(seq, "turn", "seq")?,
            speaker: new.speaker,
            text: new.text,
            language: new.language,
            started_at: new.started_at,
            ended_at: new.ended_at,
            latency: new.latency,
            interrupted: new.interrupted,
        })
    }

    async fn record_tool_call(&self, new: NewToolCall) -> StoreResult<ToolCall> {
        const OP: &str = "record tool call";
        self.require_call(&new.call_id).await?;
        if let Some(turn_id) = new.turn_id {
            let found = turn::Entity::find()
                .filter(turn::Column::Id.eq(turn_id))
                .filter(turn::Column::CallId.eq(new.call_id.0.as_str()))
                .count(&self.db)
                .await
                .map_err(db_err(OP))?;
            if found == 0 {
                return Err(StoreError::NotFound { entity: "turn" });
            }
        }
        let active = tool_call::ActiveModel {
            id: NotSet,
            call_id: Set(new.call_id.0.clone()),
            turn_id: Set(new.turn_id),
            name: Set(new.name.clone()),
            arguments: Set(new.arguments.to_string()),
            result: Set(new.result.to_string()),
            ok: Set(new.ok),
            duration_us: Set(to_db_u64(new.duration_us)),
            created_at: Set(new.created_at),
        };
        let id = tool_call::Entity::insert(active)
            .exec(&self.db)
            .await
            .map_err(db_err(OP))?
            .last_insert_id;
        Ok(ToolCall {
            id,
            turn_id: new.turn_id,
            name: new.name,
            arguments: new.arguments,
            result: new.result,
            ok: new.ok,
            duration_us: new.duration_us,
            created_at: new.created_at,
        })
    }

    async fn calls(&self, limit: u64, offset: u64) -> StoreResult<Vec<Call>> {
        call::Entity::find()
            .order_by_desc(call::Column::StartedAt)
            .order_by_desc(call::Column::Id)
            .limit(limit.min(MAX_LIMIT))
            .offset(offset)
            .all(&self.db)
            .await
            .map_err(db_err("list calls"))?
            .into_iter()
            .map(convert::call)
            .collect()
    }

    async fn call(&self, id: &CallId) -> StoreResult<Option<CallDetail>> {
        const OP: &str = "read call";
        let Some(row) = call::Entity::find_by_id(id.0.clone())
            .one(&self.db)
            .await
            .map_err(db_err(OP))?
        else {
            return Ok(None);
        };
        let turns = turn::Entity::find()
            .filter(turn::Column::CallId.eq(id.0.as_str()))
            .order_by_asc(turn::Column::Seq)
            .all(&self.db)
            .await
            .map_err(db_err(OP))?;
        let tools = tool_call::Entity::find()
            .filter(tool_call::Column::CallId.eq(id.0.as_str()))
            .order_by_asc(tool_call::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err(OP))?;
        let usage = call_usage::Entity::find_by_id(id.0.clone())
            .one(&self.db)
            .await
            .map_err(db_err(OP))?
            .map(|u| convert::call_usage(&u))
            .transpose()?;
        Ok(Some(CallDetail {
            call: convert::call(row)?,
            turns: turns
                .into_iter()
                .map(convert::turn)
                .collect::<StoreResult<_>>()?,
            tool_calls: tools
                .into_iter()
                .map(convert::tool_call)
                .collect::<StoreResult<_>>()?,
            usage,
        }))
    }

    async fn record_call_usage(&self, id: &CallId, usage: &CallUsage) -> StoreResult<()> {
        const OP: &str = "record call usage";
        self.require_call(id).await?;
        let row = call_usage::ActiveModel {
            call_id: Set(id.0.clone()),
            input_tokens: Set(to_db_u64(usage.input_tokens)),
            output_tokens: Set(to_db_u64(usage.output_tokens)),
            audio_in_tokens: Set(to_db_u64(usage.audio_in_tokens)),
            audio_out_tokens: Set(to_db_u64(usage.audio_out_tokens)),
            cached_tokens: Set(to_db_u64(usage.cached_tokens)),
            cost_usd: Set(usage.cost_usd),
            cost_inr: Set(usage.cost_inr),
            model_errors: Set(to_db_u64(usage.model_errors)),
            updated_at: Set(Utc::now()),
        };
        // One row per call: a later total replaces the earlier one.
        call_usage::Entity::insert(row)
            .on_conflict(
                OnConflict::column(call_usage::Column::CallId)
                    .update_columns([
                        call_usage::Column::InputTokens,
                        call_usage::Column::OutputTokens,
                        call_usage::Column::AudioInTokens,
                        call_usage::Column::AudioOutTokens,
                        call_usage::Column::CachedTokens,
                        call_usage::Column::CostUsd,
                        call_usage::Column::CostInr,
                        call_usage::Column::ModelErrors,
                        call_usage::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err(OP))?;
        Ok(())
    }
}

#[async_trait]
impl SupportStore for SeaStore {
    async fn create_ticket(&self, new: NewTicket) -> StoreResult<Ticket> {
        const OP: &str = "create ticket";
        // Check references before the transaction so the transaction's first
        // statement is its write (see the module docs).
        if let Some(order_id) = &new.order_id {
            let n = order::Entity::find()
                .filter(order::Column::Code.eq(order_id.as_str()))
                .count(&self.db)
                .await
                .map_err(db_err(OP))?;
            if n == 0 {
                return Err(StoreError::NotFound { entity: "order" });
            }
        }
        if let Some(call_id) = &new.call_id {
            self.require_call(call_id).await?;
        }
        if let Some(customer_id) = new.customer_id {
            let n = customer::Entity::find_by_id(customer_id)
                .count(&self.db)
                .await
                .map_err(db_err(OP))?;
            if n == 0 {
                return Err(StoreError::NotFound { entity: "customer" });
            }
        }
        let txn = self.db.begin().await.map_err(db_err(OP))?;
        let number = bump_counter(&txn, "ticket").await.map_err(db_err(OP))?;
        let code = format!("TKT-{number}");
        let active = ticket::ActiveModel {
            id: NotSet,
            code: Set(code.clone()),
            order_id: Set(new.order_id.as_ref().map(|o| o.0.clone())),
            call_id: Set(new.call_id.as_ref().map(|c| c.0.clone())),
            customer_id: Set(new.customer_id),
            category: Set(new.category.as_str().to_owned()),
            priority: Set(new.priority.as_str().to_owned()),
            status: Set("open".to_owned()),
            description: Set(new.description.clone()),
            created_at: Set(new.created_at),
        };
        ticket::Entity::insert(active)
            .exec_without_returning(&txn)
            .await
            .map_err(db_err(OP))?;
        txn.commit().await.map_err(db_err(OP))?;
        Ok(Ticket {
            id: TicketId(code),
            order_id: new.order_id,
            call_id: new.call_id,
            customer_id: new.customer_id,
            category: new.category,
            priority: new.priority,
            status: "open".to_owned(),
            description: new.description,
            created_at: new.created_at,
        })
    }

    async fn tickets(&self, filter: &TicketFilter) -> StoreResult<Vec<Ticket>> {
        let (limit, offset) = page(filter.limit, filter.offset);
        let mut query = ticket::Entity::find();
        if let Some(order_id) = &filter.order_id {
            query = query.filter(ticket::Column::OrderId.eq(order_id.as_str()));
        }
        if let Some(call_id) = &filter.call_id {
            query = query.filter(ticket::Column::CallId.eq(call_id.0.as_str()));
        }
        if let Some(status) = &filter.status {
            query = query.filter(ticket::Column::Status.eq(status.as_str()));
        }
        query
            .order_by_desc(ticket::Column::CreatedAt)
            .order_by_desc(ticket::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.db)
            .await
            .map_err(db_err("list tickets"))?
            .into_iter()
            .map(convert::ticket)
            .collect()
    }

    async fn ticket(&self, id: &TicketId) -> StoreResult<Option<Ticket>> {
        ticket::Entity::find()
            .filter(ticket::Column::Code.eq(id.0.as_str()))
            .one(&self.db)
            .await
            .map_err(db_err("find ticket"))?
            .map(convert::ticket)
            .transpose()
    }

    async fn create_transfer(&self, new: NewTransfer) -> StoreResult<Transfer> {
        self.require_call(&new.call_id).await?;
        let active = transfer::ActiveModel {
            id: NotSet,
            call_id: Set(new.call_id.0.clone()),
            reason: Set(new.reason.clone()),
            target: Set(new.target.clone()),
            status: Set("requested".to_owned()),
            created_at: Set(new.created_at),
        };
        let id = transfer::Entity::insert(active)
            .exec(&self.db)
            .await
            .map_err(db_err("create transfer"))?
            .last_insert_id;
        Ok(Transfer {
            id,
            call_id: new.call_id,
            reason: new.reason,
            target: new.target,
            status: "requested".to_owned(),
            created_at: new.created_at,
        })
    }

    async fn transfers(&self, call_id: &CallId) -> StoreResult<Vec<Transfer>> {
        Ok(transfer::Entity::find()
            .filter(transfer::Column::CallId.eq(call_id.0.as_str()))
            .order_by_asc(transfer::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err("list transfers"))?
            .into_iter()
            .map(convert::transfer)
            .collect())
    }

    async fn set_transfer_status(&self, id: i64, status: &str) -> StoreResult<()> {
        let result = transfer::Entity::update_many()
            .col_expr(transfer::Column::Status, Expr::value(status))
            .filter(transfer::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err("set transfer status"))?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound { entity: "transfer" });
        }
        Ok(())
    }

    async fn queue_sms(&self, new: NewSms) -> StoreResult<Sms> {
        if let Some(call_id) = &new.call_id {
            self.require_call(call_id).await?;
        }
        let active = sms::ActiveModel {
            id: NotSet,
            call_id: Set(new.call_id.as_ref().map(|c| c.0.clone())),
            to_number: Set(new.to.as_str().to_owned()),
            body: Set(new.body.clone()),
            status: Set(SmsStatus::Queued.as_str().to_owned()),
            attempts: Set(0),
            last_error: Set(None),
            provider_id: Set(None),
            created_at: Set(new.created_at),
            updated_at: Set(new.created_at),
        };
        let id = sms::Entity::insert(active)
            .exec(&self.db)
            .await
            .map_err(db_err("queue sms"))?
            .last_insert_id;
        Ok(Sms {
            id,
            call_id: new.call_id,
            to: new.to,
            body: new.body,
            status: SmsStatus::Queued,
            attempts: 0,
            last_error: None,
            provider_id: None,
            created_at: new.created_at,
        })
    }

    async fn sms_by_status(&self, status: SmsStatus, limit: u64) -> StoreResult<Vec<Sms>> {
        sms::Entity::find()
            .filter(sms::Column::Status.eq(status.as_str()))
            .order_by_asc(sms::Column::CreatedAt)
            .order_by_asc(sms::Column::Id)
            .limit(limit.min(MAX_LIMIT))
            .all(&self.db)
            .await
            .map_err(db_err("list sms"))?
            .into_iter()
            .map(convert::sms)
            .collect()
    }

    /// Counts the attempt; `provider_id` and `error` replace the stored
    /// values only when given, so a later success keeps the last failure's
    /// reason for the record.
    async fn update_sms(
        &self,
        id: i64,
        status: SmsStatus,
        provider_id: Option<String>,
        error: Option<String>,
    ) -> StoreResult<()> {
        let mut update = sms::Entity::update_many()
            .col_expr(sms::Column::Status, Expr::value(status.as_str()))
            .col_expr(
                sms::Column::Attempts,
                Expr::col(sms::Column::Attempts).add(1),
            )
            .col_expr(sms::Column::UpdatedAt, Expr::value(Utc::now()));
        if let Some(provider_id) = provider_id {
            update = update.col_expr(sms::Column::ProviderId, Expr::value(provider_id));
        }
        if let Some(error) = error {
            update = update.col_expr(sms::Column::LastError, Expr::value(error));
        }
        let result = update
            .filter(sms::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err("update sms"))?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound { entity: "sms" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_is_extracted_without_the_rest() {
        assert_eq!(scheme_of("postgres://u:secret@h/db"), "postgres");
        assert_eq!(scheme_of("sqlite::memory:"), "sqlite");
        assert_eq!(scheme_of("sqlite://data/a.db?mode=rwc"), "sqlite");
        assert_eq!(scheme_of("mysql://root:pw@localhost/x"), "mysql");
        // No scheme: nothing of the text is echoed back.
        assert_eq!(scheme_of("user:secret@host"), "");
        assert_eq!(scheme_of(""), "");
    }
}
