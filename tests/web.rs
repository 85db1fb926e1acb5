//! `tsuchi serve`, from outside: the security promises tested with raw requests (forged Host
//! and Origin headers, no cookie, a used token), and the clerk's month driven in a real browser
//! (Debian's chromium and chromium-driver, through Python selenium: tests/web/month.py), with a
//! screenshot of every page at 1366×768 in `target/web-screens/`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod common;

/// A running `tsuchi serve --no-open --port 0` in a folder with the test settings.
struct Server {
    child: Child,
    url: String,
    port: u16,
    dir: PathBuf,
    /// Its `TSUCHI_HOME`: the user's folders (where it keeps the URL to open its page again).
    home: PathBuf,
}

impl Server {
    fn start(dir: &Path) -> Server {
        common::test_config(dir);
        Server::start_with(dir, &[])
    }

    fn start_with(dir: &Path, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--no-open", "--port", "0"];
        args.extend(extra);
        Server::start_as(dir, &args)
    }

    /// `tsuchi <args>` that starts the page. A browser it opens is `true` (xdg-open runs
    /// `$BROWSER`): nothing pops up on the test machine.
    fn start_as(dir: &Path, args: &[&str]) -> Server {
        let mut command = common::command();
        let home = command
            .get_envs()
            .find_map(|(k, v)| (k == "TSUCHI_HOME").then(|| PathBuf::from(v.unwrap())))
            .expect("common::command() gives each run a home");
        let mut child = command
            .args(args)
            .env("BROWSER", "true")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:") && url.contains("/?token="), "{url:?}");
        let port = url["http://127.0.0.1:".len()..].split('/').next().unwrap().parse().unwrap();
        Server { child, url, port, dir: dir.to_path_buf(), home }
    }

    /// `tsuchi serve --no-open` started again in the same folder by the same user (the same
    /// home), as a second double-click would.
    fn start_again(&self) -> std::process::Command {
        let mut command = common::command();
        command.env("TSUCHI_HOME", &self.home).args(["serve", "--no-open", "--port", "0"]).current_dir(&self.dir);
        command
    }

    fn token(&self) -> &str {
        self.url.split("token=").nth(1).unwrap()
    }

    /// Exchanges the token for the session cookie (`name=value`).
    fn session(&self) -> String {
        let response = self.get(&format!("/?token={}", self.token()), &[]);
        assert_eq!(response.status, 303, "{response:?}");
        let cookie = response.header("set-cookie").unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        cookie.split(';').next().unwrap().to_string()
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let host = self.host();
        let mut all = vec![("Host", host.as_str())];
        all.extend_from_slice(headers);
        raw(self.port, "GET", path, &all, "")
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
        raw(self.port, "POST", path, headers, body)
    }

    /// The session's anti-CSRF token, read off a page's hidden field.
    fn csrf(&self, cookie: &str) -> String {
        let page = self.get("/issue", &[("Cookie", cookie)]);
        assert_eq!(page.status, 200, "{page:?}");
        let at = page.body.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        page.body[at..at + 64].to_string()
    }

    /// Waits for the server to exit by itself; its stderr.
    fn wait(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut log = String::new();
                self.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
                return (status, log);
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    /// Ctrl+C first, so that the server removes its upload folder; killed if it lingers.
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = std::process::Command::new("kill").arg("-INT").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    head: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// One HTTP/1.1 request written by hand, so that any header can be forged.
fn raw(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    raw_bytes(port, method, path, headers, body.as_bytes())
}

fn raw_bytes(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Response { status, head: head.to_string(), body: body.to_string() }
}

#[test]
fn without_the_session_every_page_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for path in ["/", "/issue", "/settings", "/history", "/lookup?q=R08-0001", "/nothing"] {
        let response = server.get(path, &[]);
        assert_eq!(response.status, 403, "{path}: {response:?}");
        assert!(response.body.contains("この画面は開けません"), "{path}: {}", response.body);
    }
    // A cookie that is not the session's is no session.
    let forged = format!("tsuchi_{}={}", server.port, "0".repeat(64));
    assert_eq!(server.get("/issue", &[("Cookie", &forged)]).status, 403);
}

#[test]
fn with_lang_en_the_pages_and_the_refusal_speak_english() {
    let dir = tempfile::tempdir().unwrap();
    common::test_config(dir.path());
    let server = Server::start_with(dir.path(), &["--lang", "en"]);
    let refused = server.get("/issue", &[]);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("This page cannot be opened"), "{}", refused.body);
    let cookie = server.session();
    let page = server.get("/issue", &[("Cookie", &cookie)]);
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains(">Request list<"), "{}", page.body);
}

