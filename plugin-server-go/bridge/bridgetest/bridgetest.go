// Package bridgetest fakes the far end of a go-pdk bridge connection for unit tests, as go-pdk's
// bridgetest does: Mock checks a script of expected calls, MockFunc dispatches to a handler.
// Gantry's own PDK does not need it (its PDK answers from the snapshot); it exists so tests that
// drive bridge.PdkBridge.Ask over a conn keep compiling and running.
package bridgetest

import (
	"bytes"
	"net"
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
	"google.golang.org/protobuf/proto"
)

// MockStep is one expected call: the method name, its argument and the value to return.
type MockStep struct {
	Method string
	Args   proto.Message
	Ret    proto.Message
}

// Handler answers a wire call (args and the result are encoded protobuf, nil for none).
type Handler interface {
	Handle(method string, args []byte) []byte
}

// MockFunc returns a conn whose far end answers every call with env.Handle.
func MockFunc(env Handler) net.Conn {
	a, b := net.Pipe()
	go func() {
		defer b.Close()
		for {
			m, err := rt.ReadFrame(b)
			if err != nil {
				return
			}
			args, err := rt.ReadFrame(b)
			if err != nil {
				return
			}
			if rt.WriteFrame(b, env.Handle(string(m), args)) != nil {
				return
			}
		}
	}()
	return a
}

type script struct {
	t     testing.TB
	steps []MockStep
}

func (s *script) Handle(method string, args []byte) []byte {
	if len(s.steps) == 0 {
		s.t.Errorf("bridgetest: unexpected call %q", method)
		return nil
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	if st.Method != method {
		s.t.Errorf("bridgetest: call %q, expected %q", method, st.Method)
	}
	if st.Args != nil {
		want, _ := proto.Marshal(st.Args)
		if !bytes.Equal(want, args) {
			s.t.Errorf("bridgetest: %s: args %x, expected %x", method, args, want)
		}
	}
	if st.Ret == nil {
		return nil
	}
	out, _ := proto.Marshal(st.Ret)
	return out
}

// Mock returns a conn that expects exactly the given steps, in order.
func Mock(t testing.TB, s []MockStep) net.Conn {
	return MockFunc(&script{t: t, steps: s})
}
