//! From files to events: find the inputs, detect each file's format from its content, stream
//! its records, and turn each into an ECS document (normalizing raw CloudTrail, passing ECS
//! documents through). Every problem is one [`RecordError`] with file and position.

use crate::normalize::{normalize, Options};
use crate::reader::{maybe_gzip, Container, Origin, Scanner};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a record was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A raw CloudTrail record, normalized.
    CloudTrail,
    /// An ECS document (possibly wrapped in `_source`), passed through.
    Ecs,
}

/// One event, ready for matching.
#[derive(Debug, Clone)]
pub struct Event {
    pub doc: Value,
    pub kind: Kind,
    /// For an ECS document read as it is (not wrapped in `_source`), its text as read.
    pub text: Option<String>,
    pub file: Arc<str>,
    pub origin: Origin,
}

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub file: Arc<str>,
    /// `None` when the problem concerns the whole file (cannot open, not readable).
    pub origin: Option<Origin>,
    pub message: String,
    /// The record was still indexed (Elastic's `pipeline_error` documents).
    pub kept: bool,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.origin {
            Some(o) => write!(f, "{}: {}: {}", self.file, o, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Counts for a summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    /// Records found (including rejected ones).
    pub read: u64,
    /// Raw CloudTrail records normalized (including those with a pipeline error).
    pub normalized: u64,
    /// ECS documents passed through.
    pub passed_through: u64,
    /// Records that produced no event.
    pub rejected: u64,
    /// Normalized records that carry a pipeline error (still counted in `normalized`).
    pub pipeline_errors: u64,
    /// Files that could not be read to the end.
    pub file_errors: u64,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.files += o.files;
        self.bytes += o.bytes;
        self.read += o.read;
        self.normalized += o.normalized;
        self.passed_through += o.passed_through;
        self.rejected += o.rejected;
        self.pipeline_errors += o.pipeline_errors;
        self.file_errors += o.file_errors;
    }
}

fn looks_like_cloudtrail(o: &serde_json::Map<String, Value>) -> bool {
    [
        "eventVersion",
        "eventTime",
        "eventSource",
        "eventName",
        "digestStartTime",
        "digestEndTime",
        "insightDetails",
    ]
    .iter()
    .any(|k| o.contains_key(*k))
}

/// A record turned into a document.
pub struct Classified {
    pub doc: Value,
    pub kind: Kind,
    pub pipeline_error: Option<String>,
    pub text: Option<String>,
}

/// Turn one raw record into an event (or say why not).
pub fn classify(bytes: &[u8], container: Container, opts: &Options) -> Result<Classified, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(obj) = value else { return Err("expected a JSON object".into()) };
    if container == Container::LogEvents {
        let msg = obj.get("message").and_then(Value::as_str).ok_or("logEvents element without a message")?;
        let inner: Value =
            serde_json::from_str(msg).map_err(|e| format!("logEvents message is not JSON: {e}"))?;
        if !inner.as_object().is_some_and(looks_like_cloudtrail) {
            return Err("logEvents message is not a CloudTrail record".into());
        }
        let n = normalize(msg, inner, opts);
        return Ok(Classified {
            doc: n.doc,
            kind: Kind::CloudTrail,
            pipeline_error: n.pipeline_error,
            text: None,
        });
    }
    if looks_like_cloudtrail(&obj) {
        let n = normalize(text, Value::Object(obj), opts);
        return Ok(Classified {
            doc: n.doc,
            kind: Kind::CloudTrail,
            pipeline_error: n.pipeline_error,
            text: None,
        });
    }
    if let Some(Value::Object(src)) = obj.get("_source") {
        return Ok(Classified {
            doc: Value::Object(src.clone()),
            kind: Kind::Ecs,
            pipeline_error: None,
            text: None,
        });
    }
    let ecs_like = obj.contains_key("@timestamp")
        || obj.contains_key("event")
        || obj.keys().any(|k| k.starts_with("event.") || k.starts_with("aws.") || k == "ecs");
    if ecs_like {
        return Ok(Classified {
            doc: Value::Object(obj),
            kind: Kind::Ecs,
            pipeline_error: None,
            text: Some(text.to_string()),
        });
    }
    Err("neither a CloudTrail record nor an ECS document".into())
}

