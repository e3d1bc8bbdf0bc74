//! A kind's form, eligibility and money rule as one JSON document: how the store keeps them.
//! Read back through [`Form::parse`], so a stored kind is checked like a new one.

use serde_json::{json, Value as Json};

use super::form::{AttachmentSpec, FieldKey, FieldSpec, FieldType, FileType, Form, Problem};
use super::model::{Eligibility, Money, OncePer};
use crate::shared::money::Fen;

pub fn field_json(f: &FieldSpec) -> Json {
    let mut v = json!({"key": f.key.as_str(), "label": f.label, "required": f.required, "type": f.ty.as_str()});
    let o = v.as_object_mut().expect("an object");
    match &f.ty {
        FieldType::Text { max_chars } => {
            o.insert("max_chars".into(), json!(max_chars));
        }
        FieldType::Number { min, max } | FieldType::Fen { min, max } => {
            o.insert("min".into(), json!(min));
            o.insert("max".into(), json!(max));
        }
        FieldType::Date { min, max } => {
            o.insert("min".into(), json!(min.map(|d| d.to_string())));
            o.insert("max".into(), json!(max.map(|d| d.to_string())));
        }
        FieldType::Choice { options } => {
            o.insert("options".into(), json!(options));
        }
        FieldType::IdNumber => {}
    }
    v
}

pub fn to_json(form: &Form, eligibility: Eligibility, money: Option<&Money>) -> Json {
    json!({
        "fields": form.fields().iter().map(field_json).collect::<Vec<_>>(),
        "attachments": form.attachments().iter().map(|a| json!({
            "key": a.key.as_str(), "label": a.label, "required": a.required, "max_files": a.max_files,
            "max_bytes": a.max_bytes, "types": a.types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "eligibility": {"member": eligibility.member, "cardholder": eligibility.cardholder, "min_months": eligibility.min_months},
        "money": money.map(|m| json!({
            "max_amount": m.max_amount.get(),
            "once": m.once.as_str(),
            "child_field": match &m.once { OncePer::ChildSchoolYear { field } => Some(field.as_str()), _ => None },
        })),
    })
}

fn bad(what: &str) -> Problem {
    Problem::new("spec", "类别配置无法读取", format!("stored spec: {what}"))
}

fn key(v: &Json) -> Result<FieldKey, Problem> {
    v.as_str().and_then(FieldKey::parse).ok_or_else(|| bad("key"))
}

fn text(v: &Json, what: &str) -> Result<String, Problem> {
    v.as_str().map(str::to_owned).ok_or_else(|| bad(what))
}

fn int(v: &Json, what: &str) -> Result<i64, Problem> {
    v.as_i64().ok_or_else(|| bad(what))
}

fn date(v: &Json) -> Result<Option<chrono::NaiveDate>, Problem> {
    match v {
        Json::Null => Ok(None),
        v => v.as_str().and_then(|s| s.parse().ok()).map(Some).ok_or_else(|| bad("date")),
    }
}

pub fn parse(v: &Json) -> Result<(Form, Eligibility, Option<Money>), Problem> {
    let empty = Vec::new();
    let fields = v["fields"].as_array().unwrap_or(&empty).iter().map(|f| {
        let ty = match f["type"].as_str() {
            Some("text") => FieldType::Text {
                max_chars: u32::try_from(int(&f["max_chars"], "max_chars")?).map_err(|_| bad("max_chars"))?,
            },
            Some("number") => FieldType::Number { min: int(&f["min"], "min")?, max: int(&f["max"], "max")? },
            Some("fen") => FieldType::Fen { min: int(&f["min"], "min")?, max: int(&f["max"], "max")? },
            Some("date") => FieldType::Date { min: date(&f["min"])?, max: date(&f["max"])? },
            Some("choice") => FieldType::Choice {
                options: f["options"]
                    .as_array()
                    .ok_or_else(|| bad("options"))?
                    .iter()
                    .map(|o| text(o, "option"))
                    .collect::<Result<_, _>>()?,
            },
            Some("id_number") => FieldType::IdNumber,
            _ => return Err(bad("type")),
        };
        Ok(FieldSpec {
            key: key(&f["key"])?,
            label: text(&f["label"], "label")?,
            required: f["required"].as_bool().unwrap_or(false),
            ty,
        })
    });
    let fields = fields.collect::<Result<Vec<_>, Problem>>()?;
    let attachments = v["attachments"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|a| {
            Ok(AttachmentSpec {
                key: key(&a["key"])?,
                label: text(&a["label"], "label")?,
                required: a["required"].as_bool().unwrap_or(false),
                max_files: u32::try_from(int(&a["max_files"], "max_files")?).map_err(|_| bad("max_files"))?,
                max_bytes: u64::try_from(int(&a["max_bytes"], "max_bytes")?).map_err(|_| bad("max_bytes"))?,
                types: a["types"]
                    .as_array()
                    .ok_or_else(|| bad("types"))?
                    .iter()
                    .map(|t| t.as_str().and_then(FileType::parse).ok_or_else(|| bad("type")))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    let form = Form::parse(fields, attachments)?;
    let e = &v["eligibility"];
    let eligibility = Eligibility {
        member: e["member"].as_bool().unwrap_or(false),
        cardholder: e["cardholder"].as_bool().unwrap_or(false),
        min_months: e["min_months"].as_u64().and_then(|m| u32::try_from(m).ok()).unwrap_or(0),
    };
    let money = match &v["money"] {
        Json::Null => None,
        m => Some(Money {
            max_amount: Fen::new(int(&m["max_amount"], "max_amount")?),
            once: match m["once"].as_str() {
                Some("unlimited") => OncePer::Unlimited,
                Some("person_year") => OncePer::PersonYear,
                Some("child_school_year") => OncePer::ChildSchoolYear { field: key(&m["child_field"])? },
                _ => return Err(bad("once")),
            },
        }),
    };
    Ok((form, eligibility, money))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_round_trips() {
        let k = |s: &str| FieldKey::parse(s).unwrap();
        let form = Form::parse(
            vec![
                FieldSpec {
                    key: k("child_id"), label: "子女身份证".into(), required: true, ty: FieldType::IdNumber
                },
                FieldSpec {
                    key: k("school"),
                    label: "学校".into(),
                    required: true,
                    ty: FieldType::Text { max_chars: 60 },
                },
                FieldSpec {
                    key: k("enrolled"),
                    label: "入学日期".into(),
                    required: false,
                    ty: FieldType::Date { min: "2020-01-01".parse().ok(), max: None },
                },
                FieldSpec {
                    key: k("grade"),
                    label: "年级".into(),
                    required: false,
                    ty: FieldType::Choice { options: vec!["大一".into()] },
                },
                FieldSpec {
                    key: k("income"),
                    label: "月收入".into(),
                    required: false,
                    ty: FieldType::Fen { min: 0, max: 10 },
                },
            ],
            vec![AttachmentSpec {
                key: k("notice"),
                label: "录取通知书".into(),
                required: true,
                max_files: 2,
                max_bytes: 1000,
                types: vec![FileType::Pdf, FileType::Png],
            }],
        )
        .unwrap();
        let e = Eligibility { member: true, cardholder: true, min_months: 12 };
        let m = Money { max_amount: Fen::new(300_000), once: OncePer::ChildSchoolYear { field: k("child_id") } };
        let back = parse(&to_json(&form, e, Some(&m))).unwrap();
        assert_eq!(back, (form, e, Some(m)));
    }
}
