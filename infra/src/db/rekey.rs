//! Re-sealing personal data under the current field key (`sgh rotate-keys`), online: in batches
//! in id order, each row rewritten only if none of its sealed values changed since it was read
//! (a member re-binding their name meanwhile keeps the new value, and the row is taken on the next
//! run). What is left to do is the data itself — values not yet tagged with the current key id —
//! so a run that stops half-way loses nothing, and the next run, from its saved cursor or from the
//! start, finishes the rest. On SQLite (one writer, the embedded single instance) it runs with the
//! server stopped.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::{Backend, Database, DbConn};
use crate::crypto::FieldCrypto;

/// A table's sealed columns, and the type of its id.
#[derive(Debug, Clone, Copy)]
pub struct Sealed {
    pub table: &'static str,
    /// A numeric id (the cursor still travels as text); otherwise text.
    numeric_id: bool,
    columns: &'static [&'static str],
}

/// The most sealed columns a table has (the width of [`Row`]).
const MOST_COLUMNS: usize = 5;

/// Every column written with [`FieldCrypto::seal`].
pub const SEALED: [Sealed; 8] = [
    Sealed {
        table: "members",
        numeric_id: false,
        columns: &["phone_cipher", "name_cipher", "id_cipher", "email_cipher", "pending_email_cipher"],
    },
    Sealed { table: "roster", numeric_id: true, columns: &["name_cipher", "id_cipher"] },
    Sealed { table: "cards", numeric_id: false, columns: &["secret_cipher"] },
    // The name and 身份证 number a worker not on the roster gave with a join.
    Sealed { table: "applications", numeric_id: false, columns: &["name_cipher", "id_cipher"] },
    // What members wrote to the union in service cases: the form's answers, the thread, file names.
    Sealed { table: "service_cases", numeric_id: false, columns: &["answers_cipher"] },
    Sealed { table: "service_case_events", numeric_id: true, columns: &["body_cipher"] },
    Sealed { table: "service_attachments", numeric_id: false, columns: &["name_cipher"] },
    Sealed {
        table: "merchants",
        numeric_id: false,
        columns: &["webhook_secret_cipher", "webhook_previous_secret_cipher"],
    },
];

impl Sealed {
    /// Where a run starts: before every id.
    pub fn start(&self) -> String {
        if self.numeric_id { "0" } else { "" }.to_owned()
    }

    /// Placeholder `$n`, as the id's type.
    fn id_param(&self, n: usize) -> String {
        if self.numeric_id {
            format!("CAST(${n} AS BIGINT)")
        } else {
            format!("${n}")
        }
    }

    /// A row not yet wholly under `$tag`'s key id (the bind is `<key id>:%`).
    fn stale(&self, tag: usize) -> String {
        let any: Vec<String> =
            self.columns.iter().map(|c| format!("({c} IS NOT NULL AND {c} NOT LIKE ${tag})")).collect();
        any.join(" OR ")
    }

    fn select(&self) -> String {
        let cols: Vec<String> = (0..MOST_COLUMNS)
            .map(|i| self.columns.get(i).map_or(format!("CAST(NULL AS TEXT) AS c{i}"), |c| format!("{c} AS c{i}")))
            .collect();
        // Ordered by the column, not by the text alias: the cursor compares ids as their type.
        format!(
            "SELECT CAST({t}.id AS TEXT) AS id, {cols} FROM {t} WHERE {t}.id > {after} AND ({stale}) \
             ORDER BY {t}.id LIMIT $3",
            cols = cols.join(", "),
            t = self.table,
            after = self.id_param(1),
            stale = self.stale(2)
        )
    }

    /// Rewrites one row's values if they are still what was read.
    fn update(&self, backend: Backend) -> String {
        let same = match backend {
            Backend::Postgres => "IS NOT DISTINCT FROM",
            Backend::Sqlite => "IS",
        };
        let n = self.columns.len();
        let set: Vec<String> = self.columns.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
        let unchanged: Vec<String> =
            self.columns.iter().enumerate().map(|(i, c)| format!("{c} {same} ${}", n + 2 + i)).collect();
        let id = self.id_param(n + 1);
        format!("UPDATE {} SET {} WHERE id = {id} AND {}", self.table, set.join(", "), unchanged.join(" AND "))
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<Text>)]
    c0: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c3: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c4: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// What one batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub rewritten: usize,
    /// Rows that changed between the read and the write: the next run takes them.
    pub changed_meanwhile: usize,
    /// Where the next batch starts; `None` when the table is done.
    pub next: Option<String>,
}

