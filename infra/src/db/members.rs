use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::error::StoreError;
use super::schema::{applications, cards, members, refresh_tokens, roster, union_nodes};
use super::{audit, Database, DbConn};
use crate::crypto::FieldCrypto;
use domain::admin::NewAuditEntry;
use domain::mail::OutboundEmail;
use domain::members::ports::{BindError, MemberRepository};
use domain::members::roster_search::PhoneTail;
use domain::members::{
    Affiliation, ConsentEvent, IdNumber, Member, MemberId, PersonName, PhoneNumber, Profile, RealName,
};
use domain::shared::EmailAddress;
use domain::unions::NodePath;

pub(crate) const PHONE: &str = "phone";
pub(crate) const ID_NUMBER: &str = "id_number";
/// The blind index of a phone's last four digits, for staff searching by a masked number.
pub(crate) const PHONE_TAIL: &str = "phone_tail";
pub(crate) const NAME: &str = "name";
pub(crate) const EMAIL: &str = "email";

pub(crate) fn phone_tail_digest(crypto: &FieldCrypto, tail: &PhoneTail) -> String {
    crypto.blind_index(PHONE_TAIL, tail.as_str())
}

mod consents;
mod email;

#[derive(Queryable)]
struct MemberRow {
    id: String,
    phone_cipher: Option<String>,
    _phone_index: Option<String>,
    wechat_openid: Option<String>,
    wechat_unionid: Option<String>,
    nickname: Option<String>,
    avatar_url: Option<String>,
    email_cipher: Option<String>,
    _pending_email_cipher: Option<String>,
    _email_code_hash: Option<String>,
    _email_code_expires_at: Option<NaiveDateTime>,
    name_cipher: Option<String>,
    _name_index: Option<String>,
    id_cipher: Option<String>,
    _id_index: Option<String>,
    _real_name_at: Option<NaiveDateTime>,
    suspension: Option<String>,
    consent_version: Option<String>,
    consent_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    _updated_at: NaiveDateTime,
    erased_at: Option<NaiveDateTime>,
    sessions_since: Option<NaiveDateTime>,
    _email_code_tries: i32,
    _email_index: Option<String>,
    _phone_tail_index: Option<String>,
}

type AffiliationRow = Option<(String, String, String, Option<NaiveDateTime>)>;

/// Members, with personal fields sealed by [`FieldCrypto`] on the way in and opened on the way out.
#[derive(Clone)]
pub struct DbMembers {
    db: Database,
    crypto: FieldCrypto,
}

impl DbMembers {
    pub fn new(db: Database, crypto: FieldCrypto) -> Self {
        Self { db, crypto }
    }

    fn member(&self, row: MemberRow) -> anyhow::Result<Member> {
        let open = |sealed: Option<String>| sealed.map(|s| self.crypto.open(&s)).transpose();
        // Checked against the date when it was bound; stored numbers are not re-judged.
        let today = chrono::NaiveDate::MAX;
        let phone = open(row.phone_cipher)?.map(|p| PhoneNumber::parse(&p)).transpose()?;
        let real_name = match (open(row.name_cipher)?, open(row.id_cipher)?) {
            (Some(name), Some(id)) => {
                Some(RealName { name: PersonName::parse(&name)?, id_number: IdNumber::parse(&id, today)? })
            }
            _ => None,
        };
        Ok(Member {
            id: MemberId(row.id.parse()?),
            phone,
            wechat_openid: row.wechat_openid,
            wechat_unionid: row.wechat_unionid,
            nickname: row.nickname,
            avatar_url: row.avatar_url,
            email: self.email(row.email_cipher)?,
            real_name,
            suspension: row.suspension,
            consent_version: row.consent_version,
            consent_at: row.consent_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            erased_at: row.erased_at.map(|t| t.and_utc()),
            sessions_since: row.sessions_since.map(|t| t.and_utc()),
        })
    }

    fn profile(
        &self,
        (row, affiliation, union_path, cardholder): (MemberRow, AffiliationRow, Option<String>, bool),
    ) -> anyhow::Result<Profile> {
        Ok(Profile {
            cardholder,
            member: self.member(row)?,
            affiliation: affiliation.map(|(union_org_code, union_org_name, member_no, joined_at)| Affiliation {
                union_org_code,
                union_org_name,
                union_path: union_path.map(NodePath::stored),
                member_no,
                joined_at: joined_at.map(|t| t.and_utc()),
            }),
        })
    }

