//! The services context's settings: where case files go when not to a directory, an S3-compatible
//! bucket (`SGH_FILES_S3_*`).

use crate::config::{invalid, ConfigError, Vars};

/// The S3-compatible bucket files go to, when `SGH_FILES_S3_BUCKET` names one.
pub(crate) fn files_s3(v: &Vars) -> Result<Option<infra::files::S3Settings>, ConfigError> {
    let Some(bucket) = v.get("SGH_FILES_S3_BUCKET") else {
        // The rest without a bucket would keep files on each instance's own disk, unnoticed.
        return match v.any_with("SGH_FILES_S3_") {
            Some(k) => Err(invalid("SGH_FILES_S3_BUCKET", format!("required with {k}"))),
            None => Ok(None),
        };
    };
    let required = |var: &'static str| {
        v.get(var).map(str::to_owned).ok_or_else(|| invalid(var, "required with SGH_FILES_S3_BUCKET"))
    };
    let endpoint = required("SGH_FILES_S3_ENDPOINT")?;
    let endpoint = infra::files::S3Settings::endpoint(&endpoint)
        .ok_or_else(|| invalid("SGH_FILES_S3_ENDPOINT", "an http(s) URL of the store, without a path"))?;
    let prefix = v.get("SGH_FILES_S3_PREFIX").unwrap_or("").to_owned();
    if !infra::files::S3Settings::prefix_ok(&prefix) {
        return Err(invalid("SGH_FILES_S3_PREFIX", "a key prefix like sgh/ (ending in /; no leading /, '.' or '..')"));
    }
    Ok(Some(infra::files::S3Settings {
        endpoint,
        bucket: bucket.to_owned(),
        prefix,
        credentials: infra::files::sigv4::Credentials {
            access_key: required("SGH_FILES_S3_ACCESS_KEY")?,
            secret_key: required("SGH_FILES_S3_SECRET_KEY")?,
            region: v.get("SGH_FILES_S3_REGION").unwrap_or("us-east-1").to_owned(),
        },
        timeout: v.millis("SGH_FILES_S3_TIMEOUT_MS", 30_000, 1..=600_000)?,
    }))
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_bucket_is_all_or_nothing_and_its_prefix_is_kept_as_signed() {
        let s3 = [
            ("SGH_FILES_S3_BUCKET", "sgh-files"),
            ("SGH_FILES_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("SGH_FILES_S3_ACCESS_KEY", "AKID"),
            ("SGH_FILES_S3_SECRET_KEY", "secret"),
        ];
        let c = Config::from_vars(vars(&s3)).unwrap();
        assert_eq!(c.storage.files_s3.map(|b| b.bucket), Some("sgh-files".to_owned()));
        let without_bucket = Config::from_vars(vars(&s3[1..]));
        assert!(matches!(without_bucket, Err(ConfigError::Invalid { var: "SGH_FILES_S3_BUCKET", .. })));
        let without_key = Config::from_vars(vars(&[s3[0], s3[1], s3[3]]));
        assert!(matches!(without_key, Err(ConfigError::Invalid { var: "SGH_FILES_S3_ACCESS_KEY", .. })));
        for prefix in ["./", "a/../", "/a/", "a", "a//"] {
            let bad = Config::from_vars(vars(&[&s3[..], &[("SGH_FILES_S3_PREFIX", prefix)]].concat()));
            assert!(matches!(bad, Err(ConfigError::Invalid { var: "SGH_FILES_S3_PREFIX", .. })), "{prefix}");
        }
        let path = Config::from_vars(vars(&[&s3[..], &[("SGH_FILES_S3_ENDPOINT", "http://store:9000/base")]].concat()));
        assert!(matches!(path, Err(ConfigError::Invalid { var: "SGH_FILES_S3_ENDPOINT", .. })));
    }
}
