// Package response reads the upstream response: the response as the service sent it
// (kong.service.response), before plugins changed it. Available in the Response phase (with the
// body, buffered) and, without the body, in the header_filter and log phases.
package response

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Response is kong.service.response; one per PDK.
type Response struct {
	bridge.PdkBridge
}

func (r Response) ev() *rt.Event { return rt.EventOf(r.PdkBridge) }

// GetStatus returns the upstream status (0 if the response did not come from the service).
func (r Response) GetStatus() (int, error) { return r.ev().SvcRespStatus() }

// GetHeaders returns the upstream headers (at most max_headers; -1 means 100).
func (r Response) GetHeaders(max_headers int) (map[string][]string, error) {
	return r.ev().SvcRespHeaders(max_headers)
}

// GetHeader returns the first value of an upstream header ("", nil if missing).
func (r Response) GetHeader(name string) (string, error) { return r.ev().SvcRespHeader(name) }

// GetRawBody returns the upstream body (Response phase).
func (r Response) GetRawBody() ([]byte, error) { return r.ev().SvcRespBody() }
