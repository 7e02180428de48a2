//! The CloudTrail eventSource → eventName catalog: botocore's service models
//! (`data/aws-catalog.tsv`, built by `tools/gen_aws_catalog.py`) plus the names only CloudTrail
//! logs (`data/cloudtrail-only.tsv`).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

static BOTOCORE: &str = include_str!("../data/aws-catalog.tsv");
static OVERLAY: &str = include_str!("../data/cloudtrail-only.tsv");

/// Services whose CloudTrail names the SDK models describe only partly: unknown names there are
/// plausible, so they are warnings rather than errors.
const BLIND_SPOTS: &[&str] = &[
    "signin.amazonaws.com",
    "s3.amazonaws.com",
    "s3express.amazonaws.com",
    "ssm.amazonaws.com",
    "ssmmessages.amazonaws.com",
    "ec2messages.amazonaws.com",
    "sso.amazonaws.com",
    "bedrock.amazonaws.com",
    "billingconsole.amazonaws.com",
    "cloudshell.amazonaws.com",
    "health.amazonaws.com",
    "grafana.amazonaws.com",
];

pub struct Catalog {
    /// eventSource → operation names (Lambda names with their date suffixes expanded).
    pub sources: HashMap<&'static str, HashSet<String>>,
}

/// How a name relates to the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Known,
    /// The service is known and does not have this name.
    Unknown,
    /// The service itself is not in the catalog.
    UnknownSource,
}

impl Catalog {
    pub fn get() -> &'static Catalog {
        static C: OnceLock<Catalog> = OnceLock::new();
        C.get_or_init(|| {
            let mut sources: HashMap<&'static str, HashSet<String>> = HashMap::new();
            for line in BOTOCORE.lines().filter(|l| !l.starts_with('#')) {
                let mut cols = line.split('\t');
                let (Some(src), Some(_svc), Some(ops)) = (cols.next(), cols.next(), cols.next()) else {
                    continue;
                };
                let set = sources.entry(src).or_default();
                for op in ops.split(',') {
                    match op.split_once('@') {
                        // Lambda: CloudTrail logs the op with its API date, optionally v2/v3.
                        Some((name, date)) => {
                            set.insert(format!("{name}{date}"));
                            set.insert(format!("{name}{date}v2"));
                            set.insert(format!("{name}{date}v3"));
                            set.insert(name.to_string());
                        }
                        None => {
                            set.insert(op.to_string());
                        }
                    }
                }
            }
            for line in OVERLAY.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
                if let Some((src, names)) = line.split_once('\t') {
                    let set = sources.entry(src).or_default();
                    set.extend(names.split(',').map(str::to_string));
                }
            }
            Catalog { sources }
        })
    }

    pub fn has_source(&self, source: &str) -> bool {
        self.sources.contains_key(source)
    }

    pub fn is_blind_spot(source: &str) -> bool {
        BLIND_SPOTS.contains(&source)
    }

    pub fn lookup(&self, source: &str, name: &str) -> Lookup {
        match self.sources.get(source) {
            None => Lookup::UnknownSource,
            Some(ops) if ops.contains(name) => Lookup::Known,
            Some(_) => Lookup::Unknown,
        }
    }

    /// Every known name of the given sources (all sources when empty).
    pub fn names<'a>(&'a self, sources: &'a [String]) -> Box<dyn Iterator<Item = &'a str> + 'a> {
        if sources.is_empty() {
            Box::new(self.sources.values().flat_map(|s| s.iter().map(String::as_str)))
        } else {
            Box::new(
                sources
                    .iter()
                    .filter_map(|s| self.sources.get(s.as_str()))
                    .flat_map(|s| s.iter().map(String::as_str)),
            )
        }
    }
}

/// Levenshtein distance (for near-miss suggestions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
