//! A kind's form: typed fields with bounds and the attachments it asks for, and a member's answers
//! parsed against it — an answer that does not fit its field is never stored.

use chrono::NaiveDate;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

use crate::members::IdNumber;
use crate::shared::money::Fen;

/// The most fields a form may have, and attachments it may ask for.
pub const MAX_FIELDS: usize = 30;
pub const MAX_ATTACHMENT_SLOTS: usize = 10;
/// The most one attached file may be: scans and phone photos fit well inside it.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// The most files one slot takes.
pub const MAX_FILES_PER_SLOT: u32 = 10;
const MAX_TEXT: u32 = 5_000;

/// A field's or an attachment slot's name in the form: `[a-z][a-z0-9_]{0,31}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldKey(String);

impl FieldKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let b = raw.as_bytes();
        let ok = (1..=32).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// Free text of at most `max_chars` characters.
    Text { max_chars: u32 },
    /// A whole number in `[min, max]`.
    Number { min: i64, max: i64 },
    /// An amount of money in fen, `[min, max]`.
    Fen { min: i64, max: i64 },
    /// A calendar date in `[min, max]` where given.
    Date { min: Option<NaiveDate>, max: Option<NaiveDate> },
    /// One of the options, as written.
    Choice { options: Vec<String> },
    /// A 居民身份证 number (a family member's: a child's for a school grant).
    IdNumber,
}

impl FieldType {
    pub fn as_str(&self) -> &'static str {
        match self {
            FieldType::Text { .. } => "text",
            FieldType::Number { .. } => "number",
            FieldType::Fen { .. } => "fen",
            FieldType::Date { .. } => "date",
            FieldType::Choice { .. } => "choice",
            FieldType::IdNumber => "id_number",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    pub key: FieldKey,
    pub label: String,
    pub required: bool,
    pub ty: FieldType,
}

/// A kind of file a slot takes, judged by its first bytes, never by its name or declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Jpeg, FileType::Png];

    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    /// What the file's first bytes say it is.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileType::Png)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentSpec {
    pub key: FieldKey,
    pub label: String,
    pub required: bool,
    pub max_files: u32,
    pub max_bytes: u64,
    pub types: Vec<FileType>,
}

/// The fields and attachment slots of a kind, checked when staff set them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form {
    fields: Vec<FieldSpec>,
    attachments: Vec<AttachmentSpec>,
}

/// What is wrong with a form, a field or an answer: where, and why in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub zh: String,
    pub en: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { field: field.into(), zh: zh.into(), en: en.into() }
    }
}

fn label_ok(label: &str) -> bool {
    crate::shared::text::visible(label, 60).is_some_and(|l| l == label)
}

