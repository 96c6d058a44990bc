//! Concurrency invariants, checked over the whole table after each storm of concurrent requests:
//! optimistic locking loses no update and lets one writer win each version, one email makes one
//! person however many try at once, and email changes, deletes and re-creates racing each other
//! always leave every person with exactly one email claim and every claim with one person.
//!
//! Each test prints its outcomes (`cargo test -p people --test api concurrency -- --nocapture`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use people::PersonId;
use serde_json::json;

use crate::helpers::*;

/// Every item of the table, read with a paginated, strongly consistent scan.
async fn scan_all(app: &TestApp) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = app
            .table
            .client()
            .scan()
            .table_name(app.table.name())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the table");
        items.extend(page.items().iter().cloned());
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return items;
        }
    }
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(s)) => s,
        other => panic!("{name} is not a string in {item:?}: {other:?}"),
    }
}

/// The people (id → email) and the email claims (email → person id) stored in the table.
struct Stored {
    people: BTreeMap<String, String>,
    claims: BTreeMap<String, String>,
}

/// Reads the whole table and checks the claim invariant: every person item (`PERSON#<id>`,
/// `PROFILE`) has exactly one email claim (`EMAIL#<its email>`, `EMAIL`, `person_id` = its id), and
/// every claim belongs to a stored person with that email.
async fn check_claims(app: &TestApp) -> Stored {
    let mut people = BTreeMap::new();
    let mut claims = BTreeMap::new();
    for item in scan_all(app).await {
        let (pk, sk) = (text(&item, "pk"), text(&item, "sk"));
        if let Some(id) = pk.strip_prefix("PERSON#") {
            assert_eq!(sk, "PROFILE", "{item:?}");
            assert_eq!(text(&item, "id"), id, "{item:?}");
            let previous = people.insert(id.to_owned(), text(&item, "email").to_owned());
            assert!(previous.is_none(), "two items for person {id}");
        } else if let Some(email) = pk.strip_prefix("EMAIL#") {
            assert_eq!(sk, "EMAIL", "{item:?}");
            assert_eq!(text(&item, "email"), email, "{item:?}");
            let previous = claims.insert(email.to_owned(), text(&item, "person_id").to_owned());
            assert!(previous.is_none(), "two claims of {email}");
        }
    }
    for (id, email) in &people {
        assert_eq!(
            claims.get(email),
            Some(id),
            "person {id} has email {email}, but its claim is {:?}",
            claims.get(email)
        );
    }
    for (email, id) in &claims {
        assert_eq!(
            people.get(id),
            Some(email),
            "the claim of {email} names person {id}, whose email is {:?}",
            people.get(id)
        );
    }
    assert_eq!(people.len(), claims.len());
    Stored { people, claims }
}

/// A response that is not a success: a problem document with a 4xx status and the given type.
fn assert_refused(response: &Response, status: i64, kinds: &[&str]) {
    assert_problem(response, status);
    let kind = response.body["type"].as_str().unwrap_or_default();
    assert!(kinds.contains(&kind), "{status} {kind}: {}", response.body);
}

/// The version in an ETag such as `"v3.187a9c4e5b2d3f00"`.
fn etag_version(etag: &str) -> u64 {
    etag.trim_matches('"')
        .strip_prefix('v')
        .and_then(|t| t.split('.').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("an ETag with a version: {etag}"))
}

const WRITERS: usize = 200;
/// Tries per writer: each reads the ETag, then writes with `If-Match`.
const TRIES: usize = 6;

