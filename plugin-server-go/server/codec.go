package server

import (
	"sync"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/evcodec"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the "proto" codec we delegate to
	"google.golang.org/grpc/mem"
)

// codec is the server's gRPC codec: EventBatch (every message the gateway streams on Events) is
// decoded and ReplyBatch (every message the server sends on it) encoded by evcodec, without
// protobuf-go's reflection and with far fewer allocations; every other message goes to gRPC's
// protobuf codec. Installed with grpc.ForceServerCodecV2, so it
// serves the "proto" content subtype the gateway uses.
type codec struct{ proto encoding.CodecV2 }

func newCodec() *codec { return &codec{proto: encoding.GetCodecV2("proto")} }

var decoders = sync.Pool{New: func() any { return new(evcodec.Decoder) }}

func (c *codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*pb.ReplyBatch)
	if !ok {
		return c.proto.Marshal(v)
	}
	out, err := encodeReplyBatch(m)
	// An encode error is invalid UTF-8 in a string a plugin set (evcodec's or, for the rare
	// sub-messages it delegates, protobuf-go's): repair and send rather than fail the stream.
	if err != nil && repairUTF8(m.ProtoReflect()) {
		warnRepairedUTF8()
		out, err = encodeReplyBatch(m)
	}
	return out, err
}

func encodeReplyBatch(m *pb.ReplyBatch) (mem.BufferSlice, error) {
	size := evcodec.SizeReplyBatch(m)
	if mem.IsBelowBufferPoolingThreshold(size) {
		b, err := evcodec.AppendReplyBatch(make([]byte, 0, size), m)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	b, err := evcodec.AppendReplyBatch((*buf)[:0], m)
	if err != nil {
		pool.Put(buf)
		return nil, err
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (c *codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*pb.EventBatch)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	m.Reset()
	d := decoders.Get().(*evcodec.Decoder)
	err := d.Unmarshal(buf.ReadOnlyData(), m)
	decoders.Put(d)
	return err
}

func (c *codec) Name() string { return "proto" }
