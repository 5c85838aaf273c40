//! The device API against its own OpenAPI description (`/api/openapi.json`), as an outside
//! client generates requests from it: `schemathesis` (a Python package; `.ci/run` installs
//! it) sends a bounded number of generated requests to a running `chiso serve` with a real
//! device key and checks that no answer is a server error and that every answer's status,
//! content type and body match the description. Outside CI, without `st`, it is skipped with
//! a notice.

mod common;

use std::process::Command;

use chiso_store::Db;
use chiso_store::testing;
use common::start_server;

/// Generated requests per operation: bounded so the run takes seconds.
const EXAMPLES: &str = "60";

#[test]
fn the_device_api_answers_as_its_description_says() {
    let available = Command::new("st").arg("--version").output().is_ok();
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "schemathesis (`st`) is required under CI: pip install schemathesis"
        );
        eprintln!("schemathesis is not installed: the API schema test is skipped");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = runtime.block_on(testing::empty_sqlite());
    let key = runtime.block_on(async {
        let db = Db::connect(&database.url).await.unwrap();
        let (_, _, key) = common::kiosk_wave(&db).await;
        db.close().await;
        key
    });
    let server = start_server(&database.url, &[], false);

    // The description itself is served and names both operations.
    let description = runtime.block_on(async {
        reqwest::get(server.url("/api/openapi.json"))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    });
    assert!(description["paths"]["/api/v1/responses"]["post"].is_object());
    assert_eq!(description["openapi"].as_str().map(|v| &v[..2]), Some("3."));

    let output = Command::new("st")
        .args([
            "run",
            &server.url("/api/openapi.json"),
            "--url",
            &server.url(""),
            "--header",
            &format!("Authorization: Bearer {key}"),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            EXAMPLES,
            "--seed",
            "20261208",
            "--request-timeout",
            "20",
            "--no-color",
        ])
        .env("SCHEMATHESIS_HOOKS", "")
        // Its cache of examples goes to the server's scratch folder, not the repository.
        .current_dir(&server.dir)
        .output()
        .expect("st runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}"
    );
}
