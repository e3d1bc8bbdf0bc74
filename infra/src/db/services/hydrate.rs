//! Cases as the domain has them: what was sealed opened, names looked up, events and files read.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

use super::super::schema::{service_attachments, service_case_events, service_kinds, union_nodes};
use super::super::DbConn;
use super::{kinds, Row};
use crate::crypto::FieldCrypto;
use domain::members::MemberId;
use domain::services::form::{Answers, FieldKey, FileType, Form};
use domain::services::model::{Attachment, AttachmentId, Author, Case, CaseId, Category, Event, EventKind, KindCode};
use domain::shared::money::Fen;
use domain::unions::UnionCode;

pub(super) const MEMBER: &str = "member";
pub(super) const SYSTEM: &str = "system";

/// `FW` + the Beijing year it arrived in + its place, six digits at least.
pub(super) fn number(seq: i64, submitted_at: NaiveDateTime) -> String {
    use chrono::Datelike;
    let year = submitted_at.and_utc().with_timezone(&domain::campaigns::window::SHANGHAI).year();
    format!("FW{year}-{seq:06}")
}

#[derive(Queryable)]
pub(super) struct EventRow {
    pub(super) id: i64,
    pub(super) case_seq: i64,
    pub(super) kind: String,
    pub(super) author: String,
    pub(super) by_staff: bool,
    pub(super) at: NaiveDateTime,
    pub(super) body_cipher: Option<String>,
    pub(super) detail: Option<String>,
}

pub(super) fn event_kind(kind: &str, detail: Option<&str>) -> anyhow::Result<EventKind> {
    let given = detail;
    let detail = || given.map(str::to_owned).ok_or_else(|| anyhow::anyhow!("event {kind} without its detail"));
    Ok(match kind {
        "submitted" => EventKind::Submitted,
        "returned" => EventKind::Returned,
        "resubmitted" => EventKind::Resubmitted,
        "accepted" => EventKind::Accepted,
        "assigned" => EventKind::Assigned { to: detail()? },
        "escalated" => EventKind::Escalated { to: UnionCode::stored(detail()?) },
        "message" => EventKind::Message,
        "note" => EventKind::Note,
        "answered" => EventKind::Answered,
        "approved" => EventKind::Approved { amount: given.and_then(|d| d.parse().ok()).map(Fen::new) },
        "refused" => EventKind::Refused,
        "closed" => EventKind::Closed,
        "withdrawn" => EventKind::Withdrawn,
        "rated" => EventKind::Rated { score: detail()?.parse()? },
        "reopened" => EventKind::Reopened,
        "reminded" => EventKind::Reminded,
        other => anyhow::bail!("event kind {other}"),
    })
}

pub(super) fn detail_of(kind: &EventKind) -> Option<String> {
    match kind {
        EventKind::Assigned { to } => Some(to.clone()),
        EventKind::Escalated { to } => Some(to.to_string()),
        EventKind::Approved { amount } => amount.map(|a| a.get().to_string()),
        EventKind::Rated { score } => Some(score.to_string()),
        _ => None,
    }
}

pub(super) fn author_of(row_author: &str, by_staff: bool) -> Author {
    match (row_author, by_staff) {
        (_, true) => Author::Staff(row_author.to_owned()),
        (MEMBER, false) => Author::Member,
        _ => Author::System,
    }
}

/// The events of `seqs`, oldest first, with their kinds only: what deadlines are computed from.
pub(super) fn event_rows(conn: &mut DbConn, seqs: &[i64]) -> QueryResult<Vec<EventRow>> {
    service_case_events::table
        .filter(service_case_events::case_seq.eq_any(seqs))
        .order(service_case_events::id.asc())
        .select((
            service_case_events::id,
            service_case_events::case_seq,
            service_case_events::kind,
            service_case_events::author,
            service_case_events::by_staff,
            service_case_events::at,
            service_case_events::body_cipher,
            service_case_events::detail,
        ))
        .load(conn)
}

type AttachmentRow = (String, i64, Option<i64>, String, String, String, i64, String, NaiveDateTime);

