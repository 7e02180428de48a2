//! Detection rules: one model for every format Elastic ships rules in, schema validation, and
//! a linter that knows the AWS API.
//!
//! - [`load`]: detection-rules TOML (files, folders, a detection-rules checkout), Kibana NDJSON
//!   exports, prebuilt package assets, and the published rule pages;
//! - [`validate`]: required keys, enums, durations, date math, ranges, query syntax;
//! - [`lint`]: unknown fields, impossible providers and actions (against [`catalog`]), wildcards
//!   that cannot match, index patterns that cannot see CloudTrail;
//! - [`show`], [`coverage`]: the rule page, and an ATT&CK Navigator layer.

pub mod catalog;
pub mod coverage;
pub mod diag;
pub mod lint;
pub mod load;
pub mod model;
pub mod show;
pub mod validate;

pub use diag::{Diagnostic, Level};
pub use load::{load_paths, LoadError, Loaded};
pub use model::{Format, Rule, RuleTest, RuleType, Severity, SourceRef};
