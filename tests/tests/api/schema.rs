//! The two migration sets must describe the same tables and columns.

use diesel::sql_types::{Bool, Text};
use diesel::{QueryableByName, RunQueryDsl};
use std::collections::BTreeSet;
use tests::{Backend, Services, TestApp};

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

/// (table, column, type family, nullable), with each backend's spelling of a type folded into one.
type Shape = BTreeSet<(String, String, &'static str, bool)>;

fn family(t: &str) -> &'static str {
    match t.to_ascii_lowercase().as_str() {
        "text" => "text",
        "integer" | "bigint" | "smallint" => "integer",
        "boolean" => "boolean",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "date" => "date",
        "bytea" | "blob" => "binary",
        other => panic!("column type {other} has no counterpart on the other backend"),
    }
}

async fn shape(app: &TestApp, sql: &'static str) -> Shape {
    let db = app.database().await;
    let columns: Vec<Column> =
        db.run(move |conn| diesel::sql_query(sql).load(conn).map_err(anyhow::Error::from)).await.unwrap();
    columns.into_iter().map(|c| (c.table_name, c.column_name, family(&c.data_type), c.nullable)).collect()
}

const SQLITE_COLUMNS: &str = "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
     (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
     FROM sqlite_master m JOIN pragma_table_info(m.name) p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'";

const POSTGRES_COLUMNS: &str = "SELECT table_name::text AS table_name, column_name::text AS column_name, \
     data_type::text AS data_type, (is_nullable = 'YES') AS nullable \
     FROM information_schema.columns \
     WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'";

#[actix_web::test]
async fn both_migration_sets_build_the_same_tables_and_columns() {
    if !Services::available_or_skip() {
        return;
    }
    let sqlite = TestApp::spawn(Backend::Embedded).await;
    let postgres = TestApp::spawn(Backend::PostgresRedis).await;
    let sqlite_shape = shape(&sqlite, SQLITE_COLUMNS).await;
    let postgres_shape = shape(&postgres, POSTGRES_COLUMNS).await;
    assert!(sqlite_shape.len() >= 30, "{sqlite_shape:?}");
    let only_sqlite: Vec<_> = sqlite_shape.difference(&postgres_shape).collect();
    let only_postgres: Vec<_> = postgres_shape.difference(&sqlite_shape).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "sqlite only: {only_sqlite:?}\npostgres only: {only_postgres:?}"
    );
}