    async fn find_one(&self, filter: Filter) -> anyhow::Result<Option<Member>> {
        let row: Option<MemberRow> = self
            .db
            .run(move |conn| {
                let query = members::table.into_boxed();
                let query = match filter {
                    Filter::PhoneIndex(i) => query.filter(members::phone_index.eq(i)),
                    Filter::OpenId(o) => query.filter(members::wechat_openid.eq(o)),
                };
                Ok::<_, anyhow::Error>(query.first(conn).optional()?)
            })
            .await?;
        row.map(|r| self.member(r)).transpose()
    }

    /// Profiles (member + active roster affiliation) found as `by` says.
    async fn profiles(&self, by: Found) -> anyhow::Result<Vec<Profile>> {
        let rows: Vec<(MemberRow, AffiliationRow, Option<String>, bool)> = self
            .db
            .run(move |conn| {
                let active_roster = roster::table.on(roster::id_index
                    .nullable()
                    .eq(members::id_index)
                    .and(roster::name_index.nullable().eq(members::name_index))
                    .and(roster::status.eq("active")));
                let union = union_nodes::table.on(union_nodes::code.nullable().eq(roster::union_org_code.nullable()));
                let mut query = members::table
                    .left_join(active_roster)
                    .left_join(union)
                    .select((
                        members::all_columns,
                        (roster::union_org_code, roster::union_org_name, roster::member_no, roster::joined_at)
                            .nullable(),
                        union_nodes::path.nullable(),
                        // The same test as the standing rule's card clause (`claims::sql::holds_card`).
                        diesel::dsl::exists(
                            cards::table.filter(cards::member_id.eq(members::id)).filter(cards::status.eq("active")),
                        ),
                    ))
                    .into_boxed();
                query = match by {
                    Found::Id(id) => query.filter(members::id.eq(id)),
                    Found::Indexes { phone_index: Some(p), id_index: Some(i) } => {
                        query.filter(members::phone_index.eq(p).or(members::id_index.eq(i)))
                    }
                    Found::Indexes { phone_index: Some(p), id_index: None } => query.filter(members::phone_index.eq(p)),
                    Found::Indexes { phone_index: None, id_index: Some(i) } => query.filter(members::id_index.eq(i)),
                    // Nothing to match on: nobody.
                    Found::Indexes { phone_index: None, id_index: None } => return Ok(Vec::new()),
                    Found::MemberNo(no) => query.filter(roster::member_no.nullable().eq(no)),
                };
                Ok::<_, anyhow::Error>(query.limit(50).load(conn)?)
            })
            .await?;
        rows.into_iter().map(|r| self.profile(r)).collect()
    }

    async fn write<F>(&self, work: F) -> anyhow::Result<()>
    where
        F: FnOnce(&mut DbConn) -> QueryResult<()> + Send + 'static,
    {
        self.db.transaction(move |conn| work(conn).map_err(anyhow::Error::from)).await
    }
}

enum Filter {
    PhoneIndex(String),
    OpenId(String),
}

/// How staff look-ups and a member's own profile find their rows.
enum Found {
    Id(String),
    Indexes {
        phone_index: Option<String>,
        id_index: Option<String>,
    },
    /// The member number of the active roster row an activated member is matched to.
    MemberNo(String),
}

fn taken(e: StoreError) -> BindError {
    match e {
        StoreError::UniqueViolation(_) => BindError::Taken,
        StoreError::Other(e) => BindError::Unknown(e),
    }
}

