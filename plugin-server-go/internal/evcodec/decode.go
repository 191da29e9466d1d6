// Package evcodec decodes gateway.plugin.v1.EventBatch, the message the gateway streams to the
// plugin server for every batch of phase calls, without protobuf-go's reflection-driven decoder.
//
// The result is the same generated pluginpb structs that proto.Unmarshal would produce (the SDK
// and plugins see no difference), with the same semantics: unknown fields are kept (as
// protobuf-go keeps them), a non-repeated message field that occurs twice is merged, a known
// field with an unexpected wire type is an unknown field, packed and unpacked repeated scalars
// are both accepted, string fields must be valid UTF-8, and malformed input is an error (never a
// panic). decode_test.go checks this against proto.Unmarshal on generated and fuzzed messages.
//
// What is cheaper than protobuf-go:
//   - no reflection (protobuf-go builds oneof wrappers and messages with reflect.New);
//   - the structs of one Event (Event, its PhaseCall wrapper, PhaseCall, RequestSnapshot,
//     ResponseSnapshot, LogInfo) are one allocation, and all Events of a batch share it: one
//     allocation per batch;
//   - Header structs and the []*Header lists are carved out of chunks shared by many events;
//   - the string fields of one PhaseCall are substrings of one string: a copy of the PhaseCall's
//     encoded bytes (one allocation per phase call instead of one per string). A plugin that
//     keeps such a string after the call keeps that copy alive (a few KiB at most); strings.Clone
//     it if that matters.
//
// Rare messages (FetchResult, Cancel, Consumer, Credential) are decoded by proto.Unmarshal (with
// Merge, as protobuf-go merges a repeated occurrence of a message field).
package evcodec

import (
	"errors"
	"unicode/utf8"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Errors, worded like protobuf-go's.
var (
	errDecode      = errors.New("proto: cannot parse invalid wire-format data")
	errInvalidUTF8 = errors.New("proto: string field contains invalid UTF-8")
)

const (
	headerChunk = 256  // pb.Header structs per allocation
	ptrChunk    = 1024 // *pb.Header list slots per allocation
	idChunk     = 512  // instance ids per allocation
)

// Decoder decodes EventBatch messages. It keeps partly used allocation chunks between calls; it
// is not safe for concurrent use (pool it).
type Decoder struct {
	headers  []pb.Header  // unused tail of the current chunk
	ptrs     []*pb.Header // unused tail of the current chunk
	ids      []uint64     // unused tail of the current chunk
	scratch  []*pb.Header // headers of the message being decoded
	scratch2 []*pb.Header
}

// eventSlab is the storage of one Event. Each member is handed out at most once, so a message
// replaced by another oneof choice and then chosen again is fresh, as in protobuf-go: pcw is
// handed out iff pcw.PhaseCall is set, and req, resp and log only to pc, each while pc's field
// is still nil.
type eventSlab struct {
	ev   pb.Event
	pcw  pb.Event_PhaseCall
	pc   pb.PhaseCall
	req  pb.RequestSnapshot
	resp pb.ResponseSnapshot
	log  pb.LogInfo
}

// slabOr returns slot if own (the message being filled is the slab's), else a fresh T.
func slabOr[T any](own bool, slot *T) *T {
	if own {
		return slot
	}
	return new(T)
}

// Unmarshal decodes b into m, which must be empty (as after new or Reset). On error m holds a
// partial result that must not be used (as with proto.Unmarshal).
func (d *Decoder) Unmarshal(b []byte, m *pb.EventBatch) error {
	n, err := countEvents(b)
	if err != nil {
		return err
	}
	var slabs []eventSlab
	if n > 0 {
		slabs = make([]eventSlab, n)
		m.Events = make([]*pb.Event, 0, n)
	}
	for i := 0; i < len(b); {
		num, typ, l := consumeTag(b[i:])
		if l < 0 {
			return errDecode
		}
		i += l
		if num == 1 && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b[i:])
			if l < 0 {
				return errDecode
			}
			i += l
			var s *eventSlab
			if len(slabs) > 0 {
				s, slabs = &slabs[0], slabs[1:]
			} else {
				s = new(eventSlab) // not reached: countEvents counted them
			}
			if err := d.event(v, s); err != nil {
				return err
			}
			m.Events = append(m.Events, &s.ev)
			continue
		}
		l, err := unknown(m, num, typ, b[i:])
		if err != nil {
			return err
		}
		i += l
	}
	return nil
}

