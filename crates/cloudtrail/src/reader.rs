//! Read records out of any container AWS writes, streamed, without holding a whole file.
//!
//! The [`Scanner`] walks the bytes of a stream with a structural JSON state machine (strings,
//! escapes, brackets) and hands out one record at a time as raw bytes:
//! - a top-level object is one record, unless it has a `Records` (CloudTrail S3 delivery) or
//!   `logEvents` (CloudWatch Logs subscription) array: then each element is a record, streamed as
//!   soon as it closes, and the enclosing object is never buffered;
//! - a top-level array's elements are records;
//! - NDJSON and concatenated JSON are just several top-level values.
//!
//! It only checks structure; each record is parsed by the caller, so one malformed record is one
//! error and the next record is read as usual. A structural error (unbalanced brackets, a raw line
//! break inside a string, stray bytes between values) is reported with its line and the scanner
//! resumes at the next line. A record larger than the size limit is reported and skipped.

use std::io::Read;

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// 0-based index of the record in its `Records`/`logEvents`/top-level array, if it was in one.
    pub index: Option<u64>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(f, "line {}, record {}", self.line, i + 1),
            None => write!(f, "line {}", self.line),
        }
    }
}

/// Which container a record was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A top-level JSON value (NDJSON line, single record file, ECS document).
    TopLevel,
    /// An element of a top-level array.
    Array,
    /// An element of `{"Records": [...]}`.
    Records,
    /// An element of `{"logEvents": [...]}` (its `message` holds the record).
    LogEvents,
}

/// One raw record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub bytes: Vec<u8>,
    pub origin: Origin,
    pub container: Container,
}

/// One raw record, borrowed from the scanner until the next call.
#[derive(Debug, PartialEq, Eq)]
pub struct RawRef<'a> {
    pub bytes: &'a [u8],
    pub origin: Origin,
    pub container: Container,
}

impl RawRef<'_> {
    pub fn to_owned(&self) -> RawRecord {
        RawRecord { bytes: self.bytes.to_vec(), origin: self.origin.clone(), container: self.container }
    }
}

/// A problem found while scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub origin: Origin,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    None,
    Array,
    Records,
    LogEvents,
}

/// Default limit on one record's size.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 4 << 20;

/// Streams records out of a byte stream. See the module documentation.
pub struct Scanner<R> {
    input: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    line: u64,
    max_record: usize,
    // structure
    stack: Vec<u8>,
    in_string: bool,
    escape: bool,
    // the current top-level value (while not streaming one of its arrays)
    top: Vec<u8>,
    top_line: u64,
    top_active: bool,
    // key tracking at depth 1 of a top-level object
    expect_key: bool,
    key_start: Option<usize>,
    last_key: Vec<u8>,
    after_colon: bool,
    bad_records_key: bool,
    // streaming an array's elements
    stream: Stream,
    stream_depth: usize,
    elem: Vec<u8>,
    elem_active: bool,
    elem_line: u64,
    elem_index: u64,
    elem_oversize: bool,
    saw_stream: bool,
    resync_pending: bool,
    /// The element being streamed is handled byte by byte (see `scan_element`).
    no_fast: bool,
    /// The input is line-delimited (NDJSON): records are split at newlines with memchr.
    line_mode: bool,
    /// A line that spans two reads.
    carry: Vec<u8>,
    /// The record handed out last (reused between records).
    ready: Vec<u8>,
    /// Records found inside a line that holds a container (`Records`/`logEvents`).
    pending: std::collections::VecDeque<RawRecord>,
    /// Errors found since the last call to `take_errors`.
    errors: Vec<ScanError>,
    /// An I/O error ended the stream.
    pub io_error: Option<std::io::Error>,
}

enum Step {
    /// A record is in `ready`.
    Record(Origin, Container),
    Continue,
}

impl<R: Read> Scanner<R> {
    pub fn new(input: R) -> Self {
        Self::with_limit(input, DEFAULT_MAX_RECORD_BYTES)
    }