#[test]
fn the_opening_token_works_once_and_leaves_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(server.get("/?token=0000", &[]).status, 403, "a wrong token");
    let cookie = server.session();
    let again = server.get(&format!("/?token={}", server.token()), &[]);
    assert_eq!(again.status, 403, "a token is good once: {again:?}");
    assert!(again.header("set-cookie").is_none());
    // With the session: the pages open.
    let home = server.get("/", &[("Cookie", &cookie)]);
    assert_eq!(home.status, 303);
    assert_eq!(server.get("/issue", &[("Cookie", &cookie)]).status, 200);
    // The token never reaches the log.
    drop(server.get("/quit", &[("Cookie", &cookie)]));
    let csrf = server.csrf(&cookie);
    let origin = format!("http://{}", server.host());
    let host = server.host();
    let body = format!("csrf={csrf}");
    let quit = server.post(
        "/quit",
        &[
            ("Host", &host),
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    );
    assert_eq!(quit.status, 200, "{quit:?}");
    let token = server.token().to_string();
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert!(!log.contains(&token), "{log}");
    assert!(!log.contains(&csrf), "{log}");
    assert!(log.contains("GET /issue 200"), "{log}");
}

#[test]
fn a_foreign_host_is_refused_even_with_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let cookie = server.session();
    for host in [
        format!("evil.example:{}", server.port),
        "127.0.0.1".to_string(),
        format!("127.0.0.1:{}", server.port + 1),
        format!("192.168.0.1:{}", server.port),
    ] {
        let response = raw(server.port, "GET", "/issue", &[("Host", &host), ("Cookie", &cookie)], "");
        assert_eq!(response.status, 403, "{host}: {response:?}");
    }
    // Before any session, a rebinding page cannot even spend the token.
    let dir = tempfile::tempdir().unwrap();
    let other = Server::start(dir.path());
    let path = format!("/?token={}", other.token());
    let rebound = raw(other.port, "GET", &path, &[("Host", &format!("evil.example:{}", other.port))], "");
    assert_eq!(rebound.status, 403);
    assert_eq!(other.get(&path, &[]).status, 303, "the token was not spent by the refused request");
    assert_eq!(raw(other.port, "GET", "/issue", &[], "").status, 403, "no Host at all");
}

#[test]
fn a_cross_origin_or_tokenless_post_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let cookie = server.session();
    let csrf = server.csrf(&cookie);
    let host = server.host();
    let own = format!("http://{host}");
    let form = "application/x-www-form-urlencoded";
    let with_token = format!("csrf={csrf}");
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);
    let cases: Vec<Case> = vec![
        ("another origin", vec![("Origin", "http://evil.example")], with_token.clone()),
        ("a null origin", vec![("Origin", "null")], with_token.clone()),
        ("no origin", vec![], with_token.clone()),
        ("cross-site fetch", vec![("Origin", &own), ("Sec-Fetch-Site", "cross-site")], with_token.clone()),
        ("no CSRF token", vec![("Origin", &own)], String::new()),
        ("a wrong CSRF token", vec![("Origin", &own)], format!("csrf={}", "a".repeat(64))),
    ];
    for (what, extra, body) in cases {
        let mut headers = vec![("Host", host.as_str()), ("Cookie", cookie.as_str()), ("Content-Type", form)];
        headers.extend(extra);
        let response = server.post("/quit", &headers, &body);
        assert_eq!(response.status, 403, "{what}: {response:?}");
    }
    // A state change by GET does not exist.
    assert_ne!(server.get("/quit", &[("Cookie", &cookie)]).status, 200);
    // The server still runs: none of the refused POSTs stopped it.
    assert_eq!(server.get("/issue", &[("Cookie", &cookie)]).status, 200);
}

