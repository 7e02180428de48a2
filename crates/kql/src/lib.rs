//! The Kibana Query Language (KQL, "kuery"): a parser faithful to Kibana's `grammar.peggy`, the
//! tree it builds, and a printer whose output parses back to the same tree.
//!
//! ```
//! let q = kql::parse(r#"event.action:(GetObject or "PutObject") and not user.name:root*"#).unwrap();
//! assert_eq!(kql::print(&q), r#"event.action:(GetObject or "PutObject") and not user.name:root*"#);
//! ```
//!
//! Matching a tree against documents is the `ecs` crate's job; this crate knows nothing of events.

mod ast;
mod error;
mod parser;
mod printer;

pub use ast::{Node, Pattern, PatternPart, RangeOp, Value};
pub use error::ParseError;
pub use parser::{match_all, parse, MAX_DEPTH};
pub use printer::print;
