//! The authorization matrix: every documented operation against every kind of caller. A cell says
//! whether the caller is turned away as unknown (401), refused (403), or let through to the
//! operation itself (anything else: its validation, a 404 for a made-up id, or success). An
//! operation missing from the table fails the test, so no route ships without its row.

use domain::admin::Role;
use tests::spec::{concrete, request};
use tests::{on_both_backends, Backend, Req, TestApp};

/// Callers, in the order of the table's columns.
const CALLERS: [&str; 7] = ["anonymous", "member", "other member", "admin", "operator", "auditor", "pickup_operator"];

/// `U` unauthenticated (401), `F` forbidden (403), `P` passes authorization.
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "PPPPPPP"),
    ("GET", "/readyz", "PPPPPPP"),
    ("GET", "/metrics", "PPPPPPP"),
    ("POST", "/v1/auth/otp", "PPPPPPP"),
    ("POST", "/v1/auth/token", "PPPPPPP"),
    ("POST", "/v1/auth/refresh", "PPPPPPP"),
    ("POST", "/v1/auth/logout", "PPPPPPP"),
    ("POST", "/v1/auth/wechat", "PPPPPPP"),
    ("GET", "/v1/me", "UPPUUUU"),
    ("PATCH", "/v1/me", "UPPUUUU"),
    ("DELETE", "/v1/me", "UPPUUUU"),
    ("PUT", "/v1/me/real-name", "UPPUUUU"),
    ("POST", "/v1/me/consents", "UPPUUUU"),
    ("POST", "/v1/me/consents/withdrawal", "UPPUUUU"),
    ("POST", "/v1/me/email/confirm", "UPPUUUU"),
    ("GET", "/v1/me/export", "UPPUUUU"),
    ("GET", "/v1/me/vouchers", "UPPUUUU"),
    ("GET", "/v1/campaigns", "PPPUUUU"),
    ("GET", "/v1/campaigns/{id}", "PPPUUUU"),
    ("POST", "/v1/campaigns/{id}/gifts/{gift}/claims", "UPPUUUU"),
    ("POST", "/v1/admin/session", "PPPPPPP"),
    ("GET", "/v1/admin/me", "UUUPPPP"),
    ("GET", "/v1/admin/users", "UUUPPPF"),
    ("POST", "/v1/admin/users", "UUUPFFF"),
    ("GET", "/v1/admin/users/{id}", "UUUPPPF"),
    ("PATCH", "/v1/admin/users/{id}", "UUUPFFF"),
    ("GET", "/v1/admin/audit", "UUUPPPF"),
    ("GET", "/v1/admin/jobs", "UUUPPPF"),
    ("GET", "/v1/admin/ledger/audit", "UUUPPPF"),
    ("POST", "/v1/admin/jobs/{id}/retry", "UUUPPFF"),
    ("POST", "/v1/admin/members/search", "UUUPPPF"),
    ("POST", "/v1/admin/members/{id}/suspension", "UUUPPFF"),
    ("DELETE", "/v1/admin/members/{id}/suspension", "UUUPPFF"),
    ("POST", "/v1/admin/roster/imports", "UUUPPFF"),
    ("GET", "/v1/admin/roster/template.xlsx", "UUUPPPF"),
    ("GET", "/v1/admin/roster/template.csv", "UUUPPPF"),
    ("GET", "/v1/admin/imports/{id}", "UUUPPFF"),
    ("GET", "/v1/admin/imports/{id}/rejected.csv", "UUUPPFF"),
    ("GET", "/v1/admin/unions", "UUUPPPF"),
    ("POST", "/v1/admin/unions", "UUUPPFF"),
    ("GET", "/v1/admin/unions/{code}", "UUUPPPF"),
    ("PATCH", "/v1/admin/unions/{code}", "UUUPPFF"),
    ("POST", "/v1/admin/unions/{code}/merge", "UUUPPFF"),
    ("POST", "/v1/admin/unions/{code}/closure", "UUUPPFF"),
    ("POST", "/v1/admin/unions/imports", "UUUPPFF"),
    ("GET", "/v1/admin/unions/export.csv", "UUUPPPF"),
    ("GET", "/v1/admin/unions/template.csv", "UUUPPPF"),
    ("GET", "/v1/admin/campaigns", "UUUPPPF"),
    ("POST", "/v1/admin/campaigns", "UUUPPFF"),
    ("GET", "/v1/admin/campaigns/{id}", "UUUPPPF"),
    ("POST", "/v1/admin/campaigns/{id}/gifts", "UUUPPFF"),
    ("PATCH", "/v1/admin/campaigns/{id}/gifts/{gift}", "UUUPPFF"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/pickup-points/{point}", "UUUPPFF"),
    ("POST", "/v1/admin/campaigns/{id}/publish", "UUUPPFF"),
    ("PUT", "/v1/admin/campaigns/{id}/budget", "UUUPPFF"),
    ("POST", "/v1/admin/campaigns/{id}/cancel", "UUUPPFF"),
    ("POST", "/v1/admin/campaigns/{id}/reconcile", "UUUPPFF"),
    ("GET", "/v1/admin/campaigns/{id}/report", "UUUPPPF"),
    ("GET", "/v1/admin/campaigns/{id}/report.csv", "UUUPPPF"),
    ("GET", "/v1/admin/pickup-points", "UUUPPPF"),
    ("POST", "/v1/admin/pickup-points", "UUUPPFF"),
    ("PUT", "/v1/admin/pickup-points/{id}/operators/{admin_id}", "UUUPPFF"),
    ("POST", "/v1/pickup/vouchers/check", "UUUFFFP"),
    ("POST", "/v1/pickup/vouchers/redeem", "UUUFFFP"),
    ("GET", "/v1/admin/merchants", "UUUPPPF"),
    ("POST", "/v1/admin/merchants", "UUUPPFF"),
    ("GET", "/v1/admin/merchants/{id}", "UUUPPPF"),
    ("PUT", "/v1/admin/merchants/{id}/status", "UUUPPFF"),
    ("POST", "/v1/admin/merchants/{id}/stores", "UUUPPFF"),
    ("POST", "/v1/admin/merchants/{id}/offers", "UUUPPFF"),
    ("PUT", "/v1/admin/merchants/{id}/offers/{offer}/status", "UUUPPFF"),
    ("POST", "/v1/admin/merchants/{id}/keys", "UUUPPFF"),
    ("POST", "/v1/admin/merchants/{id}/keys/{serial}/revocation", "UUUPPFF"),
    ("POST", "/v1/me/member-code", "UPPUUUU"),
    ("GET", "/v1/me/discount-sales", "UPPUUUU"),
    ("GET", "/v1/merchants", "UPPUUUU"),
    ("GET", "/v1/merchants/{id}", "UPPUUUU"),
    // Partners sign their requests; no bearer token of any kind reaches these.
    ("GET", "/v1/partner/platform-keys", "PPPPPPP"),
    ("POST", "/v1/partner/member-codes/verify", "UUUUUUU"),
    ("POST", "/v1/partner/sales", "UUUUUUU"),
    ("GET", "/v1/me/card", "UPPUUUU"),
    ("POST", "/v1/me/card/application", "UPPUUUU"),
    ("POST", "/v1/me/card/freeze", "UPPUUUU"),
    ("POST", "/v1/me/card/unfreeze", "UPPUUUU"),
    ("POST", "/v1/me/card/report-lost", "UPPUUUU"),
    ("GET", "/v1/me/card/code-seed", "UPPUUUU"),
    ("GET", "/v1/me/card/code", "UPPUUUU"),
    ("POST", "/v1/bank/card-events", "UUUUUUU"),
    ("GET", "/v1/bank/card-applications", "UUUUUUU"),
    ("POST", "/v1/bank/transactions", "UUUUUUU"),
    ("POST", "/v1/bank/transactions/batch", "UUUUUUU"),
    ("GET", "/v1/bank/rebates", "UUUUUUU"),
    ("POST", "/v1/bank/refunds", "UUUUUUU"),
    ("GET", "/v1/me/card/transactions", "UPPUUUU"),
    ("GET", "/v1/me/rebates", "UPPUUUU"),
    ("GET", "/v1/partner/sales", "UUUUUUU"),
    ("GET", "/v1/partner/sales/{id}", "UUUUUUU"),
    ("POST", "/v1/partner/sales/{id}/reversal", "UUUUUUU"),
    ("GET", "/v1/partner/settlements", "UUUUUUU"),
    ("GET", "/v1/partner/webhook-endpoint", "UUUUUUU"),
    ("PUT", "/v1/partner/webhook-endpoint", "UUUUUUU"),
    ("POST", "/v1/partner/webhook-endpoint/secret-rotation", "UUUUUUU"),
    ("GET", "/v1/partner/webhook-deliveries", "UUUUUUU"),
    ("POST", "/v1/partner/webhook-deliveries/{id}/resend", "UUUUUUU"),
    ("POST", "/v1/partner/vouchers/check", "UUUUUUU"),
    ("POST", "/v1/partner/vouchers/redeem", "UUUUUUU"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/stores/{store}", "UUUPPFF"),
];

on_both_backends!(every_operation_answers_every_caller_as_the_matrix_says);

async fn every_operation_answers_every_caller_as_the_matrix_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut tokens: Vec<Option<String>> = vec![None];
    tokens.push(Some(app.member_token("13900000101").await));
    tokens.push(Some(app.member_token("13900000102").await));
    for role in [Role::Admin, Role::Operator, Role::Auditor, Role::PickupOperator] {
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