#[test]
fn every_response_carries_the_strict_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let cookie = server.session();
    for (path, cookie) in
        [("/issue", cookie.as_str()), ("/issue", ""), ("/assets/tsuchi.css", ""), ("/nothing", cookie.as_str())]
    {
        let response = server.get(path, &[("Cookie", cookie)]);
        let csp = response.header("content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert_eq!(response.header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(response.header("referrer-policy").as_deref(), Some("same-origin"), "{path}");
        assert_eq!(response.header("cache-control").as_deref(), Some("no-store"), "{path}");
        assert!(response.header("access-control-allow-origin").is_none(), "{path}: no CORS");
    }
}

/// A batch started from the page while another tsuchi holds the ledger (here this test, as a
/// terminal `run` would) is refused, and the page names who holds it.
#[test]
fn a_run_from_the_page_is_told_who_holds_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let cookie = server.session();
    let csrf = server.csrf(&cookie);
    let (host, origin) = (server.host(), format!("http://{}", server.host()));
    let list = std::fs::read(common::sample("requests.xlsx")).unwrap();
    let boundary = "----tsuchi-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"requests\"; filename=\"requests.xlsx\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&list);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let post = |path: &str, kind: &str, body: &[u8]| {
        let headers = [("Host", host.as_str()), ("Cookie", &cookie), ("Origin", &origin), ("Content-Type", kind)];
        raw_bytes(server.port, "POST", path, &headers, body)
    };
    let checked = post(&format!("/issue/check?csrf={csrf}"), &content_type, &body);
    assert_eq!(checked.status, 303, "{checked:?}");
    // Another tsuchi takes the ledger's lock, as `tsuchi run` in a terminal does.
    let held = tsuchi::engine::audit::ledger::Ledger::open(&dir.path().join("output")).unwrap();
    let started = post("/issue/run", "application/x-www-form-urlencoded", format!("csrf={csrf}").as_bytes());
    assert_eq!(started.status, 303, "{started:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let page = server.get("/issue/done", &[("Cookie", &cookie)]);
        if page.status == 200 {
            break page;
        }
        assert!(Instant::now() < deadline, "the batch did not end: {page:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(done.body.contains("使用中"), "{}", done.body);
    assert!(done.body.contains(&format!("プロセス {}", std::process::id())), "{}", done.body);
    drop(held);
    assert!(common::batch_dirs(&dir.path().join("output")).is_empty(), "nothing was issued");
}

/// The listening sockets of this process's port, from the kernel's own tables: every one is
/// bound to 127.0.0.1 or ::1.
#[cfg(target_os = "linux")]
#[test]
fn nothing_listens_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let port = format!("{:04X}", server.port);
    let mut seen = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state) = (fields[1], fields[3]);
            // 0A: LISTEN.
            if state == "0A" && local.ends_with(&format!(":{port}")) {
                seen.push(local.split(':').next().unwrap().to_string());
            }
        }
    }
    assert!(!seen.is_empty(), "the server's socket is not in the tables");
    for address in &seen {
        let loopback = address == "0100007F" || address == "00000000000000000000000001000000";
        assert!(loopback, "listening on {address}: {seen:?}");
    }
    // And from outside loopback, when this machine has another address, nobody answers.
    if let Ok(probe) = std::net::UdpSocket::bind("0.0.0.0:0")
        && probe.connect("192.0.2.1:9").is_ok()
        && let Ok(own) = probe.local_addr()
        && !own.ip().is_loopback()
        && !own.ip().is_unspecified()
    {
        assert!(TcpStream::connect((own.ip(), server.port)).is_err(), "answers on {}", own.ip());
    }
}

