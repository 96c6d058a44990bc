//! Field transforms applied before save (`#[dynamodel(trim, lowercase, uppercase)]`).

/// Text that transforms apply to: a `String`, an optional one, or each string of a list.
pub trait Text {
    /// Applies `f` to every string held.
    fn each(&mut self, f: impl FnMut(&mut String));
}

impl Text for String {
    fn each(&mut self, mut f: impl FnMut(&mut String)) {
        f(self)
    }
}

impl Text for Option<String> {
    fn each(&mut self, f: impl FnMut(&mut String)) {
        if let Some(s) = self {
            s.each(f)
        }
    }
}

impl Text for Vec<String> {
    fn each(&mut self, mut f: impl FnMut(&mut String)) {
        self.iter_mut().for_each(&mut f)
    }
}

/// Removes leading and trailing white space, without reallocating when there is none.
pub fn trim(s: &mut String) {
    let trimmed = s.trim();
    if trimmed.len() != s.len() {
        *s = trimmed.to_owned();
    }
}

/// Lowercases (Unicode-aware), without reallocating when already lowercase.
pub fn lowercase(s: &mut String) {
    if s.chars().any(char::is_uppercase) {
        *s = s.to_lowercase();
    }
}

/// Uppercases (Unicode-aware), without reallocating when already uppercase.
pub fn uppercase(s: &mut String) {
    if s.chars().any(char::is_lowercase) {
        *s = s.to_uppercase();
    }
}
