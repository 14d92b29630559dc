// Fixture for tooling.doc_snippets_detects_stale
int main() {
    //! [greet]
    return 0;
    //! [greet]
}
