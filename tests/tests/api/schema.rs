//! The two migration sets must describe the same tables and columns, and the diesel schema the
//! code is compiled against must describe them too.

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

/// Tables the migrations keep that no code maps: `outbox` only forwards rows from instances of
/// the previous build into `jobs` during a rolling upgrade.
const UNMAPPED: [&str; 1] = ["outbox"];
/// Tables the code declares that a statement creates for itself: the roster import's temporary
/// staging table on PostgreSQL.
const TEMPORARY: [&str; 1] = ["roster_staging"];

/// The `diesel::table!` declarations under `infra/src/db/schema/`, as (table, column, type family,
/// nullable).
fn declared() -> Shape {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/src/db/schema");
    let mut shape = Shape::new();
    for entry in std::fs::read_dir(&dir).expect("schema directory") {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut table: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if let Some((name, _)) = line.split_once(" (").filter(|_| line.ends_with('{')) {
                table = Some(name.to_owned());
            } else if let (Some(t), Some((column, ty))) = (&table, line.split_once(" -> ")) {
                let ty = ty.trim_end_matches(',');
                let (nullable, ty) = match ty.strip_prefix("Nullable<") {
                    Some(inner) => (true, inner.trim_end_matches('>')),
                    None => (false, ty),
                };
                let family = match ty {
                    "Text" => "text",
                    "Integer" | "BigInt" | "SmallInt" => "integer",
                    "Bool" => "boolean",
                    "Timestamp" => "timestamp",
                    "Date" => "date",
                    "Binary" => "binary",
                    other => panic!("{t}.{column}: diesel type {other} has no family here"),
                };
                shape.insert((t.clone(), column.to_owned(), family, nullable));
            } else if line == "}" {
                table = None;
            }
        }
    }
    shape
}

#[actix_web::test]
async fn the_diesel_schema_matches_the_migrations() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let migrated: Shape =
        shape(&app, SQLITE_COLUMNS).await.into_iter().filter(|(t, ..)| !UNMAPPED.contains(&t.as_str())).collect();
    let declared: Shape = declared().into_iter().filter(|(t, ..)| !TEMPORARY.contains(&t.as_str())).collect();
    assert!(declared.len() >= 30, "{declared:?}");
    let only_code: Vec<_> = declared.difference(&migrated).collect();
    let only_migrations: Vec<_> = migrated.difference(&declared).collect();
    assert!(
        only_code.is_empty() && only_migrations.is_empty(),
        "in schema.rs only: {only_code:?}\nin the migrations only: {only_migrations:?}"
    );
}
