//! Black-box tests of closer's HTTP API and CLI. Each API case runs on SQLite and on
//! PostgreSQL (skipped loudly when PostgreSQL is unreachable, except under `CI=true`).

mod helpers;

mod auth;
mod browser;
mod browser_app;
mod capture;
mod cli;
mod companies;
mod contacts;
mod contacts_list;
mod contract;
mod corrections;
mod errors;
mod export;
mod forms;
mod import;
mod import_jobs;
mod import_records;
mod mail;
mod merge;
mod meta;
mod notifications;
mod person_export;
mod pipeline;
mod properties;
mod qualification;
mod reminders;
mod reports;
mod roles;
mod scale_out;
mod search;
mod stitching;
mod tags;
mod tracking;
mod tracking_input;
mod web_app;
