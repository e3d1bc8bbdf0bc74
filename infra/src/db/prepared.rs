//! Hand-written statements that each connection prepares once. diesel never caches a
//! `sql_query`: every run of one costs a parse and a plan, and on PostgreSQL a second round trip
//! (prepare, then execute). The claim statements run thousands of times a second, so they are
//! written as SQL with `$n` placeholders and walked here into pieces and binds that diesel's
//! statement cache keeps, keyed by their text — on PostgreSQL and on SQLite alike.

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

trait BindFor<DB: Backend>: Send {
    fn walk<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

struct Bind<ST, T> {
    value: T,
    sql_type: PhantomData<fn() -> ST>,
}

impl<DB, ST, T> BindFor<DB> for Bind<ST, T>
where
    DB: Backend + HasSqlType<ST>,
    T: ToSql<ST, DB> + Send,
{
    fn walk<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_bind_param::<ST, T>(&self.value)
    }
}

/// A statement with `$1`, `$2`… placeholders, bound in order. Rows load by name, as with
/// `sql_query`.
pub struct Prepared<DB: Backend = Pg> {
    sql: &'static str,
    binds: Vec<Box<dyn BindFor<DB>>>,
}

impl<DB: Backend> Prepared<DB> {
    pub fn new(sql: &'static str) -> Self {
        Self { sql, binds: Vec::new() }
    }

    /// Binds the next placeholder (`$1` first).
    pub fn bind<ST, T>(mut self, value: T) -> Self
    where
        DB: HasSqlType<ST>,
        T: ToSql<ST, DB> + Send + 'static,
        ST: 'static,
    {
        self.binds.push(Box::new(Bind::<ST, T> { value, sql_type: PhantomData }));
        self
    }
}

impl<DB: Backend> QueryFragment<DB> for Prepared<DB> {
    /// Each `$n` becomes a fresh placeholder carrying bind `n` (`$k` on PostgreSQL, `?` on
    /// SQLite): a value used twice is simply sent twice, and placeholders may come in any order.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut rest = self.sql;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
            let n: usize = rest[at + 1..at + 1 + digits]
                .parse()
                .map_err(|_| diesel::result::Error::QueryBuilderError("a `$` without a number".into()))?;
            let bind = self
                .binds
                .get(n.wrapping_sub(1))
                .ok_or_else(|| diesel::result::Error::QueryBuilderError(format!("${n} is not bound").into()))?;
            bind.walk(&mut out)?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl<DB: Backend> QueryId for Prepared<DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> Query for Prepared<DB> {
    type SqlType = Untyped;
}

impl<DB: Backend, Conn> RunQueryDsl<Conn> for Prepared<DB> {}

/// Runs a hand-written statement on either backend, prepared once per connection (through
/// [`Prepared`]): `$pg` on PostgreSQL, `$lite` on SQLite. `$run` is `get_result`, `load` or
/// `execute`.
macro_rules! hand_written {
    ($conn:expr, $pg:expr, $lite:expr, [$($ty:ty => $value:expr),* $(,)?], $run:ident) => {
        match $conn {
            $crate::db::DbConn::Pg(pg) => {
                diesel::RunQueryDsl::$run($crate::db::prepared::Prepared::<diesel::pg::Pg>::new($pg)$(.bind::<$ty, _>($value))*, pg)
            }
            $crate::db::DbConn::Sqlite(lite) => diesel::RunQueryDsl::$run(
                $crate::db::prepared::Prepared::<diesel::sqlite::Sqlite>::new($lite)$(.bind::<$ty, _>($value))*,
                lite,
            ),
        }
    };
}
pub(crate) use hand_written;

#[cfg(test)]
mod tests {
    use super::Prepared;
    use diesel::pg::Pg;
    use diesel::sql_types::{Integer, Text};
    use diesel::sqlite::Sqlite;

    #[test]
    fn placeholders_become_binds_in_order_and_repeat() {
        let q =
            Prepared::<Pg>::new("SELECT $1, $2::int, $1 || 'x'").bind::<Text, _>("a".to_owned()).bind::<Integer, _>(7);
        let sql = diesel::debug_query::<diesel::pg::Pg, _>(&q).to_string();
        assert!(sql.starts_with("SELECT $1, $2::int, $3 || 'x'"), "{sql}");
        assert!(sql.contains(r#"binds: ["a", 7, "a"]"#), "{sql}");
    }

    #[test]
    fn on_sqlite_each_placeholder_is_a_question_mark_with_its_own_bind() {
        let q = Prepared::<Sqlite>::new("SELECT $2, $1, $2").bind::<Text, _>("a".to_owned()).bind::<Integer, _>(7);
        let sql = diesel::debug_query::<Sqlite, _>(&q).to_string();
        assert!(sql.starts_with("SELECT ?, ?, ?"), "{sql}");
        assert!(sql.contains(r#"binds: [7, "a", 7]"#), "{sql}");
    }

    #[test]
    fn an_unbound_placeholder_is_an_error_not_a_panic() {
        let q = Prepared::<Pg>::new("SELECT $2").bind::<Integer, _>(1);
        assert!(diesel::query_builder::QueryFragment::<diesel::pg::Pg>::to_sql(
            &q,
            &mut <diesel::pg::Pg as diesel::backend::Backend>::QueryBuilder::default(),
            &diesel::pg::Pg
        )
        .is_err());
    }
}
