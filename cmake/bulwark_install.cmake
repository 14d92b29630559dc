# Install rules and the CMake package: find_package(bulwark 0.1 CONFIG REQUIRED
# [COMPONENTS core telemetry asio http redis]).
#
# One export set per layer, so a consumer that asks for `core` never needs Boost, spdlog or
# prometheus-cpp to be installed; bulwarkConfig.cmake loads the requested layers, their layer
# dependencies and their find_dependency() calls (generated from bulwark_dependencies.cmake).
include(CMakePackageConfigHelpers)

set(BULWARK_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/bulwark" CACHE STRING
    "Where bulwarkConfig.cmake is installed, relative to the prefix")

install(FILES
        include/bulwark/bulwark.hpp
        include/bulwark/config.hpp
        include/bulwark/core.hpp
        "${PROJECT_BINARY_DIR}/include/bulwark/version.hpp"
        "${PROJECT_BINARY_DIR}/include/bulwark/features.hpp"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/bulwark"
    COMPONENT bulwark_development)

foreach(layer IN LISTS BULWARK_LAYERS)
    install(DIRECTORY "include/bulwark/${layer}"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/bulwark"
        COMPONENT bulwark_development)
    if(NOT layer STREQUAL "core")
        install(FILES "include/bulwark/${layer}.hpp"
            DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/bulwark"
            COMPONENT bulwark_development)
    endif()

    install(TARGETS bulwark_${layer}
        EXPORT bulwark-${layer}-targets
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT bulwark_runtime
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT bulwark_runtime
            NAMELINK_COMPONENT bulwark_development
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT bulwark_development)
    install(EXPORT bulwark-${layer}-targets
        NAMESPACE bulwark::
        DESTINATION "${BULWARK_INSTALL_CMAKEDIR}"
        COMPONENT bulwark_development)

    # bulwark-<layer>-dependencies.cmake: find_dependency() for this layer's packages.
    set(content "# Generated from cmake/bulwark_dependencies.cmake.\n")
    bulwark_dependency_rows(${layer} rows)
    foreach(row IN LISTS rows)
        string(REPLACE "|" " " args "${row}")
        string(REPLACE "|" ";" arg_list "${row}")
        list(GET arg_list 0 package)
        if(EXISTS "${PROJECT_SOURCE_DIR}/cmake/Find${package}.cmake")
            # A package bulwark finds with its own module (hiredis: Debian ships no usable
            # CMake package): installed next to this file and used for this call only.
            install(FILES "${PROJECT_SOURCE_DIR}/cmake/Find${package}.cmake"
                DESTINATION "${BULWARK_INSTALL_CMAKEDIR}"
                COMPONENT bulwark_development)
            # find_package, not find_dependency: that macro return()s on failure, which
            # would leave the consumer's CMAKE_MODULE_PATH changed.
            string(APPEND content
                "set(_bulwark_module_path \"\${CMAKE_MODULE_PATH}\")\n"
                "list(PREPEND CMAKE_MODULE_PATH \"\${CMAKE_CURRENT_LIST_DIR}\")\n"
                "find_package(${args} QUIET)\n"
                "set(CMAKE_MODULE_PATH \"\${_bulwark_module_path}\")\n"
                "unset(_bulwark_module_path)\n"
                "if(NOT ${package}_FOUND)\n"
                "    set(bulwark_FOUND FALSE)\n"
                "    set(bulwark_NOT_FOUND_MESSAGE \"bulwark: layer ${layer} needs ${args}\")\n"
                "    return()\n"
                "endif()\n")
        else()
            string(APPEND content "find_dependency(${args})\n")
        endif()
    endforeach()
    file(GENERATE OUTPUT "${PROJECT_BINARY_DIR}/bulwark-${layer}-dependencies.cmake"
        CONTENT "${content}")
    install(FILES "${PROJECT_BINARY_DIR}/bulwark-${layer}-dependencies.cmake"
        DESTINATION "${BULWARK_INSTALL_CMAKEDIR}"
        COMPONENT bulwark_development)
endforeach()

# Layer edges for the config file, as "layer:dep1,dep2" entries.
set(BULWARK_LAYER_EDGES "")
foreach(layer IN LISTS BULWARK_LAYERS)
    string(REPLACE ";" "," deps "${BULWARK_LAYER_DEPENDS_${layer}}")
    list(APPEND BULWARK_LAYER_EDGES "${layer}:${deps}")
endforeach()

configure_package_config_file(cmake/bulwarkConfig.cmake.in
    "${PROJECT_BINARY_DIR}/bulwarkConfig.cmake"
    INSTALL_DESTINATION "${BULWARK_INSTALL_CMAKEDIR}"
    NO_SET_AND_CHECK_MACRO)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/bulwarkConfigVersion.cmake"
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMajorVersion)
install(FILES
        "${PROJECT_BINARY_DIR}/bulwarkConfig.cmake"
        "${PROJECT_BINARY_DIR}/bulwarkConfigVersion.cmake"
    DESTINATION "${BULWARK_INSTALL_CMAKEDIR}"
    COMPONENT bulwark_development)

install(FILES LICENSE DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/bulwark"
    COMPONENT bulwark_development)