// countEvents counts field 1 (events) with the bytes wire type, stopping silently at anything
// malformed (the real pass reports it).
func countEvents(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		num, typ, l := consumeTag(b)
		if l < 0 {
			return n, errDecode
		}
		b = b[l:]
		if num == 1 && typ == protowire.BytesType {
			n++
		}
		l = protowire.ConsumeFieldValue(num, typ, b)
		if l < 0 {
			return n, errDecode
		}
		b = b[l:]
	}
	return n, nil
}

// consumeTag parses a field tag as protobuf-go's decoder does: field numbers outside
// [1, MaxValidNumber] and end-group tags (there is no group to end at message level) are
// errors (-1).
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	var tag uint64
	var n int
	if len(b) > 0 && b[0] < 0x80 {
		tag, n = uint64(b[0]), 1
	} else {
		tag, n = protowire.ConsumeVarint(b)
		if n < 0 {
			return 0, 0, -1
		}
	}
	num := tag >> 3
	if num < uint64(protowire.MinValidNumber) || num > uint64(protowire.MaxValidNumber) {
		return 0, 0, -1
	}
	typ := protowire.Type(tag & 7)
	if typ == protowire.EndGroupType {
		return 0, 0, -1
	}
	return protowire.Number(num), typ, n
}

// unknown skips one field value of a field the decoder does not know (or that came with an
// unexpected wire type) and keeps it in m's unknown fields, re-encoding the tag as protobuf-go
// does. It returns the value's length.
func unknown(m protoreflect.ProtoMessage, num protowire.Number, typ protowire.Type, b []byte) (int, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, errDecode
	}
	r := m.ProtoReflect()
	u := r.GetUnknown()
	u = protowire.AppendTag(u, num, typ)
	u = append(u, b[:n]...)
	r.SetUnknown(u)
	return n, nil
}

func (d *Decoder) event(b []byte, s *eventSlab) error {
	m := &s.ev
	for i := 0; i < len(b); {
		num, typ, l := consumeTag(b[i:])
		if l < 0 {
			return errDecode
		}
		i += l
		switch {
		case (num == 1 || num == 2) && typ == protowire.VarintType:
			v, l := protowire.ConsumeVarint(b[i:])
			if l < 0 {
				return errDecode
			}
			i += l
			if num == 1 {
				m.RequestId = v
			} else {
				m.Seq = uint32(v)
			}
		case num >= 3 && num <= 5 && typ == protowire.BytesType:
			v, l := protowire.ConsumeBytes(b[i:])
			if l < 0 {
				return errDecode
			}
			i += l
			var err error
			switch num {
			case 3:
				w, ok := m.Kind.(*pb.Event_PhaseCall)
				if !ok {
					if s.pcw.PhaseCall == nil {
						s.pcw.PhaseCall = &s.pc
						w = &s.pcw
					} else {
						w = &pb.Event_PhaseCall{PhaseCall: &pb.PhaseCall{}}
					}
					m.Kind = w
				}
				err = d.phaseCall(v, string(v), w.PhaseCall, s)
			case 4:
				w, ok := m.Kind.(*pb.Event_FetchResult)
				if !ok {
					w = &pb.Event_FetchResult{FetchResult: &pb.FetchResult{}}
					m.Kind = w
				}
				err = merge(v, w.FetchResult)
			case 5:
				w, ok := m.Kind.(*pb.Event_Cancel)
				if !ok {
					w = &pb.Event_Cancel{Cancel: &pb.Cancel{}}
					m.Kind = w
				}
				err = merge(v, w.Cancel)
			}
			if err != nil {
				return err
			}
		default:
			l, err := unknown(m, num, typ, b[i:])
			if err != nil {
				return err
			}
			i += l
		}
	}
	return nil
}

