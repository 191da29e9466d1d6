package server

import (
	"context"
	"testing"
	"time"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// rawCodec sends []byte messages as they are and receives into *[]byte.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}
func (rawCodec) Name() string { return "proto" }

// TestEvents_malformedBatchFailsStream: an EventBatch protobuf-go would reject (here a header
// value that is not UTF-8) fails the stream's Recv, so the stream ends with an error, as before
// the hand-written decoder.
func TestEvents_malformedBatchFailsStream(t *testing.T) {
	_, _, conn := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	desc := &pb.PluginServer_ServiceDesc.Streams[0]
	cs, err := conn.NewStream(ctx, desc, "/gateway.plugin.v1.PluginServer/Events", grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	bytesField := func(num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
	}
	header := append(bytesField(1, []byte("x-latin1")), bytesField(2, []byte("caf\xe9"))...)
	req := bytesField(7, header)
	call := bytesField(3, req)
	event := append(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1), bytesField(3, call)...)
	batch := bytesField(1, event)
	if err := cs.SendMsg(batch); err != nil {
		t.Fatal(err)
	}
	var reply []byte
	err = cs.RecvMsg(&reply)
	if status.Code(err) != codes.Internal {
		t.Fatalf("RecvMsg: %v, want an Internal error (unmarshalling failed)", err)
	}
}
