//! Mistakes the derive and the typed paths turn into compile errors: the cases in `tests/ui/`, each
//! with the expected compiler output next to it.

#[test]
fn compile_time_checks() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
