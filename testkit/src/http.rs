//! The hand-rolled HTTP/1.1 layer: reading one request (request line, headers, `Content-Length`
//! body) from a TCP stream, writing one response with `Connection: close`, and the byte-level
//! misbehaviours fault injection needs (RST via `SO_LINGER 0`, truncated bodies, a body that never
//! finishes). One request per connection, always.

use std::io;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A never-finishing body gives up on its own after this long, whatever the client does.
const HANG_LIMIT: Duration = Duration::from_secs(300);

/// One parsed request. Header names are lower-cased; the path and query are kept raw
/// (percent-encoded) and decoded by whoever needs them.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub raw_query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Decoded query pairs, in order.
    pub fn query(&self) -> Vec<(String, String)> {
        self.raw_query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Decoded `application/x-www-form-urlencoded` body pairs, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// The path split on `/`, each segment percent-decoded.
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect()
    }
}

/// Decodes `%XX` escapes (a path segment: `+` stays a plus). Invalid escapes are kept as they are.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed or reset, or the read timed out: nothing to answer.
    Gone,
    /// A request we refuse, with the status to answer.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Gone
    }
}

/// Reads exactly one request (headers and a `Content-Length` body).
pub(crate) async fn read_request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
) -> Result<Request, ReadError> {
    match tokio::time::timeout(READ_TIMEOUT, read_request_inner(stream)).await {
        Ok(r) => r,
        Err(_) => Err(ReadError::Gone),
    }
}

async fn read_request_inner<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
) -> Result<Request, ReadError> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(ReadError::Gone);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 96];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let method = req.method.unwrap_or("GET").to_string();
                let target = req.path.unwrap_or("/").to_string();
                let headers: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let find = |name: &str| {
                    headers
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.trim().to_string())
                };
                if find("transfer-encoding").is_some() {
                    return Err(ReadError::Bad(
                        411,
                        "chunked request bodies are not supported",
                    ));
                }
                let len = match find("content-length") {
                    None => 0,
                    Some(v) => v
                        .parse::<usize>()
                        .map_err(|_| ReadError::Bad(400, "bad Content-Length"))?,
                };
                if len > MAX_BODY {
                    return Err(ReadError::Bad(413, "request body too large"));
                }
                let mut body = buf[head_len..].to_vec();
                let expects_continue =
                    find("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
                if expects_continue && body.len() < len {
                    // curl waits for this before sending bodies over 1 KiB.
                    stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
                }
                while body.len() < len {
                    let n = stream.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(ReadError::Gone);
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
                body.truncate(len);
                let (path, raw_query) = match target.split_once('?') {
                    Some((p, q)) => (p.to_string(), Some(q.to_string())),
                    None => (target, None),
                };
                return Ok(Request {
                    method,
                    path,
                    raw_query,
                    headers,
                    body,
                });
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() > MAX_HEAD {
                    return Err(ReadError::Bad(431, "request head too large"));
                }
            }
            Err(_) => return Err(ReadError::Bad(400, "malformed HTTP request")),
        }
    }
}

/// One response. `Content-Type: application/json`, `Content-Length` and `Connection: close` are
/// always written by [`Response::head`].
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: &Value) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Status line and headers, announcing `content_length` body bytes.
    pub fn head(&self, content_length: usize) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
            self.status,
            reason(self.status),
            content_length
        );
        for (k, v) in &self.headers {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes the whole response, then closes with a FIN.
pub(crate) async fn write_response<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    resp: &Response,
) -> io::Result<()> {
    let mut bytes = resp.head(resp.body.len());
    bytes.extend_from_slice(&resp.body);
    stream.write_all(&bytes).await?;
    stream.flush().await?;
    stream.shutdown().await
}

/// `200` whose body is the first part of `body`, framed with the truncated length: a complete
/// HTTP message carrying invalid JSON.
pub(crate) async fn write_truncated(stream: &mut TcpStream, body: &[u8]) -> io::Result<()> {
    let cut = truncate_point(body);
    let resp = Response {
        status: 200,
        headers: Vec::new(),
        body: body[..cut].to_vec(),
    };
    write_response(stream, &resp).await
}

fn truncate_point(body: &[u8]) -> usize {
    // At least one byte short, and never the whole body: a 1-byte body still loses its last byte.
    (body.len() / 2).max(1).min(body.len().saturating_sub(1))
}

/// Announces the full body plus some, sends part of it, then waits (reading and discarding) until
/// the client closes or [`HANG_LIMIT`] passes. Aborting the task (simulator shutdown) ends it too.
pub(crate) async fn write_never_finishing(
    stream: &mut TcpStream,
    resp: &Response,
) -> io::Result<()> {
    let announced = resp.body.len() + 4096;
    let mut bytes = resp.head(announced);
    bytes.extend_from_slice(&resp.body[..truncate_point(&resp.body)]);
    stream.write_all(&bytes).await?;
    stream.flush().await?;
    let wait = async {
        let mut sink = [0u8; 1024];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(HANG_LIMIT, wait).await;
    Ok(())
}

/// Closes the connection with an RST: `SO_LINGER` 0, then drop, without writing anything.
pub(crate) fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_always_loses_bytes() {
        assert_eq!(truncate_point(b"{}"), 1);
        assert_eq!(truncate_point(b"{\"a\":1}"), 3);
        assert_eq!(truncate_point(b""), 0);
    }

    #[test]
    fn percent_decoding_of_path_segments() {
        assert_eq!(percent_decode("fca_1%41b"), "fca_1Ab");
        assert_eq!(percent_decode("a+b%2"), "a+b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn head_has_framing_headers() {
        let r = Response::json(429, &serde_json::json!({})).with_header("Retry-After", "2");
        let head = String::from_utf8(r.head(2)).unwrap();
        assert!(head.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
        assert!(head.contains("Content-Length: 2\r\n"));
        assert!(head.contains("Connection: close\r\n"));
        assert!(head.ends_with("Retry-After: 2\r\n\r\n"));
    }
}
