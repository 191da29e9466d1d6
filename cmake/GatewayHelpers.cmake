# Helpers that keep each directory's CMakeLists.txt short.
#
# gw_add_library(name SOURCES a.cc b.cc [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
#   A static library whose public headers live under core/include (added PUBLIC).
#
# gw_add_test(name SOURCES a_test.cc [LIBRARIES ...])
#   A Catch2 unit test linked with Catch2::Catch2WithMain; each TEST_CASE becomes a ctest test.
#
# gw_add_integration_test(name COMMAND ... [TIMEOUT seconds])
#   A ctest test that runs a command (integration tests start the real gantry binary).

set(GW_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)

function(gw_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/core/include ${PROJECT_SOURCE_DIR}/core/src)
  target_compile_options(${name} PRIVATE ${GW_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
endfunction()

function(gw_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${GW_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/core/include ${PROJECT_SOURCE_DIR}/core/src
                             ${PROJECT_SOURCE_DIR}/test)
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} Catch2::Catch2WithMain)
  catch_discover_tests(${name} TEST_PREFIX "${name}: " PROPERTIES LABELS unit)
endfunction()

function(gw_add_integration_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "COMMAND" ${ARGN})
  add_test(NAME ${name} COMMAND ${ARG_COMMAND})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS integration)
endfunction()
