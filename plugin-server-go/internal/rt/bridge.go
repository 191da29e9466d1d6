package rt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// Bridge is the value behind bridge.PdkBridge (a type alias), embedded in every PDK module
// struct. Built by the plugin server it points at the phase's Event and every call is answered
// locally; built by bridge.New(conn) (go-pdk style, e.g. bridgetest) it speaks go-pdk's framed
// protocol on conn through Ask.
type Bridge struct {
	conn net.Conn
	ev   *Event
}

// NewBridge is bridge.New.
func NewBridge(conn net.Conn) Bridge { return Bridge{conn: conn} }

// EventBridge returns a bridge over ev.
func EventBridge(ev *Event) Bridge { return Bridge{ev: ev} }

// EventOf returns the bridge's event, nil for a conn bridge (Event methods then return
// ErrNoEvent).
func EventOf(b Bridge) *Event { return b.ev }

// Conn is the bridge's go-pdk connection (nil for event bridges).
func ConnOf(b Bridge) net.Conn { return b.conn }

// Ask calls a Kong PDK function by its wire name (e.g. "kong.request.get_header"), go-pdk style.
// Over an event it is answered locally for the functions of the go-pdk method table with
// simple arguments; over a conn it writes go-pdk's two frames and reads the answer frame.
func (b Bridge) Ask(method string, args proto.Message, out proto.Message) error {
	if b.ev == nil {
		return b.askConn(method, args, out)
	}
	v, err := b.ev.dispatch(method, args)
	if err != nil || out == nil || v == nil {
		return err
	}
	return setOut(out, v)
}

// AskString asks and expects a string.
func (b Bridge) AskString(method string, args proto.Message) (string, error) {
	v, err := b.AskValue(method, args)
	if err != nil || v == nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", ReturnTypeError("string")
	}
	return s, nil
}

// AskInt asks and expects an integer.
func (b Bridge) AskInt(method string, args proto.Message) (int, error) {
	v, err := b.AskValue(method, args)
	if err != nil || v == nil {
		return 0, err
	}
	switch n := v.(type) {
	case int:
		return n, nil
	case float64:
		return int(n), nil
	}
	return 0, ReturnTypeError("integer")
}

// AskNumber asks and expects a number.
func (b Bridge) AskNumber(method string, args proto.Message) (float64, error) {
	v, err := b.AskValue(method, args)
	if err != nil || v == nil {
		return 0, err
	}
	switch n := v.(type) {
	case int:
		return float64(n), nil
	case float64:
		return n, nil
	}
	return 0, ReturnTypeError("number")
}

// AskValue asks and returns the answer as a plain Go value.
func (b Bridge) AskValue(method string, args proto.Message) (interface{}, error) {
	if b.ev != nil {
		return b.ev.dispatch(method, args)
	}
	out := &structpb.Value{}
	if err := b.askConn(method, args, out); err != nil {
		return nil, err
	}
	return out.AsInterface(), nil
}

// Close closes the go-pdk connection, if any.
func (b Bridge) Close() error {
	if b.conn != nil {
		return b.conn.Close()
	}
	return nil
}

// ReturnTypeError is go-pdk's type error: "expected type: <expected>".
func ReturnTypeError(expected string) error { return errors.New("expected type: " + expected) }

// --- go-pdk framed protocol (conn bridges) ---

