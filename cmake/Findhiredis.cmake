# Findhiredis: hiredis as the imported target hiredis::hiredis.
#
# hiredis >= 1.0 installs a CMake package that defines hiredis::hiredis; it is used when
# present (vcpkg, Conan, newer distributions). Debian 12's libhiredis-dev (0.14) ships only
# variables under another package name, so otherwise the header and library are found here.
# bulwark uses hiredis's protocol reader only; its I/O is Asio's.
find_package(hiredis ${hiredis_FIND_VERSION} CONFIG QUIET)
if(hiredis_FOUND AND TARGET hiredis::hiredis)
    return()
endif()

find_path(HIREDIS_INCLUDE_DIR hiredis/hiredis.h)
find_library(HIREDIS_LIBRARY NAMES hiredis)
if(HIREDIS_INCLUDE_DIR AND EXISTS "${HIREDIS_INCLUDE_DIR}/hiredis/hiredis.h")
    file(STRINGS "${HIREDIS_INCLUDE_DIR}/hiredis/hiredis.h" _hiredis_version_lines
         REGEX "^#define HIREDIS_(MAJOR|MINOR|PATCH) [0-9]+")
    foreach(_part MAJOR MINOR PATCH)
        string(REGEX REPLACE ".*#define HIREDIS_${_part} ([0-9]+).*" "\\1" _hiredis_${_part}
                             "${_hiredis_version_lines}")
    endforeach()
    set(hiredis_VERSION "${_hiredis_MAJOR}.${_hiredis_MINOR}.${_hiredis_PATCH}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(hiredis
    REQUIRED_VARS HIREDIS_LIBRARY HIREDIS_INCLUDE_DIR
    VERSION_VAR hiredis_VERSION)

if(hiredis_FOUND AND NOT TARGET hiredis::hiredis)
    add_library(hiredis::hiredis UNKNOWN IMPORTED)
    set_target_properties(hiredis::hiredis PROPERTIES
        IMPORTED_LOCATION "${HIREDIS_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${HIREDIS_INCLUDE_DIR}")
endif()
mark_as_advanced(HIREDIS_INCLUDE_DIR HIREDIS_LIBRARY)