/// A second start while the page runs (a browser closed by mistake, a second double-click)
/// opens the running page again with a fresh one-time URL; without the running page's private
/// file (another account cannot read it) it is told who holds the page.
#[test]
fn a_second_start_opens_the_running_page_again_and_a_stranger_is_told_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path());
    // The same user again: the same home.
    let start_again = || first.start_again().output().unwrap();
    // Before the first URL is used, the second start gets that same URL.
    let again = start_again();
    assert_eq!(again.status.code(), Some(0), "{}", common::text(&again.stderr));
    assert_eq!(common::text(&again.stdout).trim(), first.url);
    let cookie = first.session();
    // Used: the second start gets a new URL, good once, for a session of its own.
    let again = start_again();
    assert_eq!(again.status.code(), Some(0), "{}", common::text(&again.stderr));
    let url = common::text(&again.stdout).trim().to_string();
    assert!(url.starts_with(&format!("http://127.0.0.1:{}/?token=", first.port)) && url != first.url, "{url}");
    assert!(common::text(&again.stderr).contains("すでに開いています"), "{}", common::text(&again.stderr));
    let path = &url[url.find("/?").unwrap()..];
    let opened = first.get(path, &[]);
    assert_eq!(opened.status, 303, "{opened:?}");
    let second_cookie = opened.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert_ne!(second_cookie, cookie);
    assert_eq!(first.get("/issue", &[("Cookie", &second_cookie)]).status, 200);
    assert_eq!(first.get("/issue", &[("Cookie", &cookie)]).status, 200, "the first session goes on");
    assert_eq!(first.get(path, &[]).status, 403, "the reopening URL works once");
    assert_eq!(first.get(&format!("/?token={}", first.token()), &[]).status, 403);
    // Another account (another home) keeps no such file: it is told who holds the page.
    let second =
        common::command().args(["serve", "--no-open", "--port", "0"]).current_dir(dir.path()).output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let said = common::text(&second.stderr);
    assert!(said.contains("tsuchi serve"), "{said}");
    assert!(said.contains(&format!("プロセス {}", first.child.id())), "{said}");
    assert!(second.stdout.is_empty(), "no URL for a server that did not start");
    drop(first);
    let _ = &dir;
}

