//! The sea-orm implementation of the store traits.

/// The store over SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SeaStore {
    db: sea_orm::DatabaseConnection,
}
