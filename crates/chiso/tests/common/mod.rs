//! A `chiso serve` process for tests that must see the server from outside: its memory, its
//! exit, its answers while it is under load.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `chiso serve` (no demo data unless asked), killed and cleaned up on drop.
pub struct Server {
    pub child: Child,
    /// `127.0.0.1:port`
    pub addr: String,
    pub dir: PathBuf,
    /// Every line the process wrote on standard output (its log lines).
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The process's resident memory now and at its peak, in MiB, from `/proc`.
    pub fn memory_mib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server is running");
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
                .map_or(0, |kib| kib / 1024)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

/// Starts `chiso serve` on a free port over `database_url`, in a scratch folder, with extra
/// environment settings; returns once it prints its address.
pub fn start_server(database_url: &str, env: &[(&str, &str)], demo: bool) -> Server {
    let dir = std::env::temp_dir().join(format!(
        "chiso-server-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_chiso"));
    command
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .current_dir(&dir)
        .env("CHISO_DATA_DIR", dir.join("data"))
        .env("RUST_LOG", "warn")
        .env_remove("CHISO_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if !demo {
        command.arg("--no-demo");
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("chiso starts");
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("http://")
                && line.starts_with("chiso")
            {
                let url = line[at + 7..].trim().trim_end_matches('/').to_string();
                let _ = sender.send(url);
            }
            kept.lock().unwrap().push(line);
        }
    });
    let addr = receiver
        .recv_timeout(Duration::from_secs(120))
        .expect("chiso prints its URL within two minutes");
    Server {
        child,
        addr,
        dir,
        lines,
    }
}

/// A wave on the kiosk questionnaire over one unit, and a device key for it.
pub async fn kiosk_wave(db: &chiso_store::Db) -> (i64, i64, String) {
    let actor = chiso_store::Actor::system("crash-test");
    db.migrate().await.unwrap();
    let unit = chiso_store::units::create(
        db,
        &actor,
        &chiso_store::units::UnitFields {
            code: "MOT-CUA".into(),
            name: "Bộ phận Một cửa".into(),
            kind: chiso_domain::org::OrgKind::Department,
            parent_id: None,
            region: None,
            valid_from: None,
            valid_to: None,
        },
    )
    .await
    .unwrap();
    let questionnaire = chiso_store::surveys::register_bundled(db, &actor, "kiosk-2025")
        .await
        .unwrap();
    let wave = chiso_store::surveys::create_wave(
        db,
        &actor,
        &chiso_store::surveys::WaveFields::new(questionnaire, "Khảo sát chịu lỗi", 2025),
    )
    .await
    .unwrap();
    chiso_store::surveys::set_units(db, &actor, wave, &[(unit, None)])
        .await
        .unwrap();
    chiso_store::surveys::open_wave(db, &actor, wave)
        .await
        .unwrap();
    let (_, key) =
        chiso_store::surveys::create_device(db, &actor, unit, Some(wave), "Máy đánh giá")
            .await
            .unwrap();
    (wave, unit, key)
}

/// The `_csrf` value of the first form in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// Signs in a demo account; returns the session's form token.
pub async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let page = client
        .get(format!("{base}/dang-nhap"))
        .send()
        .await
        .unwrap();
    let token = csrf_in(&page.text().await.unwrap()).expect("the login form's token");
    let response = client
        .post(format!("{base}/dang-nhap"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", chiso_web::demo::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "login as {username}");
    let page = client
        .get(format!("{base}/doi-mat-khau"))
        .send()
        .await
        .unwrap();
    csrf_in(&page.text().await.unwrap()).expect("a signed-in page's token")
}
