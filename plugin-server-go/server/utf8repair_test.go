package server

import (
	"testing"
	"unicode/utf8"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// A plugin that sets a header value and an error message with stray bytes: the batch still
// encodes (the strings repaired to U+FFFD) instead of failing the whole Events stream.
func TestMarshalRepairsInvalidUTF8FromPlugins(t *testing.T) {
	batch := &pb.ReplyBatch{Replies: []*pb.Reply{
		{RequestId: 1, Seq: 1, Kind: &pb.Reply_Result{Result: &pb.PhaseResult{
			Mutations: []*pb.Mutation{{Op: &pb.Mutation_RequestHeader{RequestHeader: &pb.HeaderMutation{
				Action: pb.HeaderAction_HEADER_ACTION_SET, Name: "x-ok", Value: "caf\xe9"}}}},
			Error: &pb.PluginError{Message: "bad \xff byte"},
		}}},
		{RequestId: 2, Seq: 1, Kind: &pb.Reply_Result{Result: &pb.PhaseResult{}}},
	}}
	out, err := newCodec().Marshal(batch)
	if err != nil {
		t.Fatalf("Marshal failed: %v", err)
	}
	var got pb.ReplyBatch
	if err := proto.Unmarshal(mem.BufferSlice(out).Materialize(), &got); err != nil {
		t.Fatalf("the repaired batch does not parse: %v", err)
	}
	r := got.Replies[0].GetResult()
	v := r.Mutations[0].GetRequestHeader().GetValue()
	if v != "caf\uFFFD" || !utf8.ValidString(r.GetError().GetMessage()) {
		t.Fatalf("not repaired: %q %q", v, r.GetError().GetMessage())
	}
	if len(got.Replies) != 2 || got.Replies[1].RequestId != 2 {
		t.Fatalf("the other reply was lost: %v", got.Replies)
	}
}

// The list and map cases (no reply message has them today): repeated strings, map keys and
// values are repaired in place; valid entries are left alone.
func TestRepairUTF8ListsAndMaps(t *testing.T) {
	m := &pb.PhaseCall{
		Shared:   map[string]string{"ok": "v", "k": "bad\xff", "bad\xfe": "v2"},
		Consumer: &pb.Consumer{Tags: []string{"t", "x\xc3"}},
	}
	if !repairUTF8(m.ProtoReflect()) {
		t.Fatal("nothing repaired")
	}
	want := &pb.PhaseCall{
		Shared:   map[string]string{"ok": "v", "k": "bad\uFFFD", "bad\uFFFD": "v2"},
		Consumer: &pb.Consumer{Tags: []string{"t", "x\uFFFD"}},
	}
	if !proto.Equal(m, want) {
		t.Fatalf("got %v, want %v", m, want)
	}
	if repairUTF8(m.ProtoReflect()) {
		t.Fatal("a valid message reported as repaired")
	}
}
