package evcodec

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// check decodes b with the Decoder and with proto.Unmarshal and fails unless both fail or both
// succeed with equal messages (unknown fields included). It also checks that the result does not
// alias b.
func check(t testing.TB, d *Decoder, b []byte) {
	t.Helper()
	want := &pb.EventBatch{}
	wantErr := proto.Unmarshal(b, want)
	in := bytes.Clone(b)
	got := &pb.EventBatch{}
	gotErr := d.Unmarshal(in, got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("input %x:\nproto.Unmarshal error: %v\nDecoder error: %v", b, wantErr, gotErr)
	}
	if wantErr != nil {
		return
	}
	for i := range in {
		in[i] = 0xa5 // the decoded message must not share memory with the input
	}
	if !proto.Equal(want, got) {
		t.Fatalf("input %x: messages differ:\nwant %v\ngot  %v", b, want, got)
	}
	// Re-encoding must agree byte for byte as well (deterministic order for the map).
	o := proto.MarshalOptions{Deterministic: true}
	wb, err1 := o.Marshal(want)
	gb, err2 := o.Marshal(got)
	if err1 != nil || err2 != nil || !bytes.Equal(wb, gb) {
		t.Fatalf("input %x: re-encodings differ (%v, %v)", b, err1, err2)
	}
}

// gen writes random wire data for message md: mostly well-typed fields in random order, with
// repeats (merges), packed and unpacked repeated scalars, unknown fields (all wire types,
// groups), wrong wire types, invalid UTF-8 and non-minimal varints when bad is set.
type gen struct {
	r     *rand.Rand
	bad   bool // also produce invalid input
	depth int
}

func (g *gen) message(md protoreflect.MessageDescriptor) []byte {
	var b []byte
	g.depth++
	defer func() { g.depth-- }()
	fields := md.Fields()
	n := g.r.Intn(12)
	if g.depth == 1 {
		n = g.r.Intn(6)
	}
	for k := 0; k < n; k++ {
		if fields.Len() == 0 || g.r.Intn(10) == 0 {
			b = g.unknownField(b)
			continue
		}
		fd := fields.Get(g.r.Intn(fields.Len()))
		b = g.field(b, fd)
	}
	return b
}

func (g *gen) unknownField(b []byte) []byte {
	num := protowire.Number(20 + g.r.Intn(3))
	if g.r.Intn(20) == 0 {
		num = protowire.Number(1 + g.r.Intn(2000))
	}
	switch g.r.Intn(5) {
	case 0:
		b = protowire.AppendTag(b, num, protowire.VarintType)
		b = protowire.AppendVarint(b, g.r.Uint64()>>uint(g.r.Intn(64)))
	case 1:
		b = protowire.AppendTag(b, num, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, g.r.Uint32())
	case 2:
		b = protowire.AppendTag(b, num, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, g.r.Uint64())
	case 3:
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendBytes(b, g.bytes())
	case 4:
		b = protowire.AppendTag(b, num, protowire.StartGroupType)
		if g.r.Intn(2) == 0 {
			b = protowire.AppendTag(b, 1, protowire.VarintType)
			b = protowire.AppendVarint(b, 7)
		}
		b = protowire.AppendTag(b, num, protowire.EndGroupType)
	}
	return b
}

func (g *gen) bytes() []byte {
	n := g.r.Intn(12)
	if g.r.Intn(30) == 0 {
		n = 200 + g.r.Intn(300)
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = byte('a' + g.r.Intn(26))
	}
	if n > 0 && g.r.Intn(8) == 0 {
		v[g.r.Intn(n)] = "\x00é\xff"[g.r.Intn(3)] // NUL, a lone continuation byte, 0xff
	}
	return v
}

func (g *gen) str() []byte {
	switch g.r.Intn(10) {
	case 0:
		return nil
	case 1:
		return []byte("héllo ✓")
	case 2:
		if g.bad {
			return []byte("bad\xff")
		}
	}
	v := g.bytes()
	if !g.bad {
		for i := range v {
			if v[i] >= 0x80 {
				v[i] = 'x'
			}
		}
	}
	return v
}