#[derive(Clone)]
pub struct Rekey {
    pub db: Database,
    pub crypto: FieldCrypto,
}

impl Rekey {
    fn tag(&self) -> String {
        format!("{}:%", self.crypto.key_id())
    }

    /// Rows of `t` with a value not under the current key.
    pub fn remaining(&self, t: &Sealed) -> anyhow::Result<i64> {
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {} WHERE {}", t.table, t.stale(1));
        let tag = self.tag();
        self.db.blocking(|conn| Ok(diesel::sql_query(sql).bind::<Text, _>(tag).get_result::<Count>(conn)?.n))
    }

    /// Re-seals up to `size` stale rows of `t` after `after`, in one transaction.
    pub fn batch(&self, t: &Sealed, after: &str, size: i64) -> anyhow::Result<Batch> {
        let (select, update, tag) = (t.select(), t.update(self.db.backend()), self.tag());
        let crypto = self.crypto.clone();
        let columns = t.columns.len();
        self.db.blocking(|conn| {
            let work = |conn: &mut DbConn| {
                let rows: Vec<Row> = diesel::sql_query(select)
                    .bind::<Text, _>(after)
                    .bind::<Text, _>(&tag)
                    .bind::<diesel::sql_types::BigInt, _>(size)
                    .load(conn)?;
                let next = (rows.len() as i64 == size).then(|| rows.last().map(|r| r.id.clone())).flatten();
                let (mut rewritten, mut changed_meanwhile) = (0, 0);
                for row in &rows {
                    let old = [&row.c0, &row.c1, &row.c2, &row.c3, &row.c4];
                    let mut fresh = Vec::with_capacity(columns);
                    for value in old.iter().take(columns) {
                        fresh.push(match value {
                            Some(sealed) if !sealed.starts_with(&tag[..tag.len() - 1]) => {
                                Some(crypto.seal(&crypto.open(sealed)?))
                            }
                            other => (*other).clone(),
                        });
                    }
                    let mut query = diesel::sql_query(update.as_str()).into_boxed();
                    for value in &fresh {
                        query = query.bind::<Nullable<Text>, _>(value.clone());
                    }
                    query = query.bind::<Text, _>(row.id.clone());
                    for value in old.iter().take(columns) {
                        query = query.bind::<Nullable<Text>, _>((*value).clone());
                    }
                    if query.execute(conn)? == 1 {
                        rewritten += 1;
                    } else {
                        changed_meanwhile += 1;
                    }
                }
                Ok::<_, anyhow::Error>(Batch { rewritten, changed_meanwhile, next })
            };
            conn.transaction(work)
        })
    }
}

/// Attached files are re-sealed by their store (read under whichever key, written under the
/// current one); their rows record the key, so what is left is known here.
impl Rekey {
    /// Files not under the current key.
    pub fn files_remaining(&self) -> anyhow::Result<i64> {
        use super::schema::service_attachments as a;
        let key = self.crypto.key_id().to_owned();
        self.db.blocking(|conn| Ok(a::table.filter(a::sealed_with.ne(key)).count().get_result(conn)?))
    }

    /// Up to `size` ids of files not under the current key, after `after`, in id order.
    pub fn stale_files(&self, after: &str, size: i64) -> anyhow::Result<Vec<String>> {
        use super::schema::service_attachments as a;
        let key = self.crypto.key_id().to_owned();
        self.db.blocking(|conn| {
            Ok(a::table
                .filter(a::sealed_with.ne(key))
                .filter(a::id.gt(after))
                .order(a::id.asc())
                .select(a::id)
                .limit(size)
                .load(conn)?)
        })
    }

    /// Records that the file `id` is now sealed under the current key; `false` if its row is gone
    /// (erased meanwhile).
    pub fn file_resealed(&self, id: &str) -> anyhow::Result<bool> {
        use super::schema::service_attachments as a;
        let key = self.crypto.key_id().to_owned();
        self.db.blocking(|conn| Ok(diesel::update(a::table.find(id)).set(a::sealed_with.eq(key)).execute(conn)? == 1))
    }
}
