//! Condition and filter expressions.
//!
//! Every attribute name is written as a `#n` placeholder and every value as a `:v` placeholder, so
//! reserved words are safe and no input is ever formatted into the expression text.
//!
//! ```
//! use dynamodel::expr::{attr, Placeholders};
//!
//! let cond = attr("status").eq("active").and(attr("tags").contains("vip"));
//! let mut ph = Placeholders::default();
//! let text = ph.render(&cond);
//! assert_eq!(text, "(#n0 = :v0) AND (contains(#n1, :v1))");
//! assert_eq!(ph.names()["#n0"], "status");
//! ```

use std::collections::HashMap;

pub use aws_sdk_dynamodb::types::AttributeValue;

/// A value that can stand in an expression.
pub trait ToAttr {
    /// The DynamoDB attribute value.
    fn to_attr(self) -> AttributeValue;
}

impl ToAttr for AttributeValue {
    fn to_attr(self) -> AttributeValue {
        self
    }
}
impl ToAttr for &str {
    fn to_attr(self) -> AttributeValue {
        AttributeValue::S(self.to_owned())
    }
}
impl ToAttr for String {
    fn to_attr(self) -> AttributeValue {
        AttributeValue::S(self)
    }
}
impl ToAttr for &String {
    fn to_attr(self) -> AttributeValue {
        AttributeValue::S(self.clone())
    }
}
impl ToAttr for bool {
    fn to_attr(self) -> AttributeValue {
        AttributeValue::Bool(self)
    }
}
macro_rules! number_attr {
    ($($t:ty),*) => {$(
        impl ToAttr for $t {
            fn to_attr(self) -> AttributeValue {
                AttributeValue::N(self.to_string())
            }
        }
    )*};
}
number_attr!(u8, u16, u32, u64, i8, i16, i32, i64, usize, f32, f64);

/// A path to an attribute: a top-level name, map keys and list indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    Name(String),
    Index(usize),
}

/// The path to a top-level attribute.
pub fn attr(name: impl Into<String>) -> Path {
    Path(vec![Segment::Name(name.into())])
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// An operand: a path or `size(path)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// The attribute itself.
    Path(Path),
    /// `size(path)`.
    Size(Path),
}

/// A condition or filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a <op> :v`
    Compare(Operand, Op, AttributeValue),
    /// `a BETWEEN :lo AND :hi`
    Between(Operand, AttributeValue, AttributeValue),
    /// `a IN (:v0, :v1, ...)`
    In(Path, Vec<AttributeValue>),
    /// `begins_with(a, :v)`
    BeginsWith(Path, AttributeValue),
    /// `contains(a, :v)`
    Contains(Path, AttributeValue),
    /// `attribute_exists(a)`
    Exists(Path),
    /// `attribute_not_exists(a)`
    NotExists(Path),
    /// `attribute_type(a, :t)`
    AttributeType(Path, &'static str),
    /// Both hold.
    And(Box<Condition>, Box<Condition>),
    /// Either holds.
    Or(Box<Condition>, Box<Condition>),
    /// Does not hold.
    Not(Box<Condition>),
}

impl Path {
    /// A key of the map at this path.
    pub fn key(mut self, name: impl Into<String>) -> Self {
        self.0.push(Segment::Name(name.into()));
        self
    }

    /// An element of the list at this path.
    pub fn index(mut self, i: usize) -> Self {
        self.0.push(Segment::Index(i));
        self
    }

    /// True when this path is `prefix` or lies inside it.
    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// `size(path)`, to compare with a number.
    pub fn size(self) -> Operand {
        Operand::Size(self)
    }

