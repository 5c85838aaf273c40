//! The application layer: one module per use case, between the web handlers and the store.
//!
//! ```text
//! web (routes/: extract, call, render)
//!   └─ app (this module: use cases, each with the context it loads once per request)
//!        └─ store (SQL, on SQLite and PostgreSQL)
//!             └─ domain · survey · interchange (pure rules, formats and maths; no IO)
//! ```
//!
//! A use case takes what the handler parsed and a context (the principal with their scopes,
//! and for a scoresheet the sheet, its campaign, its frozen framework and the user's
//! abilities), asks the domain's rules once, writes through the store and returns a typed
//! outcome or a typed refusal ([`crate::describe::Describe`]). It knows nothing of HTTP:
//! no axum types, no templates, no locale texts. The time comes from the [`Clock`], so tests
//! move it instead of sleeping.

pub mod appraisal;
pub mod campaign;
pub mod clock;
pub mod frameworks;
pub mod home;
pub mod indices;
pub mod jobs;
pub mod login;
pub mod notifications;
pub mod plans;
pub mod public;
pub mod reports;
pub mod results;
pub mod scoresheet;
pub mod self_assessment;
pub mod sheet_context;
pub mod survey;
pub mod units;

pub use clock::Clock;
