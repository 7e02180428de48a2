//! ECS documents and Elasticsearch's matching semantics.
//!
//! - [`doc`]: a zero-copy, flattened view over `serde_json::Value` (dotted keys and nested
//!   objects are the same field; arrays hold several values);
//! - [`types`]: the field-type table generated from ECS and the AWS integration
//!   (`tools/gen_field_types.py`);
//! - [`matcher`]: KQL compiled against that table, with per-type comparisons;
//! - [`time`], [`ip`]: dates with date math, addresses with CIDR.

pub mod doc;
mod fields_table;
pub mod ip;
pub mod matcher;
pub mod time;
pub mod types;

pub use matcher::{Matcher, Options};
pub use types::{lookup, resolve, FieldDef, FieldType, Resolved};

/// Parse and compile a KQL query in one step.
pub fn compile(query: &str) -> Result<Matcher, kql::ParseError> {
    Ok(Matcher::new(&kql::parse(query)?))
}
