//! The authorization matrix: every documented operation against every kind of caller. A cell says
//! whether the caller is turned away as unknown (401), refused (403), or let through to the
//! operation itself (anything else: its validation, a 404 for a made-up id, or success). An
//! operation missing from the table fails the test, so no route ships without its row.

use domain::admin::Role;
use tests::spec::{concrete, request};
use tests::{on_both_backends, Backend, Req, TestApp};

/// Callers, in the order of the table's columns.
const CALLERS: [&str; 8] =
    ["anonymous", "member", "other member", "admin", "operator", "auditor", "pickup_operator", "union_officer"];

/// `U` unauthenticated (401), `F` forbidden (403), `P` passes authorization.
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "PPPPPPPP"),
    ("GET", "/readyz", "PPPPPPPP"),
    ("GET", "/metrics", "PPPPPPPP"),
    ("POST", "/v1/auth/otp", "PPPPPPPP"),
    ("POST", "/v1/auth/token", "PPPPPPPP"),
    ("POST", "/v1/auth/refresh", "PPPPPPPP"),
    ("POST", "/v1/auth/logout", "PPPPPPPP"),
    ("POST", "/v1/auth/wechat", "PPPPPPPP"),
    ("GET", "/v1/me", "UPPUUUUU"),
    ("PATCH", "/v1/me", "UPPUUUUU"),
    ("DELETE", "/v1/me", "UPPUUUUU"),
    ("PUT", "/v1/me/real-name", "UPPUUUUU"),
    ("POST", "/v1/me/consents", "UPPUUUUU"),
    ("POST", "/v1/me/consents/withdrawal", "UPPUUUUU"),
    ("POST", "/v1/me/email/confirm", "UPPUUUUU"),
    ("GET", "/v1/me/export", "UPPUUUUU"),
    ("GET", "/v1/me/vouchers", "UPPUUUUU"),
    ("GET", "/v1/unions", "UPPUUUUU"),
    ("POST", "/v1/me/applications", "UPPUUUUU"),
    ("GET", "/v1/me/applications", "UPPUUUUU"),
    ("GET", "/v1/me/applications/{id}", "UPPUUUUU"),
    ("POST", "/v1/me/applications/{id}/withdrawal", "UPPUUUUU"),
    ("GET", "/v1/me/memberships", "UPPUUUUU"),
    ("GET", "/v1/campaigns", "PPPUUUUU"),
    ("GET", "/v1/campaigns/{id}", "PPPUUUUU"),
    ("POST", "/v1/campaigns/{id}/gifts/{gift}/claims", "UPPUUUUU"),
    ("POST", "/v1/admin/session", "PPPPPPPP"),
    ("GET", "/v1/admin/me", "UUUPPPPP"),
    ("GET", "/v1/admin/users", "UUUPPPFF"),
    ("POST", "/v1/admin/users", "UUUPFFFF"),
    ("GET", "/v1/admin/users/{id}", "UUUPPPFF"),
    ("PATCH", "/v1/admin/users/{id}", "UUUPFFFF"),
    ("GET", "/v1/admin/audit", "UUUPPPFF"),
    ("GET", "/v1/admin/jobs", "UUUPPPFF"),
    ("GET", "/v1/admin/ledger/audit", "UUUPPPFF"),
    ("POST", "/v1/admin/jobs/{id}/retry", "UUUPPFFF"),
    ("POST", "/v1/admin/members/search", "UUUPPPFP"),
    ("POST", "/v1/admin/members/{id}/suspension", "UUUPPFFF"),
    ("DELETE", "/v1/admin/members/{id}/suspension", "UUUPPFFF"),
    ("POST", "/v1/admin/roster/imports", "UUUPPFFF"),
    ("POST", "/v1/admin/roster/search", "UUUPPPFP"),
    ("GET", "/v1/admin/roster/template.xlsx", "UUUPPPFF"),
    ("GET", "/v1/admin/roster/template.csv", "UUUPPPFF"),
    ("GET", "/v1/admin/imports/{id}", "UUUPPFFF"),
    ("GET", "/v1/admin/imports/{id}/rejected.csv", "UUUPPFFF"),
    ("GET", "/v1/admin/unions", "UUUPPPFP"),
    ("POST", "/v1/admin/unions", "UUUPPFFF"),
    ("GET", "/v1/admin/unions/{code}", "UUUPPPFP"),
    ("PATCH", "/v1/admin/unions/{code}", "UUUPPFFF"),
    ("POST", "/v1/admin/unions/{code}/merge", "UUUPPFFF"),
    ("POST", "/v1/admin/unions/{code}/closure", "UUUPPFFF"),
    ("POST", "/v1/admin/unions/imports", "UUUPPFFF"),
    ("GET", "/v1/admin/unions/export.csv", "UUUPPPFF"),
    ("GET", "/v1/admin/unions/template.csv", "UUUPPPFF"),
    ("GET", "/v1/admin/unions/{code}/report", "UUUPPPFF"),
    ("POST", "/v1/admin/unions/{code}/moves", "UUUPPFFF"),
    ("GET", "/v1/admin/applications", "UUUPPPFP"),
    ("GET", "/v1/admin/applications/{id}", "UUUPPPFP"),
    ("POST", "/v1/admin/applications/{id}/decision", "UUUPPFFP"),
    ("POST", "/v1/admin/applications/{id}/comments", "UUUPPFFP"),
    ("GET", "/v1/admin/calendar/{year}", "UUUPPPFP"),
    ("PUT", "/v1/admin/calendar/{year}", "UUUPPFFF"),
    ("GET", "/v1/admin/application-limits", "UUUPPPFP"),
    ("PUT", "/v1/admin/application-limits", "UUUPPFFF"),
    ("GET", "/v1/admin/campaigns", "UUUPPPFF"),
    ("POST", "/v1/admin/campaigns", "UUUPPFFF"),
    ("GET", "/v1/admin/campaigns/{id}", "UUUPPPFF"),
    ("POST", "/v1/admin/campaigns/{id}/gifts", "UUUPPFFF"),
    ("PATCH", "/v1/admin/campaigns/{id}/gifts/{gift}", "UUUPPFFF"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/pickup-points/{point}", "UUUPPFFF"),
    ("POST", "/v1/admin/campaigns/{id}/publish", "UUUPPFFF"),
    ("PUT", "/v1/admin/campaigns/{id}/budget", "UUUPPFFF"),
    ("POST", "/v1/admin/campaigns/{id}/cancel", "UUUPPFFF"),
    ("POST", "/v1/admin/campaigns/{id}/reconcile", "UUUPPFFF"),
    ("GET", "/v1/admin/campaigns/{id}/report", "UUUPPPFF"),
    ("GET", "/v1/admin/campaigns/{id}/report.csv", "UUUPPPFF"),
    ("GET", "/v1/admin/pickup-points", "UUUPPPFF"),
    ("POST", "/v1/admin/pickup-points", "UUUPPFFF"),
    ("PUT", "/v1/admin/pickup-points/{id}/operators/{admin_id}", "UUUPPFFF"),
    ("POST", "/v1/pickup/vouchers/check", "UUUFFFPF"),
    ("POST", "/v1/pickup/vouchers/redeem", "UUUFFFPF"),
    ("GET", "/v1/admin/cards/applications", "UUUPPPFF"),
    ("GET", "/v1/admin/cards/changes", "UUUPPPFF"),
    ("GET", "/v1/admin/cards/payouts", "UUUPPPFF"),
    ("GET", "/v1/admin/merchants", "UUUPPPFF"),
    ("POST", "/v1/admin/merchants", "UUUPPFFF"),
    ("GET", "/v1/admin/merchants/{id}", "UUUPPPFF"),
    ("PUT", "/v1/admin/merchants/{id}/status", "UUUPPFFF"),
    ("POST", "/v1/admin/merchants/{id}/stores", "UUUPPFFF"),
    ("POST", "/v1/admin/merchants/{id}/offers", "UUUPPFFF"),
    ("PUT", "/v1/admin/merchants/{id}/offers/{offer}/status", "UUUPPFFF"),
    ("POST", "/v1/admin/merchants/{id}/keys", "UUUPPFFF"),
    ("POST", "/v1/admin/merchants/{id}/keys/{serial}/revocation", "UUUPPFFF"),
    ("GET", "/v1/admin/merchants/{id}/webhook", "UUUPPPFF"),
    ("POST", "/v1/admin/merchants/{id}/webhook/test-events", "UUUPPFFF"),
    ("POST", "/v1/me/member-code", "UPPUUUUU"),
    ("GET", "/v1/me/discount-sales", "UPPUUUUU"),
    ("GET", "/v1/merchants", "UPPUUUUU"),
    ("GET", "/v1/merchants/{id}", "UPPUUUUU"),
    // Partners sign their requests; no bearer token of any kind reaches these.
    ("GET", "/v1/partner/platform-keys", "PPPPPPPP"),
    ("POST", "/v1/partner/member-codes/verify", "UUUUUUUU"),
    ("POST", "/v1/partner/sales", "UUUUUUUU"),
    ("GET", "/v1/me/card", "UPPUUUUU"),
    ("POST", "/v1/me/card/application", "UPPUUUUU"),
    ("POST", "/v1/me/card/freeze", "UPPUUUUU"),
    ("POST", "/v1/me/card/unfreeze", "UPPUUUUU"),
    ("POST", "/v1/me/card/report-lost", "UPPUUUUU"),
    ("GET", "/v1/me/card/code-seed", "UPPUUUUU"),
    ("GET", "/v1/me/card/code", "UPPUUUUU"),
    ("POST", "/v1/bank/card-events", "UUUUUUUU"),
    ("GET", "/v1/bank/card-applications", "UUUUUUUU"),
    ("POST", "/v1/bank/transactions", "UUUUUUUU"),
    ("POST", "/v1/bank/transactions/batch", "UUUUUUUU"),
    ("GET", "/v1/bank/rebates", "UUUUUUUU"),
    ("POST", "/v1/bank/refunds", "UUUUUUUU"),
    ("GET", "/v1/me/card/transactions", "UPPUUUUU"),
    ("GET", "/v1/me/rebates", "UPPUUUUU"),
    ("GET", "/v1/partner/sales", "UUUUUUUU"),
    ("GET", "/v1/partner/sales/{id}", "UUUUUUUU"),
    ("POST", "/v1/partner/sales/{id}/reversal", "UUUUUUUU"),
    ("GET", "/v1/partner/settlements", "UUUUUUUU"),
    ("GET", "/v1/partner/webhook-endpoint", "UUUUUUUU"),
    ("PUT", "/v1/partner/webhook-endpoint", "UUUUUUUU"),
    ("POST", "/v1/partner/webhook-endpoint/secret-rotation", "UUUUUUUU"),
    ("GET", "/v1/partner/webhook-deliveries", "UUUUUUUU"),
    ("POST", "/v1/partner/webhook-deliveries/{id}/resend", "UUUUUUUU"),
    ("POST", "/v1/partner/vouchers/check", "UUUUUUUU"),
    ("POST", "/v1/partner/vouchers/redeem", "UUUUUUUU"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/stores/{store}", "UUUPPFFF"),
];

on_both_backends!(every_operation_answers_every_caller_as_the_matrix_says);

async fn every_operation_answers_every_caller_as_the_matrix_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut tokens: Vec<Option<String>> = vec![None];
    tokens.push(Some(app.member_token("13900000101").await));
    tokens.push(Some(app.member_token("13900000102").await));
    for role in [Role::Admin, Role::Operator, Role::Auditor, Role::PickupOperator, Role::UnionOfficer] {
        tokens.push(Some(app.staff(role).await));
    }
    let spec = app.send(Req::get("/openapi.json")).await.json();
    let mut mismatches = Vec::new();
    let mut seen = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"].into_iter().filter(|m| item.get(*m).is_some()) {
            let upper = method.to_uppercase();
            let Some((_, _, row)) = MATRIX.iter().find(|(m, p, _)| *m == upper && p == path) else {
                panic!("{upper} {path} has no row in the authorization matrix");
            };
            seen += 1;
            let concrete = concrete(path);
            for (caller, (token, expected)) in CALLERS.iter().zip(tokens.iter().zip(row.chars())) {
                let mut req = request(&upper, &concrete);
                if let Some(token) = token {
                    req = req.bearer(token);
                }
                // The destructive member routes are tried last, after every other row.
                if upper == "DELETE" && path == "/v1/me" {
                    continue;
                }
                let reply = app.send(req).await;
                let status = reply.status;
                // A 403 of the operation's own (a member not eligible for it) is past authorization.
                let got = match status {
                    401 => 'U',
                    403 if reply.json()["code"] == "auth.forbidden" => 'F',
                    _ => 'P',
                };
                if got != expected {
                    mismatches.push(format!("{upper} {path} as {caller}: expected {expected}, got {got} ({status})"));
                }
            }
        }
    }
    assert_eq!(seen, MATRIX.len(), "rows for operations that no longer exist");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Other spellings of `path` that a router or a proxy may take for the same route: each letter
