//! The web app of `make dev`, served by the local gateway on the API's origin and port, as CloudFront
//! serves the deployed page and `/people*` from one host:
//!
//! - `GET`/`HEAD /` and `/index.html`: `web/dist/index.html`, `Cache-Control: no-cache`;
//! - `GET`/`HEAD /assets/<file>`: the build's content-hashed files, `Cache-Control: public,
//!   max-age=31536000, immutable`;
//! - `GET`/`HEAD /config.json`: the page's settings (the stack writes its own at deploy): sign-in,
//!   none with `AUTH=off`, the development token endpoint below with `AUTH=on`; and the real-time
//!   feed's URL, `ws://127.0.0.1:$WS_PORT` (the local WebSocket gateway of `xtask dev`);
//! - each with the security headers of `web/security-headers.json`, the file the stack's CloudFront
//!   response headers policy is built from; as that policy does with the deployed WebSocket API's
//!   origin, the page's `connect-src` also names the local WebSocket gateway's;
//! - `POST /_dev/token`, only with `AUTH=on`: a development access token signed with the key the
//!   gateway verifies with (`.tools/dev-jwt/`), for the subject and scopes in the JSON body
//!   (`{"sub": "alice", "scopes": "people/read people/write"}`), valid for an hour. It answers
//!   loopback peers only, and only the page's own origin: a request another site's page makes
//!   (`Origin` other than this host, or `Sec-Fetch-Site` other than `same-origin`/`none`) is a 403,
//!   and a body that is not `application/json` a 415, so no form elsewhere can post one. Nothing
//!   like it exists in a deployed stack.
//!
//! The files are read at each request, so `make web-build` shows up without a restart. Anything
//! else goes to the API, as CloudFront sends only `/people*` there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Response, StatusCode};
use people::http::route::Scope;
use serde_json::{Value, json};

use crate::jwt::DevKey;

/// The page's security headers, as committed (CloudFront's response headers policy reads the same file).
pub const SECURITY_HEADERS_JSON: &str = include_str!("../../../web/security-headers.json");
/// Where the page reads its sign-in settings.
pub const CONFIG_PATH: &str = "/config.json";
/// The development token endpoint (`AUTH=on` only).
pub const TOKEN_PATH: &str = "/_dev/token";
/// Content-hashed files never change under their name.
pub const ASSETS_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// The page and its settings name the current assets: revalidated on every load.
pub const PAGE_CACHE_CONTROL: &str = "no-cache";
/// How long a development token from the endpoint lives, in seconds.
const TOKEN_TTL: i64 = 3600;
/// The longest subject the endpoint signs.
const MAX_SUBJECT: usize = 128;

/// The built page and, with `AUTH=on`, the development key's directory.
pub struct Site {
    dist: PathBuf,
    key_dir: Option<PathBuf>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The real-time feed's WebSocket URL the page connects to, if there is one.
    web_socket: Option<String>,
}

impl Site {
    /// The page built into `dist` (`web/dist`); `key_dir` is where the development key is when the
    /// gateway requires tokens (`AUTH=on`), and turns the token endpoint on.
    pub fn new(dist: PathBuf, key_dir: Option<PathBuf>) -> Self {
        let headers: serde_json::Map<String, Value> = serde_json::from_str(SECURITY_HEADERS_JSON)
            .expect("web/security-headers.json is a JSON object");
        let headers = headers
            .into_iter()
            .map(|(name, value)| {
                let name = HeaderName::try_from(name.as_str())
                    .expect("a header name in web/security-headers.json");
                let value = value
                    .as_str()
                    .and_then(|v| HeaderValue::from_str(v).ok())
                    .expect("a header value in web/security-headers.json");
                (name, value)
            })
            .collect();
        Self {
            dist,
            key_dir,
            headers,
            web_socket: None,
        }
    }