func (g *gen) varint() uint64 {
	switch g.r.Intn(5) {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return g.r.Uint64()
	case 3:
		return uint64(int64(-1 - g.r.Intn(1000))) // negative int32/int64
	}
	return uint64(g.r.Intn(1 << uint(g.r.Intn(40))))
}

func (g *gen) field(b []byte, fd protoreflect.FieldDescriptor) []byte {
	num := fd.Number()
	if g.r.Intn(25) == 0 { // wrong wire type: an unknown field for protobuf-go
		wt := []protowire.Type{protowire.VarintType, protowire.Fixed32Type, protowire.Fixed64Type, protowire.BytesType}[g.r.Intn(4)]
		b = protowire.AppendTag(b, num, wt)
		switch wt {
		case protowire.VarintType:
			return protowire.AppendVarint(b, g.varint())
		case protowire.Fixed32Type:
			return protowire.AppendFixed32(b, g.r.Uint32())
		case protowire.Fixed64Type:
			return protowire.AppendFixed64(b, g.r.Uint64())
		default:
			return protowire.AppendBytes(b, g.bytes())
		}
	}
	if fd.IsMap() {
		var e []byte
		kv := fd.MapKey()
		vv := fd.MapValue()
		for k := g.r.Intn(4); k > 0; k-- {
			switch g.r.Intn(6) {
			case 0:
				e = g.unknownField(e)
			case 1, 2:
				e = g.scalar(e, kv)
			default:
				e = g.scalar(e, vv)
			}
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, e)
	}
	switch fd.Kind() {
	case protoreflect.MessageKind:
		if g.depth > 6 {
			return b
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, g.message(fd.Message()))
	case protoreflect.StringKind, protoreflect.BytesKind:
		return g.scalar(b, fd)
	}
	if fd.IsList() && g.r.Intn(2) == 0 { // packed
		var p []byte
		for k := g.r.Intn(5); k > 0; k-- {
			p = protowire.AppendVarint(p, g.varint())
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, p)
	}
	return g.scalar(b, fd)
}

func (g *gen) scalar(b []byte, fd protoreflect.FieldDescriptor) []byte {
	num := fd.Number()
	switch fd.Kind() {
	case protoreflect.StringKind:
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, g.str())
	case protoreflect.BytesKind:
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, g.bytes())
	case protoreflect.MessageKind:
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, g.message(fd.Message()))
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	v := g.varint()
	if g.r.Intn(20) == 0 { // non-minimal varint encoding
		return append(b, byte(v)|0x80, 0x00)
	}
	return protowire.AppendVarint(b, v)
}

// corrupt damages b: truncation, flipped bytes, inserted garbage.
func corrupt(r *rand.Rand, b []byte) []byte {
	b = bytes.Clone(b)
	switch r.Intn(4) {
	case 0:
		if len(b) > 0 {
			b = b[:r.Intn(len(b))]
		}
	case 1:
		for k := 1 + r.Intn(3); k > 0 && len(b) > 0; k-- {
			b[r.Intn(len(b))] ^= byte(1 << uint(r.Intn(8)))
		}
	case 2:
		if len(b) > 0 {
			b[r.Intn(len(b))] = byte(r.Intn(256))
		}
	case 3:
		i := r.Intn(len(b) + 1)
		junk := make([]byte, 1+r.Intn(4))
		r.Read(junk)
		b = append(b[:i], append(junk, b[i:]...)...)
	}
	return b
}

func batchDesc() protoreflect.MessageDescriptor {
	return (&pb.EventBatch{}).ProtoReflect().Descriptor()
}

