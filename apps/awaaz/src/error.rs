//! The one error type of the HTTP edge.
//!
//! Clients get a status code and `{"error": "…"}` with a message meant for
//! them; causes (database errors, agent failures) are logged here and never
//! sent, so internals and stored personal data cannot leak through an error.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::conversation::ConversationError;

/// An HTTP request that could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The request is malformed (bad JSON syntax, bad query parameter).
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the resource's state (message to an ended
    /// conversation).
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but unusable content (empty text, unknown field value).
    #[error("{0}")]
    Unprocessable(String),
    /// A request body the extractor refused, with the status it chose
    /// (413 too large, 415 not JSON, 400/422 bad JSON).
    #[error("{message}")]
    Rejected {
        /// The status to answer with.
        status: StatusCode,
        /// A message about the client's request.
        message: String,
    },
    /// The server cannot take more work right now.
    #[error("{0}")]
    Unavailable(String),
    /// Something failed inside; the cause is logged, not returned.
    #[error("internal server error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Rejected { status, .. } => *status,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            // `{:#}` shows the cause chain; the store and agent errors in it
            // carry operations and entity names, not personal data.
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

impl From<ConversationError> for AppError {
    fn from(e: ConversationError) -> Self {
        match e {
            ConversationError::NotFound => Self::NotFound("conversation"),
            ConversationError::Ended => Self::Conflict("conversation has ended".to_owned()),
            e @ (ConversationError::EmptyText | ConversationError::TextTooLong { .. }) => {
                Self::Unprocessable(e.to_string())
            }
            e @ ConversationError::Full { .. } => Self::Unavailable(e.to_string()),
            e @ ConversationError::Cancelled => Self::Unavailable(e.to_string()),
            e => Self::Internal(e.into()),
        }
    }
}

impl From<awaaz_store::StoreError> for AppError {
    fn from(e: awaaz_store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        // axum's texts name the problem ("missing field `text`", "expected
        // value at line 1 column 1") without echoing the whole body.
        Self::Rejected {
            status: r.status(),
            message: r.body_text(),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        Self::BadRequest(r.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        Self::BadRequest(r.body_text())
    }
}