/// What one If-Match writer saw.
#[derive(Debug, Default)]
struct Writer {
    /// The version its successful write made, its name, the ETag it matched and the one it got.
    success: Option<(u64, String, String, String)>,
    precondition_failed: usize,
    conflicts: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn if_match_writers_on_one_person_win_one_per_version_and_lose_no_update() {
    let started = Instant::now();
    let app = Arc::new(TestApp::new().await);
    let created = app.create("Writer start", "writers@example.com").await;
    let path = format!("/people/{}", created.body["id"].as_str().unwrap());

    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let (app, path) = (app.clone(), path.clone());
            tokio::spawn(async move {
                let mut writer = Writer::default();
                let name = format!("Writer {i}");
                let body = json!({ "name": name, "email": "writers@example.com", "tags": [format!("w{i}")] })
                    .to_string();
                for _ in 0..TRIES {
                    let read = app.send("GET", &path, &[], None).await;
                    assert_eq!(read.status, 200, "{}", read.body);
                    let etag = read.header("etag").unwrap().to_owned();
                    let written = app
                        .send("PUT", &path, &[JSON, ("if-match", &etag)], Some(&body))
                        .await;
                    match written.status {
                        200 => {
                            let version = written.body["version"].as_u64().unwrap();
                            let got = written.header("etag").unwrap().to_owned();
                            assert_eq!(etag_version(&got), version);
                            assert_eq!(written.body["name"], name.as_str());
                            writer.success = Some((version, name, etag, got));
                            break;
                        }
                        412 => {
                            assert_refused(&written, 412, &["/problems/precondition-failed"]);
                            writer.precondition_failed += 1;
                        }
                        409 => {
                            assert_refused(&written, 409, &["/problems/conflict"]);
                            writer.conflicts += 1;
                        }
                        other => panic!("PUT with If-Match answered {other}: {}", written.body),
                    }
                }
                writer
            })
        })
        .collect();
    let mut writers = Vec::with_capacity(WRITERS);
    for task in tasks {
        writers.push(task.await.unwrap());
    }

    let stored = app.send("GET", &path, &[], None).await;
    assert_eq!(stored.status, 200);
    let final_version = stored.body["version"].as_u64().unwrap();
    let mut by_version: BTreeMap<u64, Vec<&(u64, String, String, String)>> = BTreeMap::new();
    for success in writers.iter().filter_map(|w| w.success.as_ref()) {
        by_version.entry(success.0).or_default().push(success);
    }
    let successes: usize = by_version.values().map(Vec::len).sum();
    println!(
        "if-match: {WRITERS} writers × ≤{TRIES} tries: {successes} successes (versions 2..={final_version}), {} × 412, {} × 409, {} writers gave up; {:.1} s",
        writers.iter().map(|w| w.precondition_failed).sum::<usize>(),
        writers.iter().map(|w| w.conflicts).sum::<usize>(),
        writers.iter().filter(|w| w.success.is_none()).count(),
        started.elapsed().as_secs_f64(),
    );
    assert!(successes > 0);
    // One success per version, every version from 2 (created at 1) to the last: nothing written
    // twice over one version, and no write without a new version.
    assert_eq!(successes as u64, final_version - 1, "{by_version:?}");
    for (version, wins) in &by_version {
        assert_eq!(wins.len(), 1, "version {version} won by {wins:?}");
        // The winner matched the ETag of the version before.
        assert_eq!(etag_version(&wins[0].2), version - 1, "{wins:?}");
    }
    assert_eq!(
        by_version.keys().copied().collect::<Vec<_>>(),
        (2..=final_version).collect::<Vec<_>>()
    );
    // No lost update: what is stored is exactly the last successful write.
    let (_, name, _, etag) = by_version[&final_version][0];
    assert_eq!(stored.body["name"], name.as_str(), "{}", stored.body);
    assert_eq!(stored.header("etag"), Some(etag.as_str()));
    let tag = name.replace("Writer ", "w");
    assert_eq!(stored.body["tags"], json!([tag]));

    let table = check_claims(&app).await;
    assert_eq!(table.people.len(), 1);
    assert_eq!(
        table.claims.keys().collect::<Vec<_>>(),
        ["writers@example.com"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_creates_with_one_email_make_one_person_and_one_claim() {
    let started = Instant::now();
    let app = Arc::new(TestApp::new().await);
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.send(
                    "POST",
                    "/people",
                    &[JSON],
                    Some(&person(&format!("Racer {i}"), "race@example.com")),
                )
                .await
            })
        })
        .collect();
    let mut created = Vec::new();
    let mut taken = 0;
    for task in tasks {
        let response = task.await.unwrap();
        match response.status {
            201 => created.push(response.body["id"].as_str().unwrap().to_owned()),
            _ => {
                assert_refused(&response, 409, &["/problems/email-taken"]);
                taken += 1;
            }
        }
    }
    println!(
        "one email: 100 concurrent creates: {} × 201, {taken} × 409 email-taken; {:.1} s",
        created.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(taken, 99);
    let table = check_claims(&app).await;
    assert_eq!(table.people.keys().collect::<Vec<_>>(), [&created[0]]);
    assert_eq!(
        table.claims,
        BTreeMap::from([("race@example.com".to_owned(), created[0].clone())])
    );
    assert_eq!(app.stored_count().await, 2, "one person and one claim");
}