// WriteFrame writes a little-endian uint32 length and the payload.
func WriteFrame(w io.Writer, data []byte) error {
	var h [4]byte
	binary.LittleEndian.PutUint32(h[:], uint32(len(data)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	_, err := w.Write(data)
	return err
}

// ReadFrame reads one frame.
func ReadFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	data := make([]byte, binary.LittleEndian.Uint32(h[:]))
	_, err := io.ReadFull(r, data)
	return data, err
}

func (b Bridge) askConn(method string, args proto.Message, out proto.Message) error {
	if b.conn == nil {
		return ErrNoEvent
	}
	if err := WriteFrame(b.conn, []byte(method)); err != nil {
		return err
	}
	var data []byte
	if args != nil {
		var err error
		if data, err = proto.Marshal(args); err != nil {
			return err
		}
	}
	if err := WriteFrame(b.conn, data); err != nil {
		return err
	}
	reply, err := ReadFrame(b.conn)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return proto.Unmarshal(reply, out)
}

// --- local dispatch of wire names (event bridges) ---

// argField1 extracts field 1 of a wrapper-like message (Kong's String/Int/Bool... and the
// wrapperspb types share that shape).
func argField1(m proto.Message) interface{} {
	if m == nil {
		return nil
	}
	if v, ok := m.(*structpb.Value); ok {
		return v.AsInterface()
	}
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByNumber(1)
	if fd == nil {
		return nil
	}
	return fieldValue(r, fd)
}

func fieldValue(r protoreflect.Message, fd protoreflect.FieldDescriptor) interface{} {
	v := r.Get(fd)
	switch fd.Kind() {
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return v.Bytes()
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return int(v.Int())
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
		return int(v.Uint())
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		return v.Float()
	case protoreflect.MessageKind:
		if sv, ok := v.Message().Interface().(*structpb.Value); ok {
			return sv.AsInterface()
		}
		return v.Message().Interface()
	}
	return nil
}

// argKV extracts Kong's KV{k, v}.
func argKV(m proto.Message) (string, interface{}) {
	if m == nil {
		return "", nil
	}
	r := m.ProtoReflect()
	f := r.Descriptor().Fields()
	var k string
	var v interface{}
	if fd := f.ByNumber(1); fd != nil {
		k, _ = fieldValue(r, fd).(string)
	}
	if fd := f.ByNumber(2); fd != nil {
		v = fieldValue(r, fd)
	}
	return k, v
}

func setOut(out proto.Message, v interface{}) error {
	if sv, ok := out.(*structpb.Value); ok {
		nv, err := structpb.NewValue(v)
		if err != nil {
			return err
		}
		proto.Reset(sv)
		proto.Merge(sv, nv)
		return nil
	}
	r := out.ProtoReflect()
	fd := r.Descriptor().Fields().ByNumber(1)
	if fd == nil {
		return fmt.Errorf("gantry pdk: cannot store %T in %T", v, out)
	}
	var pv protoreflect.Value
	switch x := v.(type) {
	case string:
		if fd.Kind() == protoreflect.BytesKind {
			pv = protoreflect.ValueOfBytes([]byte(x))
		} else {
			pv = protoreflect.ValueOfString(x)
		}
	case []byte:
		pv = protoreflect.ValueOfBytes(x)
	case bool:
		pv = protoreflect.ValueOfBool(x)
	case int:
		switch fd.Kind() {
		case protoreflect.Int32Kind, protoreflect.Sint32Kind:
			pv = protoreflect.ValueOfInt32(int32(x))
		case protoreflect.DoubleKind:
			pv = protoreflect.ValueOfFloat64(float64(x))
		default:
			pv = protoreflect.ValueOfInt64(int64(x))
		}
	case float64:
		pv = protoreflect.ValueOfFloat64(x)
	default:
		return fmt.Errorf("gantry pdk: cannot store %T in %T", v, out)
	}
	r.Set(fd, pv)
	return nil
}

var hdrActions = map[string]pb.HeaderAction{
	"set_header":   pb.HeaderAction_HEADER_ACTION_SET,
	"add_header":   pb.HeaderAction_HEADER_ACTION_ADD,
	"clear_header": pb.HeaderAction_HEADER_ACTION_CLEAR,
}

var logLevels = map[string]pb.LogLevel{
	"alert": pb.LogLevel_LOG_LEVEL_ALERT, "crit": pb.LogLevel_LOG_LEVEL_CRIT,
	"err": pb.LogLevel_LOG_LEVEL_ERR, "warn": pb.LogLevel_LOG_LEVEL_WARN,
	"notice": pb.LogLevel_LOG_LEVEL_NOTICE, "info": pb.LogLevel_LOG_LEVEL_INFO,
	"debug": pb.LogLevel_LOG_LEVEL_DEBUG,
}

// dispatch answers a wire method name from the event. Unknown names fail.
func (e *Event) dispatch(method string, args proto.Message) (interface{}, error) {
	str := func() string { s, _ := argField1(args).(string); return s }
	noErr := func(err error) (interface{}, error) { return nil, err }
	switch {
	case strings.HasPrefix(method, "kong.request.get_"):
		what := strings.TrimPrefix(method, "kong.request.get_")
		switch what {
		case "port", "forwarded_port":
			return intRet(e.ReqPort())
		case "http_version":
			return e.ReqHttpVersion()
		case "header":
			return e.ReqHeader(str())
		case "query_arg":
			return e.ReqQueryArg(str())
		case "raw_body":
			b, err := e.ReqRawBody()
			return string(b), err
		case "scheme", "host", "forwarded_scheme", "forwarded_host", "method", "path", "path_with_query", "raw_query":
			return e.ReqString(what)
		}
	case method == "kong.client.get_ip" || method == "kong.client.get_forwarded_ip":
		return e.ClientString("ip", false)
	case method == "kong.client.get_port" || method == "kong.client.get_forwarded_port":
		return intRet(e.ClientPort())
	case method == "kong.client.get_protocol":
		b, _ := argField1(args).(bool)
		return e.ClientString("protocol", b)
	case method == "kong.response.get_status":
		return intRet(e.RespStatus())
	case method == "kong.response.get_header":
		return e.RespHeader(str())
	case method == "kong.response.get_source":
		return e.RespSource()
	case method == "kong.response.set_status":
		n, _ := argField1(args).(int)
		return noErr(e.SetRespStatus(n))
	case strings.HasPrefix(method, "kong.response.") && hdrActions[strings.TrimPrefix(method, "kong.response.")] != 0:
		k, v := argKV(args)
		if method == "kong.response.clear_header" {
			k = str()
		}
		s, _ := v.(string)
		return noErr(e.RespHeaderOp(hdrActions[strings.TrimPrefix(method, "kong.response.")], k, s))
	case strings.HasPrefix(method, "kong.service.request.") && hdrActions[strings.TrimPrefix(method, "kong.service.request.")] != 0:
		k, v := argKV(args)
		if method == "kong.service.request.clear_header" {
			k = str()
		}
		s, _ := v.(string)
		return noErr(e.SvcReqHeaderOp(hdrActions[strings.TrimPrefix(method, "kong.service.request.")], k, s))
	case method == "kong.service.request.set_scheme" || method == "kong.service.request.set_path" ||
		method == "kong.service.request.set_raw_query" || method == "kong.service.request.set_method":
		return noErr(e.SetSvcReq(strings.TrimPrefix(method, "kong.service.request.set_"), str()))
	case method == "kong.service.request.set_raw_body":
		switch v := argField1(args).(type) {
		case string:
			return noErr(e.SetSvcReqBody([]byte(v)))
		case []byte:
			return noErr(e.SetSvcReqBody(v))
		}
	case method == "kong.service.response.get_status":
		return intRet(e.SvcRespStatus())
	case method == "kong.service.response.get_header":
		return e.SvcRespHeader(str())
	case method == "kong.service.response.get_raw_body":
		b, err := e.SvcRespBody()
		return string(b), err
	case method == "kong.ctx.shared.get":
		return e.SharedGet(str())
	case method == "kong.ctx.shared.set":
		k, v := argKV(args)
		return noErr(e.SharedSet(k, v))
	case method == "kong.nginx.get_ctx":
		return e.NginxCtxGet(str())
	case method == "kong.nginx.set_ctx":
		k, v := argKV(args)
		return noErr(e.NginxCtxSet(k, v))
	case method == "kong.nginx.req_start_time":
		return e.StartTime()
	case method == "kong.nginx.get_subsystem":
		return "http", e.check()
	case method == "kong.node.get_id":
		return e.NodeID()
	case method == "kong.ip.is_trusted":
		return e.IsTrusted(str())
	case method == "kong.log.serialize":
		return e.Serialize()
	case strings.HasPrefix(method, "kong.log.") && logLevels[strings.TrimPrefix(method, "kong.log.")] != 0:
		var vals []interface{}
		if l, ok := args.(*structpb.ListValue); ok {
			vals = l.AsSlice()
		}
		return noErr(e.Log(logLevels[strings.TrimPrefix(method, "kong.log.")], vals))
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("gantry pdk: %s is not available through Ask; use the typed PDK method", method)
}

func intRet(n int, err error) (interface{}, error) { return n, err }
