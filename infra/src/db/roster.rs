//! The member roster: matching a real name against it, and importing it in bulk.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::sqlite::SqliteConnection;
use std::collections::HashMap;

use super::members::{ID_NUMBER, NAME};
use super::schema::{roster, roster_staging};
use super::{Database, DbConn};
use crate::crypto::FieldCrypto;
use domain::members::ports::Roster;
use domain::members::roster::RosterEntry;
use domain::members::roster_search::{RosterCriterion, RosterMember};
use domain::members::{IdNumber, PersonName};
use domain::shared::{Page, PageRequest};

mod search;
pub use search::backfill_search_digests;

/// The blind index of a name's first character, and of its first two, for staff searching by the
/// beginning of a name.
const NAME_HEAD: &str = "name_head";

pub(crate) fn name_head_digests(crypto: &FieldCrypto, name: &PersonName) -> (String, String) {
    let (one, two) = domain::members::roster_search::name_heads(name);
    (crypto.blind_index(NAME_HEAD, &one), crypto.blind_index(NAME_HEAD, &two))
}

#[derive(Clone)]
pub struct DbRoster {
    db: Database,
    crypto: FieldCrypto,
}

/// A roster row ready to store: personal fields sealed, indexes computed.
struct Sealed {
    id_index: String,
    name_index: String,
    name_head_index: String,
    name_head2_index: String,
    name_cipher: String,
    id_cipher: String,
    union_org_code: String,
    union_org_name: String,
    member_no: String,
    status: &'static str,
}

/// Roster rows ready to write: personal fields sealed, one per ID number.
pub struct SealedBatch(Vec<Sealed>);

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(QueryableByName)]
struct Upserted {
    #[diesel(sql_type = BigInt)]
    inserted: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

impl DbRoster {
    pub fn new(db: Database, crypto: FieldCrypto) -> Self {
        Self { db, crypto }
    }

    fn seal(&self, e: &RosterEntry) -> Sealed {
        let (name_head_index, name_head2_index) = name_head_digests(&self.crypto, &e.name);
        Sealed {
            id_index: self.crypto.blind_index(ID_NUMBER, e.id_number.as_str()),
            name_index: self.crypto.blind_index(NAME, e.name.as_str()),
            name_head_index,
            name_head2_index,
            name_cipher: self.crypto.seal(e.name.as_str()),
            id_cipher: self.crypto.seal(e.id_number.as_str()),
            union_org_code: e.union_org_code.clone(),
            union_org_name: e.union_org_name.clone(),
            member_no: e.member_no.clone(),
            status: e.status.as_str(),
        }
    }

    /// Encrypts and indexes a batch, keeping the last entry for each ID number. CPU-bound and
    /// independent of the database, so an import can seal one batch while the previous is written.
    pub fn seal_batch(&self, entries: &[RosterEntry]) -> SealedBatch {
        let mut last: HashMap<String, Sealed> = HashMap::with_capacity(entries.len());
        for entry in entries {
            let sealed = self.seal(entry);
            last.insert(sealed.id_index.clone(), sealed);
        }
        SealedBatch(last.into_values().collect())
    }

    /// Inserts or updates a sealed batch in one transaction. Rows whose content did not change are
    /// left alone (their ciphertexts would differ only by nonce). Blocking.
    pub fn write_batch(&self, batch: &SealedBatch, now: DateTime<Utc>) -> anyhow::Result<BatchOutcome> {
        let rows = &batch.0;
        self.db.blocking(|conn| match conn {
            DbConn::Pg(pg) => pg.transaction(|pg| copy_and_merge(pg, rows, now)),
            DbConn::Sqlite(lite) => lite.immediate_transaction(|lite| upsert_each(lite, rows, now)),
        })
    }

    /// The codes of the open unions under `path`. Blocking.
    pub fn open_unions_under(
        &self,
        path: &domain::unions::NodePath,
    ) -> anyhow::Result<std::collections::HashSet<String>> {
        use super::schema::union_nodes;
        let (lo, hi) = super::unions::subtree_range(path.as_str());
        self.db.blocking(|conn| {
            let codes: Vec<String> = union_nodes::table
                .filter(union_nodes::path.ge(lo))
                .filter(union_nodes::path.lt(hi))
                .filter(union_nodes::closed_at.is_null())
                .select(union_nodes::code)
                .load(conn)?;
            Ok(codes.into_iter().collect())
        })
    }

    /// Fills in up to `batch` rows' (and accounts') missing search digests; see
    /// [`backfill_search_digests`].
    pub async fn backfill_search(&self, batch: i64) -> anyhow::Result<u64> {
        backfill_search_digests(&self.db, &self.crypto, batch).await
    }

