//! CloudTrail record → the ECS document Elastic's `aws.cloudtrail` integration indexes.
//!
//! The steps follow the integration's newest ingest pipeline in order (see
//! `docs/cloudtrail-normalization.md` for the field list and every deliberate difference):
//! empty-value purge, identity, provider/action, source, user agent, errors, the
//! `Map.toString()` and flattened copies of request/response/additional/service data, renames,
//! categorization and outcome, group/user targets, TLS, related.*, and a final purge.
//! Not done: GeoIP/ASN enrichment (needs a database), user-agent parsing (needs uap-core's
//! regexes), and the opt-in actor/target entity mapping.

use crate::categorization::categorize;
use crate::java::to_java_string_purged;
use ecs::time::{format_millis, parse_date};
use serde_json::{Map, Value};

/// The data-stream constants every indexed document carries.
pub const DATASET: &str = "aws.cloudtrail";
pub const ECS_VERSION: &str = "8.11.0";

/// Settings of the normalization.
#[derive(Debug, Clone)]
pub struct Options {
    /// `event.created`: when the record was read (Elastic: the agent's read time).
    pub created: Option<String>,
    /// `event.ingested`: when the record entered the store (Elastic: set by the final pipeline).
    pub ingested: Option<String>,
    /// Keep `event.original` (the record as read).
    pub keep_original: bool,
    /// `data_stream.namespace`.
    pub namespace: String,
    /// The integration's `retain` setting: which copies of request/response data to keep.
    pub retain: Retain,
    /// GeoIP/ASN databases for `source.geo` and `source.as` (off when `None`).
    pub geoip: Option<std::sync::Arc<crate::geoip::GeoIp>>,
}

/// The integration's `retain` option for `request_parameters` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retain {
    /// Both the `Map.toString()` strings and the flattened objects (the default).
    #[default]
    All,
    /// The strings, and only the flattened keys Elastic's rules use.
    Minimal,
    /// Only the strings.
    Keyword,
    /// Only the flattened objects.
    Flattened,
}

/// Flattened keys kept by `retain: minimal` (the ones Elastic's rules query).
const MINIMAL_KEYS: &[(&str, &str)] = &[
    ("additional_eventdata", "SSEApplied"),
    ("request_parameters", "cidrIp"),
    ("request_parameters", "dryRun"),
    ("request_parameters", "fromPort"),
    ("request_parameters", "includeDeprecated"),
    ("request_parameters", "policyArn"),
    ("request_parameters", "serialNumber"),
    ("request_parameters", "withDecryption"),
    ("request_parameters", "x-amz-server-side-encryption-customer-algorithm"),
];

impl Default for Options {
    fn default() -> Self {
        Options {
            created: None,
            ingested: None,
            keep_original: true,
            namespace: "default".into(),
            retain: Retain::All,
            geoip: None,
        }
    }
}

/// The result of normalizing one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub doc: Value,
    /// Set when the pipeline recorded an error (`error.message`, `event.kind: pipeline_error`).
    pub pipeline_error: Option<String>,
}

fn is_empty_value(v: &Value, strict: bool) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty() || (strict && (s == "-" || s == "none")),
        _ => false,
    }
}

/// Would the purge remove this value?
pub fn purge_drops(v: &Value, strict: bool) -> bool {
    match v {
        Value::Object(m) => m.values().all(|c| purge_drops(c, strict)),
        Value::Array(a) => a.iter().all(|c| purge_drops(c, strict)),
        other => is_empty_value(other, strict),
    }
}

/// Remove null and empty values recursively, and maps/lists left empty (the first purge also
/// removes `"-"` and `"none"`). Returns true when `v` itself should go.
pub fn purge(v: &mut Value, strict: bool) -> bool {
    match v {
        Value::Object(m) => {
            m.retain(|_, child| !purge(child, strict));
            m.is_empty()
        }
        Value::Array(a) => {
            a.retain_mut(|child| !purge(child, strict));
            a.is_empty()
        }
        other => is_empty_value(other, strict),
    }
}

/// The fields of a document being built, as dotted paths; [`Fields::build`] nests them once.
/// (Building nested maps path by path re-hashes every segment from the root on every insert.)
#[derive(Default)]
pub struct Fields(Vec<(String, Value)>);

