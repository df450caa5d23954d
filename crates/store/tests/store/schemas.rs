//! Both backends carry the same schema: the same migration versions, and after
//! migrating, the same tables, columns (with comparable types and nullability)
//! and named indexes.

use std::collections::BTreeSet;
use std::path::Path;

use phoneguard_store::postgres::PostgresStore;
use phoneguard_store::sqlite::SqliteStore;

use crate::pg;

/// `table.column type-family null|not-null`.
type Columns = BTreeSet<String>;

fn migration_files(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "every migration exists on both backends, with the same version and name"
    );
}

/// The type family of a declared SQLite column type (its affinity).
fn sqlite_family(declared: &str) -> &'static str {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        "integer"
    } else if t.contains("CHAR") || t.contains("TEXT") || t.contains("CLOB") {
        "text"
    } else if t.contains("BLOB") || t.is_empty() {
        "bytes"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "real"
    } else {
        "numeric"
    }
}

/// The type family of a PostgreSQL column type, in SQLite's terms (SQLite keeps
/// booleans as integers).
fn postgres_family(data_type: &str) -> String {
    match data_type {
        "smallint" | "integer" | "bigint" | "boolean" => "integer".into(),
        "text" | "character varying" | "character" => "text".into(),
        "bytea" => "bytes".into(),
        "real" | "double precision" => "real".into(),
        other => other.into(),
    }
}

fn column(table: &str, name: &str, family: &str, nullable: bool) -> String {
    let null = if nullable { "null" } else { "not-null" };
    format!("{table}.{name} {family} {null}")
}

async fn sqlite_schema(store: &SqliteStore) -> (Columns, BTreeSet<String>) {
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let columns = rows
        .into_iter()
        // A primary-key column never holds NULL, declared NOT NULL or not.
        .map(|(t, c, ty, notnull, pk)| column(&t, &c, sqlite_family(&ty), notnull == 0 && pk == 0))
        .collect();
    let indexes: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .fetch_all(store.pool())
            .await
            .unwrap();
    (columns, indexes.into_iter().map(|(n,)| n).collect())
}

async fn postgres_schema(store: &PostgresStore) -> (Columns, BTreeSet<String>) {
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT, is_nullable = 'YES' \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let columns = rows
        .into_iter()
        .map(|(t, c, ty, nullable)| column(&t, &c, &postgres_family(&ty), nullable))
        .collect();
    // Named indexes only: not those PostgreSQL makes for keys and UNIQUE.
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT indexname::TEXT FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename <> '_sqlx_migrations' \
         AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    (columns, indexes.into_iter().map(|(n,)| n).collect())
}

fn difference(what: &str, a: &BTreeSet<String>, b: &BTreeSet<String>) -> String {
    let only_a: Vec<_> = a.difference(b).collect();
    let only_b: Vec<_> = b.difference(a).collect();
    format!("{what}: only on SQLite {only_a:#?}; only on PostgreSQL {only_b:#?}")
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_carry_the_same_tables_and_columns() {
    let Some(server) = pg::server("schema comparison") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let db = pg::TestDb::create(&server, "schema").await;
    let postgres = PostgresStore::open(&db.url).await.unwrap();

    let (s_columns, s_indexes) = sqlite_schema(&sqlite).await;
    let (p_columns, p_indexes) = postgres_schema(&postgres).await;
    assert!(s_columns.iter().any(|c| c.starts_with("tenants.id ")));
    assert!(
        s_columns == p_columns,
        "{}",
        difference("columns", &s_columns, &p_columns)
    );
    assert!(
        s_indexes == p_indexes,
        "{}",
        difference("indexes", &s_indexes, &p_indexes)
    );
}