    pub fn with_limit(input: R, max_record: usize) -> Self {
        Scanner {
            input,
            buf: vec![0u8; 256 << 10].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            line: 1,
            max_record,
            stack: Vec::new(),
            in_string: false,
            escape: false,
            top: Vec::new(),
            top_line: 1,
            top_active: false,
            expect_key: false,
            key_start: None,
            last_key: Vec::new(),
            after_colon: false,
            bad_records_key: false,
            stream: Stream::None,
            stream_depth: 0,
            elem: Vec::new(),
            elem_active: false,
            elem_line: 1,
            elem_index: 0,
            elem_oversize: false,
            saw_stream: false,
            resync_pending: false,
            no_fast: false,
            line_mode: false,
            carry: Vec::new(),
            ready: Vec::new(),
            pending: std::collections::VecDeque::new(),
            errors: Vec::new(),
            io_error: None,
        }
    }

    /// Lines read so far (newlines seen).
    pub fn lines_read(&self) -> u64 {
        self.line - 1
    }

    /// The underlying reader.
    pub fn input_ref(&self) -> &R {
        &self.input
    }

    /// Errors found so far (drained).
    pub fn take_errors(&mut self) -> Vec<ScanError> {
        std::mem::take(&mut self.errors)
    }

    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        loop {
            match self.input.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    return true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.io_error = Some(e);
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    fn error(&mut self, line: u64, index: Option<u64>, message: impl Into<String>) {
        self.errors.push(ScanError { origin: Origin { line, index }, message: message.into() });
    }

    /// Drop everything in progress and skip to the start of the next line.
    fn resync(&mut self) {
        self.reset_value();
        loop {
            while self.pos < self.len {
                let b = self.buf[self.pos];
                self.pos += 1;
                if b == b'\n' {
                    self.line += 1;
                    return;
                }
            }
            if !self.fill() {
                return;
            }
        }
    }

    fn reset_value(&mut self) {
        self.stack.clear();
        self.in_string = false;
        self.escape = false;
        self.top.clear();
        self.top_active = false;
        self.expect_key = false;
        self.key_start = None;
        self.after_colon = false;
        self.bad_records_key = false;
        self.stream = Stream::None;
        self.elem.clear();
        self.elem_active = false;
        self.elem_oversize = false;
        self.saw_stream = false;
        self.no_fast = false;
    }

    fn push_byte(&mut self, b: u8) {
        self.push_bytes(&[b]);
    }

    /// `push_bytes` for `buf[from..to]`, which holds no structural bytes.
    fn push_slice(&mut self, from: usize, to: usize) {
        let buf = std::mem::take(&mut self.buf); // a pointer swap: lets `buf` be read while `self` changes
        self.push_bytes(&buf[from..to]);
        self.buf = buf;
    }

    /// Add bytes to the record being collected (an element being streamed, else the top-level
    /// value while none of its arrays is streamed); past the size limit, drop it and remember so.
    fn push_bytes(&mut self, bytes: &[u8]) {
        if self.elem_oversize {
            return;
        }
        let limited = self.elem_active || !self.saw_stream;
        let over = |len: usize| limited && len + bytes.len() > self.max_record;
        let dest = if self.elem_active {
            &mut self.elem
        } else if self.top_active && self.stream == Stream::None {
            &mut self.top
        } else {
            return;
        };
        if over(dest.len()) {
            dest.clear();
            self.elem_oversize = true;
        } else {
            dest.extend_from_slice(bytes);
        }
    }

    fn finish_elem(&mut self) -> Step {
        self.elem_active = false;
        self.no_fast = false;
        let index = self.elem_index;
        self.elem_index += 1;
        if std::mem::take(&mut self.elem_oversize) {
            let limit = self.max_record;
            self.error(self.elem_line, Some(index), format!("record larger than {limit} bytes; skipped"));
            return Step::Continue;
        }
        std::mem::swap(&mut self.ready, &mut self.elem);
        self.elem.clear();
        if self.ready.first() != Some(&b'{') {
            let what = match self.stream {
                Stream::Records => "an element of Records",
                Stream::LogEvents => "an element of logEvents",
                _ => "an array element",
            };
            self.error(self.elem_line, Some(index), format!("{what} is not a JSON object"));
            return Step::Continue;
        }
        let container = match self.stream {
            Stream::Records => Container::Records,
            Stream::LogEvents => Container::LogEvents,
            _ => Container::Array,
        };
        Step::Record(Origin { line: self.elem_line, index: Some(index) }, container)
    }

    fn finish_top(&mut self) -> Step {
        let line = self.top_line;
        let had_stream = self.saw_stream;
        let bad_records = self.bad_records_key;
        let oversize = std::mem::take(&mut self.elem_oversize);
        let single_line = line == self.line;
        std::mem::swap(&mut self.ready, &mut self.top);
        self.top.clear();
        self.reset_value();
        if had_stream {
            return Step::Continue;
        }
        if bad_records {
            self.error(line, None, "\"Records\" is not an array; object skipped");
            return Step::Continue;
        }
        if oversize {
            let limit = self.max_record;
            self.error(line, None, format!("record larger than {limit} bytes; skipped"));
            return Step::Continue;
        }
        {
            // A compact object alone on its line: the input is NDJSON, split the rest by lines.
            if single_line {
                self.line_mode = true;
            }
            Step::Record(Origin { line, index: None }, Container::TopLevel)
        }
    }

    /// Process one byte; `Some` when a record completes.
    fn step(&mut self, b: u8) -> Option<Step> {
        if self.in_string {
            self.push_byte(b);
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
                if let Some(start) = self.key_start.take() {
                    if self.stack.len() == 1 && start < self.top.len() {
                        self.last_key.clear();
                        let end = self.top.len() - 1;
                        self.last_key.extend_from_slice(&self.top[start..end]);
                    }
                }
            } else if b == b'\n' {
                let line = self.line;
                self.error(line, None, "line break inside a string (truncated or malformed JSON)");
                self.line += 1;
                self.reset_value();
                return Some(Step::Continue);
            }
            return None;
        }
        let depth = self.stack.len();
        // Start of an element of the array being streamed.
        if self.stream != Stream::None && depth == self.stream_depth && !self.elem_active {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => {}
                b']' => {}
                _ => {
                    self.elem_active = true;
                    self.elem_line = self.line;
                    self.elem.clear();
                }
            }
        }
        if depth == 0 {
            match b {
                b'\n' => {
                    self.line += 1;
                    return None;
                }
                b' ' | b'\t' | b'\r' => return None,
                0xEF | 0xBB | 0xBF if !self.top_active => return None, // UTF-8 byte order mark
                b'{' | b'[' => {
                    self.top_active = true;
                    self.top_line = self.line;
                    self.top.clear();
                }
                _ => {
                    let line = self.line;
                    self.error(line, None, format!("expected a JSON object, found {:?}", b as char));
                    self.resync_pending = true;
                    return Some(Step::Continue);
                }
            }
        }
        self.push_byte(b);
        match b {
            b'"' => {
                self.in_string = true;
                if depth == 1 && self.after_colon {
                    if self.last_key == b"Records" {
                        self.bad_records_key = true;
                    }
                    self.after_colon = false;
                }
                if depth == 1 && self.expect_key && self.stack[0] == b'{' && self.stream == Stream::None {
                    self.key_start = Some(self.top.len());
                }
            }
            b'{' | b'[' => {
                if depth == 1 && self.after_colon && self.stream == Stream::None && self.stack[0] == b'{' {
                    let key = self.last_key.as_slice();
                    if b == b'[' && (key == b"Records" || key == b"logEvents") {
                        self.stream = if key == b"Records" { Stream::Records } else { Stream::LogEvents };
                        self.stream_depth = 2;
                        self.saw_stream = true;
                        self.elem_index = 0;
                        self.top.clear();
                    } else if key == b"Records" {
                        self.bad_records_key = true;
                    }
                }
                if depth == 0 && b == b'[' {
                    self.stream = Stream::Array;
                    self.stream_depth = 1;
                    self.saw_stream = true;
                    self.elem_index = 0;
                    self.top.clear();
                }
                self.after_colon = false;
                self.stack.push(b);
                if self.stack.len() == 1 && b == b'{' {
                    self.expect_key = true;
                }
            }
            b'}' | b']' => {
                let open = if b == b'}' { b'{' } else { b'[' };
                if self.stack.pop() != Some(open) {
                    let line = self.line;
                    self.error(line, None, format!("unbalanced {:?}", b as char));
                    self.resync_pending = true;
                    return Some(Step::Continue);
                }
                let depth = self.stack.len();
                if self.elem_active && depth == self.stream_depth {
                    return Some(self.finish_elem());
                }
                if self.elem_active && depth < self.stream_depth {
                    // a scalar last element ends at the closing bracket
                    self.elem.pop();
                    let step = self.finish_elem();
                    self.stream = Stream::None;
                    if depth == 0 {
                        self.reset_value();
                    }
                    return Some(step);
                }
                if self.stream != Stream::None && depth < self.stream_depth {
                    self.stream = Stream::None;
                }
                if depth == 0 {
                    return Some(self.finish_top());
                }
            }
            b':' if depth == 1 => {
                self.expect_key = false;
                self.after_colon = true;
            }
            b',' => {
                if depth == 1 {
                    self.expect_key = true;
                    self.after_colon = false;
                }
                if self.elem_active && depth == self.stream_depth {
                    // a scalar element ends at the comma (which is not part of it)
                    self.elem.pop();
                    return Some(self.finish_elem());
                }
            }
            b' ' | b'\t' | b'\r' => {}
            b'\n' => self.line += 1,
            _ => {
                if depth == 1 && self.after_colon && self.last_key == b"Records" {
                    self.bad_records_key = true;
                }
                self.after_colon = false;
            }
        }
        None
    }
}

