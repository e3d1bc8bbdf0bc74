use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::error::StoreError;
use super::schema::{admin_users, union_nodes};
use super::{audit, jobs, Database, DbConn};
use domain::admin::error::InsertAdminError;
use domain::admin::model::{after_failure, FailedLogin};
use domain::admin::{AdminId, AdminRepository, AdminUser, NewAuditEntry, Role, Username};
use domain::mail::OutboundEmail;
use domain::shared::EmailAddress;
use domain::unions::{NodePath, Scope, UnionCode};
use std::collections::HashMap;

#[derive(Queryable, Insertable, AsChangeset)]
#[diesel(table_name = admin_users)]
struct AdminRow {
    id: String,
    username: String,
    display_name: String,
    email: Option<String>,
    role: String,
    disabled: bool,
    failed_logins: i32,
    locked_until: Option<NaiveDateTime>,
    password_hash: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    sessions_since: Option<NaiveDateTime>,
    scope_code: String,
}

impl From<&AdminUser> for AdminRow {
    fn from(a: &AdminUser) -> Self {
        Self {
            id: a.id.to_string(),
            username: a.username.to_string(),
            display_name: a.display_name.clone(),
            email: a.email.as_ref().map(|e| e.as_str().to_owned()),
            role: a.role.as_str().to_owned(),
            disabled: a.disabled,
            failed_logins: i32::try_from(a.failed_logins).unwrap_or(i32::MAX),
            locked_until: a.locked_until.map(|t| t.naive_utc()),
            password_hash: a.password_hash.clone(),
            created_at: a.created_at.naive_utc(),
            updated_at: a.updated_at.naive_utc(),
            sessions_since: a.sessions_since.map(|t| t.naive_utc()),
            scope_code: a.scope.code.to_string(),
        }
    }
}

impl AdminRow {
    /// Rows were written through the same types, so a failure here means someone edited the table
    /// by hand: report it rather than guess. `scope_path` is the path of the row's scope node.
    fn into_admin(self, scope_path: String) -> anyhow::Result<AdminUser> {
        let row = self;
        Ok(AdminUser {
            id: AdminId(row.id.parse()?),
            username: Username::parse(&row.username)?,
            display_name: row.display_name,
            email: row.email.as_deref().map(EmailAddress::parse).transpose()?,
            role: row.role.parse::<Role>()?,
            disabled: row.disabled,
            failed_logins: u32::try_from(row.failed_logins).unwrap_or(0),
            locked_until: row.locked_until.map(|t| t.and_utc()),
            password_hash: row.password_hash,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            sessions_since: row.sessions_since.map(|t| t.and_utc()),
            scope: Scope { code: UnionCode::stored(row.scope_code), path: NodePath::stored(scope_path) },
        })
    }
}