    /// `path = v`
    pub fn eq(self, v: impl ToAttr) -> Condition {
        Condition::Compare(Operand::Path(self), Op::Eq, v.to_attr())
    }
    /// `path <> v`
    pub fn ne(self, v: impl ToAttr) -> Condition {
        Condition::Compare(Operand::Path(self), Op::Ne, v.to_attr())
    }
    /// `path < v`
    pub fn lt(self, v: impl ToAttr) -> Condition {
        Condition::Compare(Operand::Path(self), Op::Lt, v.to_attr())
    }
    /// `path <= v`
    pub fn le(self, v: impl ToAttr) -> Condition {
        Condition::Compare(Operand::Path(self), Op::Le, v.to_attr())
    }
    /// `path > v`
    pub fn gt(self, v: impl ToAttr) -> Condition {
        Condition::Compare(Operand::Path(self), Op::Gt, v.to_attr())
    }
    /// `path >= v`
    pub fn ge(self, v: impl ToAttr) -> Condition {
        Condition::Compare(Operand::Path(self), Op::Ge, v.to_attr())
    }
    /// `path BETWEEN lo AND hi`
    pub fn between(self, lo: impl ToAttr, hi: impl ToAttr) -> Condition {
        Condition::Between(Operand::Path(self), lo.to_attr(), hi.to_attr())
    }
    /// `path IN (values)`
    pub fn is_in<V: ToAttr>(self, values: impl IntoIterator<Item = V>) -> Condition {
        Condition::In(self, values.into_iter().map(ToAttr::to_attr).collect())
    }
    /// `begins_with(path, prefix)`
    pub fn begins_with(self, prefix: impl ToAttr) -> Condition {
        Condition::BeginsWith(self, prefix.to_attr())
    }
    /// `contains(path, v)`: a substring of a string, or an element of a set or list.
    pub fn contains(self, v: impl ToAttr) -> Condition {
        Condition::Contains(self, v.to_attr())
    }
    /// `attribute_exists(path)`
    pub fn exists(self) -> Condition {
        Condition::Exists(self)
    }
    /// `attribute_not_exists(path)`
    pub fn not_exists(self) -> Condition {
        Condition::NotExists(self)
    }
    /// `attribute_type(path, t)` with a DynamoDB type code (`S`, `N`, `B`, `SS`, `NS`, `BS`, `M`, `L`,
    /// `NULL`, `BOOL`).
    pub fn attribute_type(self, type_code: &'static str) -> Condition {
        Condition::AttributeType(self, type_code)
    }
}

impl Operand {
    /// `size(path) <op> n`
    pub fn compare(self, op: Op, n: impl ToAttr) -> Condition {
        Condition::Compare(self, op, n.to_attr())
    }
    /// `size(path) BETWEEN lo AND hi`
    pub fn between(self, lo: impl ToAttr, hi: impl ToAttr) -> Condition {
        Condition::Between(self, lo.to_attr(), hi.to_attr())
    }
}

impl Condition {
    /// Both conditions.
    pub fn and(self, other: Condition) -> Condition {
        Condition::And(Box::new(self), Box::new(other))
    }
    /// Either condition.
    pub fn or(self, other: Condition) -> Condition {
        Condition::Or(Box::new(self), Box::new(other))
    }
    /// The negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition {
        Condition::Not(Box::new(self))
    }
    /// All of the conditions (`None` when empty).
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Option<Condition> {
        conditions.into_iter().reduce(Condition::and)
    }
}

