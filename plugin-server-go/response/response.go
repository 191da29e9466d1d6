// Package response is the response to the client (kong.response): its status, headers and
// source, changes to them, and Exit, which ends the request with a response of the plugin's own.
// Getters answer from the phase snapshot; setters are sent with the phase result.
package response

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Response is kong.response; one per PDK.
type Response struct {
	bridge.PdkBridge
}

func (r Response) ev() *rt.Event { return rt.EventOf(r.PdkBridge) }

// GetStatus returns the status that will be (log phase: was) sent to the client.
func (r Response) GetStatus() (int, error) { return r.ev().RespStatus() }

// GetHeader returns the first value of a response header ("", nil if missing).
func (r Response) GetHeader(name string) (string, error) { return r.ev().RespHeader(name) }

// GetHeaders returns the response headers (at most max_headers; -1 means 100).
func (r Response) GetHeaders(max_headers int) (map[string][]string, error) {
	return r.ev().RespHeaders(max_headers)
}

// GetSource returns "service", "exit" or "error".
func (r Response) GetSource() (string, error) { return r.ev().RespSource() }

// SetStatus sets the status sent to the client.
func (r Response) SetStatus(status int) error { return r.ev().SetRespStatus(status) }

// SetHeader sets a response header, replacing all values of the name.
func (r Response) SetHeader(k string, v string) error {
	return r.ev().RespHeaderOp(pb.HeaderAction_HEADER_ACTION_SET, k, v)
}

// AddHeader adds a response header value.
func (r Response) AddHeader(k string, v string) error {
	return r.ev().RespHeaderOp(pb.HeaderAction_HEADER_ACTION_ADD, k, v)
}

// ClearHeader removes every value of a response header.
func (r Response) ClearHeader(k string) error {
	return r.ev().RespHeaderOp(pb.HeaderAction_HEADER_ACTION_CLEAR, k, "")
}

// SetHeaders sets several response headers (each name replaced).
func (r Response) SetHeaders(headers map[string][]string) error {
	return r.ev().SetRespHeaders(headers)
}

// Exit ends the request with this response. No further plugins of the phase run, and every
// later PDK call of this handler returns an error: return right after calling it.
func (r Response) Exit(status int, body []byte, headers map[string][]string) {
	_ = r.ev().Exit(status, body, true, headers)
}

// ExitStatus ends the request with a status and no body.
func (r Response) ExitStatus(status int) {
	_ = r.ev().Exit(status, nil, false, nil)
}

// SetRawBody replaces the body sent to the client (Gantry extension; Response phase, where the
// upstream body is buffered).
func (r Response) SetRawBody(body []byte) error { return r.ev().SetRespBody(body) }
