//! An S3-compatible object store for the file-store tests: moto's server (from the CI virtualenv,
//! `SGH_PYTHON`) with its IAM checks on, so every request our adapter sends must carry a valid
//! SigV4 signature of a key it issued. Set up with boto3, the stock AWS SDK: a user allowed
//! `s3:*`, their access key, and a bucket. Stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Options;

pub struct ObjectStore {
    python: String,
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    server: Child,
}

/// The requests moto takes before it checks signatures: those that make the user, its policy and key.
const SETUP_REQUESTS: u32 = 3;

const SETUP: &str = r#"
import json, sys, boto3, botocore
endpoint, bucket = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=endpoint, aws_access_key_id="setup", aws_secret_access_key="setup", region_name="us-east-1")
iam.create_user(UserName="sgh")
iam.put_user_policy(UserName="sgh", PolicyName="files", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="sgh")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key["AccessKeyId"],
    aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1",
    config=botocore.config.Config(s3={"addressing_style": "path"}))
s3.create_bucket(Bucket=bucket)
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;

const OBJECTS: &str = r#"
import sys, boto3, botocore
endpoint, bucket, access, secret = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
    region_name="us-east-1", config=botocore.config.Config(s3={"addressing_style": "path"}))
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    for o in page.get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        print(o["Key"], body.hex())
"#;

impl ObjectStore {
    /// A store with a bucket, or `None` when the test is skipped (no `SGH_PYTHON`; a failure under CI).
    pub fn start_or_skip(test: &str) -> Option<ObjectStore> {
        let python = crate::tool_or_skip("SGH_PYTHON", test)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_REQUESTS.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto's server starts (pip install 'moto[server]' in SGH_PYTHON's environment)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto's server did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        let bucket = "sgh-files".to_owned();
        let out = Command::new(&python).args(["-c", SETUP, &endpoint, &bucket]).output().expect("boto3 runs");
        assert!(out.status.success(), "setting up the store: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let (access_key, secret_key) = text.trim().split_once(' ').expect("a key and its secret");
        Some(ObjectStore {
            python,
            endpoint,
            bucket,
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            server,
        })
    }

    /// The settings that send the service's files here, with `prefix` before each key.
    pub fn options(&self, prefix: &str) -> Options {
        Options::default()
            .var("SGH_FILES_S3_ENDPOINT", &self.endpoint)
            .var("SGH_FILES_S3_BUCKET", &self.bucket)
            .var("SGH_FILES_S3_PREFIX", prefix)
            .var("SGH_FILES_S3_ACCESS_KEY", &self.access_key)
            .var("SGH_FILES_S3_SECRET_KEY", &self.secret_key)
            .var("SGH_FILES_S3_TIMEOUT_MS", 3_000)
    }

    /// Every object in the bucket with its bytes, read with boto3.
    pub fn objects(&self) -> Vec<(String, Vec<u8>)> {
        let out = Command::new(&self.python)
            .args(["-c", OBJECTS, &self.endpoint, &self.bucket, &self.access_key, &self.secret_key])
            .output()
            .expect("boto3 runs");
        assert!(out.status.success(), "listing the bucket: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (key, hex) = l.split_once(' ').unwrap_or((l, ""));
                (key.to_owned(), hex::decode(hex).unwrap())
            })
            .collect()
    }

    /// Stops the store, as an outage.
    pub fn stop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        self.stop();
    }
}
