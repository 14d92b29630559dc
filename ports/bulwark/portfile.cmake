# vcpkg overlay port that builds the bulwark checkout it lives in:
#
#   vcpkg install bulwark[telemetry,asio,http,redis] --overlay-ports=<bulwark checkout>/ports
#
# or, in a manifest project, add "bulwark" to vcpkg.json and pass the same --overlay-ports
# (or list the folder in vcpkg-configuration.json "overlay-ports").
# Features map one-to-one to bulwark's CMake layer options; core is always built.
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    FEATURES
        telemetry BULWARK_WITH_TELEMETRY
        asio      BULWARK_WITH_ASIO
        http      BULWARK_WITH_HTTP
        redis     BULWARK_WITH_REDIS
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        ${FEATURE_OPTIONS}
        -DBULWARK_BUILD_TESTS=OFF
        -DBULWARK_BUILD_BENCHMARKS=OFF
        -DBULWARK_BUILD_EXAMPLES=OFF
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/bulwark)

file(REMOVE_RECURSE
    "${CURRENT_PACKAGES_DIR}/debug/include"
    "${CURRENT_PACKAGES_DIR}/debug/share"
    "${CURRENT_PACKAGES_DIR}/share/doc")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