/// of its scope segment (`bank` in `/v1/bank/…`, or the only segment) percent-encoded in upper
/// and lower case hex, `v1` likewise, doubled slashes, dot segments (plain and encoded) and a
/// trailing slash.
fn spellings(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let scope = usize::from(segments.len() > 1 && segments[0] == "v1");
    let mut out = Vec::new();
    for (index, segment) in segments.iter().enumerate().filter(|(i, _)| *i <= scope) {
        for (at, ch) in segment.char_indices() {
            for hex in [format!("%{:02X}", ch as u32), format!("%{:02x}", ch as u32)] {
                let mut spelled = segments.clone();
                let encoded = format!("{}{hex}{}", &segment[..at], &segment[at + ch.len_utf8()..]);
                spelled[index] = &encoded;
                out.push(format!("/{}", spelled.join("/")));
            }
        }
    }
    let rest = segments[1..].join("/");
    let first = segments[0];
    out.push(format!("/{path}"));
    out.push(format!("/{first}//{rest}"));
    out.push(format!("{path}/"));
    out.push(format!("/{first}/./{rest}"));
    out.push(format!("/{first}/x/../{rest}"));
    out.push(format!("/{first}/x/%2e%2E/{rest}"));
    out.push(format!("/{first}/%2E/{rest}"));
    out.retain(|p| p != path);
    out.dedup();
    out
}

