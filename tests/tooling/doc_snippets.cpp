// bulwark-doc-snippets: keeps the code in docs/ identical to compiled code.
//
//   bulwark-doc-snippets <root> [--update]
//
// In README.md and docs/**/*.md, a block introduced by
//     <!-- snippet: examples/server/main.cpp#routes -->
//     ```cpp
//     ...
//     ```
// must equal the lines between the two `//! [routes]` markers of that file (`#! [routes]` in
// CMake and shell files; paths relative to <root>, common indentation removed). Without --update,
// every difference is reported as file:line and the exit status is 1; with --update the blocks are
// rewritten from the sources.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const fs::path& path) {
    std::ifstream in{path};
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// The snippet `name` of `source`, dedented; nullopt when the markers are missing.
std::optional<std::vector<std::string>> extract(const fs::path& source, const std::string& name) {
    const auto lines = read_lines(source);
    const std::string marker = "//! [" + name + "]";
    const std::string hash_marker = "#! [" + name + "]";
    std::vector<std::string> body;
    bool inside = false;
    for (const auto& line : lines) {
        if (trim(line) == marker || trim(line) == hash_marker) {
            if (inside) {
                std::size_t indent = std::string::npos;
                for (const auto& l : body) {
                    if (!trim(l).empty()) {
                        indent = std::min(indent, l.find_first_not_of(" \t"));
                    }
                }
                for (auto& l : body) {
                    l = trim(l).empty() ? std::string{} : l.substr(indent);
                }
                return body;
            }
            inside = true;
            continue;
        }
        if (inside) {
            body.push_back(line);
        }
    }
    return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3 || (argc == 3 && std::string{argv[2]} != "--update")) {
        std::cerr << "usage: bulwark-doc-snippets <root> [--update]\n";
        return 2;
    }
    const fs::path root = argv[1];
    const bool update = argc == 3;

    std::vector<fs::path> docs;
    if (fs::exists(root / "README.md")) {
        docs.push_back(root / "README.md");
    }
    if (fs::exists(root / "docs")) {
        for (const auto& entry : fs::recursive_directory_iterator(root / "docs")) {
            if (entry.is_regular_file() && entry.path().extension() == ".md") {
                docs.push_back(entry.path());
            }
        }
    }
    std::sort(docs.begin(), docs.end());

    const std::string prefix = "<!-- snippet: ";
    int problems = 0;
    int checked = 0;
    for (const auto& doc : docs) {
        const auto lines = read_lines(doc);
        const auto rel = fs::relative(doc, root).generic_string();
        std::vector<std::string> out;
        bool changed = false;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            out.push_back(lines[i]);
            const auto t = trim(lines[i]);
            if (t.rfind(prefix, 0) != 0 || t.size() < prefix.size() + 4 ||
                t.substr(t.size() - 4) != " -->") {
                continue;
            }
            const auto ref = t.substr(prefix.size(), t.size() - prefix.size() - 4);
            const auto hash = ref.find('#');
            const auto where = rel + ":" + std::to_string(i + 1) + ": snippet " + ref;
            if (hash == std::string::npos || i + 1 >= lines.size() ||
                trim(lines[i + 1]).rfind("```", 0) != 0) {
                std::cout << where << ": expected <path>#<name> followed by a ``` block\n";
                ++problems;
                continue;
            }
            std::size_t close = i + 2;
            while (close < lines.size() && trim(lines[close]) != "```") {
                ++close;
            }
            if (close >= lines.size()) {
                std::cout << where << ": code block is not closed\n";
                ++problems;
                continue;
            }
            const std::vector<std::string> current(lines.begin() + static_cast<long>(i) + 2,
                                                   lines.begin() + static_cast<long>(close));
            const auto file = ref.substr(0, hash);
            const auto name = ref.substr(hash + 1);
            ++checked;
            const auto snippet =
                fs::exists(root / file) ? extract(root / file, name) : std::nullopt;
            if (!snippet) {
                std::cout << where << " not found in " << file << "\n";
                ++problems;
            } else if (*snippet != current) {
                if (update) {
                    changed = true;
                } else {
                    std::cout << where << " differs from the source\n";
                    ++problems;
                }
            }
            out.push_back(lines[i + 1]);
            const auto& body = snippet && update ? *snippet : current;
            out.insert(out.end(), body.begin(), body.end());
            out.push_back(lines[close]);
            i = close;
        }
        if (changed) {
            std::ofstream f{doc, std::ios::trunc};
            for (const auto& l : out) {
                f << l << '\n';
            }
            std::cout << "updated " << rel << "\n";
        }
    }
    if (problems > 0) {
        std::cout << problems << " snippet problem(s); run scripts/update-docs to refresh\n";
        return 1;
    }
    std::cout << checked << " doc snippets match their sources\n";
    return 0;
}
