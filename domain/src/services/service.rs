//! Service windows' use cases: what members and staff do with kinds and cases.

use serde_json::{Map, Value as Json};

use super::error::ServiceError;
use super::files::{FileStore, Upload};
use super::model::{
    Attachment, AttachmentId, Author, Case, CaseFilter, CaseId, Event, EventKind, Kind, KindCode, Read,
};
use super::ports::{CaseStore, MemberAct, NewCase, Reader};
use super::rules::{check_eligible, check_files, check_role, Step};
use crate::admin::{Actor, NewAuditEntry, Role};
use crate::campaigns::window::SHANGHAI;
use crate::members::MemberId;
use crate::shared::paging::{PairCursor, PairPage};
use crate::shared::{Clock, Limit};
use crate::unions::NodePath;

/// The longest message, note, answer or reason.
pub const MAX_TEXT: usize = 2_000;

pub struct ServiceWindows<S, F, C> {
    pub store: S,
    pub files: F,
    pub clock: C,
}

/// Free text a member or caseworker writes: trimmed, visible, at most [`MAX_TEXT`] characters.
pub fn text(field: &str, raw: &str) -> Result<String, ServiceError> {
    crate::shared::text::visible(raw, MAX_TEXT)
        .ok_or_else(|| ServiceError::invalid(field, "须为 1–2000 个可见字符", "must be 1-2000 visible characters"))
}

impl<S: CaseStore, F: FileStore, C: Clock> ServiceWindows<S, F, C> {
    fn within(actor: &Actor) -> Option<NodePath> {
        if actor.sees_everything() {
            None
        } else {
            actor.scope.as_ref().map(|s| s.path.clone())
        }
    }

    fn staff_reader(&self, actor: &Actor) -> Reader {
        Reader::Staff { name: actor.name.clone(), role: actor.role, within: Self::within(actor), at: self.clock.now() }
    }

