//! The staff console's pages at the federation's size: each page a member of staff opens, read
//! again and again from two browsers' worth of connections, as the city's admin and as a district's
//! operator; p50, p95 and the worst, against the goal of 100 ms at p95.

use super::*;

/// A console request: the session's cookie (the staff token, as the console keeps it) and, for
/// a form, its fields with the session's CSRF token.
fn page_request(method: &str, path: &str, token: &str, form: Option<&str>) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: bench\r\ncookie: sgh_console={token}\r\n");
    let body = form.unwrap_or_default();
    if form.is_some() {
        head += &format!("content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n", body.len());
    }
    head += "\r\n";
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A page's form, drawn at random (`None` for a page that is read).
type FormOf<'a> = Box<dyn Fn(&mut StdRng) -> Option<String> + 'a>;

/// The session's CSRF token, as every console page carries it in its forms.
async fn csrf(port: u16, token: &str) -> anyhow::Result<String> {
    let mut conn = HttpConn::open(port).await?;
    let (status, body) = conn.exchange(&page_request("GET", "/console/", token, None)).await?;
    ensure!(status == 200, "the overview: {status}");
    let html = String::from_utf8(body)?;
    let at = html.find(r#"name="_csrf" value=""#).context("no CSRF token on the page")?;
    let rest = &html[at + r#"name="_csrf" value=""#.len()..];
    Ok(rest[..rest.find('"').context("unterminated token")?].to_owned())
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

pub(crate) async fn console(args: &Args) -> anyhow::Result<()> {
    let port = args.port;
    // Fresh sessions: the staff token lasts 15 minutes, the rounds before took some of them.
    let (city, operator) = (sign_in(port, "city.admin").await?, sign_in(port, "d01.ops").await?);
    let (city, operator) = (city.as_str(), operator.as_str());
    let requests = if args.embedded { 100 } else { 200 };
    println!("\nconsole pages, {requests} reads each from 2 connections (goal: p95 ≤ 100 ms):");
    println!("| page | as | p50 | p95 | max | bytes |");
    println!("|---|---|---|---|---|---|");
    let district_code = district(0);
    let mut rng = StdRng::seed_from_u64(29);
    let mut worst = 0u64;
    for (who, token) in [("city admin", city), ("district operator", operator)] {
        let token_csrf = csrf(port, token).await?;
        let mut pages: Vec<(String, &str, FormOf)> = vec![
            ("/console/".into(), "GET", Box::new(|_| None)),
            ("/console/campaigns".into(), "GET", Box::new(|_| None)),
            ("/console/members".into(), "GET", Box::new(|_| None)),
            (
                "/console/members/search".into(),
                "POST",
                Box::new(|r: &mut StdRng| {
                    let surname = SURNAMES[r.random_range(0..SURNAMES.len())];
                    Some(format!("by=name_prefix&text={}&_csrf={token_csrf}", percent(surname)))
                }),
            ),
            ("/console/unions".into(), "GET", Box::new(|_| None)),
            (format!("/console/unions/{district_code}"), "GET", Box::new(|_| None)),
            (format!("/console/unions/{district_code}?q={}", percent("工会")), "GET", Box::new(|_| None)),
            ("/console/applications?state=all".into(), "GET", Box::new(|_| None)),
            ("/console/reports".into(), "GET", Box::new(|_| None)),
            ("/console/staff".into(), "GET", Box::new(|_| None)),
            ("/console/audit".into(), "GET", Box::new(|_| None)),
        ];
        if who == "city admin" {
            for path in ["/console/merchants", "/console/cards", "/console/jobs"] {
                pages.push((path.into(), "GET", Box::new(|_| None)));
            }
        }
        for (path, method, form) in &pages {
            let reqs: Vec<Vec<u8>> =
                (0..requests).map(|_| page_request(method, path, token, form(&mut rng).as_deref())).collect();
            let mut conn = HttpConn::open(port).await?;
            let (status, body) = conn.exchange(&reqs[0]).await?;
            ensure!(status == 200, "{method} {path} as {who}: {status} {}", String::from_utf8_lossy(&body));
            let (h, _) = closed_loop(port, reqs, 2).await?;
            worst = worst.max(h.value_at_quantile(0.95));
            println!(
                "| {method} {path} | {who} | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
                ms(h.value_at_quantile(0.5)),
                ms(h.value_at_quantile(0.95)),
                ms(h.max()),
                body.len()
            );
        }
    }
    println!("worst p95: {:.1} ms (goal ≤ 100 ms)", ms(worst));
    Ok(())
}