fn revoke_sessions(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::member_id.eq(id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .map(drop)
}

impl MemberRepository for DbMembers {
    async fn find_by_phone(&self, phone: &PhoneNumber) -> anyhow::Result<Option<Member>> {
        self.find_one(Filter::PhoneIndex(self.crypto.blind_index(PHONE, phone.as_str()))).await
    }

    async fn find_by_wechat(&self, openid: &str) -> anyhow::Result<Option<Member>> {
        self.find_one(Filter::OpenId(openid.to_owned())).await
    }

    async fn profile(&self, id: MemberId) -> anyhow::Result<Option<Profile>> {
        Ok(self.profiles(Found::Id(id.to_string())).await?.into_iter().next())
    }

    async fn search(&self, phone: Option<&PhoneNumber>, id: Option<&IdNumber>) -> anyhow::Result<Vec<Profile>> {
        let phone_index = phone.map(|p| self.crypto.blind_index(PHONE, p.as_str()));
        let id_index = id.map(|i| self.crypto.blind_index(ID_NUMBER, i.as_str()));
        self.profiles(Found::Indexes { phone_index, id_index }).await
    }

    async fn search_member_no(&self, member_no: &str) -> anyhow::Result<Vec<Profile>> {
        self.profiles(Found::MemberNo(member_no.to_owned())).await
    }

    async fn record_lookup(&self, entry: NewAuditEntry) -> anyhow::Result<()> {
        self.write(move |conn| audit::append(conn, entry)).await
    }

    async fn create_or_get(&self, member: &Member) -> anyhow::Result<Member> {
        let phone = member.phone.as_ref().ok_or_else(|| anyhow::anyhow!("a new member has a phone"))?;
        let id = member.id.to_string();
        let phone_cipher = self.crypto.seal(phone.as_str());
        let phone_index = self.crypto.blind_index(PHONE, phone.as_str());
        let phone_tail_index = phone_tail_digest(&self.crypto, &PhoneTail::of(phone));
        let now = member.created_at.naive_utc();
        let inserted = self
            .db
            .transaction(move |conn| {
                diesel::insert_into(members::table)
                    .values((
                        members::id.eq(id),
                        members::phone_cipher.eq(phone_cipher),
                        members::phone_index.eq(phone_index),
                        members::phone_tail_index.eq(phone_tail_index),
                        members::created_at.eq(now),
                        members::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                Ok::<_, StoreError>(())
            })
            .await;
        match inserted {
            Ok(()) => Ok(member.clone()),
            // Two first logins raced; the other one created the account.
            Err(StoreError::UniqueViolation(_)) => {
                self.find_by_phone(phone).await?.ok_or_else(|| anyhow::anyhow!("member vanished after conflict"))
            }
            Err(StoreError::Other(e)) => Err(e),
        }
    }

    async fn bind_wechat(&self, id: MemberId, openid: &str, unionid: Option<&str>) -> Result<(), BindError> {
        let (id, openid, unionid) = (id.to_string(), openid.to_owned(), unionid.map(str::to_owned));
        let changed = self
            .db
            .transaction(move |conn| {
                let n = diesel::update(
                    members::table
                        .filter(members::id.eq(id))
                        .filter(members::wechat_openid.is_null().or(members::wechat_openid.eq(&openid))),
                )
                .set((members::wechat_openid.eq(&openid), members::wechat_unionid.eq(unionid)))
                .execute(conn)?;
                Ok::<_, StoreError>(n)
            })
            .await
            .map_err(taken)?;
        if changed == 0 {
            return Err(BindError::Taken);
        }
        Ok(())
    }

    async fn bind_real_name(
        &self,
        id: MemberId,
        name: &PersonName,
        id_number: &IdNumber,
        now: DateTime<Utc>,
    ) -> Result<(), BindError> {
        let id = id.to_string();
        let (name_index, id_index) =
            (self.crypto.blind_index(NAME, name.as_str()), self.crypto.blind_index(ID_NUMBER, id_number.as_str()));
        let values = (
            members::name_cipher.eq(self.crypto.seal(name.as_str())),
            members::name_index.eq(name_index.clone()),
            members::id_cipher.eq(self.crypto.seal(id_number.as_str())),
            members::id_index.eq(id_index.clone()),
            members::real_name_at.eq(now.naive_utc()),
            members::updated_at.eq(now.naive_utc()),
        );
        self.db
            .transaction(move |conn| {
                diesel::update(members::table.find(&id)).set(values).execute(conn)?;
                diesel::update(
                    roster::table.filter(roster::id_index.eq(&id_index)).filter(roster::name_index.eq(&name_index)),
                )
                .set(roster::member_id.eq(&id))
                .execute(conn)?;
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(taken)
    }

    async fn update_profile(
        &self,
        id: MemberId,
        nickname: Option<Option<String>>,
        avatar_url: Option<Option<String>>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let id = id.to_string();
        self.write(move |conn| {
            let target = members::table.find(&id);
            if let Some(nickname) = nickname {
                diesel::update(target).set(members::nickname.eq(nickname)).execute(conn)?;
            }
            if let Some(avatar) = avatar_url {
                diesel::update(target).set(members::avatar_url.eq(avatar)).execute(conn)?;
            }
            diesel::update(target).set(members::updated_at.eq(now.naive_utc())).execute(conn).map(drop)
        })
        .await
    }

    async fn request_email(
        &self,
        id: MemberId,
        email: &EmailAddress,
        code: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
        mail: OutboundEmail,
    ) -> anyhow::Result<()> {
        self.queue_confirmation(id, email, code, now, expires, mail).await
    }

    async fn confirm_email(
        &self,
        id: MemberId,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> anyhow::Result<Option<EmailAddress>> {
        self.confirm_pending(id, code, now, max_tries).await
    }

    async fn record_consent(&self, id: MemberId, version: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.give_consent(id, version, now).await
    }

    async fn withdraw_consent(&self, id: MemberId, now: DateTime<Utc>) -> anyhow::Result<bool> {
        self.take_consent_back(id, now).await
    }

    async fn consent_history(&self, id: MemberId) -> anyhow::Result<Vec<ConsentEvent>> {
        self.consents(id).await
    }

    async fn erase(&self, id: MemberId, now: DateTime<Utc>) -> anyhow::Result<()> {
        let id = id.to_string();
        let now = now.naive_utc();
        let none = None::<String>;
        self.write(move |conn| {
            diesel::update(members::table.find(&id))
                .set((
                    (
                        members::phone_cipher.eq(&none),
                        members::phone_index.eq(&none),
                        members::phone_tail_index.eq(&none),
                        members::wechat_openid.eq(&none),
                        members::wechat_unionid.eq(&none),
                        members::nickname.eq(&none),
                        members::avatar_url.eq(&none),
                        members::email_cipher.eq(&none),
                        members::email_index.eq(&none),
                        members::pending_email_cipher.eq(&none),
                        members::email_code_hash.eq(&none),
                    ),
                    (
                        members::name_cipher.eq(&none),
                        members::name_index.eq(&none),
                        members::id_cipher.eq(&none),
                        members::id_index.eq(&none),
                        members::erased_at.eq(now),
                        members::updated_at.eq(now),
                    ),
                ))
                .execute(conn)?;
            // The roster row no longer has an account behind it.
            diesel::update(roster::table.filter(roster::member_id.eq(&id)))
                .set(roster::member_id.eq(&none))
                .execute(conn)?;
            // An open application goes with the account; what any application holds of the
            // person (the name and number given, workplace, reasons) goes too.
            diesel::update(
                applications::table.filter(applications::member_id.eq(&id)).filter(applications::state.eq("open")),
            )
            .set((applications::state.eq("withdrawn"), applications::decided_at.eq(now)))
            .execute(conn)?;
            diesel::update(applications::table.filter(applications::member_id.eq(&id)))
                .set((
                    applications::name_cipher.eq(&none),
                    applications::name_index.eq(&none),
                    applications::id_cipher.eq(&none),
                    applications::id_index.eq(&none),
                    applications::employer.eq(&none),
                    applications::position.eq(&none),
                    applications::reason.eq(&none),
                ))
                .execute(conn)?;
            revoke_sessions(conn, &id, now)
        })
        .await
    }

    async fn set_suspension(&self, id: MemberId, reason: Option<&str>, entry: NewAuditEntry) -> anyhow::Result<()> {
        let (id, reason) = (id.to_string(), reason.map(str::to_owned));
        let now = entry.at.naive_utc();
        self.write(move |conn| {
            let suspending = reason.is_some();
            diesel::update(members::table.find(&id))
                .set((members::suspension.eq(reason), members::updated_at.eq(now)))
                .execute(conn)?;
            if suspending {
                revoke_sessions(conn, &id, now)?;
                diesel::update(members::table.find(&id)).set(members::sessions_since.eq(now)).execute(conn)?;
            }
            audit::append(conn, entry)
        })
        .await
    }
}