    /// [`Self::seal_batch`] then [`Self::write_batch`].
    pub fn upsert_batch(&self, entries: &[RosterEntry], now: DateTime<Utc>) -> anyhow::Result<BatchOutcome> {
        self.write_batch(&self.seal_batch(entries), now)
    }
}

const MERGE: &str = "
    WITH up AS (
        INSERT INTO roster (id_index, name_index, name_head_index, name_head2_index, name_cipher, id_cipher,
                            union_org_code, union_org_name, member_no, status, updated_at, joined_at, member_id)
        SELECT s.id_index, s.name_index, s.name_head_index, s.name_head2_index, s.name_cipher, s.id_cipher,
               s.union_org_code, s.union_org_name, s.member_no, s.status, $1, $1,
               (SELECT m.id FROM members m WHERE m.id_index = s.id_index AND m.name_index = s.name_index
                   AND m.erased_at IS NULL LIMIT 1)
        FROM roster_staging s
        ON CONFLICT (id_index) DO UPDATE SET
            name_index = EXCLUDED.name_index, name_cipher = EXCLUDED.name_cipher, member_id = EXCLUDED.member_id,
            name_head_index = EXCLUDED.name_head_index, name_head2_index = EXCLUDED.name_head2_index,
            id_cipher = EXCLUDED.id_cipher, union_org_code = EXCLUDED.union_org_code,
            union_org_name = EXCLUDED.union_org_name, member_no = EXCLUDED.member_no,
            status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
        WHERE roster.name_index <> EXCLUDED.name_index OR roster.union_org_code <> EXCLUDED.union_org_code
           OR roster.union_org_name <> EXCLUDED.union_org_name OR roster.member_no <> EXCLUDED.member_no
           OR roster.status <> EXCLUDED.status OR roster.name_head_index IS NULL
        RETURNING (xmax = 0) AS fresh
    )
    SELECT count(*) FILTER (WHERE fresh) AS inserted, count(*) AS total FROM up";

/// Every union code the batch names is a union of the tree: the ones it lacks become grassroots
/// unions under the root, flagged unplaced for staff to place. Two imports at once make one each.
const ADOPT_STAGED: &str = "
    INSERT INTO union_nodes (code, name, kind, parent_code, path, unplaced, created_at, updated_at)
    SELECT s.code, s.name, 'grassroots', root.code, root.path || s.code || '/', TRUE, $1, $1
      FROM (SELECT union_org_code AS code, MIN(union_org_name) AS name FROM roster_staging GROUP BY union_org_code) s,
           (SELECT code, path FROM union_nodes WHERE parent_code IS NULL) root
     WHERE NOT EXISTS (SELECT 1 FROM union_nodes n WHERE n.code = s.code)
    ON CONFLICT DO NOTHING";

/// [`ADOPT_STAGED`] for one code, on SQLite.
const ADOPT_ONE: &str = "
    INSERT INTO union_nodes (code, name, kind, parent_code, path, unplaced, created_at, updated_at)
    SELECT ?, ?, 'grassroots', code, path || ? || '/', TRUE, ?, ?
      FROM union_nodes WHERE parent_code IS NULL
    ON CONFLICT DO NOTHING";

/// PostgreSQL: COPY the batch into a temporary table, then one set-based merge.
fn copy_and_merge(pg: &mut PgConnection, rows: &[Sealed], now: DateTime<Utc>) -> anyhow::Result<BatchOutcome> {
    pg.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS roster_staging (
            id_index TEXT, name_index TEXT, name_head_index TEXT, name_head2_index TEXT, name_cipher TEXT,
            id_cipher TEXT, union_org_code TEXT, union_org_name TEXT, member_no TEXT, status TEXT)
            ON COMMIT DELETE ROWS",
    )?;
    diesel::copy_from(roster_staging::table)
        .from_raw_data(roster_staging::table, |out| {
            let csv_error = |e: csv::Error| diesel::result::Error::SerializationError(Box::new(e));
            let mut w = csv::Writer::from_writer(out);
            for r in rows {
                w.write_record([
                    &r.id_index,
                    &r.name_index,
                    &r.name_head_index,
                    &r.name_head2_index,
                    &r.name_cipher,
                    &r.id_cipher,
                    &r.union_org_code,
                    &r.union_org_name,
                    &r.member_no,
                    r.status,
                ])
                .map_err(csv_error)?;
            }
            w.flush().map_err(|e| csv_error(e.into()))
        })
        .with_format(CopyFormat::Csv)
        .execute(pg)?;
    let counts: Upserted = diesel::sql_query(MERGE).bind::<Timestamp, _>(now.naive_utc()).get_result(pg)?;
    diesel::sql_query(ADOPT_STAGED).bind::<Timestamp, _>(now.naive_utc()).execute(pg)?;
    let (inserted, touched) = (u64::try_from(counts.inserted)?, u64::try_from(counts.total)?);
    Ok(BatchOutcome { inserted, updated: touched - inserted, unchanged: rows.len() as u64 - touched })
}