func TestDecodeMatchesProtoGenerated(t *testing.T) {
	d := new(Decoder)
	r := rand.New(rand.NewSource(1))
	md := batchDesc()
	n := 20000
	if testing.Short() {
		n = 3000
	}
	for i := 0; i < n; i++ {
		g := &gen{r: r, bad: i%3 == 0}
		b := g.message(md)
		check(t, d, b)
		check(t, d, corrupt(r, b))
	}
}

// TestDecodeMatchesProtoMarshalled: messages built as structs and encoded by protobuf-go (the
// gateway's encoder is libprotobuf, which writes the same canonical form).
func TestDecodeMatchesProtoMarshalled(t *testing.T) {
	d := new(Decoder)
	for i, m := range sampleBatches() {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { check(t, d, b) })
	}
}

func TestDecodeCases(t *testing.T) {
	d := new(Decoder)
	tag := func(b []byte, num protowire.Number, typ protowire.Type) []byte {
		return protowire.AppendTag(b, num, typ)
	}
	msg := func(num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(tag(nil, num, protowire.BytesType), v)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	str := func(num protowire.Number, s string) []byte { return msg(num, []byte(s)) }
	vint := func(num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(tag(nil, num, protowire.VarintType), v)
	}
	req := cat(str(1, "GET"), msg(7, cat(str(1, "host"), str(2, "x"))), str(5, "/p"))
	pc := cat(vint(1, 5), vint(2, 9), vint(2, 10), msg(3, req), msg(5, cat(str(1, "k"), str(2, `"v"`))))
	cases := map[string][]byte{
		"empty":                  nil,
		"empty event":            msg(1, nil),
		"one call":               msg(1, cat(vint(1, 7), vint(2, 1), msg(3, pc))),
		"call twice merges":      msg(1, cat(msg(3, pc), msg(3, cat(msg(3, req), vint(2, 11))))),
		"call, fetch, call":      msg(1, cat(msg(3, pc), msg(4, vint(1, 3)), msg(3, pc))),
		"cancel":                 msg(1, cat(vint(1, 7), msg(5, nil))),
		"cancel with unknown":    msg(1, cat(vint(1, 7), msg(5, vint(9, 1)))),
		"fetch result":           msg(1, cat(vint(1, 7), msg(4, cat(vint(1, 2), str(8, "node"))))),
		"fetch result twice":     msg(1, cat(msg(4, vint(1, 2)), msg(4, str(10, "nf")))),
		"invalid utf8 path":      msg(1, msg(3, msg(3, str(5, "/\xff")))),
		"invalid utf8 header":    msg(1, msg(3, msg(3, msg(7, str(2, "\xc3"))))),
		"invalid utf8 map key":   msg(1, msg(3, msg(5, str(1, "\xff")))),
		"invalid utf8 consumer":  msg(1, msg(3, msg(8, str(2, "\xff")))),
		"invalid utf8 in bytes":  msg(1, msg(3, msg(3, str(11, "\xff")))),
		"unknown everywhere":     cat(vint(2, 1), msg(1, cat(vint(9, 1), msg(3, cat(vint(99, 1), msg(3, cat(vint(77, 1), msg(7, vint(3, 3))))))))),
		"wrong wire type":        msg(1, cat(str(1, "x"), msg(3, cat(str(1, "x"), msg(3, vint(1, 1)))))),
		"field number 0":         []byte{0x02, 0x00},
		"end group at top":       tag(nil, 5, protowire.EndGroupType),
		"unbalanced group":       tag(nil, 5, protowire.StartGroupType),
		"group":                  cat(tag(nil, 5, protowire.StartGroupType), vint(1, 1), tag(nil, 5, protowire.EndGroupType)),
		"wrong group end":        cat(tag(nil, 5, protowire.StartGroupType), tag(nil, 6, protowire.EndGroupType)),
		"reserved wire type":     {0x0e},
		"truncated length":       {0x0a, 0x05, 0x08},
		"truncated varint":       {0x08, 0x80},
		"overlong varint":        {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		"max field number":       vint(protowire.MaxValidNumber, 1),
		"field number too large": protowire.AppendVarint(protowire.AppendVarint(nil, uint64(protowire.MaxValidNumber+1)<<3), 1),
		"empty packed ids":       msg(1, msg(3, msg(2, nil))),
		"bad packed ids":         msg(1, msg(3, msg(2, []byte{0x80}))),
		"empty body":             msg(1, msg(3, msg(3, cat(str(11, "abc"), str(11, ""))))),
		"map entry empty":        msg(1, msg(3, msg(5, nil))),
		"map entry unknown":      msg(1, msg(3, msg(5, cat(vint(1, 3), vint(7, 1), str(2, "v"))))),
		"map entry bad tag":      msg(1, msg(3, msg(5, []byte{0x00}))),
		"map entry end group":    msg(1, msg(3, msg(5, tag(nil, 3, protowire.EndGroupType)))),
		"negative status":        msg(1, msg(3, msg(4, vint(1, uint64(1<<63))))),
		"phase out of range":     msg(1, msg(3, vint(1, 1<<40))),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) { check(t, d, b) })
	}
}

