# The one table of bulwark's third-party dependencies, per layer.
#
# Everything that names a dependency is derived from or checked against this table:
#   - the find_package() calls of the build (bulwark_find_dependencies below),
#   - the find_dependency() calls of the installed package (bulwark_install.cmake),
#   - the vcpkg port and the Conan recipe (tests/tooling/check_packaging.cmake fails when
#     ports/bulwark/vcpkg.json or conanfile.py disagree with a row).
#
# Row format: "layer|find_package arguments|vcpkg ports|conan requirements"
#   vcpkg ports:        comma-separated "name>=version" (version may be empty: "name>=")
#   conan requirements: comma-separated references as written in conanfile.py
# Layer-to-layer edges live in BULWARK_LAYER_DEPENDS_<layer>.
set(BULWARK_DEPENDENCY_TABLE
    "core|Threads||"
    "telemetry|fmt 9.1 CONFIG|fmt>=9.1.0|fmt/[>=9.1 <11]"
    "telemetry|spdlog 1.10 CONFIG|spdlog>=1.10.0|spdlog/[>=1.10 <2]"
    # prometheus-cpp ships no CMake version file, so the minimum (1.0) is enforced by the
    # package managers only.
    "telemetry|prometheus-cpp CONFIG|prometheus-cpp>=1.0.1|prometheus-cpp/[>=1.0.1 <2]"
    # libcrypto: HMAC-SHA256 for the redactor's pseudonymize mode (telemetry/log/hmac_sha256).
    "telemetry|OpenSSL 3.0|openssl>=3.0.0|openssl/[>=3.0 <4]"
    "asio|Boost 1.81 CONFIG|boost-asio>=1.81.0,boost-system>=1.81.0|boost/[>=1.81 <2]"
    "http|Boost 1.81 CONFIG|boost-beast>=1.81.0|boost/[>=1.81 <2]"
    "http|OpenSSL 3.0|openssl>=3.0.0|openssl/[>=3.0 <4]"
    # The RESP protocol reader only (redis/connection.cpp); cmake/Findhiredis.cmake.
    "redis|hiredis 0.14|hiredis>=0.14.1|hiredis/[>=0.14.1 <2]"
    "redis|OpenSSL 3.0|openssl>=3.0.0|openssl/[>=3.0 <4]"
)

set(BULWARK_LAYER_DEPENDS_core "")
set(BULWARK_LAYER_DEPENDS_telemetry core)
set(BULWARK_LAYER_DEPENDS_asio core)
set(BULWARK_LAYER_DEPENDS_http core telemetry asio)
set(BULWARK_LAYER_DEPENDS_redis core asio)

# bulwark_dependency_rows(<layer> <out-var>): the find_package argument lists of one layer,
# as a list of "|"-joined strings (split with string(REPLACE "|" ";")).
function(bulwark_dependency_rows layer out)
    set(rows "")
    foreach(row IN LISTS BULWARK_DEPENDENCY_TABLE)
        string(REPLACE "|" ";" fields "${row}")
        list(GET fields 0 row_layer)
        if(row_layer STREQUAL layer)
            list(GET fields 1 args)
            string(REPLACE " " "|" args "${args}")
            list(APPEND rows "${args}")
        endif()
    endforeach()
    set(${out} "${rows}" PARENT_SCOPE)
endfunction()

# find_package() every dependency of the given layers (REQUIRED: a missing package is an
# error that names it, not a silently smaller build).
macro(bulwark_find_dependencies layers)
    foreach(_bulwark_layer IN ITEMS ${layers})
        bulwark_dependency_rows(${_bulwark_layer} _bulwark_rows)
        foreach(_bulwark_row IN LISTS _bulwark_rows)
            string(REPLACE "|" ";" _bulwark_args "${_bulwark_row}")
            find_package(${_bulwark_args} REQUIRED)
        endforeach()
    endforeach()
endmacro()
