//! API versions (`espresso add api-version v2`): each resource lives in one, mounted at
//! `/api/<version>`; a deprecated version announces its sunset (RFC 9745, RFC 8594).

use crate::error::UsageError;
use serde::Serialize;

/// The version every project starts with, and every resource recorded without one is in.
pub const FIRST: &str = "v1";

/// One version of the API, as the project records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiVersion {
    /// `v1`, `v2`, ...
    pub name: String,
    /// The day it was deprecated (YYYY-MM-DD), and the day after which it may stop answering.
    pub deprecated: Option<String>,
    pub sunset: Option<String>,
}

impl ApiVersion {
    pub fn new(name: &str) -> Self {
        Self { name: name.to_owned(), deprecated: None, sunset: None }
    }

    /// `v` and a number from 1 to 999: what `/api/<version>` and the OpenAPI paths hold.
    pub fn parse_name(raw: &str) -> Result<String, UsageError> {
        let number = raw
            .strip_prefix('v')
            .filter(|n| (1..=3).contains(&n.len()) && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()));
        match number {
            Some(_) => Ok(raw.to_owned()),
            None => {
                Err(UsageError::new(format!("invalid API version `{raw}`"))
                    .hint("name it `v` and a number, such as `v2`"))
            }
        }
    }

    /// The version's number, by which versions are ordered.
    pub fn number(&self) -> u32 {
        self.name[1..].parse().unwrap_or(0)
    }
}

/// A version as templates see it: its record, and the newer version that replaces it.
#[derive(Debug, Serialize)]
pub struct ApiVersionContext {
    #[serde(flatten)]
    pub version: ApiVersion,
    /// The newest version that is not deprecated, when that is newer than this one.
    pub successor: Option<String>,
}

/// The versions of a project as templates see them, oldest first.
pub fn contexts(versions: &[ApiVersion]) -> Vec<ApiVersionContext> {
    let current = versions.iter().filter(|v| v.deprecated.is_none()).max_by_key(|v| v.number());
    versions
        .iter()
        .map(|v| ApiVersionContext {
            version: v.clone(),
            successor: current.filter(|c| c.number() > v.number()).map(|c| c.name.clone()),
        })
        .collect()
}

/// A calendar day `YYYY-MM-DD`, as `--sunset` and `--since` take it.
pub fn parse_day(raw: &str, flag: &str) -> Result<String, UsageError> {
    if crate::model::resource::valid_date(raw) {
        Ok(raw.to_owned())
    } else {
        Err(UsageError::new(format!("`{flag} {raw}` is not a date"))
            .hint(format!("write it YYYY-MM-DD, such as `{flag} 2027-06-30`")))
    }
}

/// Today in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or_default();
    civil(i64::try_from(days).unwrap_or_default())
}

/// The day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_v_and_a_number_and_the_newest_current_one_succeeds_the_older() {
        assert_eq!(ApiVersion::parse_name("v2").unwrap(), "v2");
        for bad in ["2", "v0", "v01", "V2", "v2beta", "v1000", "v"] {
            assert!(ApiVersion::parse_name(bad).is_err(), "{bad}");
        }
        let mut v1 = ApiVersion::new("v1");
        v1.deprecated = Some("2026-12-02".into());
        let versions = [v1, ApiVersion::new("v2"), ApiVersion::new("v10")];
        let successors: Vec<Option<String>> = contexts(&versions).into_iter().map(|c| c.successor).collect();
        assert_eq!(successors, [Some("v10".into()), Some("v10".into()), None]);
        assert_eq!(
            (civil(0).as_str(), civil(20_789).as_str(), civil(11_016).as_str()),
            ("1970-01-01", "2026-12-02", "2000-02-29")
        );
        assert!(parse_day("2027-02-30", "--sunset").is_err());
    }
}