    /// The page connects to the real-time feed at `url` (`ws://127.0.0.1:9001`): config.json names it,
    /// and the content security policy's `connect-src` allows its origin.
    pub fn with_web_socket(mut self, url: &str) -> Self {
        let origin = web_socket_origin(url);
        for (name, value) in &mut self.headers {
            if *name == header::CONTENT_SECURITY_POLICY {
                let csp = add_connect_source(value.to_str().expect("an ASCII policy"), &origin);
                *value = HeaderValue::from_str(&csp).expect("a header value");
            }
        }
        self.web_socket = Some(url.to_owned());
        self
    }

    /// The answer to a request for the page, its files, its settings or a development token; `None`
    /// for a request that goes to the API.
    pub fn answer(
        &self,
        parts: &Parts,
        body: &Bytes,
        peer: SocketAddr,
    ) -> Option<Response<Full<Bytes>>> {
        let path = parts.uri.path();
        if path == TOKEN_PATH {
            let key_dir = self.key_dir.as_deref()?;
            return Some(self.secured(token(parts, body, peer, key_dir)));
        }
        let head = parts.method == Method::HEAD;
        if !(head || parts.method == Method::GET) {
            return None;
        }
        let response = match path {
            "/" | "/index.html" => self.file(&self.dist.join("index.html"), PAGE_CACHE_CONTROL),
            CONFIG_PATH => {
                let config = self.config().to_string();
                reply(
                    StatusCode::OK,
                    "application/json",
                    PAGE_CACHE_CONTROL,
                    config.into(),
                )
            }
            _ => {
                let name = path.strip_prefix("/assets/")?;
                if is_file_name(name) {
                    self.file(&self.dist.join("assets").join(name), ASSETS_CACHE_CONTROL)
                } else {
                    not_found()
                }
            }
        };
        let mut response = self.secured(response);
        if head {
            *response.body_mut() = Full::new(Bytes::new());
        }
        Some(response)
    }

    /// What the page reads from `/config.json` (web/src/auth.ts).
    fn config(&self) -> Value {
        let mut config = if self.key_dir.is_none() {
            json!({ "signIn": null })
        } else {
            let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
            json!({ "signIn": { "kind": "dev", "tokenUrl": TOKEN_PATH, "scopes": scopes } })
        };
        if let Some(url) = &self.web_socket {
            config["webSocketUrl"] = Value::String(url.clone());
        }
        config
    }

    fn file(&self, path: &Path, cache_control: &'static str) -> Response<Full<Bytes>> {
        match std::fs::read(path) {
            Ok(bytes) => reply(
                StatusCode::OK,
                content_type(path),
                cache_control,
                bytes.into(),
            ),
            Err(_) if !self.dist.join("index.html").is_file() => reply(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "no-store",
                format!(
                    "{} has no built page: run `make web-build` (make dev does)\n",
                    self.dist.display()
                )
                .into(),
            ),
            Err(_) => not_found(),
        }
    }

