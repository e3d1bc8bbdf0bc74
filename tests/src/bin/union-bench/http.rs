//! Speaking to the server: requests, sign-ins, and a closed loop of them from a few connections.

use super::*;

pub(crate) fn request(method: &str, path: &str, token: &str, body: Option<&Value>) -> Vec<u8> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n");
    if !body.is_empty() {
        head += &format!("content-type: application/json\r\ncontent-length: {}\r\n", body.len());
    }
    head += "\r\n";
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

pub(crate) async fn call(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut conn = HttpConn::open(port).await?;
    let (status, body) = conn.exchange(&request(method, path, token, body.as_ref())).await?;
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

pub(crate) async fn sign_in(port: u16, username: &str) -> anyhow::Result<String> {
    let body = json!({"username": username, "password": PASSWORD});
    let (status, reply) = call(port, "POST", "/v1/admin/session", "-", Some(body)).await?;
    ensure!(status == 200, "{username} could not sign in: {status} {reply}");
    Ok(reply["access_token"].as_str().context("no token")?.to_owned())
}

pub(crate) async fn staff(port: u16, admin: &str, username: &str, role: &str, scope: &str) -> anyhow::Result<String> {
    let body = json!({"username": username, "password": PASSWORD, "display_name": username, "role": role,
        "scope_code": scope});
    let (status, reply) = call(port, "POST", "/v1/admin/users", admin, Some(body)).await?;
    ensure!(status == 201, "{username}: {status} {reply}");
    sign_in(port, username).await
}

/// Sends every request from `connections` keep-alive connections at once (each takes the next
/// request as soon as its previous one is answered); latencies in microseconds.
pub(crate) async fn closed_loop(
    port: u16,
    requests: Vec<Vec<u8>>,
    connections: usize,
) -> anyhow::Result<(Histogram<u64>, Duration)> {
    closed_loop_expecting(port, requests, connections, 200).await
}

/// [`closed_loop`], each answer expected to be `status`.
pub(crate) async fn closed_loop_expecting(
    port: u16,
    requests: Vec<Vec<u8>>,
    connections: usize,
    status: u16,
) -> anyhow::Result<(Histogram<u64>, Duration)> {
    let queue = std::sync::Arc::new(std::sync::Mutex::new(requests.into_iter()));
    let started = Instant::now();
    let lanes: Vec<anyhow::Result<Histogram<u64>>> = stream::iter(0..connections)
        .map(|_| {
            let queue = queue.clone();
            async move {
                let mut conn = HttpConn::open(port).await?;
                let mut latencies = Histogram::<u64>::new(3)?;
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(req) = next else { break };
                    let at = Instant::now();
                    let (got, body) = conn.exchange(&req).await?;
                    latencies.record(at.elapsed().as_micros() as u64)?;
                    ensure!(got == status, "{got}: {}", String::from_utf8_lossy(&body));
                }
                Ok(latencies)
            }
        })
        .buffer_unordered(connections)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut all = Histogram::<u64>::new(3)?;
    for lane in lanes {
        all.add(lane?)?;
    }
    Ok((all, elapsed))
}

pub(crate) fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}