/// The clerk's month in Chromium (tests/web/month.py), with the screenshots. The script says
/// `ISSUED <batch folder>` once the batch is made; this side fills the batch's 発送リスト as a
/// mail room would and answers with its path.
#[test]
fn the_month_in_a_browser() {
    use common::mailing::{self, Value};
    let dir = tempfile::tempdir().unwrap();
    // A first start: no tsuchi.toml; the page's 初期設定 writes it, with this operator's key.
    let server = Server::start_with(dir.path(), &[]);
    let keygen = std::process::Command::new("age-keygen").output().unwrap();
    let operator_key = common::text(&keygen.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();
    let screens = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("web-screens");
    std::fs::create_dir_all(&screens).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("web").join("month.py");
    let mut browser = std::process::Command::new("python3")
        .arg(&script)
        .arg(&server.url)
        .arg(&screens)
        .arg(common::sample(""))
        .arg(&operator_key)
        .current_dir(&server.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut answer = browser.stdin.take().unwrap();
    let mut said = String::new();
    for line in BufReader::new(browser.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        let Some(batch) = line.strip_prefix("ISSUED ") else { continue };
        let batch = Path::new(batch);
        // Every envelope mailed (no 発送日), but the first with a number that is none and the
        // second still blank.
        let mut rows = mailing::rows_of(batch, |r| Value::Text(mailing::number(r)));
        for row in &mut rows {
            row.sent_on = Value::Blank;
        }
        assert!(rows.len() > 3, "{rows:?}");
        rows[0].registered = Value::Text("12345".into());
        rows[1].registered = Value::Blank;
        let filled = mailing::write_list(dir.path(), "発送リスト_記入済み.xlsx", &[("発送リスト", &rows)]);
        let recorded = rows.len() - 2;
        // The same list handed back again, the fourth number mistyped the first time.
        rows[3].registered = Value::Text(mailing::number(900));
        let corrected = mailing::write_list(dir.path(), "発送リスト_訂正.xlsx", &[("発送リスト", &rows)]);
        writeln!(
            answer,
            "{}\t{recorded}\t12345\t{}\t{}\t{}",
            filled.display(),
            rows[1].control(),
            corrected.display(),
            mailing::number(900)
        )
        .unwrap();
        writeln!(answer, "{}\t{}", rows[2].control(), mailing::number(2)).unwrap();
    }
    browser.stderr.take().unwrap().read_to_string(&mut said).unwrap();
    let status = browser.wait().unwrap();
    assert!(status.success(), "{said}");
    // The script ends with 「終了」: the server stops by itself.
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    // The settings the page wrote kept the template's comments.
    let written = std::fs::read_to_string(dir.path().join("tsuchi.toml")).unwrap();
    assert!(written.contains("# tsuchi の設定ファイル"), "{written}");
    assert!(written.contains(&format!("recipients = [\"{operator_key}\"]")), "{written}");
}

#[test]
fn a_list_dropped_on_tsuchi_opens_the_page_with_it_checked() {
    let dir = tempfile::tempdir().unwrap();
    common::test_config(dir.path());
    let list = dir.path().join("申請一覧.xlsx");
    std::fs::copy(common::sample("requests_with_mistakes.xlsx"), &list).unwrap();
    // Explorer passes the dropped file as the only argument.
    let server = Server::start_as(dir.path(), &[list.to_str().unwrap()]);
    let cookie = server.session();
    let home = server.get("/", &[("Cookie", &cookie)]);
    assert_eq!(home.header("location").as_deref(), Some("/issue"), "{home:?}");
    let page = server.get("/issue", &[("Cookie", &cookie)]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("申請一覧.xlsx"), "the page names the dropped list");
    // The same verdict as `tsuchi check` on the list: its rejected rows are listed.
    let check = common::tsuchi(&["check", list.to_str().unwrap(), "--json"], dir.path());
    let check: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let rejected = check["rejected"].as_array().unwrap();
    assert!(!rejected.is_empty());
    for r in rejected {
        let row = r["row"].as_u64().unwrap();
        assert!(page.body.contains(&format!(">{row}<")), "row {row} is not on the page");
    }
    // The clerk's file is only read.
    assert!(list.is_file());
}

#[test]
fn the_mail_page_records_each_scanned_page_and_says_at_once_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::tsuchi(&["run", common::sample("requests.xlsx").to_str().unwrap(), "--json"], dir.path());
    let run: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let batch = run["batch_id"].as_str().unwrap().to_string();
    let mut controls: Vec<String> =
        run["issued"].as_array().unwrap().iter().filter_map(|n| n["control_no"].as_str().map(String::from)).collect();
    controls.sort();
    let server = Server::start(dir.path());
    let cookie = server.session();
    let csrf = server.csrf(&cookie);
    let (host, origin) = (server.host(), format!("http://{}", server.host()));
    let scan = |code: &str| {
        let headers = [
            ("Host", host.as_str()),
            ("Cookie", cookie.as_str()),
            ("Origin", origin.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let page = server.post("/mail/scan", &headers, &format!("csrf={csrf}&batch={batch}&code={code}"));
        assert_eq!(page.status, 200, "{page:?}");
        let at = page.body.find("id=\"scanned\">").expect("the page says what the scan did");
        let said = &page.body[at..];
        said[..said.find("</p>").unwrap()].to_string()
    };
    let first = scan(&controls[0]);
    assert!(first.contains("封入済みにしました") && !first.contains("！"), "{first}");
    let twice = scan(&controls[0]);
    assert!(twice.contains("二度目"), "{twice}");
    // The second page is skipped: the third's scan names it.
    let gap = scan(&controls[2]);
    assert!(gap.contains("読まれていません") && gap.contains(&controls[1]), "{gap}");
    let unknown = scan("20990101-000000-00001");
    assert!(unknown.contains("台帳にない"), "{unknown}");
    // What the page recorded is what the ledger says.
    let status = common::tsuchi(&["status", "--batch", &batch, "--json"], dir.path());
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["reconciliation"]["enclosed"].as_u64(), Some(2), "{status}");
    assert_eq!(status["reconciliation"]["complete"].as_bool(), Some(false));
}

/// The mail room's list uploaded again with a corrected 書留番号: the preview refuses it as it
/// differs from the ledger and offers to record it as a correction; the clerk reviews that and
/// confirms, and the ledger keeps both values (`mail.corrected`), as `mail import --correct` does.
#[test]
fn the_mail_page_records_a_changed_registered_number_only_as_a_reviewed_correction() {
    use common::mailing::{Value, number, rows_of, write_list};
    let dir = tempfile::tempdir().unwrap();
    let sample = common::sample("requests.xlsx").to_string_lossy().into_owned();
    assert_eq!(
        common::tsuchi(&["run", sample.as_str(), "--date", "2026-04-01", "--allow-date"], dir.path()).status.code(),
        Some(0)
    );
    let out = dir.path().join("output");
    let batch = common::batch_dir(&out);
    let first = write_list(dir.path(), "first.xlsx", &[("発送リスト", &rows_of(&batch, |r| Value::Number(number(r))))]);
    let mut rows = rows_of(&batch, |r| Value::Number(number(r)));
    rows[3].registered = Value::Number(number(900));
    let second = write_list(dir.path(), "second.xlsx", &[("発送リスト", &rows)]);

    let server = Server::start(dir.path());
    let cookie = server.session();
    let csrf = server.csrf(&cookie);
    let (host, origin) = (server.host(), format!("http://{}", server.host()));
    let post = |path: &str, kind: &str, body: &[u8]| {
        let headers = [("Host", host.as_str()), ("Cookie", &cookie), ("Origin", &origin), ("Content-Type", kind)];
        let page = raw_bytes(server.port, "POST", path, &headers, body);
        assert_eq!(page.status, 200, "{page:?}");
        page.body
    };
    let upload = |list: &Path| {
        let boundary = "----tsuchi-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"list\"; filename=\"list.xlsx\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&std::fs::read(list).unwrap());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        post(&format!("/mail/preview?csrf={csrf}"), &format!("multipart/form-data; boundary={boundary}"), &body)
    };
    let form = "application/x-www-form-urlencoded";
    // What the page's forms send: the anti-CSRF token and the id of the preview shown.
    let confirm = |page: &str| {
        let at = page.find("name=\"preview\" value=\"").expect("the preview's id") + "name=\"preview\" value=\"".len();
        format!("csrf={csrf}&preview={}", &page[at..at + 64])
    };
    let preview = upload(&first);
    assert!(!preview.contains("preview-corrections"), "nothing to correct yet");
    // A confirmation naming another preview records nothing.
    let stale = post("/mail/import", form, format!("csrf={csrf}&preview={}", "0".repeat(64)).as_bytes());
    assert!(stale.contains("もう待っていません"), "{stale}");
    assert_eq!(common::mailing::event_count(&out, "mail.sent"), 0);
    post("/mail/import", form, confirm(&preview).as_bytes());
    assert_eq!(common::mailing::event_count(&out, "mail.sent"), 15);

    // The changed number: refused, with the offer to review it as a correction.
    let preview = upload(&second);
    assert!(preview.contains("前回") && preview.contains("id=\"preview-corrections\""), "{preview}");
    assert!(preview.contains("1行は、前回記録した書留番号"), "{preview}");
    let reviewed = post("/mail/preview/correct", form, confirm(&preview).as_bytes());
    assert!(reviewed.contains(&number(900)) && !reviewed.contains("id=\"preview-corrections\""), "{reviewed}");
    assert_eq!(common::mailing::event_count(&out, "mail.corrected"), 0, "a preview records nothing");
    assert!(
        post("/mail/import", form, confirm(&preview).as_bytes()).contains("もう待っていません"),
        "the first preview is gone"
    );
    let done = post("/mail/import", form, confirm(&reviewed).as_bytes());
    assert!(done.contains("id=\"count-recorded\">1<"), "{done}");
    assert_eq!(common::mailing::event_count(&out, "mail.corrected"), 1);
    let sent = common::mailing::sent_events(&out);
    assert_eq!(sent.len(), 15, "the first record is kept");
}

/// 設定 moves the output root while the page runs: the page's serve lock (and its reopening
/// URL) moves with it, so one server still shows each ledger, and the old folder is free.
#[test]
fn when_the_settings_move_the_output_root_the_page_holds_the_new_one() {
    use tsuchi::engine::audit::lock::{Held, LockError, SERVE};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let cookie = server.session();
    let csrf = server.csrf(&cookie);
    let (host, origin) = (server.host(), format!("http://{}", server.host()));
    assert!(matches!(Held::take(&dir.path().join("output"), SERVE), Err(LockError::Served { .. })));
    let form = format!(
        "csrf={csrf}&name=%E8%A9%A6%E9%A8%93%E7%9C%8C%E5%9B%BD%E6%B0%91%E5%81%A5%E5%BA%B7%E4%BF%9D%E9%99%BA%E5%9B%A3%E4%BD%93%E9%80%A3%E5%90%88%E4%BC%9A\
         &helpdesk=011-222-3333&recipients=&output_root=moved&date_style=padded&temp_length=16&cert_length=12\
         &offset_x=0&offset_y=0"
    );
    let headers = [
        ("Host", host.as_str()),
        ("Cookie", cookie.as_str()),
        ("Origin", origin.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let saved = server.post("/settings", &headers, &form);
    assert_eq!(saved.status, 200, "{saved:?}");
    assert!(saved.body.contains("id=\"saved\"") || saved.body.contains("保存しました"), "{}", saved.body);
    assert!(!saved.body.contains("class=\"error\""), "{}", saved.body);
    assert!(matches!(Held::take(&dir.path().join("moved"), SERVE), Err(LockError::Served { .. })));
    assert!(Held::take(&dir.path().join("output"), SERVE).is_ok(), "the old folder is free");
    // A second start by the same user now opens the page of the new folder.
    let again = server.start_again().output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", common::text(&again.stderr));
    assert!(common::text(&again.stdout).starts_with(&format!("http://127.0.0.1:{}/?token=", server.port)));
}

/// A server killed outright leaves the folder uploads are received in (in the user's own data
/// folder, per output root, owner-only); the next start on that output root clears it.
#[test]
fn what_a_killed_server_received_is_cleared_by_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Server::start(dir.path());
    let serve = first.home.join("data").join(".serve");
    let uploads: Vec<PathBuf> = std::fs::read_dir(&serve)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "uploads"))
        .collect();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&serve).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(&uploads[0]).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let left = uploads[0].join("申請一覧.xlsx");
    std::fs::write(&left, b"a list received before the kill").unwrap();
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(left.exists());
    let mut second = first.start_again().stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(second.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    assert!(uploads[0].is_dir() && !left.exists(), "the leftover is cleared");
    second.kill().unwrap();
    second.wait().unwrap();
}
