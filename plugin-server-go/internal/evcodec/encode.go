package evcodec

// Encoding gateway.plugin.v1.ReplyBatch (every message the server sends on Events) without
// protobuf-go's reflection. The bytes are exactly proto.Marshal's (fields in number order, proto3
// zero values omitted, oneof members always written, unknown fields last), and a string field
// with invalid UTF-8 is an error as in protobuf-go. Rare sub-messages (Fetch, PluginError, Exit,
// Target, Authenticate) are encoded by protobuf-go. encode_test.go compares with proto.Marshal.

import (
	"unicode/utf8"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// SizeReplyBatch is the encoded size of m.
func SizeReplyBatch(m *pb.ReplyBatch) int {
	n := 0
	for _, r := range m.Replies {
		n += sizeMsg(1, sizeReply(r))
	}
	return n + len(m.ProtoReflect().GetUnknown())
}

// AppendReplyBatch appends m's encoding to b.
func AppendReplyBatch(b []byte, m *pb.ReplyBatch) ([]byte, error) {
	var err error
	for _, r := range m.Replies {
		b = appendTagLen(b, 1, sizeReply(r))
		if b, err = appendReply(b, r); err != nil {
			return b, err
		}
	}
	return append(b, m.ProtoReflect().GetUnknown()...), nil
}

// sizeMsg: a length-delimited field of field number num (< 16) and n bytes.
func sizeMsg(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeVarint(uint64(n)) + n
}

func appendTagLen(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func sizeVarintField(num protowire.Number, v uint64) int {
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

// appendString appends a string field (always: zero-value omission is the caller's business),
// failing on invalid UTF-8 as protobuf-go does.
func appendString(b []byte, num protowire.Number, s string) ([]byte, error) {
	b = appendTagLen(b, num, len(s))
	b = append(b, s...)
	if !utf8.ValidString(s) {
		return b, errInvalidUTF8
	}
	return b, nil
}

func unknownOf(m protoreflect.ProtoMessage) []byte { return m.ProtoReflect().GetUnknown() }

func sizeReply(r *pb.Reply) int {
	if r == nil {
		return 0
	}
	n := 0
	if r.RequestId != 0 {
		n += sizeVarintField(1, r.RequestId)
	}
	if r.Seq != 0 {
		n += sizeVarintField(2, uint64(r.Seq))
	}
	switch k := r.Kind.(type) {
	case *pb.Reply_Result:
		n += sizeMsg(3, sizeResult(k.Result))
	case *pb.Reply_Fetch:
		n += sizeMsg(4, sizeOther(k.Fetch))
	}
	return n + len(unknownOf(r))
}

func appendReply(b []byte, r *pb.Reply) ([]byte, error) {
	if r == nil {
		return b, nil
	}
	if r.RequestId != 0 {
		b = appendVarintField(b, 1, r.RequestId)
	}
	if r.Seq != 0 {
		b = appendVarintField(b, 2, uint64(r.Seq))
	}
	var err error
	switch k := r.Kind.(type) {
	case *pb.Reply_Result:
		b = appendTagLen(b, 3, sizeResult(k.Result))
		b, err = appendResult(b, k.Result)
	case *pb.Reply_Fetch:
		b = appendTagLen(b, 4, sizeOther(k.Fetch))
		b, err = appendOther(b, k.Fetch)
	}
	if err != nil {
		return b, err
	}
	return append(b, unknownOf(r)...), nil
}

// sizeOther / appendOther: a message encoded by protobuf-go (nil encodes as empty).
func sizeOther[M interface {
	comparable
	proto.Message
}](m M) int {
	var zero M
	if m == zero {
		return 0
	}
	return proto.Size(m)
}

func appendOther[M interface {
	comparable
	proto.Message
}](b []byte, m M) ([]byte, error) {
	var zero M
	if m == zero {
		return b, nil
	}
	return proto.MarshalOptions{}.MarshalAppend(b, m)
}

func sizeResult(r *pb.PhaseResult) int {
	if r == nil {
		return 0
	}
	n := 0
	for _, m := range r.Mutations {
		n += sizeMsg(1, sizeMutation(m))
	}
	if r.Completed != 0 {
		n += sizeVarintField(2, uint64(r.Completed))
	}
	if r.Error != nil {
		n += sizeMsg(3, proto.Size(r.Error))
	}
	return n + len(unknownOf(r))
}

func appendResult(b []byte, r *pb.PhaseResult) ([]byte, error) {
	if r == nil {
		return b, nil
	}
	var err error
	for _, m := range r.Mutations {
		b = appendTagLen(b, 1, sizeMutation(m))
		if b, err = appendMutation(b, m); err != nil {
			return b, err
		}
	}
	if r.Completed != 0 {
		b = appendVarintField(b, 2, uint64(r.Completed))
	}
	if r.Error != nil {
		b = appendTagLen(b, 3, proto.Size(r.Error))
		if b, err = (proto.MarshalOptions{}).MarshalAppend(b, r.Error); err != nil {
			return b, err
		}
	}
	return append(b, unknownOf(r)...), nil
}

func sizeMutation(m *pb.Mutation) int {
	if m == nil {
		return 0
	}
	n := 0
	if m.InstanceId != 0 {
		n += sizeVarintField(1, m.InstanceId)
	}
	switch op := m.Op.(type) {
	case *pb.Mutation_RequestHeader:
		n += sizeMsg(2, sizeHeaderMutation(op.RequestHeader))
	case *pb.Mutation_RequestPath:
		n += sizeMsg(3, len(op.RequestPath))
	case *pb.Mutation_RequestRawQuery:
		n += sizeMsg(4, len(op.RequestRawQuery))
	case *pb.Mutation_RequestMethod:
		n += sizeMsg(5, len(op.RequestMethod))
	case *pb.Mutation_RequestScheme:
		n += sizeMsg(6, len(op.RequestScheme))
	case *pb.Mutation_RequestBody:
		n += sizeMsg(7, len(op.RequestBody))
	case *pb.Mutation_Target:
		n += sizeMsg(8, sizeOther(op.Target))
	case *pb.Mutation_Upstream:
		n += sizeMsg(9, len(op.Upstream))
	case *pb.Mutation_ResponseHeader:
		n += sizeMsg(10, sizeHeaderMutation(op.ResponseHeader))
	case *pb.Mutation_ResponseStatus:
		n += sizeVarintField(11, uint64(int64(op.ResponseStatus)))
	case *pb.Mutation_ResponseBody:
		n += sizeMsg(12, len(op.ResponseBody))
	case *pb.Mutation_Shared:
		n += sizeMsg(13, sizeShared(op.Shared))
	case *pb.Mutation_Exit:
		n += sizeMsg(14, sizeOther(op.Exit))
	case *pb.Mutation_Log:
		n += sizeMsg(15, sizeLogLine(op.Log))
	case *pb.Mutation_Authenticate:
		n += sizeMsg(16, sizeOther(op.Authenticate))
	}
	return n + len(unknownOf(m))
}

func appendMutation(b []byte, m *pb.Mutation) ([]byte, error) {
	if m == nil {
		return b, nil
	}
	if m.InstanceId != 0 {
		b = appendVarintField(b, 1, m.InstanceId)
	}
	var err error
	switch op := m.Op.(type) {
	case *pb.Mutation_RequestHeader:
		b = appendTagLen(b, 2, sizeHeaderMutation(op.RequestHeader))
		b, err = appendHeaderMutation(b, op.RequestHeader)
	case *pb.Mutation_RequestPath:
		b, err = appendString(b, 3, op.RequestPath)
	case *pb.Mutation_RequestRawQuery:
		b, err = appendString(b, 4, op.RequestRawQuery)
	case *pb.Mutation_RequestMethod:
		b, err = appendString(b, 5, op.RequestMethod)
	case *pb.Mutation_RequestScheme:
		b, err = appendString(b, 6, op.RequestScheme)
	case *pb.Mutation_RequestBody:
		b = appendTagLen(b, 7, len(op.RequestBody))
		b = append(b, op.RequestBody...)
	case *pb.Mutation_Target:
		b = appendTagLen(b, 8, sizeOther(op.Target))
		b, err = appendOther(b, op.Target)
	case *pb.Mutation_Upstream:
		b, err = appendString(b, 9, op.Upstream)
	case *pb.Mutation_ResponseHeader:
		b = appendTagLen(b, 10, sizeHeaderMutation(op.ResponseHeader))
		b, err = appendHeaderMutation(b, op.ResponseHeader)
	case *pb.Mutation_ResponseStatus:
		b = appendVarintField(b, 11, uint64(int64(op.ResponseStatus)))
	case *pb.Mutation_ResponseBody:
		b = appendTagLen(b, 12, len(op.ResponseBody))
		b = append(b, op.ResponseBody...)
	case *pb.Mutation_Shared:
		b = appendTagLen(b, 13, sizeShared(op.Shared))
		b, err = appendShared(b, op.Shared)
	case *pb.Mutation_Exit:
		b = appendTagLen(b, 14, sizeOther(op.Exit))
		b, err = appendOther(b, op.Exit)
	case *pb.Mutation_Log:
		b = appendTagLen(b, 15, sizeLogLine(op.Log))
		b, err = appendLogLine(b, op.Log)
	case *pb.Mutation_Authenticate:
		b = appendTagLen(b, 16, sizeOther(op.Authenticate))
		b, err = appendOther(b, op.Authenticate)
	}
	if err != nil {
		return b, err
	}
	return append(b, unknownOf(m)...), nil
}

// sizeStr is the size of a proto3 string/bytes field with implicit presence ("" omitted).
func sizeStr(num protowire.Number, n int) int {
	if n == 0 {
		return 0
	}
	return sizeMsg(num, n)
}

func appendStr(b []byte, num protowire.Number, s string) ([]byte, error) {
	if s == "" {
		return b, nil
	}
	return appendString(b, num, s)
}

func sizeHeaderMutation(h *pb.HeaderMutation) int {
	if h == nil {
		return 0
	}
	n := 0
	if h.Action != 0 {
		n += sizeVarintField(1, uint64(int64(h.Action)))
	}
	return n + sizeStr(2, len(h.Name)) + sizeStr(3, len(h.Value)) + len(unknownOf(h))
}

func appendHeaderMutation(b []byte, h *pb.HeaderMutation) ([]byte, error) {
	if h == nil {
		return b, nil
	}
	if h.Action != 0 {
		b = appendVarintField(b, 1, uint64(int64(h.Action)))
	}
	var err error
	if b, err = appendStr(b, 2, h.Name); err != nil {
		return b, err
	}
	if b, err = appendStr(b, 3, h.Value); err != nil {
		return b, err
	}
	return append(b, unknownOf(h)...), nil
}

func sizeShared(s *pb.SharedSet) int {
	if s == nil {
		return 0
	}
	return sizeStr(1, len(s.Key)) + sizeStr(2, len(s.JsonValue)) + len(unknownOf(s))
}

func appendShared(b []byte, s *pb.SharedSet) ([]byte, error) {
	if s == nil {
		return b, nil
	}
	var err error
	if b, err = appendStr(b, 1, s.Key); err != nil {
		return b, err
	}
	if b, err = appendStr(b, 2, s.JsonValue); err != nil {
		return b, err
	}
	return append(b, unknownOf(s)...), nil
}

func sizeLogLine(l *pb.LogLine) int {
	if l == nil {
		return 0
	}
	n := 0
	if l.Level != 0 {
		n += sizeVarintField(1, uint64(int64(l.Level)))
	}
	return n + sizeStr(2, len(l.Message)) + len(unknownOf(l))
}

func appendLogLine(b []byte, l *pb.LogLine) ([]byte, error) {
	if l == nil {
		return b, nil
	}
	if l.Level != 0 {
		b = appendVarintField(b, 1, uint64(int64(l.Level)))
	}
	var err error
	if b, err = appendStr(b, 2, l.Message); err != nil {
		return b, err
	}
	return append(b, unknownOf(l)...), nil
}
