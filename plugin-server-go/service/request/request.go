// Package request changes the upstream request: the request the gateway sends to the service
// (kong.service.request). Every call is a mutation sent with the phase result; header, method
// and query changes are also visible to later kong.request getters, as in Kong.
package request

import (
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Request is kong.service.request; one per PDK.
type Request struct {
	bridge.PdkBridge
}

func (r Request) ev() *rt.Event { return rt.EventOf(r.PdkBridge) }

// SetScheme sets the upstream scheme.
func (r Request) SetScheme(scheme string) error { return r.ev().SetSvcReq("scheme", scheme) }

// SetPath sets the upstream path (must start with "/").
func (r Request) SetPath(path string) error { return r.ev().SetSvcReq("path", path) }

// SetRawQuery sets the upstream query string (encoded, without '?').
func (r Request) SetRawQuery(query string) error { return r.ev().SetSvcReq("raw_query", query) }

// SetMethod sets the upstream method.
func (r Request) SetMethod(method string) error { return r.ev().SetSvcReq("method", method) }

// SetQuery sets the upstream query from a map (encoded, keys sorted).
func (r Request) SetQuery(query map[string][]string) error {
	return r.ev().SetSvcReq("raw_query", rt.EncodeQuery(query))
}

// SetHeader sets an upstream header, replacing all values of the name.
func (r Request) SetHeader(name string, value string) error {
	return r.ev().SvcReqHeaderOp(pb.HeaderAction_HEADER_ACTION_SET, name, value)
}

// AddHeader adds an upstream header value.
func (r Request) AddHeader(name string, value string) error {
	return r.ev().SvcReqHeaderOp(pb.HeaderAction_HEADER_ACTION_ADD, name, value)
}

// ClearHeader removes every value of an upstream header.
func (r Request) ClearHeader(name string) error {
	return r.ev().SvcReqHeaderOp(pb.HeaderAction_HEADER_ACTION_CLEAR, name, "")
}

// SetHeaders sets several upstream headers (each name replaced).
func (r Request) SetHeaders(headers map[string][]string) error {
	return r.ev().SetSvcReqHeaders(headers)
}

// SetRawBody sets the upstream body.
func (r Request) SetRawBody(body string) error { return r.ev().SetSvcReqBody([]byte(body)) }
