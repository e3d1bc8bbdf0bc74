//! The authorization matrix: every documented operation against every kind of caller. A cell says
//! whether the caller is turned away as unknown (401), refused (403), or let through to the
//! operation itself (anything else: its validation, a 404 for a made-up id, or success). An
//! operation missing from the table fails the test, so no route ships without its row.

use domain::admin::Role;
use tests::spec::{concrete, request};
use tests::{on_both_backends, Backend, Req, TestApp};

/// Callers, in the order of the table's columns.
const CALLERS: [&str; 9] = [
    "anonymous",
    "member",
    "other member",
    "admin",
    "operator",
    "auditor",
    "pickup_operator",
    "union_officer",
    "caseworker",
];

/// `U` unauthenticated (401), `F` forbidden (403), `P` passes authorization.
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "PPPPPPPPP"),
    ("GET", "/readyz", "PPPPPPPPP"),
    ("GET", "/metrics", "PPPPPPPPP"),
    ("POST", "/v1/auth/otp", "PPPPPPPPP"),
    ("POST", "/v1/auth/token", "PPPPPPPPP"),
    ("POST", "/v1/auth/refresh", "PPPPPPPPP"),
    ("POST", "/v1/auth/logout", "PPPPPPPPP"),
    ("POST", "/v1/auth/wechat", "PPPPPPPPP"),
    ("GET", "/v1/me", "UPPUUUUUU"),
    ("PATCH", "/v1/me", "UPPUUUUUU"),
    ("DELETE", "/v1/me", "UPPUUUUUU"),
    ("PUT", "/v1/me/real-name", "UPPUUUUUU"),
    ("POST", "/v1/me/consents", "UPPUUUUUU"),
    ("POST", "/v1/me/consents/withdrawal", "UPPUUUUUU"),
    ("POST", "/v1/me/email/confirm", "UPPUUUUUU"),
    ("GET", "/v1/me/export", "UPPUUUUUU"),
    ("GET", "/v1/me/vouchers", "UPPUUUUUU"),
    ("GET", "/v1/unions", "UPPUUUUUU"),
    ("POST", "/v1/me/applications", "UPPUUUUUU"),
    ("GET", "/v1/me/applications", "UPPUUUUUU"),
    ("GET", "/v1/me/applications/{id}", "UPPUUUUUU"),
    ("POST", "/v1/me/applications/{id}/withdrawal", "UPPUUUUUU"),
    ("GET", "/v1/me/memberships", "UPPUUUUUU"),
    ("GET", "/v1/me/service-kinds", "UPPUUUUUU"),
    ("POST", "/v1/me/cases", "UPPUUUUUU"),
    ("GET", "/v1/me/cases", "UPPUUUUUU"),
    ("GET", "/v1/me/cases/{id}", "UPPUUUUUU"),
    ("POST", "/v1/me/cases/{id}/messages", "UPPUUUUUU"),
    ("POST", "/v1/me/cases/{id}/resubmission", "UPPUUUUUU"),
    ("POST", "/v1/me/cases/{id}/withdrawal", "UPPUUUUUU"),
    ("POST", "/v1/me/cases/{id}/rating", "UPPUUUUUU"),
    ("GET", "/v1/me/cases/{id}/attachments/{attachment}", "UPPUUUUUU"),
    ("GET", "/v1/admin/service-kinds", "UUUPPPFFP"),
    ("POST", "/v1/admin/service-kinds", "UUUPPFFFF"),
    ("PUT", "/v1/admin/service-kinds/{code}", "UUUPPFFFF"),
    ("GET", "/v1/admin/service-cases", "UUUPPFFFP"),
    ("GET", "/v1/admin/service-cases/{id}", "UUUPPFFFP"),
    ("POST", "/v1/admin/service-cases/{id}/steps", "UUUPPFFFP"),
    ("POST", "/v1/admin/service-cases/{id}/messages", "UUUPPFFFP"),
    ("POST", "/v1/admin/service-cases/{id}/notes", "UUUPPFFFP"),
    ("GET", "/v1/admin/service-cases/{id}/attachments/{attachment}", "UUUPPFFFP"),
    ("GET", "/v1/admin/service-case-reads", "UUUPPPFFF"),
    ("GET", "/v1/admin/service-budgets", "UUUPPPFFF"),
    ("PUT", "/v1/admin/service-budgets/{kind}/{union}/{year}", "UUUPPFFFF"),
    ("GET", "/v1/admin/service-payouts", "UUUPPPFFF"),
    ("GET", "/v1/admin/service-reports/{union}", "UUUPPPFFF"),
    ("POST", "/v1/admin/service-payouts/{id}/payment", "UUUPPFFFF"),
    ("GET", "/v1/campaigns", "PPPUUUUUU"),
    ("GET", "/v1/campaigns/{id}", "PPPUUUUUU"),
    ("POST", "/v1/campaigns/{id}/gifts/{gift}/claims", "UPPUUUUUU"),
    ("POST", "/v1/admin/session", "PPPPPPPPP"),
    ("GET", "/v1/admin/me", "UUUPPPPPP"),
    ("GET", "/v1/admin/users", "UUUPPPFFF"),
    ("POST", "/v1/admin/users", "UUUPFFFFF"),
    ("GET", "/v1/admin/users/{id}", "UUUPPPFFF"),
    ("PATCH", "/v1/admin/users/{id}", "UUUPFFFFF"),
    ("GET", "/v1/admin/audit", "UUUPPPFFF"),
    ("GET", "/v1/admin/jobs", "UUUPPPFFF"),
    ("GET", "/v1/admin/ledger/audit", "UUUPPPFFF"),
    ("POST", "/v1/admin/jobs/{id}/retry", "UUUPPFFFF"),
    ("POST", "/v1/admin/members/search", "UUUPPPFPF"),
    ("POST", "/v1/admin/members/{id}/suspension", "UUUPPFFFF"),
    ("DELETE", "/v1/admin/members/{id}/suspension", "UUUPPFFFF"),
    ("POST", "/v1/admin/roster/imports", "UUUPPFFFF"),
    ("POST", "/v1/admin/roster/search", "UUUPPPFPF"),
    ("GET", "/v1/admin/roster/template.xlsx", "UUUPPPFFF"),
    ("GET", "/v1/admin/roster/template.csv", "UUUPPPFFF"),
    ("GET", "/v1/admin/imports/{id}", "UUUPPFFFF"),
    ("GET", "/v1/admin/imports/{id}/rejected.csv", "UUUPPFFFF"),
    ("GET", "/v1/admin/unions", "UUUPPPFPF"),
    ("POST", "/v1/admin/unions", "UUUPPFFFF"),
    ("GET", "/v1/admin/unions/{code}", "UUUPPPFPF"),
    ("PATCH", "/v1/admin/unions/{code}", "UUUPPFFFF"),
    ("POST", "/v1/admin/unions/{code}/merge", "UUUPPFFFF"),
    ("POST", "/v1/admin/unions/{code}/closure", "UUUPPFFFF"),
    ("POST", "/v1/admin/unions/imports", "UUUPPFFFF"),
    ("GET", "/v1/admin/unions/export.csv", "UUUPPPFFF"),
    ("GET", "/v1/admin/unions/template.csv", "UUUPPPFFF"),
    ("GET", "/v1/admin/unions/{code}/report", "UUUPPPFFF"),
    ("POST", "/v1/admin/unions/{code}/moves", "UUUPPFFFF"),
    ("GET", "/v1/admin/applications", "UUUPPPFPF"),
    ("GET", "/v1/admin/applications/{id}", "UUUPPPFPF"),
    ("POST", "/v1/admin/applications/{id}/decision", "UUUPPFFPF"),
    ("POST", "/v1/admin/applications/{id}/comments", "UUUPPFFPF"),
    ("GET", "/v1/admin/calendar/{year}", "UUUPPPFPF"),
    ("PUT", "/v1/admin/calendar/{year}", "UUUPPFFFF"),
    ("GET", "/v1/admin/application-limits", "UUUPPPFPF"),
    ("PUT", "/v1/admin/application-limits", "UUUPPFFFF"),
    ("GET", "/v1/admin/campaigns", "UUUPPPFFF"),
    ("POST", "/v1/admin/campaigns", "UUUPPFFFF"),
    ("GET", "/v1/admin/campaigns/{id}", "UUUPPPFFF"),
    ("POST", "/v1/admin/campaigns/{id}/gifts", "UUUPPFFFF"),
    ("PATCH", "/v1/admin/campaigns/{id}/gifts/{gift}", "UUUPPFFFF"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/pickup-points/{point}", "UUUPPFFFF"),
    ("POST", "/v1/admin/campaigns/{id}/publish", "UUUPPFFFF"),
    ("PUT", "/v1/admin/campaigns/{id}/budget", "UUUPPFFFF"),
    ("POST", "/v1/admin/campaigns/{id}/cancel", "UUUPPFFFF"),
    ("POST", "/v1/admin/campaigns/{id}/reconcile", "UUUPPFFFF"),
    ("GET", "/v1/admin/campaigns/{id}/report", "UUUPPPFFF"),
    ("GET", "/v1/admin/campaigns/{id}/report.csv", "UUUPPPFFF"),
    ("GET", "/v1/admin/pickup-points", "UUUPPPFFF"),
    ("POST", "/v1/admin/pickup-points", "UUUPPFFFF"),
    ("PUT", "/v1/admin/pickup-points/{id}/operators/{admin_id}", "UUUPPFFFF"),
    ("POST", "/v1/pickup/vouchers/check", "UUUFFFPFF"),
    ("POST", "/v1/pickup/vouchers/redeem", "UUUFFFPFF"),
    ("GET", "/v1/admin/cards/applications", "UUUPPPFFF"),
    ("GET", "/v1/admin/cards/changes", "UUUPPPFFF"),
    ("GET", "/v1/admin/cards/payouts", "UUUPPPFFF"),
    ("GET", "/v1/admin/merchants", "UUUPPPFFF"),
    ("POST", "/v1/admin/merchants", "UUUPPFFFF"),
    ("GET", "/v1/admin/merchants/{id}", "UUUPPPFFF"),
    ("PUT", "/v1/admin/merchants/{id}/status", "UUUPPFFFF"),
    ("POST", "/v1/admin/merchants/{id}/stores", "UUUPPFFFF"),
    ("POST", "/v1/admin/merchants/{id}/offers", "UUUPPFFFF"),
    ("PUT", "/v1/admin/merchants/{id}/offers/{offer}/status", "UUUPPFFFF"),
    ("POST", "/v1/admin/merchants/{id}/keys", "UUUPPFFFF"),
    ("POST", "/v1/admin/merchants/{id}/keys/{serial}/revocation", "UUUPPFFFF"),
    ("GET", "/v1/admin/merchants/{id}/webhook", "UUUPPPFFF"),
    ("POST", "/v1/admin/merchants/{id}/webhook/test-events", "UUUPPFFFF"),
    ("POST", "/v1/me/member-code", "UPPUUUUUU"),
    ("GET", "/v1/me/discount-sales", "UPPUUUUUU"),
    ("GET", "/v1/merchants", "UPPUUUUUU"),
    ("GET", "/v1/merchants/{id}", "UPPUUUUUU"),
    // Partners sign their requests; no bearer token of any kind reaches these.
    ("GET", "/v1/partner/platform-keys", "PPPPPPPPP"),
    ("POST", "/v1/partner/member-codes/verify", "UUUUUUUUU"),
    ("POST", "/v1/partner/sales", "UUUUUUUUU"),
    ("GET", "/v1/me/card", "UPPUUUUUU"),
    ("POST", "/v1/me/card/application", "UPPUUUUUU"),
    ("POST", "/v1/me/card/freeze", "UPPUUUUUU"),
    ("POST", "/v1/me/card/unfreeze", "UPPUUUUUU"),
    ("POST", "/v1/me/card/report-lost", "UPPUUUUUU"),
    ("GET", "/v1/me/card/code-seed", "UPPUUUUUU"),
    ("GET", "/v1/me/card/code", "UPPUUUUUU"),
    ("POST", "/v1/bank/card-events", "UUUUUUUUU"),
    ("GET", "/v1/bank/card-applications", "UUUUUUUUU"),
    ("POST", "/v1/bank/transactions", "UUUUUUUUU"),
    ("POST", "/v1/bank/transactions/batch", "UUUUUUUUU"),
    ("GET", "/v1/bank/rebates", "UUUUUUUUU"),
    ("POST", "/v1/bank/refunds", "UUUUUUUUU"),
    ("GET", "/v1/bank/service-payouts", "UUUUUUUUU"),
    ("POST", "/v1/bank/service-payouts/{id}/payment", "UUUUUUUUU"),
    ("GET", "/v1/me/card/transactions", "UPPUUUUUU"),
    ("GET", "/v1/me/rebates", "UPPUUUUUU"),
    ("GET", "/v1/partner/sales", "UUUUUUUUU"),
    ("GET", "/v1/partner/sales/{id}", "UUUUUUUUU"),
    ("POST", "/v1/partner/sales/{id}/reversal", "UUUUUUUUU"),
    ("GET", "/v1/partner/settlements", "UUUUUUUUU"),
    ("GET", "/v1/partner/webhook-endpoint", "UUUUUUUUU"),
    ("PUT", "/v1/partner/webhook-endpoint", "UUUUUUUUU"),
    ("POST", "/v1/partner/webhook-endpoint/secret-rotation", "UUUUUUUUU"),
    ("GET", "/v1/partner/webhook-deliveries", "UUUUUUUUU"),
    ("POST", "/v1/partner/webhook-deliveries/{id}/resend", "UUUUUUUUU"),
    ("POST", "/v1/partner/vouchers/check", "UUUUUUUUU"),
    ("POST", "/v1/partner/vouchers/redeem", "UUUUUUUUU"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/stores/{store}", "UUUPPFFFF"),
];

on_both_backends!(every_operation_answers_every_caller_as_the_matrix_says);

async fn every_operation_answers_every_caller_as_the_matrix_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut tokens: Vec<Option<String>> = vec![None];
    tokens.push(Some(app.member_token("13900000101").await));
    tokens.push(Some(app.member_token("13900000102").await));
    for role in [Role::Admin, Role::Operator, Role::Auditor, Role::PickupOperator, Role::UnionOfficer, Role::Caseworker]
    {
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
