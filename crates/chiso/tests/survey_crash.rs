//! Durability of acknowledged survey responses: the `chiso` binary serves a fresh database
//! (SQLite, and PostgreSQL when reachable) with a device key created beforehand through the
//! store; several threads submit through the kiosk API in a loop and record every id the
//! server acknowledged with 201; the process is killed with SIGKILL mid-stream, restarted on
//! the same database, and every acknowledged response must be there (ids and count), with
//! counters that agree with the raw rows.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chiso_store::surveys;
use chiso_store::testing::{self, TestDb};
use chiso_store::{Actor, Db, StoreError};

mod common;

use common::start_server;

/// A minimal HTTP/1.1 client over one keep-alive connection (the test crate has no HTTP
/// client, and this one cannot hide a lost response behind retries).
struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    fn open(addr: &str) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Connection {
            reader: BufReader::new(stream),
            host: addr.to_string(),
        })
    }

    /// POSTs JSON; the status and the body, or an error when the connection dies.
    fn post(&mut self, path: &str, key: &str, body: &str) -> std::io::Result<(u16, String)> {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(std::io::ErrorKind::InvalidData)?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// The `"id": 123` of an acknowledgement.
fn acknowledged_id(body: &str) -> Option<i64> {
    if !body.contains("\"status\":\"accepted\"") {
        return None;
    }
    let at = body.find("\"id\":")? + 5;
    let digits: String = body[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn crash_and_check(database: &TestDb, runtime: &tokio::runtime::Runtime) {
    let backend = format!("{:?}", database.backend());
    let db = runtime.block_on(Db::connect(&database.url)).unwrap();
    let (wave, unit, key) = runtime.block_on(common::kiosk_wave(&db));

    let mut server = start_server(&database.url, &[], false);
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for thread in 0..8 {
        let acknowledged = acknowledged.clone();
        let stop = stop.clone();
        let addr = server.addr.clone();
        let key = key.clone();
        threads.push(std::thread::spawn(move || {
            let Ok(mut connection) = Connection::open(&addr) else {
                return;
            };
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let body = format!(
                    "{{\"respondent_id\":\"t{thread}-{i}\",\"answers\":{{\"q1\":{}}},\"comment\":\"lượt {i}\"}}",
                    1 + (i + thread) % 5
                );
                match connection.post("/api/v1/responses", &key, &body) {
                    Ok((201, body)) => {
                        let id = acknowledged_id(&body).expect("an acknowledgement has an id");
                        acknowledged.lock().unwrap().push(id);
                    }
                    Ok((status, body)) => panic!("refused with {status}: {body}"),
                    // The server died: whatever was in flight was never acknowledged.
                    Err(_) => break,
                }
            }
        }));
    }
    // Let a few hundred answers through, then kill -9 while the threads are still sending.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 500 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().expect("SIGKILL"); // `Child::kill` is SIGKILL on Unix.
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().expect("a sender thread");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 500,
        "{backend}: only {} acknowledged before the kill",
        acknowledged.len()
    );

    // Restart on the same database: it opens (recovers the WAL) and serves.
    let server = start_server(&database.url, &[], false);
    let mut connection = Connection::open(&server.addr).unwrap();
    let (status, body) = connection
        .post(
            "/api/v1/responses",
            &key,
            "{\"respondent_id\":\"after-restart\",\"overall\":5}",
        )
        .unwrap();
    assert_eq!(status, 201, "{backend}: after the restart: {body}");
    drop(server);

    runtime.block_on(async {
        let db = Db::connect(&database.url).await.unwrap();
        let mut missing = Vec::new();
        for &id in &acknowledged {
            match surveys::get_response(&db, id).await {
                Ok(stored) => assert_eq!(stored.wave_id, wave),
                Err(StoreError::NotFound) => missing.push(id),
                Err(other) => panic!("{other}"),
            }
        }
        assert!(
            missing.is_empty(),
            "{backend}: {} acknowledged responses lost after kill -9: {missing:?}",
            missing.len()
        );
        // Every acknowledged response is counted (plus the one after the restart, plus at most
        // those in flight at the kill, committed but never acknowledged).
        let counts = surveys::counts(&db, wave, &[unit], None).await.unwrap();
        let stored = counts[0].counts.responses.n as usize;
        assert!(
            stored > acknowledged.len() && stored <= acknowledged.len() + 1 + 8,
            "{backend}: {stored} counted for {} acknowledged",
            acknowledged.len()
        );
        let drift = surveys::recompute_counters(&db, &Actor::system("crash-test"), wave)
            .await
            .unwrap();
        assert!(drift.is_zero(), "{backend}: counters drifted: {drift:?}");
        println!(
            "{backend}: {} acknowledged before kill -9, all present ({stored} stored)",
            acknowledged.len()
        );
    });
}

#[test]
fn acknowledged_responses_survive_kill_9() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sqlite = runtime.block_on(testing::empty_sqlite());
    crash_and_check(&sqlite, &runtime);
    if let Some(postgres) = runtime.block_on(testing::empty_postgres()) {
        crash_and_check(&postgres, &runtime);
    } else {
        eprintln!("PostgreSQL not reachable: the crash test ran on SQLite only");
    }
}

/// Not a test: prepares the database of `bench/http-submit.sh` (the wave and device of the
/// crash test) and writes the device key to `CHISO_BENCH_KEY_FILE`.
#[test]
#[ignore = "run by bench/http-submit.sh"]
fn prepare_bench_database() {
    let (Ok(url), Ok(key_file)) = (
        std::env::var("CHISO_BENCH_DATABASE_URL"),
        std::env::var("CHISO_BENCH_KEY_FILE"),
    ) else {
        panic!("set CHISO_BENCH_DATABASE_URL and CHISO_BENCH_KEY_FILE");
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_, _, key) = runtime.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        common::kiosk_wave(&db).await
    });
    std::fs::write(key_file, key).unwrap();
}
