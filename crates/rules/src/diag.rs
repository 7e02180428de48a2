//! Diagnostics: stable codes, one line each, a suggested fix; text and JSON output.

use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub level: Level,
    pub path: PathBuf,
    pub line: Option<usize>,
    pub rule: String,
    pub key: Option<String>,
    pub message: String,
    pub fix: Option<String>,
}

impl Diagnostic {
    /// `path:line: CODE error: message [rule "name"] (fix: ...)`
    pub fn to_line(&self) -> String {
        let loc = match self.line {
            Some(l) => format!("{}:{l}", self.path.display()),
            None => self.path.display().to_string(),
        };
        let fix = self.fix.as_ref().map(|f| format!("\n    fix: {f}")).unwrap_or_default();
        format!(
            "{loc}: {} {}: {} [rule \"{}\"]{fix}",
            self.code,
            self.level.as_str(),
            self.message,
            self.rule
        )
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "code": self.code,
            "level": self.level.as_str(),
            "path": self.path.display().to_string(),
            "line": self.line,
            "rule": self.rule,
            "key": self.key,
            "message": self.message,
            "fix": self.fix,
        })
    }
}