// merge decodes a rare message with protobuf-go, merging into m like a repeated occurrence.
func merge(b []byte, m proto.Message) error {
	return proto.UnmarshalOptions{Merge: true}.Unmarshal(b, m)
}

// str returns the string field value at b[i:i+n] (s is string(b)), checking UTF-8.
func str(s string, i, n int) (string, error) {
	v := s[i : i+n]
	if !utf8.ValidString(v) {
		return "", errInvalidUTF8
	}
	return v, nil
}

// bytesField decodes a length-delimited value at b[i:]: its start, length and encoded size.
func bytesField(b []byte, i int) (start, n, size int) {
	v, l := protowire.ConsumeBytes(b[i:])
	if l < 0 {
		return 0, 0, -1
	}
	return i + l - len(v), len(v), l
}

func (d *Decoder) phaseCall(b []byte, s string, m *pb.PhaseCall, slab *eventSlab) error {
	own := m == &slab.pc
	for i := 0; i < len(b); {
		num, typ, l := consumeTag(b[i:])
		if l < 0 {
			return errDecode
		}
		i += l
		if typ == protowire.VarintType && (num == 1 || num == 2) {
			v, l := protowire.ConsumeVarint(b[i:])
			if l < 0 {
				return errDecode
			}
			i += l
			if num == 1 {
				m.Phase = pb.Phase(int32(v))
			} else {
				m.InstanceIds = d.appendID(m.InstanceIds, v)
			}
			continue
		}
		if typ != protowire.BytesType || num < 2 || num > 10 {
			l, err := unknown(m, num, typ, b[i:])
			if err != nil {
				return err
			}
			i += l
			continue
		}
		start, n, l := bytesField(b, i)
		if l < 0 {
			return errDecode
		}
		i += l
		v := b[start : start+n]
		var err error
		switch num {
		case 2: // packed instance_ids
			for len(v) > 0 {
				id, l := protowire.ConsumeVarint(v)
				if l < 0 {
					return errDecode
				}
				v = v[l:]
				m.InstanceIds = d.appendID(m.InstanceIds, id)
			}
		case 3:
			if m.Request == nil {
				m.Request = slabOr(own, &slab.req)
			}
			err = d.request(v, s[start:start+n], m.Request)
		case 4:
			if m.Response == nil {
				m.Response = slabOr(own, &slab.resp)
			}
			err = d.response(v, s[start:start+n], m.Response)
		case 5:
			err = d.sharedEntry(v, s[start:start+n], m)
		case 6:
			m.RouteId, err = str(s, start, n)
		case 7:
			m.ServiceId, err = str(s, start, n)
		case 8:
			if m.Consumer == nil {
				m.Consumer = &pb.Consumer{}
			}
			err = merge(v, m.Consumer)
		case 9:
			if m.Credential == nil {
				m.Credential = &pb.Credential{}
			}
			err = merge(v, m.Credential)
		case 10:
			if m.Log == nil {
				m.Log = slabOr(own, &slab.log)
			}
			err = d.logInfo(v, s[start:start+n], m.Log)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// appendID appends to an instance id list, carving the first slots out of a shared chunk (the
// list's capacity is capped, so appending past it reallocates instead of overwriting).
func (d *Decoder) appendID(ids []uint64, v uint64) []uint64 {
	if len(ids) == cap(ids) && len(ids) < 8 {
		// Grow into chunk memory: copy to a fresh region of twice the size.
		want := 2 * len(ids)
		if want == 0 {
			want = 2
		}
		if len(d.ids) < want {
			d.ids = make([]uint64, idChunk)
		}
		n := copy(d.ids[:want], ids)
		ids = d.ids[:n:want]
		d.ids = d.ids[want:]
	}
	return append(ids, v)
}

// sharedEntry decodes one map<string, string> entry of PhaseCall.shared, as protobuf-go's map
// decoder does (missing key or value: ""; unknown fields inside the entry are dropped).
func (d *Decoder) sharedEntry(b []byte, s string, m *pb.PhaseCall) error {
	var key, val string
	for i := 0; i < len(b); {
		num, typ, l := protowire.ConsumeTag(b[i:])
		if l < 0 || num > protowire.MaxValidNumber {
			return errDecode
		}
		i += l
		if (num == 1 || num == 2) && typ == protowire.BytesType {
			start, n, l := bytesField(b, i)
			if l < 0 {
				return errDecode
			}
			i += l
			v, err := str(s, start, n)
			if err != nil {
				return err
			}
			if num == 1 {
				key = v
			} else {
				val = v
			}
			continue
		}
		l = protowire.ConsumeFieldValue(num, typ, b[i:])
		if l < 0 {
			return errDecode
		}
		i += l
	}
	if m.Shared == nil {
		m.Shared = make(map[string]string)
	}
	m.Shared[key] = val
	return nil
}

// header decodes one Header into a fresh struct from the chunk.
func (d *Decoder) header(b []byte, s string) (*pb.Header, error) {
	if len(d.headers) == 0 {
		d.headers = make([]pb.Header, headerChunk)
	}
	h := &d.headers[0]
	d.headers = d.headers[1:]
	for i := 0; i < len(b); {
		num, typ, l := consumeTag(b[i:])
		if l < 0 {
			return nil, errDecode
		}
		i += l
		if (num == 1 || num == 2) && typ == protowire.BytesType {
			start, n, l := bytesField(b, i)
			if l < 0 {
				return nil, errDecode
			}
			i += l
			v, err := str(s, start, n)
			if err != nil {
				return nil, err
			}
			if num == 1 {
				h.Name = v
			} else {
				h.Value = v
			}
			continue
		}
		l, err := unknown(h, num, typ, b[i:])
		if err != nil {
			return nil, err
		}
		i += l
	}
	return h, nil
}

// headerList appends the decoded headers (scratch) to list: carved out of the shared chunk,
// capacity capped so later appends by the SDK reallocate.
func (d *Decoder) headerList(list, scratch []*pb.Header) []*pb.Header {
	if len(scratch) == 0 {
		return list
	}
	if len(list) > 0 {
		return append(list[:len(list):len(list)], scratch...)
	}
	n := len(scratch)
	if len(d.ptrs) < n {
		if n > ptrChunk/4 {
			return append([]*pb.Header(nil), scratch...)
		}
		d.ptrs = make([]*pb.Header, ptrChunk)
	}
	out := d.ptrs[:n:n]
	d.ptrs = d.ptrs[n:]
	copy(out, scratch)
	return out
}

func (d *Decoder) request(b []byte, s string, m *pb.RequestSnapshot) error {
	hs := d.scratch[:0]
	defer func() { clear(hs); d.scratch = hs[:0] }()
	for i := 0; i < len(b); {
		num, typ, l := consumeTag(b[i:])
		if l < 0 {
			return errDecode
		}
		i += l
		switch typ {
		case protowire.VarintType:
			if num != 4 && num != 9 && num != 12 && num != 13 {
				break
			}
			v, l := protowire.ConsumeVarint(b[i:])
			if l < 0 {
				return errDecode
			}
			i += l
			switch num {
			case 4:
				m.Port = uint32(v)
			case 9:
				m.ClientPort = uint32(v)
			case 12:
				m.HasBody = v != 0
			case 13:
				m.StartTimeMs = int64(v)
			}
			continue
		case protowire.BytesType:
			if num == 4 || num == 9 || num == 12 || num == 13 || num > 16 {
				break
			}
			start, n, l := bytesField(b, i)
			if l < 0 {
				return errDecode
			}
			i += l
			if num == 7 {
				h, err := d.header(b[start:start+n], s[start:start+n])
				if err != nil {
					return err
				}
				hs = append(hs, h)
				continue
			}
			if num == 11 {
				m.Body = append([]byte(nil), b[start:start+n]...)
				continue
			}
			v, err := str(s, start, n)
			if err != nil {
				return err
			}
			switch num {
			case 1:
				m.Method = v
			case 2:
				m.Scheme = v
			case 3:
				m.Host = v
			case 5:
				m.Path = v
			case 6:
				m.RawQuery = v
			case 8:
				m.ClientIp = v
			case 10:
				m.HttpVersion = v
			case 14:
				m.RequestId = v
			case 15:
				m.ForwardedScheme = v
			case 16:
				m.ForwardedHost = v
			}
			continue
		}
		l, err := unknown(m, num, typ, b[i:])
		if err != nil {
			return err
		}
		i += l
	}
	m.Headers = d.headerList(m.Headers, hs)
	return nil
}

func (d *Decoder) response(b []byte, s string, m *pb.ResponseSnapshot) error {
	hs, ss := d.scratch[:0], d.scratch2[:0]
	defer func() { clear(hs); clear(ss); d.scratch, d.scratch2 = hs[:0], ss[:0] }()
	for i := 0; i < len(b); {
		num, typ, l := consumeTag(b[i:])
		if l < 0 {
			return errDecode
		}
		i += l
		switch typ {
		case protowire.VarintType:
			if num != 1 && num != 3 && num != 6 {
				break
			}
			v, l := protowire.ConsumeVarint(b[i:])
			if l < 0 {
				return errDecode
			}
			i += l
			switch num {
			case 1:
				m.Status = int32(v)
			case 3:
				m.ServiceStatus = int32(v)
			case 6:
				m.HasBody = v != 0
			}
			continue
		case protowire.BytesType:
			if num != 2 && num != 4 && num != 5 && num != 7 {
				break
			}
			start, n, l := bytesField(b, i)
			if l < 0 {
				return errDecode
			}
			i += l
			switch num {
			case 2, 4:
				h, err := d.header(b[start:start+n], s[start:start+n])
				if err != nil {
					return err
				}
				if num == 2 {
					hs = append(hs, h)
				} else {
					ss = append(ss, h)
				}
			case 5:
				m.Body = append([]byte(nil), b[start:start+n]...)
			case 7:
				v, err := str(s, start, n)
				if err != nil {
					return err
				}
				m.Source = v
			}
			continue
		}
		l, err := unknown(m, num, typ, b[i:])
		if err != nil {
			return err
		}
		i += l
	}
	m.Headers = d.headerList(m.Headers, hs)
	m.ServiceHeaders = d.headerList(m.ServiceHeaders, ss)
	return nil
}

func (d *Decoder) logInfo(b []byte, s string, m *pb.LogInfo) error {
	for i := 0; i < len(b); {
		num, typ, l := consumeTag(b[i:])
		if l < 0 {
			return errDecode
		}
		i += l
		switch {
		case typ == protowire.VarintType && num >= 1 && num <= 9 && num != 4 && num != 7:
			v, l := protowire.ConsumeVarint(b[i:])
			if l < 0 {
				return errDecode
			}
			i += l
			switch num {
			case 1:
				m.RequestLatencyMs = int64(v)
			case 2:
				m.ProxyLatencyMs = int64(v)
			case 3:
				m.UpstreamLatencyMs = int64(v)
			case 5:
				m.BytesSent = v
			case 6:
				m.BytesReceived = v
			case 8:
				m.FinishedAtMs = int64(v)
			case 9:
				m.ClientAborted = v != 0
			}
		case typ == protowire.BytesType && (num == 4 || num == 7):
			start, n, l := bytesField(b, i)
			if l < 0 {
				return errDecode
			}
			i += l
			v, err := str(s, start, n)
			if err != nil {
				return err
			}
			if num == 4 {
				m.UpstreamTarget = v
			} else {
				m.UpstreamUri = v
			}
		default:
			l, err := unknown(m, num, typ, b[i:])
			if err != nil {
				return err
			}
			i += l
		}
	}
	return nil
}
