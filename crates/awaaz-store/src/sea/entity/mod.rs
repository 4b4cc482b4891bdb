//! sea-orm entities, one module per table. Crate-private: nothing outside
//! `sea` sees them; rows are turned into [`crate::model`] records on the way out.
//!
//! Columns keep their database types (`i64`, `String`); the conversion to
//! domain enums and unsigned numbers happens in `sea::convert`, so a bad
//! stored value becomes [`crate::StoreError::Corrupt`] instead of a panic.

pub(crate) mod call;
pub(crate) mod call_usage;
pub(crate) mod counter;
pub(crate) mod customer;
pub(crate) mod order;
pub(crate) mod order_item;
pub(crate) mod product;
pub(crate) mod product_variant;
pub(crate) mod sms;
pub(crate) mod ticket;
pub(crate) mod tool_call;
pub(crate) mod transfer;
pub(crate) mod turn;
