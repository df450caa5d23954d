//! Both backends carry the same schema: the same migration versions, and after
//! migrating, the same tables, columns (with comparable types and nullability),
//! primary keys and UNIQUE constraints (their columns, in order), and named
//! indexes (their columns in order, unique or not, partial or not).

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

/// An index: table, name, what it backs (SQLite's origin, PostgreSQL's
/// constraint type), unique, partial.
type IndexOf<O> = (String, String, O, bool, bool);

/// One column of an index, in order, with the index it belongs to.
type IndexColumn<O> = (IndexOf<O>, String);

/// Columns, keys (primary and UNIQUE constraints) and named indexes.
type Schema = (Columns, BTreeSet<String>, BTreeSet<String>);

async fn sqlite_schema(store: &SqliteStore) -> Schema {
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
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let pk: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
         AND p.pk > 0 ORDER BY m.name, p.pk",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    keys.extend(
        grouped(pk)
            .into_iter()
            .map(|(t, cols)| format!("{t} primary key ({cols})")),
    );
    // Every index of a table: `origin` is `c` (CREATE INDEX), `u` (UNIQUE
    // constraint) or `pk`; columns in index order (an expression is a NULL name).
    let rows: Vec<(String, String, String, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT m.name, l.name, l.origin, l.\"unique\", l.partial, i.name \
         FROM sqlite_master m JOIN pragma_index_list(m.name) l \
         JOIN pragma_index_info(l.name) i \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
         ORDER BY m.name, l.name, i.seqno",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut indexes = BTreeSet::new();
    let mut cols: Vec<IndexColumn<String>> = vec![];
    for (t, name, origin, unique, partial, col) in rows {
        cols.push((
            (t, name, origin, unique != 0, partial != 0),
            col.unwrap_or_else(|| "<expression>".into()),
        ));
    }
    for ((t, name, origin, unique, partial), cols) in grouped(cols) {
        match origin.as_str() {
            "u" => {
                keys.insert(format!("{t} unique ({cols})"));
            }
            "pk" => {}
            _ => {
                indexes.insert(index(&name, &t, &cols, unique, partial));
            }
        }
    }
    (columns, keys, indexes)
}

/// `(key, value)` rows in order → each key once, with its values joined by `, `.
fn grouped<K: PartialEq>(rows: Vec<(K, String)>) -> Vec<(K, String)> {
    let mut out: Vec<(K, String)> = vec![];
    for (k, v) in rows {
        match out.last_mut() {
            Some((last, joined)) if *last == k => {
                joined.push_str(", ");
                joined.push_str(&v);
            }
            _ => out.push((k, v)),
        }
    }
    out
}

fn index(name: &str, table: &str, cols: &str, unique: bool, partial: bool) -> String {
    format!(
        "{name} on {table} ({cols}){}{}",
        if unique { " unique" } else { "" },
        if partial { " partial" } else { "" }
    )
}

async fn postgres_schema(store: &PostgresStore) -> Schema {
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
    // Every index with its columns in order (an expression has attnum 0, no
    // column), and the constraint it backs: `p` primary key, `u` UNIQUE, none
    // for a CREATE INDEX.
    type Row = (String, String, Option<String>, bool, bool, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.relname::TEXT, i.relname::TEXT, c.contype::TEXT, ix.indisunique, \
                ix.indpred IS NOT NULL, a.attname::TEXT \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         LEFT JOIN pg_constraint c ON c.conindid = ix.indexrelid AND c.contype IN ('p', 'u') \
         WHERE n.nspname = current_schema() AND t.relname <> '_sqlx_migrations' \
         ORDER BY t.relname, i.relname, k.ord",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut cols: Vec<IndexColumn<Option<String>>> = vec![];
    for (t, name, contype, unique, partial, col) in rows {
        cols.push((
            (t, name, contype, unique, partial),
            col.unwrap_or_else(|| "<expression>".into()),
        ));
    }
    let (mut keys, mut indexes) = (BTreeSet::new(), BTreeSet::new());
    for ((t, name, contype, unique, partial), cols) in grouped(cols) {
        match contype.as_deref() {
            Some("p") => keys.insert(format!("{t} primary key ({cols})")),
            Some(_) => keys.insert(format!("{t} unique ({cols})")),
            None => indexes.insert(index(&name, &t, &cols, unique, partial)),
        };
    }
    (columns, keys, indexes)
}

fn difference(what: &str, a: &BTreeSet<String>, b: &BTreeSet<String>) -> String {
    let only_a: Vec<_> = a.difference(b).collect();
    let only_b: Vec<_> = b.difference(a).collect();
    format!("{what}: only on SQLite {only_a:#?}; only on PostgreSQL {only_b:#?}")
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn sqlite_and_postgres_schemas_carry_the_same_tables_columns_keys_and_indexes() {
    let server = pg::server();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let db = pg::TestDb::create(&server, "schema").await;
    let postgres = PostgresStore::open(&db.url).await.unwrap();

    let (s_columns, s_keys, s_indexes) = sqlite_schema(&sqlite).await;
    let (p_columns, p_keys, p_indexes) = postgres_schema(&postgres).await;
    assert!(s_keys.contains("tenants primary key (id)"), "{s_keys:#?}");
    assert!(s_keys == p_keys, "{}", difference("keys", &s_keys, &p_keys));
    assert!(s_columns.iter().any(|c| c.starts_with("tenants.id ")));
    assert!(
        s_columns == p_columns,
        "{}",
        difference("columns", &s_columns, &p_columns)
    );
    // The one documented difference (sqlite migration 0014): on SQLite send
    // limits are counted in memory, so verify_sends has one index by time
    // instead of PostgreSQL's five by scope.
    let (s_indexes, p_indexes) = (
        only_shared(s_indexes, &["verify_sends_at"]),
        only_shared(
            p_indexes,
            &[
                "verify_sends_tenant",
                "verify_sends_phone",
                "verify_sends_ip",
                "verify_sends_country",
                "verify_sends_prefix",
            ],
        ),
    );
    assert!(
        s_indexes == p_indexes,
        "{}",
        difference("indexes", &s_indexes, &p_indexes)
    );
}

/// `indexes` without the backend's own `names`, each of which must be there.
fn only_shared(mut indexes: BTreeSet<String>, names: &[&str]) -> BTreeSet<String> {
    for name in names {
        let before = indexes.len();
        indexes.retain(|i| !i.split_whitespace().any(|w| w == *name));
        assert_eq!(before - indexes.len(), 1, "index {name} in {indexes:#?}");
    }
    indexes
}
