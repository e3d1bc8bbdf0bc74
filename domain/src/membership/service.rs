//! Joining, transferring and leaving: who may ask, who may decide, and when it is late.

use super::error::MembershipError;
use super::limits::DecisionLimits;
use super::model::{Application, ApplicationFilter, ApplicationId, Comment, Decision, Request, Spell, Text};
use super::moves::{MoveRow, Moved, BATCH};
use super::ports::MembershipStore;
use super::report::{span, Month, Report};
use super::rules::check_role;
use crate::admin::{Actor, NewAuditEntry};
use crate::members::profile::REAL_NAME_ATTEMPTS_PER_DAY;
use crate::members::MemberId;
use crate::shared::ephemeral::{RateDecision, RateLimiter};
use crate::shared::import::{ImportProgress, ImportReport};
use crate::shared::working_days::CalendarYear;
use crate::shared::{Clock, Page, PageRequest};
use crate::unions::{NodePath, UnionCode};
use std::time::Duration;

pub struct MembershipService<S, C, E> {
    pub store: S,
    pub clock: C,
    /// Counts a join's name and ID number with real-name binding's attempts: either would otherwise
    /// tell whoever asks, without limit, who is on the roster.
    pub limiter: E,
}

impl<S: MembershipStore, C: Clock, E: RateLimiter> MembershipService<S, C, E> {
    /// The part of the tree `actor` works in; `None` for all of it.
    fn within(actor: &Actor) -> Option<NodePath> {
        if actor.sees_everything() {
            None
        } else {
            actor.scope.as_ref().map(|s| s.path.clone())
        }
    }

    fn whole_tree(actor: &Actor) -> Result<(), MembershipError> {
        if actor.role.may_write() && actor.sees_everything() {
            Ok(())
        } else {
            Err(MembershipError::Forbidden)
        }
    }

    pub async fn apply(&self, member: MemberId, request: Request) -> Result<Application, MembershipError> {
        if let Request::Join { identity: Some(_), .. } = &request {
            let key = format!("realname:{member}");
            if let RateDecision::Limited { retry_after } =
                self.limiter.hit(&key, REAL_NAME_ATTEMPTS_PER_DAY, Duration::from_secs(86_400)).await?
            {
                return Err(MembershipError::TooManyAttempts { retry_after });
            }
        }
        self.store.submit(member, request, self.clock.now()).await
    }

    pub async fn mine(&self, member: MemberId) -> Result<Vec<Application>, MembershipError> {
        self.escalate().await?;
        Ok(self.store.of_member(member).await?)
    }

    pub async fn withdraw(&self, member: MemberId, id: ApplicationId) -> Result<Application, MembershipError> {
        self.store.withdraw(member, id, self.clock.now()).await
    }

    pub async fn history(&self, member: MemberId) -> Result<Vec<Spell>, MembershipError> {
        Ok(self.store.spells(member).await?)
    }

    /// Escalates what ran out first, so a queue read at any moment is up to date with the clock
    /// (the maintenance loop does the same in the background).
    pub async fn escalate(&self) -> Result<u64, MembershipError> {
        Ok(self.store.escalate_overdue(self.clock.now()).await?)
    }

    pub async fn list(
        &self,
        actor: &Actor,
        filter: ApplicationFilter,
        page: PageRequest,
    ) -> Result<Page<Application>, MembershipError> {
        self.escalate().await?;
        Ok(self.store.list(filter, Self::within(actor), self.clock.now(), page).await?)
    }

    pub async fn get(&self, actor: &Actor, id: ApplicationId) -> Result<Application, MembershipError> {
        self.escalate().await?;
        self.store.get(id, Self::within(actor)).await
    }

    pub async fn decide(
        &self,
        actor: &Actor,
        id: ApplicationId,
        decision: Decision,
    ) -> Result<Application, MembershipError> {
        check_role(actor.role)?;
        self.escalate().await?;
        let action = match decision {
            Decision::Approve { .. } => "application.approve",
            Decision::Refuse { .. } => "application.refuse",
        };
        let entry = NewAuditEntry::by(actor, self.clock.now(), action, id.to_string());
        self.store.decide(id, decision, Self::within(actor), entry).await
    }

    pub async fn comment(&self, actor: &Actor, id: ApplicationId, body: Text) -> Result<Application, MembershipError> {
        check_role(actor.role)?;
        let comment = Comment {
            author: actor.name.clone(),
            union: actor.scope.as_ref().map(|s| s.code.clone()),
            body,
            at: self.clock.now(),
        };
        self.store.comment(id, comment, Self::within(actor)).await
    }

