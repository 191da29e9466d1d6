#include "plugin/wire_writer.h"

#include <google/protobuf/io/coded_stream.h>

namespace gateway::plugin::wire {

using google::protobuf::io::CodedOutputStream;

void Writer::longVarint(uint64_t v) {
  char buf[10];
  out_.append(buf, CodedOutputStream::WriteVarint64ToArray(v, reinterpret_cast<uint8_t*>(buf)) -
                       reinterpret_cast<uint8_t*>(buf));
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
  const size_t need = CodedOutputStream::VarintSize64(length);
  const size_t lengthAt = mark.bodyStart - mark.reserved;
  if (need > mark.reserved) {
    out_.insert(mark.bodyStart, need - mark.reserved, '\0');
  } else if (need < mark.reserved) {
    out_.erase(lengthAt + need, mark.reserved - need);
  }
  CodedOutputStream::WriteVarint64ToArray(length,
                                          reinterpret_cast<uint8_t*>(out_.data() + lengthAt));
}

} // namespace gateway::plugin::wire
