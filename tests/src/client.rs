use actix_web::http::header::HeaderMap;
use actix_web::http::Method;
use serde_json::Value;

use crate::TestApp;

/// A request to the server under test.
#[derive(Clone)]
pub struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    headers: Vec<(String, String)>,
    pub(crate) body: Option<(String, Vec<u8>)>,
}

impl Req {
    pub fn new(method: Method, path: &str) -> Self {
        Self { method, path: path.to_owned(), headers: Vec::new(), body: None }
    }

    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    pub fn put(path: &str) -> Self {
        Self::new(Method::PUT, path)
    }

    pub fn patch(path: &str) -> Self {
        Self::new(Method::PATCH, path)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The value of a header set on this request.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn json(self, body: Value) -> Self {
        self.raw("application/json", body.to_string().into_bytes())
    }

    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = Some((content_type.to_owned(), body));
        self
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with `status` and `code`, and returns its body.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text());
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert_eq!(body["type"], format!("urn:sgh:problem:{code}"));
        assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
        assert_eq!(body["request_id"].as_str(), self.header("x-request-id"), "{body}");
        body
    }
}

impl TestApp {
    pub async fn send(&self, req: Req) -> Reply {
        let client = awc::Client::builder().timeout(std::time::Duration::from_secs(30)).finish();
        let mut request = client.request(req.method, format!("{}{}", self.address, req.path));
        for (name, value) in &req.headers {
            request = request.insert_header((name.as_str(), value.as_str()));
        }
        let mut response = match req.body {
            Some((content_type, body)) => request.insert_header(("content-type", content_type)).send_body(body).await,
            None => request.send().await,
        }
        .expect("request reaches the server");
        let body = response.body().limit(16 * 1024 * 1024).await.expect("response body").to_vec();
        Reply { status: response.status().as_u16(), headers: response.headers().clone(), body }
    }
}