// TestAppendAfterDecode: lists handed out of shared chunks must not overlap: appending to one
// (the SDK appends headers and instance ids are never appended, but plugins might) leaves the
// others intact.
func TestAppendAfterDecode(t *testing.T) {
	d := new(Decoder)
	var batches []*pb.EventBatch
	for _, m := range sampleBatches() {
		b, _ := proto.Marshal(m)
		got := &pb.EventBatch{}
		if err := d.Unmarshal(b, got); err != nil {
			t.Fatal(err)
		}
		batches = append(batches, got)
	}
	want := make([]*pb.EventBatch, len(batches))
	for i, m := range batches {
		want[i] = proto.Clone(m).(*pb.EventBatch)
	}
	for _, m := range batches {
		for _, ev := range m.Events {
			pc := ev.GetPhaseCall()
			if pc == nil {
				continue
			}
			pc.InstanceIds = append(pc.InstanceIds, 999)
			if pc.Request != nil {
				pc.Request.Headers = append(pc.Request.Headers, &pb.Header{Name: "added"})
			}
			if pc.Response != nil {
				pc.Response.Headers = append(pc.Response.Headers, &pb.Header{Name: "added"})
				pc.Response.ServiceHeaders = append(pc.Response.ServiceHeaders, &pb.Header{Name: "added"})
			}
		}
	}
	for i, m := range batches {
		for j, ev := range m.Events {
			pc, wpc := ev.GetPhaseCall(), want[i].Events[j].GetPhaseCall()
			if pc == nil {
				continue
			}
			if n := len(wpc.InstanceIds); len(pc.InstanceIds) != n+1 || !slices.Equal(pc.InstanceIds[:n], wpc.InstanceIds) {
				t.Fatalf("batch %d event %d: ids %v, want %v + 999", i, j, pc.InstanceIds, wpc.InstanceIds)
			}
			if pc.Request != nil {
				checkHeaders(t, pc.Request.Headers, wpc.Request.Headers)
			}
			if pc.Response != nil {
				checkHeaders(t, pc.Response.Headers, wpc.Response.Headers)
				checkHeaders(t, pc.Response.ServiceHeaders, wpc.Response.ServiceHeaders)
			}
		}
	}
}