/// A small, seeded generator: the storm is the same on every run, up to the scheduling.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

const PEOPLE: usize = 8;
const EMAILS: usize = 12;
const STORM_WORKERS: usize = 16;
const STORM: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn email_changes_deletes_and_recreates_keep_one_claim_per_person() {
    let app = Arc::new(TestApp::new().await);
    let ids: Arc<Vec<String>> = Arc::new(
        (0..PEOPLE)
            .map(|_| PersonId::generate().to_string())
            .collect(),
    );
    let email = |n: usize| format!("storm{n}@example.com");
    for (i, id) in ids.iter().enumerate() {
        let created = app
            .send(
                "PUT",
                &format!("/people/{id}"),
                &[JSON],
                Some(&person(&format!("Storm {i}"), &email(i))),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
    }

    let deadline = Instant::now() + STORM;
    let tasks: Vec<_> = (0..STORM_WORKERS)
        .map(|w| {
            let (app, ids) = (app.clone(), ids.clone());
            tokio::spawn(async move {
                let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ ((w as u64 + 1) * 0x2545_F491));
                let mut seen: BTreeMap<(&'static str, i64), usize> = BTreeMap::new();
                while Instant::now() < deadline {
                    let id = &ids[rng.below(PEOPLE)];
                    let path = format!("/people/{id}");
                    let new_email = email(rng.below(EMAILS));
                    let (op, response) = match rng.below(10) {
                        0..=4 => {
                            let body = json!({ "email": new_email }).to_string();
                            let r = app.send("PATCH", &path, &[MERGE_PATCH], Some(&body)).await;
                            ("patch email", r)
                        }
                        5 => ("delete", app.send("DELETE", &path, &[], None).await),
                        _ => {
                            let body = person(&format!("Storm {w}"), &new_email);
                            ("put", app.send("PUT", &path, &[JSON], Some(&body)).await)
                        }
                    };
                    match (op, response.status) {
                        ("patch email", 200) | ("put", 200 | 201) | ("delete", 204) => {}
                        ("patch email" | "delete", 404) => {
                            assert_refused(&response, 404, &["/problems/not-found"])
                        }
                        ("patch email" | "put", 409) => assert_refused(
                            &response,
                            409,
                            &["/problems/email-taken", "/problems/conflict"],
                        ),
                        ("delete", 409) => assert_refused(&response, 409, &["/problems/conflict"]),
                        (op, status) => panic!("{op} answered {status}: {}", response.body),
                    }
                    let kind = match response.body["type"].as_str() {
                        Some("/problems/conflict") => 1,
                        _ => 0,
                    };
                    *seen.entry((op, response.status * 10 + kind)).or_default() += 1;
                }
                seen
            })
        })
        .collect();
    let mut outcomes: BTreeMap<(&'static str, i64), usize> = BTreeMap::new();
    for task in tasks {
        for (k, n) in task.await.unwrap() {
            *outcomes.entry(k).or_default() += n;
        }
    }
    let table = check_claims(&app).await;
    let described: Vec<String> = outcomes
        .iter()
        .map(|((op, code), n)| {
            let conflict = if code % 10 == 1 { " conflict" } else { "" };
            format!("{op} {}{conflict}: {n}", code / 10)
        })
        .collect();
    println!(
        "storm: {STORM_WORKERS} workers for {STORM:?} over {PEOPLE} ids and {EMAILS} emails: {} requests ({}); afterwards {} people, {} claims, all paired",
        outcomes.values().sum::<usize>(),
        described.join(", "),
        table.people.len(),
        table.claims.len(),
    );
    assert!(outcomes.values().sum::<usize>() > STORM_WORKERS);
    // The storm did all three things.
    for op in ["patch email", "delete", "put"] {
        assert!(
            outcomes.keys().any(|(o, code)| *o == op && code / 10 < 300),
            "{op} never succeeded: {outcomes:?}"
        );
    }
}
