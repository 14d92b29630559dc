# Driver of one consumer test (cmake -P); see tests/consumer/CMakeLists.txt.
cmake_minimum_required(VERSION 3.25)

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        string(REPLACE ";" " " cmd "${ARGN}")
        message(FATAL_ERROR "consumer test: command failed (${rc}): ${cmd}")
    endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(common
    -G "${GENERATOR}"
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)

if(MODE STREQUAL "find_package")
    run(${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${WORK_DIR}/prefix")
    run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer/project" -B "${WORK_DIR}/build"
        ${common} -DBULWARK_CONSUMER_MODE=find_package
        "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
elseif(MODE STREQUAL "add_subdirectory")
    run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer/project" -B "${WORK_DIR}/build"
        ${common} -DBULWARK_CONSUMER_MODE=add_subdirectory
        "-DBULWARK_SOURCE_DIR=${SOURCE_DIR}" -DBUILD_SHARED_LIBS=ON)
else()
    message(FATAL_ERROR "MODE must be find_package or add_subdirectory")
endif()

run(${CMAKE_COMMAND} --build "${WORK_DIR}/build" --parallel ${jobs})
run("${WORK_DIR}/build/bulwark-consumer")
run("${WORK_DIR}/build/core_only/bulwark-consumer-core")

if(MODE STREQUAL "add_subdirectory")
    file(GLOB shared "${WORK_DIR}/build/bulwark/src/libbulwark_core.so*")
    if(NOT shared)
        message(FATAL_ERROR "consumer test: BUILD_SHARED_LIBS=ON did not produce libbulwark_core.so")
    endif()
endif()
message(STATUS "consumer test (${MODE}): passed")
