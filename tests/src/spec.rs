//! Walking the published spec: operations with made-up arguments.

use crate::Req;
use serde_json::Value;

/// Made-up ids: whoever passes authorization meets a 404 or a validation problem.
pub fn concrete(path: &str) -> String {
    if path == "/v1/admin/jobs/{id}/retry" {
        return path.replace("{id}", "999999");
    }
    path.replace("{id}", "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f")
        .replace("{gift}", "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e20")
        .replace("{point}", "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e21")
        .replace("{admin_id}", "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e22")
        .replace("{offer}", "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e23")
        .replace("{store}", "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e24")
        .replace("{serial}", "5157F09EFDC096DE15EBE81A47057A72")
        .replace("{year}", "2026")
}

/// The operation called with an idempotency key and, where it may take one, an empty JSON body.
pub fn request(method: &str, path: &str) -> Req {
    let mut req = Req::new(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap(), path)
        .header("idempotency-key", "authz");
    if method != "GET" && method != "DELETE" {
        req = req.json(serde_json::json!({}));
    }
    req
}

/// The operations (method, path template) a member's token is accepted on, from the served spec.
pub fn member_operations(spec: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let member = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|requirement| requirement.get("member_jwt").is_some()));
            if member {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}