    /// Kinds are the whole federation's: its own admins and operators set them.
    fn federation_writer(actor: &Actor) -> Result<(), ServiceError> {
        if actor.role.may_write() && actor.sees_everything() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    pub async fn kinds(&self, retired_too: bool) -> Result<Vec<Kind>, ServiceError> {
        Ok(self.store.kinds(retired_too).await?)
    }

    /// The active kinds, each with why `member` may not open one now (`None`: they may).
    pub async fn kinds_for(
        &self,
        member: MemberId,
    ) -> Result<Vec<(Kind, Option<super::error::Ineligible>)>, ServiceError> {
        let kinds = self.store.kinds(false).await?;
        let (standing, _) = self.store.standing(member).await?;
        let now = self.clock.now();
        Ok(kinds
            .into_iter()
            .map(|k| {
                let why = match check_eligible(k.eligibility, standing, now) {
                    Err(ServiceError::Ineligible(why)) => Some(why),
                    _ => None,
                };
                (k, why)
            })
            .collect())
    }

    pub async fn kind(&self, code: &KindCode) -> Result<Kind, ServiceError> {
        self.store.kind(code).await
    }

    pub async fn create_kind(&self, actor: &Actor, kind: Kind) -> Result<Kind, ServiceError> {
        Self::federation_writer(actor)?;
        let entry = NewAuditEntry::by(actor, self.clock.now(), "service_kind.create", kind.code.to_string());
        self.store.create_kind(kind, entry).await
    }

    pub async fn update_kind(&self, actor: &Actor, kind: Kind) -> Result<Kind, ServiceError> {
        Self::federation_writer(actor)?;
        let entry = NewAuditEntry::by(actor, self.clock.now(), "service_kind.update", kind.code.to_string());
        self.store.update_kind(kind, entry).await
    }

    /// Puts each file in the file store; if one fails, those put are forgotten again.
    async fn keep(&self, uploads: Vec<Upload>) -> Result<Vec<Attachment>, ServiceError> {
        let now = self.clock.now();
        let mut kept = Vec::with_capacity(uploads.len());
        for u in uploads {
            let a = Attachment {
                id: AttachmentId::new(),
                slot: super::form::FieldKey::parse(&u.slot)
                    .ok_or_else(|| ServiceError::invalid(u.slot.clone(), "附件类别无效", "no such attachment slot"))?,
                file_name: u.file_name,
                file_type: u.file_type,
                bytes: u.bytes,
                sha256: u.sha256,
                at: now,
            };
            if let Err(e) = self.files.put(a.id, u.body).await {
                self.forget(&kept).await;
                return Err(e.into());
            }
            kept.push(a);
        }
        Ok(kept)
    }

    async fn forget(&self, kept: &[Attachment]) {
        for a in kept {
            // The store logs a failure; the file is no one's and is never served.
            let _ = self.files.delete(a.id).await;
        }
    }

    /// Runs `write` with files kept first; if it is refused, the files go again.
    async fn with_files<T>(
        &self,
        uploads: Vec<Upload>,
        write: impl AsyncFnOnce(Vec<Attachment>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let kept = self.keep(uploads).await?;
        let ids = kept.clone();
        match write(kept).await {
            Ok(done) => Ok(done),
            Err(e) => {
                self.forget(&ids).await;
                Err(e)
            }
        }
    }

    /// Opens a case: the kind open to new cases, the member eligible, every answer and file fitting
    /// the form — all checked before a byte is kept.
    pub async fn submit(
        &self,
        member: MemberId,
        code: &KindCode,
        answers: &Map<String, Json>,
        message: Option<&str>,
        uploads: Vec<Upload>,
    ) -> Result<Case, ServiceError> {
        let kind = self.store.kind(code).await?;
        if !kind.active {
            return Err(ServiceError::KindRetired);
        }
        let now = self.clock.now();
        let (standing, union) = self.store.standing(member).await?;
        check_eligible(kind.eligibility, standing, now)?;
        let answers =
            kind.form.answer(answers, now.with_timezone(&SHANGHAI).date_naive()).map_err(ServiceError::Form)?;
        check_files(&kind.form, &uploads, true)?;
        let message = message.map(|m| text("message", m)).transpose()?;
        self.with_files(uploads, async |attachments| {
            let case = NewCase { id: CaseId::new(), kind, member, answers, attachments, message };
            self.store.submit(case, union, now).await
        })
        .await
    }

    /// Escalates what ran out and reminds who is due a follow-up reminder, so anything read is up to
    /// date with the clock (the maintenance loop does the same in the background).
    pub async fn escalate(&self) -> Result<u64, ServiceError> {
        let now = self.clock.now();
        self.store.remind_due(now).await?;
        Ok(self.store.escalate_overdue(now).await?)
    }

    /// Every case of the member whole, as they see them: their copy of what is kept (export).
    pub async fn export(&self, member: MemberId) -> Result<Vec<Case>, ServiceError> {
        let mut cases = Vec::new();
        for c in self.store.of_member(member).await? {
            cases.push(self.store.get(c.id, Reader::Member(member)).await?.for_member());
        }
        Ok(cases)
    }

    /// Erases what the member wrote and sent in their cases, and their files.
    pub async fn erase(&self, member: MemberId) -> Result<(), ServiceError> {
        for id in self.store.erase_member(member, self.clock.now()).await? {
            // The store logs a failure; the file's row is gone, so it is never served.
            let _ = self.files.delete(id).await;
        }
        Ok(())
    }

    pub async fn mine(&self, member: MemberId) -> Result<Vec<Case>, ServiceError> {
        self.escalate().await?;
        Ok(self.store.of_member(member).await?)
    }

    pub async fn my_case(&self, member: MemberId, id: CaseId) -> Result<Case, ServiceError> {
        self.escalate().await?;
        Ok(self.store.get(id, Reader::Member(member)).await?.for_member())
    }

    /// A message to the caseworker, an answer to a return (with the missing files), or a withdrawal.
    pub async fn member_act(
        &self,
        member: MemberId,
        id: CaseId,
        act: MemberIntent,
        uploads: Vec<Upload>,
    ) -> Result<Case, ServiceError> {
        self.escalate().await?;
        let case = self.store.get(id, Reader::Member(member)).await?;
        if !uploads.is_empty() {
            let kind = self.store.kind(&case.kind).await?;
            check_files(&kind.form, &uploads, false)?;
        }
        let now = self.clock.now();
        let case = self
            .with_files(uploads, async |attachments| {
                let act = match act {
                    MemberIntent::Message(body) => MemberAct::Message { body: text("body", &body)?, attachments },
                    MemberIntent::Resubmit(body) => {
                        MemberAct::Resubmit { body: body.map(|b| text("body", &b)).transpose()?, attachments }
                    }
                    MemberIntent::Withdraw => MemberAct::Withdraw,
                    MemberIntent::Rate { score, comment } => MemberAct::Rate {
                        score: super::rules::score(score)
                            .ok_or_else(|| ServiceError::invalid("score", "评分须为 1–5", "score is 1 to 5"))?,
                        comment: comment.map(|c| text("comment", &c)).transpose()?,
                    },
                };
                self.store.member_act(member, id, act, now).await
            })
            .await?;
        Ok(case.for_member())
    }

    pub async fn queue(
        &self,
        actor: &Actor,
        filter: CaseFilter,
        limit: Limit,
        after: Option<PairCursor>,
    ) -> Result<PairPage<Case>, ServiceError> {
        check_role(actor.role)?;
        self.escalate().await?;
        Ok(self.store.list(filter, Self::within(actor), self.clock.now(), limit, after).await?)
    }

    /// The whole case, notes and all; the read is logged.
    pub async fn case(&self, actor: &Actor, id: CaseId) -> Result<Case, ServiceError> {
        check_role(actor.role)?;
        self.escalate().await?;
        self.store.get(id, self.staff_reader(actor)).await
    }

    pub async fn step(&self, actor: &Actor, id: CaseId, step: Step) -> Result<Case, ServiceError> {
        check_role(actor.role)?;
        self.escalate().await?;
        let entry = NewAuditEntry::by(actor, self.clock.now(), step.action(), id.to_string());
        self.store.step(id, step, actor.role, Self::within(actor), entry).await
    }

    /// A message to the member (`internal`: a note staff alone see).
    pub async fn post(&self, actor: &Actor, id: CaseId, body: &str, internal: bool) -> Result<Case, ServiceError> {
        check_role(actor.role)?;
        let event = Event {
            at: self.clock.now(),
            author: Author::Staff(actor.name.clone()),
            kind: if internal { EventKind::Note } else { EventKind::Message },
            body: Some(text("body", body)?),
            attachments: Vec::new(),
        };
        self.store.post(id, event, Self::within(actor)).await
    }

    /// A file of a case and its bytes, for its member or staff who may see the case (logged).
    pub async fn file(
        &self,
        reader: FileReader<'_>,
        case: CaseId,
        id: AttachmentId,
    ) -> Result<(Attachment, Vec<u8>), ServiceError> {
        let reader = match reader {
            FileReader::Member(m) => Reader::Member(m),
            FileReader::Staff(actor) => {
                check_role(actor.role)?;
                self.staff_reader(actor)
            }
        };
        let a = self.store.attachment(case, id, reader).await?;
        let bytes = self.files.get(a.id).await?;
        Ok((a, bytes))
    }

    /// Who of staff read which case when: for auditors, and admins and operators of the part.
    pub async fn reads(
        &self,
        actor: &Actor,
        case: Option<CaseId>,
        limit: Limit,
        after: Option<PairCursor>,
    ) -> Result<PairPage<Read>, ServiceError> {
        if !(actor.role == Role::Auditor || actor.role.may_write()) {
            return Err(ServiceError::Forbidden);
        }
        self.store.reads(case, Self::within(actor), limit, after).await
    }
}

impl<S: CaseStore, F: FileStore, C: Clock> ServiceWindows<S, F, C> {
    /// Budgets are set by the federation; read by whoever reads the books in their part.
    pub async fn set_budget(
        &self,
        actor: &Actor,
        kind: KindCode,
        union: crate::unions::UnionCode,
        year: i32,
        cap: crate::shared::money::Fen,
    ) -> Result<super::payouts::Budget, ServiceError> {
        Self::federation_writer(actor)?;
        let target = format!("{kind}/{union}/{year}");
        let entry = NewAuditEntry::by(actor, self.clock.now(), "service_budget.set", target);
        self.store.set_budget(kind, union, year, cap, Self::within(actor), entry).await
    }

    pub async fn budgets(
        &self,
        actor: &Actor,
        year: Option<i32>,
        kind: Option<KindCode>,
    ) -> Result<Vec<super::payouts::Budget>, ServiceError> {
        Self::books_reader(actor)?;
        Ok(self.store.budgets(year, kind, Self::within(actor)).await?)
    }

    fn books_reader(actor: &Actor) -> Result<(), ServiceError> {
        if actor.role == Role::Auditor || actor.role.may_write() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// The report on `union` and everything under it over `[from, to]` (at most 36 months).
    pub async fn report(
        &self,
        actor: &Actor,
        union: crate::unions::UnionCode,
        from: crate::membership::report::Month,
        to: crate::membership::report::Month,
    ) -> Result<Vec<super::report::Line>, ServiceError> {
        Self::books_reader(actor)?;
        if crate::membership::report::span(from, to).is_none() {
            return Err(ServiceError::invalid(
                "to",
                "报表区间须为 1–36 个月，且起始月份不晚于截止月份",
                "the report spans 1-36 months, from no later than to",
            ));
        }
        self.escalate().await?;
        let facts = self.store.report_facts(union, Self::within(actor), from.starts(), to.next().starts()).await?;
        Ok(super::report::report(&facts, from, to, self.clock.now()))
    }

    /// The payout file: staff's of their part (`Some`), or the bank's of the whole federation (`None`).
    pub async fn payouts(
        &self,
        actor: Option<&Actor>,
        filter: super::payouts::PayoutFilter,
    ) -> Result<super::payouts::PayoutFile, ServiceError> {
        let within = match actor {
            Some(actor) => {
                Self::books_reader(actor)?;
                Self::within(actor)
            }
            None => None,
        };
        Ok(super::payouts::PayoutFile::of(self.store.payouts(filter, within).await?))
    }

    /// Marks a payout paid: by staff who may write in its part (`Some`), or by the bank (`None`).
    pub async fn pay(
        &self,
        actor: Option<&Actor>,
        id: super::payouts::PayoutId,
        bank_ref: Option<String>,
    ) -> Result<super::payouts::Payout, ServiceError> {
        let now = self.clock.now();
        let (by, within, entry) = match actor {
            Some(actor) => {
                if !actor.role.may_write() {
                    return Err(ServiceError::Forbidden);
                }
                let entry = NewAuditEntry::by(actor, now, "service_payout.paid", id.to_string());
                (actor.name.clone(), Self::within(actor), Some(entry))
            }
            None => ("bank".to_owned(), None, None),
        };
        self.store.mark_paid(id, by, bank_ref, within, now, entry).await
    }
}

/// What a member asks to do with their case, before their words are checked.
#[derive(Debug, Clone)]
pub enum MemberIntent {
    Message(String),
    Resubmit(Option<String>),
    Withdraw,
    Rate { score: i64, comment: Option<String> },
}

pub enum FileReader<'a> {
    Member(MemberId),
    Staff(&'a Actor),
}