    /// `response` with the page's security headers.
    fn secured(&self, mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

/// The origin of a WebSocket URL (`ws://host:port` of `ws://host:port/stage`), as a CSP source.
fn web_socket_origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("ws", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// `csp` with `source` added to its `connect-src` (as infra/lib/web.ts adds the deployed ones).
fn add_connect_source(csp: &str, source: &str) -> String {
    let directives: Vec<String> = csp
        .split(';')
        .map(|directive| {
            let trimmed = directive.trim();
            if trimmed.split_whitespace().next() == Some("connect-src") {
                format!("{trimmed} {source}")
            } else {
                trimmed.to_owned()
            }
        })
        .collect();
    directives.join("; ")
}

/// A file name the build writes under `assets/`: letters, digits, `.`, `-` and `_`, not starting
/// with a dot. Anything else (`..`, `/`, `%2f`, hidden files) is no asset.
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn reply(
    status: StatusCode,
    content_type: &'static str,
    cache_control: &'static str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let length = body.len();
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

fn not_found() -> Response<Full<Bytes>> {
    reply(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        "no-store",
        Bytes::from_static(b"Not Found\n"),
    )
}

/// A refusal from the token endpoint: `{"message": ...}`, as API Gateway's own errors.
fn refuse(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        "application/json",
        "no-store",
        json!({ "message": message }).to_string().into(),
    )
}

/// `POST /_dev/token`.
fn token(parts: &Parts, body: &Bytes, peer: SocketAddr, key_dir: &Path) -> Response<Full<Bytes>> {
    let header = |name: HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if !peer.ip().is_loopback() {
        return refuse(
            StatusCode::FORBIDDEN,
            "development tokens are for this machine only",
        );
    }
    // A page of another origin (another port of this host included) gets nothing.
    let own_origin = header(header::HOST).map(|host| format!("http://{host}"));
    if let Some(origin) = header(header::ORIGIN)
        && Some(origin) != own_origin.as_deref()
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "development tokens are for the page on this origin only",
        );
    }
    if let Some(site) = header(HeaderName::from_static("sec-fetch-site"))
        && !matches!(site, "same-origin" | "none")
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "development tokens are for the page on this origin only",
        );
    }
    if parts.method != Method::POST {
        let mut response = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST a JSON body: {\"sub\": ..., \"scopes\": ...}",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let json_body = header(header::CONTENT_TYPE)
        .and_then(|t| t.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json",
        );
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let subject = request["sub"].as_str().unwrap_or("").trim();
    if subject.is_empty()
        || subject.chars().count() > MAX_SUBJECT
        || subject.chars().any(char::is_control)
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "sub: 1 to 128 characters, no control characters",
        );
    }
    let scopes = request["scopes"].as_str().unwrap_or("");
    if let Some(unknown) = scopes
        .split_whitespace()
        .find(|s| Scope::from_name(s).is_none())
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("scopes: {unknown} is not one of the API's scopes"),
        );
    }
    let minted =
        DevKey::load_or_create(key_dir).and_then(|(key, _)| key.mint(subject, scopes, TOKEN_TTL));
    match minted {
        Ok(token) => {
            eprintln!("gateway: {TOKEN_PATH}: a development token for {subject} ({scopes})");
            let body = json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL,
                "scope": scopes.split_whitespace().collect::<Vec<_>>().join(" "),
            });
            reply(
                StatusCode::OK,
                "application/json",
                "no-store",
                body.to_string().into(),
            )
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Request;

    fn parts(method: &str, path: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    const LOCAL: ([u8; 4], u16) = ([127, 0, 0, 1], 50_000);

    /// A built page in a directory of its own.
    fn site(key_dir: Option<PathBuf>) -> (Site, PathBuf) {
        let dist = std::env::temp_dir().join(format!("xtask-web-{}", ulid::Ulid::generate()));
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><title>People</title>",
        )
        .unwrap();
        std::fs::write(dist.join("assets/index-AbC1.js"), "console.log(1)").unwrap();
        std::fs::write(dist.join("assets/index-AbC1.css"), "body{}").unwrap();
        std::fs::write(dist.join("secret.txt"), "not served").unwrap();
        (Site::new(dist.clone(), key_dir), dist)
    }

    fn get(site: &Site, method: &str, path: &str) -> Option<Response<Full<Bytes>>> {
        site.answer(
            &parts(method, path, &[]),
            &Bytes::new(),
            SocketAddr::from(LOCAL),
        )
    }

    fn header<'a>(response: &'a Response<Full<Bytes>>, name: &str) -> &'a str {
        response
            .headers()
            .get(name)
            .map_or("", |v| v.to_str().unwrap())
    }

    async fn text(response: Response<Full<Bytes>>) -> String {
        use http_body_util::BodyExt;
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn serves_the_page_and_its_assets_with_their_caching_and_the_security_headers() {
        let (site, dist) = site(None);
        let security: serde_json::Map<String, Value> =
            serde_json::from_str(SECURITY_HEADERS_JSON).unwrap();
        assert!(security.contains_key("Content-Security-Policy"));
        for path in ["/", "/index.html"] {
            let page = get(&site, "GET", path).unwrap();
            assert_eq!(page.status(), 200);
            assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
            assert_eq!(header(&page, "cache-control"), "no-cache");
            for (name, value) in &security {
                assert_eq!(header(&page, name), value.as_str().unwrap(), "{name}");
            }
            assert_eq!(text(page).await, "<!doctype html><title>People</title>");
        }
        let js = get(&site, "GET", "/assets/index-AbC1.js").unwrap();
        assert_eq!(
            header(&js, "content-type"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            header(&js, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&js, "x-content-type-options"), "nosniff");
        let css = get(&site, "GET", "/assets/index-AbC1.css").unwrap();
        assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
        let head = get(&site, "HEAD", "/assets/index-AbC1.js").unwrap();
        assert_eq!(header(&head, "content-length"), "14");
        assert_eq!(text(head).await, "");
        std::fs::remove_dir_all(dist).unwrap();
    }

    #[tokio::test]
    async fn serves_nothing_outside_the_build_and_leaves_the_rest_to_the_api() {
        let (site, dist) = site(None);
        for path in [
            "/assets/missing.js",
            "/assets/../secret.txt",
            "/assets/..%2fsecret.txt",
            "/assets/.hidden",
            "/assets/",
            "/assets/a/b.js",
        ] {
            assert_eq!(get(&site, "GET", path).unwrap().status(), 404, "{path}");
        }
        for (method, path) in [
            ("GET", "/people"),
            ("GET", "/secret.txt"),
            ("POST", "/"),
            ("DELETE", "/index.html"),
            ("GET", "/_dev/token"),
            ("POST", "/_dev/token"),
        ] {
            assert!(get(&site, method, path).is_none(), "{method} {path}");
        }
        std::fs::remove_dir_all(&dist).unwrap();
        let page = get(&site, "GET", "/").unwrap();
        assert_eq!(page.status(), 404, "no build yet");
        assert!(text(page).await.contains("make web-build"));
    }

    #[tokio::test]
    async fn tells_the_page_how_to_sign_in() {
        let (off, dist) = site(None);
        let config = get(&off, "GET", "/config.json").unwrap();
        assert_eq!(header(&config, "cache-control"), "no-cache");
        assert_eq!(text(config).await, r#"{"signIn":null}"#);
        let on = Site::new(dist.clone(), Some(dist.join("key")));
        let config: Value =
            serde_json::from_str(&text(get(&on, "GET", "/config.json").unwrap()).await).unwrap();
        assert_eq!(
            config,
            json!({ "signIn": { "kind": "dev", "tokenUrl": "/_dev/token", "scopes": ["people/read", "people/write", "people/self"] } })
        );
        std::fs::remove_dir_all(dist).unwrap();
    }

    #[tokio::test]
    async fn names_the_local_web_socket_gateway_in_the_config_and_in_connect_src() {
        let (off, dist) = site(None);
        let off = off.with_web_socket("ws://127.0.0.1:9001");
        let config = get(&off, "GET", "/config.json").unwrap();
        let csp = header(&config, "content-security-policy").to_owned();
        assert_eq!(
            text(config).await,
            r#"{"signIn":null,"webSocketUrl":"ws://127.0.0.1:9001"}"#
        );
        let on =
            Site::new(dist.clone(), Some(dist.join("key"))).with_web_socket("ws://127.0.0.1:9001");
        let config: Value =
            serde_json::from_str(&text(get(&on, "GET", "/config.json").unwrap()).await).unwrap();
        assert_eq!(config["webSocketUrl"], "ws://127.0.0.1:9001");
        assert_eq!(config["signIn"]["kind"], "dev");

        // The committed policy, with the gateway's origin added to connect-src and nothing else changed.
        let security: serde_json::Map<String, Value> =
            serde_json::from_str(SECURITY_HEADERS_JSON).unwrap();
        let committed = security["Content-Security-Policy"].as_str().unwrap();
        assert!(committed.contains("connect-src 'self';"));
        assert_eq!(
            csp,
            committed.replace(
                "connect-src 'self';",
                "connect-src 'self' ws://127.0.0.1:9001;"
            )
        );
        let page = get(&off, "GET", "/").unwrap();
        assert_eq!(header(&page, "content-security-policy"), csp);
        for (name, value) in &security {
            if name != "Content-Security-Policy" {
                assert_eq!(header(&page, name), value.as_str().unwrap(), "{name}");
            }
        }
        assert_eq!(
            web_socket_origin("wss://abc.execute-api.eu-west-1.amazonaws.com/dev?x=1"),
            "wss://abc.execute-api.eu-west-1.amazonaws.com"
        );
        std::fs::remove_dir_all(dist).unwrap();
    }

    #[tokio::test]
    async fn signs_development_tokens_for_the_page_on_this_origin_only() {
        let (key, key_dir) = DevKey::temporary();
        let (site, dist) = site(Some(key_dir.clone()));
        let own = [
            ("host", "127.0.0.1:9000"),
            ("content-type", "application/json"),
        ];
        let post = |headers: &[(&str, &str)], body: &str, peer: ([u8; 4], u16)| {
            site.answer(
                &parts("POST", TOKEN_PATH, headers),
                &Bytes::from(body.to_owned()),
                SocketAddr::from(peer),
            )
            .unwrap()
        };
        let body = r#"{"sub": "alice", "scopes": "people/read people/self"}"#;
        let page = [
            own[0],
            own[1],
            ("origin", "http://127.0.0.1:9000"),
            ("sec-fetch-site", "same-origin"),
        ];
        let ok = post(&page, body, LOCAL);
        assert_eq!(ok.status(), 200);
        assert_eq!(header(&ok, "cache-control"), "no-store");
        let answer: Value = serde_json::from_str(&text(ok).await).unwrap();
        assert_eq!(answer["token_type"], "Bearer");
        assert_eq!(answer["expires_in"], 3600);
        assert_eq!(answer["scope"], "people/read people/self");
        let claims = key
            .authorizer()
            .verify(answer["access_token"].as_str().unwrap())
            .unwrap();
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["scope"], "people/read people/self");
        // curl on this machine (no Origin, no Sec-Fetch-Site) may ask too.
        assert_eq!(post(&own, body, LOCAL).status(), 200);

        for (headers, why) in [
            (
                &[own[0], own[1], ("origin", "http://127.0.0.1:9001")][..],
                "another port",
            ),
            (
                &[own[0], own[1], ("origin", "https://evil.example")][..],
                "another site",
            ),
            (
                &[own[0], own[1], ("sec-fetch-site", "cross-site")][..],
                "cross-site",
            ),
            (
                &[own[0], own[1], ("sec-fetch-site", "same-site")][..],
                "same-site",
            ),
        ] {
            assert_eq!(post(headers, body, LOCAL).status(), 403, "{why}");
        }
        assert_eq!(
            post(&own, body, ([192, 168, 1, 9], 5000)).status(),
            403,
            "not loopback"
        );
        assert_eq!(
            post(&[own[0], ("content-type", "text/plain")], body, LOCAL).status(),
            415
        );
        assert_eq!(post(&[own[0]], body, LOCAL).status(), 415);
        for bad in [
            r#"{"sub": "", "scopes": "people/read"}"#,
            r#"{"scopes": "people/read"}"#,
            r#"{"sub": "a", "scopes": "admin"}"#,
            "{",
        ] {
            assert_eq!(post(&own, bad, LOCAL).status(), 400, "{bad}");
        }
        let get = site
            .answer(
                &parts("GET", TOKEN_PATH, &own),
                &Bytes::new(),
                SocketAddr::from(LOCAL),
            )
            .unwrap();
        assert_eq!(get.status(), 405);
        assert_eq!(header(&get, "allow"), "POST");
        std::fs::remove_dir_all(dist).unwrap();
        std::fs::remove_dir_all(key_dir).unwrap();
    }
}