/// Collects the `#n` and `:v` placeholders of one request's expressions.
#[derive(Debug, Default, Clone)]
pub struct Placeholders {
    names: HashMap<String, String>,
    by_name: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Placeholders {
    /// Renders a condition, registering its names and values.
    pub fn render(&mut self, cond: &Condition) -> String {
        let mut out = String::new();
        self.write(cond, &mut out);
        out
    }

    /// The placeholder of an attribute name (one per distinct name).
    pub fn name(&mut self, name: &str) -> String {
        if let Some(ph) = self.by_name.get(name) {
            return ph.clone();
        }
        let ph = format!("#n{}", self.by_name.len());
        self.by_name.insert(name.to_owned(), ph.clone());
        self.names.insert(ph.clone(), name.to_owned());
        ph
    }

    /// The placeholder of a value (one per occurrence).
    pub fn value(&mut self, v: AttributeValue) -> String {
        let ph = format!(":v{}", self.values.len());
        self.values.insert(ph.clone(), v);
        ph
    }

    /// The rendered path, e.g. `#n0.#n1[2]`.
    pub fn path(&mut self, path: &Path) -> String {
        let mut out = String::new();
        for seg in &path.0 {
            match seg {
                Segment::Name(n) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&self.name(n));
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// `ExpressionAttributeNames`.
    pub fn names(&self) -> &HashMap<String, String> {
        &self.names
    }

    /// `ExpressionAttributeValues`.
    pub fn values(&self) -> &HashMap<String, AttributeValue> {
        &self.values
    }

    /// The names, or `None` when there are none (DynamoDB rejects an empty map).
    pub fn take_names(&mut self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| std::mem::take(&mut self.names))
    }

    /// The values, or `None` when there are none (DynamoDB rejects an empty map).
    pub fn take_values(&mut self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| std::mem::take(&mut self.values))
    }

    fn operand(&mut self, operand: &Operand) -> String {
        match operand {
            Operand::Path(p) => self.path(p),
            Operand::Size(p) => format!("size({})", self.path(p)),
        }
    }

    fn write(&mut self, cond: &Condition, out: &mut String) {
        match cond {
            Condition::Compare(a, op, v) => {
                let a = self.operand(a);
                let v = self.value(v.clone());
                out.push_str(&format!("{a} {} {v}", op.symbol()));
            }
            Condition::Between(a, lo, hi) => {
                let a = self.operand(a);
                let lo = self.value(lo.clone());
                let hi = self.value(hi.clone());
                out.push_str(&format!("{a} BETWEEN {lo} AND {hi}"));
            }
            Condition::In(p, values) => {
                let p = self.path(p);
                let list: Vec<String> = values.iter().map(|v| self.value(v.clone())).collect();
                out.push_str(&format!("{p} IN ({})", list.join(", ")));
            }
            Condition::BeginsWith(p, v) => {
                let p = self.path(p);
                let v = self.value(v.clone());
                out.push_str(&format!("begins_with({p}, {v})"));
            }
            Condition::Contains(p, v) => {
                let p = self.path(p);
                let v = self.value(v.clone());
                out.push_str(&format!("contains({p}, {v})"));
            }
            Condition::Exists(p) => {
                let p = self.path(p);
                out.push_str(&format!("attribute_exists({p})"));
            }
            Condition::NotExists(p) => {
                let p = self.path(p);
                out.push_str(&format!("attribute_not_exists({p})"));
            }
            Condition::AttributeType(p, t) => {
                let p = self.path(p);
                let v = self.value(AttributeValue::S((*t).to_owned()));
                out.push_str(&format!("attribute_type({p}, {v})"));
            }
            Condition::And(a, b) | Condition::Or(a, b) => {
                let op = if matches!(cond, Condition::And(..)) {
                    "AND"
                } else {
                    "OR"
                };
                out.push('(');
                self.write(a, out);
                out.push_str(&format!(") {op} ("));
                self.write(b, out);
                out.push(')');
            }
            Condition::Not(a) => {
                out.push_str("NOT (");
                self.write(a, out);
                out.push(')');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shared_and_values_are_not() {
        let cond = attr("version").eq(3u64).or(attr("version").not_exists());
        let mut ph = Placeholders::default();
        assert_eq!(
            ph.render(&cond),
            "(#n0 = :v0) OR (attribute_not_exists(#n0))"
        );
        assert_eq!(ph.names().len(), 1);
        assert_eq!(ph.values()[":v0"], AttributeValue::N("3".into()));
    }

    #[test]
    fn nested_paths_and_functions() {
        let cond = attr("address")
            .key("city")
            .begins_with("San")
            .and(attr("items").index(2).exists())
            .and(attr("tags").size().compare(Op::Le, 20))
            .and(attr("kind").is_in(["a", "b"]).not())
            .and(attr("n").between(1, 9))
            .and(attr("m").attribute_type("M"));
        let mut ph = Placeholders::default();
        let text = ph.render(&cond);
        assert_eq!(
            text,
            "(((((begins_with(#n0.#n1, :v0)) AND (attribute_exists(#n2[2]))) AND (size(#n3) <= :v1)) \
             AND (NOT (#n4 IN (:v2, :v3)))) AND (#n5 BETWEEN :v4 AND :v5)) AND (attribute_type(#n6, :v6))"
        );
        assert_eq!(ph.values().len(), 7);
    }

    #[test]
    fn input_never_reaches_the_expression_text() {
        let hostile = "x) OR attribute_exists(pk";
        let cond = attr(hostile).eq(hostile);
        let mut ph = Placeholders::default();
        let text = ph.render(&cond);
        assert!(!text.contains("attribute_exists"), "{text}");
        assert_eq!(ph.names()["#n0"], hostile);
    }
}
