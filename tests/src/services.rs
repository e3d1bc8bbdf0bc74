//! Service windows in tests: kinds, multipart bodies with files, cases opened by members.

use serde_json::{json, Value};

use crate::{Req, TestApp};

/// A part: its name, its file name and declared type (for a file), its bytes.
type Part = (String, Option<String>, Option<String>, Vec<u8>);

/// A `multipart/form-data` body under a fixed boundary: text parts, then files.
#[derive(Default)]
pub struct Form {
    parts: Vec<Part>,
}

pub const BOUNDARY: &str = "sgh-test-boundary-7MA4YWxkTrZu0gW";

impl Form {
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.parts.push((name.to_owned(), None, None, value.as_bytes().to_vec()));
        self
    }

    /// A file part named `slot`, sent as `file_name` with the declared `content_type`.
    pub fn file(mut self, slot: &str, file_name: &str, content_type: &str, bytes: Vec<u8>) -> Self {
        self.parts.push((slot.to_owned(), Some(file_name.to_owned()), Some(content_type.to_owned()), bytes));
        self
    }

    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, file, ty, bytes) in &self.parts {
            out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            match file {
                Some(f) => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n").as_bytes(),
                ),
                None => {
                    out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes())
                }
            }
            if let Some(ty) = ty {
                out.extend_from_slice(format!("Content-Type: {ty}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        out
    }

    pub fn request(&self, path: &str) -> Req {
        Req::post(path).raw(&format!("multipart/form-data; boundary={BOUNDARY}"), self.body())
    }
}

/// `n` bytes that are a PDF by their first bytes.
pub fn pdf(n: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.extend((0..n.saturating_sub(b.len())).map(|i| (i % 251) as u8));
    b.truncate(n.max(9));
    b
}

/// A PNG's first bytes and then some.
pub fn png(n: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.resize(n.max(8), 7);
    b
}

/// 大病补助: an application paying up to ¥5,000 once a year, for members of six months or more.
pub fn illness_kind() -> Value {
    json!({
        "code": "illness-subsidy", "category": "application", "name": "大病补助",
        "description": "会员本人患重大疾病，个人自付医疗费用较高的，可申请一次性补助。",
        "fields": [
            {"key": "diagnosis", "label": "所患疾病", "required": true, "type": "text", "max_chars": 200},
            {"key": "self_paid_fen", "label": "个人自付医疗费用（分）", "required": true, "type": "fen", "min": 1, "max": 100_000_000},
            {"key": "hospital", "label": "就诊医院", "required": false, "type": "choice", "options": ["苏大附一院", "苏州市立医院"]}
        ],
        "attachments": [
            {"key": "diagnosis_proof", "label": "诊断证明", "required": true, "max_files": 3, "max_bytes": 1_048_576, "types": ["pdf", "jpeg", "png"]},
            {"key": "invoice", "label": "医疗费用发票", "required": false, "max_files": 5, "max_bytes": 1_048_576, "types": ["pdf"]}
        ],
        "eligibility": {"member": true, "cardholder": false, "min_months": 6},
        "accept_days": 2, "answer_days": 10,
        "money": {"max_amount_fen": 500_000, "once": "person_year"}
    })
}

/// 法律援助: a question answered in writing, for any active member.
pub fn legal_kind() -> Value {
    json!({
        "code": "legal-aid", "category": "consultation", "name": "法律援助",
        "fields": [{"key": "question", "label": "您的问题", "required": true, "type": "text", "max_chars": 2000}],
        "attachments": [{"key": "contract", "label": "劳动合同", "required": false, "max_files": 2, "max_bytes": 1_048_576, "types": ["pdf", "png"]}],
        "eligibility": {"member": true},
        "accept_days": 2, "answer_days": 5
    })
}

/// The `case` part of a submission.
pub fn case_part(kind: &str, answers: Value) -> String {
    json!({"kind": kind, "answers": answers}).to_string()
}

impl TestApp {
    pub async fn create_kind(&self, admin: &str, kind: Value) {
        let made = self.send(Req::post("/v1/admin/service-kinds").bearer(admin).json(kind)).await;
        assert_eq!(made.status, 201, "{}", made.text());
    }

    /// A legal-aid question from `member`: the case.
    pub async fn ask(&self, member: &str, question: &str) -> Value {
        let form = Form::default().text("case", &case_part("legal-aid", json!({"question": question})));
        let filed = self.send(form.request("/v1/me/cases").bearer(member)).await;
        assert_eq!(filed.status, 201, "{}", filed.text());
        filed.json()
    }

    /// Files kept in the file store.
    pub fn stored_files(&self) -> usize {
        let root = std::path::Path::new(&self.config.storage.files_dir);
        let Ok(dirs) = std::fs::read_dir(root) else { return 0 };
        dirs.flatten()
            .filter(|d| d.file_name() != "tmp")
            .map(|d| std::fs::read_dir(d.path()).map(|f| f.count()).unwrap_or(0))
            .sum()
    }
}
