//! The console's scripts and style sheet, compiled into the binary and served under names that
//! carry a digest of their content, so browsers keep them for a year and a new build is fetched
//! at once (no CDN, nothing to deploy beside the binary).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub struct Asset {
    /// `console.css` → `console.3f9a0c1d2e.css`.
    pub url: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

pub struct Assets {
    pub css: Asset,
    pub script: Asset,
    pub htmx: Asset,
    pub charts: Asset,
}

fn asset(name: &str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    let digest = hex::encode(Sha256::digest(bytes));
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    Asset { url: format!("/console/assets/{stem}.{}.{ext}", &digest[..10]), content_type, bytes }
}

pub static ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets {
    css: asset("console.css", "text/css; charset=utf-8", include_bytes!("../../assets/console.css")),
    script: asset("console.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console.js")),
    htmx: asset(
        "htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/htmx-2.0.11.min.js"),
    ),
    charts: asset(
        "echarts-6.1.0.simple.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/echarts-6.1.0.simple.min.js"),
    ),
});

/// `GET /console/assets/{name}`: only the current build's names; anything else is 404, so a
/// stale name never gets a year's caching of the wrong content.
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let a = &*ASSETS;
    let wanted = format!("/console/assets/{}", name.into_inner());
    match [&a.css, &a.script, &a.htmx, &a.charts].into_iter().find(|asset| asset.url == wanted) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.bytes),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_a_digest_of_the_content() {
        let a = asset("console.css", "text/css", b"body{}");
        let b = asset("console.css", "text/css", b"body{ }");
        assert!(a.url.starts_with("/console/assets/console.") && a.url.ends_with(".css"));
        assert_ne!(a.url, b.url);
    }
}
