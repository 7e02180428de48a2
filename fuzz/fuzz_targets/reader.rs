//! Readers never panic: arbitrary bytes, plain or gzipped (the first byte picks), through the
//! streaming scanner, classification and normalization; the record limit is small so the
//! oversize paths are reached too.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode % 4 == 0 {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(rest).unwrap();
        let mut gz = e.finish().unwrap();
        if mode % 8 == 4 {
            gz.truncate(gz.len() / 2); // truncated gzip
        }
        gz
    } else {
        rest.to_vec()
    };
    let Ok(input) = cloudtrail::reader::maybe_gzip(Box::new(std::io::Cursor::new(bytes))) else { return };
    let mut scanner = cloudtrail::reader::Scanner::with_limit(input, 1 + (mode as usize) * 16);
    let opts = cloudtrail::Options::default();
    while let Some(r) = scanner.next_record() {
        let _ = cloudtrail::skim::skim(r.bytes);
        let _ = cloudtrail::source::classify(r.bytes, r.container, &opts);
    }
    let _ = scanner.take_errors();
});
