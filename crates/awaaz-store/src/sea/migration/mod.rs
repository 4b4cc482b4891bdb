//! Schema migrations, applied in order by [`Migrator`] on every connect.
//!
//! Migrations are append-only: once one has shipped it is never edited; a
//! change to the schema is a new module. They name tables and columns with
//! their own identifiers rather than the entities', so later entity changes
//! can never rewrite history.

use sea_orm_migration::prelude::*;

mod m20250601_000001_shop;
mod m20250601_000002_calls;
mod m20250601_000003_support;
mod m20250601_000004_call_usage;

/// Applies the store's schema.
pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_shop::Migration),
            Box::new(m20250601_000002_calls::Migration),
            Box::new(m20250601_000003_support::Migration),
            Box::new(m20250601_000004_call_usage::Migration),
        ]
    }
}

/// `bigint` primary key assigned by the database (`integer` on SQLite, where
/// only that spelling is an alias of the rowid).
fn id_column<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// A named index on one table's columns.
fn index<T: IntoIden + Clone + 'static>(
    name: &str,
    table: T,
    columns: &[T],
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for column in columns {
        stmt.col(column.clone());
    }
    stmt.to_owned()
}
