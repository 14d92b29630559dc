# clang-format check (cmake -P): every C++ file of the project is formatted per .clang-format.
#   cmake -DROOT=<source tree> -DCLANG_FORMAT=<clang-format> -P check_format.cmake
# The style is pinned to clang-format 14 (Debian 12); other versions format differently, so the
# check reports itself skipped with them rather than failing on a version difference.
cmake_minimum_required(VERSION 3.25)
if(NOT CLANG_FORMAT OR NOT EXISTS "${CLANG_FORMAT}")
    message("SKIPPED: clang-format 14 not found (scripts/setup installs it)")
    return()
endif()
execute_process(COMMAND "${CLANG_FORMAT}" --version OUTPUT_VARIABLE version)
if(NOT version MATCHES "version 14\\.")
    message("SKIPPED: clang-format 14 required, found: ${version}")
    return()
endif()
file(GLOB_RECURSE files
    "${ROOT}/include/*.hpp" "${ROOT}/src/*.cpp" "${ROOT}/src/*.hpp"
    "${ROOT}/tests/*.cpp" "${ROOT}/tests/*.hpp" "${ROOT}/benchmarks/*.cpp"
    "${ROOT}/examples/*.cpp" "${ROOT}/examples/*.hpp" "${ROOT}/tools/*.cpp")
list(FILTER files EXCLUDE REGEX "/tests/tooling/data/")
execute_process(COMMAND "${CLANG_FORMAT}" --style=file --dry-run --Werror ${files}
    RESULT_VARIABLE result ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
    message("${errors}")
    message(FATAL_ERROR "clang-format: files above need formatting (run scripts/format)")
endif()
list(LENGTH files count)
message(STATUS "clang-format: ${count} files clean")
