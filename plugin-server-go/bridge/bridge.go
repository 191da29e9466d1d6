// Package bridge is the link between the PDK modules and the gateway. In go-pdk it carried every
// PDK call over a socket; in Gantry a PdkBridge built by the plugin server points at the phase
// snapshot and its mutation list, so most calls never leave the process. The go-pdk API (Ask,
// AskString, ..., New over a net.Conn, the Wrap/Unwrap helpers) is kept for compatibility: Ask
// answers Kong wire names locally, and over a conn it speaks go-pdk's framed protocol.
package bridge

import (
	"net"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// PdkBridge is embedded (as the only field) in every PDK module struct.
type PdkBridge = rt.Bridge

// StepData is kept from go-pdk's MsgPack era.
type StepData struct {
	Method string
	Args   []interface{}
}

// New makes a bridge that speaks go-pdk's framed protocol over conn (used by bridgetest).
func New(conn net.Conn) PdkBridge { return rt.NewBridge(conn) }

// ReturnTypeError is the error of a typed getter whose value has another type:
// "expected type: <expected>".
func ReturnTypeError(expected string) error { return rt.ReturnTypeError(expected) }

// WrapString wraps a string as a wire message (wire-identical to go-pdk's String{v}).
func WrapString(s string) *wrapperspb.StringValue { return wrapperspb.String(s) }

// WrapByteString wraps bytes as a wire message (wire-identical to go-pdk's ByteString{v}).
func WrapByteString(s []byte) *wrapperspb.BytesValue { return wrapperspb.Bytes(s) }

// WrapHeaders converts a header map to a structpb.Struct of string lists.
func WrapHeaders(h map[string][]string) (*structpb.Struct, error) {
	m := make(map[string]interface{}, len(h))
	for k, vs := range h {
		l := make([]interface{}, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		m[k] = l
	}
	return structpb.NewStruct(m)
}

// UnwrapHeaders converts a structpb.Struct of strings or string lists to a header map; other
// values are dropped (go-pdk logged and dropped them too).
func UnwrapHeaders(st *structpb.Struct) map[string][]string {
	out := make(map[string][]string, len(st.GetFields()))
	for k, v := range st.GetFields() {
		switch x := v.GetKind().(type) {
		case *structpb.Value_StringValue:
			out[k] = []string{x.StringValue}
		case *structpb.Value_ListValue:
			for _, e := range x.ListValue.GetValues() {
				if s, ok := e.GetKind().(*structpb.Value_StringValue); ok {
					out[k] = append(out[k], s.StringValue)
				}
			}
		}
	}
	return out
}
