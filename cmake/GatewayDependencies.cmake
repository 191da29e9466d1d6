# Finds every system dependency once, from Debian packages (see ../shared/reference/build-notes.md).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv>=1.44)
# nghttp2: the HTTP/2 framing of the in-loop Events stream (core/src/plugin/h2_event_stream.cc).
pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2>=1.52)
find_package(Protobuf REQUIRED)           # module mode: Debian ships no protobuf-config.cmake
find_package(gRPC CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
if(GANTRY_BUILD_TESTS)
  find_package(Catch2 2 CONFIG REQUIRED)
  include(Catch)
endif()

# llhttp: prefer a system CMake package; otherwise build Debian's node-llhttp sources
# (third_party_build/CMakeLists.txt) into a static library named llhttp::llhttp.
find_package(llhttp CONFIG QUIET)
