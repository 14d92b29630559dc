# Layering check (cmake -P): the dependency direction of DESIGN.md, enforced on #include lines.
#   cmake -DROOT=<source tree> -P check_layering.cmake
# Checks include/bulwark/<layer>/ and src/<layer>/ (plus the layer umbrella header) against the
# headers each layer must not include. Prints every violation as file:line and fails.
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT)
    message(FATAL_ERROR "usage: cmake -DROOT=<dir> -P check_layering.cmake")
endif()

set(third_party_all "boost/" "spdlog/" "fmt/" "prometheus/" "openssl/" "catch2/" "benchmark/")
set(forbidden_core ${third_party_all} "bulwark/telemetry" "bulwark/asio" "bulwark/http")
# telemetry may use libcrypto (HMAC-SHA256 pseudonyms for the redactor), never TLS.
set(forbidden_telemetry "boost/" "openssl/ssl" "catch2/" "benchmark/" "bulwark/asio"
    "bulwark/http")
set(forbidden_asio "boost/beast" "spdlog/" "fmt/" "prometheus/" "openssl/" "boost/asio/ssl"
    "catch2/" "benchmark/" "bulwark/telemetry" "bulwark/http")
set(forbidden_http "catch2/" "benchmark/")
# redis: Asio and hiredis's reader; no HTTP, no logging or metrics libraries (hooks instead).
set(forbidden_redis "boost/beast" "spdlog/" "fmt/" "prometheus/" "catch2/" "benchmark/"
    "bulwark/telemetry" "bulwark/http")

set(violations 0)
set(checked 0)
foreach(layer IN ITEMS core telemetry asio http redis)
    file(GLOB_RECURSE files
        "${ROOT}/include/bulwark/${layer}/*.hpp" "${ROOT}/src/${layer}/*.cpp"
        "${ROOT}/src/${layer}/*.hpp")
    if(EXISTS "${ROOT}/include/bulwark/${layer}.hpp")
        list(APPEND files "${ROOT}/include/bulwark/${layer}.hpp")
    endif()
    if(layer STREQUAL "core" AND EXISTS "${ROOT}/include/bulwark/config.hpp")
        list(APPEND files "${ROOT}/include/bulwark/config.hpp")
    endif()
    foreach(file IN LISTS files)
        math(EXPR checked "${checked} + 1")
        file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include")
        foreach(line IN LISTS lines)
            foreach(prefix IN LISTS forbidden_${layer})
                string(FIND "${line}" "<${prefix}" at)
                if(at EQUAL -1)
                    string(FIND "${line}" "\"${prefix}" at)
                endif()
                if(NOT at EQUAL -1)
                    file(RELATIVE_PATH rel "${ROOT}" "${file}")
                    message("layering violation: ${rel}: layer '${layer}' must not include "
                            "${prefix}...: ${line}")
                    math(EXPR violations "${violations} + 1")
                endif()
            endforeach()
        endforeach()
    endforeach()
endforeach()

if(checked EQUAL 0)
    message(FATAL_ERROR "layering check found no files under ${ROOT}")
endif()
if(violations GREATER 0)
    message(FATAL_ERROR "${violations} layering violation(s)")
endif()
message(STATUS "layering: ${checked} files respect the layer rules")
