//! Linli's pure business rules. Nothing here does I/O: no database, no HTTP, no clock reads
//! except through the [`time::Clock`] trait that callers inject.

pub mod account;
pub mod address;
pub mod area;
pub mod booking;
pub mod complaint;
pub mod district;
pub mod error;
pub mod guarantee;
pub mod ids;
pub mod ledger;
pub mod listing;
pub mod moderation;
pub mod money;
pub mod permission;
pub mod phone;
pub mod provider;
pub mod review;
pub mod schedule;
pub mod sms;
pub mod time;
pub mod visit;

pub use error::DomainError;
