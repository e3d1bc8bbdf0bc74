//! The console as a browser without JavaScript sees it: forms posted with the session cookie,
//! redirects not followed, so each answer can be looked at.

use crate::{Reply, TestApp, TEST_PASSWORD};

/// A signed-in console session: its cookie and the CSRF token its pages carry.
#[derive(Clone, Debug)]
pub struct ConsoleSession {
    pub cookie: String,
    pub csrf: String,
}

/// `name="_csrf" value="…"` of the first form on a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find(r#"name="_csrf" value=""#)? + r#"name="_csrf" value=""#.len();
    html[at..].split('"').next().map(str::to_owned)
}

/// `name=value` of a `Set-Cookie` header named `name`.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl TestApp {
    async fn console(&self, method: &str, path: &str, cookie: Option<&str>, form: Option<String>) -> Reply {
        let client = awc::Client::builder().disable_redirects().timeout(std::time::Duration::from_secs(30)).finish();
        let url = format!("{}{path}", self.address);
        let mut req = if method == "POST" { client.post(url) } else { client.get(url) };
        if let Some(cookie) = cookie {
            req = req.insert_header(("cookie", cookie));
        }
        let mut res = match form {
            Some(form) => {
                req.insert_header(("content-type", "application/x-www-form-urlencoded")).send_body(form).await
            }
            None => req.send().await,
        }
        .expect("request reaches the server");
        let body = res.body().limit(16 << 20).await.expect("response body").to_vec();
        Reply { status: res.status().as_u16(), headers: res.headers().clone(), body }
    }

    /// A console page, with the session's cookie if given.
    pub async fn console_get(&self, session: Option<&ConsoleSession>, path: &str) -> Reply {
        self.console("GET", path, session.map(|s| s.cookie.as_str()), None).await
    }

    /// A form posted with the session's cookie; `_csrf` only if the form has it.
    pub async fn console_post(&self, session: Option<&ConsoleSession>, path: &str, form: &[(&str, &str)]) -> Reply {
        self.console("POST", path, session.map(|s| s.cookie.as_str()), Some(encode(form))).await
    }

    /// Signs `username` in through the sign-in form, as a browser would.
    pub async fn console_sign_in(&self, username: &str) -> ConsoleSession {
        let form = self.console_get(None, "/console/sign-in").await;
        assert_eq!(form.status, 200, "{}", form.text());
        let pre = pair(&set_cookie(&form, "sgh_console_pre").expect("the sign-in form sets its cookie"));
        let csrf = csrf_in(&form.text()).expect("the sign-in form carries a token");
        let body = encode(&[("username", username), ("password", TEST_PASSWORD), ("_csrf", &csrf)]);
        let signed = self.console("POST", "/console/sign-in", Some(&pre), Some(body)).await;
        assert_eq!(signed.status, 303, "sign-in of {username}: {}", signed.text());
        let cookie = pair(&set_cookie(&signed, "sgh_console").expect("a session cookie"));
        let home = self.console("GET", "/console/", Some(&cookie), None).await;
        assert_eq!(home.status, 200, "{}", home.text());
        let csrf = csrf_in(&home.text()).expect("pages carry the session's token");
        ConsoleSession { cookie, csrf }
    }
}