/// SQLite: one prepared upsert per row inside an immediate transaction.
fn upsert_each(lite: &mut SqliteConnection, rows: &[Sealed], now: DateTime<Utc>) -> anyhow::Result<BatchOutcome> {
    let count = |lite: &mut SqliteConnection| roster::table.count().get_result::<i64>(lite);
    let before = count(lite)?;
    let mut touched = 0u64;
    for r in rows {
        touched += diesel::sql_query(
            "INSERT INTO roster (id_index, name_index, name_head_index, name_head2_index, name_cipher, id_cipher,
                                 union_org_code, union_org_name, member_no, status, updated_at, joined_at, member_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                     (SELECT m.id FROM members m WHERE m.id_index = ?1 AND m.name_index = ?2
                         AND m.erased_at IS NULL LIMIT 1))
             ON CONFLICT (id_index) DO UPDATE SET
                name_index = excluded.name_index, name_cipher = excluded.name_cipher, member_id = excluded.member_id,
                name_head_index = excluded.name_head_index, name_head2_index = excluded.name_head2_index,
                id_cipher = excluded.id_cipher, union_org_code = excluded.union_org_code,
                union_org_name = excluded.union_org_name, member_no = excluded.member_no,
                status = excluded.status, updated_at = excluded.updated_at
             WHERE roster.name_index <> excluded.name_index OR roster.union_org_code <> excluded.union_org_code
                OR roster.union_org_name <> excluded.union_org_name OR roster.member_no <> excluded.member_no
                OR roster.status <> excluded.status OR roster.name_head_index IS NULL",
        )
        .bind::<Text, _>(&r.id_index)
        .bind::<Text, _>(&r.name_index)
        .bind::<Text, _>(&r.name_head_index)
        .bind::<Text, _>(&r.name_head2_index)
        .bind::<Text, _>(&r.name_cipher)
        .bind::<Text, _>(&r.id_cipher)
        .bind::<Text, _>(&r.union_org_code)
        .bind::<Text, _>(&r.union_org_name)
        .bind::<Text, _>(&r.member_no)
        .bind::<Text, _>(r.status)
        .bind::<Timestamp, _>(now.naive_utc())
        .bind::<Timestamp, _>(now.naive_utc())
        .execute(lite)? as u64;
    }
    let inserted = u64::try_from(count(lite)? - before)?;
    let mut codes: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for r in rows {
        codes.entry(&r.union_org_code).or_insert(&r.union_org_name);
    }
    for (code, name) in codes {
        diesel::sql_query(ADOPT_ONE)
            .bind::<Text, _>(code)
            .bind::<Text, _>(name)
            .bind::<Text, _>(code)
            .bind::<Timestamp, _>(now.naive_utc())
            .bind::<Timestamp, _>(now.naive_utc())
            .execute(lite)?;
    }
    Ok(BatchOutcome { inserted, updated: touched - inserted, unchanged: rows.len() as u64 - touched })
}

impl Roster for DbRoster {
    async fn union_path(&self, code: &str) -> anyhow::Result<Option<domain::unions::NodePath>> {
        use super::schema::union_nodes;
        let code = code.to_owned();
        let path: Option<String> = self
            .db
            .run(move |conn| {
                union_nodes::table
                    .filter(union_nodes::code.eq(code))
                    .select(union_nodes::path)
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(path.map(domain::unions::NodePath::stored))
    }

    async fn search(
        &self,
        criterion: &RosterCriterion,
        within: Option<&domain::unions::NodePath>,
        page: PageRequest,
    ) -> anyhow::Result<Page<RosterMember>> {
        let (this, criterion, within) = (self.clone(), criterion.clone(), within.cloned());
        self.db.run(move |conn| this.search_blocking(conn, &criterion, within.as_ref(), page)).await
    }

    async fn is_active_member(&self, name: &PersonName, id_number: &IdNumber) -> anyhow::Result<bool> {
        let id_index = self.crypto.blind_index(ID_NUMBER, id_number.as_str());
        let name_index = self.crypto.blind_index(NAME, name.as_str());
        self.db
            .run(move |conn| {
                let n: i64 = roster::table
                    .filter(roster::id_index.eq(id_index))
                    .filter(roster::name_index.eq(name_index))
                    .filter(roster::status.eq("active"))
                    .count()
                    .get_result(conn)?;
                Ok(n > 0)
            })
            .await
    }
}
