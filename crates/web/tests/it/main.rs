//! The web crate's HTTP and browser-free integration tests, in one binary (one link of the
//! crate graph instead of one per file). The statement-counting tests stay in their own
//! binary: they install a process-wide subscriber and need the database to themselves.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod appraisal;
mod assessment;
mod attacks;
mod audit_log;
mod authorization;
mod error_pages;
mod frameworks_campaigns;
mod home;
mod hostile_files;
mod hostile_suite;
mod indices_import;
mod indices_pages;
mod input_hygiene;
mod login_security;
mod notifications;
mod operations;
mod plans;
mod refusals;
mod reports;
mod results_pages;
mod returns;
mod scale_out;
mod storage_faults;
mod survey_form;
mod survey_microdata;
mod surveys;
mod templates;
mod units_users;
mod vietnamese_pages;
mod workbooks;
