//! The store's tests on SQLite and PostgreSQL, in one binary (one link of the crate graph).

mod appraisal_queries;
mod assessments;
mod index_admin;
mod indices;
mod jobs;
mod microdata;
mod notifications;
mod plans;
mod sheet_queries;
mod store;
mod surveys;
