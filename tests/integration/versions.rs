//! API versions: `add api-version`, `--api`, `deprecate api-version` and `remove api-version`,
//! as a user would type them (the generated service's answers are in http_contract.toml).

use crate::support::{Sandbox, espresso};
use predicates::prelude::*;
use std::fs;

fn shop() -> Sandbox {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--deploy", "none", "--ci", "none", "--language", "javascript"]).success();
    run(&sb, &["add", "resource", "order", "--field", "total:decimal"]).success();
    sb
}

fn run(sb: &Sandbox, args: &[&str]) -> assert_cmd::assert::Assert {
    espresso().current_dir(sb.path().join("shop")).args(args).arg("-q").assert()
}

fn read(sb: &Sandbox, rel: &str) -> String {
    fs::read_to_string(sb.path().join("shop").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn a_version_is_added_beside_the_first_takes_new_resources_and_is_removed_exactly() {
    let sb = shop();
    let before = sb.snapshot("shop");
    run(&sb, &["add", "api-version", "v2"]).success();
    assert!(
        read(&sb, "espresso.toml").contains("[[api-versions]]\nname = \"v1\"\n\n[[api-versions]]\nname = \"v2\"\n")
    );
    assert!(read(&sb, "src/api-versions.js").contains("  v1: null,\n  v2: null,\n"));
    // New resources go to the newest version unless `--api` says otherwise.
    run(&sb, &["add", "resource", "invoice", "--field", "amount:decimal"]).success();
    run(&sb, &["add", "resource", "customer", "--api", "v1", "--field", "name"]).success();
    let index = read(&sb, "src/routes/index.js");
    assert!(
        index.contains("'v2/invoices': createInvoicesRouter,")
            && index.contains("'v1/customers': createCustomersRouter,"),
        "{index}"
    );
    let invoices: serde_json::Value = serde_json::from_str(&read(&sb, "openapi/invoices.json")).unwrap();
    assert!(invoices["paths"]["/v2/invoices/{id}"].is_object(), "{invoices}");
    assert!(read(&sb, "test/invoices.test.js").contains("const path = '/api/v2/invoices';"));
    for (args, message, hint) in [
        (&["add", "api-version", "v2"][..], "already exists", "--api v2"),
        (&["add", "api-version", "2"], "invalid API version `2`", "such as `v2`"),
        (
            &["add", "resource", "note", "--api", "v3", "--field", "text"],
            "`v3` does not exist",
            "espresso add api-version v3",
        ),
        (
            &["add", "field", "order", "note:text:optional", "--api", "v2"],
            "served in API version `v1`, not `v2`",
            "--api v1",
        ),
        (
            &["add", "field", "invoice", "customer:ref(customer):optional"],
            "served in API version `v1`, not `v2`",
            "same version",
        ),
        (&["remove", "api-version", "v2"], "still serves `invoice`", "remove those resources first"),
    ] {
        let snapshot = sb.snapshot("shop");
        espresso()
            .current_dir(sb.path().join("shop"))
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message).and(predicate::str::contains(hint)));
        assert!(sb.snapshot("shop") == snapshot, "{args:?} was refused but wrote something");
    }
    run(&sb, &["remove", "resource", "customer"]).success();
    run(&sb, &["remove", "resource", "invoice"]).success();
    run(&sb, &["remove", "api-version", "v2"]).success();
    assert!(sb.snapshot("shop") == before, "removing what was added did not restore the project");
    espresso()
        .current_dir(sb.path().join("shop"))
        .args(["remove", "api-version", "v1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only version"));
}

#[test]
fn a_deprecated_version_records_its_sunset_and_marks_its_operations() {
    let sb = shop();
    run(&sb, &["add", "api-version", "v2"]).success();
    for (args, message) in [
        (&["deprecate", "api-version", "v1", "--sunset", "2027-02-30"][..], "`--sunset 2027-02-30` is not a date"),
        (&["deprecate", "api-version", "v1", "--since", "2027-01-02", "--sunset", "2027-01-01"], "not after"),
        (&["deprecate", "api-version", "v9"], "`v9` does not exist"),
    ] {
        espresso()
            .current_dir(sb.path().join("shop"))
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    run(&sb, &["deprecate", "api-version", "v1", "--since", "2026-12-01", "--sunset", "2027-06-30"]).success();
    assert!(
        read(&sb, "espresso.toml").contains("name = \"v1\"\ndeprecated = \"2026-12-01\"\nsunset = \"2027-06-30\"\n")
    );
    assert!(
        read(&sb, "src/api-versions.js")
            .contains("  v1: { deprecated: '2026-12-01', sunset: '2027-06-30', successor: 'v2' },\n")
    );
    let orders: serde_json::Value = serde_json::from_str(&read(&sb, "openapi/orders.json")).unwrap();
    for (path, item) in orders["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap().iter().filter(|(m, _)| *m != "parameters") {
            assert_eq!(operation["deprecated"], true, "{method} {path}");
            assert!(operation["description"].as_str().unwrap().contains("it may stop answering after 2027-06-30"));
        }
    }
    // Withdrawn, the project is as it was before.
    let deprecated = sb.snapshot("shop");
    run(&sb, &["deprecate", "api-version", "v1", "--withdraw"]).success();
    assert!(read(&sb, "src/api-versions.js").contains("  v1: null,\n  v2: null,\n"));
    run(&sb, &["deprecate", "api-version", "v1", "--since", "2026-12-01", "--sunset", "2027-06-30"]).success();
    assert!(sb.snapshot("shop") == deprecated, "deprecating again after a withdrawal wrote something else");
    espresso()
        .current_dir(sb.path().join("shop"))
        .args(["deprecate", "api-version", "v2", "--withdraw"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not deprecated"));
    // Without --since it is deprecated from today.
    run(&sb, &["deprecate", "api-version", "v2"]).success();
    assert!(
        read(&sb, "espresso.toml")
            .contains(&format!("name = \"v2\"\ndeprecated = \"{}\"\n", espresso::model::api::today()))
    );
}