impl Form {
    pub fn parse(fields: Vec<FieldSpec>, attachments: Vec<AttachmentSpec>) -> Result<Self, Problem> {
        if fields.len() > MAX_FIELDS || attachments.len() > MAX_ATTACHMENT_SLOTS {
            return Err(Problem::new(
                "form",
                format!("表单最多 {MAX_FIELDS} 项、附件最多 {MAX_ATTACHMENT_SLOTS} 类"),
                format!("a form has at most {MAX_FIELDS} fields and {MAX_ATTACHMENT_SLOTS} attachment slots"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for key in fields.iter().map(|f| &f.key).chain(attachments.iter().map(|a| &a.key)) {
            if !seen.insert(key.clone()) {
                return Err(Problem::new(key.as_str(), "表单项名称重复", format!("{key} is named twice")));
            }
        }
        for f in &fields {
            let at = |zh: &str, en: &str| Problem::new(f.key.as_str(), zh, en);
            if !label_ok(&f.label) {
                return Err(at("标签须为 1–60 个可见字符", "a label is 1-60 visible characters"));
            }
            match &f.ty {
                FieldType::Text { max_chars } if !(1..=MAX_TEXT).contains(max_chars) => {
                    return Err(at("文本长度上限须为 1–5000", "max_chars is 1-5000"));
                }
                FieldType::Number { min, max } | FieldType::Fen { min, max } if min > max || *min < 0 => {
                    return Err(at("取值范围无效", "min must be 0 or more and no more than max"));
                }
                FieldType::Fen { max, .. } if *max > crate::shared::money::MAX_PAYMENT.get() => {
                    return Err(at("金额上限过大", "max is at most 1000000000 fen"));
                }
                FieldType::Date { min: Some(a), max: Some(b) } if a > b => {
                    return Err(at("日期范围无效", "min is after max"));
                }
                FieldType::Choice { options }
                    if options.is_empty()
                        || options.len() > 50
                        || options.iter().any(|o| !label_ok(o))
                        || options.iter().collect::<std::collections::BTreeSet<_>>().len() != options.len() =>
                {
                    return Err(at("选项须为 1–50 个互不相同的可见文本", "options are 1-50 distinct visible texts"));
                }
                _ => {}
            }
        }
        for a in &attachments {
            let at = |zh: &str, en: &str| Problem::new(a.key.as_str(), zh, en);
            if !label_ok(&a.label) {
                return Err(at("标签须为 1–60 个可见字符", "a label is 1-60 visible characters"));
            }
            if !(1..=MAX_FILES_PER_SLOT).contains(&a.max_files) {
                return Err(at("每类附件 1–10 个文件", "max_files is 1-10"));
            }
            if !(1..=MAX_FILE_BYTES).contains(&a.max_bytes) {
                return Err(at("单个文件上限须为 1 字节至 10 MiB", "max_bytes is 1 to 10485760"));
            }
            if a.types.is_empty() {
                return Err(at("请至少选择一种文件类型", "name at least one file type"));
            }
        }
        Ok(Self { fields, attachments })
    }

    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    pub fn attachments(&self) -> &[AttachmentSpec] {
        &self.attachments
    }

    pub fn slot(&self, key: &str) -> Option<&AttachmentSpec> {
        self.attachments.iter().find(|a| a.key.as_str() == key)
    }

    pub fn field(&self, key: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.key.as_str() == key)
    }

    /// A member's answers, each checked against its field; every problem found, not just the first.
    pub fn answer(&self, raw: &Map<String, Json>, today: NaiveDate) -> Result<Answers, Vec<Problem>> {
        let mut problems = Vec::new();
        for key in raw.keys() {
            if self.field(key).is_none() {
                problems.push(Problem::new(key.clone(), "表单中没有此项", format!("the form has no field {key}")));
            }
        }
        let mut answers = BTreeMap::new();
        for f in &self.fields {
            match raw.get(f.key.as_str()) {
                None | Some(Json::Null) if f.required => {
                    problems.push(Problem::new(f.key.as_str(), "此项必填", "required"));
                }
                None | Some(Json::Null) => {}
                Some(v) => match value(&f.ty, v, today) {
                    Ok(v) => {
                        answers.insert(f.key.clone(), v);
                    }
                    Err((zh, en)) => problems.push(Problem::new(f.key.as_str(), zh, en)),
                },
            }
        }
        if problems.is_empty() {
            Ok(Answers(answers))
        } else {
            Err(problems)
        }
    }
}

fn value(ty: &FieldType, v: &Json, today: NaiveDate) -> Result<Value, (String, String)> {
    let bad = |zh: &str, en: &str| (zh.to_owned(), en.to_owned());
    match ty {
        FieldType::Text { max_chars } => {
            let s = v.as_str().ok_or_else(|| bad("须为文本", "must be a string"))?;
            crate::shared::text::visible(s, *max_chars as usize).map(Value::Text).ok_or_else(|| {
                (format!("须为 1–{max_chars} 个可见字符"), format!("must be 1-{max_chars} visible characters"))
            })
        }
        FieldType::Number { min, max } | FieldType::Fen { min, max } => {
            let n = v.as_i64().ok_or_else(|| bad("须为整数", "must be a whole number"))?;
            if !(*min..=*max).contains(&n) {
                return Err((format!("须在 {min}–{max} 之间"), format!("must be {min} to {max}")));
            }
            Ok(if matches!(ty, FieldType::Fen { .. }) { Value::Fen(Fen::new(n)) } else { Value::Number(n) })
        }
        FieldType::Date { min, max } => {
            let d: NaiveDate = v
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("须为日期（YYYY-MM-DD）", "must be a date, YYYY-MM-DD"))?;
            if min.is_some_and(|m| d < m) || max.is_some_and(|m| d > m) {
                return Err(bad("日期超出允许范围", "the date is out of range"));
            }
            Ok(Value::Date(d))
        }
        FieldType::Choice { options } => {
            let s = v.as_str().ok_or_else(|| bad("须为文本", "must be a string"))?;
            options
                .iter()
                .find(|o| o.as_str() == s)
                .map(|o| Value::Choice(o.clone()))
                .ok_or_else(|| bad("不是可选项之一", "is not one of the options"))
        }
        FieldType::IdNumber => {
            let s = v.as_str().ok_or_else(|| bad("须为文本", "must be a string"))?;
            IdNumber::parse(s, today)
                .map(|id| Value::IdNumber(id.as_str().to_owned()))
                .map_err(|e| ("身份证号码无效".to_owned(), format!("not a valid ID number: {e}")))
        }
    }
}

/// One answer, typed as its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Number(i64),
    Fen(Fen),
    Date(NaiveDate),
    Choice(String),
    IdNumber(String),
}

impl Value {
    pub fn to_json(&self) -> Json {
        match self {
            Value::Text(s) | Value::Choice(s) | Value::IdNumber(s) => Json::String(s.clone()),
            Value::Number(n) => Json::from(*n),
            Value::Fen(f) => Json::from(f.get()),
            Value::Date(d) => Json::String(d.to_string()),
        }
    }
}

/// A member's answers to a form, every one of which fitted its field when given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers(BTreeMap<FieldKey, Value>);

impl Answers {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&FieldKey, &Value)> {
        self.0.iter()
    }