impl<R: Read> Iterator for Scanner<R> {
    type Item = RawRecord;

    /// The next record, owned; errors accumulate in [`Scanner::take_errors`].
    fn next(&mut self) -> Option<RawRecord> {
        self.next_record().map(|r| r.to_owned())
    }
}

impl<R: Read> Scanner<R> {
    /// The next record, borrowed until the next call; errors accumulate in
    /// [`Scanner::take_errors`].
    pub fn next_record(&mut self) -> Option<RawRef<'_>> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                self.ready = r.bytes;
                return Some(RawRef { bytes: &self.ready, origin: r.origin, container: r.container });
            }
            if self.line_mode {
                match self.next_line()? {
                    Line::Borrowed(s, e, line) => {
                        return Some(RawRef {
                            bytes: &self.buf[s..e],
                            origin: Origin { line, index: None },
                            container: Container::TopLevel,
                        })
                    }
                    Line::Ready(line) => {
                        return Some(RawRef {
                            bytes: &self.ready,
                            origin: Origin { line, index: None },
                            container: Container::TopLevel,
                        })
                    }
                    Line::Nothing => continue,
                }
            }
            let Step::Record(origin, container) = self.next_structural()? else { continue };
            return Some(RawRef { bytes: &self.ready, origin, container });
        }
    }

    /// Line mode: the next line, `None` at the end of the input.
    fn next_line(&mut self) -> Option<Line> {
        loop {
            if self.pos >= self.len && !self.fill() {
                if self.carry.is_empty() {
                    return None;
                }
                // a last line without a newline
                let line = self.line;
                let carry = std::mem::take(&mut self.carry);
                return Some(self.judge_line(carry, line));
            }
            let rest = &self.buf[self.pos..self.len];
            match memchr::memchr(b'\n', rest) {
                Some(k) => {
                    let (start, end) = (self.pos, self.pos + k);
                    self.pos = end + 1;
                    let line = self.line;
                    self.line += 1;
                    if !self.carry.is_empty() {
                        let mut carry = std::mem::take(&mut self.carry);
                        carry.extend_from_slice(&self.buf[start..end]);
                        return Some(self.judge_line(carry, line));
                    }
                    let (s, e) = trim_range(&self.buf[start..end]);
                    let bytes = &self.buf[start + s..start + e];
                    if bytes.is_empty() {
                        continue;
                    }
                    if bytes[0] == b'{' && bytes.len() <= self.max_record && !is_container(bytes) {
                        return Some(Line::Borrowed(start + s, start + e, line));
                    }
                    let owned = bytes.to_vec();
                    return Some(self.judge_line(owned, line));
                }
                None => {
                    if self.carry.len() + rest.len() > self.max_record + 2 {
                        // far too long for a record: keep a marker, report it at its end
                        self.carry.clear();
                        self.carry.push(b'!');
                    } else if self.carry.first() != Some(&b'!') {
                        self.carry.extend_from_slice(rest);
                    }
                    self.pos = self.len;
                }
            }
        }
    }

    /// Judge a whole line: a record (left in `ready`), an error, or a container whose records go
    /// to `pending`.
    fn judge_line(&mut self, bytes: Vec<u8>, line: u64) -> Line {
        let (s, e) = trim_range(&bytes);
        let t = &bytes[s..e];
        if t.is_empty() {
            return Line::Nothing;
        }
        if t[0] == b'!' || t.len() > self.max_record {
            let limit = self.max_record;
            self.error(line, None, format!("record larger than {limit} bytes; skipped"));
            return Line::Nothing;
        }
        if t[0] != b'{' {
            self.error(line, None, format!("expected a JSON object, found {:?}", t[0] as char));
            return Line::Nothing;
        }
        if is_container(t) {
            // Scan the line on its own; its records keep this line number.
            let mut inner = Scanner::with_limit(std::io::Cursor::new(t.to_vec()), self.max_record);
            while let Some(r) = inner.next_record() {
                let mut r = r.to_owned();
                r.origin.line = line;
                self.pending.push_back(r);
            }
            for mut e in inner.take_errors() {
                e.origin.line = line;
                self.errors.push(e);
            }
            return Line::Nothing;
        }
        self.ready.clear();
        self.ready.extend_from_slice(t);
        Line::Ready(line)
    }

    fn next_structural(&mut self) -> Option<Step> {
        loop {
            if self.line_mode && self.stack.is_empty() && !self.in_string {
                return Some(Step::Continue);
            }
            if self.pos >= self.len && !self.fill() {
                // end of input
                if self.top_active || !self.stack.is_empty() {
                    let line = self.line;
                    let what = if self.io_error.is_some() {
                        "input ended early"
                    } else {
                        "file ends inside a record"
                    };
                    self.error(line, None, format!("{what} (truncated)"));
                    self.reset_value();
                }
                return None;
            }
            while self.pos < self.len {
                if self.elem_active && !self.in_string && !self.elem_oversize && !self.no_fast {
                    let before = self.pos;
                    if let Some(step) = self.scan_element() {
                        return Some(step);
                    }
                    if self.pos >= self.len {
                        break;
                    }
                    if self.pos != before {
                        continue;
                    }
                    // no progress: this byte needs the state machine
                }
                let b = self.buf[self.pos];
                self.pos += 1;
                // Fast path inside strings: copy up to the next quote or backslash or newline.
                if self.in_string && !self.escape {
                    let rest = &self.buf[self.pos - 1..self.len];
                    if let Some(k) = memchr::memchr3(b'"', b'\\', b'\n', rest) {
                        if k > 0 {
                            let chunk_end = self.pos - 1 + k;
                            self.push_slice(self.pos - 1, chunk_end);
                            self.pos = chunk_end + 1;
                            let c = self.buf[chunk_end];
                            if let Some(step) = self.step(c) {
                                if let Some(s) = self.after_step(step) {
                                    return Some(s);
                                }
                            }
                            continue;
                        }
                    } else {
                        self.push_slice(self.pos - 1, self.len);
                        self.pos = self.len;
                        continue;
                    }
                }
                if let Some(step) = self.step(b) {
                    if let Some(s) = self.after_step(step) {
                        return Some(s);
                    }
                }
            }
        }
    }

    /// Fast path inside an array element being streamed: find where it ends without the
    /// per-byte state machine, copying it in one piece. Stops (leaving the rest to `step`) at
    /// anything unusual: a string or escape crossing the buffer end, a raw line break in a string,
    /// an unbalanced bracket, a record growing past the size limit.
    fn scan_element(&mut self) -> Option<Step> {
        let start = self.pos;
        let depth = self.stack.len();
        if depth > 64 {
            self.no_fast = true;
            return None;
        }
        let mut saved = [0u8; 64];
        saved[..depth].copy_from_slice(&self.stack);
        let buf = &self.buf[..self.len];
        let mut i = start;
        let mut lines = 0u64;
        let mut finished = false;
        while i < buf.len() {
            match buf[i] {
                b'"' => {
                    let mut j = i + 1;
                    let end = loop {
                        match memchr::memchr3(b'"', b'\\', b'\n', &buf[j..]) {
                            Some(k) if buf[j + k] == b'"' => break Some(j + k),
                            Some(k) if buf[j + k] == b'\\' && j + k + 1 < buf.len() => j = j + k + 2,
                            _ => break None,
                        }
                    };
                    match end {
                        Some(e) => i = e + 1,
                        None => break,
                    }
                    continue;
                }
                b'{' | b'[' => self.stack.push(buf[i]),
                b'}' | b']' => {
                    let open = if buf[i] == b'}' { b'{' } else { b'[' };
                    if self.stack.last() != Some(&open) {
                        break;
                    }
                    self.stack.pop();
                    if self.stack.len() == self.stream_depth {
                        i += 1;
                        finished = true;
                        break;
                    }
                }
                b',' if self.stack.len() == self.stream_depth => break, // a scalar element
                b'\n' => lines += 1,
                _ => {}
            }
            i += 1;
        }
        if self.elem.len() + (i - start) > self.max_record {
            // Too large: undo, and let the per-byte path apply the size limit to this element.
            self.stack.clear();
            self.stack.extend_from_slice(&saved[..depth]);
            self.no_fast = true;
            return None;
        }
        self.elem.extend_from_slice(&buf[start..i]);
        self.line += lines;
        self.pos = i;
        if finished {
            return Some(self.finish_elem());
        }
        None
    }

    fn after_step(&mut self, step: Step) -> Option<Step> {
        if std::mem::take(&mut self.resync_pending) {
            self.resync();
        }
        match step {
            Step::Record(..) => Some(step),
            Step::Continue => None,
        }
    }
}

