//! Realistic synthetic CloudTrail, deterministic for a seed (ChaCha8, stable across platforms).
//!
//! The mix follows what real accounts look like: read-only Describe/Get/List calls dominate,
//! with AssumeRole, KMS Decrypt, S3 GetObject and ConsoleLogin present; IAM users, assumed roles,
//! AWS services and (rarely) root; a few percent of calls fail; addresses, user agents, regions
//! and request parameters vary. Output is the S3 delivery layout
//! (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<id>.json.gz`,
//! each file a `{"Records": [...]}` object of a few hundred to a few thousand records) or NDJSON.

use ecs::time::{civil_from_days, format_millis, Millis};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Output container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"Records": [...]}` files, gzip-compressed, in the S3 layout.
    S3,
    /// One raw record per line, one file per region and day, uncompressed.
    Ndjson,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub events: u64,
    pub seed: u64,
    pub format: Format,
    /// First event time (ms since the epoch).
    pub start: Millis,
    /// Mean gap between events in milliseconds.
    pub mean_gap_ms: f64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            events: 10_000,
            seed: 1,
            format: Format::S3,
            // 2026-11-01T00:00:00Z
            start: 1_793_491_200_000,
            mean_gap_ms: 250.0,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files: Vec<PathBuf>,
    pub events: u64,
    pub bytes: u64,
}

const ACCOUNT: &str = "111122223333";
const REGIONS: &[(&str, u32)] =
    &[("us-east-1", 50), ("us-west-2", 20), ("eu-west-1", 18), ("ap-southeast-2", 7), ("sa-east-1", 5)];
const USERS: &[&str] = &["alice", "bob", "carol", "deploy-bot", "terraform", "backup-svc", "dave.ops"];
const ROLES: &[(&str, &str)] = &[
    ("AdminRole", "alice@example.com"),
    ("ReadOnly", "bob@example.com"),
    ("eks-node-role", "i-0a1b2c3d4e5f60718"),
    ("lambda-etl", "etl-function"),
    ("ci-deployer", "github-actions-1234"),
    ("AWSReservedSSO_PowerUser_1a2b3c", "carol@example.com"),
];
const USER_AGENTS: &[&str] = &[
    "aws-cli/2.17.60 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.cp",
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36",
    "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/sts#1.32.2",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2",
    "aws-internal/3 aws-sdk-java/1.12.770 Linux/5.10.227-198.884.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard",
    "console.amazonaws.com",
];

/// (eventSource, eventName, weight, readOnly)
const CALLS: &[(&str, &str, u32, bool)] = &[
    ("ec2.amazonaws.com", "DescribeInstances", 900, true),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 300, true),
    ("ec2.amazonaws.com", "DescribeVolumes", 200, true),
    ("ec2.amazonaws.com", "DescribeSnapshots", 120, true),
    ("s3.amazonaws.com", "GetObject", 700, true),
    ("s3.amazonaws.com", "ListBuckets", 150, true),
    ("s3.amazonaws.com", "GetBucketAcl", 120, true),
    ("s3.amazonaws.com", "HeadObject", 160, true),
    ("s3.amazonaws.com", "PutObject", 180, false),
    ("sts.amazonaws.com", "AssumeRole", 600, true),
    ("sts.amazonaws.com", "GetCallerIdentity", 250, true),
    ("kms.amazonaws.com", "Decrypt", 650, true),
    ("kms.amazonaws.com", "GenerateDataKey", 200, true),
    ("iam.amazonaws.com", "ListRoles", 120, true),
    ("iam.amazonaws.com", "GetRole", 140, true),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", 80, true),
    ("iam.amazonaws.com", "GetUser", 60, true),
    ("logs.amazonaws.com", "DescribeLogGroups", 180, true),
    ("logs.amazonaws.com", "CreateLogStream", 90, false),
    ("cloudwatch.amazonaws.com", "GetMetricData", 220, true),
    ("lambda.amazonaws.com", "ListFunctions20150331", 70, true),
    ("lambda.amazonaws.com", "GetFunction20150331v2", 40, true),
    ("dynamodb.amazonaws.com", "DescribeTable", 110, true),
    ("secretsmanager.amazonaws.com", "GetSecretValue", 90, true),
    ("ssm.amazonaws.com", "GetParameter", 120, true),
    ("ssm.amazonaws.com", "UpdateInstanceInformation", 150, false),
    ("signin.amazonaws.com", "ConsoleLogin", 25, false),
    ("cloudtrail.amazonaws.com", "LookupEvents", 20, true),
    ("config.amazonaws.com", "DescribeConfigRules", 30, true),
    ("rds.amazonaws.com", "DescribeDBInstances", 60, true),
    ("ecr.amazonaws.com", "GetAuthorizationToken", 60, true),
    ("ec2.amazonaws.com", "RunInstances", 8, false),
    ("ec2.amazonaws.com", "CreateTags", 15, false),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 4, false),
    ("iam.amazonaws.com", "CreateAccessKey", 2, false),
    ("iam.amazonaws.com", "AttachRolePolicy", 3, false),
    ("s3.amazonaws.com", "PutBucketPolicy", 2, false),
    ("elasticache.amazonaws.com", "DescribeCacheClusters", 10, true),
];

#[derive(Clone, Copy)]
enum Weights {
    Calls,
    Regions,
}

struct Gen {
    rng: ChaCha8Rng,
    call_weights: Vec<u32>,
    region_weights: Vec<u32>,
}

impl Gen {
    fn pick_weighted(&mut self, which: Weights) -> usize {
        let weights = match which {
            Weights::Calls => &self.call_weights,
            Weights::Regions => &self.region_weights,
        };
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.gen_range(0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from_digit(self.rng.gen_range(0..16), 16).unwrap()).collect()
    }

    fn uuid(&mut self) -> String {
        format!("{}-{}-4{}-a{}-{}", self.hex(8), self.hex(4), self.hex(3), self.hex(3), self.hex(12))
    }

    fn ip(&mut self) -> String {
        match self.rng.gen_range(0..10) {
            0..=3 => format!(
                "10.{}.{}.{}",
                self.rng.gen_range(0..32),
                self.rng.gen_range(0..255),
                self.rng.gen_range(1..255)
            ),
            4..=7 => format!(
                "{}.{}.{}.{}",
                [198, 203, 192][self.rng.gen_range(0..3)],
                self.rng.gen_range(0..255),
                self.rng.gen_range(0..255),
                self.rng.gen_range(1..255)
            ),
            8 => format!("2001:db8:{:x}::{:x}", self.rng.gen_range(0..0xffff), self.rng.gen_range(1..0xffff)),
            _ => format!(
                "{}.{}.{}.{}",
                self.rng.gen_range(11..223),
                self.rng.gen_range(0..255),
                self.rng.gen_range(0..255),
                self.rng.gen_range(1..255)
            ),
        }
    }

    fn identity(&mut self, source: &str) -> (Value, Option<String>) {
        let kind = self.rng.gen_range(0..100);
        if source == "kms.amazonaws.com" && kind < 30 || kind >= 97 {
            const SERVICES: [&str; 4] =
                ["ec2.amazonaws.com", "lambda.amazonaws.com", "cloudtrail.amazonaws.com", "s3.amazonaws.com"];
            let svc = SERVICES[self.rng.gen_range(0..4)];
            return (json!({"type": "AWSService", "invokedBy": svc}), Some(svc.to_string()));
        }
        if kind < 35 {
            let user = USERS[self.rng.gen_range(0..USERS.len())];
            let key = format!("AKIA{}", self.hex(16).to_uppercase());
            return (
                json!({"type": "IAMUser", "principalId": format!("AIDA{}", self.hex(17).to_uppercase()),
                    "arn": format!("arn:aws:iam::{ACCOUNT}:user/{user}"), "accountId": ACCOUNT,
                    "accessKeyId": key, "userName": user}),
                None,
            );
        }
        if kind == 96 {
            return (
                json!({"type": "Root", "principalId": ACCOUNT, "arn": format!("arn:aws:iam::{ACCOUNT}:root"), "accountId": ACCOUNT}),
                None,
            );
        }
        let (role, session) = ROLES[self.rng.gen_range(0..ROLES.len())];
        let role_id = format!("AROA{}", self.hex(17).to_uppercase());
        let created = format_millis(1_793_491_200_000 + self.rng.gen_range(0..86_400_000));
        (
            json!({"type": "AssumedRole", "principalId": format!("{role_id}:{session}"),
                "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"), "accountId": ACCOUNT,
                "accessKeyId": format!("ASIA{}", self.hex(16).to_uppercase()),
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_id,
                    "arn": format!("arn:aws:iam::{ACCOUNT}:role/{role}"), "accountId": ACCOUNT, "userName": role},
                    "attributes": {"creationDate": created, "mfaAuthenticated": if self.rng.gen_bool(0.3) { "true" } else { "false" }}}}),
            None,
        )
    }

    fn params(&mut self, name: &str, region: &str) -> (Value, Value) {
        let bucket =
            ["prod-data-lake", "app-assets-111122223333", "cloudtrail-logs-111122223333", "backups-eu"]
                [self.rng.gen_range(0..4)];
        let instance = format!("i-0{}", self.hex(16));
        let rp = match name {
            "DescribeInstances" => {
                json!({"instancesSet": {"items": [{"instanceId": instance}]}, "filterSet": {}})
            }
            "DescribeSecurityGroups" => {
                json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "maxResults": 1000})
            }
            "DescribeVolumes" | "DescribeSnapshots" => json!({"maxResults": 500}),
            "GetObject" | "HeadObject" | "PutObject" => {
                json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "key": format!("data/{}/part-{:05}.parquet", self.rng.gen_range(2020..2027), self.rng.gen_range(0..99999))})
            }
            "GetBucketAcl" => {
                json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "acl": ""})
            }
            "AssumeRole" => {
                json!({"roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{}", ROLES[self.rng.gen_range(0..ROLES.len())].0), "roleSessionName": format!("session-{}", self.hex(8)), "durationSeconds": 3600})
            }
            "Decrypt" | "GenerateDataKey" => {
                json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": format!("arn:aws:kms:{region}:{ACCOUNT}:key/{}", self.uuid()), "encryptionContext": {"aws:s3:arn": format!("arn:aws:s3:::{bucket}")}})
            }
            "GetRole" | "ListAttachedRolePolicies" => {
                json!({"roleName": ROLES[self.rng.gen_range(0..ROLES.len())].0})
            }
            "GetUser" => json!({"userName": USERS[self.rng.gen_range(0..USERS.len())]}),
            "GetSecretValue" => json!({"secretId": format!("prod/app/db-{}", self.rng.gen_range(1..5))}),
            "GetParameter" => {
                let param = ["db_host", "api_key", "feature_flags"][self.rng.gen_range(0..3)];
                json!({"name": format!("/app/config/{param}"), "withDecryption": self.rng.gen_bool(0.4)})
            }
            "CreateLogStream" => {
                json!({"logGroupName": "/aws/lambda/etl", "logStreamName": format!("2026/11/01/[$LATEST]{}", self.hex(32))})
            }
            "DescribeTable" => {
                let table = ["orders", "sessions", "users"][self.rng.gen_range(0..3)];
                json!({ "tableName": table })
            }
            "RunInstances" => {
                json!({"instancesSet": {"items": [{"imageId": format!("ami-0{}", self.hex(16)), "minCount": 1, "maxCount": 1}]}, "instanceType": "t3.micro"})
            }
            "CreateTags" => {
                json!({"resourcesSet": {"items": [{"resourceId": instance}]}, "tagSet": {"items": [{"key": "team", "value": "data"}]}})
            }
            "AuthorizeSecurityGroupIngress" => {
                json!({"groupId": format!("sg-0{}", self.hex(16)), "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}})
            }
            "CreateAccessKey" => json!({"userName": USERS[self.rng.gen_range(0..USERS.len())]}),
            "AttachRolePolicy" => {
                json!({"roleName": "lambda-etl", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})
            }
            "PutBucketPolicy" => {
                json!({"bucketName": bucket, "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]}})
            }
            "UpdateInstanceInformation" => {
                json!({"instanceId": instance, "agentVersion": "3.3.987.0", "agentStatus": "Active", "platformType": "Linux"})
            }
            _ => Value::Null,
        };
        let re = match name {
            "AssumeRole" => {
                json!({"credentials": {"accessKeyId": format!("ASIA{}", self.hex(16).to_uppercase()), "sessionToken": "HIDDEN", "expiration": "Nov 1, 2026, 1:00:00 PM"}, "assumedRoleUser": {"assumedRoleId": format!("AROA{}:session", self.hex(17).to_uppercase()), "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/session")}})
            }
            "ConsoleLogin" => json!({"ConsoleLogin": "Success"}),
            "CreateAccessKey" => {
                json!({"accessKey": {"accessKeyId": format!("AKIA{}", self.hex(16).to_uppercase()), "status": "Active", "userName": "bob"}})
            }
            _ => Value::Null,
        };
        (rp, re)
    }

    fn record(&mut self, time: Millis) -> Value {
        let call = CALLS[self.pick_weighted(Weights::Calls)];
        let (source, name, _, read_only) = call;
        let region = REGIONS[self.pick_weighted(Weights::Regions)].0;
        let region = if source == "iam.amazonaws.com" || source == "signin.amazonaws.com" {
            "us-east-1"
        } else {
            region
        };
        let (identity, service) = self.identity(source);
        let (source_ip, ua) = match &service {
            Some(svc) => (svc.clone(), svc.clone()),
            None => (self.ip(), USER_AGENTS[self.rng.gen_range(0..USER_AGENTS.len())].to_string()),
        };
        let (rp, re) = self.params(name, region);
        let mut r = Map::new();
        r.insert("eventVersion".into(), json!("1.10"));
        r.insert("userIdentity".into(), identity);
        r.insert("eventTime".into(), json!(format!("{}Z", &format_millis(time)[..19])));
        r.insert("eventSource".into(), json!(source));
        r.insert("eventName".into(), json!(name));
        r.insert("awsRegion".into(), json!(region));
        r.insert("sourceIPAddress".into(), json!(source_ip));
        r.insert("userAgent".into(), json!(ua));
        let fail = self.rng.gen_range(0..100) < 3;
        if fail {
            let (code, msg) = [
                ("AccessDenied", "User is not authorized to perform this operation"),
                ("ThrottlingException", "Rate exceeded"),
                ("Client.UnauthorizedOperation", "You are not authorized to perform this operation."),
                ("NoSuchKey", "The specified key does not exist."),
            ][self.rng.gen_range(0..4)];
            r.insert("errorCode".into(), json!(code));
            r.insert("errorMessage".into(), json!(msg));
        }
        if name == "ConsoleLogin" {
            r.insert("requestParameters".into(), Value::Null);
            let ok = !fail;
            r.insert(
                "responseElements".into(),
                json!({"ConsoleLogin": if ok { "Success" } else { "Failure" }}),
            );
            r.insert("additionalEventData".into(), json!({"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": if self.rng.gen_bool(0.8) { "Yes" } else { "No" }}));
        } else {
            r.insert("requestParameters".into(), rp);
            r.insert("responseElements".into(), if fail { Value::Null } else { re });
        }
        r.insert("requestID".into(), json!(self.uuid()));
        r.insert("eventID".into(), json!(self.uuid()));
        r.insert("readOnly".into(), json!(read_only));
        if name.starts_with("GetObject") || name == "PutObject" || name == "HeadObject" {
            r.insert(
                "resources".into(),
                json!([{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::bucket/key"}]),
            );
            r.insert("eventType".into(), json!("AwsApiCall"));
            r.insert("managementEvent".into(), json!(false));
            r.insert("eventCategory".into(), json!("Data"));
        } else {
            r.insert(
                "eventType".into(),
                json!(if name == "ConsoleLogin" { "AwsConsoleSignIn" } else { "AwsApiCall" }),
            );
            r.insert("managementEvent".into(), json!(true));
            r.insert("eventCategory".into(), json!("Management"));
        }
        r.insert("recipientAccountId".into(), json!(ACCOUNT));
        if service.is_none() && self.rng.gen_bool(0.9) {
            r.insert(
                "tlsDetails".into(),
                json!({"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": format!("{}.{region}.amazonaws.com", source.trim_end_matches(".amazonaws.com"))}),
            );
        }
        Value::Object(r)
    }
}

/// Generate `spec.events` records into `out`.
pub fn generate(spec: &Spec, out: &Path) -> std::io::Result<Summary> {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        call_weights: CALLS.iter().map(|c| c.2).collect(),
        region_weights: REGIONS.iter().map(|r| r.1).collect(),
    };
    // File names draw from their own stream, so both formats hold the same records.
    let mut names = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5eed_f11e);
    let mut summary = Summary::default();
    let mut time = spec.start;
    let mut remaining = spec.events;
    let mut file_no = 0u64;
    while remaining > 0 {
        // One delivery file: a few hundred to a few thousand records, one region, ~5 minutes.
        let n = g.rng.gen_range(300..3000).min(remaining);
        let mut records = Vec::with_capacity(n as usize);
        for _ in 0..n {
            time += (-(1.0 - g.rng.gen::<f64>()).ln() * spec.mean_gap_ms) as Millis;
            records.push(g.record(time));
        }
        records.shuffle(&mut g.rng); // CloudTrail files are not sorted by time
        remaining -= n;
        file_no += 1;
        let region = records[0]["awsRegion"].as_str().unwrap_or("us-east-1").to_string();
        let days = time.div_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let stamp = format_millis(time);
        let compact: String = stamp[..16].replace(['-', ':'], "") + "Z";
        let (path, bytes) = match spec.format {
            Format::S3 => {
                let dir = out.join(format!("AWSLogs/{ACCOUNT}/CloudTrail/{region}/{y:04}/{m:02}/{d:02}"));
                std::fs::create_dir_all(&dir)?;
                let suffix: u64 = names.gen();
                let path = dir.join(format!("{ACCOUNT}_CloudTrail_{region}_{compact}_{suffix:016x}.json.gz"));
                let body = serde_json::to_vec(&json!({ "Records": records }))?;
                let f = std::io::BufWriter::new(std::fs::File::create(&path)?);
                let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
                enc.write_all(&body)?;
                enc.finish()?.flush()?;
                (path, body.len() as u64)
            }
            Format::Ndjson => {
                std::fs::create_dir_all(out)?;
                let path = out.join(format!("cloudtrail-{file_no:05}.ndjson"));
                let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
                let mut bytes = 0;
                for r in &records {
                    let line = serde_json::to_vec(r)?;
                    bytes += line.len() as u64 + 1;
                    f.write_all(&line)?;
                    f.write_all(b"\n")?;
                }
                f.flush()?;
                (path, bytes)
            }
        };
        summary.files.push(path);
        summary.events += n;
        summary.bytes += bytes;
    }
    Ok(summary)
}