/// `full`: with answers, events and files (one case's page); without, a line of a list.
pub(super) fn hydrate(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    rows: Vec<Row>,
    full: bool,
) -> anyhow::Result<Vec<Case>> {
    let kind_codes: Vec<&str> = rows.iter().map(|r| r.kind_code.as_str()).collect();
    let kinds: HashMap<String, (String, String)> = service_kinds::table
        .filter(service_kinds::code.eq_any(&kind_codes))
        .select((service_kinds::code, (service_kinds::name, service_kinds::category)))
        .load(conn)?
        .into_iter()
        .collect();
    let codes: Vec<&str> = rows.iter().map(|r| r.union_code.as_str()).collect();
    let names: HashMap<String, String> = union_nodes::table
        .filter(union_nodes::code.eq_any(&codes))
        .select((union_nodes::code, union_nodes::name))
        .load(conn)?
        .into_iter()
        .collect();
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let mut events: HashMap<i64, Vec<Event>> = HashMap::new();
    let mut files: HashMap<i64, Vec<Attachment>> = HashMap::new();
    let mut by_event: HashMap<i64, Vec<AttachmentId>> = HashMap::new();
    if full {
        let attachments: Vec<AttachmentRow> = service_attachments::table
            .filter(service_attachments::case_seq.eq_any(&seqs))
            .order(service_attachments::at.asc())
            .select((
                service_attachments::id,
                service_attachments::case_seq,
                service_attachments::event_id,
                service_attachments::slot,
                service_attachments::name_cipher,
                service_attachments::file_type,
                service_attachments::bytes,
                service_attachments::sha256,
                service_attachments::at,
            ))
            .load(conn)?;
        for (id, seq, event, slot, name, ty, bytes, sha256, at) in attachments {
            let id = AttachmentId(id.parse()?);
            if let Some(e) = event {
                by_event.entry(e).or_default().push(id);
            }
            files.entry(seq).or_default().push(Attachment {
                id,
                slot: FieldKey::parse(&slot).ok_or_else(|| anyhow::anyhow!("attachment {id}: slot {slot}"))?,
                file_name: crypto.open(&name)?,
                file_type: FileType::parse(&ty).ok_or_else(|| anyhow::anyhow!("attachment {id}: type {ty}"))?,
                bytes: u64::try_from(bytes)?,
                sha256,
                at: at.and_utc(),
            });
        }
        for e in event_rows(conn, &seqs)? {
            events.entry(e.case_seq).or_default().push(Event {
                at: e.at.and_utc(),
                author: author_of(&e.author, e.by_staff),
                kind: event_kind(&e.kind, e.detail.as_deref())?,
                body: e.body_cipher.as_deref().map(|b| crypto.open(b)).transpose()?,
                attachments: by_event.remove(&e.id).unwrap_or_default(),
            });
        }
    }
    let mut payouts: HashMap<i64, domain::services::payouts::Payout> = HashMap::new();
    if full {
        for seq in &seqs {
            if let Some(p) = super::payouts::of_case(conn, *seq)? {
                payouts.insert(*seq, p);
            }
        }
    }
    let mut forms: HashMap<String, Form> = HashMap::new();
    rows.into_iter()
        .map(|r| {
            let (kind_name, category) = kinds.get(&r.kind_code).cloned().unwrap_or_default();
            let answers = if full {
                let form = match forms.get(&r.kind_code) {
                    Some(f) => f.clone(),
                    None => {
                        let f = kinds::load(conn, &r.kind_code).map_err(|e| anyhow::anyhow!("{:?}", e.0))?.form;
                        forms.insert(r.kind_code.clone(), f.clone());
                        f
                    }
                };
                let raw: serde_json::Value = serde_json::from_str(&crypto.open(&r.answers_cipher)?)?;
                Answers::stored(&form, raw.as_object().unwrap_or(&serde_json::Map::new()))
            } else {
                Answers::default()
            };
            Ok(Case {
                id: CaseId(r.id.parse()?),
                seq: r.seq,
                number: number(r.seq, r.submitted_at),
                kind: KindCode::stored(r.kind_code.clone()),
                kind_name,
                category: Category::parse(&category).ok_or_else(|| anyhow::anyhow!("case {}: category", r.id))?,
                member: MemberId(r.member_id.parse()?),
                union_name: names.get(&r.union_code).cloned().unwrap_or_default(),
                union: UnionCode::stored(r.union_code.clone()),
                queue: UnionCode::stored(r.queue_code.clone()),
                state: r.state()?,
                assignee: r.assignee.clone(),
                answers,
                attachments: files.remove(&r.seq).unwrap_or_default(),
                events: events.remove(&r.seq).unwrap_or_default(),
                submitted_at: r.submitted_at.and_utc(),
                due_at: r.due_at.map(|t| t.and_utc()),
                escalations: u32::try_from(r.escalations).unwrap_or(0),
                late: r.late,
                amount: r.amount_fen.map(Fen::new),
                resolved_at: r.resolved_at.map(|t| t.and_utc()),
                closed_at: r.closed_at.map(|t| t.and_utc()),
                payout: payouts.remove(&r.seq),
                score: r.score.and_then(|s| u8::try_from(s).ok()),
            })
        })
        .collect()
}
