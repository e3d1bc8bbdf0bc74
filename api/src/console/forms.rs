//! Form fields as the console draws them, and what a refusal says about them: each field with its
//! label, the value typed kept, and the API's own message beside the field it names.

use maud::{html, Markup};
use std::collections::BTreeMap;

use crate::error::{ApiError, Lang};

/// Messages by field name; `""` for what names no field.
#[derive(Debug, Default, Clone)]
pub struct Errors(BTreeMap<String, String>);

impl Errors {
    /// The API's refusal, placed beside the field it names (or above the form).
    pub fn from_api(e: &ApiError, lang: Lang) -> Self {
        let mut message = e.message(lang).to_owned();
        if let Some(detail) = e.detail_text() {
            message = format!("{message}（{detail}）");
        }
        let field = e.field().unwrap_or_default().to_owned();
        Self(BTreeMap::from([(field, message)]))
    }

    /// The same messages with `from`'s under `to` (a form whose input has another name).
    pub fn renamed(&self, from: &str, to: &str) -> Self {
        Self(self.0.iter().map(|(k, v)| (if k == from { to.to_owned() } else { k.clone() }, v.clone())).collect())
    }

    pub fn of(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// What names no field of the form: shown above it.
    pub fn general(&self, fields: &[&str]) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| !fields.contains(&k.as_str())).map(|(_, v)| v.as_str()).collect()
    }
}

pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub value: &'a str,
    pub kind: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
    /// A number input's granularity (`any` or `0.000001`), for one that takes decimals.
    pub step: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str, value: &'a str) -> Self {
        Self { name, label, value, kind: "text", hint: None, required: true, step: None }
    }

    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn step(mut self, step: &'a str) -> Self {
        self.step = Some(step);
        self
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// The label, the input and, if it was refused, why: tied together for screen readers.
    pub fn render(&self, errors: &Errors) -> Markup {
        let error = errors.of(self.name);
        let described = format!("{}-error", self.name);
        html! {
            label {
                (self.label)
                @if self.kind == "textarea" {
                    textarea name=(self.name) rows="3" aria-invalid=[error.map(|_| "true")]
                        aria-describedby=[error.map(|_| described.as_str())] { (self.value) }
                } @else {
                    input type=(self.kind) name=(self.name) value=(self.value) required[self.required] step=[self.step]
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| described.as_str())];
                }
                @if let Some(hint) = self.hint { span.muted { (hint) } }
                @if let Some(error) = error { span.field-error id=(described) role="alert" { (error) } }
            }
        }
    }
}

/// Yuan as typed (`1234.5`, `1,234.50`, `¥88`) to fen, exactly; `None` for anything else.
pub fn fen_of_yuan(raw: &str) -> Option<i64> {
    let cleaned: String = raw.trim().trim_start_matches(['¥', '￥']).chars().filter(|c| *c != ',').collect();
    let (whole, cents) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 {
        return None;
    }
    if !cents.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

/// Fen as a form shows it back (`1234.50`).
pub fn yuan_input(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_become_fen_exactly() {
        assert_eq!(fen_of_yuan("1234.5"), Some(123_450));
        assert_eq!(fen_of_yuan("1,234.50"), Some(123_450));
        assert_eq!(fen_of_yuan("¥88"), Some(8_800));
        assert_eq!(fen_of_yuan("0.07"), Some(7));
        for bad in ["", "-1", "1.234", "abc", "1e3", ".5", "1.2.3", "99999999999999999999"] {
            assert_eq!(fen_of_yuan(bad), None, "{bad}");
        }
        assert_eq!(yuan_input(123_450), "1234.50");
    }
}
