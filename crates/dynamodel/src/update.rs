//! Update expressions: `SET` (values, `if_not_exists`, `list_append`, arithmetic), `REMOVE`, `ADD` and
//! `DELETE`, rendered with placeholders only.
//!
//! ```
//! use dynamodel::expr::{Placeholders, attr};
//! use dynamodel::Update;
//!
//! let update = Update::new()
//!     .set(attr("address").key("city"), "Paris")
//!     .increment(attr("visits"), 1)
//!     .remove(attr("nickname"));
//! let mut ph = Placeholders::default();
//! assert_eq!(update.render(&mut ph), "SET #n0.#n1 = :v0, #n2 = #n2 + :v1 REMOVE #n3");
//! ```

use aws_sdk_dynamodb::types::AttributeValue;

use crate::expr::{Path, Placeholders, ToAttr};

#[derive(Debug, Clone, PartialEq)]
enum SetValue {
    Value(AttributeValue),
    IfNotExists(AttributeValue),
    Append(AttributeValue),
    Prepend(AttributeValue),
    Plus(AttributeValue),
    Minus(AttributeValue),
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, AttributeValue),
    Delete(Path, AttributeValue),
}

/// An update of some attributes of one item; attributes it does not name are left as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    actions: Vec<Action>,
}

impl Update {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// How many actions it holds.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// True when some action targets `path` or a path inside it.
    pub fn touches(&self, path: &Path) -> bool {
        self.actions.iter().any(|a| {
            let p = match a {
                Action::Set(p, _)
                | Action::Remove(p)
                | Action::Add(p, _)
                | Action::Delete(p, _) => p,
            };
            p.starts_with(path)
        })
    }

    /// `SET path = v`
    pub fn set(mut self, path: Path, v: impl ToAttr) -> Self {
        self.actions
            .push(Action::Set(path, SetValue::Value(v.to_attr())));
        self
    }

    /// `SET path = if_not_exists(path, v)`: only when nothing is stored there.
    pub fn set_if_not_exists(mut self, path: Path, v: impl ToAttr) -> Self {
        self.actions
            .push(Action::Set(path, SetValue::IfNotExists(v.to_attr())));
        self
    }

    /// `SET path = list_append(path, list)`
    pub fn append(mut self, path: Path, list: AttributeValue) -> Self {
        self.actions.push(Action::Set(path, SetValue::Append(list)));
        self
    }

    /// `SET path = list_append(list, path)`
    pub fn prepend(mut self, path: Path, list: AttributeValue) -> Self {
        self.actions
            .push(Action::Set(path, SetValue::Prepend(list)));
        self
    }

    /// `SET path = path + n`
    pub fn increment(mut self, path: Path, n: impl ToAttr) -> Self {
        self.actions
            .push(Action::Set(path, SetValue::Plus(n.to_attr())));
        self
    }

    /// `SET path = path - n`
    pub fn decrement(mut self, path: Path, n: impl ToAttr) -> Self {
        self.actions
            .push(Action::Set(path, SetValue::Minus(n.to_attr())));
        self
    }

    /// `REMOVE path`
    pub fn remove(mut self, path: Path) -> Self {
        self.actions.push(Action::Remove(path));
        self
    }

    /// `ADD path v`: adds to a number (starting from 0) or adds elements to a set.
    pub fn add(mut self, path: Path, v: impl ToAttr) -> Self {
        self.actions.push(Action::Add(path, v.to_attr()));
        self
    }

    /// `DELETE path set`: removes elements from a set.
    pub fn delete_from_set(mut self, path: Path, set: AttributeValue) -> Self {
        self.actions.push(Action::Delete(path, set));
        self
    }

    /// `SET` every derived attribute of `model` (index keys, search copies), so an update that changes
    /// the fields they come from keeps them in step.
    pub fn set_derived<M: crate::Model>(mut self, model: &M) -> Self {
        for (name, value) in model.derived_attributes() {
            self = self.set(crate::expr::attr(name), value);
        }
        self
    }

