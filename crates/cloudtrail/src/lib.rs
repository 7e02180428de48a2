//! CloudTrail in, ECS out.
//!
//! - [`reader`]: stream records out of S3 delivery files (`{"Records": [...]}`, gzip or not),
//!   NDJSON, CloudWatch Logs subscription payloads and concatenated JSON, without holding a file;
//! - [`normalize`]: turn a record into the document Elastic's `aws.cloudtrail` integration
//!   indexes;
//! - [`source`]: files, directories and globs to events, with per-record errors and counts;
//! - [`java`]: Java's `Map.toString()` with `HashMap` key order;
//! - [`generate`]: realistic synthetic CloudTrail, deterministic for a seed.

mod categorization;
mod categorization_table;
pub mod generate;
pub mod geoip;
pub mod java;
pub mod normalize;
pub mod reader;
pub mod skim;
pub mod source;

pub use normalize::{normalize, Normalized, Options, Retain};
pub use source::{expand_inputs, read_file, read_stream, Event, Kind, RecordError, Stats};