/// Read one stream (already opened) and report each event or error.
pub fn read_stream(
    file: &Arc<str>,
    input: Box<dyn Read + Send>,
    opts: &Options,
    sink: &mut dyn FnMut(Result<Event, RecordError>),
) -> Stats {
    let mut stats = Stats { files: 1, ..Stats::default() };
    let mut scanner = Scanner::new(CountingReader { inner: input, count: 0 });
    let err = |origin: Option<Origin>, message: String, kept: bool| RecordError {
        file: file.clone(),
        origin,
        message,
        kept,
    };
    while let Some(raw) = scanner.next_record() {
        stats.read += 1;
        match classify(raw.bytes, raw.container, opts) {
            Ok(Classified { doc, kind, pipeline_error, text }) => {
                match kind {
                    Kind::CloudTrail => stats.normalized += 1,
                    Kind::Ecs => stats.passed_through += 1,
                }
                if let Some(msg) = pipeline_error {
                    stats.pipeline_errors += 1;
                    sink(Err(err(Some(raw.origin.clone()), msg, true)));
                }
                sink(Ok(Event { doc, kind, text, file: file.clone(), origin: raw.origin }));
            }
            Err(message) => {
                stats.rejected += 1;
                sink(Err(err(Some(raw.origin), message, false)));
            }
        }
        for e in scanner.take_errors() {
            stats.read += 1;
            stats.rejected += 1;
            sink(Err(err(Some(e.origin), e.message, false)));
        }
    }
    for e in scanner.take_errors() {
        stats.read += 1;
        stats.rejected += 1;
        sink(Err(err(Some(e.origin), e.message, false)));
    }
    stats.bytes = scanner.input_bytes();
    if let Some(e) = scanner.io_error.take() {
        stats.file_errors += 1;
        sink(Err(err(None, read_failure(&e), false)));
    }
    stats
}

/// Open an input: a file, or `-` for standard input; gzip detected from the content.
pub fn open_input(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        maybe_gzip(Box::new(std::io::BufReader::new(std::io::stdin())))
    } else {
        crate::reader::open_maybe_gzip(path)
    }
}

/// What to tell the user when an input cannot be opened.
pub fn open_failure(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::InvalidData {
        e.to_string() // our own words: not JSON
    } else {
        format!("cannot open: {e}")
    }
}

/// What to tell the user when reading an input stopped early.
pub fn read_failure(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof || e.to_string().contains("corrupt") {
        format!("truncated or corrupt compressed data: {e}")
    } else {
        format!("read failed: {e}")
    }
}

/// Read one file (or `-` for standard input).
pub fn read_file(path: &Path, opts: &Options, sink: &mut dyn FnMut(Result<Event, RecordError>)) -> Stats {
    let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    match open_input(path) {
        Ok(input) => read_stream(&name, input, opts, sink),
        Err(e) => {
            sink(Err(RecordError { file: name, origin: None, message: open_failure(&e), kept: false }));
            Stats { files: 1, file_errors: 1, ..Stats::default() }
        }
    }
}

struct CountingReader {
    inner: Box<dyn Read + Send>,
    count: u64,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl Scanner<CountingReader> {
    /// Bytes read from the (decompressed) input so far.
    fn input_bytes(&self) -> u64 {
        self.input_ref().count
    }
}

/// Expand the command line's inputs into files: directories are walked recursively (sorted, hidden
/// entries skipped), a path that does not exist but has `*`/`?`/`[` is a glob, `-` is stdin.
pub fn expand_inputs(inputs: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        let p = PathBuf::from(input);
        if input == "-" || p.is_file() {
            files.push(p);
        } else if p.is_dir() {
            let before = files.len();
            walk(&p, &mut files, &mut errors);
            if files.len() == before {
                errors.push(format!("{input}: no files in this folder"));
            }
        } else if input.contains(['*', '?', '[']) {
            match glob::glob(input) {
                Ok(paths) => {
                    let before = files.len();
                    for entry in paths {
                        match entry {
                            Ok(path) if path.is_dir() => walk(&path, &mut files, &mut errors),
                            Ok(path) => files.push(path),
                            Err(e) => errors.push(format!("{input}: {e}")),
                        }
                    }
                    if files.len() == before {
                        errors.push(format!("{input}: no files match"));
                    }
                }
                Err(e) => errors.push(format!("{input}: bad pattern: {e}")),
            }
        } else {
            errors.push(format!("{input}: no such file or directory"));
        }
    }
    (files, errors)
}

/// The files under a folder (recursively, sorted, hidden entries skipped); an empty folder is no
/// error here (the service waits for files to land).
pub fn files_under(dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let (mut files, mut errors) = (Vec::new(), Vec::new());
    walk(dir, &mut files, &mut errors);
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            errors.push(format!("{}: {e}", dir.display()));
            return;
        }
    };
    entries.sort();
    for p in entries {
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        if p.is_dir() {
            walk(&p, files, errors);
        } else {
            files.push(p);
        }
    }
}
