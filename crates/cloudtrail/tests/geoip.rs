//! GeoIP/ASN enrichment against small MaxMind-format databases written by the test itself (the
//! MMDB format: a binary trie over address bits, a data section of typed values, a metadata map).

use serde_json::json;
use std::collections::BTreeMap;

/// MMDB data-section values (the subset the tests need).
enum D {
    Str(&'static str),
    Double(f64),
    U32(u32),
    Map(Vec<(&'static str, D)>),
    Array(Vec<D>),
}

fn control(out: &mut Vec<u8>, ty: u8, size: usize) {
    assert!(size < 285, "sizes of 285 and more are not needed here");
    let (low, extra) = if size < 29 { (size as u8, None) } else { (29, Some((size - 29) as u8)) };
    if ty <= 7 {
        out.push((ty << 5) | low);
    } else {
        out.push(low);
        out.push(ty - 7);
    }
    out.extend(extra);
}

fn encode(out: &mut Vec<u8>, d: &D) {
    match d {
        D::Str(s) => {
            control(out, 2, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        D::Double(f) => {
            control(out, 3, 8);
            out.extend_from_slice(&f.to_be_bytes());
        }
        D::U32(n) => {
            control(out, 6, 4);
            out.extend_from_slice(&n.to_be_bytes());
        }
        D::Map(kv) => {
            control(out, 7, kv.len());
            for (k, v) in kv {
                encode(out, &D::Str(k));
                encode(out, v);
            }
        }
        D::Array(items) => {
            control(out, 11, items.len());
            for i in items {
                encode(out, i);
            }
        }
    }
}

/// Write an IPv4 database with 24-bit records: each `(network, prefix length, record)`.
fn mmdb(db_type: &'static str, entries: Vec<([u8; 4], u32, D)>) -> Vec<u8> {
    // the data section
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for (_, _, d) in &entries {
        offsets.push(data.len());
        encode(&mut data, d);
    }
    // the trie: nodes[i] = [left, right]; u32::MAX = empty, else child node or data marker
    const EMPTY: u64 = u64::MAX;
    let mut nodes: Vec<[u64; 2]> = vec![[EMPTY, EMPTY]];
    let mut leaves: BTreeMap<(usize, usize), usize> = BTreeMap::new(); // (node, side) -> entry
    for (e, (net, len, _)) in entries.iter().enumerate() {
        let bits = u32::from_be_bytes(*net);
        let mut node = 0;
        for i in 0..*len {
            let bit = ((bits >> (31 - i)) & 1) as usize;
            if i + 1 == *len {
                leaves.insert((node, bit), e);
            } else {
                if nodes[node][bit] == EMPTY {
                    nodes.push([EMPTY, EMPTY]);
                    nodes[node][bit] = (nodes.len() - 1) as u64;
                }
                node = nodes[node][bit] as usize;
            }
        }
    }
    let n = nodes.len() as u64;
    let mut out = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        for (side, &child) in node.iter().enumerate() {
            let rec = match leaves.get(&(i, side)) {
                Some(&e) => n + 16 + offsets[e] as u64,
                None if child == EMPTY => n,
                None => child,
            };
            out.extend_from_slice(&(rec as u32).to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    let meta = D::Map(vec![
        ("binary_format_major_version", D::U32(2)),
        ("binary_format_minor_version", D::U32(0)),
        ("build_epoch", D::U32(1_700_000_000)),
        ("database_type", D::Str(db_type)),
        ("description", D::Map(vec![("en", D::Str("trailhound test database"))])),
        ("ip_version", D::U32(4)),
        ("languages", D::Array(vec![D::Str("en")])),
        ("node_count", D::U32(n as u32)),
        ("record_size", D::U32(24)),
    ]);
    encode(&mut out, &meta);
    out
}

fn names(en: &'static str) -> D {
    D::Map(vec![("names", D::Map(vec![("en", D::Str(en))]))])
}

#[test]
fn source_ip_is_enriched_like_elastics_geoip_processors() {
    let dir = std::env::temp_dir().join(format!("th-geoip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let city = mmdb(
        "GeoLite2-City",
        vec![(
            [81, 2, 69, 0],
            24,
            D::Map(vec![
                ("city", names("London")),
                (
                    "continent",
                    D::Map(vec![("code", D::Str("EU")), ("names", D::Map(vec![("en", D::Str("Europe"))]))]),
                ),
                (
                    "country",
                    D::Map(vec![
                        ("iso_code", D::Str("GB")),
                        ("names", D::Map(vec![("en", D::Str("United Kingdom"))])),
                    ]),
                ),
                (
                    "location",
                    D::Map(vec![("latitude", D::Double(51.5142)), ("longitude", D::Double(-0.0931))]),
                ),
                (
                    "subdivisions",
                    D::Array(vec![D::Map(vec![
                        ("iso_code", D::Str("ENG")),
                        ("names", D::Map(vec![("en", D::Str("England"))])),
                    ])]),
                ),
            ]),
        )],
    );
    let asn = mmdb(
        "GeoLite2-ASN",
        vec![(
            [81, 2, 0, 0],
            16,
            D::Map(vec![
                ("autonomous_system_number", D::U32(64496)),
                ("autonomous_system_organization", D::Str("Example Net")),
            ]),
        )],
    );
    let (cp, ap) = (dir.join("city.mmdb"), dir.join("asn.mmdb"));
    std::fs::write(&cp, city).unwrap();
    std::fs::write(&ap, asn).unwrap();
    let db = cloudtrail::geoip::GeoIp::open(Some(&cp), Some(&ap)).unwrap();
    let opts = cloudtrail::Options { geoip: Some(std::sync::Arc::new(db)), ..Default::default() };
    let record = |ip: &str| {
        json!({"eventVersion": "1.08", "eventTime": "2026-01-01T00:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject", "sourceIPAddress": ip})
    };
    let doc = cloudtrail::normalize("", record("81.2.69.144"), &opts).doc;
    assert_eq!(
        doc["source"]["geo"],
        json!({"continent_name": "Europe", "country_iso_code": "GB", "country_name": "United Kingdom",
            "region_iso_code": "GB-ENG", "region_name": "England", "city_name": "London",
            "location": {"lat": 51.5142, "lon": -0.0931}})
    );
    assert_eq!(doc["source"]["as"], json!({"number": 64496, "organization": {"name": "Example Net"}}));
    // outside the databases' networks: nothing added
    let doc = cloudtrail::normalize("", record("198.51.100.7"), &opts).doc;
    assert!(doc["source"].get("geo").is_none() && doc["source"].get("as").is_none(), "{doc}");
    // in the ASN network only
    let doc = cloudtrail::normalize("", record("81.2.1.1"), &opts).doc;
    assert!(doc["source"].get("geo").is_none());
    assert_eq!(doc["source"]["as"]["number"], 64496);
    // and a rule on source.as.organization.name can now match
    let m = ecs::compile("source.as.organization.name:(* and not (Amazon* or AMAZON*))").unwrap();
    assert!(m.matches(&doc));
    // not a database: a clear error
    std::fs::write(dir.join("bad.mmdb"), b"not a database").unwrap();
    let err = cloudtrail::geoip::GeoIp::open(Some(&dir.join("bad.mmdb")), None).unwrap_err();
    assert!(err.to_string().contains("bad.mmdb"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