/// The paths of `codes`, by code.
fn scope_paths(conn: &mut DbConn, codes: Vec<String>) -> QueryResult<HashMap<String, String>> {
    let rows: Vec<(String, String)> = union_nodes::table
        .filter(union_nodes::code.eq_any(codes))
        .select((union_nodes::code, union_nodes::path))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

fn with_scopes(conn: &mut DbConn, rows: Vec<AdminRow>) -> anyhow::Result<Vec<AdminUser>> {
    let codes: Vec<String> = rows.iter().map(|r| r.scope_code.clone()).collect();
    let paths = scope_paths(conn, codes)?;
    rows.into_iter()
        .map(|r| {
            let path = paths.get(&r.scope_code).cloned();
            let path = path.ok_or_else(|| anyhow::anyhow!("staff scope {} is not a union", r.scope_code))?;
            r.into_admin(path)
        })
        .collect()
}

#[derive(Clone)]
pub struct DbAdmins(pub Database);

impl DbAdmins {
    async fn find(&self, filter: AdminFilter) -> anyhow::Result<Option<AdminUser>> {
        self.0
            .run(move |conn| {
                let query = admin_users::table.into_boxed();
                let query = match filter {
                    AdminFilter::Id(id) => query.filter(admin_users::id.eq(id)),
                    AdminFilter::Username(name) => query.filter(admin_users::username.eq(name)),
                };
                let row: Option<AdminRow> = query.first(conn).optional()?;
                Ok::<_, anyhow::Error>(with_scopes(conn, row.into_iter().collect())?.pop())
            })
            .await
    }
}

enum AdminFilter {
    Id(String),
    Username(String),
}

impl AdminRepository for DbAdmins {
    async fn find_by_username(&self, username: &Username) -> anyhow::Result<Option<AdminUser>> {
        self.find(AdminFilter::Username(username.to_string())).await
    }

    async fn find_by_id(&self, id: AdminId) -> anyhow::Result<Option<AdminUser>> {
        self.find(AdminFilter::Id(id.to_string())).await
    }

    async fn list(&self) -> anyhow::Result<Vec<AdminUser>> {
        self.0
            .run(|conn| {
                let rows: Vec<AdminRow> = admin_users::table.order(admin_users::created_at).load(conn)?;
                with_scopes(conn, rows)
            })
            .await
    }

    async fn insert(
        &self,
        admin: &AdminUser,
        audit: NewAuditEntry,
        mail: Option<OutboundEmail>,
    ) -> Result<(), InsertAdminError> {
        let row = AdminRow::from(admin);
        let now = admin.created_at;
        self.0
            .transaction(move |conn| {
                diesel::insert_into(admin_users::table).values(&row).execute(conn)?;
                audit::append(conn, audit)?;
                if let Some(mail) = mail {
                    jobs::enqueue_mail(conn, mail, now)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| match e {
                StoreError::UniqueViolation(_) => InsertAdminError::Duplicate,
                StoreError::Other(e) => InsertAdminError::Unknown(e),
            })
    }

    async fn update(&self, admin: &AdminUser, audit: NewAuditEntry) -> anyhow::Result<()> {
        let row = AdminRow::from(admin);
        self.0
            .transaction(move |conn| {
                diesel::update(admin_users::table.find(&row.id))
                    .set((
                        admin_users::display_name.eq(&row.display_name),
                        admin_users::email.eq(&row.email),
                        admin_users::role.eq(&row.role),
                        admin_users::disabled.eq(row.disabled),
                        admin_users::failed_logins.eq(row.failed_logins),
                        admin_users::locked_until.eq(row.locked_until),
                        admin_users::password_hash.eq(&row.password_hash),
                        admin_users::updated_at.eq(row.updated_at),
                        admin_users::sessions_since.eq(row.sessions_since),
                        admin_users::scope_code.eq(&row.scope_code),
                    ))
                    .execute(conn)?;
                audit::append(conn, audit)?;
                Ok(())
            })
            .await
    }

    async fn count_failed_login(
        &self,
        id: AdminId,
        now: DateTime<Utc>,
        lock: NewAuditEntry,
    ) -> anyhow::Result<FailedLogin> {
        let id = id.to_string();
        self.0
            .transaction(move |conn| {
                let mut lock = Some(lock);
                // Compare and set: an update finding the count changed since it was read (a
                // parallel wrong password wrote first) reads again, so each one counts.
                loop {
                    let (failed, locked): (i32, Option<NaiveDateTime>) = admin_users::table
                        .find(&id)
                        .select((admin_users::failed_logins, admin_users::locked_until))
                        .first(conn)?;
                    let next = after_failure(failed.max(0) as u32, locked.map(|t| t.and_utc()), now);
                    let set = (
                        admin_users::failed_logins.eq(i32::try_from(next.failed_logins).unwrap_or(i32::MAX)),
                        admin_users::locked_until.eq(next.locked_until.map(|t| t.naive_utc())),
                    );
                    let same = admin_users::table
                        .filter(admin_users::id.eq(&id))
                        .filter(admin_users::failed_logins.eq(failed));
                    let written = match locked {
                        Some(at) => {
                            diesel::update(same.filter(admin_users::locked_until.eq(at))).set(set).execute(conn)?
                        }
                        None => {
                            diesel::update(same.filter(admin_users::locked_until.is_null())).set(set).execute(conn)?
                        }
                    };
                    if written == 1 {
                        let locks = next.locked_until.is_some() && next.locked_until != locked.map(|t| t.and_utc());
                        if let (true, Some(entry)) = (locks, lock.take()) {
                            audit::append(conn, entry)?;
                        }
                        return Ok::<_, anyhow::Error>(next);
                    }
                }
            })
            .await
    }

    async fn record_login(
        &self,
        id: AdminId,
        failed_logins: u32,
        locked_until: Option<DateTime<Utc>>,
        audit: Option<NewAuditEntry>,
    ) -> anyhow::Result<()> {
        let id = id.to_string();
        let failed = i32::try_from(failed_logins).unwrap_or(i32::MAX);
        self.0
            .transaction(move |conn| {
                diesel::update(admin_users::table.find(&id))
                    .set((
                        admin_users::failed_logins.eq(failed),
                        admin_users::locked_until.eq(locked_until.map(|t| t.naive_utc())),
                    ))
                    .execute(conn)?;
                if let Some(audit) = audit {
                    audit::append(conn, audit)?;
                }
                Ok(())
            })
            .await
    }

    async fn root_scope(&self) -> anyhow::Result<Scope> {
        let (code, path): (String, String) = self
            .0
            .run(|conn| {
                Ok::<_, anyhow::Error>(
                    union_nodes::table
                        .filter(union_nodes::parent_code.is_null())
                        .select((union_nodes::code, union_nodes::path))
                        .first(conn)?,
                )
            })
            .await?;
        Ok(Scope { code: UnionCode::stored(code), path: NodePath::stored(path) })
    }

    async fn count_active_admins(&self) -> anyhow::Result<u64> {
        let n: i64 = self
            .0
            .run(|conn| {
                Ok::<_, anyhow::Error>(
                    admin_users::table
                        .filter(admin_users::role.eq(Role::Admin.as_str()))
                        .filter(admin_users::disabled.eq(false))
                        .count()
                        .get_result(conn)?,
                )
            })
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
