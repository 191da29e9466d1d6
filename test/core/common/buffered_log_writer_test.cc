#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/buffered_log_writer.h"
#include "core/common/temp_dir.h"

using namespace std::chrono_literals;

namespace gateway::common {
namespace {

TEST_CASE("BufferedLogWriter writes every line from many threads", "[common][accesslog]") {
  test::TempDir dir;
  std::string path = dir.file("access.log");
  {
    auto writer = BufferedLogWriter::open(path);
    REQUIRE(writer.isOk());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 1000; ++i) {
          writer.value()->write("{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) +
                                "}");
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
  }  // The destructor flushes.
  std::string content = test::readFile(path);
  size_t lines = 0;
  for (char c : content) {
    lines += c == '\n' ? 1 : 0;
  }
  CHECK(lines == 4000);
  CHECK(content.find("{\"t\":3,\"i\":999}\n") != std::string::npos);
}

TEST_CASE("BufferedLogWriter flushes on its interval without an explicit flush",
          "[common][accesslog]") {
  test::TempDir dir;
  std::string path = dir.file("access.log");
  BufferedLogWriter::Options options;
  options.flushInterval = 20ms;
  auto writer = BufferedLogWriter::open(path, options);
  REQUIRE(writer.isOk());
  writer.value()->write("one\n");
  std::string content;
  for (int i = 0; i < 100 && content.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
    content = test::readFile(path);
  }
  CHECK(content == "one\n");
  writer.value()->write("two");
  writer.value()->flush();
  CHECK(test::readFile(path) == "one\ntwo\n");
}

TEST_CASE("BufferedLogWriter drops lines beyond its buffer cap and counts them",
          "[common][accesslog]") {
  test::TempDir dir;
  BufferedLogWriter::Options options;
  options.flushInterval = 10s;
  options.flushBytes = 1 << 30;  // Never by size: the buffer only grows.
  options.maxBufferBytes = 100;
  auto writer = BufferedLogWriter::open(dir.file("access.log"), options);
  REQUIRE(writer.isOk());
  for (int i = 0; i < 20; ++i) {
    writer.value()->write(std::string(9, 'x'));
  }
  CHECK(writer.value()->droppedLines() == 10);
}

TEST_CASE("BufferedLogWriter reports a file it cannot open", "[common][accesslog]") {
  auto writer = BufferedLogWriter::open("/nonexistent-dir/access.log");
  CHECK_FALSE(writer.isOk());
}

} // namespace
} // namespace gateway::common