impl Fields {
    /// Build the nested document: the last value set for a path wins.
    pub fn build(mut self) -> Map<String, Value> {
        self.0.sort_by(|a, b| a.0.cmp(&b.0)); // stable: later sets of a path stay later
        let mut dedup: Vec<(String, Value)> = Vec::with_capacity(self.0.len());
        for (k, v) in self.0 {
            match dedup.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => dedup.push((k, v)),
            }
        }
        let items: Vec<(&str, Value)> =
            dedup.iter_mut().map(|(k, v)| (k.as_str(), std::mem::take(v))).collect();
        nest(items)
    }
}

/// Nest sorted `(dotted path, value)` pairs.
fn nest(items: Vec<(&str, Value)>) -> Map<String, Value> {
    let mut out = Map::with_capacity(items.len());
    let mut iter = items.into_iter().peekable();
    while let Some((path, v)) = iter.next() {
        match path.split_once('.') {
            None => {
                out.insert(path.to_string(), v);
            }
            Some((head, rest)) => {
                let mut group = vec![(rest, v)];
                while let Some((p, _)) = iter.peek() {
                    match p.split_once('.') {
                        Some((h, _)) if h == head => {
                            let (p, v) = iter.next().unwrap();
                            group.push((&p[head.len() + 1..], v));
                        }
                        _ => break,
                    }
                }
                out.insert(head.to_string(), Value::Object(nest(group)));
            }
        }
    }
    out
}