    /// Appends another update's actions.
    pub fn merge(mut self, other: Update) -> Self {
        self.actions.extend(other.actions);
        self
    }

    /// The expression text, registering names and values.
    pub fn render(&self, ph: &mut Placeholders) -> String {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut add = Vec::new();
        let mut delete = Vec::new();
        for action in &self.actions {
            match action {
                Action::Set(path, value) => {
                    let p = ph.path(path);
                    let rhs = match value {
                        SetValue::Value(v) => ph.value(v.clone()),
                        SetValue::IfNotExists(v) => {
                            format!("if_not_exists({p}, {})", ph.value(v.clone()))
                        }
                        SetValue::Append(v) => format!("list_append({p}, {})", ph.value(v.clone())),
                        SetValue::Prepend(v) => {
                            format!("list_append({}, {p})", ph.value(v.clone()))
                        }
                        SetValue::Plus(v) => format!("{p} + {}", ph.value(v.clone())),
                        SetValue::Minus(v) => format!("{p} - {}", ph.value(v.clone())),
                    };
                    set.push(format!("{p} = {rhs}"));
                }
                Action::Remove(path) => remove.push(ph.path(path)),
                Action::Add(path, v) => {
                    let p = ph.path(path);
                    add.push(format!("{p} {}", ph.value(v.clone())));
                }
                Action::Delete(path, v) => {
                    let p = ph.path(path);
                    delete.push(format!("{p} {}", ph.value(v.clone())));
                }
            }
        }
        let mut clauses = Vec::new();
        for (keyword, parts) in [
            ("SET", set),
            ("REMOVE", remove),
            ("ADD", add),
            ("DELETE", delete),
        ] {
            if !parts.is_empty() {
                clauses.push(format!("{keyword} {}", parts.join(", ")));
            }
        }
        clauses.join(" ")
    }
}

/// How [`crate::Table::update`] and [`crate::Table::patch`] guard a write: the version the item must
/// be at, and a condition of the caller's, both checked by DynamoDB with the write.
///
/// ```
/// use dynamodel::{UpdateOptions, expr::attr};
/// let options = UpdateOptions::new().expect_version(3).condition(attr("status").eq("open"));
/// assert_eq!(options.expected_version(), Some(3));
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct UpdateOptions {
    expected_version: Option<u64>,
    condition: Option<crate::Condition>,
}

impl UpdateOptions {
    /// No expectation: any stored version, no condition (the item must still exist).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only when the stored item is at `version` ([`crate::Error::VersionMismatch`] otherwise).
    pub fn expect_version(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    /// Only when `condition` holds for the stored item ([`crate::Error::ConditionFailed`]
    /// otherwise); several calls are combined with `AND`.
    pub fn condition(mut self, condition: crate::Condition) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
        self
    }

    /// The expected version.
    pub fn expected_version(&self) -> Option<u64> {
        self.expected_version
    }

    /// The caller's condition.
    pub fn caller_condition(&self) -> Option<&crate::Condition> {
        self.condition.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::attr;

    #[test]
    fn renders_every_clause_once() {
        let update = Update::new()
            .set(attr("a"), 1)
            .set_if_not_exists(attr("b"), "x")
            .append(attr("l"), AttributeValue::L(vec![]))
            .prepend(attr("l2"), AttributeValue::L(vec![]))
            .decrement(attr("n"), 2)
            .remove(attr("r").index(0))
            .add(attr("s"), AttributeValue::Ss(vec!["t".into()]))
            .delete_from_set(attr("s2"), AttributeValue::Ss(vec!["u".into()]));
        let mut ph = Placeholders::default();
        assert_eq!(
            update.render(&mut ph),
            "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1), #n2 = list_append(#n2, :v2), \
             #n3 = list_append(:v3, #n3), #n4 = #n4 - :v4 REMOVE #n5[0] ADD #n6 :v5 DELETE #n7 :v6"
        );
        assert!(update.touches(&attr("r")));
        assert!(!update.touches(&attr("zz")));
    }
}
