use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log;
use super::{Database, DbConn};
use domain::admin::{AdminId, AuditEntry, AuditFilter, AuditLog, NewAuditEntry};
use domain::shared::{Page, PageRequest};
use domain::unions::NodePath;

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct AuditInsert {
    at: NaiveDateTime,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    target: String,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<String>,
    client_request_id: Option<String>,
    actor_scope: Option<String>,
}

/// What readers are told of a row (its actor's scope only filters).
#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct AuditRow {
    id: i64,
    at: NaiveDateTime,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    target: String,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<String>,
    client_request_id: Option<String>,
}

/// Appends an audit row on `conn`; callers do this inside the transaction of the change it records.
pub(crate) fn append(conn: &mut DbConn, entry: NewAuditEntry) -> QueryResult<()> {
    let row = AuditInsert {
        at: entry.at.naive_utc(),
        actor_id: entry.actor_id.map(|id| id.to_string()),
        actor_name: entry.actor_name,
        action: entry.action.to_owned(),
        target: entry.target,
        before_json: entry.before.map(|v| v.to_string()),
        after_json: entry.after.map(|v| v.to_string()),
        request_id: entry.request_id,
        client_request_id: entry.client_request_id,
        actor_scope: entry.actor_scope,
    };
    diesel::insert_into(audit_log::table).values(row).execute(conn).map(drop)
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = anyhow::Error;

    fn try_from(row: AuditRow) -> anyhow::Result<Self> {
        let json = |s: Option<String>| s.map(|s| serde_json::from_str(&s)).transpose();
        Ok(AuditEntry {
            id: row.id,
            at: row.at.and_utc(),
            actor_id: row.actor_id.map(|s| s.parse().map(AdminId)).transpose()?,
            actor_name: row.actor_name,
            action: row.action,
            target: row.target,
            before: json(row.before_json)?,
            after: json(row.after_json)?,
            request_id: row.request_id,
            client_request_id: row.client_request_id,
        })
    }
}

#[derive(Clone)]
pub struct DbAuditLog(pub Database);

impl AuditLog for DbAuditLog {
    async fn append(&self, entry: NewAuditEntry) -> anyhow::Result<()> {
        self.0.transaction(move |conn| Ok::<_, anyhow::Error>(append(conn, entry)?)).await
    }

    async fn page(
        &self,
        request: PageRequest,
        under: Option<NodePath>,
        filter: AuditFilter,
    ) -> anyhow::Result<Page<AuditEntry>> {
        let rows: Vec<AuditRow> = self
            .0
            .run(move |conn| {
                let mut query = audit_log::table.order(audit_log::id.desc()).into_boxed();
                if let Some(under) = under {
                    let (lo, hi) = super::unions::subtree_range(under.as_str());
                    query = query.filter(audit_log::actor_scope.ge(lo)).filter(audit_log::actor_scope.lt(hi));
                }
                if let Some(kind) = filter.action_kind() {
                    // `campaign.` up to `campaign/`: every action of the kind, by the index.
                    let next = format!("{}/", &kind[..kind.len() - 1]);
                    query = query.filter(audit_log::action.ge(kind.to_owned())).filter(audit_log::action.lt(next));
                } else if let Some(action) = filter.action {
                    query = query.filter(audit_log::action.eq(action));
                }
                if let Some(actor) = filter.actor {
                    query = query.filter(audit_log::actor_name.eq(actor));
                }
                if let Some(target) = filter.target {
                    query = query.filter(audit_log::target.eq(target));
                }
                if let Some(from) = filter.from {
                    query = query.filter(audit_log::at.ge(from.naive_utc()));
                }
                if let Some(until) = filter.until {
                    query = query.filter(audit_log::at.lt(until.naive_utc()));
                }
                if let Some(after) = request.after {
                    query = query.filter(audit_log::id.lt(after.key()));
                }
                let page = query.select(AuditRow::as_select()).limit(i64::from(request.limit.get()) + 1);
                Ok::<_, anyhow::Error>(page.load(conn)?)
            })
            .await?;
        let entries = rows.into_iter().map(AuditEntry::try_from).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(entries, request.limit, |e| e.id))
    }
}
