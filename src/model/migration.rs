//! Migrations are history. A PostgreSQL project records every schema change espresso made, in
//! order, in `espresso.toml` (`[[migrations]]`), and each one's file is rendered from that record
//! alone: what a resource looks like now never changes a migration written earlier, which may
//! have run. A change only ever appends: `remove resource` appends a `DROP TABLE`, `remove field`
//! a `DROP COLUMN`, and adding the same resource or field again appends a new `CREATE TABLE` or
//! `ADD COLUMN`. So `remove` restores every other file exactly, and a database that ran the
//! earlier migrations reaches the same schema as a fresh one.

use crate::model::resource::{Field, ResourceName};
use heck::ToSnakeCase;

/// Where migrations live in a project.
pub const DIR: &str = "migrations";

/// The template bundle that renders a migration's SQL.
pub const BUNDLE: &str = "common/migration";

/// What a migration does to its resource's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    CreateTable,
    AddColumns,
    /// Indexes for columns added to a table that may hold rows: built concurrently, outside a
    /// transaction, so writes go on meanwhile.
    CreateIndexes,
    DropColumns,
    DropTable,
}

impl Step {
    pub const ALL: [Step; 5] =
        [Self::CreateTable, Self::AddColumns, Self::CreateIndexes, Self::DropColumns, Self::DropTable];

    /// As recorded in espresso.toml, and the name of its template.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateTable => "create-table",
            Self::AddColumns => "add-columns",
            Self::CreateIndexes => "create-indexes",
            Self::DropColumns => "drop-columns",
            Self::DropTable => "drop-table",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One migration espresso wrote: its file name (fixed once written) and what it does. `fields`
/// are the fields the step creates, adds or drops, as they were then; a dropped table records
/// the fields it had.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub file: String,
    pub step: Step,
    pub resource: ResourceName,
    pub fields: Vec<Field>,
}

impl Migration {
    /// A migration numbered `number`, named after what it does:
    /// `0003_create_orders.sql`, `0004_add_total_to_orders.sql`, `0005_drop_note_from_orders.sql`,
    /// `0006_drop_orders.sql`.
    pub fn new(number: u32, step: Step, resource: &ResourceName, fields: Vec<Field>) -> Self {
        let table = &resource.plural_snake;
        let columns = match fields.as_slice() {
            [one] => one.name.to_snake_case(),
            _ => "columns".to_owned(),
        };
        let what = match step {
            Step::CreateTable => format!("create_{table}"),
            Step::AddColumns => format!("add_{columns}_to_{table}"),
            Step::CreateIndexes => format!("index_{columns}_on_{table}"),
            Step::DropColumns => format!("drop_{columns}_from_{table}"),
            Step::DropTable => format!("drop_{table}"),
        };
        Self { file: format!("{number:04}_{what}.sql"), step, resource: resource.clone(), fields }
    }

    /// The path of its file in the project.
    pub fn path(&self) -> String {
        format!("{DIR}/{}", self.file)
    }

    /// The number its file name starts with.
    pub fn number(&self) -> u32 {
        number_of(&self.file).unwrap_or(0)
    }

    /// The espresso command that wrote it, as its header says.
    pub fn command(&self) -> String {
        let name = &self.resource.name;
        match self.step {
            Step::CreateTable => format!("espresso add resource {name}"),
            Step::AddColumns | Step::CreateIndexes => format!(
                "espresso add field {name} {}",
                self.fields.iter().map(Field::spec).collect::<Vec<_>>().join(" ")
            ),
            Step::DropColumns => format!(
                "espresso remove field {name} {}",
                self.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(" ")
            ),
            Step::DropTable => format!("espresso remove resource {name}"),
        }
    }
}

/// The number a migration file name starts with (`0012_add_x.sql` gives 12), if any.
pub fn number_of(file: &str) -> Option<u32> {
    let digits: String = file.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() { None } else { digits.parse().ok() }
}

/// The number of the next migration: one past every migration espresso recorded and every
/// numbered `.sql` file in `on_disk` (migrations the user wrote by hand), so the new one sorts,
/// and runs, after all of them.
pub fn next_number<'a>(recorded: &[Migration], on_disk: impl IntoIterator<Item = &'a str>) -> u32 {
    let disk = on_disk.into_iter().filter(|f| f.ends_with(".sql")).filter_map(number_of);
    recorded.iter().map(Migration::number).chain(disk).max().unwrap_or(0) + 1
}

/// Whether `path` is a migration file: history, which no change rewrites or deletes.
pub fn is_history(path: &str) -> bool {
    path.strip_prefix(DIR).is_some_and(|rest| rest.starts_with('/') && rest.ends_with(".sql"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_after_what_they_do_and_numbered_after_everything() {
        let orders = ResourceName::parse("order").unwrap();
        let total = Field::parse("total:number:default=0").unwrap();
        let note = Field::parse("note:text:optional").unwrap();
        let create = Migration::new(1, Step::CreateTable, &orders, vec![total.clone()]);
        assert_eq!(create.path(), "migrations/0001_create_orders.sql");
        let add = Migration::new(2, Step::AddColumns, &orders, vec![total.clone()]);
        assert_eq!(add.file, "0002_add_total_to_orders.sql");
        assert_eq!(add.command(), "espresso add field order total:number:default=0");
        let drop = Migration::new(3, Step::DropColumns, &orders, vec![total, note]);
        assert_eq!(
            (drop.file.as_str(), drop.command()),
            ("0003_drop_columns_from_orders.sql", "espresso remove field order total note".into())
        );
        assert_eq!(Migration::new(12, Step::DropTable, &orders, vec![]).file, "0012_drop_orders.sql");
        assert_eq!(next_number(&[create, add], ["0007_by_hand.sql", "README.md", "0099_notes.txt"]), 8);
        assert_eq!(next_number(&[], []), 1);
        assert!(is_history("migrations/0001_create_orders.sql"));
        assert!(!is_history("migrations/README.md") && !is_history("migrationsx/a.sql"));
    }
}