    /// The part of the tree under `union` by month, `[from, to]` (at most three years).
    pub async fn report(
        &self,
        actor: &Actor,
        union: UnionCode,
        from: Month,
        to: Month,
    ) -> Result<Report, MembershipError> {
        if span(from, to).is_none() {
            return Err(MembershipError::invalid(
                "to",
                "报表区间须为 1–36 个月，且起始月份不晚于截止月份",
                "the report spans 1-36 months, from no later than to",
            ));
        }
        self.escalate().await?;
        let basis = self.store.report_basis(union, Self::within(actor), from, to).await?;
        Ok(Report::of(&basis, from, to))
    }

    /// Whether `actor` may move members to `to`: an open grassroots or joint union in their part of
    /// the tree. Asked before a file is read, so a wrong target costs no upload.
    pub async fn check_move_target(&self, actor: &Actor, to: &UnionCode) -> Result<(), MembershipError> {
        if !actor.role.may_write() {
            return Err(MembershipError::Forbidden);
        }
        let entry = NewAuditEntry::by(actor, self.clock.now(), "roster.move", to.to_string());
        self.store.move_batch(to.clone(), Vec::new(), Self::within(actor), entry).await.map(drop)
    }

    /// Moves the members numbered in a file to `to`, a batch per transaction, telling `progress`
    /// after each; the rows refused are added to `report`.
    pub async fn move_members(
        &self,
        actor: &Actor,
        to: UnionCode,
        rows: Vec<MoveRow>,
        mut report: ImportReport,
        progress: &mut (dyn FnMut(ImportProgress) + Send),
    ) -> Result<ImportReport, MembershipError> {
        self.check_move_target(actor, &to).await?;
        let mut done = ImportProgress { rows: report.rejected, rejected: report.rejected, ..ImportProgress::default() };
        for batch in rows.chunks(BATCH) {
            let entry = NewAuditEntry::by(actor, self.clock.now(), "roster.move", to.to_string());
            let outcomes = self.store.move_batch(to.clone(), batch.to_vec(), Self::within(actor), entry).await?;
            for (row, outcome) in outcomes {
                done.rows += 1;
                match outcome {
                    Moved::Moved => {
                        report.updated += 1;
                        report.accepted += 1;
                    }
                    Moved::Unchanged => {
                        report.unchanged += 1;
                        report.accepted += 1;
                    }
                    Moved::Refused(refusal) => report.reject(row.line, refusal, &[row.member_no.as_str()]),
                }
            }
            done.accepted = report.accepted;
            done.rejected = report.rejected;
            done.updated = report.updated;
            done.unchanged = report.unchanged;
            progress(done);
        }
        report.sort_rejections();
        Ok(report)
    }

    pub async fn calendar(&self, year: i32) -> Result<CalendarYear, MembershipError> {
        Ok(self.store.calendar(year).await?)
    }

    /// The calendar is the whole federation's: only its own admins and operators set it.
    pub async fn set_calendar(&self, actor: &Actor, year: CalendarYear) -> Result<CalendarYear, MembershipError> {
        Self::whole_tree(actor)?;
        let after = serde_json::json!({
            "holidays": year.holidays().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "workdays": year.workdays().iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        let entry = NewAuditEntry::by(actor, self.clock.now(), "calendar.set", year.year().to_string())
            .change(None, Some(after));
        self.store.set_calendar(year.clone(), entry).await?;
        Ok(year)
    }

    pub async fn limits(&self) -> Result<DecisionLimits, MembershipError> {
        Ok(self.store.limits().await?)
    }

    pub async fn set_limits(&self, actor: &Actor, limits: DecisionLimits) -> Result<DecisionLimits, MembershipError> {
        Self::whole_tree(actor)?;
        let before: serde_json::Map<_, _> =
            self.store.limits().await?.iter().map(|(k, d)| (k.as_str().to_owned(), d.into())).collect();
        let after: serde_json::Map<_, _> = limits.iter().map(|(k, d)| (k.as_str().to_owned(), d.into())).collect();
        let entry = NewAuditEntry::by(actor, self.clock.now(), "application_limits.set", "limits".to_owned())
            .change(Some(before.into()), Some(after.into()));
        self.store.set_limits(limits.clone(), entry).await?;
        Ok(limits)
    }
}