on_both_backends!(no_spelling_of_a_path_gets_past_what_the_plain_path_asks);

/// Every operation spelled every way, without credentials: never a 5xx, never past what the
/// plain path refuses (a 2xx where it says 401), only the plain path's own answer or a refusal
/// (400, 401, 404).
async fn no_spelling_of_a_path_gets_past_what_the_plain_path_asks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = app.send(Req::get("/openapi.json")).await.json();
    let mut wrong = Vec::new();
    let mut tried = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"].into_iter().filter(|m| item.get(*m).is_some()) {
            let upper = method.to_uppercase();
            let concrete = concrete(path);
            let plain = app.send(request(&upper, &concrete)).await.status;
            for spelled in spellings(&concrete) {
                let status = app.send(request(&upper, &spelled)).await.status;
                tried += 1;
                if ![plain, 400, 401, 404, 429].contains(&status) {
                    wrong.push(format!("{upper} {spelled}: {status} (the plain path answers {plain})"));
                }
            }
        }
    }
    assert!(tried > 1_000, "only {tried} spellings tried");
    assert!(wrong.is_empty(), "{} of {tried} spellings answered wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn spellings_cover_the_scope_segment_both_cases() {
    let s = spellings("/v1/bank/rebates");
    for expected in ["/v1/%62ank/rebates", "/v1/b%61nk/rebates", "/v1/ban%6B/rebates", "/v1/ban%6b/rebates", "/%76"] {
        assert!(s.iter().any(|p| p.starts_with(expected)), "{expected} missing from {s:?}");
    }
    assert!(s.contains(&"/v1//bank/rebates".to_owned()));
    assert!(s.contains(&"/v1/x/../bank/rebates".to_owned()));
    assert!(s.contains(&"/v1/bank/rebates/".to_owned()));
    assert!(spellings("/healthz").contains(&"/%68ealthz".to_owned()));
}