/// Set `path` (dotted) in the document being built.
pub fn put(doc: &mut Fields, path: &str, v: Value) {
    doc.0.push((path.to_string(), v));
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

/// A de-duplicating list builder (the pipeline's `append` with `allow_duplicates: false`).
#[derive(Default)]
struct List(Vec<String>);

impl List {
    fn add(&mut self, s: &str) {
        if !s.is_empty() && !self.0.iter().any(|x| x == s) {
            self.0.push(s.to_string());
        }
    }
    fn into_value(self) -> Option<Value> {
        (!self.0.is_empty()).then(|| Value::Array(self.0.into_iter().map(Value::String).collect()))
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// ISO8601 as the `date` processor reads it, also the basic format `20131102T010628Z`.
fn iso_date(s: &str) -> Option<String> {
    if let Some(span) = parse_date(s) {
        if s.contains('-') {
            return Some(format_millis(span.lo));
        }
    }
    // basic format: yyyyMMdd'T'HHmmss[Z]
    let b = s.trim_end_matches('Z');
    if b.len() == 15
        && b.as_bytes()[8] == b'T'
        && b.bytes().enumerate().all(|(i, c)| i == 8 || c.is_ascii_digit())
    {
        let ext =
            format!("{}-{}-{}T{}:{}:{}Z", &b[0..4], &b[4..6], &b[6..8], &b[9..11], &b[11..13], &b[13..15]);
        return parse_date(&ext).map(|d| format_millis(d.lo));
    }
    None
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// Normalize a parsed CloudTrail record. `original` is the record's text as read.
pub fn normalize(original: &str, mut json: Value, opts: &Options) -> Normalized {
    let mut out = Fields::default();
    let mut errors: Vec<String> = Vec::new();

    // 1-3: original, created, ecs.version
    if opts.keep_original {
        put(&mut out, "event.original", Value::String(original.to_string()));
    }
    if let Some(c) = &opts.created {
        put(&mut out, "event.created", Value::String(c.clone()));
        put(&mut out, "@timestamp", Value::String(c.clone()));
    }
    put(&mut out, "ecs.version", Value::String(ECS_VERSION.into()));

    // 4: @timestamp from eventTime (digest files: digestEndTime, later)
    if let Some(t) = json.get("eventTime") {
        match t.as_str().and_then(iso_date) {
            Some(ts) => put(&mut out, "@timestamp", Value::String(ts)),
            None => {
                errors.push(format!("eventTime {t} is not an ISO8601 date"));
                if let Some(o) = json.as_object_mut() {
                    o.shift_remove("eventTime");
                }
            }
        }
    }

    let event_name = get_str(&json, &["eventName"]).map(str::to_string);
    // UserAuthentication: the user name moves out of additionalEventData (before it is
    // stringified). Nulling it keeps the key counted in the Java map's capacity.
    let mut auth_user_name = None;
    if event_name.as_deref() == Some("UserAuthentication") {
        if let Some(slot) = json.get_mut("additionalEventData").and_then(|a| a.get_mut("UserName")) {
            auth_user_name = Some(slot.take()).filter(|v| !purge_drops(v, true));
        }
    }

    // 10 (rendered before the purge, which Java applies to maps already built; see java.rs)
    const COPIES: [(&str, &str); 4] = [
        ("requestParameters", "request_parameters"),
        ("responseElements", "response_elements"),
        ("additionalEventData", "additional_eventdata"),
        ("serviceEventDetails", "service_event_details"),
    ];
    let strict_drops = |v: &Value| purge_drops(v, true);
    let java_strings: Vec<Option<String>> = COPIES
        .iter()
        .map(|(from, _)| json.get(*from).and_then(|v| to_java_string_purged(v, &strict_drops)))
        .collect();

    // 5: purge #1
    purge(&mut json, true);
    let identity_type = get_str(&json, &["userIdentity", "type"]).map(str::to_string);

    // 7: identity
    let ui = ["userIdentity"];
    let ct = "aws.cloudtrail.";
    let copy = |out: &mut Fields, from: &[&str], to: &str| {
        if let Some(v) = get(&json, from) {
            put(out, to, v.clone());
        }
    };
    copy(&mut out, &["eventVersion"], "aws.cloudtrail.event_version");
    for (from, to) in [
        ("type", "type"),
        ("arn", "arn"),
        ("accessKeyId", "access_key_id"),
        ("principalId", "principal_id"),
        ("invokedBy", "invoked_by"),
        ("credentialId", "credential_id"),
        ("identityProvider", "identity_provider"),
    ] {
        copy(&mut out, &[ui[0], from], &format!("{ct}user_identity.{to}"));
    }
    copy(
        &mut out,
        &["userIdentity", "invokedByDelegate", "accountId"],
        "aws.cloudtrail.user_identity.invoked_by_delegate.account_id",
    );
    for (from, to) in [
        ("issuerType", "issuer_type"),
        ("credentialsIssuedTo", "credentials_issued_to"),
        ("sourceArn", "source_arn"),
        ("sourceAccount", "source_account"),
    ] {
        copy(&mut out, &["userIdentity", "inScopeOf", from], &format!("{ct}user_identity.in_scope_of.{to}"));
    }
    copy(
        &mut out,
        &["userIdentity", "onBehalfOf", "userId"],
        "aws.cloudtrail.user_identity.on_behalf_of.user_id",
    );
    copy(
        &mut out,
        &["userIdentity", "onBehalfOf", "identityStoreArn"],
        "aws.cloudtrail.user_identity.on_behalf_of.identity_store_arn",
    );
    let sc = ["userIdentity", "sessionContext"];
    copy(
        &mut out,
        &[sc[0], sc[1], "attributes", "mfaAuthenticated"],
        "aws.cloudtrail.user_identity.session_context.mfa_authenticated",
    );
    if let Some(d) = get_str(&json, &[sc[0], sc[1], "attributes", "creationDate"]).and_then(iso_date) {
        put(&mut out, "aws.cloudtrail.user_identity.session_context.creation_date", Value::String(d));
    }
    for (from, to) in
        [("type", "type"), ("principalId", "principal_id"), ("arn", "arn"), ("accountId", "account_id")]
    {
        copy(
            &mut out,
            &[sc[0], sc[1], "sessionIssuer", from],
            &format!("{ct}user_identity.session_context.session_issuer.{to}"),
        );
    }
    for (from, to) in [
        ("ec2RoleDelivery", "ec2_role_delivery"),
        ("sourceIdentity", "source_identity"),
        ("assumedRoot", "assumed_root"),
        ("signInSessionArn", "sign_in_session_arn"),
    ] {
        copy(&mut out, &[sc[0], sc[1], from], &format!("{ct}user_identity.session_context.{to}"));
    }
    copy(
        &mut out,
        &[sc[0], sc[1], "webIdFederationData", "federatedProvider"],
        "aws.cloudtrail.user_identity.session_context.web_id_federation_data.federated_provider",
    );
    copy(
        &mut out,
        &[sc[0], sc[1], "webIdFederationData", "attributes"],
        "aws.cloudtrail.user_identity.session_context.web_id_federation_data.attributes",
    );
    // cloud.account.id: the caller's account, else the recipient's
    if let Some(a) = get(&json, &["userIdentity", "accountId"]).or_else(|| json.get("recipientAccountId")) {
        put(&mut out, "cloud.account.id", a.clone());
    } else if let Some(a) = json.get("awsAccountId") {
        put(&mut out, "cloud.account.id", a.clone());
    }

    // AWS-service actors (identity type AWSService) carry no user. The pipeline tests of the
    // newest stored era keep user.name for service-linked roles (AssumedRole whose issuer is an
    // aws-service-role), so those are ordinary assumed roles here.
    let invoked_by = get_str(&json, &["userIdentity", "invokedBy"]);
    let service_actor = match identity_type.as_deref() {
        Some("AWSService") => Some(invoked_by.map(str::to_string)),
        _ => None,
    };
    let mut user_name: Option<Value> = None;
    let mut user_id: Option<Value> = None;
    match &service_actor {
        Some(service) => {
            if let Some(s) = service {
                put(&mut out, "service.name", Value::String(s.clone()));
            }
        }
        None => {
            user_name = get(&json, &["userIdentity", "userName"]).cloned();
            user_id = get(&json, &["userIdentity", "principalId"]).cloned();
            if matches!(identity_type.as_deref(), Some("AssumedRole") | Some("FederatedUser")) {
                if let Some(n) = get(&json, &[sc[0], sc[1], "sessionIssuer", "userName"]) {
                    user_name = Some(n.clone());
                }
            }
        }
    }
    let mut related_user = List::default();
    let mut email: Option<String> = None;
    if matches!(
        identity_type.as_deref(),
        Some("AssumedRole") | Some("FederatedUser") | Some("IdentityCenterUser")
    ) {
        if let Some(arn) = get_str(&json, &["userIdentity", "arn"]).filter(|a| a.contains(":sts:")) {
            if let Some(session) = arn.rsplit('/').next().filter(|s| !s.is_empty() && *s != arn) {
                related_user.add(session);
                if let Some((local, _)) = session.split_once('@') {
                    related_user.add(local);
                    email = Some(session.to_string());
                }
            }
        }
    }
    if identity_type.as_deref() == Some("IdentityCenterUser") && user_id.is_none() {
        user_id = get(&json, &["userIdentity", "onBehalfOf", "userId"]).cloned();
    }
    if user_name.is_none() && service_actor.is_none() {
        user_name = auth_user_name;
    }
    if let Some(n) = &user_name {
        put(&mut out, "user.name", n.clone());
    }
    if let Some(i) = &user_id {
        put(&mut out, "user.id", i.clone());
    }

    // 8: provider, action, cloud
    if let Some(src) = get_str(&json, &["eventSource"]) {
        put(&mut out, "event.provider", Value::String(src.to_string()));
        if let Some(svc) = src.strip_suffix(".amazonaws.com") {
            put(&mut out, "cloud.service.name", Value::String(svc.to_string()));
        }
    }
    if let Some(name) = &event_name {
        put(&mut out, "event.action", Value::String(name.clone()));
    }
    put(&mut out, "cloud.provider", Value::String("aws".into()));
    copy(&mut out, &["awsRegion"], "cloud.region");

    // 9: source, user agent, errors
    let mut related_ip = List::default();
    let mut related_hosts = List::default();
    if let Some(addr) = json.get("sourceIPAddress") {
        put(&mut out, "source.address", addr.clone());
        if let Some(a) = addr.as_str() {
            if let Ok(ip) = a.parse::<std::net::IpAddr>() {
                put(&mut out, "source.ip", Value::String(a.to_string()));
                related_ip.add(a);
                if let Some(db) = &opts.geoip {
                    let (geo, asn) = db.lookup(ip);
                    if let Some(g) = geo {
                        put(&mut out, "source.geo", g);
                    }
                    if let Some(a) = asn {
                        put(&mut out, "source.as", a);
                    }
                }
            } else if a.contains('.') && !a.ends_with(".amazonaws.com") && !a.contains(' ') {
                related_hosts.add(a);
            }
        }
    }
    copy(&mut out, &["userAgent"], "user_agent.original");
    copy(&mut out, &["errorCode"], "aws.cloudtrail.error_code");
    copy(&mut out, &["errorMessage"], "aws.cloudtrail.error_message");

    // 10: stringified and flattened copies
    // The flattened copies are moved out of the record at the end, once nothing reads it.
    let mut flatten_later: Vec<(&str, &str)> = Vec::new();
    for ((from, to), s) in COPIES.iter().zip(java_strings) {
        if let (Some(_), Some(s)) = (json.get(*from), s) {
            let short = s.encode_utf16().count() < 32766;
            if opts.retain != Retain::Flattened {
                put(&mut out, &format!("{ct}{to}"), Value::String(s));
            }
            if short && opts.retain != Retain::Keyword {
                flatten_later.push((from, to));
            }
        }
    }

    // 11: renames
    copy(&mut out, &["requestID"], "aws.cloudtrail.request_id");
    copy(&mut out, &["eventID"], "event.id");
    copy(&mut out, &["eventType"], "aws.cloudtrail.event_type");
    copy(&mut out, &["eventCategory"], "aws.cloudtrail.event_category");
    copy(&mut out, &["apiVersion"], "aws.cloudtrail.api_version");
    if let Some(v) = json.get("managementEvent") {
        put(&mut out, "aws.cloudtrail.management_event", Value::String(scalar_string(v).unwrap_or_default()));
    }
    copy(&mut out, &["readOnly"], "aws.cloudtrail.read_only");
    if let Some(Value::Array(resources)) = json.get("resources") {
        let mut keys: Vec<String> = Vec::new();
        let mut by_key: Map<String, Value> = Map::new();
        for r in resources {
            let Some(obj) = r.as_object() else { continue };
            let mut res = Map::new();
            for (k, v) in obj {
                let k = match k.as_str() {
                    "ARN" => "arn",
                    "accountId" => "account_id",
                    other => other,
                };
                res.insert(k.to_string(), v.clone());
            }
            let part = |k: &str| res.get(k).and_then(scalar_string).unwrap_or_default();
            let key = format!("{}_{}_{}", part("arn"), part("account_id"), part("type"));
            if !by_key.contains_key(&key) {
                keys.push(key.clone());
            }
            by_key.insert(key, Value::Object(res));
        }
        let ordered = crate::java::hashmap_order(keys.iter().map(String::as_str));
        let list: Vec<Value> = ordered.into_iter().map(|k| by_key[k].clone()).collect();
        for r in &list {
            if let Some(arn) = r.get("arn").and_then(Value::as_str) {
                if let Some(id) = arn.split(":instance/").nth(1) {
                    add_instance(&mut related_hosts, id);
                }
            }
        }
        put(&mut out, "aws.cloudtrail.resources", Value::Array(list));
    }
    copy(&mut out, &["recipientAccountId"], "aws.cloudtrail.recipient_account_id");
    if let Some(v) = json.get("sharedEventID").or_else(|| json.get("sharedEventId")) {
        put(&mut out, "aws.cloudtrail.shared_event_id", v.clone());
    }
    copy(&mut out, &["vpcEndpointId"], "aws.cloudtrail.vpc_endpoint_id");
    copy(&mut out, &["vpcEndpointAccountId"], "aws.cloudtrail.vpc_endpoint_account_id");
    if let Some(v) = json.get("sessionCredentialFromConsole") {
        put(
            &mut out,
            "aws.cloudtrail.session_credential_from_console",
            Value::String(scalar_string(v).unwrap_or_default()),
        );
    }
    for (from, to) in [
        ("reason", "reason"),
        ("updatedFields", "updated_fields"),
        ("originalRequestID", "original_request_id"),
        ("originalEventID", "original_event_id"),
    ] {
        copy(&mut out, &["addendum", from], &format!("{ct}addendum.{to}"));
    }

    // 12: related.user from request/response, ConsoleLogin booleans, categorization, outcome
    let rp_user = get(&json, &["requestParameters", "userName"]).and_then(scalar_string);
    let rp_new_user = get(&json, &["requestParameters", "newUserName"]).and_then(scalar_string);
    let re_user_id = get(&json, &["responseElements", "user", "userId"]).and_then(scalar_string);
    if event_name.as_deref() == Some("ConsoleLogin") {
        let aed = json.get("additionalEventData");
        let yes_no = |k: &str| aed.and_then(|a| a.get(k)).map(|v| Value::Bool(v.as_str() != Some("No")));
        if let Some(b) = yes_no("MobileVersion") {
            put(&mut out, "aws.cloudtrail.console_login.additional_eventdata.mobile_version", b);
        }
        if let Some(v) = aed.and_then(|a| a.get("LoginTo")) {
            put(&mut out, "aws.cloudtrail.console_login.additional_eventdata.login_to", v.clone());
        }
        if let Some(b) = yes_no("MFAUsed") {
            put(&mut out, "aws.cloudtrail.console_login.additional_eventdata.mfa_used", b);
        }
    }
    put(&mut out, "event.kind", Value::String("event".into()));
    let (category, types) = event_name.as_deref().and_then(categorize).unwrap_or((&[], &["info"]));
    if !category.is_empty() {
        put(&mut out, "event.category", strings(category));
    }
    put(&mut out, "event.type", strings(types));
    let failed = json.get("errorCode").is_some() || json.get("errorMessage").is_some();
    let mut outcome = if failed { "failure".to_string() } else { "success".to_string() };
    if event_name.as_deref() == Some("ConsoleLogin") {
        if let Some(r) = get_str(&json, &["responseElements", "ConsoleLogin"]) {
            outcome = r.to_lowercase();
        }
    }
    put(&mut out, "event.outcome", Value::String(outcome));

    // 13: digest, insight, group and user targets, TLS
    if json.get("digestStartTime").is_some() || json.get("digestEndTime").is_some() {
        if let Some(ts) = get_str(&json, &["digestEndTime"]).and_then(iso_date) {
            put(&mut out, "@timestamp", Value::String(ts));
        }
        for (from, to) in [
            ("logFiles", "log_files"),
            ("digestStartTime", "start_time"),
            ("digestEndTime", "end_time"),
            ("digestS3Bucket", "s3_bucket"),
            ("newestEventTime", "newest_event_time"),
            ("oldestEventTime", "oldest_event_time"),
            ("previousDigestS3Bucket", "previous_s3_bucket"),
            ("previousDigestS3Object", "previous_s3_object"),
            ("previousDigestHashValue", "previous_hash_value"),
            ("previousDigestHashAlgorithm", "previous_hash_algorithm"),
            ("previousDigestSignature", "previous_signature"),
            ("digestPublicKeyFingerprint", "public_key_fingerprint"),
            ("digestSignatureAlgorithm", "signature_algorithm"),
        ] {
            copy(&mut out, &[from], &format!("{ct}flattened.digest.{to}"));
        }
        copy(&mut out, &["digestS3Object"], "file.path");
        if let Some(h) = get_str(&json, &["previousDigestHashValue"]) {
            put(&mut out, "related.hash", Value::Array(vec![Value::String(h.to_string())]));
        }
    }
    copy(&mut out, &["insightDetails"], "aws.cloudtrail.flattened.insight_details");
    copy(&mut out, &["requestParameters", "groupName"], "group.name");
    copy(&mut out, &["responseElements", "group", "groupId"], "group.id");
    if let Some(u) = &rp_user {
        put(&mut out, "user.target.name", Value::String(u.clone()));
    }
    if let Some(u) = &rp_new_user {
        put(&mut out, "user.changes.name", Value::String(u.clone()));
    }
    if let Some(u) = &re_user_id {
        put(&mut out, "user.target.id", Value::String(u.clone()));
    }
    if let Some(tls) = json.get("tlsDetails") {
        let version = tls.get("tlsVersion").and_then(Value::as_str);
        if version != Some("tlsVersion") {
            if let Some(v) = version {
                match v.split_once('v') {
                    Some((proto, ver)) if !proto.is_empty() => {
                        put(&mut out, "tls.version_protocol", Value::String(proto.to_lowercase()));
                        put(&mut out, "tls.version", Value::String(ver.to_string()));
                    }
                    _ => put(&mut out, "tls.version", Value::String(v.to_string())),
                }
            }
            if let Some(c) = tls.get("cipherSuite") {
                put(&mut out, "tls.cipher", c.clone());
            }
            if let Some(h) = tls.get("clientProvidedHostHeader") {
                put(&mut out, "tls.client.server_name", h.clone());
                if let Some(h) = h.as_str().filter(|h| !h.ends_with(".amazonaws.com")) {
                    related_hosts.add(h);
                }
            }
            if let Some(k) = tls.get("keyExchange") {
                put(&mut out, "aws.cloudtrail.tls_details.key_exchange", k.clone());
            }
        }
    }

    // 14: user.email, related.*
    let user_name_str = user_name.as_ref().and_then(scalar_string);
    if email.is_none() {
        email = user_name_str.clone().filter(|n| n.find('@').is_some_and(|i| i > 0));
    }
    if let Some(e) = email {
        put(&mut out, "user.email", Value::String(e));
    }
    for u in [&rp_user, &rp_new_user, &re_user_id].into_iter().flatten() {
        related_user.add(u);
    }
    if let Some(i) = user_id.as_ref().and_then(scalar_string) {
        related_user.add(&i);
    }
    if let Some(n) = &user_name_str {
        related_user.add(n);
    }
    if let Some(c) = &rp_new_user {
        related_user.add(c);
    }
    if let Some(o) = get_str(&json, &["userIdentity", "onBehalfOf", "userId"]) {
        related_user.add(o);
    }
    if let Some(ip) = get_str(&json, &["serviceEventDetails", "sourceIpAddress"]).filter(|s| is_ip(s)) {
        related_ip.add(ip);
    }
    if let Some(c) = get(&json, &["requestParameters", "computerName"]).and_then(scalar_string) {
        related_hosts.add(&c);
    }
    for part in ["requestParameters", "responseElements"] {
        if let Some(obj) = json.get(part) {
            for key in ["instanceId", "target", "resourceId"] {
                if let Some(id) = obj.get(key).and_then(Value::as_str) {
                    add_instance(&mut related_hosts, id);
                }
            }
            if let Some(Value::Array(ids)) = obj.get("instanceIds") {
                ids.iter().filter_map(Value::as_str).for_each(|id| add_instance(&mut related_hosts, id));
            }
            if let Some(Value::Array(items)) = get(obj, &["instancesSet", "items"]) {
                items
                    .iter()
                    .filter_map(|i| i.get("instanceId").and_then(Value::as_str))
                    .for_each(|id| add_instance(&mut related_hosts, id));
            }
        }
    }
    if let Some(v) = related_user.into_value() {
        put(&mut out, "related.user", v);
    }
    if let Some(v) = related_ip.into_value() {
        put(&mut out, "related.ip", v);
    }
    if let Some(v) = related_hosts.into_value() {
        put(&mut out, "related.hosts", v);
    }

    for (from, to) in flatten_later {
        let Some(v) = json.as_object_mut().and_then(|o| o.shift_remove(from)) else { continue };
        let flat = match (opts.retain, v) {
            (Retain::Minimal, Value::Object(m)) => Value::Object(
                m.into_iter().filter(|(k, _)| MINIMAL_KEYS.contains(&(to, k.as_str()))).collect(),
            ),
            (Retain::Minimal, _) => Value::Null,
            (_, v) => v,
        };
        put(&mut out, &format!("aws.cloudtrail.flattened.{to}"), flat);
    }

    // data stream constants (constant_keyword fields of the index, not written by the pipeline)
    put(&mut out, "event.dataset", Value::String(DATASET.into()));
    put(&mut out, "event.module", Value::String("aws".into()));
    put(&mut out, "data_stream.type", Value::String("logs".into()));
    put(&mut out, "data_stream.dataset", Value::String(DATASET.into()));
    put(&mut out, "data_stream.namespace", Value::String(opts.namespace.clone()));
    if let Some(i) = &opts.ingested {
        put(&mut out, "event.ingested", Value::String(i.clone()));
    }

    // 15: errors, final purge
    let pipeline_error = if errors.is_empty() {
        None
    } else {
        let msg = errors.join("; ");
        put(&mut out, "error.message", Value::Array(errors.into_iter().map(Value::String).collect()));
        put(&mut out, "event.kind", Value::String("pipeline_error".into()));
        put(&mut out, "tags", Value::Array(vec![Value::String("preserve_original_event".into())]));
        Some(msg)
    };
    let mut doc = Value::Object(out.build());
    purge(&mut doc, false);
    Normalized { doc, pipeline_error }
}

fn add_instance(list: &mut List, id: &str) {
    let id = id.split('/').next().unwrap_or(id);
    if id.starts_with("i-") && id.len() >= 10 {
        list.add(id);
    }
}

fn strings(xs: &[&str]) -> Value {
    Value::Array(xs.iter().map(|s| Value::String(s.to_string())).collect())
}
