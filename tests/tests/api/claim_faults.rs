//! A claim whose rows cannot all be written — a fault after its own row went in — leaves nothing
//! behind and takes nothing from the claims written with it: on SQLite each claim of a batch has
//! its own savepoint, on PostgreSQL the failed batch statement sends each claim on alone.

use domain::admin::Role;
use tests::{on_every_inventory_mode, Backend, Options, TestApp};

/// Refuses the ledger row of every claim of `gift`, after the claim's own row was inserted.
fn fault(backend: Backend, gift: &str) -> Vec<String> {
    if backend == Backend::Embedded {
        vec![format!(
            "CREATE TRIGGER ledger_fault BEFORE INSERT ON ledger WHEN NEW.gift_id = '{gift}'
             BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )]
    } else {
        vec![
            format!(
                "CREATE FUNCTION ledger_fault() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN IF NEW.gift_id = '{gift}' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$"
            ),
            "CREATE TRIGGER ledger_fault BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_fault()".into(),
        ]
    }
}

async fn execute(app: &TestApp, statements: Vec<String>) {
    app.database()
        .await
        .run(move |conn| {
            use diesel::RunQueryDsl;
            for sql in &statements {
                diesel::sql_query(sql).execute(conn)?;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await
        .unwrap();
}

/// Claims and ledger rows of `gift`.
async fn rows_of(app: &TestApp, gift: &str) -> (i64, i64) {
    #[derive(diesel::QueryableByName)]
    struct Rows {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        claims: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        ledger: i64,
    }
    let sql = format!(
        "SELECT (SELECT count(*) FROM claims WHERE gift_id = '{gift}') AS claims,
                (SELECT count(*) FROM ledger WHERE gift_id = '{gift}') AS ledger"
    );
    let rows: Rows = app
        .database()
        .await
        .run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(sql).get_result(conn).map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    (rows.claims, rows.ledger)
}

on_every_inventory_mode!(a_claim_whose_rows_cannot_all_be_written_leaves_none_and_spoils_no_other);

async fn a_claim_whose_rows_cannot_all_be_written_leaves_none_and_spoils_no_other(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (faulty_campaign, faulty) = app.live_campaign(&op, 10, 1, 1).await;
    let (campaign, gift) = app.live_campaign(&op, 10, 1, 1).await;
    let members = app.activated_members(8, "SZ-804").await;
    execute(&app, fault(backend, &faulty)).await;

    // Both gifts claimed at once by every member, so the faulty claims are written beside good ones.
    let rush = members
        .iter()
        .flat_map(|t| [app.claim_req(t, &faulty_campaign, &faulty, "a"), app.claim_req(t, &campaign, &gift, "b")])
        .collect();
    let replies = app.send_all(rush).await;
    for (i, reply) in replies.iter().enumerate() {
        if i % 2 == 0 {
            assert!(
                reply.status >= 500,
                "the faulty gift's claim cannot be granted: {} {}",
                reply.status,
                reply.text()
            );
        } else {
            assert_eq!(reply.status, 201, "{}", reply.text());
        }
    }
    assert_eq!(rows_of(&app, &faulty).await, (0, 0), "no claim row without its ledger row");
    assert_eq!(rows_of(&app, &gift).await, (8, 8));

    // The fault gone, the same requests are granted: nothing of the failed ones was kept, not even
    // their slots in the gate.
    let drop =
        if backend == Backend::Embedded { "DROP TRIGGER ledger_fault" } else { "DROP TRIGGER ledger_fault ON ledger" };
    execute(&app, vec![drop.to_owned()]).await;
    let again = app.send_all(members.iter().map(|t| app.claim_req(t, &faulty_campaign, &faulty, "a")).collect()).await;
    assert!(again.iter().all(|r| r.status == 201), "{:?}", again.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(rows_of(&app, &faulty).await, (8, 8));
    let page = app.send(tests::Req::get(&format!("/v1/campaigns/{faulty_campaign}"))).await.json();
    assert_eq!(page["gifts"][0]["remaining"], 2, "8 of 10 taken, none lost to the fault");
}
