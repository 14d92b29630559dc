# Helpers that give every bulwark target the same build settings.

# Warnings for bulwark's own code (libraries, tests, benchmarks, examples). Third-party headers
# come in as system includes, so -Werror never fires on Boost, spdlog or Catch2 internals.
function(bulwark_set_warnings target)
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        target_compile_options(${target} PRIVATE
            -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor
            -Woverloaded-virtual -Wcast-qual -Wformat=2 -Wimplicit-fallthrough)
        if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
            # GCC 12 reports Asio's awaitable frame allocator (aligned_alloc + sized class
            # operator delete) as mismatched once inlined at -O1 and above: a false positive in
            # every coroutine. ASan's alloc-dealloc-mismatch check covers the real bug class.
            target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
        endif()
        if(BULWARK_WARNINGS_AS_ERRORS)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
    elseif(MSVC)
        target_compile_options(${target} PRIVATE /W4 /permissive-)
        if(BULWARK_WARNINGS_AS_ERRORS)
            target_compile_options(${target} PRIVATE /WX)
        endif()
    endif()
endfunction()

# bulwark_add_layer(<layer> SOURCES ... [PUBLIC ...] [PRIVATE ...])
# Creates target bulwark_<layer>, exported and aliased as bulwark::<layer>, library file
# libbulwark_<layer>. Static or shared follows BUILD_SHARED_LIBS; symbols are hidden unless
# marked BULWARK_<LAYER>_API (include/bulwark/config.hpp).
function(bulwark_add_layer layer)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;PUBLIC;PRIVATE")
    set(target bulwark_${layer})
    string(TOUPPER "${layer}" layer_upper)
    add_library(${target} ${arg_SOURCES})
    add_library(bulwark::${layer} ALIAS ${target})
    target_compile_features(${target} PUBLIC cxx_std_20)
    target_include_directories(${target} PUBLIC
        "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
        "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>"
        "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
    target_compile_definitions(${target} PRIVATE BULWARK_${layer_upper}_BUILDING)
    if(BUILD_SHARED_LIBS)
        target_compile_definitions(${target} PUBLIC BULWARK_SHARED)
    endif()
    target_link_libraries(${target} PUBLIC ${arg_PUBLIC} PRIVATE ${arg_PRIVATE})
    set_target_properties(${target} PROPERTIES
        EXPORT_NAME ${layer}
        OUTPUT_NAME bulwark_${layer}
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON
        POSITION_INDEPENDENT_CODE ON
        VERSION ${PROJECT_VERSION}
        SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
    bulwark_set_warnings(${target})
endfunction()
