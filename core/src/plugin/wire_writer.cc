#include "plugin/wire_writer.h"

#include <cstring>

namespace gateway::plugin::wire {

size_t varintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

namespace {

// Writes v's varint at p (varintSize(v) bytes).
void putVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p = static_cast<char>(v);
}

} // namespace

void Writer::longVarint(uint64_t v) {
  char buf[10];
  const size_t n = varintSize(v);
  putVarint(buf, v);
  out_.append(buf, n);
}

void Writer::bytesFieldAlways(uint32_t field, std::string_view v) {
  tag(field, kLen);
  varint(v.size());
  out_.append(v.data(), v.size());
}

Writer::Mark Writer::begin(uint32_t field, size_t lengthGuess) {
  tag(field, kLen);
  out_.append(lengthGuess, '\0');
  return Mark{out_.size(), lengthGuess};
}

void Writer::end(Mark mark) {
  const size_t length = out_.size() - mark.bodyStart;
  const size_t need = varintSize(length);
  const size_t lengthAt = mark.bodyStart - mark.reserved;
  if (need > mark.reserved) {
    out_.insert(mark.bodyStart, need - mark.reserved, '\0');
  } else if (need < mark.reserved) {
    out_.erase(lengthAt + need, mark.reserved - need);
  }
  putVarint(out_.data() + lengthAt, length);
}

} // namespace gateway::plugin::wire