/// What line mode found.
enum Line {
    /// A record at `buf[start..end]`, on this line.
    Borrowed(usize, usize, u64),
    /// A record in `ready`, on this line.
    Ready(u64),
    /// An empty line, an error, or a container whose records are pending.
    Nothing,
}

fn trim_range(b: &[u8]) -> (usize, usize) {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let s = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let e = b.iter().rposition(|c| !ws(c)).map_or(s, |i| i + 1);
    (s, e)
}

/// A line that may hold a `Records` or `logEvents` container (checked properly by scanning it).
fn is_container(line: &[u8]) -> bool {
    memchr::memmem::find(line, b"\"Records\"").is_some()
        || memchr::memmem::find(line, b"\"logEvents\"").is_some()
}

/// Open a file, transparently decompressing gzip (detected by its magic bytes, not its name).
pub fn open_maybe_gzip(path: &std::path::Path) -> std::io::Result<Box<dyn Read + Send>> {
    let f = std::fs::File::open(path)?;
    maybe_gzip(Box::new(std::io::BufReader::with_capacity(256 << 10, f)))
}

/// Wrap a reader in a gzip decoder if it starts with the gzip magic bytes, and check that the
/// (decompressed) content starts like JSON: a file that does not is reported once, as a whole
/// (`InvalidData`), rather than line by line.
pub fn maybe_gzip(mut r: Box<dyn std::io::BufRead + Send>) -> std::io::Result<Box<dyn Read + Send>> {
    let head = r.fill_buf()?;
    let mut inner: Box<dyn std::io::BufRead + Send> = if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b
    {
        Box::new(std::io::BufReader::with_capacity(256 << 10, flate2::bufread::MultiGzDecoder::new(r)))
    } else {
        r
    };
    let head = inner.fill_buf()?;
    let first =
        head.iter().copied().find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0xEF | 0xBB | 0xBF));
    match first {
        None | Some(b'{') | Some(b'[') => Ok(Box::new(inner)),
        Some(b) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not JSON (starts with {:?}): not a CloudTrail file", b as char),
        )),
    }
}
