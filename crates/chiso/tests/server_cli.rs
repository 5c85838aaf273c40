//! `chiso migrate`, `chiso user create` and the server's configuration, as an operator runs
//! them: on a fresh SQLite file and, when reachable, a fresh PostgreSQL database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chiso_store::testing::{self, TestDb};
use chiso_store::users;

fn chiso(args: &[&str], dir: &Path, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chiso runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chiso-server-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn databases(runtime: &tokio::runtime::Runtime) -> Vec<TestDb> {
    let mut all = vec![runtime.block_on(testing::empty_sqlite())];
    all.extend(runtime.block_on(testing::empty_postgres()));
    all
}

#[test]
fn migrate_creates_the_schema_once_and_a_second_run_applies_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = scratch("migrate");
    for database in databases(&runtime) {
        let first = chiso(&["migrate", "--database-url", &database.url], &dir, None);
        assert!(first.status.success(), "{}", text(&first.stderr));
        let out = text(&first.stdout);
        assert!(!out.contains(" 0 migration(s) applied now"), "{out}");
        let second = chiso(&["migrate", "--database-url", &database.url], &dir, None);
        assert!(second.status.success());
        assert!(
            text(&second.stdout).contains(" 0 migration(s) applied now"),
            "{}",
            text(&second.stdout)
        );
        let applied = runtime.block_on(database.db.applied_migrations()).unwrap();
        assert!(!applied.is_empty(), "{:?}", database.backend());
    }
}

#[test]
fn user_create_makes_an_account_that_must_change_its_password() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = scratch("user");
    for database in databases(&runtime) {
        let url = database.url.as_str();
        let created = chiso(
            &[
                "user",
                "create",
                "--database-url",
                url,
                "--username",
                "Chuyen.Vien",
                "--full-name",
                "Chuyên viên Sở Nội vụ",
                "--role",
                "secretariat",
                "--password-stdin",
            ],
            &dir,
            Some("mot-mat-khau-dai\n"),
        );
        assert!(created.status.success(), "{}", text(&created.stderr));
        let user = runtime
            .block_on(users::find_by_username(&database.db, "chuyen.vien"))
            .unwrap()
            .expect("the user exists");
        assert!(user.must_change_password);
        assert!(password_auth::verify_password("mot-mat-khau-dai", &user.password_hash).is_ok());
        let roles = runtime
            .block_on(users::roles(&database.db, user.id))
            .unwrap();
        assert_eq!(
            roles.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(),
            ["secretariat"]
        );

        // Generated password, printed once.
        let created = chiso(
            &[
                "user",
                "create",
                "--database-url",
                url,
                "--username",
                "admin2",
                "--full-name",
                "Quản trị 2",
                "--role",
                "admin",
            ],
            &dir,
            None,
        );
        assert!(created.status.success(), "{}", text(&created.stderr));
        assert!(text(&created.stdout).contains("temporary password: "));

        // Bad input: a clear error naming the field, nothing created.
        for (args, message) in [
            (
                vec!["--username", "x1", "--full-name", "X", "--role", "boss"],
                "--role 'boss'",
            ),
            (
                vec![
                    "--username",
                    "x2",
                    "--full-name",
                    "X",
                    "--role",
                    "unit_editor",
                    "--unit",
                    "ZZ",
                ],
                "--unit ZZ",
            ),
        ] {
            let mut all = vec!["user", "create", "--database-url", url];
            all.extend(args);
            let output = chiso(&all, &dir, None);
            assert!(!output.status.success());
            assert!(
                text(&output.stderr).contains(message),
                "{}",
                text(&output.stderr)
            );
        }
        let short = chiso(
            &[
                "user",
                "create",
                "--database-url",
                url,
                "--username",
                "x3",
                "--full-name",
                "X",
                "--role",
                "viewer",
                "--password-stdin",
            ],
            &dir,
            Some("short"),
        );
        assert!(!short.status.success());
        assert!(text(&short.stderr).contains("at least 10 characters"));
        let all = runtime.block_on(users::list(&database.db)).unwrap();
        assert_eq!(
            all.len(),
            2,
            "{:?}: only the two good accounts",
            database.backend()
        );
    }
}

#[test]
fn a_bad_configuration_file_is_named_with_its_problem() {
    let dir = scratch("config");
    std::fs::write(
        dir.join("chiso.toml"),
        "bind = \"127.0.0.1:9\"\nunknown_key = 1\n",
    )
    .unwrap();
    let output = chiso(&["migrate"], &dir, None);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains("chiso.toml") && error.contains("unknown_key"),
        "{error}"
    );

    std::fs::write(
        dir.join("chiso.toml"),
        "database_url = \"mysql://nowhere\"\n",
    )
    .unwrap();
    let output = chiso(&["migrate"], &dir, None);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("sqlite: or postgres://"),
        "{}",
        text(&output.stderr)
    );

    // The survey settings are checked, by name.
    for (setting, problem) in [
        (
            "survey_group_commit = 0",
            "survey_group_commit: must be between 1 and 256",
        ),
        (
            "survey_group_commit = 1000",
            "survey_group_commit: must be between 1 and 256",
        ),
        (
            "survey_submissions_per_minute = 0",
            "survey_submissions_per_minute: must be at least 1",
        ),
        (
            "survey_submissions_per_minute = -3",
            "survey_submissions_per_minute",
        ),
    ] {
        std::fs::write(dir.join("chiso.toml"), format!("{setting}\n")).unwrap();
        let output = chiso(&["migrate"], &dir, None);
        assert_eq!(output.status.code(), Some(2), "{setting}");
        let error = text(&output.stderr);
        assert!(error.contains(problem), "{setting}: {error}");
    }

    // A file's setting is used: migrate a SQLite file named there.
    std::fs::write(
        dir.join("chiso.toml"),
        "database_url = \"sqlite://from-file.db\"\n",
    )
    .unwrap();
    let output = chiso(&["migrate"], &dir, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.join("from-file.db").exists());

    // The environment overrides the file, and its mistakes are named too.
    let env = |pairs: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chiso"));
        command
            .arg("migrate")
            .current_dir(&dir)
            .env_remove("DATABASE_URL");
        for (key, value) in pairs {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    let output = env(&[("CHISO_DATABASE_URL", "sqlite://from-env.db")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.join("from-env.db").exists());
    for (key, value, problem) in [
        ("CHISO_SESSION_HOURS", "tam", "SESSION_HOURS"),
        ("CHISO_TRUSTED_PROXIES", "proxy.example", "trusted_proxies"),
        ("CHISO_PUBLIC_URL", "cchc.example", "public_url"),
        ("CHISO_INDEX_WEIGHTING", "nhieu", "index_weighting"),
    ] {
        let output = env(&[(key, value)]);
        assert_eq!(output.status.code(), Some(2), "{key}");
        assert!(
            text(&output.stderr).contains(problem),
            "{key}: {}",
            text(&output.stderr)
        );
    }
    let output = env(&[("CHISO_TRUSTED_PROXIES", "1"), ("CHISO_UNRELATED", "x")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // A province code is text: "01" stays "01" (not the number 1).
    let output = env(&[
        ("CHISO_PROVINCE", "01"),
        ("CHISO_INDEX_WEIGHTING", "population"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}
