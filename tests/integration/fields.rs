//! Field definitions: every type with every set of modifiers either works end to end (the
//! end-to-end test runs the generated tests of all of them, in memory and on PostgreSQL) or is
//! refused with exit status 2, a reason and nothing written.

use crate::support::{KEYWORD_FIELDS, REFUSED_FIELDS, Sandbox, espresso, field_matrix, tree_state};
use predicates::prelude::*;

fn project() -> Sandbox {
    let sb = Sandbox::new();
    sb.run(&[
        "new",
        "shop",
        "-q",
        "--language",
        "javascript",
        "--database",
        "postgres",
        "--deploy",
        "none",
        "--ci",
        "none",
    ])
    .success();
    sb
}

#[test]
fn every_type_and_modifier_combination_is_accepted_or_refused_as_decided() {
    let sb = project();
    let shop = sb.path().join("shop");
    let before = tree_state(&shop);
    let matrix = field_matrix();
    assert_eq!(matrix.len(), 14 * 8);
    let mut accepted = 0;
    for (_, spec, decision) in &matrix {
        let run =
            espresso().current_dir(&shop).args(["add", "resource", "probe", "--field", spec, "--dry-run"]).assert();
        match decision {
            Ok(()) => {
                run.success();
                accepted += 1;
            }
            Err(why) => {
                run.code(2).stderr(
                    predicate::str::contains(format!("invalid field `{spec}`")).and(predicate::str::contains(*why)),
                );
            }
        }
    }
    for (spec, why) in REFUSED_FIELDS {
        espresso()
            .current_dir(&shop)
            .args(["add", "resource", "probe", "--field", spec])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*why).and(predicate::str::contains("hint:")));
    }
    assert!(tree_state(&shop) == before, "a refused field wrote something");
    assert_eq!(accepted, 94, "the decision table changed: update the field table in README.md");
}

#[test]
fn names_that_are_reserved_words_work_and_sql_keywords_are_quoted() {
    let sb = project();
    let shop = sb.path().join("shop");
    let mut args = vec!["add", "resource", "keyword", "-q"];
    for f in KEYWORD_FIELDS {
        args.extend(["--field", f]);
    }
    espresso().current_dir(&shop).args(&args).assert().success();
    let migration = std::fs::read_to_string(shop.join("migrations/0001_create_keywords.sql")).unwrap();
    for line in [
        "  \"order\" integer NOT NULL UNIQUE,",
        "  \"default\" text CHECK (\"default\" IN ('x', 'y')) NOT NULL,",
        "  class varchar(255) NOT NULL,",
        "CREATE INDEX keywords_user_idx ON keywords (\"user\");",
        "CREATE INDEX keywords_group_idx ON keywords (\"group\");",
    ] {
        assert!(migration.contains(line), "{line}\n{migration}");
    }
    let schema = std::fs::read_to_string(shop.join("src/schemas/keywords.schema.js")).unwrap();
    assert!(
        schema.contains("\"default\":\"https://example.com:8443/a?b=c\""),
        "a default with `:` is kept whole:\n{schema}"
    );
    // A resource whose table would be a key word is refused; one whose singular is, is not.
    espresso()
        .current_dir(&shop)
        .args(["add", "resource", "a", "--field", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("reserved word in SQL"));
    espresso().current_dir(&shop).args(["add", "resource", "user", "--field", "name", "-q"]).assert().success();
}