    pub fn to_json(&self) -> Json {
        Json::Object(self.0.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_json())).collect())
    }

    /// Answers as stored: re-read against the form they were given for. A field since removed or
    /// changed keeps its value as text, so nothing a member said is lost when a kind is edited.
    pub fn stored(form: &Form, raw: &Map<String, Json>) -> Self {
        let today = NaiveDate::MAX;
        Self(
            raw.iter()
                .filter_map(|(k, v)| {
                    let key = FieldKey::parse(k)?;
                    let typed = form.field(k).and_then(|f| value(&f.ty, v, today).ok());
                    let value = typed.unwrap_or_else(|| match v {
                        Json::String(s) => Value::Text(s.clone()),
                        Json::Number(n) => n.as_i64().map_or_else(|| Value::Text(n.to_string()), Value::Number),
                        other => Value::Text(other.to_string()),
                    });
                    Some((key, value))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(s: &str) -> FieldKey {
        FieldKey::parse(s).unwrap()
    }

    fn form() -> Form {
        Form::parse(
            vec![
                FieldSpec {
                    key: key("diagnosis"),
                    label: "诊断".into(),
                    required: true,
                    ty: FieldType::Text { max_chars: 200 },
                },
                FieldSpec {
                    key: key("cost"),
                    label: "自付费用".into(),
                    required: true,
                    ty: FieldType::Fen { min: 1, max: 10_000_000 },
                },
                FieldSpec {
                    key: key("child_id"),
                    label: "子女身份证".into(),
                    required: false,
                    ty: FieldType::IdNumber,
                },
                FieldSpec {
                    key: key("grade"),
                    label: "年级".into(),
                    required: false,
                    ty: FieldType::Choice { options: vec!["大一".into(), "大二".into()] },
                },
                FieldSpec {
                    key: key("since"),
                    label: "确诊日期".into(),
                    required: false,
                    ty: FieldType::Date { min: None, max: "2026-12-31".parse().ok() },
                },
            ],
            vec![AttachmentSpec {
                key: key("invoice"),
                label: "发票".into(),
                required: true,
                max_files: 3,
                max_bytes: 2 << 20,
                types: vec![FileType::Pdf, FileType::Jpeg],
            }],
        )
        .unwrap()
    }

    fn today() -> NaiveDate {
        "2026-12-07".parse().unwrap()
    }

    #[test]
    fn answers_that_fit_are_typed() {
        let raw = json!({"diagnosis": "肺炎", "cost": 12_345, "child_id": "11010519491231002X", "grade": "大二"});
        let a = form().answer(raw.as_object().unwrap(), today()).unwrap();
        assert_eq!(a.get("cost"), Some(&Value::Fen(Fen::new(12_345))));
        assert_eq!(a.get("grade"), Some(&Value::Choice("大二".into())));
        assert_eq!(a.to_json()["child_id"], "11010519491231002X");
    }

    #[test]
    fn every_problem_is_named() {
        let raw =
            json!({"cost": "12", "child_id": "110105194912310021", "grade": "大五", "since": "2027-01-01", "extra": 1});
        let problems = form().answer(raw.as_object().unwrap(), today()).unwrap_err();
        let mut fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["child_id", "cost", "diagnosis", "extra", "grade", "since"]);
        let raw = json!({"diagnosis": "x", "cost": 0});
        assert_eq!(form().answer(raw.as_object().unwrap(), today()).unwrap_err()[0].field, "cost");
    }

    #[test]
    fn a_form_is_refused_for_a_repeated_key_or_bad_bounds() {
        let f = |ty| FieldSpec { key: key("a"), label: "A".into(), required: true, ty };
        assert!(Form::parse(vec![f(FieldType::IdNumber), f(FieldType::IdNumber)], vec![]).is_err());
        assert!(Form::parse(vec![f(FieldType::Number { min: 5, max: 1 })], vec![]).is_err());
        assert!(Form::parse(vec![f(FieldType::Choice { options: vec![] })], vec![]).is_err());
        assert!(Form::parse(vec![f(FieldType::Text { max_chars: 0 })], vec![]).is_err());
        assert!(
            FieldKey::parse("Bad").is_none() && FieldKey::parse("../x").is_none() && FieldKey::parse("ok_1").is_some()
        );
    }

    #[test]
    fn files_are_judged_by_their_first_bytes() {
        assert_eq!(FileType::sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(FileType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileType::Png));
        assert_eq!(FileType::sniff(b"MZ\x90\x00"), None);
        assert_eq!(FileType::sniff(b""), None);
    }
}