func checkHeaders(t *testing.T, got, want []*pb.Header) {
	t.Helper()
	if len(got) != len(want)+1 || got[len(want)].Name != "added" {
		t.Fatalf("headers %v, want %v + added", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Value != want[i].Value {
			t.Fatalf("header %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// sampleBatches are realistic batches: access and log calls, fetch results, cancels.
func sampleBatches() []*pb.EventBatch {
	hdrs := func(n int, prefix string) []*pb.Header {
		var hs []*pb.Header
		for i := 0; i < n; i++ {
			hs = append(hs, &pb.Header{Name: fmt.Sprintf("%s-%d", prefix, i), Value: fmt.Sprintf("value %d ✓", i)})
		}
		return hs
	}
	call := func(rid uint64, phase pb.Phase, nh int) *pb.Event {
		pc := &pb.PhaseCall{
			Phase: phase, InstanceIds: []uint64{1, 2, 3, 1 << 40}[:1+int(rid%4)],
			Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "example.com", Port: 8000,
				Path: "/a/b", RawQuery: "x=1&y=2", Headers: hdrs(nh, "req"), ClientIp: "127.0.0.1",
				ClientPort: 50000, HttpVersion: "1.1", StartTimeMs: 1700000000000, RequestId: "abc"},
			RouteId: "route-1", ServiceId: "svc-1",
		}
		if rid%3 == 0 {
			pc.Shared = map[string]string{"a": `1`, "b": `"two"`}
			pc.Consumer = &pb.Consumer{Id: "c1", Username: "alice", Tags: []string{"t"}}
			pc.Credential = &pb.Credential{Id: "k1", ConsumerId: "c1"}
			pc.Request.Body = []byte("body bytes")
			pc.Request.HasBody = true
		}
		if phase == pb.Phase_PHASE_LOG {
			pc.Response = &pb.ResponseSnapshot{Status: 200, Headers: hdrs(nh/2, "resp"), ServiceStatus: 200,
				ServiceHeaders: hdrs(nh/2+1, "svc"), Source: "service"}
			pc.Log = &pb.LogInfo{RequestLatencyMs: 3, ProxyLatencyMs: 1, UpstreamLatencyMs: 2,
				UpstreamTarget: "127.0.0.1:9000", BytesSent: 512, BytesReceived: 100, UpstreamUri: "/a/b?x=1",
				FinishedAtMs: 1700000000003, ClientAborted: rid%5 == 0}
		}
		return &pb.Event{RequestId: rid, Seq: uint32(rid%3 + 1), Kind: &pb.Event_PhaseCall{PhaseCall: pc}}
	}
	var out []*pb.EventBatch
	out = append(out, &pb.EventBatch{})
	for _, n := range []int{1, 11, 70, 300} {
		m := &pb.EventBatch{}
		for i := 0; i < n; i++ {
			rid := uint64(1000 + i)
			switch i % 7 {
			case 5:
				m.Events = append(m.Events, &pb.Event{RequestId: rid, Seq: 1,
					Kind: &pb.Event_FetchResult{FetchResult: &pb.FetchResult{FetchId: 1,
						Result: &pb.FetchResult_NodeId{NodeId: "node"}}}})
			case 6:
				m.Events = append(m.Events, &pb.Event{RequestId: rid, Seq: 2, Kind: &pb.Event_Cancel{Cancel: &pb.Cancel{}}})
			default:
				phase := pb.Phase_PHASE_ACCESS
				if i%2 == 0 {
					phase = pb.Phase_PHASE_LOG
				}
				m.Events = append(m.Events, call(rid, phase, i%20))
			}
		}
		out = append(out, m)
	}
	return out
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleBatches()[:3] {
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	r := rand.New(rand.NewSource(2))
	md := batchDesc()
	for i := 0; i < 40; i++ {
		g := &gen{r: r, bad: i%4 == 0}
		f.Add(g.message(md))
	}
	d := new(Decoder)
	f.Fuzz(func(t *testing.T, b []byte) { check(t, d, b) })
}

func BenchmarkDecode(b *testing.B) {
	m := sampleBatches()[3] // 70 events
	buf, _ := proto.Marshal(m)
	b.Run("evcodec", func(b *testing.B) {
		d := new(Decoder)
		b.ReportAllocs()
		b.SetBytes(int64(len(buf)))
		for i := 0; i < b.N; i++ {
			var out pb.EventBatch
			if err := d.Unmarshal(buf, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proto", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(buf)))
		for i := 0; i < b.N; i++ {
			var out pb.EventBatch
			if err := proto.Unmarshal(buf, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
