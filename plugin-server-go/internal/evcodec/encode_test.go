package evcodec

import (
	"bytes"
	"math/rand"
	"testing"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// checkEncode compares AppendReplyBatch and SizeReplyBatch with protobuf-go.
func checkEncode(t testing.TB, m *pb.ReplyBatch) {
	t.Helper()
	want, wantErr := proto.Marshal(m)
	got, gotErr := AppendReplyBatch([]byte("prefix"), m)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%v:\nproto.Marshal error %v, AppendReplyBatch error %v", m, wantErr, gotErr)
	}
	if wantErr != nil {
		return
	}
	if !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("%v:\ngot  %x\nwant %x", m, got[len("prefix"):], want)
	}
	if n := SizeReplyBatch(m); n != len(want) {
		t.Fatalf("%v: size %d, want %d", m, n, len(want))
	}
}

type replyGen struct{ r *rand.Rand }

func (g replyGen) str() string {
	switch g.r.Intn(12) {
	case 0:
		return ""
	case 1:
		return "bad \xff utf-8"
	case 2:
		return "héllo ✓"
	}
	b := make([]byte, g.r.Intn(150))
	for i := range b {
		b[i] = byte('a' + g.r.Intn(26))
	}
	return string(b)
}

func (g replyGen) i32() int32 {
	switch g.r.Intn(4) {
	case 0:
		return 0
	case 1:
		return -1 - int32(g.r.Intn(100))
	}
	return int32(g.r.Intn(1000))
}

func (g replyGen) bytes() []byte {
	if g.r.Intn(4) == 0 {
		return nil
	}
	return []byte(g.str())
}

// unknown gives m unknown fields now and then.
func (g replyGen) unknown(m protoreflect.ProtoMessage) {
	if g.r.Intn(15) == 0 {
		u := protowire.AppendTag(nil, 99, protowire.VarintType)
		m.ProtoReflect().SetUnknown(protowire.AppendVarint(u, g.r.Uint64()))
	}
}

func (g replyGen) header() *pb.HeaderMutation {
	if g.r.Intn(30) == 0 {
		return nil
	}
	h := &pb.HeaderMutation{Action: pb.HeaderAction(g.i32() % 4), Name: g.str(), Value: g.str()}
	g.unknown(h)
	return h
}

func (g replyGen) mutation() *pb.Mutation {
	if g.r.Intn(40) == 0 {
		return nil
	}
	m := &pb.Mutation{InstanceId: uint64(g.r.Intn(3)) << uint(g.r.Intn(60))}
	switch g.r.Intn(17) {
	case 0:
		m.Op = &pb.Mutation_RequestHeader{RequestHeader: g.header()}
	case 1:
		m.Op = &pb.Mutation_RequestPath{RequestPath: g.str()}
	case 2:
		m.Op = &pb.Mutation_RequestRawQuery{RequestRawQuery: g.str()}
	case 3:
		m.Op = &pb.Mutation_RequestMethod{RequestMethod: g.str()}
	case 4:
		m.Op = &pb.Mutation_RequestScheme{RequestScheme: g.str()}
	case 5:
		m.Op = &pb.Mutation_RequestBody{RequestBody: g.bytes()}
	case 6:
		m.Op = &pb.Mutation_Target{Target: &pb.Target{Host: g.str(), Port: uint32(g.i32())}}
	case 7:
		m.Op = &pb.Mutation_Upstream{Upstream: g.str()}
	case 8:
		m.Op = &pb.Mutation_ResponseHeader{ResponseHeader: g.header()}
	case 9:
		m.Op = &pb.Mutation_ResponseStatus{ResponseStatus: g.i32()}
	case 10:
		m.Op = &pb.Mutation_ResponseBody{ResponseBody: g.bytes()}
	case 11:
		s := &pb.SharedSet{Key: g.str(), JsonValue: g.str()}
		g.unknown(s)
		m.Op = &pb.Mutation_Shared{Shared: s}
	case 12:
		e := &pb.Exit{Status: g.i32(), Body: g.bytes(), HasBody: g.r.Intn(2) == 0}
		for k := g.r.Intn(3); k > 0; k-- {
			e.Headers = append(e.Headers, &pb.Header{Name: g.str(), Value: g.str()})
		}
		m.Op = &pb.Mutation_Exit{Exit: e}
	case 13:
		l := &pb.LogLine{Level: pb.LogLevel(g.i32() % 8), Message: g.str()}
		g.unknown(l)
		m.Op = &pb.Mutation_Log{Log: l}
	case 14:
		m.Op = &pb.Mutation_Authenticate{Authenticate: &pb.Authenticate{
			Consumer: &pb.Consumer{Id: g.str(), Username: g.str()}, Credential: &pb.Credential{Id: g.str()}}}
	case 15:
		m.Op = &pb.Mutation_Exit{} // nil message in a oneof
	}
	g.unknown(m)
	return m
}

func (g replyGen) batch() *pb.ReplyBatch {
	b := &pb.ReplyBatch{}
	for k := g.r.Intn(6); k > 0; k-- {
		if g.r.Intn(40) == 0 {
			b.Replies = append(b.Replies, nil)
			continue
		}
		r := &pb.Reply{RequestId: uint64(g.r.Intn(3)) << uint(g.r.Intn(60)), Seq: uint32(g.r.Intn(4))}
		switch g.r.Intn(5) {
		case 0:
			r.Kind = &pb.Reply_Fetch{Fetch: &pb.Fetch{FetchId: uint32(g.r.Intn(3)),
				What: &pb.Fetch_IsTrustedIp{IsTrustedIp: g.str()}}}
		case 1:
			r.Kind = &pb.Reply_Result{}
		case 2:
		default:
			res := &pb.PhaseResult{Completed: uint32(g.r.Intn(3))}
			for k := g.r.Intn(5); k > 0; k-- {
				res.Mutations = append(res.Mutations, g.mutation())
			}
			if g.r.Intn(6) == 0 {
				res.Error = &pb.PluginError{Kind: pb.PluginError_KIND_HANDLER, InstanceId: 3, Message: g.str()}
			}
			g.unknown(res)
			r.Kind = &pb.Reply_Result{Result: res}
		}
		g.unknown(r)
		b.Replies = append(b.Replies, r)
	}
	g.unknown(b)
	return b
}

func TestEncodeMatchesProto(t *testing.T) {
	g := replyGen{rand.New(rand.NewSource(3))}
	checkEncode(t, &pb.ReplyBatch{})
	for i := 0; i < 30000; i++ {
		checkEncode(t, g.batch())
	}
}

func BenchmarkEncode(b *testing.B) {
	m := &pb.ReplyBatch{}
	for i := 0; i < 70; i++ {
		res := &pb.PhaseResult{Completed: 1}
		if i%2 == 0 {
			res.Mutations = []*pb.Mutation{{InstanceId: 1, Op: &pb.Mutation_ResponseHeader{
				ResponseHeader: &pb.HeaderMutation{Action: pb.HeaderAction_HEADER_ACTION_SET, Name: "x-hello", Value: "world"}}}}
		}
		m.Replies = append(m.Replies, &pb.Reply{RequestId: uint64(1000 + i), Seq: 2, Kind: &pb.Reply_Result{Result: res}})
	}
	b.Run("evcodec", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			// As the codec does: size, one allocation, append.
			if _, err := AppendReplyBatch(make([]byte, 0, SizeReplyBatch(m)), m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proto", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := proto.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
