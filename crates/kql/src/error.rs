//! Parse errors with a position, the offending line with a caret under it, and what was expected.

use std::fmt;

/// A KQL syntax error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// What went wrong, in peggy's words: `Expected ":", "<", ... but "x" found.`
    pub message: String,
    /// Character offset in the query (0-based).
    pub offset: usize,
    /// Byte offset in the query (0-based), for spans.
    pub byte_offset: usize,
    /// 1-based line and column (in characters) of the offset.
    pub line: usize,
    pub column: usize,
    /// The line of the query the error is on.
    pub source_line: String,
    /// Sorted, de-duplicated descriptions of what would have been accepted.
    pub expected: Vec<String>,
}

impl ParseError {
    pub(crate) fn syntax(input: &str, offset: usize, expected: Vec<String>, found: Option<char>) -> Self {
        let found = match found {
            None => "end of input".to_string(),
            Some(c) => format!("{:?}", c.to_string()),
        };
        let message = format!("Expected {} but {} found.", describe(&expected), found);
        Self::at(input, offset, message, expected)
    }

    pub(crate) fn too_deep(input: &str, offset: usize, max: usize) -> Self {
        Self::at(input, offset, format!("Query nested deeper than {max} levels."), Vec::new())
    }

    fn at(input: &str, offset: usize, message: String, expected: Vec<String>) -> Self {
        let byte_offset = input.char_indices().nth(offset).map_or(input.len(), |(b, _)| b);
        let before = &input[..byte_offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = input[line_start..byte_offset].chars().count() + 1;
        let source_line = input[line_start..].split('\n').next().unwrap_or("").to_string();
        ParseError { message, offset, byte_offset, line, column, source_line, expected }
    }

    /// The offending line with a caret under the error position.
    pub fn caret(&self) -> String {
        let pad: String = self
            .source_line
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("{}\n{}^", self.source_line, pad)
    }
}

/// peggy's `describeExpected`: `a`, `a or b`, `a, b, or c`.
fn describe(expected: &[String]) -> String {
    match expected {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        [init @ .., last] => format!("{}, or {}", init.join(", "), last),
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}\n{}", self.line, self.column, self.message, self.caret())
    }
}
